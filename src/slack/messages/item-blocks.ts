/**
 * The pieces of one escalation that the message, its outcome, `/recon queue` and App Home share:
 * what disagrees, both records, why it waits, the fix, and the buttons.
 */
import type { ActionsBlock, Button, KnownBlock, PlainTextElement } from '@slack/types';
import { ACTIONS } from '../ids.ts';
import {
  categoryWords, escapeMrkdwn, rawBehindLabel, recordLink, recordName, systemName, objectName, plural, userText, valueWords, whySentence,
} from './format.ts';
import { ambiguousHeadline, candidatesText, pickSelect } from './candidates.ts';
import { LIMITS, truncate } from './limits.ts';

export { candidatesText };
import type { EscalationView, RecordView, WriteView } from './views.ts';

/** A Slack message: what chat.postMessage, chat.update and chat.postEphemeral take. */
export interface BlockMessage {
  /** The plain fallback shown in notifications. */
  text: string;
  blocks: KnownBlock[];
}

export const plainText = (text: string, max: number): PlainTextElement => ({ type: 'plain_text', text: truncate(text, max), emoji: true });

/** "Paid but not marked · payment-status", plain text for a header. */
export const itemTitle = (view: EscalationView) => `${categoryWords(view.category)} · ${view.check.trim() ? view.check : 'unknown check'}`;

/** The same title in mrkdwn, escaped. */
export const itemTitleMrkdwn = (view: EscalationView) => escapeMrkdwn(itemTitle(view));

const VALUE_MAX = 500;

function side(r: RecordView): string {
  const value = `*${userText(valueWords(r.value, r.valueLabel), 200)}*`;
  return /stage/i.test(r.field) ? `${systemName(r.system)} ${objectName(r.object)} is at ${value}` : `${systemName(r.system)} says ${value}`;
}

/** One sentence read in two seconds: "Stripe says *active*; HubSpot deal is at *Presentation Scheduled*." */
export function headline(view: EscalationView): string {
  const { source, target, held } = view;
  // Its source and target are only its first candidates.
  if (view.reason === 'ambiguous_match' && view.candidates.length) return ambiguousHeadline(view);
  if (held) {
    const per = held.window ? ` fixes per ${userText(held.window, 20)}` : '';
    return `Recon held back *${plural(held.planned, 'write')}* of check ${userText(view.check, 100)}: more than its guard of ${held.limit.toLocaleString('en-US')}${per} for ${plural(held.recordsRead, 'record')} read.`;
  }
  if (source && target) return `${side(source)}; ${side(target)}.`;
  const only = source ?? target;
  if (!only) return 'No record is attached to this item.';
  const what = `${recordLink(only)} (${userText(only.field, 60)} ${userText(valueWords(only.value, only.valueLabel), 200)})`;
  if (view.reason === 'linked_record_missing') return `${what} was linked to a record that no longer exists.`;
  return `${what} has no matching record.`;
}

/** One record as a section field: the link, the value, the email. */
export function recordField(r: RecordView): string {
  const raw = rawBehindLabel(r.value, r.valueLabel);
  const value = `${userText(r.field.trim() ? r.field : 'value', 100)}: *${userText(valueWords(r.value, r.valueLabel), 150)}*${raw ? ` (${userText(raw, VALUE_MAX)})` : ''}`;
  const lines = [recordLink(r), value, ...(r.email ? [userText(r.email, 254)] : [])];
  return truncate(lines.join('\n'), LIMITS.fieldText);
}

/** Why a machine did not fix it, in one sentence (see {@link whySentence}). */
export function whyText(view: EscalationView): string {
  return truncate(`*Why it waits:* ${userText(whySentence(view), 2000)}`, LIMITS.sectionText);
}

/** "Set HubSpot dealstage to *Closed Won*". */
export function writeWords(w: WriteView): string {
  const field = userText(w.field.trim() ? w.field : 'value', 100);
  return `Set ${systemName(w.system)} ${field} to *${userText(valueWords(w.to, w.toLabel), 200)}*${w.financial ? ' _(financial)_' : ''}`;
}

const WRITES_SHOWN = 8;

/** The suggested fix, or that a person must choose one. */
export function suggestionText(view: EscalationView): string {
  if (view.reason === 'ambiguous_match' && pickSelect(view)) return '*No suggested fix:* pick the record that belongs below. Recon links the two, then fixes them by the usual rules.';
  if (view.suggestion.length === 0) return '*No suggested fix:* a person decides. *Override* writes a value you choose; *Ignore* leaves it.';
  const lines = view.suggestion.slice(0, WRITES_SHOWN).map(writeWords);
  if (view.suggestion.length > WRITES_SHOWN) lines.push(`… and ${view.suggestion.length - WRITES_SHOWN} more writes`);
  const head = view.suggestion.length === 1 ? '*Suggested fix:* ' : '*Suggested fix:*\n';
  return truncate(head + lines.join('\n'), LIMITS.sectionText);
}

const HELD_SHOWN = 5;

/** The guard's held writes: how many per category and the first few. */
export function heldText(held: NonNullable<EscalationView['held']>): string {
  const categories = held.byCategory.slice(0, 10).map((c) => `${escapeMrkdwn(categoryWords(c.category))} ${c.count.toLocaleString('en-US')}`).join(', ');
  const lines = held.writes.slice(0, HELD_SHOWN).map((w) => `• ${userText(recordName(w), 200)}: ${userText(w.field, 100)} to *${userText(valueWords(w.to, w.toLabel), 200)}*${w.financial ? ' _(financial)_' : ''}`);
  if (held.planned > lines.length) lines.push(`… and ${plural(held.planned - lines.length, 'more write')}`);
  return truncate(`*Held back:* ${categories || plural(held.planned, 'write')}\n${lines.join('\n')}`, LIMITS.sectionText);
}

/** What the item is about: the title, what disagrees, both records. What a decided item's message keeps. */
export function itemFacts(view: EscalationView): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'header', text: plainText(itemTitle(view), LIMITS.headerText) },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(headline(view), LIMITS.sectionText) } },
  ];
  // An ambiguous match's records are its candidates, listed on their own.
  const records = view.reason === 'ambiguous_match' && view.candidates.length ? [] : [view.source, view.target].filter((r): r is RecordView => r !== null);
  if (records.length) blocks.push({ type: 'section', fields: records.map((r) => ({ type: 'mrkdwn', text: recordField(r) })) });
  return blocks;
}

/** An open item: its facts, why it waits, the fix (or the held writes), the candidates; everything but the buttons and the footer. */
export function itemBody(view: EscalationView): KnownBlock[] {
  const blocks = itemFacts(view);
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: whyText(view) } });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: view.held ? heldText(view.held) : suggestionText(view) } });
  const candidates = candidatesText(view);
  if (candidates) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: candidates } });
  return blocks;
}

/** The fields Approve would change that are financial, named for the confirm dialog. */
const financialWrites = (view: EscalationView) => view.suggestion.filter((w) => w.financial);

function approveButton(view: EscalationView): Button {
  const button: Button = { type: 'button', action_id: ACTIONS.approve, text: plainText('Approve', LIMITS.buttonText), style: 'primary', value: view.itemId };
  const financial = financialWrites(view);
  if (financial.length) {
    const what = financial.map((w) => `${systemName(w.system)} ${w.field} to ${valueWords(w.to, w.toLabel)}`).join('; ');
    button.confirm = {
      title: plainText('Approve a financial change?', LIMITS.confirmTitle),
      text: plainText(`This writes a financial field: ${what}. Only a financial approver may approve it.`, LIMITS.confirmText),
      confirm: plainText('Approve', LIMITS.confirmButton),
      deny: plainText('Cancel', LIMITS.confirmButton),
      style: 'primary',
    };
  }
  return button;
}

function releaseButton(view: EscalationView, held: NonNullable<EscalationView['held']>): Button {
  const financial = held.writes.some((w) => w.financial);
  return {
    type: 'button', action_id: ACTIONS.release, text: plainText(`Release ${plural(held.planned, 'write')}`, LIMITS.buttonText), style: 'primary', value: view.itemId,
    confirm: {
      title: plainText('Release the held writes?', LIMITS.confirmTitle),
      text: plainText(
        `Recon writes all ${plural(held.planned, 'held change')} of ${view.check} now, each checked first against the record as it is.${financial ? ' Some are financial: only a financial approver may release them.' : ''}`,
        LIMITS.confirmText,
      ),
      confirm: plainText('Release', LIMITS.confirmButton),
      deny: plainText('Cancel', LIMITS.confirmButton),
      style: 'primary',
    },
  };
}

/**
 * Approve (only with a suggestion; confirmed when financial), Override…, Ignore…; for the guard's
 * item Release (confirmed) and Ignore…. Each button's value is the item id.
 */
export function itemActions(view: EscalationView): ActionsBlock {
  const ignore: Button = { type: 'button', action_id: ACTIONS.ignore, text: plainText('Ignore…', LIMITS.buttonText), value: view.itemId };
  if (view.held) return { type: 'actions', elements: [releaseButton(view, view.held), ignore] };
  // An ambiguous match is resolved by a pick; there is nothing to approve or override until then.
  const pick = view.reason === 'ambiguous_match' ? pickSelect(view) : null;
  if (pick) return { type: 'actions', elements: [pick, ignore] };
  const elements: Button[] = [];
  if (view.suggestion.length) elements.push(approveButton(view));
  elements.push(
    { type: 'button', action_id: ACTIONS.override, text: plainText('Override…', LIMITS.buttonText), value: view.itemId },
    { type: 'button', action_id: ACTIONS.ignore, text: plainText('Ignore…', LIMITS.buttonText), value: view.itemId },
  );
  return { type: 'actions', elements };
}

/** The record Override writes, named for people ("HubSpot deal 10012"), plain text. */
export const targetName = (view: EscalationView) => (view.target ? recordName(view.target) : 'the target record');
