/** An alert of Recon's own health, as posted when its state starts and when it clears. Pure. */
import { alertTitle, type AlertRecord } from '../../domain/alerts.ts';
import { ageInWords, escapeMrkdwn, slackDate } from './format.ts';
import type { BlockMessage } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';

/** What is wrong, since when, what to do; or, once cleared, that it cleared and how long it lasted. */
export function alertMessage(alert: AlertRecord, change: 'started' | 'cleared'): BlockMessage {
  if (change === 'cleared') {
    const cleared = alert.clearedAt ?? new Date();
    const text = `:white_check_mark: *Cleared: ${escapeMrkdwn(alertTitle(alert))}* after ${ageInWords(alert.since, cleared)}, ${slackDate(cleared)}.`;
    return { text: truncate(`Cleared: ${escapeMrkdwn(alertTitle(alert))}`, LIMITS.text), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }] };
  }
  return {
    text: truncate(escapeMrkdwn(`Recon alert: ${alertTitle(alert)}: ${alert.what}`), LIMITS.text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`:rotating_light: *Recon alert: ${escapeMrkdwn(alertTitle(alert))}*\n${escapeMrkdwn(alert.what)}`, LIMITS.sectionText) } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`*Since:* ${slackDate(alert.since)}\n*What to do:* ${escapeMrkdwn(alert.todo)}`, LIMITS.sectionText) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Posted once when it starts and once when it clears. `recon status` lists the alerts in force.' }] },
    ],
  };
}
