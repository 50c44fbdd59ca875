/** Free slots grouped by day, a button each (for a booking, and for a rebooking on the bookings page). */
import type { Slot } from './api';
import { day, time, when } from './format';

export function SlotPicker(props: { slots: Slot[]; onPick: (s: Slot) => void; busy?: boolean }) {
  const days = new Map<string, Slot[]>();
  for (const s of props.slots) days.set(day(s.start), [...(days.get(day(s.start)) ?? []), s]);
  return (
    <>
      {[...days].map(([d, slots]) => (
        <section className="sb-slot-day" key={d} aria-label={d}>
          <h3>{d}</h3>
          <ul className="sb-slot-list">
            {slots.map((s) => (
              <li key={s.id}>
                <button
                  className="nhsuk-button nhsuk-button--secondary sb-slot-button"
                  type="button"
                  disabled={props.busy}
                  onClick={() => props.onPick(s)}
                  aria-label={`${when(s.start)}, ${s.deliveryChannel ?? 'type not given'}`}
                >
                  {time(s.start)}
                  {s.breachMinutes ? ' *' : ''}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}
