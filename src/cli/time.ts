/**
 * One way to show a moment, for every command: ISO 8601 UTC for machines (`--json`), and for
 * people how long ago plus the local wall-clock time, `3 h ago, 2026-12-02 09:14 CET`. Pure: the
 * clock and the time zone are arguments.
 */

/** `2026-12-02T08:14:00.000Z`: what `--json` prints for every moment. */
export function isoTime(at: Date | string | number): string {
  return new Date(at).toISOString();
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `just now`, `40 s ago`, `12 min ago`, `3 h ago`, `5 d ago`; `in 2 h` for a moment to come. */
export function relativeTime(at: Date | string | number, now: number): string {
  const ms = now - new Date(at).getTime();
  const span = Math.abs(ms);
  if (span < 10_000) return 'just now';
  const amount =
    span < 90_000 ? `${Math.round(span / 1000)} s`
    : span < 90 * MINUTE ? `${Math.round(span / MINUTE)} min`
    : span < 36 * HOUR ? `${Math.round(span / HOUR)} h`
    : `${Math.round(span / DAY)} d`;
  return ms >= 0 ? `${amount} ago` : `in ${amount}`;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function format(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    });
    formats.set(key, f);
  }
  return f;
}

/**
 * `2026-12-02 09:14 CET` in `timeZone`. The zone's abbreviation comes from whichever English
 * locale knows one (British English knows CET, American English EST); else its offset, `GMT+5:30`.
 */
export function localTime(at: Date | string | number, timeZone: string): string {
  const date = new Date(at);
  let zone = '';
  let parts: Intl.DateTimeFormatPart[] = [];
  for (const locale of ['en-GB', 'en-US']) {
    parts = format(locale, timeZone).formatToParts(date);
    zone = parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (!/^GMT[+-]/.test(zone)) break;
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${zone}`.trimEnd();
}

/** What a person reads in a table: `3 h ago, 2026-12-02 09:14 CET`. */
export function humanTime(at: Date | string | number, now: number, timeZone: string): string {
  return `${relativeTime(at, now)}, ${localTime(at, timeZone)}`;
}

/** The time zone tables are shown in: `TZ` when set, else the system's. */
export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
