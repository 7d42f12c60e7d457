import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, hmacSha256Base64, hmacSha256Hex, timestampProblem, windowProblem } from '../../src/security/signature.ts';

describe('hmacSha256Hex', () => {
  it('matches RFC 4231 test case 2', () => {
    expect(hmacSha256Hex('Jefe', 'what do ya want ', 'for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('hashes buffers as bytes, the same as one string of them', () => {
    const bytes = Buffer.from('t=1,v1=abc', 'utf8');
    expect(hmacSha256Hex('s', '1.', bytes)).toBe(createHmac('sha256', 's').update('1.t=1,v1=abc').digest('hex'));
    expect(hmacSha256Base64('s', 'x')).toBe(createHmac('sha256', 's').update('x').digest('base64'));
  });
});

describe('constantTimeEqual', () => {
  it('is true only for the same text', () => {
    expect(constantTimeEqual('v0=abc', 'v0=abc')).toBe(true);
    expect(constantTimeEqual('v0=abd', 'v0=abc')).toBe(false);
    expect(constantTimeEqual('v0=ab', 'v0=abc')).toBe(false);
    expect(constantTimeEqual('', 'v0=abc')).toBe(false);
  });
});

describe('timestampProblem', () => {
  const now = 1_800_000_000_000;
  it('accepts a timestamp within the window either way', () => {
    expect(timestampProblem('1800000000', now, 300)).toBeNull();
    expect(timestampProblem('1799999700', now, 300)).toBeNull();
    expect(timestampProblem('1800000300', now, 300)).toBeNull();
  });

  it('names an old timestamp and one ahead of the clock', () => {
    expect(timestampProblem('1799999699', now, 300)).toBe('too_old');
    expect(timestampProblem('1800000301', now, 300)).toBe('in_the_future');
    expect(timestampProblem('1800000600', now, 300)).toBe('in_the_future');
  });

  it('refuses anything but digits', () => {
    for (const bad of ['', ' 1800000000', '1800000000.5', '-1', '0x6b49d200', '1e9', '9'.repeat(16)]) {
      expect(timestampProblem(bad, now, 300)).toBe('not_a_timestamp');
    }
  });
});

describe('windowProblem', () => {
  it('judges milliseconds as timestampProblem judges seconds, both ways', () => {
    const now = 1_700_000_000_000;
    expect(windowProblem(now - 300_000, now, 300_000)).toBeNull();
    expect(windowProblem(now - 300_001, now, 300_000)).toBe('too_old');
    expect(windowProblem(now + 300_001, now, 300_000)).toBe('in_the_future');
  });
});
