/**
 * Times on the wire (fs_times): instants carry an offset, any offset is accepted and converted, and
 * everything is stored and emitted in UTC as `YYYY-MM-DDThh:mm:ss.sssZ` (fixed width, so stored
 * values sort as text on both SQLite and PostgreSQL). Wall-clock times in a zone (UK local time by
 * default) are converted here too. The web app bundles this module as well, so it uses nothing but
 * the language (Date, Intl): no Node module.
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The zone assumed for a search dateTime that carries no offset (a UK provider's local time). */
export const LOCAL_TIME_ZONE = 'Europe/London';

export function toUtcText(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * `Date.UTC` for any year: `Date.UTC` itself reads the years 0–99 as 1900–1999, so `0050-01-01`
 * would become 1950.
 */
export function utcMs(y: number, mo = 0, d = 1, h = 0, mi = 0, s = 0, ms = 0): number {
  // 400 Gregorian years are exactly 146,097 days: shift the year out of 0–99 and back.
  if (y >= 0 && y < 100) return Date.UTC(y + 400, mo, d, h, mi, s, ms) - 146_097 * 86_400_000;
  return Date.UTC(y, mo, d, h, mi, s, ms);
}

/**
 * The instants `toUtcText` writes with a four-digit year, `0000-01-01T00:00:00.000Z` up to (not
 * including) `10000-01-01T00:00:00.000Z`. Stored times are all in this range, and only inside it do
 * texts sort as the instants they name: outside it the year is written `-000001` or `+010000`, which
 * sorts before every four-digit year. Search bounds beyond it are therefore never compared as text
 * (src/fhir/search.ts, `textBoundsOf`).
 */
export const FIRST_TEXT_MS = utcMs(0);
export const END_OF_TEXT_MS = utcMs(10000);

function offsetMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const [h, m] = zone.slice(1).split(':').map(Number);
  return sign * (h * 60 + m);
}

function validCalendar(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const days = new Date(utcMs(y, mo, 0)).getUTCDate();
  return d <= days;
}

/** A FHIR instant (seconds and zone required); undefined when it is not one. */
export function parseInstant(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  if (!validCalendar(y, mo, d, h, mi, s)) return undefined;
  const frac = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const zone = m[8];
  const off = offsetMinutes(zone);
  if (Math.abs(off) > 14 * 60) return undefined;
  return utcMs(y, mo - 1, d, h, mi, s, frac) - off * 60_000;
}

/** One formatter per zone: making one per call was most of the cost of generating a large rota. */
const zoneFormats = new Map<string, Intl.DateTimeFormat>();
function zoneFormat(zone: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short', // the year before 1 AD is "1 BC": without the era it would read as the year 1
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zoneFormats.set(zone, f);
  }
  return f;
}

/** The zone's wall clock at an instant, as the UTC milliseconds of the same fields (whole seconds). */
export function wallClockAt(at: number, zone = LOCAL_TIME_ZONE): number {
  let y = 0,
    mo = 0,
    d = 0,
    h = 0,
    mi = 0,
    s = 0,
    bc = false;
  for (const p of zoneFormat(zone).formatToParts(new Date(at))) {
    switch (p.type) {
      case 'era':
        bc = p.value === 'BC';
        break;
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value);
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
    }
  }
  return utcMs(bc ? 1 - y : y, mo - 1, d, h, mi, s);
}

/** Minutes east of UTC of `zone` at the instant `at` (UTC milliseconds). */
export function zoneOffsetAt(at: number, zone: string): number {
  return Math.round((wallClockAt(at, zone) - Math.floor(at / 1000) * 1000) / 60_000);
}

/** Converts a wall-clock time in `zone` to a UTC instant. */
export function wallClockToUtc(wallAsUtcMs: number, zone = LOCAL_TIME_ZONE): number {
  const first = wallAsUtcMs - zoneOffsetAt(wallAsUtcMs, zone) * 60_000;
  return wallAsUtcMs - zoneOffsetAt(first, zone) * 60_000;
}

/**
 * The UTC instant of a wall-clock time in `zone` as a person means it, whatever the clocks do that
 * day. Across a clock change a wall-clock time can happen twice (01:00–02:00 on the last Sunday of
 * October in the UK) or not at all (01:00–02:00 on the last Sunday of March): one that happens twice
 * takes its `earliest` or `latest` meaning (the start of a range wants the first, its end the last),
 * and one that does not happen is the moment the clocks went forward across it.
 */
export function wallClockInstant(
  wallAsUtcMs: number,
  zone = LOCAL_TIME_ZONE,
  meaning: 'earliest' | 'latest' = 'earliest',
): number {
  // No zone changes its offset twice within a day, so the offsets a day either side are the only candidates.
  const offsets = [...new Set([zoneOffsetAt(wallAsUtcMs - DAY_MS, zone), zoneOffsetAt(wallAsUtcMs + DAY_MS, zone)])];
  const meanings = offsets.map((o) => wallAsUtcMs - o * MINUTE_MS).filter((t) => wallClockAt(t, zone) === wallAsUtcMs);
  if (meanings.length) return meaning === 'earliest' ? Math.min(...meanings) : Math.max(...meanings);
  // The time does not exist that day: the clocks went forward across it. Find the minute they did.
  let low = wallAsUtcMs - Math.max(...offsets) * MINUTE_MS;
  let high = wallAsUtcMs - Math.min(...offsets) * MINUTE_MS;
  while (high - low > MINUTE_MS) {
    const mid = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (wallClockAt(mid, zone) < wallAsUtcMs) low = mid;
    else high = mid;
  }
  return high;
}

/** The half-open range [low, high) of UTC milliseconds that a (possibly partial) FHIR dateTime covers. */
export interface TimeRange {
  low: number;
  high: number;
}

/**
 * Parses a search dateTime value of any precision (`2019`, `2019-05`, `2019-05-09`,
 * `2019-05-09T10:00`, `2019-05-09T10:00:00.000+01:00` …) into the range it stands for.
 * A value without an offset is local UK time. A space where the offset's `+` was (what a `+` in an
 * unencoded query string becomes) is read as `+`.
 */
export function parseSearchDateTime(raw: string): TimeRange | undefined {
  const text = raw.replace(/ (\d{2}:\d{2})$/, '+$1');
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : undefined;
  const d = m[3] ? Number(m[3]) : undefined;
  const h = m[4] !== undefined ? Number(m[4]) : undefined;
  const mi = m[5] !== undefined ? Number(m[5]) : undefined;
  const s = m[6] !== undefined ? Number(m[6]) : undefined;
  const frac = m[7];
  const zone = m[8];
  if (!validCalendar(y, mo ?? 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0)) return undefined;
  if (zone && Math.abs(offsetMinutes(zone)) > 14 * 60) return undefined;

  let lowWall: number;
  let highWall: number;
  if (mo === undefined) {
    lowWall = utcMs(y, 0, 1);
    highWall = utcMs(y + 1, 0, 1);
  } else if (d === undefined) {
    lowWall = utcMs(y, mo - 1, 1);
    highWall = utcMs(y, mo, 1);
  } else if (h === undefined) {
    lowWall = utcMs(y, mo - 1, d);
    highWall = utcMs(y, mo - 1, d + 1);
  } else if (s === undefined) {
    lowWall = utcMs(y, mo - 1, d, h, mi);
    highWall = lowWall + 60_000;
  } else if (!frac) {
    lowWall = utcMs(y, mo - 1, d, h, mi, s);
    highWall = lowWall + 1000;
  } else {
    const digits = frac.length - 1;
    const ms = Math.floor(Number(`0${frac}`) * 1000);
    lowWall = utcMs(y, mo - 1, d, h, mi, s, ms);
    highWall = lowWall + (digits >= 3 ? 1 : 10 ** (3 - digits));
  }
  if (zone) {
    const off = offsetMinutes(zone) * 60_000;
    return { low: lowWall - off, high: highWall - off };
  }
  return { low: wallClockToUtc(lowWall), high: wallClockToUtc(highWall) };
}

/** A FHIR date (YYYY-MM-DD, or partial YYYY / YYYY-MM) that names a real day. */
export function isFhirDate(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text);
  if (!m) return false;
  return validCalendar(Number(m[1]), m[2] ? Number(m[2]) : 1, m[3] ? Number(m[3]) : 1);
}

/** A FHIR dateTime (any precision; a time needs a zone). */
export function parseDateTime(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (/T/.test(text) && !/(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  return parseSearchDateTime(text)?.low;
}
