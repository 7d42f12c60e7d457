import { describe, expect, it } from 'vitest';
import { noAccessHomeView, refusalMessage } from '../../../src/slack/messages/access.ts';
import { limitViolations } from './check-limits.ts';
import { allText } from './fixtures.ts';

const text = "You don't have access to Recon's queue and status. Ask one of its approvers (<@U0LEAD>) to add you to `slack.viewers` in the Recon policy.";

describe('what a person without access sees', () => {
  it('is one sentence in a note, within Slack’s limits', () => {
    const message = refusalMessage(text);
    expect(message.text).toBe(text);
    expect(allText(message.blocks)).toContain('<@U0LEAD>');
    expect(limitViolations(message as never, 'message')).toEqual([]);
  });

  it('is an App Home with the sentence and no buttons', () => {
    const home = noAccessHomeView(text);
    expect(home.type).toBe('home');
    expect(JSON.stringify(home)).not.toContain('"actions"');
    expect(allText(home.blocks)).toContain('slack.viewers');
    expect(limitViolations(home as never, 'view')).toEqual([]);
  });
});
