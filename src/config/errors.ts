import type { z } from 'zod';

export { ConfigError } from '../domain/errors.ts';

/** `checks[1].map.past_due.write` from a zod path. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(root)';
}

/** One line per problem, each naming the key path and what was expected. */
export function describeIssues(root: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = formatPath(root, issue.path);
      if (issue.code === 'unrecognized_keys') {
        return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      return `${where}: ${issue.message}`;
    })
    .join('\n');
}
