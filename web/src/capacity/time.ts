/**
 * UK local time (Europe/London) for the capacity pages. The rota manager thinks in wall-clock times
 * ("block this morning 08:00–12:00"); the admin API takes UTC instants. Across the clock changes a
 * wall-clock time can be missing (01:00–02:00 on the last Sunday of March) or happen twice (01:00–02:00
 * on the last Sunday of October), so the start of a range takes its earliest meaning and the end its
 * latest, and a missing time means the moment the clocks went forward.
 */
export const ZONE = 'Europe/London';

const MINUTE = 60_000;
const DAY = 86_400_000;

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The London wall clock at an instant, as milliseconds of a UTC date with the same fields. */
function wallClockAt(ms: number): number {
  const p = Object.fromEntries(parts.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
}

/** Minutes London is ahead of UTC at an instant (0 in winter, 60 in summer). */
export function offsetMinutes(ms: number): number {
  return Math.round((wallClockAt(Math.floor(ms / 1000) * 1000) - Math.floor(ms / 1000) * 1000) / MINUTE);
}

export const isDate = (text: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) &&
  !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
  new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);
export const isTime = (text: string) => /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/.test(text);

/**
 * The UTC instant (ISO text) of a London date and wall-clock time (`HH:MM`, `24:00` for the end of the
 * day). `edge` says which meaning a time that happens twice takes: the earliest for the start of a
 * range, the latest for its end.
 */
export function londonInstant(date: string, time: string, edge: 'start' | 'end' = 'start'): string {
  if (!isDate(date) || !isTime(time)) throw new Error(`${date} ${time} is not a date and a time`);
  const wall = Date.UTC(
    Number(date.slice(0, 4)),
    Number(date.slice(5, 7)) - 1,
    Number(date.slice(8, 10)),
    Number(time.slice(0, 2)),
    Number(time.slice(3, 5)),
  );
  const offsets = [...new Set([offsetMinutes(wall - DAY), offsetMinutes(wall + DAY)])];
  const meanings = offsets.map((o) => wall - o * MINUTE).filter((t) => wallClockAt(t) === wall);
  if (meanings.length) return new Date(edge === 'start' ? Math.min(...meanings) : Math.max(...meanings)).toISOString();
  // The time does not exist today: the clocks went forward across it. Find the minute they did.
  let low = wall - Math.max(...offsets) * MINUTE;
  let high = wall - Math.min(...offsets) * MINUTE;
  while (high - low > MINUTE) {
    const mid = low + Math.floor((high - low) / 2 / MINUTE) * MINUTE;
    if (wallClockAt(mid) < wall) low = mid;
    else high = mid;
  }
  return new Date(high).toISOString();
}

/** The London date (YYYY-MM-DD) of an instant; today when none is given. */
export function londonDate(iso?: string): string {
  return new Date(wallClockAt(iso ? Date.parse(iso) : Date.now())).toISOString().slice(0, 10);
}

/** The London wall-clock time (HH:MM) of an instant. */
export function londonTime(iso: string): string {
  return new Date(wallClockAt(Date.parse(iso))).toISOString().slice(11, 16);
}

/** A date so many days after another (calendar days, whatever the clocks do). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** "Tuesday 1 December 2026". */
export function longDate(date: string): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'UTC',
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    })
      .formatToParts(new Date(`${date}T12:00:00Z`))
      .map((x) => [x.type, x.value]),
  );
  return `${p.weekday} ${p.day} ${p.month} ${p.year}`;
}

/** "Tue 1 Dec 2026, 08:00" in London time. */
export function when(iso: string): string {
  return `${new Date(iso).toLocaleDateString('en-GB', { timeZone: ZONE, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })}, ${londonTime(iso)}`;
}
