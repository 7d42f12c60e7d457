/**
 * What a verified request to `/slack/events` says, read defensively: only the bodies Slack sends
 * (Events API JSON, slash-command forms, `payload=` interactions) pass, each checked for the fields
 * Bolt and Recon's listeners read, so no shape reaches them that would throw. Pure: bytes in,
 * a value or a coded error out.
 */
import { z } from 'zod';

export type SlackRequestBody =
  /** The Events API's handshake: answered with the challenge, never dispatched. */
  | { kind: 'url_verification'; challenge: string }
  /** Slack checking the certificate of a slash command's URL. */
  | { kind: 'ssl_check' }
  /** Well formed, but nothing to act on (`app_rate_limited`). */
  | { kind: 'ignored'; type: string }
  /** An event, command or interaction for Bolt's listeners. */
  | { kind: 'dispatch'; type: string; body: Record<string, unknown> };

export type SlackBodyCode = 'unsupported_media_type' | 'not_utf8' | 'invalid_json' | 'invalid_form' | 'not_an_object' | 'unknown_type' | 'invalid_shape';

export class SlackBodyError extends Error {
  override readonly name = 'SlackBodyError';
  /** 415 for a content type Slack does not send, 400 for everything else. */
  readonly status: 400 | 415;
  constructor(readonly code: SlackBodyCode, message: string) {
    super(message);
    this.status = code === 'unsupported_media_type' ? 415 : 400;
  }
}

const id = z.string().min(1);
/**
 * A workspace or organization id (`T...`, `E...`). Bolt keys its client pools by them, so a name
 * such as `constructor` would reach Object.prototype; Slack's ids are upper case letters and digits.
 */
const workspaceId = z.string().regex(/^[A-Z0-9]{1,40}$/, 'expected a Slack workspace id');
const object = z.looseObject({});
/** Slack sends `team` and `enterprise` as null for org-wide installs; Bolt reads their ids when not null. */
const team = z.union([z.looseObject({ id: workspaceId.optional(), enterprise_id: workspaceId.optional() }), z.null()]);

const user = z.looseObject({ id, team_id: workspaceId.optional() });

const event = z.looseObject({
  type: id,
  // Bolt reads these to find the user and conversation: each is absent or has the shape it expects.
  user: z.union([z.string(), z.looseObject({ id: z.string() })]).optional(),
  channel: z.union([z.string(), object]).optional(),
  channel_id: z.string().optional(),
  item: object.optional(),
  subteam: object.optional(),
});

const eventCallback = z.looseObject({
  type: z.literal('event_callback'),
  event,
  team_id: workspaceId.optional(),
  enterprise_id: workspaceId.nullable().optional(),
  authorizations: z.array(z.looseObject({ team_id: workspaceId.nullable().optional(), enterprise_id: workspaceId.nullable().optional() })).optional(),
});

const action = z.looseObject({ action_id: z.string(), type: z.string(), block_id: z.string().optional(), value: z.string().optional() });

const interactionCommon = {
  user,
  team: team.optional(),
  enterprise: team.optional(),
  channel: z.looseObject({ id: z.string() }).optional(),
  // Bolt takes any body with `actions` for a block action, whatever its type.
  actions: z.array(action).optional(),
};

const view = z.looseObject({
  id: z.string().optional(), type: z.string().optional(), callback_id: z.string(), private_metadata: z.string().optional(), app_installed_team_id: workspaceId.optional(),
});

const INTERACTIONS = {
  block_actions: z.looseObject({
    type: z.literal('block_actions'),
    ...interactionCommon,
    trigger_id: z.string().optional(),
    actions: z.array(action).min(1),
    view: z.looseObject({ type: z.string().optional() }).optional(),
    message: object.optional(),
    container: object.optional(),
  }),
  view_submission: z.looseObject({
    type: z.literal('view_submission'),
    ...interactionCommon,
    view: view.extend({ state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), object)) }) }),
  }),
  view_closed: z.looseObject({ type: z.literal('view_closed'), ...interactionCommon, view }),
  shortcut: z.looseObject({ type: z.literal('shortcut'), ...interactionCommon, callback_id: z.string() }),
  message_action: z.looseObject({ type: z.literal('message_action'), ...interactionCommon, callback_id: z.string() }),
  block_suggestion: z.looseObject({ type: z.literal('block_suggestion'), ...interactionCommon, action_id: z.string(), block_id: z.string().optional() }),
} as const;

const command = z.looseObject({
  command: z.string().regex(/^\/\S+$/),
  text: z.string().optional(),
  user_id: id,
  channel_id: id,
  team_id: workspaceId.optional(),
  enterprise_id: workspaceId.optional(),
});

/** Reads a verified body: throws a `SlackBodyError` for anything Slack would not send. */
export function parseSlackBody(raw: Uint8Array, contentType: string | undefined): SlackRequestBody {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/json' && mediaType !== 'application/x-www-form-urlencoded') {
    throw new SlackBodyError('unsupported_media_type', `Slack sends application/json or application/x-www-form-urlencoded, not ${JSON.stringify(mediaType.slice(0, 60))}`);
  }
  const text = utf8(raw);
  return mediaType === 'application/json' ? eventsApiBody(text) : formBody(text);
}

function utf8(raw: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    throw new SlackBodyError('not_utf8', 'the body is not UTF-8');
  }
}

function jsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SlackBodyError('invalid_json', `${what} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SlackBodyError('not_an_object', `${what} is ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}, not an object`);
  }
  return parsed as Record<string, unknown>;
}

function shaped<S extends z.ZodType<Record<string, unknown>>>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.map(String).join('.') : '(root)';
  throw new SlackBodyError('invalid_shape', `${what}: ${where}: ${issue?.message ?? 'unexpected shape'}`);
}

function typeOf(body: Record<string, unknown>, what: string): string {
  if (typeof body.type !== 'string' || !body.type) throw new SlackBodyError('unknown_type', `${what} has no type`);
  return body.type;
}

/** The Events API: a JSON object with a `type`. */
function eventsApiBody(text: string): SlackRequestBody {
  const body = jsonObject(text, 'the body');
  const type = typeOf(body, 'the event body');
  switch (type) {
    case 'url_verification':
      if (typeof body.challenge !== 'string' || !body.challenge || body.challenge.length > 1_000) {
        throw new SlackBodyError('invalid_shape', 'url_verification without a challenge');
      }
      return { kind: 'url_verification', challenge: body.challenge };
    case 'event_callback': {
      const parsed = shaped(eventCallback, body, 'event_callback');
      return { kind: 'dispatch', type: `event:${parsed.event.type}`, body: parsed };
    }
    case 'app_rate_limited':
      return { kind: 'ignored', type };
    default:
      throw new SlackBodyError('unknown_type', `Slack sends no Events API body of type ${JSON.stringify(type.slice(0, 60))}`);
  }
}

/** A form: an interaction (`payload=` JSON), a slash command, or an SSL check. Each key once. */
function formBody(text: string): SlackRequestBody {
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, key)) throw new SlackBodyError('invalid_form', `the form repeats ${JSON.stringify(key.slice(0, 60))}`);
    fields[key] = value;
  }
  if (fields.ssl_check === '1') return { kind: 'ssl_check' };
  if (fields.payload !== undefined) {
    if (Object.keys(fields).length > 1) throw new SlackBodyError('invalid_form', 'an interaction form carries only its payload');
    const payload = jsonObject(fields.payload, 'the payload');
    const type = typeOf(payload, 'the payload');
    const schema = Object.hasOwn(INTERACTIONS, type) ? INTERACTIONS[type as keyof typeof INTERACTIONS] : undefined;
    if (!schema) throw new SlackBodyError('unknown_type', `Recon takes no interaction of type ${JSON.stringify(type.slice(0, 60))}`);
    return { kind: 'dispatch', type, body: shaped(schema as z.ZodType<Record<string, unknown>>, payload, type) };
  }
  if (fields.command !== undefined) return { kind: 'dispatch', type: 'command', body: shaped(command, fields, 'slash command') };
  throw new SlackBodyError('invalid_form', 'the form is neither an interaction, a slash command nor an SSL check');
}
