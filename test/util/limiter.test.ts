import { describe, expect, it, vi } from 'vitest';
import { combineLimiters, createRateLimiter } from '../../src/util/limiter.ts';

/** A clock that only moves when someone sleeps. */
function fakeClock(start = 0) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('rate limiter', () => {
  it('lets a full window of requests through without waiting', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 3, perMs: 1000, marginMs: 0, clock });
    for (let i = 0; i < 3; i++) await limiter.take();
    expect(clock.sleeps).toEqual([]);
  });

  it('makes the request past the limit wait until the oldest one leaves the window', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 2, perMs: 1000, marginMs: 0, clock });
    await limiter.take();
    clock.advance(300);
    await limiter.take();
    await limiter.take();
    expect(clock.now()).toBe(1000);
  });

  it('counts a slot from when its response arrived, once released', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 1, perMs: 1000, marginMs: 0, clock });
    const release = await limiter.take();
    clock.advance(400); // the request was held up, or slow to answer
    release();
    await limiter.take();
    expect(clock.now()).toBe(1400);
  });

  it('never lets more than the limit into any rolling window', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 5, perMs: 1000, marginMs: 0, clock });
    const sent: number[] = [];
    for (let i = 0; i < 23; i++) {
      await limiter.take();
      sent.push(clock.now());
      clock.advance(i % 3 === 0 ? 70 : 10);
    }
    for (const start of sent) expect(sent.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
  });

  it('widens the window by the safety margin', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 1, perMs: 1000, marginMs: 50, clock });
    await limiter.take();
    await limiter.take();
    expect(clock.now()).toBe(1050);
  });

  it('serves concurrent callers one at a time in arrival order', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 1, perMs: 100, marginMs: 0, clock });
    const order: string[] = [];
    await Promise.all(['a', 'b', 'c'].map((name) => limiter.take().then(() => order.push(`${name}@${clock.now()}`))));
    expect(order).toEqual(['a@0', 'b@100', 'c@200']);
  });

  it('holds every caller back while paused after a 429', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 100, perMs: 10_000, clock });
    limiter.pauseFor(2000);
    await limiter.take();
    expect(clock.now()).toBe(2000);
  });

  it('books the requests other apps used when the vendor reports fewer remaining', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 10, perMs: 1000, marginMs: 0, clock });
    await limiter.take();
    limiter.observeRemaining(1);
    await limiter.take();
    expect(clock.sleeps).toEqual([]);
    await limiter.take();
    expect(clock.now()).toBe(1000);
  });

  it('refuses a limit that allows no request', () => {
    expect(() => createRateLimiter({ requests: 0, perMs: 1000 })).toThrow(/at least 1 request/);
  });
});

describe('combined limiters', () => {
  it('wait for the strictest of their limits', async () => {
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    const endpoint = createRateLimiter({ requests: 1, perMs: 1000, marginMs: 0, clock });
    const account = createRateLimiter({ requests: 100, perMs: 1000, marginMs: 0, clock });
    const both = combineLimiters(endpoint, account);
    await both.take();
    await both.take();
    expect(now).toBe(1000);
  });

  it('pause together', async () => {
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    const endpoint = createRateLimiter({ requests: 10, perMs: 1000, clock });
    const account = createRateLimiter({ requests: 10, perMs: 1000, clock });
    combineLimiters(endpoint, account).pauseFor(500);
    await account.take();
    expect(now).toBe(500);
  });
});

describe('rate limiter priorities', () => {
  it('serves a person ahead of background callers already waiting', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const limiter = createRateLimiter({ requests: 2, perMs: 1000, marginMs: 0 });
      await limiter.take();
      await limiter.take();
      const order: string[] = [];
      const background = limiter.take().then(() => order.push(`background@${Date.now()}`));
      const person = limiter.take('interactive').then(() => order.push(`person@${Date.now()}`));
      await vi.advanceTimersByTimeAsync(3000);
      await Promise.all([background, person]);
      expect(order).toEqual(['person@1000', 'background@1000']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a share of a long window free for people while a cycle fills it', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 100, perMs: 10_000, marginMs: 0, backgroundBurst: Infinity, clock });
    for (let i = 0; i < 98; i++) await limiter.take();
    await limiter.take('interactive');
    expect(clock.now()).toBe(0);
    await limiter.take();
    expect(clock.now()).toBe(10_000);
  });

  it('lets a cycle fill its share of every long window at once while no person is about', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 100, perMs: 10_000, marginMs: 0, clock });
    const sent: number[] = [];
    for (let i = 0; i < 200; i++) {
      await limiter.take();
      sent.push(clock.now());
    }
    expect(sent.slice(0, 98)).toEqual(Array(98).fill(0));
    expect(sent.slice(98, 196)).toEqual(Array(98).fill(10_000));
    expect(sent.slice(196)).toEqual(Array(4).fill(20_000));
  });

  it('paces background callers on a long window after a short burst once a person has asked', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 100, perMs: 10_000, marginMs: 0, clock });
    await limiter.take('interactive');
    const sent: number[] = [];
    for (let i = 0; i < 30; i++) {
      await limiter.take();
      sent.push(clock.now());
    }
    // Ten at once, then one every 10,000 ms ÷ the 98 slots background callers may fill.
    expect(sent.slice(0, 10)).toEqual(Array(10).fill(0));
    const gaps = sent.slice(10).map((t, i) => t - (sent[9 + i] as number));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(100);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(103);
  });

  it('bursts again once no person has asked for a window', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 100, perMs: 10_000, marginMs: 0, clock });
    await limiter.take('interactive');
    clock.advance(20_000);
    for (let i = 0; i < 98; i++) await limiter.take();
    expect(clock.now()).toBe(20_000);
  });

  /** A cycle taking slots as fast as the limiter gives them until `until`; returns how many it sent. */
  async function cycleUntil(limiter: ReturnType<typeof createRateLimiter>, until: number): Promise<number> {
    let sent = 0;
    while (Date.now() < until) {
      const release = await limiter.take();
      sent++;
      release();
    }
    return sent;
  }

  /** A decision's calls, one after another, `at` ms from now: how long each waited for its slot. */
  async function decisionAt(limiter: ReturnType<typeof createRateLimiter>, at: number, calls: number): Promise<number[]> {
    await new Promise((resolve) => setTimeout(resolve, at));
    const waits: number[] = [];
    for (let i = 0; i < calls; i++) {
      const asked = Date.now();
      const release = await limiter.take('interactive');
      waits.push(Date.now() - asked);
      release();
    }
    return waits;
  }

  it("gives a person's first call a kept slot at once while a cycle bursts at the limit", async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const limiter = createRateLimiter({ requests: 100, perMs: 10_000, marginMs: 0 });
      const cycle = cycleUntil(limiter, 60_000);
      const person = decisionAt(limiter, 34_567, 1);
      await vi.advanceTimersByTimeAsync(61_000);
      expect(await person).toEqual([0]);
      await cycle;
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets every call of a person in within a tenth of a second once the cycle has been paced for a window', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const limiter = createRateLimiter({ requests: 100, perMs: 10_000, marginMs: 0 });
      const cycle = cycleUntil(limiter, 60_000);
      // Someone keeps asking now and then from 20 s on, so people stay about.
      const others = Promise.all(Array.from({ length: 8 }, (_, i) => decisionAt(limiter, 20_000 + i * 5_000, 1)));
      // A decision's calls, one after another: more than the slots kept free for people.
      const person = decisionAt(limiter, 34_567, 6);
      await vi.advanceTimersByTimeAsync(61_000);
      expect(Math.max(...(await person))).toBeLessThanOrEqual(110);
      await others;
      // The cycle still ran near the limit: its share of six windows, less the pacing's first window and the people's calls.
      expect(await cycle).toBeGreaterThanOrEqual(98 * 5);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps no reserve where the window is a second or less', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requests: 25, perMs: 1000, marginMs: 0, clock });
    for (let i = 0; i < 25; i++) await limiter.take();
    expect(clock.sleeps).toEqual([]);
  });
});
