/**
 * The front desk's "Are you sure …?" page (NHS.UK pattern: what will happen to whom, a warning button
 * and "No, go back") before a move that is hard to take back: cancel (final: the slot is freed),
 * no-show and fulfilled (each correctable afterwards, docs/capacity.md). Hazard H-002 in
 * docs/clinical-safety.md.
 */
import { useEffect, useRef } from 'react';
import { SummaryList } from '../components';
import type { DayBooking } from './api';
import { londonTime, longDate } from './time';

/** The moves that ask first; arrived and the corrections happen at once and can be corrected again. */
export const CONFIRMED_MOVES = ['cancelled', 'noshow', 'fulfilled'];

const TEXT: Record<string, { question: (who: string) => string; effect: string; button: string }> = {
  cancelled: {
    question: (who) => `Are you sure you want to cancel ${who}'s appointment?`,
    effect:
      'The slot is freed and offered to other patients, and the service that booked sees the appointment cancelled. ' +
      'A cancellation cannot be undone: to see the patient after all, they are booked again.',
    button: 'Yes, cancel the appointment',
  },
  noshow: {
    question: (who) => `Are you sure you want to mark ${who} as a no-show?`,
    effect:
      'The service that booked sees that the patient did not attend. If the patient arrives after all, ' +
      'correct it to arrived.',
    button: 'Yes, mark as a no-show',
  },
  fulfilled: {
    question: (who) => `Are you sure you want to mark ${who}'s appointment as fulfilled?`,
    effect:
      'The appointment is recorded as done, and the service that booked sees it fulfilled. If the patient ' +
      'has not been seen yet, correct it to arrived.',
    button: 'Yes, mark as fulfilled',
  },
};

export function FrontDeskConfirm({
  booking,
  move,
  services,
  day,
  busy,
  onConfirm,
  onBack,
}: {
  booking: DayBooking;
  move: string;
  /** The services of the booking's schedule, in words. */
  services: string;
  day: string;
  busy: boolean;
  onConfirm: () => void;
  onBack: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const text = TEXT[move]!;
  const who = booking.patientName ?? 'this patient';
  const nhs = booking.nhsNumber?.replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3');
  return (
    <form onSubmit={(e) => (e.preventDefault(), onConfirm())} noValidate>
      <span className="nhsuk-caption-l">Front desk</span>
      <h1 ref={heading} tabIndex={-1}>
        {text.question(who)}
      </h1>
      <SummaryList
        rows={[
          ['Patient', `${booking.patientName ?? 'Name not given'}${nhs ? ` (NHS number ${nhs})` : ''}`],
          ['Service', services],
          ['Date and time', `${longDate(day)} at ${londonTime(booking.start)}`],
          ['Status now', booking.status === 'noshow' ? 'no-show' : booking.status],
        ]}
      />
      <p>{text.effect}</p>
      <button className="nhsuk-button nhsuk-button--warning" type="submit" disabled={busy}>
        {text.button}
      </button>
      <p>
        <a href="#" onClick={(e) => (e.preventDefault(), onBack())}>
          No, go back
        </a>
      </p>
    </form>
  );
}
