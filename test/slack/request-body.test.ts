import { describe, expect, it } from 'vitest';
import { parseSlackBody, SlackBodyError } from '../../src/slack/request-body.ts';

const form = 'application/x-www-form-urlencoded';
const json = 'application/json; charset=utf-8';
const bytes = (text: string) => Buffer.from(text, 'utf8');
const codeOf = (raw: Uint8Array, contentType: string | undefined) => {
  try {
    return parseSlackBody(raw, contentType).kind;
  } catch (error) {
    expect(error).toBeInstanceOf(SlackBodyError);
    return (error as SlackBodyError).code;
  }
};
const payload = (value: unknown) => bytes(`payload=${encodeURIComponent(JSON.stringify(value))}`);
const user = { id: 'U0ANNA' };

describe('parseSlackBody', () => {
  it('reads an event callback, keeping what Bolt needs', () => {
    const body = { type: 'event_callback', team_id: 'T1', event: { type: 'app_home_opened', user: 'U1', tab: 'home' } };
    expect(parseSlackBody(bytes(JSON.stringify(body)), json)).toEqual({ kind: 'dispatch', type: 'event:app_home_opened', body });
  });

  it('reads a slash command form as strings', () => {
    const parsed = parseSlackBody(bytes('command=%2Frecon&text=queue&user_id=U1&channel_id=C1'), form);
    expect(parsed).toEqual({ kind: 'dispatch', type: 'command', body: { command: '/recon', text: 'queue', user_id: 'U1', channel_id: 'C1' } });
  });

  it('reads block actions and view submissions from their payload', () => {
    expect(codeOf(payload({ type: 'block_actions', user, actions: [{ action_id: 'a', type: 'button' }] }), form)).toBe('dispatch');
    expect(codeOf(payload({ type: 'view_submission', user, view: { callback_id: 'v', state: { values: { b: { a: { type: 'plain_text_input' } } } } } }), form)).toBe('dispatch');
  });

  it('recognizes the handshake, the SSL check and a rate-limit notice', () => {
    expect(parseSlackBody(bytes('{"type":"url_verification","challenge":"abc"}'), json)).toEqual({ kind: 'url_verification', challenge: 'abc' });
    expect(codeOf(bytes('ssl_check=1&token=x'), form)).toBe('ssl_check');
    expect(codeOf(bytes('{"type":"app_rate_limited","minute_rate_limited":1}'), json)).toBe('ignored');
  });

  it('refuses bodies Slack does not send, each with its code', () => {
    expect(codeOf(bytes('{}'), 'text/plain')).toBe('unsupported_media_type');
    expect(codeOf(bytes('{}'), undefined)).toBe('unsupported_media_type');
    expect(codeOf(Buffer.from([0x7b, 0xff, 0x7d]), json)).toBe('not_utf8');
    expect(codeOf(bytes('{'), json)).toBe('invalid_json');
    expect(codeOf(bytes('null'), json)).toBe('not_an_object');
    expect(codeOf(bytes('[1]'), json)).toBe('not_an_object');
    expect(codeOf(bytes('{"type":"event_callback","event":{"type":"x","user":null}}'), json)).toBe('invalid_shape');
    expect(codeOf(bytes('{"type":"event_callback","event":{"type":"x","item":"C1"}}'), json)).toBe('invalid_shape');
    expect(codeOf(bytes('{"type":"mystery"}'), json)).toBe('unknown_type');
    expect(codeOf(bytes('payload=null'), form)).toBe('not_an_object');
    expect(codeOf(bytes('payload=%7B%7D&command=%2Frecon'), form)).toBe('invalid_form');
    expect(codeOf(bytes('command=%2Frecon&command=%2Fother&user_id=U1&channel_id=C1'), form)).toBe('invalid_form');
    expect(codeOf(payload({ type: 'constructor', user }), form)).toBe('unknown_type');
    expect(codeOf(payload({ type: 'block_actions', user, actions: [] }), form)).toBe('invalid_shape');
    expect(codeOf(payload({ type: 'block_actions', user: null, actions: [{ action_id: 'a', type: 'button' }] }), form)).toBe('invalid_shape');
    expect(codeOf(payload({ type: 'view_submission', user, view: { callback_id: 'v' } }), form)).toBe('invalid_shape');
    expect(codeOf(bytes('command=recon&user_id=U1&channel_id=C1'), form)).toBe('invalid_shape');
  });
});
