/**
 * Sessions: a rota's sitting on one local day (its start to its end, in the rota's time zone) is a
 * session, as in a GP system's "morning surgery". A release rule's per-session cap counts the
 * bookings in the session a slot falls in. A slot outside every rota's sitting (seeded, or squeezed
 * in outside rota hours) belongs to no session, so only the per-day cap applies to it.
 */
import { wallClockAt, wallClockToUtc } from '../fhir/time.js';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Minutes after midnight of a wall-clock time, HH:MM. */
export const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When a rota sits, as `rota.content` holds it: what sessions need of a rota. src/capacity/rota.ts's
 * Rota (slot length, channel, bank holidays, who and where) has all of these.
 */
export interface RotaSitting {
  id: string;
  days: readonly Weekday[];
  /** Local wall-clock times, HH:MM. */
  start: string;
  end: string;
  /** Local dates, YYYY-MM-DD; `effectiveTo` inclusive. */
  effectiveFrom: string;
  effectiveTo?: string;
  timeZone: string;
}

export interface Session {
  rotaId: string;
  /** UTC instants, [from, to). */
  from: string;
  to: string;
  /** Local wall-clock times, for people. */
  label: string;
}

/** The session (of one of `rotas`, all of the slot's schedule) a slot starting at `start` falls in. */
export function sessionOf(rotas: readonly RotaSitting[], start: string): Session | undefined {
  const ms = Date.parse(start);
  for (const rota of rotas) {
    const wall = new Date(wallClockAt(ms, rota.timeZone));
    const date = wall.toISOString().slice(0, 10);
    if (!rota.days.includes(WEEKDAYS[(wall.getUTCDay() + 6) % 7]!)) continue;
    if (date < rota.effectiveFrom || (rota.effectiveTo && date > rota.effectiveTo)) continue;
    const minute = wall.getUTCHours() * 60 + wall.getUTCMinutes();
    const from = minutes(rota.start);
    const to = minutes(rota.end);
    if (minute < from || minute >= to) continue;
    const midnight = Date.parse(`${date}T00:00:00Z`);
    return {
      rotaId: rota.id,
      from: new Date(wallClockToUtc(midnight + from * 60_000, rota.timeZone)).toISOString(),
      to: new Date(wallClockToUtc(midnight + to * 60_000, rota.timeZone)).toISOString(),
      label: `${rota.id} ${date} ${rota.start}–${rota.end}`,
    };
  }
  return undefined;
}
