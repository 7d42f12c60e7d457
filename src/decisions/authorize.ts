/**
 * Who may decide (approvers for any decision, financial approvers for a write to a financial
 * field) and who may read (those, and the policy's viewers). A user group that cannot be read
 * means "could not check", never a silent yes or no.
 *
 * A person is a Slack user id, listed in the policy directly or through a user group: Slack gives
 * the id of whoever clicked; `recon decide --as U...` names one. The CLI's id is not a login (whoever
 * runs it holds Recon's credentials): it says who decided, and is held to the same lists.
 */
export interface Directory {
  /** The members of a Slack user group (`S...`). */
  membersOf(groupId: string): Promise<string[]>;
}

export interface DeciderRoles {
  approvers: readonly string[];
  financialApprovers: readonly string[];
}

/** Whether `user` is in `list` directly or through a user group, and which groups could not be read. */
export type Membership = { member: true } | { member: false; unreadable: string[] };

export async function membership(user: string, list: readonly string[], directory: Directory): Promise<Membership> {
  if (list.includes(user)) return { member: true };
  const unreadable: string[] = [];
  for (const entry of list) {
    if (!entry.startsWith('S')) continue;
    try {
      if ((await directory.membersOf(entry)).includes(user)) return { member: true };
    } catch {
      unreadable.push(entry);
    }
  }
  return { member: false, unreadable };
}

const groupMentions = (groups: string[]) => groups.map((g) => `<!subteam^${g}>`).join(', ');

const couldNotCheck = (groups: string[]) =>
  `Recon could not check your membership of ${groupMentions(groups)} just now, so it did not act. Nothing was changed; try again in a minute.`;

/** null when allowed; otherwise the sentence the person is shown. */
export async function refusal(user: string, roles: DeciderRoles, financial: boolean, directory: Directory): Promise<string | null> {
  const lists = financial ? [roles.financialApprovers] : [roles.approvers, roles.financialApprovers];
  const unreadable: string[] = [];
  for (const list of lists) {
    const found = await membership(user, list, directory);
    if (found.member) return null;
    unreadable.push(...found.unreadable);
  }
  if (unreadable.length) return couldNotCheck([...new Set(unreadable)]);
  return financial
    ? 'This changes a financial field: only a financial approver can decide it. Nothing was changed.'
    : 'Only approvers named in the Recon policy can decide mismatches. Nothing was changed.';
}

export interface ReaderRoles extends DeciderRoles {
  /** Users or user groups who may read the queue, status and item details without deciding. */
  viewers?: readonly string[] | undefined;
}

export type ReadRefusal =
  | { code: 'not_a_reader'; message: string }
  | { code: 'could_not_check'; message: string; groups: string[] };

/** How many approvers a refusal names as the people to ask. */
const ASK_AT_MOST = 3;

/**
 * null when `user` may read the queue, the status and the items' details (emails, amounts): an
 * approver, a financial approver or a viewer, directly or through a user group. Otherwise why not,
 * and the sentence the person is shown, which says whom to ask.
 */
export async function readRefusal(user: string, roles: ReaderRoles, directory: Directory): Promise<ReadRefusal | null> {
  const lists = [roles.approvers, roles.financialApprovers, roles.viewers ?? []];
  // Named directly: no user group needs reading.
  if (lists.some((list) => list.includes(user))) return null;
  const unreadable: string[] = [];
  for (const list of lists) {
    const found = await membership(user, list, directory);
    if (found.member) return null;
    unreadable.push(...found.unreadable);
  }
  if (unreadable.length) {
    const groups = [...new Set(unreadable)];
    return {
      code: 'could_not_check', groups,
      message: `Recon could not check your membership of ${groupMentions(groups)} just now, so it shows nothing. Try again in a minute.`,
    };
  }
  const approvers = [...new Set([...roles.approvers, ...roles.financialApprovers])].slice(0, ASK_AT_MOST);
  const whom = approvers.length
    ? `one of its approvers (${approvers.map((a) => (a.startsWith('S') ? `<!subteam^${a}>` : `<@${a}>`)).join(', ')})`
    : 'whoever runs Recon';
  return {
    code: 'not_a_reader',
    message: `You don't have access to Recon's queue and status. Ask ${whom} to add you to \`slack.viewers\` in the Recon policy.`,
  };
}

/**
 * A directory that remembers each group's members for `ttlMs`: a burst of clicks costs one
 * `usergroups.users.list`, not one per click. A failed read is not remembered.
 */
export function cachedDirectory(directory: Directory, ttlMs = 5 * 60_000, now: () => number = Date.now): Directory {
  const cache = new Map<string, { at: number; members: Promise<string[]> }>();
  return {
    membersOf(groupId) {
      const hit = cache.get(groupId);
      if (hit && now() - hit.at <= ttlMs) return hit.members;
      const members = directory.membersOf(groupId);
      cache.set(groupId, { at: now(), members });
      members.catch(() => cache.delete(groupId));
      return members;
    },
  };
}
