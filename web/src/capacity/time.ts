/**
 * UK local time (Europe/London) for the capacity pages. The rota manager thinks in wall-clock times
 * ("block this morning 08:00–12:00"); the admin API takes UTC instants. The zone arithmetic is the
 * server's own (src/fhir/time.ts, bundled into the web app), so both sides agree across the clock
 * changes: the start of a range takes a repeated time's earliest meaning and its end the latest, and
 * a missing time means the moment the clocks went forward.
 */
import { LOCAL_TIME_ZONE, wallClockAt, wallClockInstant } from '../../../src/fhir/time.js';

export const ZONE = LOCAL_TIME_ZONE;

const DAY = 86_400_000;

export const isDate = (text: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) &&
  !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
  new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);
/** A wall-clock time as people type it: 08:00 or 8:00 (24:00 for the end of the day). */
export const isTime = (text: string) => /^([01]?\d|2[0-3]):[0-5]\d$|^24:00$/.test(text.trim());
/** A time as the provider keeps it, two-digit hours: 8:00 → 08:00 (anything else as typed). */
export const normaliseTime = (text: string) => (isTime(text) ? text.trim().padStart(5, '0') : text.trim());

/**
 * The UTC instant (ISO text) of a London date and wall-clock time (`HH:MM`, `24:00` for the end of the
 * day). `edge` says which meaning a time that happens twice takes: the earliest for the start of a
 * range, the latest for its end.
 */
export function londonInstant(date: string, time: string, edge: 'start' | 'end' = 'start'): string {
  if (!isDate(date) || !isTime(time)) throw new Error(`${date} ${time} is not a date and a time`);
  time = normaliseTime(time);
  const wall = Date.UTC(
    Number(date.slice(0, 4)),
    Number(date.slice(5, 7)) - 1,
    Number(date.slice(8, 10)),
    Number(time.slice(0, 2)),
    Number(time.slice(3, 5)),
  );
  return new Date(wallClockInstant(wall, ZONE, edge === 'start' ? 'earliest' : 'latest')).toISOString();
}

/** The London date (YYYY-MM-DD) of an instant; today when none is given. */
export function londonDate(iso?: string): string {
  return new Date(wallClockAt(iso ? Date.parse(iso) : Date.now(), ZONE)).toISOString().slice(0, 10);
}

/** The London wall-clock time (HH:MM) of an instant. */
export function londonTime(iso: string): string {
  return new Date(wallClockAt(Date.parse(iso), ZONE)).toISOString().slice(11, 16);
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

/** "Tue 1 Dec 2026, 08:00" in London (UK) time. */
export function when(iso: string): string {
  const day = new Date(iso).toLocaleDateString('en-GB', {
    timeZone: ZONE,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  });
  return `${day}, ${londonTime(iso)}`;
}
