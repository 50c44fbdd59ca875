/**
 * Free slots to choose from (for a booking, and for a rebooking on the bookings page): earliest first,
 * so those within the time frame lead; grouped by day, a few times a day with "show more"; filters for
 * the time of day, the type of appointment and the site when they vary; and each time says what sets
 * it apart (site, who, type) where that varies. Slots alike in every way the call handler can see are
 * one choice ("2 free"), not a button each.
 */
import { useId, useMemo, useState } from 'react';
import type { Slot } from './api';
import { clock, day, time } from './format';

/** Times shown per day before "show more", and days shown before "show later days". */
export const TIMES_PER_DAY = 8;
export const DAYS_SHOWN = 3;

type Period = 'morning' | 'afternoon' | 'evening';
const PERIODS: [Period, string][] = [
  ['morning', 'Morning (before midday)'],
  ['afternoon', 'Afternoon (midday to 6pm)'],
  ['evening', 'Evening (6pm to midnight)'],
];
const periodOf = (iso: string): Period => {
  const { hour } = clock(iso);
  return hour < 12 ? 'morning' : hour < 18 ? 'afternoon' : 'evening';
};

const NOT_GIVEN_CHANNEL = 'Type not given';
const NOT_GIVEN_SITE = 'Site not given';
const channelOf = (s: Slot) => s.deliveryChannel ?? NOT_GIVEN_CHANNEL;
const siteOf = (s: Slot) =>
  s.location?.name ?? s.location?.address ?? (s.service?.name ? `${s.service.name} (no site given)` : NOT_GIVEN_SITE);
const whoOf = (s: Slot) => [s.practitioner?.name, s.role].filter(Boolean).join(', ') || 'Practitioner not given';

/** A choice: one slot standing for all those alike in time, type, site and who. */
interface Choice {
  slot: Slot;
  alike: number;
}

function choices(slots: Slot[]): Choice[] {
  const byKey = new Map<string, Choice>();
  const sorted = [...slots].sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.id.localeCompare(b.id));
  for (const s of sorted) {
    const key = [s.start, s.end, channelOf(s), siteOf(s), whoOf(s), s.breachMinutes ? 'late' : ''].join('|');
    const seen = byKey.get(key);
    if (seen) seen.alike += 1;
    else byKey.set(key, { slot: s, alike: 1 });
  }
  return [...byKey.values()];
}

const distinct = (values: string[]) => [...new Set(values)].sort();

function Filter(props: {
  id: string;
  label: string;
  value: string;
  options: [string, string][];
  onChange: (v: string) => void;
}) {
  return (
    <div className="nhsuk-form-group">
      <label className="nhsuk-label" htmlFor={props.id}>
        {props.label}
      </label>
      <select
        className="nhsuk-select"
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      >
        <option value="">Any</option>
        {props.options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

export function SlotPicker(props: { slots: Slot[]; onPick: (s: Slot) => void; busy?: boolean }) {
  const id = useId();
  const [period, setPeriod] = useState('');
  const [channel, setChannel] = useState('');
  const [site, setSite] = useState('');
  const [openDays, setOpenDays] = useState<Set<string>>(new Set());
  const [allDays, setAllDays] = useState(false);

  const channels = useMemo(() => distinct(props.slots.map(channelOf)), [props.slots]);
  const sites = useMemo(() => distinct(props.slots.map(siteOf)), [props.slots]);
  const people = useMemo(() => distinct(props.slots.map(whoOf)), [props.slots]);
  const periods = useMemo(() => new Set(props.slots.map((s) => periodOf(s.start))), [props.slots]);

  const shown = props.slots.filter(
    (s) =>
      (!period || periodOf(s.start) === period) &&
      (!channel || channelOf(s) === channel) &&
      (!site || siteOf(s) === site),
  );
  const days = new Map<string, Choice[]>();
  for (const c of choices(shown)) days.set(day(c.slot.start), [...(days.get(day(c.slot.start)) ?? []), c]);
  const dayList = [...days];
  const visibleDays = allDays ? dayList : dayList.slice(0, DAYS_SHOWN);
  const filtered = !!(period || channel || site);

  /** What sets a slot apart from the others offered, in words: only what varies. */
  const apart = (s: Slot) =>
    [
      channels.length > 1 ? channelOf(s) : '',
      sites.length > 1 ? siteOf(s) : '',
      people.length > 1 ? whoOf(s) : '',
    ].filter(Boolean);

  return (
    <>
      {(periods.size > 1 || channels.length > 1 || sites.length > 1) && (
        <fieldset className="nhsuk-fieldset sb-slot-filters">
          <legend className="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Filter the slots</legend>
          <div className="sb-inline-fields">
            {periods.size > 1 && (
              <Filter
                id={`${id}-period`}
                label="Time of day"
                value={period}
                options={PERIODS.filter(([p]) => periods.has(p))}
                onChange={setPeriod}
              />
            )}
            {channels.length > 1 && (
              <Filter
                id={`${id}-channel`}
                label="Type of appointment"
                value={channel}
                options={channels.map((c) => [c, c])}
                onChange={setChannel}
              />
            )}
            {sites.length > 1 && (
              <Filter
                id={`${id}-site`}
                label="Site"
                value={site}
                options={sites.map((c) => [c, c])}
                onChange={setSite}
              />
            )}
          </div>
        </fieldset>
      )}
      <p role="status" className="sb-muted">
        {filtered
          ? `${shown.length} of ${props.slots.length} free slots match the filters.`
          : `${props.slots.length} free slots, earliest first.`}
      </p>
      {filtered && shown.length === 0 && (
        <button
          className="nhsuk-button nhsuk-button--secondary"
          type="button"
          onClick={() => (setPeriod(''), setChannel(''), setSite(''))}
        >
          Clear the filters
        </button>
      )}
      {visibleDays.map(([d, list]) => {
        const open = openDays.has(d);
        const visible = open ? list : list.slice(0, TIMES_PER_DAY);
        const free = list.reduce((n, c) => n + c.alike, 0);
        return (
          <section className="sb-slot-day" key={d} aria-label={d}>
            <h3>
              {d} <span className="sb-muted nhsuk-body-s">({free} free)</span>
            </h3>
            <ul className="sb-slot-list">
              {visible.map(({ slot: s, alike }) => {
                const details = apart(s);
                const extra = [
                  ...(alike > 1 ? [`${alike} free`] : []),
                  ...(s.breachMinutes ? ['After the time frame'] : []),
                ];
                // The accessible name is the visible text in order, with the day before it and the type of
                // appointment after it when that is the same for all: "Friday 5 December at 10am, Telephone,
                // Riverside Clinic, 2 free".
                const name = [
                  `${day(s.start)} at ${time(s.start)}`,
                  ...details,
                  ...extra,
                  ...(channels.length > 1 ? [] : [s.deliveryChannel ?? 'type not given']),
                ].join(', ');
                return (
                  <li key={s.id}>
                    <button
                      className="nhsuk-button nhsuk-button--secondary sb-slot-button"
                      type="button"
                      disabled={props.busy}
                      onClick={() => props.onPick(s)}
                      aria-label={name}
                    >
                      <span className="sb-slot-time">{time(s.start)}</span>
                      {/* The spaces keep the words apart in the text an accessibility check reads. */}
                      {details.map((t) => (
                        <span className="sb-slot-detail" key={t}>
                          {' '}
                          {t}
                        </span>
                      ))}
                      {extra.map((t) => (
                        <span
                          className={`sb-slot-detail${t === 'After the time frame' ? ' sb-slot-late' : ''}`}
                          key={t}
                        >
                          {' '}
                          {t}
                        </span>
                      ))}
                    </button>
                  </li>
                );
              })}
            </ul>
            {list.length > TIMES_PER_DAY && (
              <button
                className="nhsuk-button nhsuk-button--secondary sb-show-more"
                type="button"
                aria-expanded={open}
                onClick={() =>
                  setOpenDays((o) => {
                    const next = new Set(o);
                    if (open) next.delete(d);
                    else next.add(d);
                    return next;
                  })
                }
              >
                {open ? `Show fewer times on ${d}` : `Show all ${list.length} times on ${d}`}
              </button>
            )}
          </section>
        );
      })}
      {dayList.length > DAYS_SHOWN && !allDays && (
        <button className="nhsuk-button nhsuk-button--secondary" type="button" onClick={() => setAllDays(true)}>
          Show later days ({dayList.length - DAYS_SHOWN} more)
        </button>
      )}
    </>
  );
}
