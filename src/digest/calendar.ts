/** Calendar days in a time zone, with the platform's Intl data: no date library needed for this. Pure. */

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(t: number, timeZone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day), h: Number(parts.hour), min: Number(parts.minute), s: Number(parts.second) };
}

/** "2026-11-23": the calendar day `t` falls on in `timeZone`. */
export function localDay(t: Date | number, timeZone: string): string {
  const { y, m, d } = wallClock(typeof t === 'number' ? t : t.getTime(), timeZone);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `t`, in milliseconds. */
function offsetAt(t: number, timeZone: string): number {
  const w = wallClock(t, timeZone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - Math.floor(t / 1000) * 1000;
}

/** The instant the calendar day `day` ("2026-11-23") begins in `timeZone` (midnight, or the first hour after a gap). */
export function startOfDay(day: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const midnightAsUtc = Date.UTC(y, m - 1, d);
  // Two passes settle the offset across a daylight-saving change on either side of midnight.
  let t = midnightAsUtc - offsetAt(midnightAsUtc, timeZone);
  t = midnightAsUtc - offsetAt(t, timeZone);
  // Where midnight does not exist (a gap at 00:00), the day starts at the first instant that is on it.
  for (let hours = 0; hours < 48; hours++, t += 3_600_000) {
    if (localDay(t, timeZone) === day) return new Date(t);
  }
  // A day the zone skipped altogether (Samoa, 2011-12-30): it begins and ends where the next one begins.
  return startOfDay(addDays(day, 1), timeZone);
}

/** The calendar day `days` after `day` ("2026-11-23" + 1 = "2026-11-24"). */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
