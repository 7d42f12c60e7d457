import { describe, expect, it } from 'vitest';
import { asList, parseNestedParams } from '../../src/sandbox/http.ts';
import { RollingWindowLimiter } from '../../src/sandbox/rate-limit.ts';

const parse = (query: string) => parseNestedParams(new URLSearchParams(query).entries());

describe('Stripe-style parameters', () => {
  it('reads expand[]=, expand[0]= and a bare expand= as the same list', () => {
    expect(asList(parse('expand[]=a&expand[]=b').expand)).toEqual(['a', 'b']);
    expect(asList(parse('expand%5B0%5D=a&expand%5B1%5D=b').expand)).toEqual(['a', 'b']);
    expect(asList(parse('expand=a').expand)).toEqual(['a']);
  });

  it('reads nested keys into maps', () => {
    expect(parse('metadata[crm_id]=901&created[gte]=5&email=a%40b.c')).toEqual({ metadata: { crm_id: '901' }, created: { gte: '5' }, email: 'a@b.c' });
  });
});

describe('rolling-window limiter', () => {
  it('refuses past the limit within the window and frees a slot when the oldest request leaves it', () => {
    let now = 0;
    const limiter = new RollingWindowLimiter(2, 1_000, () => now);
    expect([limiter.take('k').allowed, limiter.take('k').allowed]).toEqual([true, true]);
    now = 400;
    expect(limiter.take('k')).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 600 });
    now = 1_000;
    expect(limiter.take('k')).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('counts each key on its own', () => {
    const limiter = new RollingWindowLimiter(1, 1_000, () => 0);
    expect([limiter.take('a').allowed, limiter.take('b').allowed, limiter.take('a').allowed]).toEqual([true, true, false]);
  });
});
