/** The journey's two ends: an appointment booked, or a referral sent without a booking. */
import type { RefObject } from 'react';
import type { Slot } from './api';
import { when } from './format';

export function BookedStep({
  heading,
  serviceName,
  slot,
  appointmentId,
  appointmentUrl,
  nhsNumber,
  onShowBookings,
  onRestart,
}: {
  heading: RefObject<HTMLHeadingElement | null>;
  serviceName: string;
  slot: Slot;
  appointmentId: string;
  appointmentUrl: string;
  /** The patient's NHS number as entered; without one their bookings cannot be looked up. */
  nhsNumber: string;
  onShowBookings: (nhsNumber: string) => void;
  onRestart: () => void;
}) {
  return (
    <>
      <div className="nhsuk-panel nhsuk-panel--confirmation" role="status">
        <h1 className="nhsuk-panel__title" ref={heading} tabIndex={-1}>
          Appointment booked
        </h1>
        <div className="nhsuk-panel__body">
          {serviceName}, {when(slot.start)}
          <br />
          Reference <strong>{appointmentId}</strong>
        </div>
      </div>
      <p>
        Appointment: <code>{appointmentUrl}</code>
      </p>
      <p>The referral document has been completed with this appointment's address.</p>
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
