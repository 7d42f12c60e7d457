import { describe, expect, it } from 'vitest';
import { cachedDirectory, readRefusal, refusal, type Directory } from '../../src/decisions/authorize.ts';

const roles = { approvers: ['U0ANNA', 'S0OPS'], financialApprovers: ['U0LEAD'] };
const directory = (groups: Record<string, string[] | Error>): Directory & { calls: number } => {
  const d = {
    calls: 0,
    async membersOf(group: string) {
      d.calls++;
      const members = groups[group];
      if (members instanceof Error) throw members;
      return members ?? [];
    },
  };
  return d;
};

describe('who may decide', () => {
  it('allows an approver named directly', async () => {
    expect(await refusal('U0ANNA', roles, false, directory({}))).toBeNull();
  });

  it('allows a member of an approver user group', async () => {
    expect(await refusal('U0BOB', roles, false, directory({ S0OPS: ['U0BOB'] }))).toBeNull();
  });

  it('lets a financial approver decide a non-financial item too', async () => {
    expect(await refusal('U0LEAD', roles, false, directory({}))).toBeNull();
  });

  it('refuses an approver on a financial write', async () => {
    expect(await refusal('U0ANNA', roles, true, directory({}))).toMatch(/only a financial approver/);
  });

  it('says it could not check, rather than that the person may not decide, when a group cannot be read', async () => {
    const message = await refusal('U0BOB', roles, false, directory({ S0OPS: new Error('ratelimited') }));
    expect(message).toMatch(/could not check your membership of <!subteam\^S0OPS>/);
  });

  it('refuses a stranger plainly when every group was read', async () => {
    expect(await refusal('U0EVE', roles, false, directory({ S0OPS: ['U0BOB'] }))).toMatch(/Only approvers/);
  });
});

describe('who may read the queue, the status and the items', () => {
  const readers = { ...roles, viewers: ['U0VERA', 'S0AUDIT'] };

  it('allows approvers, financial approvers and viewers named directly, without reading any group', async () => {
    const groups = directory({ S0OPS: new Error('ratelimited'), S0AUDIT: new Error('ratelimited') });
    for (const user of ['U0ANNA', 'U0LEAD', 'U0VERA']) expect(await readRefusal(user, readers, groups)).toBeNull();
    expect(groups.calls).toBe(0);
  });

  it('allows a member of an approver group or of a viewer group', async () => {
    expect(await readRefusal('U0BOB', readers, directory({ S0OPS: ['U0BOB'] }))).toBeNull();
    expect(await readRefusal('U0AUDITOR', readers, directory({ S0AUDIT: ['U0AUDITOR'] }))).toBeNull();
  });

  it('refuses anyone else and says whom to ask', async () => {
    const refused = await readRefusal('U0EVE', readers, directory({ S0OPS: ['U0BOB'], S0AUDIT: [] }));
    expect(refused).toMatchObject({ code: 'not_a_reader' });
    expect(refused?.message).toMatch(/don't have access/);
    expect(refused?.message).toContain('<@U0ANNA>, <!subteam^S0OPS>, <@U0LEAD>');
    expect(refused?.message).toContain('slack.viewers');
  });

  it('says it could not check, rather than refusing, when a group cannot be read', async () => {
    const refused = await readRefusal('U0EVE', readers, directory({ S0OPS: ['U0BOB'], S0AUDIT: new Error('ratelimited') }));
    expect(refused).toMatchObject({ code: 'could_not_check', groups: ['S0AUDIT'] });
    expect(refused?.message).toMatch(/could not check your membership of <!subteam\^S0AUDIT>/);
  });

  it('refuses everyone but approvers when the policy names no viewers', async () => {
    expect(await readRefusal('U0VERA', roles, directory({ S0OPS: [] }))).toMatchObject({ code: 'not_a_reader' });
  });
});

describe('the cached directory', () => {
  it('reads a group once within its time to live', async () => {
    const inner = directory({ S0OPS: ['U0BOB'] });
    const cached = cachedDirectory(inner, 60_000);
    await cached.membersOf('S0OPS');
    await cached.membersOf('S0OPS');
    expect(inner.calls).toBe(1);
  });

  it('reads a group again once its time to live has passed', async () => {
    let now = 0;
    const inner = directory({ S0OPS: ['U0BOB'] });
    const cached = cachedDirectory(inner, 60_000, () => now);
    await cached.membersOf('S0OPS');
    now = 60_001;
    await cached.membersOf('S0OPS');
    expect(inner.calls).toBe(2);
  });

  it('does not remember a failed read', async () => {
    const groups: Record<string, string[] | Error> = { S0OPS: new Error('timeout') };
    const inner = directory(groups);
    const cached = cachedDirectory(inner, 60_000);
    await expect(cached.membersOf('S0OPS')).rejects.toThrow('timeout');
    groups.S0OPS = ['U0BOB'];
    expect(await cached.membersOf('S0OPS')).toEqual(['U0BOB']);
  });
});
