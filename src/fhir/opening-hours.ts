/**
 * Whether a service is open at an instant, and when it next opens, from its weekly sessions in UK
 * wall-clock time (Europe/London: the same "09:00" is 08:00Z in summer and 09:00Z in winter). Shared
 * by the spine's directory (src/spine/directory/opening.ts) and the consumer's DoS client, which
 * reads DoS `rotaSessions`. Pure: the language's Date and Intl only.
 */
import { LOCAL_TIME_ZONE, wallClockToUtc } from './time.js';

export type SessionDay = 'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun' | 'BankHoliday';

/** One weekly session: `open` and `close` are "HH:MM"; `close` may be "24:00" (midnight). */
export interface WeeklySession {
  day: SessionDay;
  open: string;
  close: string;
}

/**
 * A session on one UK date (DoS `openTimeSpecified`): on a date that has any, they replace the weekly
 * sessions and the 24/7 flag; `00:00`–`00:00` alone means closed all day.
 */
export interface DatedSession {
  /** YYYY-MM-DD, UK local date. */
  date: string;
  open: string;
  close: string;
}

export interface WeeklyHours {
  openingTimes: WeeklySession[];
  openAllHours?: boolean;
  dated?: DatedSession[];
}

const WEEKDAYS: SessionDay[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY_MS = 86_400_000;

// Building an Intl.DateTimeFormat costs far more than using one; a search judges every candidate.
const UK_CLOCK = new Intl.DateTimeFormat('en-GB', {
  timeZone: LOCAL_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

interface Clock {
  day: number;
  minute: number;
  weekday: SessionDay;
}

// A directory search judges every candidate at the same instant: the last answer is kept for the next call.
let last: { ms: number; clock: Clock } | undefined;

/** The UK local date (as UTC midnight, ms), minute of the day and weekday of an instant. */
function localClock(ms: number): Clock {
  if (last?.ms === ms) return last.clock;
  const parts = UK_CLOCK.formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const day = Date.UTC(get('year'), get('month') - 1, get('day'));
  const clock = { day, minute: get('hour') * 60 + get('minute'), weekday: WEEKDAYS[new Date(day).getUTCDay()]! };
  last = { ms, clock };
  return clock;
}

// BankHoliday sessions never match a weekday: neither side knows the bank holiday calendar.
const sessionsOn = (hours: WeeklyHours, weekday: SessionDay): WeeklySession[] =>
  hours.openingTimes.filter((t) => t.day === weekday);

/** The sessions of one local day (UTC midnight ms): its dated ones if any, else 'all' for 24/7, else the weekday's. */
function sessionsOfDay(
  hours: WeeklyHours,
  day: number,
  weekday: SessionDay,
): { open: string; close: string }[] | 'all' {
  if (hours.dated?.length) {
    const date = new Date(day).toISOString().slice(0, 10);
    const dated = hours.dated.filter((d) => d.date === date);
    if (dated.length) return dated.filter((d) => !(d.open === '00:00' && d.close === '00:00'));
  }
  return hours.openAllHours ? 'all' : sessionsOn(hours, weekday);
}

/** True when `at` (UTC ms) falls in one of the sessions (open ≤ now < close). */
export function isOpen(hours: WeeklyHours, at: number): boolean {
  if (hours.openAllHours && !hours.dated?.length) return true;
  const { day, minute, weekday } = localClock(at);
  const sessions = sessionsOfDay(hours, day, weekday);
  return sessions === 'all' || sessions.some((t) => minutesOf(t.open) <= minute && minute < minutesOf(t.close));
}

/** The next opening after `at` within a week (UTC ms), or undefined when there is no weekly session. */
export function nextOpening(hours: WeeklyHours, at: number): number | undefined {
  if (hours.openAllHours && !hours.dated?.length) return at;
  const today = localClock(at);
  for (let offset = 0; offset <= 7; offset++) {
    const day = today.day + offset * DAY_MS;
    const weekday = WEEKDAYS[new Date(day).getUTCDay()]!;
    const sessions = sessionsOfDay(hours, day, weekday);
    if (sessions === 'all') return offset === 0 ? at : wallClockToUtc(day);
    const starts = sessions
      .map((t) => minutesOf(t.open))
      .filter((m) => offset > 0 || m > today.minute)
      .sort((a, b) => a - b);
    if (starts.length) return wallClockToUtc(day + starts[0]! * 60_000);
  }
  return undefined;
}
