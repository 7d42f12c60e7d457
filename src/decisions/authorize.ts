/** Who may decide: approvers for any decision, financial approvers for a write to a financial field. */
export interface Directory {
  /** The members of a Slack user group (`S...`). */
  membersOf(groupId: string): Promise<string[]>;
}

export interface DeciderRoles {
  approvers: readonly string[];
  financialApprovers: readonly string[];
}

/** Whether `user` is named in `list`, directly or through a user group. */
export async function isIn(user: string, list: readonly string[], directory: Directory): Promise<boolean> {
  if (list.includes(user)) return true;
  for (const entry of list) {
    if (!entry.startsWith('S')) continue;
    const members = await directory.membersOf(entry).catch(() => [] as string[]);
    if (members.includes(user)) return true;
  }
  return false;
}

/** null when allowed; otherwise the sentence the person is shown. */
export async function refusal(user: string, roles: DeciderRoles, financial: boolean, directory: Directory): Promise<string | null> {
  if (financial) {
    return (await isIn(user, roles.financialApprovers, directory))
      ? null
      : 'This changes a financial field: only a financial approver can decide it. Nothing was changed.';
  }
  return (await isIn(user, roles.approvers, directory)) || (await isIn(user, roles.financialApprovers, directory))
    ? null
    : 'Only approvers named in the Recon policy can decide mismatches. Nothing was changed.';
}
