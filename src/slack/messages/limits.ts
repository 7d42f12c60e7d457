/**
 * Slack's Block Kit limits. A surface past any of them is rejected whole (`invalid_blocks`), so every
 * builder cuts user data to fit rather than trusting it to be short.
 * Lengths are in UTF-16 code units, which never undercounts Slack's characters.
 */
export const LIMITS = {
  blocksPerMessage: 50,
  /** Modals and the Home tab. */
  blocksPerView: 100,
  messageText: 40_000,
  sectionText: 3000,
  /** Any other text object: context elements, mrkdwn in general. */
  text: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  value: 2000,
  optionText: 75,
  optionValue: 150,
  optionsPerSelect: 100,
  radioOptions: 10,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  modalTitle: 24,
  modalButton: 24,
  callbackId: 255,
  privateMetadata: 3000,
} as const;

const ELLIPSIS = '…';

/**
 * Cuts `text` to at most `max` code units, ending with "…". Never leaves half a surrogate pair, half an
 * HTML entity (`&amp;`), or an unclosed Slack token (`<url|label>`, `<@U123>`) at the cut.
 *
 * @example truncate('Tom &amp; Jerry', 9) // 'Tom …'
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let cut = max - ELLIPSIS.length;
  // A high surrogate at the end would lose its pair.
  if (cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
  let kept = text.slice(0, cut);
  const amp = kept.lastIndexOf('&');
  if (amp !== -1 && !kept.includes(';', amp) && kept.length - amp < ENTITY_MAX) kept = kept.slice(0, amp);
  const open = lastTokenStart(kept);
  if (open !== -1 && !kept.includes('>', open)) kept = kept.slice(0, open);
  return kept + ELLIPSIS;
}

/** `&amp;` is the longest entity Recon writes. */
const ENTITY_MAX = '&amp;'.length;
/** Where the last Slack token (`<http…`, `<@…`, `<!…`, `<#…`) starts; a bare `<` in plain text is not one. */
function lastTokenStart(text: string): number {
  for (let at = text.lastIndexOf('<'); at !== -1; at = at === 0 ? -1 : text.lastIndexOf('<', at - 1)) {
    const rest = text.slice(at + 1, at + 7).toLowerCase();
    // The cut may fall inside the token's opening itself: `<ht`.
    if (/^[@!#]/.test(rest) || /^https?:/.test(rest) || 'https:'.startsWith(rest) || 'http:'.startsWith(rest)) return at;
  }
  return -1;
}
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** `text` when it has something to show, else `fallback`: Slack rejects empty text objects. */
export function orElse(text: string | null | undefined, fallback: string): string {
  return text && text.trim().length > 0 ? text : fallback;
}
