/**
 * The patient's bookings made from this service, by NHS number: cancel one, or rebook it on another
 * slot. Neither happens on one click (hazards H-001 and H-002, docs/clinical-safety.md):
 * - cancel asks "Are you sure …?" naming the patient, the service, the date and time;
 * - rebook goes through the booking's own steps: the slots (SlotsStep.tsx, marked against the time
 *   frame of the assessment the booking was made for), then the check page (ConfirmStep.tsx) with the
 *   clinician's approval when the new slot is outside the time frame, and what will be cancelled.
 */
import { useEffect, useRef, useState } from 'react';
import { Field, SummaryList } from '../components';
import { api, ApiError, type Booking, type Slot } from './api';
import { ConfirmStep } from './ConfirmStep';
import { when } from './format';
import { SlotsStep } from './SlotsStep';

const uuid = () => crypto.randomUUID();

type View =
  | { name: 'list' }
  | { name: 'cancel'; booking: Booking }
  | { name: 'slots'; booking: Booking; slots: Slot[]; frame?: string }
  | { name: 'check'; booking: Booking; slots: Slot[]; frame?: string; slot: Slot };

const nhsSpaced = (n: string) => n.replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3');

/** Whom and what an action is about: the patient, the service, the date and time. */
function BookingDetails({ booking, nhsNumber }: { booking: Booking; nhsNumber: string }) {
  return (
    <SummaryList
      rows={[
        ['Patient', `${booking.patientName} (NHS number ${nhsSpaced(nhsNumber)})`],
        ['Service', booking.serviceName],
        ['Date and time', when(booking.start)],
      ]}
    />
  );
}

export function BookingsPage(props: { nhsNumber: string }) {
  const [nhs, setNhs] = useState(props.nhsNumber);
  const [shownFor, setShownFor] = useState('');
  const [bookings, setBookings] = useState<Booking[] | undefined>();
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const [view, setView] = useState<View>({ name: 'list' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [reason, setReason] = useState('');
  const [approved, setApproved] = useState(false);
  const encounterId = useRef(uuid()).current;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (view.name !== 'list') heading.current?.focus();
  }, [view.name]);

  const load = async (number = nhs) => {
    setBusy(true);
    try {
      const digits = number.replace(/\s/g, '');
      setBookings((await api.bookings(digits)).bookings);
      setShownFor(digits);
    } catch (err) {
      setMessage({ kind: 'error', text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (props.nhsNumber) void load(props.nhsNumber);
  }, [props.nhsNumber]);

  /** Runs a change; the outcome is said on the list, which shows the bookings as they are now. */
  const act = async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    try {
      const said = await fn();
      setMessage({ kind: 'ok', text: said });
      setView({ name: 'list' });
      await load(shownFor);
    } catch (err) {
      setError((err as Error).message);
      if (err instanceof ApiError && err.code === 'slot-gone' && view.name === 'check')
        setView({
          ...view,
          name: 'slots',
          slots: err.body.nextSlots ?? view.slots.filter((s) => s.id !== view.slot.id),
        });
    } finally {
      setBusy(false);
    }
  };

  const startRebook = async (booking: Booking) => {
    setBusy(true);
    setMessage(undefined);
    setError(undefined);
    try {
      // The slots are marked against the time frame of the assessment the booking was made for.
      const { slots, frame } = await api.slots(booking.serviceId, {
        disposition: booking.disposition,
        assessedAt: booking.assessedAt,
        encounterId,
      });
      setReason('');
      setView({ name: 'slots', booking, slots, frame });
    } catch (err) {
      setMessage({ kind: 'error', text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const goBack = () => {
    setError(undefined);
    setView({ name: 'list' });
  };

  if (view.name === 'cancel') {
    const b = view.booking;
    return (
      <form onSubmit={(e) => (e.preventDefault(), void act(async () => cancel(b)))} noValidate>
        {error && (
          <div className="nhsuk-error-summary" role="alert">
            <p>{error}</p>
          </div>
        )}
        <h1 ref={heading} tabIndex={-1}>
          Are you sure you want to cancel {b.patientName}'s appointment?
        </h1>
        <BookingDetails booking={b} nhsNumber={shownFor} />
        <p>
          The appointment will be cancelled and {b.serviceName} told. The slot is offered to other patients, so this
          cannot be undone: to see the patient after all, book again.
        </p>
        <button className="nhsuk-button nhsuk-button--warning" type="submit" disabled={busy}>
          Yes, cancel the appointment
        </button>
        <p>
          <a href="#" onClick={(e) => (e.preventDefault(), goBack())}>
            No, go back
          </a>
        </p>
      </form>
    );
  }

  async function cancel(b: Booking): Promise<string> {
    const done = await api.cancel(b.appointmentUrl, encounterId);
    return done.alreadyCancelled
      ? `${b.patientName}'s appointment on ${when(b.start)} was already cancelled.`
      : `${b.patientName}'s appointment at ${b.serviceName} on ${when(b.start)} is cancelled.`;
  }

  if (view.name === 'slots')
    return (
      <SlotsStep
        error={error}
        heading={heading}
        service={{ service: { name: view.booking.serviceName }, bookingOnly: false }}
        slots={view.slots}
        frame={view.frame}
        disposition={view.booking.disposition ?? 'disposition'}
        busy={busy}
        title={`Choose a new slot for ${view.booking.patientName} at ${view.booking.serviceName}`}
        backText="Back to the patient's bookings"
        onPick={(slot) => (setApproved(false), setError(undefined), setView({ ...view, name: 'check', slot }))}
        onBack={goBack}
      />
    );

  if (view.name === 'check') {
    const b = view.booking;
    return (
      <ConfirmStep
        error={error}
        heading={heading}
        slot={view.slot}
        disposition={b.disposition ?? 'disposition'}
        busy={busy}
        reason={reason}
        approved={approved}
        onReason={setReason}
        onApproved={setApproved}
        title="Check and rebook"
        submitText="Rebook and cancel the old appointment"
        reasonHint="Sent to the service with the new booking. Leave it empty to send the reason given for the old one."
        reasonRequired={false}
        onChooseAnother={() => (setError(undefined), setView({ ...view, name: 'slots' }))}
        onBook={() =>
          void act(async () => {
            const r = await api.rebook({
              appointmentUrl: b.appointmentUrl,
              slotId: view.slot.id,
              encounterId,
              approveBreach: approved,
              reason: reason.trim() || undefined,
            });
            const old =
              'error' in r.cancelled
                ? `The old appointment on ${when(b.start)} was NOT cancelled: ${r.cancelled.error}`
                : `The old appointment on ${when(b.start)} is cancelled.`;
            return `${b.patientName} is booked at ${b.serviceName} on ${when(r.booked.slot.start)}. ${old}`;
          })
        }
      >
        <div className="nhsuk-inset-text">
          <span className="nhsuk-u-visually-hidden">Information: </span>
          <p>
            This rebooks {b.patientName} (NHS number {nhsSpaced(shownFor)}). Their appointment at {b.serviceName} on{' '}
            {when(b.start)} will be cancelled once the new one below is booked.
          </p>
        </div>
      </ConfirmStep>
    );
  }

  return (
    <>
      <h1>Patient's bookings</h1>
      <form onSubmit={(e) => (e.preventDefault(), void load())}>
        <Field id="bookings-nhs" label="NHS number">
          <input
            className="nhsuk-input nhsuk-input--width-10"
            id="bookings-nhs"
            value={nhs}
            onChange={(e) => setNhs(e.target.value)}
            inputMode="numeric"
          />
        </Field>
        <button className="nhsuk-button" type="submit" disabled={busy}>
          Show bookings
        </button>
      </form>
      {message && (
        <div
          className={message.kind === 'ok' ? 'nhsuk-inset-text' : 'nhsuk-error-summary'}
          role={message.kind === 'ok' ? 'status' : 'alert'}
        >
          <p>{message.text}</p>
        </div>
      )}
      {bookings && bookings.length === 0 && <p>This patient has no bookings made here.</p>}
      {bookings && bookings.length > 0 && (
        <table className="nhsuk-table">
          <caption className="nhsuk-table__caption">Bookings made from this service</caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">When</th>
              <th scope="col">Service</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {bookings.map((b) => (
              <tr key={b.appointmentUrl}>
                <td>{when(b.start)}</td>
                <td>
                  {b.serviceName}
                  <br />
                  <span className="sb-muted">Reference {b.reference}</span>
                </td>
                <td>
                  <strong className={`nhsuk-tag ${b.status === 'booked' ? 'nhsuk-tag--green' : 'nhsuk-tag--grey'}`}>
                    {b.status}
                  </strong>
                </td>
                <td>
                  {b.status === 'booked' && (
                    <div className="sb-service-actions">
                      <button
                        className="nhsuk-button nhsuk-button--secondary"
                        type="button"
                        disabled={busy}
                        onClick={() => (
                          setMessage(undefined),
                          setError(undefined),
                          setView({ name: 'cancel', booking: b })
                        )}
                      >
                        Cancel<span className="nhsuk-u-visually-hidden"> the appointment on {when(b.start)}</span>
                      </button>
                      <button
                        className="nhsuk-button nhsuk-button--secondary"
                        type="button"
                        disabled={busy}
                        onClick={() => void startRebook(b)}
                      >
                        Rebook<span className="nhsuk-u-visually-hidden"> the appointment on {when(b.start)}</span>
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
