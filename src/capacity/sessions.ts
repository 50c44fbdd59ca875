/**
 * Sessions: a rota's sitting on one local day (its start to its end, in the rota's time zone) is a
 * session, as in a GP system's "morning surgery". A release rule's per-session cap counts the
 * bookings in the session a slot falls in. A slot outside every rota's sitting (seeded, or squeezed
 * in outside rota hours) belongs to no session, so only the per-day cap applies to it.
 */
import { wallClockToUtc } from '../fhir/time.js';
import { WEEKDAYS, type Rota } from './rota.js';

export interface Session {
  rotaId: string;
  /** UTC instants, [from, to). */
  from: string;
  to: string;
  /** Local wall-clock times, for people. */
  label: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  return f;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The session (of one of `rotas`, all of the slot's schedule) a slot starting at `start` falls in. */
export function sessionOf(rotas: readonly Rota[], start: string): Session | undefined {
  const ms = Date.parse(start);
  for (const rota of rotas) {
    const parts = Object.fromEntries(formatter(rota.timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    const date = `${parts.year}-${parts.month}-${parts.day}`;
    if (!rota.days.includes(parts.weekday as (typeof WEEKDAYS)[number])) continue;
    if (date < rota.effectiveFrom || (rota.effectiveTo && date > rota.effectiveTo)) continue;
    const minute = Number(parts.hour) * 60 + Number(parts.minute);
    const from = minutesOf(rota.start);
    const to = minutesOf(rota.end);
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
