/**
 * The Slack Web API methods Recon calls, over the sandbox's Slack state, answering with Slack's
 * shapes and error codes. The HTTP side (bodies, auth, rate limits, the upload URL) is in
 * slack-server.ts.
 */
import { blockProblems, viewProblems } from './slack-blocks.ts';
import { messageKey, nextMessageTs, nextSlackId, nextViewHash } from './slack-state.ts';
import type { SlackFeedEntry, SlackState, SlackStoredMessage, SlackStoredView, SlackUserSeed } from './slack-state.ts';

type Json = Record<string, unknown>;

/** An `ok: false` answer: Slack's error code, and extra fields such as `response_metadata`. */
export class SlackApiError extends Error {
  constructor(readonly code: string, readonly extra: Json = {}) {
    super(code);
  }
}

export interface MethodContext {
  slack: SlackState;
  args: Json;
  /** Epoch milliseconds. */
  now: number;
  /** `http://host:port` of the sandbox as the client reached it, for upload URLs. */
  origin: string;
  /** Upload keys (the opaque part of an upload URL) → file ids. */
  uploads: Map<string, string>;
}

export type SlackMethod = (ctx: MethodContext) => Json;

/** The scope each method needs from the bot token; methods absent here need none. */
export const METHOD_SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'usergroups.users.list': 'usergroups:read',
  'users.info': 'users:read',
  'conversations.info': 'channels:read',
};

const invalidArguments = (...lines: string[]) => new SlackApiError('invalid_arguments', { response_metadata: { messages: lines } });

function optionalString(args: Json, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalidArguments(`[ERROR] must be a string [json-pointer:/${name}]`);
}

function requiredString(args: Json, name: string): string {
  const value = optionalString(args, name);
  if (value === undefined) throw invalidArguments(`[ERROR] missing required field: ${name} [json-pointer:/${name}]`);
  return value;
}

/**
 * A conversation id as Slack resolves it: C/G channels (only the seeded ones when any are), D
 * conversations, and U/W users, which mean the app's DM with that user.
 */
function conversation(slack: SlackState, value: string | undefined, error = 'channel_not_found'): string {
  if (value === undefined) throw new SlackApiError(error);
  if (/^[UW][A-Z0-9]{2,}$/.test(value)) return `D${value.slice(1)}`;
  if (/^D[A-Z0-9]{2,}$/.test(value)) return value;
  if (/^[CG][A-Z0-9]{2,}$/.test(value) && (slack.channels.size === 0 || slack.channels.has(value))) return value;
  throw new SlackApiError(error);
}

/** `blocks` as a message carries them: absent (undefined), or a list within Block Kit's limits. */
function messageBlocks(args: Json): unknown[] | undefined {
  const blocks = args.blocks;
  if (blocks === undefined || blocks === null || blocks === '') return undefined;
  if (typeof blocks === 'string') throw new SlackApiError('invalid_blocks_format');
  const problems = blockProblems(blocks, 'message');
  if (problems.length) throw new SlackApiError('invalid_blocks', { errors: problems, response_metadata: { messages: problems } });
  return blocks as unknown[];
}

function messageText(args: Json, blocks: unknown[] | undefined, required: boolean): string | undefined {
  const text = optionalString(args, 'text');
  if (required && text === undefined && !blocks?.length && args.attachments === undefined) throw new SlackApiError('no_text');
  if (text !== undefined && text.length > 40_000) throw new SlackApiError('msg_too_long');
  return text;
}

function messageJson(slack: SlackState, message: SlackStoredMessage): Json {
  return {
    type: 'message',
    user: message.user,
    bot_id: message.bot_id,
    app_id: slack.bot.appId,
    team: slack.team.id,
    text: message.text,
    ...(message.blocks.length ? { blocks: message.blocks } : {}),
    ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
    ...(message.edited ? { edited: message.edited } : {}),
    ts: message.ts,
  };
}

function viewJson(slack: SlackState, stored: SlackStoredView): Json {
  const view = stored.view;
  return {
    id: stored.id,
    team_id: slack.team.id,
    type: stored.type,
    ...(stored.type === 'modal' ? { title: view.title, close: view.close ?? null, submit: view.submit ?? null } : {}),
    blocks: view.blocks ?? [],
    private_metadata: view.private_metadata ?? '',
    callback_id: view.callback_id ?? '',
    state: { values: {} },
    hash: stored.hash,
    clear_on_close: view.clear_on_close ?? false,
    notify_on_close: view.notify_on_close ?? false,
    root_view_id: stored.id,
    previous_view_id: null,
    app_id: slack.bot.appId,
    external_id: stored.external_id ?? '',
    app_installed_team_id: slack.team.id,
    bot_id: slack.bot.botId,
  };
}

function viewArg(args: Json, expected: 'modal' | 'home' | 'any'): Json {
  const view = args.view;
  if (typeof view === 'string' || typeof view !== 'object' || view === null || Array.isArray(view)) {
    throw invalidArguments(view === undefined ? '[ERROR] missing required field: view [json-pointer:/view]' : '[ERROR] failed to parse view [json-pointer:/view]');
  }
  const problems = viewProblems(view as Json, expected);
  if (problems.length) throw invalidArguments(...problems);
  return view as Json;
}

/** The feed keeps this many entries, dropping the oldest: a long-running sandbox stays small. */
export const FEED_LIMIT = 10_000;

function show(slack: SlackState, entry: SlackFeedEntry): void {
  slack.feed.push(entry);
  if (slack.feed.length > FEED_LIMIT) slack.feed.splice(0, slack.feed.length - FEED_LIMIT);
}

function showMessage(slack: SlackState, kind: SlackFeedEntry['kind'], message: SlackStoredMessage, at: number, extra: Partial<SlackFeedEntry> = {}): void {
  show(slack, {
    kind, at, channel: message.channel, ts: message.ts, thread_ts: message.thread_ts ?? null, user: null, text: message.text, blocks: message.blocks, ...extra,
  });
}

function showView(slack: SlackState, kind: SlackFeedEntry['kind'], stored: SlackStoredView, at: number): void {
  const title = (stored.view.title as { text?: unknown } | undefined)?.text;
  show(slack, {
    kind, at, channel: null, ts: null, thread_ts: null, user: stored.user_id ?? null, view_id: stored.id,
    text: typeof title === 'string' ? title : stored.type === 'home' ? 'App Home' : '', blocks: Array.isArray(stored.view.blocks) ? stored.view.blocks : [],
  });
}

function findExternal(slack: SlackState, externalId: string): SlackStoredView | undefined {
  for (const view of slack.views.values()) if (view.external_id === externalId) return view;
  return undefined;
}

function claimExternalId(slack: SlackState, view: Json, owner?: SlackStoredView): string | undefined {
  const externalId = typeof view.external_id === 'string' && view.external_id !== '' ? view.external_id : undefined;
  if (externalId !== undefined) {
    const holder = findExternal(slack, externalId);
    if (holder && holder !== owner) throw new SlackApiError('duplicate_external_id');
  }
  return externalId;
}

function checkHash(stored: SlackStoredView, args: Json): void {
  const hash = optionalString(args, 'hash');
  if (hash !== undefined && hash !== stored.hash) throw new SlackApiError('hash_conflict');
}

function tzOffsetSeconds(timeZone: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 3600 + Number(match[3]) * 60);
}

function userJson(slack: SlackState, user: SlackUserSeed, now: number): Json {
  const tz = user.tz ?? 'Etc/UTC';
  const realName = user.real_name ?? user.name;
  return {
    id: user.id,
    team_id: slack.team.id,
    name: user.name,
    deleted: user.deleted ?? false,
    color: '9f69e7',
    real_name: realName,
    tz,
    tz_label: tz,
    tz_offset: tzOffsetSeconds(tz, now),
    profile: {
      real_name: realName,
      real_name_normalized: realName,
      display_name: user.name,
      display_name_normalized: user.name,
      ...(user.email ? { email: user.email } : {}),
      team: slack.team.id,
      ...(user.is_bot ? { bot_id: slack.bot.botId, api_app_id: slack.bot.appId } : {}),
    },
    is_admin: user.is_admin ?? false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: user.is_bot ?? false,
    is_app_user: false,
    updated: Math.floor(now / 1000),
  };
}

export const SLACK_METHODS: Record<string, SlackMethod> = {
  'auth.test': ({ slack }) => ({
    url: `https://${slack.team.domain}.slack.com/`,
    team: slack.team.name,
    user: slack.bot.name,
    team_id: slack.team.id,
    user_id: slack.bot.userId,
    bot_id: slack.bot.botId,
    is_enterprise_install: false,
  }),

  'conversations.info': ({ slack, args }) => {
    const id = conversation(slack, optionalString(args, 'channel'));
    return {
      channel: {
        id, name: id.toLowerCase(), is_channel: id.startsWith('C'), is_group: id.startsWith('G'), is_im: id.startsWith('D'),
        is_private: !id.startsWith('C'), is_archived: false,
        is_member: slack.botChannels.size === 0 || slack.botChannels.has(id),
      },
    };
  },

  'chat.postMessage': ({ slack, args, now }) => {
    const channel = conversation(slack, optionalString(args, 'channel'));
    const blocks = messageBlocks(args);
    const text = messageText(args, blocks, true) ?? '';
    const threadTs = optionalString(args, 'thread_ts');
    const message: SlackStoredMessage = {
      channel, ts: nextMessageTs(slack, now), text, blocks: blocks ?? [], user: slack.bot.userId, bot_id: slack.bot.botId,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    slack.messages.set(messageKey(channel, message.ts), message);
    showMessage(slack, 'post', message, now);
    return { channel, ts: message.ts, message: messageJson(slack, message) };
  },

  'chat.update': ({ slack, args, now }) => {
    const channel = conversation(slack, optionalString(args, 'channel'));
    const ts = requiredString(args, 'ts');
    const message = slack.messages.get(messageKey(channel, ts));
    if (!message) throw new SlackApiError('message_not_found');
    const blocks = messageBlocks(args);
    const text = messageText(args, blocks, blocks === undefined);
    // As Slack does: blocks left out keep the message's blocks; [] removes them.
    if (blocks !== undefined) message.blocks = blocks;
    if (text !== undefined) message.text = text;
    message.edited = { user: slack.bot.userId, ts: nextMessageTs(slack, now) };
    showMessage(slack, 'update', message, now);
    return { channel, ts, text: message.text, message: messageJson(slack, message) };
  },

  'chat.postEphemeral': ({ slack, args, now }) => {
    const channel = conversation(slack, optionalString(args, 'channel'));
    const user = optionalString(args, 'user');
    if (user === undefined || !/^[UW][A-Z0-9]{2,}$/.test(user)) throw new SlackApiError('user_not_in_channel');
    const blocks = messageBlocks(args);
    const text = messageText(args, blocks, true) ?? '';
    const threadTs = optionalString(args, 'thread_ts');
    const messageTs = nextMessageTs(slack, now);
    slack.ephemerals.push({ channel, user, text, blocks: blocks ?? [], message_ts: messageTs, ...(threadTs ? { thread_ts: threadTs } : {}) });
    show(slack, { kind: 'ephemeral', at: now, channel, ts: messageTs, thread_ts: threadTs ?? null, user, text, blocks: blocks ?? [] });
    return { message_ts: messageTs };
  },

  'views.open': ({ slack, args, now }) => {
    const triggerId = optionalString(args, 'trigger_id') ?? optionalString(args, 'interactivity_pointer');
    if (triggerId === undefined) throw invalidArguments('[ERROR] missing required field: trigger_id [json-pointer:/trigger_id]');
    const view = viewArg(args, 'modal');
    const externalId = claimExternalId(slack, view);
    const stored: SlackStoredView = {
      id: nextSlackId(slack, 'V'), type: 'modal', view, hash: nextViewHash(slack, now), trigger_id: triggerId, updates: 0,
      ...(externalId ? { external_id: externalId } : {}),
    };
    slack.views.set(stored.id, stored);
    showView(slack, 'modal', stored, now);
    return { view: viewJson(slack, stored) };
  },

  'views.publish': ({ slack, args, now }) => {
    const userId = requiredString(args, 'user_id');
    const view = viewArg(args, 'home');
    // One App Home per user: publishing again replaces it under the same id.
    const existing = [...slack.views.values()].find((v) => v.type === 'home' && v.user_id === userId);
    if (existing) checkHash(existing, args);
    const externalId = claimExternalId(slack, view, existing);
    const hash = nextViewHash(slack, now);
    if (existing) Object.assign(existing, { view, hash, updates: existing.updates + 1 });
    const stored: SlackStoredView = existing ?? { id: nextSlackId(slack, 'V'), type: 'home', view, hash, user_id: userId, updates: 0 };
    if (externalId) stored.external_id = externalId;
    slack.views.set(stored.id, stored);
    showView(slack, 'home', stored, now);
    return { view: viewJson(slack, stored) };
  },

  'views.update': ({ slack, args, now }) => {
    const viewId = optionalString(args, 'view_id');
    const externalId = optionalString(args, 'external_id');
    if (viewId === undefined && externalId === undefined) throw invalidArguments('[ERROR] either view_id or external_id is required');
    const stored = viewId !== undefined ? slack.views.get(viewId) : findExternal(slack, externalId as string);
    if (!stored) throw new SlackApiError('not_found');
    checkHash(stored, args);
    const view = viewArg(args, stored.type);
    const newExternalId = claimExternalId(slack, view, stored);
    stored.view = view;
    stored.hash = nextViewHash(slack, now);
    stored.updates += 1;
    if (newExternalId) stored.external_id = newExternalId;
    showView(slack, 'view_update', stored, now);
    return { view: viewJson(slack, stored) };
  },

  'usergroups.users.list': ({ slack, args }) => {
    const members = slack.usergroups.get(requiredString(args, 'usergroup'));
    if (!members) throw new SlackApiError('no_such_subteam');
    return { users: [...members] };
  },

  'users.info': ({ slack, args, now }) => {
    const id = requiredString(args, 'user');
    const user = slack.users.get(id) ?? (id === slack.bot.userId ? { id, name: slack.bot.name, is_bot: true } : undefined);
    if (!user) throw new SlackApiError('user_not_found');
    return { user: userJson(slack, user, now) };
  },

  'files.getUploadURLExternal': ({ slack, args, origin, uploads }) => {
    const filename = requiredString(args, 'filename');
    const length = Number(requiredString(args, 'length'));
    if (!Number.isInteger(length) || length < 0) throw invalidArguments('[ERROR] must be an integer [json-pointer:/length]');
    if (length === 0) throw new SlackApiError('missing_argument');
    const id = nextSlackId(slack, 'F');
    const key = Buffer.from(`${slack.team.id}:${id}`).toString('base64url');
    uploads.set(key, id);
    slack.files.set(id, { id, name: filename, title: filename, length, data: null, channel: null, completed: false });
    return { upload_url: `${origin}/api/upload/v1/${key}`, file_id: id };
  },

  'files.completeUploadExternal': ({ slack, args, now }) => {
    const list = args.files;
    if (!Array.isArray(list) || list.length === 0) throw invalidArguments('[ERROR] missing required field: files [json-pointer:/files]');
    const files = list.map((entry, i) => {
      const id = typeof entry === 'object' && entry !== null ? (entry as Json).id : undefined;
      if (typeof id !== 'string') throw invalidArguments(`[ERROR] missing required field: id [json-pointer:/files/${i}/id]`);
      const file = slack.files.get(id);
      if (!file || file.data === null || file.completed) throw new SlackApiError('file_not_found');
      const title = (entry as Json).title;
      return { file, title: typeof title === 'string' && title !== '' ? title : file.name };
    });
    const target = optionalString(args, 'channel_id') ?? optionalString(args, 'channels')?.split(',')[0]?.trim();
    const channel = target === undefined ? null : conversation(slack, target, 'invalid_channel');
    const comment = optionalString(args, 'initial_comment');
    const threadTs = optionalString(args, 'thread_ts');
    let messageTs: string | undefined;
    if (channel !== null) {
      // Sharing posts a message carrying the files, as in Slack.
      messageTs = nextMessageTs(slack, now);
      const message: SlackStoredMessage = {
        channel, ts: messageTs, text: comment ?? '', blocks: [], user: slack.bot.userId, bot_id: slack.bot.botId,
        files: files.map(({ file }) => file.id), ...(threadTs ? { thread_ts: threadTs } : {}),
      };
      slack.messages.set(messageKey(channel, messageTs), message);
      showMessage(slack, 'file', message, now, {
        files: files.map(({ file, title }) => ({ id: file.id, name: file.name, title, bytes: file.data?.length ?? 0 })),
      });
    }
    for (const { file, title } of files) {
      Object.assign(file, {
        title, channel, completed: true,
        ...(comment !== undefined ? { initial_comment: comment } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(messageTs ? { message_ts: messageTs } : {}),
      });
    }
    return { files: files.map(({ file }) => ({ id: file.id, title: file.title })) };
  },
};
