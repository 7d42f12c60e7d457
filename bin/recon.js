#!/usr/bin/env node
// Runs the CLI bundled into dist/ by `npm ci` (the `prepare` step), so a clone works without a
// separate build step. When dist/ is missing or older than a file under src/ (a developer's edit
// since the last `npm run build`), it runs the sources through tsx instead: slower, never stale.
import { compiledIsCurrent } from './compiled.js';

let main;
if (compiledIsCurrent()) {
  ({ main } = await import('../dist/cli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
const code = await main(process.argv.slice(2));
// Exit now: an idle keep-alive socket of an HTTP client must not hold a finished command open.
process.exit(code);
