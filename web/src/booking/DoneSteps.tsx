/**
 * The journey's two ends: an appointment booked, or a referral sent without a booking. The booking's
 * confirmation is written to be read out to the patient: the service, the address, the date and time
 * in words, a short reference the provider can find, and what happens next.
 */
import type { RefObject } from 'react';
import { SummaryList } from '../components';
import type { Slot } from './api';
import { day, time, when } from './format';

/** "3F2A9C1B" as it is read out: two groups of four. */
export const spaced = (reference: string) => reference.replace(/^(.{4})(.+)$/, '$1 $2');

const whereOf = (slot: Slot) =>
  slot.location ? [slot.location.name, slot.location.address].filter(Boolean).join(', ') : undefined;

/** What the patient should do next, by the type of appointment. */
function nextSteps(slot: Slot, serviceName: string): string[] {
  const at = `${day(slot.start)} at ${time(slot.start)}`;
  const where = whereOf(slot);
  const channel = (slot.deliveryChannel ?? '').toLowerCase();
  const first =
    channel === 'telephone'
      ? `${serviceName} will phone the patient on the number they gave, on ${at}. They should keep their phone with them and switched on.`
      : channel === 'video'
        ? `${serviceName} will contact the patient with how to join the video call, for ${at}.`
        : channel === 'in-person'
          ? `The patient should go to ${where ?? serviceName} on ${at}, and take a list of any medicines they take.`
          : `${serviceName} did not say whether this is in person, by phone or by video: ` +
            `it will contact the patient about their appointment on ${at}.`;
  return [
    first,
    'If they cannot make it, they should contact the service, giving the reference, so the time can go to someone else.',
    'If their symptoms get worse before then, they should call 111. In an emergency, call 999.',
  ];
}

export function BookedStep({
  heading,
  serviceName,
  slot,
  appointmentId,
  reference,
  appointmentUrl,
  nhsNumber,
  onShowBookings,
  onRestart,
}: {
  heading: RefObject<HTMLHeadingElement | null>;
  serviceName: string;
  slot: Slot;
  appointmentId: string;
  /** The short reference (src/consumer/choosing.ts shortReference); the appointment id's first 8 characters. */
  reference?: string;
  appointmentUrl: string;
  /** The patient's NHS number as entered; without one their bookings cannot be looked up. */
  nhsNumber: string;
  onShowBookings: (nhsNumber: string) => void;
  onRestart: () => void;
}) {
  const ref = spaced(
    reference ??
      appointmentId
        .replace(/[^0-9a-z]/gi, '')
        .slice(0, 8)
        .toUpperCase(),
  );
  const where = whereOf(slot);
  const rows: [string, string][] = [
    ['Service', serviceName],
    ['Address', where ?? 'Not given by the service'],
    ['Date', day(slot.start)],
    ['Time', `${time(slot.start)} to ${time(slot.end)}`],
    ['Type of appointment', slot.deliveryChannel ?? 'Not given by the service'],
  ];
  if (slot.practitioner?.name || slot.role)
    rows.push(['With', [slot.practitioner?.name, slot.role].filter(Boolean).join(', ')]);
  rows.push(['Reference', ref]);
  return (
    <>
      <div className="nhsuk-panel nhsuk-panel--confirmation" role="status">
        <h1 className="nhsuk-panel__title" ref={heading} tabIndex={-1}>
          Appointment booked
        </h1>
        <div className="nhsuk-panel__body">
          {serviceName}
          <br />
          {when(slot.start)}
          <br />
          Reference <strong className="sb-reference">{ref}</strong>
        </div>
      </div>
      <h2>Tell the patient</h2>
      <div className="nhsuk-inset-text sb-read-out">
        <span className="nhsuk-u-visually-hidden">To read out: </span>
        <p>
          Your appointment is with {serviceName}
          {where ? `, ${where},` : ''} on {when(slot.start)}. Your reference is {ref}.
        </p>
      </div>
      <SummaryList rows={rows} />
      <h2>What happens next</h2>
      <ul className="nhsuk-list nhsuk-list--bullet">
        {nextSteps(slot, serviceName).map((t) => (
          <li key={t}>{t}</li>
        ))}
      </ul>
      <p>The referral document has been completed with this appointment’s address.</p>
      <details className="nhsuk-details">
        <summary className="nhsuk-details__summary">
          <span className="nhsuk-details__summary-text">Technical details</span>
        </summary>
        <div className="nhsuk-details__text">
          <p>
            Appointment id <code>{appointmentId}</code>
          </p>
          <p>
            Appointment <code>{appointmentUrl}</code>
          </p>
        </div>
      </details>
      <div className="sb-service-actions">
        {nhsNumber && (
          <button
            className="nhsuk-button nhsuk-button--secondary"
            type="button"
            onClick={() => onShowBookings(nhsNumber.replace(/\s/g, ''))}
          >
            See the patient's bookings
          </button>
        )}
        <button className="nhsuk-button" type="button" onClick={onRestart}>
          Start a new booking
        </button>
      </div>
    </>
  );
}

export function ReferredStep({
  heading,
  serviceName,
  onRestart,
}: {
  heading: RefObject<HTMLHeadingElement | null>;
  serviceName: string;
  onRestart: () => void;
}) {
  return (
    <>
      <div className="nhsuk-panel nhsuk-panel--confirmation" role="status">
        <h1 className="nhsuk-panel__title" ref={heading} tabIndex={-1}>
          Referral sent without a booking
        </h1>
        <div className="nhsuk-panel__body">{serviceName}</div>
      </div>
      <button className="nhsuk-button" type="button" onClick={onRestart}>
        Start a new booking
      </button>
    </>
  );
}
