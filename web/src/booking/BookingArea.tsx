/**
 * The call handler's booking area: patient and assessment → ranked services (with booking
 * availability) → slots grouped by day → confirm with the reason and supporting information →
 * confirmation; and the patient's bookings, to cancel or rebook. NHS.UK design system markup.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ErrorSummary, Field, SubNavigation, SummaryList } from '../components';
import { navigate, useLocation } from '../router';
import { api, ApiError, type Booking, type FoundService, type Slot } from './api';

const uuid = () => crypto.randomUUID();
const day = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', {
    timeZone: 'Europe/London',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  });
const time = (iso: string) =>
  new Date(iso).toLocaleTimeString('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit' });
const when = (iso: string) => `${day(iso)} at ${time(iso)}`;
const duration = (m: number) =>
  [Math.floor(m / 60) ? `${Math.floor(m / 60)} hours` : '', m % 60 ? `${m % 60} minutes` : '']
    .filter(Boolean)
    .join(' ');

interface PatientDetails {
  nhsNumber: string;
  given: string;
  family: string;
  birthDate: string;
  gender: string;
  phone: string;
  addressLine: string;
  town: string;
  postcode: string;
  disposition: string;
  practice: string;
}

const EMPTY: PatientDetails = {
  nhsNumber: '',
  given: '',
  family: '',
  birthDate: '',
  gender: '',
  phone: '',
  addressLine: '',
  town: '',
  postcode: '',
  disposition: 'Dx05',
  practice: '',
};

function patientResource(p: PatientDetails) {
  return {
    resourceType: 'Patient',
    identifier: p.nhsNumber
      ? [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: p.nhsNumber.replace(/\s/g, '') }]
      : [],
    name: [{ use: 'official', family: p.family, given: [p.given] }],
    gender: p.gender,
    birthDate: p.birthDate,
    telecom: [{ system: 'phone', value: p.phone, use: 'mobile', rank: 1 }],
    address: [{ use: 'home', line: [p.addressLine], city: p.town, postalCode: p.postcode }],
  };
}

function ageOf(birthDate: string): number | undefined {
  const b = Date.parse(birthDate);
  if (Number.isNaN(b)) return undefined;
  return Math.floor((Date.now() - b) / (365.25 * 86_400_000));
}

function PatientForm(props: {
  initial: PatientDetails;
  dispositions: { code: string; text: string }[];
  onSubmit: (p: PatientDetails) => void;
  busy: boolean;
}) {
  const [p, setP] = useState(props.initial);
  const [errors, setErrors] = useState<{ field: string; message: string }[]>([]);
  const set = (k: keyof PatientDetails) => (e: { target: { value: string } }) => setP({ ...p, [k]: e.target.value });
  const errorOf = (f: string) => errors.find((e) => e.field === f)?.message;
  const input = (id: keyof PatientDetails, label: string, extra: Record<string, unknown> = {}, hint?: string) => (
    <Field id={id} label={label} hint={hint} error={errorOf(id)}>
      <input
        className={`nhsuk-input${errorOf(id) ? ' nhsuk-input--error' : ''}`}
        id={id}
        name={id}
        value={p[id]}
        onChange={set(id)}
        aria-describedby={
          [hint ? `${id}-hint` : '', errorOf(id) ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
        }
        {...extra}
      />
    </Field>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: { field: string; message: string }[] = [];
    if (p.nhsNumber && !/^\d{10}$/.test(p.nhsNumber.replace(/\s/g, '')))
      found.push({ field: 'nhsNumber', message: 'NHS number must be 10 digits' });
    if (!p.given.trim()) found.push({ field: 'given', message: 'Enter the patient’s first name' });
    if (!p.family.trim()) found.push({ field: 'family', message: 'Enter the patient’s last name' });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(p.birthDate))
      found.push({ field: 'birthDate', message: 'Enter the date of birth as YYYY-MM-DD' });
    if (!p.gender) found.push({ field: 'gender', message: 'Select the patient’s gender' });
    if (!p.phone.trim()) found.push({ field: 'phone', message: 'Enter a phone number to contact the patient' });
    if (!p.addressLine.trim()) found.push({ field: 'addressLine', message: 'Enter the patient’s address' });
    if (!p.postcode.trim()) found.push({ field: 'postcode', message: 'Enter the patient’s postcode' });
    setErrors(found);
    if (!found.length) props.onSubmit(p);
  };
  return (
    <form onSubmit={submit} noValidate>
      <ErrorSummary errors={errors} />
      <h1>Patient and assessment</h1>
      <fieldset className="nhsuk-fieldset">
        <legend className="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">Patient</legend>
        {input(
          'nhsNumber',
          'NHS number (optional)',
          { inputMode: 'numeric', autoComplete: 'off' },
          'For example, 943 476 5919',
        )}
        {input('given', 'First name', { autoComplete: 'off' })}
        {input('family', 'Last name', { autoComplete: 'off' })}
        {input('birthDate', 'Date of birth', { type: 'date' })}
        <Field id="gender" label="Gender" error={errorOf('gender')}>
          <select className="nhsuk-select" id="gender" name="gender" value={p.gender} onChange={set('gender')}>
            <option value="">Select</option>
            <option value="female">Female</option>
            <option value="male">Male</option>
            <option value="other">Other</option>
            <option value="unknown">Not known</option>
          </select>
        </Field>
        {input(
          'phone',
          'Phone number',
          { type: 'tel', autoComplete: 'off' },
          'The patient’s own number; it is their primary contact',
        )}
        {input('addressLine', 'Address', { autoComplete: 'off' })}
        {input('town', 'Town or city', { autoComplete: 'off' })}
        {input(
          'postcode',
          'Postcode',
          { autoComplete: 'off' },
          'Where the patient is now; services are ranked by distance from it',
        )}
        {input('practice', 'Registered GP practice ODS code (optional)', { autoComplete: 'off' })}
      </fieldset>
      <fieldset className="nhsuk-fieldset">
        <legend className="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">Assessment</legend>
        <Field id="disposition" label="Disposition" hint="The outcome of the NHS Pathways assessment">
          <select
            className="nhsuk-select"
            id="disposition"
            name="disposition"
            value={p.disposition}
            onChange={set('disposition')}
            aria-describedby="disposition-hint"
          >
            {props.dispositions.map((d) => (
              <option key={d.code} value={d.code}>
                {d.code}: {d.text}
              </option>
            ))}
          </select>
        </Field>
      </fieldset>
      <button className="nhsuk-button" type="submit" disabled={props.busy}>
        Find services
      </button>
    </form>
  );
}

function availabilityText(f: FoundService, disposition: string): string {
  if (!f.route.bookable) return `Cannot book online: ${f.route.message}`;
  const a = f.availability;
  if (!a) return 'Takes bookings';
  if ('error' in a) return `Takes bookings, but its slots could not be read: ${a.error}`;
  if (a.free === 0) return 'Takes bookings: no free slots';
  if (a.withinTimeFrame === 0)
    return `Takes bookings: ${a.free} free slots, none within the ${disposition} time frame (earliest ${when(a.earliest!)})`;
  return `Takes bookings: ${a.withinTimeFrame} free slots within the ${disposition} time frame, earliest ${when(a.earliestWithinTimeFrame!)}`;
}

function SlotDetails({ slot }: { slot: Slot }) {
  const rows: [string, string][] = [
    ['Date and time', `${when(slot.start)} to ${time(slot.end)}`],
    ['Type of appointment', slot.deliveryChannel ?? 'Not given by the service'],
    ['Service', slot.service?.name ?? 'Not given'],
    ['Where', slot.location ? [slot.location.name, slot.location.address].filter(Boolean).join(', ') : 'Not given'],
    [
      'With',
      slot.practitioner?.name
        ? `${slot.practitioner.name}${slot.practitioner.gender ? ` (${slot.practitioner.gender})` : ''}${slot.role ? `, ${slot.role}` : ''}`
        : (slot.role ?? 'Not given'),
    ],
  ];
  if (slot.organisation) rows.push(['Provided by', slot.organisation]);
  return <SummaryList rows={rows} />;
}

function SlotPicker(props: { slots: Slot[]; onPick: (s: Slot) => void; busy?: boolean }) {
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

type Step =
  | { name: 'patient' }
  | { name: 'services'; services: FoundService[] }
  | { name: 'slots'; service: FoundService; slots: Slot[]; frame?: string }
  | { name: 'confirm'; service: FoundService; slot: Slot; slots: Slot[] }
  | { name: 'booked'; appointmentUrl: string; appointmentId: string; slot: Slot; serviceName: string }
  | { name: 'referred'; serviceName: string };

function BookingArea(props: { dispositions: { code: string; text: string }[]; onShowBookings: (nhs: string) => void }) {
  const [patient, setPatient] = useState(EMPTY);
  const [step, setStep] = useState<Step>({ name: 'patient' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [reason, setReason] = useState('');
  const [approved, setApproved] = useState(false);
  const [encounterId, setEncounterId] = useState(uuid);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [step.name]);

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      if (err instanceof ApiError && err.code === 'slot-gone' && step.name === 'confirm') {
        setStep({
          name: 'slots',
          service: step.service,
          slots: err.body.nextSlots ?? step.slots.filter((s) => s.id !== step.slot.id),
        });
      }
    } finally {
      setBusy(false);
    }
  };

  const findServices = (p: PatientDetails) =>
    run(async () => {
      setPatient(p);
      const { services } = await api.services({
        disposition: p.disposition,
        postcode: p.postcode,
        age: ageOf(p.birthDate),
        encounterId,
      });
      setStep({ name: 'services', services });
    });

  const chooseService = (f: FoundService, all: FoundService[]) =>
    run(async () => {
      const top = all[0];
      if (top && top.service.id !== f.service.id && top.route.bookable)
        await api.reject(top.service.id, { encounterId, disposition: patient.disposition });
      const { slots, frame } = await api.slots(f.service.id, { disposition: patient.disposition, encounterId });
      setStep({ name: 'slots', service: f, slots, frame });
    });

  const refer = (f: FoundService) =>
    run(async () => {
      await api.refer(f.service.id, { encounterId, disposition: patient.disposition });
      setStep({ name: 'referred', serviceName: f.service.name });
    });

  const book = (s: Extract<Step, { name: 'confirm' }>) =>
    run(async () => {
      const booked = await api.book({
        serviceId: s.service.service.id,
        slotId: s.slot.id,
        patient: patientResource(patient),
        reason,
        disposition: patient.disposition,
        approveBreach: approved,
        encounterId,
        registeredPractice: patient.practice || undefined,
      });
      setStep({
        name: 'booked',
        appointmentUrl: booked.appointmentUrl,
        appointmentId: booked.appointmentId,
        slot: booked.slot,
        serviceName: booked.service.name,
      });
    });

  const restart = () => {
    setPatient(EMPTY);
    setReason('');
    setApproved(false);
    setEncounterId(uuid());
    setStep({ name: 'patient' });
  };

  const errorBox = error && (
    <div className="nhsuk-error-summary" role="alert" tabIndex={-1} aria-labelledby="problem-title">
      <h2 className="nhsuk-error-summary__title" id="problem-title">
        There is a problem
      </h2>
      <div className="nhsuk-error-summary__body">
        <p>{error}</p>
      </div>
    </div>
  );

  switch (step.name) {
    case 'patient':
      return (
        <>
          {errorBox}
          <PatientForm initial={patient} dispositions={props.dispositions} onSubmit={findServices} busy={busy} />
        </>
      );
    case 'services':
      return (
        <>
          {errorBox}
          <h1 ref={heading} tabIndex={-1}>
            Services for {patient.disposition} near {patient.postcode.toUpperCase()}
          </h1>
          {step.services.length === 0 && <p>No services take this disposition near the patient.</p>}
          <ol className="nhsuk-list">
            {step.services.map((f) => (
              <li key={f.service.id}>
                <div className="nhsuk-card">
                  <div className="nhsuk-card__content">
                    <h2 className="nhsuk-card__heading nhsuk-heading-m">
                      {f.service.rank}. {f.service.name}
                    </h2>
                    <p className="nhsuk-card__description">
                      {f.service.type}
                      {f.service.distanceMiles !== null ? ` · ${f.service.distanceMiles} miles` : ''} ·{' '}
                      {f.service.openNow
                        ? 'Open now'
                        : f.service.nextOpen
                          ? `Closed, opens ${when(f.service.nextOpen)}`
                          : 'Closed'}
                      {f.bookingOnly && (
                        <>
                          {' '}
                          · <strong className="nhsuk-tag nhsuk-tag--orange">Booking only</strong>
                        </>
                      )}
                    </p>
                    <p>{availabilityText(f, patient.disposition)}</p>
                    <div className="sb-service-actions">
                      {f.route.bookable && (
                        <button
                          className="nhsuk-button"
                          type="button"
                          disabled={busy}
                          onClick={() => chooseService(f, step.services)}
                        >
                          See slots<span className="nhsuk-u-visually-hidden"> at {f.service.name}</span>
                        </button>
                      )}
                      <button
                        className="nhsuk-button nhsuk-button--secondary"
                        type="button"
                        disabled={busy}
                        onClick={() => refer(f)}
                      >
                        Refer without booking<span className="nhsuk-u-visually-hidden"> to {f.service.name}</span>
                      </button>
                    </div>
                  </div>
                </div>
              </li>
            ))}
          </ol>
          <a href="#" className="nhsuk-back-link" onClick={(e) => (e.preventDefault(), setStep({ name: 'patient' }))}>
            Back to patient details
          </a>
        </>
      );
    case 'slots':
      return (
        <>
          {errorBox}
          <h1 ref={heading} tabIndex={-1}>
            Choose a slot at {step.service.service.name}
          </h1>
          {step.slots.length === 0 ? (
            <p>
              There are no free slots at this service.{' '}
              {step.service.bookingOnly
                ? 'This service only accepts referrals with a booking: choose another service.'
                : 'Choose another service, or refer without booking.'}
            </p>
          ) : (
            <>
              {step.slots.some((s) => s.breachMinutes) && (
                <p className="sb-muted">
                  * starts after the {patient.disposition} time frame ({step.frame ?? 'see the disposition'}): needs
                  clinical approval.
                </p>
              )}
              <SlotPicker
                slots={step.slots}
                busy={busy}
                onPick={(slot) => (
                  setApproved(false),
                  setStep({ name: 'confirm', service: step.service, slot, slots: step.slots })
                )}
              />
            </>
          )}
          <a href="#" className="nhsuk-back-link" onClick={(e) => (e.preventDefault(), void findServices(patient))}>
            Back to services
          </a>
        </>
      );
    case 'confirm': {
      const late = step.slot.breachMinutes ?? 0;
      return (
        <form onSubmit={(e) => (e.preventDefault(), void book(step))} noValidate>
          {errorBox}
          <h1 ref={heading} tabIndex={-1}>
            Check and book
          </h1>
          <SlotDetails slot={step.slot} />
          {late > 0 && (
            <div className="nhsuk-warning-callout">
              <h2 className="nhsuk-warning-callout__label">
                <span role="text">
                  <span className="nhsuk-u-visually-hidden">Important: </span>Outside the time frame
                </span>
              </h2>
              <p>
                This slot starts {duration(late)} after the {patient.disposition} time frame ends. Book it only if a
                clinician approves, and make sure the patient knows.
              </p>
              <div className="nhsuk-checkboxes">
                <div className="nhsuk-checkboxes__item">
                  <input
                    className="nhsuk-checkboxes__input"
                    id="approve"
                    type="checkbox"
                    checked={approved}
                    onChange={(e) => setApproved(e.target.checked)}
                  />
                  <label className="nhsuk-label nhsuk-checkboxes__label" htmlFor="approve">
                    A clinician approved booking outside the time frame
                  </label>
                </div>
              </div>
            </div>
          )}
          <Field
            id="reason"
            label="Reason for the appointment"
            hint="Sent to the service with the booking, with the referral document"
          >
            <textarea
              className="nhsuk-textarea"
              id="reason"
              name="reason"
              rows={3}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-describedby="reason-hint"
            />
          </Field>
          <button className="nhsuk-button" type="submit" disabled={busy || !reason.trim() || (late > 0 && !approved)}>
            Book this appointment
          </button>
          <p>
            <a
              href="#"
              className="nhsuk-back-link"
              onClick={(e) => (
                e.preventDefault(),
                setStep({ name: 'slots', service: step.service, slots: step.slots })
              )}
            >
              Choose another slot
            </a>
          </p>
        </form>
      );
    }
    case 'booked':
      return (
        <>
          <div className="nhsuk-panel nhsuk-panel--confirmation" role="status">
            <h1 className="nhsuk-panel__title" ref={heading} tabIndex={-1}>
              Appointment booked
            </h1>
            <div className="nhsuk-panel__body">
              {step.serviceName}, {when(step.slot.start)}
              <br />
              Reference <strong>{step.appointmentId}</strong>
            </div>
          </div>
          <p>
            Appointment: <code>{step.appointmentUrl}</code>
          </p>
          <p>The referral document has been completed with this appointment's address.</p>
          <div className="sb-service-actions">
            {patient.nhsNumber && (
              <button
                className="nhsuk-button nhsuk-button--secondary"
                type="button"
                onClick={() => props.onShowBookings(patient.nhsNumber.replace(/\s/g, ''))}
              >
                See the patient's bookings
              </button>
            )}
            <button className="nhsuk-button" type="button" onClick={restart}>
              Start a new booking
            </button>
          </div>
        </>
      );
    case 'referred':
      return (
        <>
          <div className="nhsuk-panel nhsuk-panel--confirmation" role="status">
            <h1 className="nhsuk-panel__title" ref={heading} tabIndex={-1}>
              Referral sent without a booking
            </h1>
            <div className="nhsuk-panel__body">{step.serviceName}</div>
          </div>
          <button className="nhsuk-button" type="button" onClick={restart}>
            Start a new booking
          </button>
        </>
      );
  }
}

function BookingsArea(props: { nhsNumber: string }) {
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
                return `Booked ${when(r.booked.slot.start)}. ${'error' in r.cancelled ? `The old appointment was NOT cancelled: ${r.cancelled.error}` : 'The old appointment was cancelled.'}`;
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
                <td>{b.serviceId}</td>
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

/** The booking area's two pages: book a patient (`/`) and the patient's bookings (`/bookings`). */
export function BookingSection() {
  const { path } = useLocation();
  // The NHS number goes from the confirmation to the bookings page in memory, never in the URL.
  const [nhs, setNhs] = useState('');
  const [dispositions, setDispositions] = useState<{ code: string; text: string }[]>([]);
  useEffect(() => {
    document.title = 'Book an appointment – Slotbridge';
    void api
      .dispositions()
      .then(setDispositions, () =>
        setDispositions([{ code: 'Dx05', text: 'Contact a primary care service within 2 hours' }]),
      );
  }, []);
  const page = path === '/bookings' ? '/bookings' : '/';
  return (
    <>
      <SubNavigation
        label="Booking"
        current={page}
        items={[
          { href: '/', text: 'Book a patient' },
          { href: '/bookings', text: "Patient's bookings" },
        ]}
      />
      {page === '/' ? (
        <BookingArea
          dispositions={dispositions}
          onShowBookings={(number) => {
            setNhs(number);
            navigate('/bookings');
          }}
        />
      ) : (
        <BookingsArea nhsNumber={nhs} />
      )}
    </>
  );
}
