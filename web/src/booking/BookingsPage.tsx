/** The patient's bookings made from this service, by NHS number: cancel one, or rebook it on another slot. */
import { useEffect, useRef, useState } from 'react';
import { Field } from '../components';
import { api, type Booking, type Slot } from './api';
import { when } from './format';
import { SlotPicker } from './SlotPicker';

const uuid = () => crypto.randomUUID();

export function BookingsPage(props: { nhsNumber: string }) {
  const [nhs, setNhs] = useState(props.nhsNumber);
  const [bookings, setBookings] = useState<Booking[] | undefined>();
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const [rebooking, setRebooking] = useState<{ booking: Booking; slots: Slot[] } | undefined>();
  const [busy, setBusy] = useState(false);
  const encounterId = useRef(uuid()).current;

  const load = async (number = nhs) => {
    setBusy(true);
    try {
      setBookings((await api.bookings(number.replace(/\s/g, ''))).bookings);
    } catch (err) {
      setMessage({ kind: 'error', text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (props.nhsNumber) void load(props.nhsNumber);
  }, [props.nhsNumber]);

  const act = async (fn: () => Promise<string>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      setMessage({ kind: 'ok', text: await fn() });
    } catch (err) {
      setMessage({ kind: 'error', text: (err as Error).message });
    } finally {
      setBusy(false);
      await load();
    }
  };

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
      {rebooking && (
        <section aria-label="Choose a new slot">
          <h2>Choose a new slot</h2>
          <SlotPicker
            slots={rebooking.slots}
            busy={busy}
            onPick={(slot) =>
              void act(async () => {
                const r = await api.rebook(rebooking.booking.appointmentUrl, slot.id, encounterId);
                setRebooking(undefined);
                const old =
                  'error' in r.cancelled
                    ? `The old appointment was NOT cancelled: ${r.cancelled.error}`
                    : 'The old appointment was cancelled.';
                return `Booked ${when(r.booked.slot.start)}. ${old}`;
              })
            }
          />
        </section>
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
                  {b.serviceName ?? `Service ${b.serviceId} (not in the directory now)`}
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
                        onClick={() =>
                          void act(async () =>
                            (await api.cancel(b.appointmentUrl, encounterId)).alreadyCancelled
                              ? 'It was already cancelled.'
                              : 'Appointment cancelled.',
                          )
                        }
                      >
                        Cancel<span className="nhsuk-u-visually-hidden"> the appointment on {when(b.start)}</span>
                      </button>
                      <button
                        className="nhsuk-button nhsuk-button--secondary"
                        type="button"
                        disabled={busy}
                        onClick={() =>
                          void (async () => {
                            setBusy(true);
                            try {
                              const { slots } = await api.slots(b.serviceId, { encounterId });
                              setRebooking({ booking: b, slots });
                            } catch (err) {
                              setMessage({ kind: 'error', text: (err as Error).message });
                            } finally {
                              setBusy(false);
                            }
                          })()
                        }
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
