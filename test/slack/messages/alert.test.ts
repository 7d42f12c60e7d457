import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../../src/domain/alerts.ts';
import { alertMessage } from '../../../src/slack/messages/alert.ts';
import { limitViolations } from './check-limits.ts';

const alert: AlertRecord = {
  id: '1', key: 'credentials:stripe', kind: 'credentials', subject: 'stripe', since: new Date('2026-12-01T09:00:00Z'), startedAt: new Date('2026-12-01T09:00:00Z'),
  clearedAt: null, slack: null, what: 'Stripe refuses Recon’s credentials (HTTP 401: wrong or revoked) <script>'.repeat(80), todo: 'set a valid key and run `recon doctor`', detail: {},
};

describe('alertMessage', () => {
  it('says what is wrong, since when and what to do, within Slack’s limits', () => {
    const message = alertMessage(alert, 'started');
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('*Since:* <!date^');
    expect(text).toContain('*What to do:* set a valid key');
    expect(text).not.toContain('<script>');
    expect(limitViolations(message as never, 'message')).toEqual([]);
  });

  it('says how long the state lasted once it cleared', () => {
    const message = alertMessage({ ...alert, clearedAt: new Date('2026-12-01T11:30:00Z') }, 'cleared');
    expect(message.text).toBe('Cleared: credentials refused (stripe)');
    expect(JSON.stringify(message.blocks)).toContain('after 2 hours');
  });
});
