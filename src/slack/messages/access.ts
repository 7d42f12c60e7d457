/** What a person without access to Recon's queue sees: one sentence, no record in sight. Pure. */
import type { HomeView } from '@slack/types';
import type { BlockMessage } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';

/** A short note only the asker sees (or a direct message from App Home). */
export function refusalMessage(text: string): BlockMessage {
  return { text: truncate(text, LIMITS.sectionText), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }] };
}

/** App Home for someone who may not read the queue: who Recon is and whom to ask, nothing else. */
export function noAccessHomeView(text: string): HomeView {
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Recon', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } },
    ],
  };
}
