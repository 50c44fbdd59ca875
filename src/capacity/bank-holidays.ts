/**
 * UK bank holidays per region, for rotas that close on them. The dates come from the `date-holidays`
 * package (GB-ENG, GB-SCT, GB-NIR: the statutory rules, substitute days and the one-off days such as
 * the 2022 jubilee, the 2022 state funeral and the 2023 coronation), read as gov.uk lists them: a
 * day that falls on a Saturday or Sunday is not itself a bank holiday (its substitute, the next
 * free weekday, is), so only weekdays are listed. test/capacity/rota-plan.test.ts checks the
 * answers against gov.uk's lists for 2025–2027 and the one-off days since 2022.
 */
import Holidays from 'date-holidays';
import { BANK_HOLIDAY_REGIONS, FIRST_YEAR, LAST_YEAR, type BankHolidayRegion } from './schemas.js';

// Declared with the admin API's schemas, which name the regions and years a client may ask for.
export { BANK_HOLIDAY_REGIONS, FIRST_YEAR, LAST_YEAR, type BankHolidayRegion };

/** The package's state codes within GB (England and Wales share one list). */
const STATE: Record<BankHolidayRegion, string> = {
  'england-and-wales': 'ENG',
  scotland: 'SCT',
  'northern-ireland': 'NIR',
};

export interface BankHoliday {
  /** Local date, YYYY-MM-DD. */
  date: string;
  name: string;
}

export function isBankHolidayRegion(value: unknown): value is BankHolidayRegion {
  return typeof value === 'string' && (BANK_HOLIDAY_REGIONS as readonly string[]).includes(value);
}

const calendars = new Map<BankHolidayRegion, Holidays>();
const byYear = new Map<string, BankHoliday[]>();
const dateSets = new Map<string, Set<string>>();

/** The region's bank holidays in a year, in date order. */
export function bankHolidays(region: BankHolidayRegion, year: number): BankHoliday[] {
  if (!isBankHolidayRegion(region)) throw new Error(`unknown bank holiday region ${String(region)}`);
  if (!Number.isInteger(year) || year < FIRST_YEAR || year > LAST_YEAR)
    throw new Error(`bank holidays are known for ${FIRST_YEAR}–${LAST_YEAR}, not ${year}`);
  const key = `${region}/${year}`;
  let list = byYear.get(key);
  if (!list) {
    let calendar = calendars.get(region);
    if (!calendar) {
      calendar = new Holidays('GB', STATE[region]);
      calendars.set(region, calendar);
    }
    const seen = new Set<string>();
    list = [];
    for (const h of calendar.getHolidays(year)) {
      if (h.type !== 'public' && h.type !== 'bank') continue;
      const date = h.date.slice(0, 10);
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      if (weekday === 0 || weekday === 6 || seen.has(date)) continue;
      seen.add(date);
      list.push({ date, name: h.name });
    }
    list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    byYear.set(key, list);
  }
  return list.map((h) => ({ ...h }));
}

/** Whether a local date (YYYY-MM-DD) is a bank holiday in the region; dates outside the known years are not. */
export function isBankHoliday(region: BankHolidayRegion, date: string): boolean {
  const year = Number(date.slice(0, 4));
  if (!(year >= FIRST_YEAR && year <= LAST_YEAR)) return false;
  const key = `${region}/${year}`;
  let set = dateSets.get(key);
  if (!set) {
    set = new Set(bankHolidays(region, year).map((h) => h.date));
    dateSets.set(key, set);
  }
  return set.has(date);
}
