import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SlackVerificationError, signSlackRequest, verifySlackRequest } from '../../src/slack/verify.ts';
import type { SlackVerificationCode } from '../../src/slack/verify.ts';
import { SPECS_DIR } from '../support/openapi-shape.ts';

const vector = JSON.parse(readFileSync(join(SPECS_DIR, 'slack/signature-vector.json'), 'utf8')) as {
  signing_secret: string; timestamp: number; body: string; signature: string;
};

/** The vector as a request, at the vector's own time, with any part changed. */
function request(change: { secret?: string; body?: string; timestamp?: string; signature?: string; nowSeconds?: number; headers?: { timestamp?: string; signature?: string } } = {}) {
  return {
    signingSecret: change.secret ?? vector.signing_secret,
    body: change.body ?? vector.body,
    headers: change.headers ?? { timestamp: change.timestamp ?? String(vector.timestamp), signature: change.signature ?? vector.signature },
    now: () => (change.nowSeconds ?? vector.timestamp) * 1000,
  };
}

function codeOf(run: () => void): SlackVerificationCode | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(SlackVerificationError);
    return (error as SlackVerificationError).code;
  }
}

describe('verifySlackRequest', () => {
  it("accepts Slack's documented example request", () => {
    expect(codeOf(() => verifySlackRequest(request()))).toBe('accepted');
  });

  it('rejects the example with one character of the body changed', () => {
    expect(codeOf(() => verifySlackRequest(request({ body: vector.body.replace('text=', 'text=x') })))).toBe('bad_signature');
  });

  it('rejects the example checked with another signing secret', () => {
    expect(codeOf(() => verifySlackRequest(request({ secret: `${vector.signing_secret}0` })))).toBe('bad_signature');
  });

  it('rejects a signature of the wrong length without comparing it', () => {
    expect(codeOf(() => verifySlackRequest(request({ signature: vector.signature.slice(0, -2) })))).toBe('bad_signature');
  });

  it('accepts a request exactly five minutes old, and rejects one 301 seconds old', () => {
    expect(codeOf(() => verifySlackRequest(request({ nowSeconds: vector.timestamp + 300 })))).toBe('accepted');
    expect(codeOf(() => verifySlackRequest(request({ nowSeconds: vector.timestamp + 301 })))).toBe('stale');
  });

  it('rejects a timestamp more than five minutes in the future, and one signed ten minutes ahead', () => {
    expect(codeOf(() => verifySlackRequest(request({ nowSeconds: vector.timestamp - 300 })))).toBe('accepted');
    expect(codeOf(() => verifySlackRequest(request({ nowSeconds: vector.timestamp - 301 })))).toBe('future');
    expect(codeOf(() => verifySlackRequest(request({ nowSeconds: vector.timestamp - 600 })))).toBe('future');
  });

  it('rejects a timestamp that is not a number of seconds', () => {
    expect(codeOf(() => verifySlackRequest(request({ timestamp: 'yesterday' })))).toBe('bad_timestamp');
    expect(codeOf(() => verifySlackRequest(request({ timestamp: '-1' })))).toBe('bad_timestamp');
    expect(codeOf(() => verifySlackRequest(request({ timestamp: '1e9' })))).toBe('bad_timestamp');
    expect(codeOf(() => verifySlackRequest(request({ timestamp: '9'.repeat(400) })))).toBe('bad_timestamp');
  });

  it('verifies the raw bytes of the body, not a decoded string of them', () => {
    const now = 1_800_000_000;
    const bytes = Buffer.from([0x70, 0x3d, 0xff, 0xfe, 0x80]);
    const headers = { timestamp: String(now), signature: signSlackRequest('secret', bytes, now) };
    expect(codeOf(() => verifySlackRequest({ signingSecret: 'secret', body: bytes, headers, now: () => now * 1000 }))).toBe('accepted');
    // Decoding would turn the invalid bytes into U+FFFD and change what was signed.
    expect(codeOf(() => verifySlackRequest({ signingSecret: 'secret', body: bytes.toString('utf8'), headers, now: () => now * 1000 }))).toBe('bad_signature');
  });

  it('rejects a request missing either header', () => {
    expect(codeOf(() => verifySlackRequest(request({ headers: { timestamp: String(vector.timestamp) } })))).toBe('missing_headers');
    expect(codeOf(() => verifySlackRequest(request({ headers: { signature: vector.signature } })))).toBe('missing_headers');
    expect(codeOf(() => verifySlackRequest(request({ headers: {} })))).toBe('missing_headers');
  });
});

describe('signSlackRequest', () => {
  it("reproduces Slack's documented signature", () => {
    expect(signSlackRequest(vector.signing_secret, vector.body, vector.timestamp)).toBe(vector.signature);
  });

  it('signs requests that verify at the time they were signed', () => {
    const now = 1_800_000_000;
    const body = 'payload=%7B%7D';
    const headers = { timestamp: String(now), signature: signSlackRequest('secret', body, now) };
    expect(codeOf(() => verifySlackRequest({ signingSecret: 'secret', body, headers, now: () => now * 1000 }))).toBe('accepted');
  });
});
