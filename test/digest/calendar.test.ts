import { describe, expect, it } from 'vitest';
import { addDays, localDay, startOfDay } from '../../src/digest/calendar.ts';

describe('calendar days in a time zone', () => {
  it('puts late evening in New York on that day, though it is already the next day in UTC', () => {
    expect(localDay(new Date('2026-11-24T03:00:00Z'), 'America/New_York')).toBe('2026-11-23');
  });

  it('starts a winter day in Berlin at 23:00 UTC the day before', () => {
    expect(startOfDay('2026-11-23', 'Europe/Berlin').toISOString()).toBe('2026-11-22T23:00:00.000Z');
  });

  it('starts a summer day in Berlin at 22:00 UTC the day before', () => {
    expect(startOfDay('2026-07-01', 'Europe/Berlin').toISOString()).toBe('2026-06-30T22:00:00.000Z');
  });

  it('gives the day clocks spring forward only 23 hours', () => {
    const length = startOfDay('2026-03-30', 'Europe/Berlin').getTime() - startOfDay('2026-03-29', 'Europe/Berlin').getTime();
    expect(length).toBe(23 * 3_600_000);
  });

  it('gives the day clocks fall back 25 hours', () => {
    const length = startOfDay('2026-11-02', 'America/New_York').getTime() - startOfDay('2026-11-01', 'America/New_York').getTime();
    expect(length).toBe(25 * 3_600_000);
  });

  it('starts a day whose midnight does not exist at the first hour that does', () => {
    // Santiago skips from 00:00 to 01:00 when summer time begins on 2026-09-06.
    const start = startOfDay('2026-09-06', 'America/Santiago');
    expect(localDay(start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDay(start.getTime() - 1, 'America/Santiago')).toBe('2026-09-05');
  });

  it('adds days across a month end', () => {
    expect(addDays('2026-11-29', 3)).toBe('2026-12-02');
  });
});

describe('a day a time zone skipped', () => {
  it('has no length: Samoa went from 2011-12-29 straight to 2011-12-31', () => {
    const skipped = startOfDay('2011-12-30', 'Pacific/Apia');
    expect(skipped.getTime()).toBe(startOfDay('2011-12-31', 'Pacific/Apia').getTime());
  });
});
