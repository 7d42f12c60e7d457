/**
 * The sandbox Slack workspace: what the app posted, opened and uploaded, every Web API call it
 * made, and the usergroups and users tests seed. Kept apart from `SandboxState` so the Stripe and
 * HubSpot shapes others rely on stay as they are; ids come from counters so runs are reproducible.
 * The app is installed with the scopes manifest.yml declares (BOT_SCOPES).
 */
import { BOT_SCOPES } from '../slack/ids.ts';

/** One Web API call as the sandbox received it. */
export interface SlackCall {
  method: string;
  /** The arguments as Slack reads them: JSON-valued ones (blocks, view, files) decoded, the token left out. */
  args: Record<string, unknown>;
  /** Epoch milliseconds. */
  at: number;
  /** The error Slack answered with (`ok: false`, or `ratelimited` for a 429); absent when it succeeded. */
  error?: string;
}

export interface SlackStoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  thread_ts?: string;
  /** The bot user that posted it. */
  user: string;
  bot_id: string;
  /** Set by `chat.update`. */
  edited?: { user: string; ts: string };
  /** Ids of the files shared with this message (by `files.completeUploadExternal`). */
  files?: string[];
}

export interface SlackStoredEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
  thread_ts?: string;
  message_ts: string;
}

export interface SlackStoredView {
  id: string;
  type: 'modal' | 'home';
  /** The view payload as last sent (views.open, views.publish or views.update). */
  view: Record<string, unknown>;
  hash: string;
  /** The user whose App Home this is (home views only). */
  user_id?: string;
  trigger_id?: string;
  external_id?: string;
  /** How many times views.update or views.publish replaced it. */
  updates: number;
}

export interface SlackStoredFile {
  id: string;
  /** The filename given to files.getUploadURLExternal. */
  name: string;
  title: string;
  /** The length declared to files.getUploadURLExternal. */
  length: number;
  /** Bytes received at the upload URL; null until they arrive. */
  data: Buffer | null;
  /** Where files.completeUploadExternal shared it; null while private or not completed. */
  channel: string | null;
  initial_comment?: string;
  thread_ts?: string;
  /** The message sharing it, when shared to a channel. */
  message_ts?: string;
  /** files.completeUploadExternal was called for it. */
  completed: boolean;
}

/** What a person in the workspace would have seen appear, one entry per successful call that shows something. */
export type SlackFeedKind =
  /** chat.postMessage */
  | 'post'
  /** chat.update: the message as it reads after the update */
  | 'update'
  /** chat.postEphemeral: seen by `user` alone */
  | 'ephemeral'
  /** files.completeUploadExternal shared to a channel: the message carrying the files */
  | 'file'
  /** views.publish: `user`'s App Home */
  | 'home'
  /** views.open */
  | 'modal'
  /** views.update of a modal or App Home */
  | 'view_update';

export interface SlackFeedEntry {
  kind: SlackFeedKind;
  /** Epoch milliseconds. */
  at: number;
  /** Null for views. */
  channel: string | null;
  /** The message's timestamp (for an update, the message updated); null for views. */
  ts: string | null;
  thread_ts: string | null;
  /** Who alone sees it: an ephemeral's recipient, an App Home's owner. */
  user: string | null;
  /** The message's text, or a modal's title. */
  text: string;
  blocks: unknown[];
  /** The view's id, for views. */
  view_id?: string;
  /** The files a `file` entry shares. */
  files?: { id: string; name: string; title: string; bytes: number }[];
}

/** Seed for `users.info`; everything else in Slack's user object is filled in. */
export interface SlackUserSeed {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  is_admin?: boolean;
  is_bot?: boolean;
  deleted?: boolean;
  tz?: string;
}

/**
 * What the next call of a method answers instead of its result: a Slack error code (HTTP 200,
 * `ok: false`), a 429 with Retry-After, or an HTTP 5xx.
 */
export type SlackFailure = string | { status: 429; retryAfterSeconds?: number } | { status: 500 | 502 | 503 };

export interface SlackState {
  team: { id: string; name: string; domain: string };
  /** The installed app's bot; `scopes` are the bot token's (missing ones answer `missing_scope`). */
  bot: { userId: string; botId: string; appId: string; name: string; scopes: string[] };
  /** Only this token is accepted when set; otherwise any `xoxb-` or `xoxp-` token is. */
  token: string | null;
  /** Every Web API call, in order, failed ones included. */
  calls: SlackCall[];
  /** Keyed `${channel}:${ts}`; kept up to date by chat.postMessage and chat.update. */
  messages: Map<string, SlackStoredMessage>;
  ephemerals: SlackStoredEphemeral[];
  /** Everything shown, oldest first: posts, updates, ephemerals, shared files, App Home and modals (the newest 10,000). */
  feed: SlackFeedEntry[];
  /** Modals opened and App Home views published, by view id. */
  views: Map<string, SlackStoredView>;
  /** Files from files.getUploadURLExternal on, by file id; `completed` once shared. */
  files: Map<string, SlackStoredFile>;
  /** Usergroup id (S...) → member user ids; tests seed it. */
  usergroups: Map<string, string[]>;
  /** Users `users.info` knows, by id; the bot user is always known. Tests seed it. */
  users: Map<string, SlackUserSeed>;
  /** When non-empty, the only public and private channels (C/G ids) that exist; empty accepts any. */
  channels: Set<string>;
  /** When non-empty, the only channels the bot is a member of; empty: it is in every channel. */
  botChannels: Set<string>;
  /** Failures queued per method by `failNext`, consumed one per call. */
  failures: Map<string, SlackFailure[]>;
  /** Makes the next call of `method` fail as given (queued: call it twice to fail two calls). */
  failNext(method: string, failure: SlackFailure): void;
  /** Counter behind generated ids, hashes and message timestamps. */
  sequence: number;
  /** The last message timestamp handed out, in microseconds, so each is later than the one before. */
  lastTsMicros: number;
}

export function createSlackState(options: { team?: Partial<SlackState['team']>; bot?: Partial<SlackState['bot']>; token?: string } = {}): SlackState {
  const failures = new Map<string, SlackFailure[]>();
  return {
    // The bot ids match what src/slack/app.ts gives Bolt, so messages look like the app's own.
    team: { id: 'T0SANDBOX', name: 'Recon Sandbox', domain: 'recon-sandbox', ...options.team },
    bot: { userId: 'U0RECON', botId: 'B0RECON', appId: 'A0RECON', name: 'recon', scopes: [...BOT_SCOPES], ...options.bot },
    token: options.token ?? null,
    calls: [],
    messages: new Map(),
    ephemerals: [],
    feed: [],
    views: new Map(),
    files: new Map(),
    usergroups: new Map(),
    users: new Map(),
    channels: new Set(),
    botChannels: new Set(),
    failures,
    failNext(method, failure) {
      failures.set(method, [...(failures.get(method) ?? []), failure]);
    },
    sequence: 0,
    lastTsMicros: 0,
  };
}

/** `V`/`F`-style ids: a prefix and ten base-36 characters from the state's counter. */
export function nextSlackId(slack: SlackState, prefix: 'V' | 'F'): string {
  slack.sequence += 1;
  return `${prefix}${slack.sequence.toString(36).toUpperCase().padStart(10, '0')}`;
}

/** A message timestamp like `1700000000.000100`: the clock's time, always later than the last one. */
export function nextMessageTs(slack: SlackState, nowMs: number): string {
  const micros = Math.max(Math.floor(nowMs) * 1_000, slack.lastTsMicros + 100);
  slack.lastTsMicros = micros;
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/** A view hash like `1569262015.55b5e41b`. */
export function nextViewHash(slack: SlackState, nowMs: number): string {
  slack.sequence += 1;
  return `${Math.floor(nowMs / 1000)}.${(Math.imul(slack.sequence, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0')}`;
}

export function messageKey(channel: string, ts: string): string {
  return `${channel}:${ts}`;
}
