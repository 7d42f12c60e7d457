import { describe, expect, it } from 'vitest';
import { humanTime, isoTime, localTime, relativeTime } from '../../src/cli/time.ts';

const now = Date.parse('2026-12-02T11:14:00Z');

describe('one time format', () => {
  it('gives machines ISO 8601 in UTC', () => {
    expect(isoTime(new Date('2026-12-02T09:14:00+01:00'))).toBe('2026-12-02T08:14:00.000Z');
  });

  it('says how long ago in the largest unit that reads naturally', () => {
    expect([5_000, 40_000, 12 * 60_000, 3 * 3_600_000, 5 * 86_400_000].map((ms) => relativeTime(now - ms, now))).toEqual(['just now', '40 s ago', '12 min ago', '3 h ago', '5 d ago']);
  });

  it('says "in" for a moment to come', () => {
    expect(relativeTime(now + 2 * 3_600_000, now)).toBe('in 2 h');
  });

  it("shows the local wall-clock time with the zone's abbreviation", () => {
    expect(localTime('2026-12-02T08:14:00Z', 'Europe/Berlin')).toBe('2026-12-02 09:14 CET');
    expect(localTime('2026-07-02T08:14:00Z', 'Europe/Berlin')).toBe('2026-07-02 10:14 CEST');
    expect(localTime('2026-12-02T08:14:00Z', 'America/New_York')).toBe('2026-12-02 03:14 EST');
  });

  it('falls back to the offset for a zone without an English abbreviation', () => {
    expect(localTime('2026-12-02T08:14:00Z', 'Asia/Kolkata')).toBe('2026-12-02 13:44 GMT+5:30');
  });

  it('reads "3 h ago, 2026-12-02 09:14 CET" for people', () => {
    expect(humanTime('2026-12-02T08:14:00Z', now, 'Europe/Berlin')).toBe('3 h ago, 2026-12-02 09:14 CET');
  });
});
