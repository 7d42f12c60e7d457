import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/jobs/in-flight.ts';

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('work in flight', () => {
  it('hands back what the work returns', async () => {
    expect(await new InFlight().run(() => later(1, 42))).toBe(42);
  });

  it('drains by waiting for work under way to finish', async () => {
    const inFlight = new InFlight();
    let finished = false;
    void inFlight.run(() => later(20, null).then(() => (finished = true)));
    expect(await inFlight.drain(5_000)).toBe(0);
    expect(finished).toBe(true);
  });

  it('counts a failed piece of work as finished', async () => {
    const inFlight = new InFlight();
    inFlight.run(() => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(await inFlight.drain(1_000)).toBe(0);
  });

  it('gives up at the deadline and says how much was still running', async () => {
    const inFlight = new InFlight();
    let release: () => void = () => {};
    void inFlight.run(() => new Promise<void>((resolve) => (release = resolve)));
    expect(await inFlight.drain(10)).toBe(1);
    release();
  });

  it('waits for work started while draining', async () => {
    const inFlight = new InFlight();
    let second = false;
    void inFlight.run(async () => {
      await later(5, null);
      void inFlight.run(() => later(10, null).then(() => (second = true)));
    });
    await inFlight.drain(5_000);
    expect(second).toBe(true);
  });
});
