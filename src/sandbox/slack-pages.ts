/**
 * What the sandbox's Slack would show a person, over HTTP: `GET /slack/messages` lists every
 * post, update, ephemeral, shared file, App Home and modal as JSON, and `GET /` renders the same
 * list as a page (newest first; Block Kit's text, fields, buttons' labels and images' alt text;
 * every value escaped; no external assets, the page's policy allows none).
 */
import type { SlackFeedEntry, SlackState } from './slack-state.ts';

export interface SlackPage {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The page shows this many entries; the JSON has them all. */
export const PAGE_ENTRIES = 200;
const INLINE_IMAGE_BYTES = 2 * 1024 * 1024;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** Answers `GET /` and `GET /slack/messages`; null for any other path. */
export function slackPage(slack: SlackState, method: string, path: string): SlackPage | null {
  if (path !== '/' && path !== '/slack/messages') return null;
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, headers: { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' }, body: `${method} ${path}: only GET\n` };
  }
  if (path === '/slack/messages') {
    return { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, body: JSON.stringify({ messages: feedJson(slack) }) };
  }
  return {
    status: 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // Nothing but the page itself, its inline style, and images it carries as data.
      'Content-Security-Policy': "default-src 'none'; img-src data:; style-src 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
    },
    body: feedPage(slack),
  };
}

/** The feed newest first, as `GET /slack/messages` answers it. */
export function feedJson(slack: SlackState): Json[] {
  return [...slack.feed].reverse().map((entry) => ({
    kind: entry.kind,
    at: new Date(entry.at).toISOString(),
    channel: entry.channel,
    ts: entry.ts,
    thread_ts: entry.thread_ts,
    user: entry.user,
    text: entry.text,
    blocks: entry.blocks,
    ...(entry.view_id ? { view_id: entry.view_id } : {}),
    ...(entry.files ? { files: entry.files } : {}),
  }));
}

/** Escapes text for HTML content and attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Slack escapes these three in mrkdwn; the page shows the characters. */
const slackUnescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Plain mrkdwn text (no `<...>` tokens) as HTML: escaped, then bold, italic, strike and code. */
function formatted(text: string): string {
  return escapeHtml(slackUnescape(text))
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/\*([^*\n]+)\*/g, '<strong>$1</strong>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,;:!?])/g, '$1<em>$2</em>')
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,;:!?])/g, '$1<del>$2</del>');
}

/** A `<...>` token: a link, a mention, a channel, a special mention or a date, as Slack shows it. */
function token(inner: string): string {
  const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
  if (target.startsWith('@')) return `<span class="mention">@${formatted(label ?? target.slice(1))}</span>`;
  if (target.startsWith('#')) return `<span class="mention">#${formatted(label ?? target.slice(1))}</span>`;
  if (target.startsWith('!')) return `<span class="mention">${formatted(label ?? `@${target.slice(1).split('^')[0]}`)}</span>`;
  const url = slackUnescape(target);
  if (/^https?:\/\/\S+$/i.test(url)) return `<a href="${escapeHtml(url)}" rel="noreferrer">${formatted(label ?? target)}</a>`;
  return formatted(label ?? target);
}

/** Slack mrkdwn as HTML that can hold nothing but the tags written here. */
export function mrkdwnHtml(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(/<([^<>\n]+)>/g)) {
    html += formatted(text.slice(last, match.index));
    html += token(match[1] ?? '');
    last = (match.index ?? 0) + match[0].length;
  }
  html += formatted(text.slice(last));
  return html.replace(/\n/g, '<br>');
}

function textHtml(value: unknown): string {
  if (!isObject(value)) return '';
  return value.type === 'mrkdwn' ? mrkdwnHtml(str(value.text)) : escapeHtml(str(value.text)).replace(/\n/g, '<br>');
}

function elementHtml(value: unknown): string {
  if (!isObject(value)) return '';
  switch (value.type) {
    case 'button': {
      const style = value.style === 'primary' || value.style === 'danger' ? ` ${value.style}` : '';
      const confirm = isObject(value.confirm) ? ' <span class="note">(asks to confirm)</span>' : '';
      return `<span class="button${style}">${textHtml(value.text)}</span>${confirm}`;
    }
    case 'image':
      return `<span class="image">[image: ${escapeHtml(str(value.alt_text))}]</span>`;
    case 'overflow':
      return `<span class="button">⋯ ${(Array.isArray(value.options) ? value.options : []).map((o) => textHtml(isObject(o) ? o.text : null)).join(' · ')}</span>`;
    case 'radio_buttons':
    case 'checkboxes':
      return (Array.isArray(value.options) ? value.options : []).map((o) => `<span class="option">○ ${textHtml(isObject(o) ? o.text : null)}</span>`).join(' ');
    case 'plain_text_input':
      return `<span class="input">${value.placeholder ? textHtml(value.placeholder) : 'text'}</span>`;
    default: {
      const placeholder = value.placeholder ? textHtml(value.placeholder) : escapeHtml(str(value.type).replace(/_/g, ' '));
      return `<span class="input">${placeholder} ▾</span>`;
    }
  }
}

function blockHtml(value: unknown): string {
  if (!isObject(value)) return '';
  switch (value.type) {
    case 'header':
      return `<h3>${textHtml(value.text)}</h3>`;
    case 'section': {
      const fields = Array.isArray(value.fields) ? `<div class="fields">${value.fields.map((f) => `<div>${textHtml(f)}</div>`).join('')}</div>` : '';
      const accessory = value.accessory ? `<div class="accessory">${elementHtml(value.accessory)}</div>` : '';
      return `<div class="section">${value.text ? `<div>${textHtml(value.text)}</div>` : ''}${fields}${accessory}</div>`;
    }
    case 'context':
      return `<div class="context">${(Array.isArray(value.elements) ? value.elements : []).map((e) => (isObject(e) && e.type === 'image' ? elementHtml(e) : textHtml(e))).join(' ')}</div>`;
    case 'actions':
      return `<div class="actions">${(Array.isArray(value.elements) ? value.elements : []).map(elementHtml).join(' ')}</div>`;
    case 'divider':
      return '<hr>';
    case 'image':
      return `<div class="image">[image: ${escapeHtml(str(value.alt_text))}]${value.title ? ` ${textHtml(value.title)}` : ''}</div>`;
    case 'input':
      return `<div class="input-block"><label>${textHtml(value.label)}</label> ${elementHtml(value.element)}</div>`;
    default:
      return `<div class="note">[${escapeHtml(str(value.type) || 'unknown')} block]</div>`;
  }
}

const KIND_WORDS: Record<SlackFeedEntry['kind'], string> = {
  post: 'Posted',
  update: 'Updated',
  ephemeral: 'Only visible to',
  file: 'Shared a file',
  home: 'App Home of',
  modal: 'Opened a modal',
  view_update: 'Updated a view',
};

function fileHtml(slack: SlackState, file: NonNullable<SlackFeedEntry['files']>[number]): string {
  const data = slack.files.get(file.id)?.data;
  const png = data && data.length <= INLINE_IMAGE_BYTES && data.subarray(1, 4).toString('latin1') === 'PNG';
  const image = png ? `<img src="data:image/png;base64,${data.toString('base64')}" alt="${escapeHtml(file.title)}">` : '';
  return `<div class="file">📎 ${escapeHtml(file.title)} <span class="note">${escapeHtml(file.name)}, ${file.bytes.toLocaleString('en-US')} bytes</span>${image}</div>`;
}

function entryHtml(slack: SlackState, entry: SlackFeedEntry): string {
  const where = [
    entry.kind === 'ephemeral' || entry.kind === 'home' ? `<b>@${escapeHtml(entry.user ?? '')}</b>` : '',
    entry.channel ? `in <b>#${escapeHtml(entry.channel)}</b>` : '',
    entry.ts ? `ts ${escapeHtml(entry.ts)}` : '',
    entry.thread_ts ? `in thread ${escapeHtml(entry.thread_ts)}` : '',
    entry.view_id ? `view ${escapeHtml(entry.view_id)}` : '',
  ].filter(Boolean).join(' · ');
  const body = entry.blocks.length
    ? `<div class="notification">${escapeHtml(entry.kind === 'modal' || entry.kind === 'home' || entry.kind === 'view_update' ? entry.text : `Notification text: ${entry.text}`)}</div>${entry.blocks.map(blockHtml).join('\n')}`
    : entry.text ? `<div class="section">${mrkdwnHtml(entry.text)}</div>` : '';
  return [
    `<article class="entry ${entry.kind}">`,
    `<header><span class="kind">${KIND_WORDS[entry.kind]}</span> ${where} <time>${new Date(entry.at).toISOString()}</time></header>`,
    ...(body ? [body] : []),
    ...(entry.files ?? []).map((f) => fileHtml(slack, f)),
    '</article>',
  ].join('\n');
}

const STYLE = `
body { font: 15px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 860px; padding: 16px; color: #1d1c1d; background: #f8f8f8; }
h1 { font-size: 20px; margin: 0 0 4px; }
.entry { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.entry.ephemeral { border-style: dashed; }
.entry header { font-size: 12px; color: #616061; margin-bottom: 6px; }
.kind { font-weight: bold; color: #1d1c1d; }
time { float: right; }
h3 { font-size: 17px; margin: 4px 0; }
.section { margin: 6px 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin-top: 4px; }
.context, .note, .notification { font-size: 12px; color: #616061; }
.notification { font-style: italic; margin-bottom: 4px; }
.actions { margin: 8px 0; }
.button { display: inline-block; border: 1px solid #bbb; border-radius: 4px; padding: 2px 10px; margin: 2px 4px 2px 0; font-weight: 600; font-size: 13px; }
.button.primary { background: #007a5a; border-color: #007a5a; color: white; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: white; }
.input, .option { display: inline-block; border: 1px solid #ccc; border-radius: 4px; padding: 1px 8px; color: #616061; font-size: 13px; }
code { background: #f0f0f0; border-radius: 3px; padding: 0 3px; }
.mention { color: #1264a3; background: #e8f5fa; border-radius: 3px; padding: 0 2px; }
.file img { display: block; max-width: 100%; margin-top: 6px; border: 1px solid #eee; }
`;

/** The feed as a page a person reads: newest first, refreshed every five seconds. */
export function feedPage(slack: SlackState): string {
  const entries = [...slack.feed].reverse().slice(0, PAGE_ENTRIES);
  const shown = slack.feed.length > PAGE_ENTRIES ? `the newest ${PAGE_ENTRIES} of ${slack.feed.length}` : `${slack.feed.length}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta http-equiv="refresh" content="5">',
    `<title>Sandbox Slack (${slack.feed.length})</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>What Slack would show: ${escapeHtml(slack.team.name)}</h1>`,
    `<p class="note">${shown} ${slack.feed.length === 1 ? 'entry' : 'entries'}, newest first; this page refreshes every 5 seconds. As JSON: <a href="/slack/messages">/slack/messages</a>.</p>`,
    ...(entries.length ? entries.map((e) => entryHtml(slack, e)) : ['<p>Nothing yet: Recon has not posted, updated or opened anything in this workspace.</p>']),
    '</body></html>',
  ].join('\n');
}
