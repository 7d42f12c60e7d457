/**
 * The words and mrkdwn pieces every builder shares: names of systems and records, values, reasons,
 * dates and ages. Anything a system or a person typed is escaped here before it meets mrkdwn.
 */
import type { FieldValue } from '../../domain/records.ts';
import { truncate } from './limits.ts';
import type { EscalationView, RecordView } from './views.ts';

const SYSTEM_NAMES: Record<string, string> = {
  stripe: 'Stripe', hubspot: 'HubSpot', gohighlevel: 'GoHighLevel', google_calendar: 'Google Calendar', slack: 'Slack',
};
const OBJECT_NAMES: Record<string, string> = {
  customers: 'customer', deals: 'deal', contacts: 'contact', opportunities: 'opportunity', events: 'event', subscriptions: 'subscription', invoices: 'invoice',
  bookings: 'booking',
};

export const systemName = (system: string) => SYSTEM_NAMES[system] ?? orUnknown(system, 'system');
export const objectName = (object: string) => OBJECT_NAMES[object] ?? orUnknown(object, 'record');
/** An unknown name keeps only plain characters, so it is safe in mrkdwn and plain text alike. */
const orUnknown = (text: string, fallback: string) => {
  const plain = text.replace(/[^\w .-]/g, '').trim();
  return plain ? plain.slice(0, 40) : fallback;
};

/** Slack's mrkdwn needs exactly these three escaped; nothing else may be. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** User data bound for mrkdwn: escaped, then cut to `max` without splitting an entity. */
export const userText = (text: string, max: number): string => truncate(escapeMrkdwn(text), max);

/** Longer URLs are shown as plain labels: a cut URL is a broken link. */
const MAX_URL = 800;

/** `<url|label>` for a plain http(s) address, else the escaped label alone. */
export function link(url: string | null | undefined, label: string, maxLabel = 150): string {
  const shown = userText(label.trim() ? label : '(no name)', maxLabel);
  if (!url || !/^https?:\/\/\S+$/i.test(url)) return shown;
  const target = escapeMrkdwn(url).replace(/\|/g, '%7C');
  return target.length > MAX_URL ? shown : `<${target}|${shown}>`;
}

/** "HubSpot deal 10012". */
export const recordName = (r: Pick<RecordView, 'system' | 'object' | 'id'>) => `${systemName(r.system)} ${objectName(r.object)} ${r.id.trim() ? r.id : '(no id)'}`;

/** A record's name linked to the record when it has a URL. */
export const recordLink = (r: Pick<RecordView, 'system' | 'object' | 'id' | 'url'>) => link(r.url, recordName(r));

/** A value as a person reads it, before escaping: the label when there is one. */
export function valueWords(value: FieldValue, label?: string | null): string {
  if (label && label.trim()) return label;
  if (value === null || value === '') return '(empty)';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '(empty)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** The raw value, when a label hides it: `presentationscheduled` behind "Presentation Scheduled". */
export function rawBehindLabel(value: FieldValue, label?: string | null): string | null {
  if (!label || !label.trim() || value === null || Array.isArray(value)) return null;
  return String(value) === label ? null : String(value);
}

/** `paid_but_not_marked` → "Paid but not marked". */
export function categoryWords(category: string): string {
  const words = category.replace(/[_-]+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Uncategorised';
}

/** Why a machine held it back, in plain words. */
export function reasonWords(view: Pick<EscalationView, 'reason' | 'source' | 'target'>): string {
  const source = view.source ? systemName(view.source.system) : 'The source';
  const target = view.target ? systemName(view.target.system) : 'the other system';
  switch (view.reason) {
    case 'financial':
      return 'Amounts are financial: only a financial approver may change them';
    case 'recent_human_edit':
      return `A person changed this in ${target} recently`;
    case 'high_value':
      return 'A high-value customer: a person checks before anything changes';
    case 'mapping_gap':
      return `${source} sent a ${view.source?.field.trim() ? view.source.field.replace(/_/g, ' ') : 'value'} the policy does not map`;
    case 'ambiguous_match':
      return 'Several records could be this customer: a person picks the right one';
    case 'unmatched':
      return 'No matching record was found in the other system';
    case 'linked_record_missing':
      return 'The record this was linked to no longer exists';
    case 'policy':
      return 'The policy asks a person to decide this kind of change';
    case 'ambiguous_recency':
      return 'Both sides changed and it is unclear which change is newer';
    case 'blast_radius':
      return 'This cycle would change more records at once than the check’s guard allows';
    case 'write_refused':
      return `${target} refused Recon’s write for this record: a person decides what it should hold`;
    default:
      return 'A person decides';
  }
}

/** The engine names systems by id (`hubspot`); a person reads their names. Quoted values stay as they are. */
function systemNamesIn(text: string): string {
  return text
    .split(/("[^"]*")/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\b(stripe|hubspot|gohighlevel|google_calendar)\b/g, (id) => systemName(id))))
    .join('');
}

/**
 * Why a machine held it back, as one sentence, before escaping: the engine's explanation when it
 * gave one (it names this item's facts: the amount against the threshold, when a person edited,
 * the unmapped value), else the reason in plain words. Never both: they say the same thing.
 */
export function whySentence(view: Pick<EscalationView, 'reason' | 'source' | 'target' | 'explanation'>): string {
  const explanation = view.explanation.trim();
  const sentence = explanation ? systemNamesIn(explanation) : reasonWords(view);
  const capitalised = sentence.charAt(0).toUpperCase() + sentence.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** "3 hours", "2 days": how long from `from` to `to`. */
export function ageInWords(from: Date, to: Date): string {
  const ms = to.getTime() - from.getTime();
  if (!Number.isFinite(ms) || ms < 60_000) return 'less than a minute';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, 'hour');
  return plural(Math.floor(hours / 24), 'day');
}

export const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** A date every reader sees in their own time zone, with a UTC fallback for clients that cannot. */
export function slackDate(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) return 'an unknown time';
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

/** `<@U123>` for a Slack user id; anyone else (a CLI user) by name; nobody means Recon itself. */
export function mention(by: string | null | undefined): string {
  if (!by || !by.trim()) return 'Recon';
  return /^[UW][A-Z0-9]{2,20}$/.test(by) ? `<@${by}>` : userText(by, 80);
}

/**
 * Lines joined into at most `maxChunks` chunks of at most `maxChars` each (one section each). Lines
 * that do not fit, plus `hidden` ones the caller left out, are counted in a last "… and N more" line.
 */
export function packLines(lines: string[], maxChars: number, maxChunks: number, tail: { hidden?: number; noun?: string } = {}): string[] {
  const chunks: { lines: string[]; size: number }[] = [];
  let packed = 0;
  for (const raw of lines) {
    const line = truncate(raw, maxChars);
    const last = chunks[chunks.length - 1];
    if (last && last.size + 1 + line.length <= maxChars) {
      last.lines.push(line);
      last.size += 1 + line.length;
    } else if (chunks.length < maxChunks) {
      chunks.push({ lines: [line], size: line.length });
    } else {
      break;
    }
    packed++;
  }
  let more = lines.length - packed + (tail.hidden ?? 0);
  if (more > 0) {
    const tailLine = () => `… and ${more.toLocaleString('en-US')} ${tail.noun ?? 'more'}`;
    const last = chunks[chunks.length - 1];
    if (last && last.size + 1 + tailLine().length <= maxChars) last.lines.push(tailLine());
    else if (chunks.length < maxChunks || !last) chunks.push({ lines: [tailLine()], size: 0 });
    else {
      while (last.lines.length && [...last.lines, tailLine()].join('\n').length > maxChars) {
        last.lines.pop();
        more++;
      }
      last.lines.push(tailLine());
    }
  }
  return chunks.map((c) => c.lines.join('\n'));
}
