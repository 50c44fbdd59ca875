/** Whether a service is open at an instant, and when it next opens; opening times are UK local time. */
import { LOCAL_TIME_ZONE, wallClockToUtc } from '../../fhir/time.js';
import type { Day, DirectoryService, OpeningTime } from './model.js';

const WEEKDAYS: Day[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The local date (as a UTC-midnight ms) and minute of the day of an instant. */
function localClock(ms: number): { day: number; minute: number; weekday: Day } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: LOCAL_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const day = Date.UTC(get('year'), get('month') - 1, get('day'));
  return { day, minute: get('hour') * 60 + get('minute'), weekday: WEEKDAYS[new Date(day).getUTCDay()]! };
}

function sessionsOn(service: Pick<DirectoryService, 'openingTimes'>, weekday: Day): OpeningTime[] {
  return service.openingTimes.filter((t) => t.day === weekday);
}

export function isOpen(service: Pick<DirectoryService, 'openingTimes' | 'openAllHours'>, at: number): boolean {
  if (service.openAllHours) return true;
  const { minute, weekday } = localClock(at);
  return sessionsOn(service, weekday).some((t) => minutes(t.open) <= minute && minute < minutes(t.close));
}

/** The next opening after `at` within a week (UTC ms), or undefined. Bank holidays are not known here, so `BankHoliday` times are ignored. */
export function nextOpening(service: Pick<DirectoryService, 'openingTimes' | 'openAllHours'>, at: number): number | undefined {
  if (service.openAllHours) return at;
  const today = localClock(at);
  for (let offset = 0; offset <= 7; offset++) {
    const day = today.day + offset * 86_400_000;
    const weekday = WEEKDAYS[new Date(day).getUTCDay()]!;
    const starts = sessionsOn(service, weekday)
      .map((t) => minutes(t.open))
      .filter((m) => offset > 0 || m > today.minute)
      .sort((a, b) => a - b);
    if (starts.length) return wallClockToUtc(day + starts[0]! * 60_000);
  }
  return undefined;
}
