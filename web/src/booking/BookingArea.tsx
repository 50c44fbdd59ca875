/**
 * The call handler's booking area: patient and assessment (PatientForm.tsx) → ranked services with
 * booking availability (ServicesStep.tsx) → slots grouped by day (SlotsStep.tsx) → check and book
 * with the reason and supporting information (ConfirmStep.tsx) → confirmation (DoneSteps.tsx); and
 * the patient's bookings, to cancel or rebook (BookingsPage.tsx). This module holds the journey:
 * which step is shown and the calls that move between them. NHS.UK design system markup.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { SubNavigation } from '../components';
import { navigate, useLocation } from '../router';
import { PATIENT_MESSAGES, isTelephone, phoneNumber, type PatientProblem } from '../../../src/fhir/patient-details.js';
import { api, ApiError, type FoundService, type Slot } from './api';
import { BookingsPage } from './BookingsPage';
import { ConfirmStep } from './ConfirmStep';
import { BookedStep, ReferredStep } from './DoneSteps';
import { ErrorBox } from './ErrorBox';
import {
  EMPTY,
  ageOf,
  birthDateOf,
  forgetJourney,
  loadJourney,
  patientResource,
  saveJourney,
  type PatientDetails,
} from './patient';
import { PatientForm } from './PatientForm';
import { LocationStep, ServicesStep } from './ServicesStep';
import { SettingsPage } from './SettingsPage';
import { SlotsStep } from './SlotsStep';

const uuid = () => crypto.randomUUID();

type Step =
  | { name: 'patient' }
  | { name: 'location' }
  | { name: 'services'; services: FoundService[]; location?: string }
  | { name: 'slots'; service: FoundService; slots: Slot[]; frame?: string }
  | { name: 'confirm'; service: FoundService; slot: Slot; slots: Slot[] }
  | {
      name: 'booked';
      appointmentUrl: string;
      appointmentId: string;
      reference: string;
      slot: Slot;
      serviceName: string;
      nhsNumber: string;
    }
  | { name: 'referred'; serviceName: string };

type Kept = Extract<Step, { name: 'location' | 'services' | 'slots' | 'confirm' }>;

/**
 * The journey so far, kept in sessionStorage (./patient.ts) so that browser Back and a reload keep
 * it: the patient's details, the encounter, and each step reached, by name. Which step is shown is
 * in the URL (`/?step=slots`), one history entry per step.
 */
interface Journey {
  patient: PatientDetails;
  encounterId: string;
  reason: string;
  approved: boolean;
  /** The chosen appointment is by telephone and the patient has no usable phone number. */
  telephone: boolean;
  /** Where a patient of no fixed abode (a ZZ99 postcode) is now: the directory is searched there. */
  location: string;
  steps: Partial<{ [K in Kept['name']]: Extract<Kept, { name: K }> }>;
}

const fresh = (): Journey => ({
  patient: EMPTY,
  encounterId: uuid(),
  reason: '',
  approved: false,
  telephone: false,
  location: '',
  steps: {},
});

/** A journey kept by an older page (or by hand) that lacks a field is not trusted: start again. */
function restored(): Journey {
  const kept = loadJourney<Journey>();
  return kept?.patient?.birthDate && typeof kept.encounterId === 'string' && kept.steps
    ? { ...fresh(), ...kept, patient: { ...EMPTY, ...kept.patient } }
    : fresh();
}

const KEPT = ['location', 'services', 'slots', 'confirm'] as const;
const pathOf = (name: Step['name']) => (name === 'patient' ? '/' : `/?step=${name}`);

function BookingArea(props: {
  stepInUrl: string | null;
  dispositions: { code: string; text: string }[];
  onShowBookings: (nhs: string) => void;
}) {
  const [journey, setJourney] = useState<Journey>(restored);
  const [done, setDone] = useState<Extract<Step, { name: 'booked' | 'referred' }> | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [problems, setProblems] = useState<PatientProblem[]>([]);
  const { patient, encounterId, reason, approved } = journey;
  const update = (change: Partial<Journey>) => setJourney((j) => ({ ...j, ...change }));
  // Kept from the first detail typed; a journey not begun (as after a booking) keeps nothing.
  useEffect(() => {
    if (JSON.stringify(journey.patient) !== JSON.stringify(EMPTY) || Object.keys(journey.steps).length)
      saveJourney(journey);
  }, [journey]);

  const wanted = props.stepInUrl ?? 'patient';
  const step: Step = useMemo(() => {
    if ((KEPT as readonly string[]).includes(wanted))
      return journey.steps[wanted as Kept['name']] ?? { name: 'patient' };
    if (done && done.name === wanted) return done;
    return { name: 'patient' };
  }, [wanted, journey.steps, done]);
  // A step the journey has not reached (Back past a finished booking, an old link): the patient's details.
  useEffect(() => {
    if (step.name !== wanted && wanted !== 'patient') navigate(pathOf(step.name), { replace: true });
  }, [step.name, wanted]);

  const heading = useRef<HTMLHeadingElement>(null);
  const hasError = useRef(false);
  hasError.current = Boolean(error);
  // A new step's heading takes the focus, unless a problem is shown (the error summary has it then).
  useEffect(() => {
    if (!hasError.current) heading.current?.focus();
  }, [step.name]);

  /** Shows a step: a new history entry, and the step kept in the journey for Back and reload. */
  const goTo = (next: Step, keep: Journey['steps'] = {}) => {
    if (next.name === 'booked' || next.name === 'referred') setDone(next);
    else if (next.name !== 'patient') setJourney((j) => ({ ...j, steps: { ...keep, [next.name]: next } }));
    navigate(pathOf(next.name));
  };

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setProblems([]);
    try {
      await fn();
    } catch (err) {
      const found = err instanceof ApiError ? err.body.problems : undefined;
      if (found?.length) {
        // The patient's details are wrong (the server checks them too): back to the form, next to the fields.
        setProblems(found);
        if (step.name !== 'patient') goTo({ name: 'patient' });
        return;
      }
      setError(err instanceof Error ? err.message : String(err));
      if (err instanceof ApiError && err.code === 'slot-gone' && step.name === 'confirm') {
        const slots = err.body.nextSlots ?? step.slots.filter((s) => s.id !== step.slot.id);
        goTo({ name: 'slots', service: step.service, slots }, { services: journey.steps.services });
      }
    } finally {
      setBusy(false);
    }
  };

  // A ZZ99 postcode (no fixed abode) is no place: services are found near where the patient is now.
  const findServices = (p: PatientDetails, where = journey.location) =>
    run(async () => {
      const noFixedAbode = /^\s*ZZ99(\s|\d|$)/i.test(p.postcode);
      update({ patient: p, location: where });
      if (noFixedAbode && !where) {
        goTo({ name: 'location' });
        return;
      }
      const { services } = await api.services({
        disposition: p.disposition,
        postcode: p.postcode,
        location: noFixedAbode ? where : undefined,
        age: ageOf(birthDateOf(p.birthDate)),
        encounterId,
      });
      // New details: the steps after the patient's are found again.
      goTo({ name: 'services', services, location: noFixedAbode ? where : undefined });
    });

  const chooseService = (f: FoundService, all: FoundService[]) =>
    run(async () => {
      // The directory's first choice (rank 1): passing over it is recorded (rep-cons-05).
      const top = all.find((s) => s.service.rank === 1);
      if (top && top.service.id !== f.service.id && top.route.bookable)
        await api.reject(top.service.id, { encounterId, disposition: patient.disposition });
      const { slots, frame } = await api.slots(f.service.id, { disposition: patient.disposition, encounterId });
      goTo({ name: 'slots', service: f, slots, frame }, { services: journey.steps.services });
    });

  const refer = (f: FoundService) =>
    run(async () => {
      await api.refer(f.service.id, { encounterId, disposition: patient.disposition });
      finish({ name: 'referred', serviceName: f.service.name });
    });

  /** A telephone appointment needs a phone number the service can ring: asked for on the patient's details. */
  const pick = (s: Extract<Step, { name: 'slots' }>, slot: Slot) => {
    setError(undefined);
    if (isTelephone(slot.deliveryChannel) && !phoneNumber(patient.phone)) {
      update({ telephone: true });
      setProblems([{ field: 'phone', message: PATIENT_MESSAGES.phoneForTelephone }]);
      goTo({ name: 'patient' });
      return;
    }
    update({ approved: false });
    goTo(
      { name: 'confirm', service: s.service, slot, slots: s.slots },
      { services: journey.steps.services, slots: journey.steps.slots },
    );
  };

  /** The booking or referral is made: the patient's details are no longer kept (sessionStorage is cleared). */
  const finish = (next: Extract<Step, { name: 'booked' | 'referred' }>) => {
    forgetJourney();
    setJourney(fresh());
    goTo(next);
  };

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
      finish({
        name: 'booked',
        appointmentUrl: booked.appointmentUrl,
        appointmentId: booked.appointmentId,
        reference: booked.reference,
        slot: booked.slot,
        serviceName: booked.service.name,
        nhsNumber: patient.nhsNumber.replace(/\s/g, ''),
      });
    });

  const restart = () => {
    forgetJourney();
    setJourney(fresh());
    setDone(undefined);
    setProblems([]);
    navigate('/');
  };

  switch (step.name) {
    case 'patient':
      return (
        <>
          <ErrorBox error={error} />
          <PatientForm
            value={patient}
            onChange={(p) => update({ patient: p })}
            dispositions={props.dispositions}
            onSubmit={(p) => void findServices(p, '')}
            busy={busy}
            problems={problems}
            telephone={journey.telephone}
          />
        </>
      );
    case 'location':
      return (
        <LocationStep
          error={error}
          heading={heading}
          postcode={patient.postcode}
          initial={journey.location}
          busy={busy}
          onSearch={(where) => void findServices(patient, where)}
          onBack={() => goTo({ name: 'patient' })}
        />
      );
    case 'services':
      return (
        <ServicesStep
          error={error}
          heading={heading}
          services={step.services}
          disposition={patient.disposition}
          postcode={patient.postcode}
          location={step.location}
          busy={busy}
          onChoose={(f) => chooseService(f, step.services)}
          onRefer={refer}
          onBack={() => goTo({ name: 'patient' })}
        />
      );
    case 'slots':
      return (
        <SlotsStep
          error={error}
          heading={heading}
          service={step.service}
          slots={step.slots}
          frame={step.frame}
          disposition={patient.disposition}
          busy={busy}
          onPick={(slot) => pick(step, slot)}
          onBack={() => void findServices(patient)}
        />
      );
    case 'confirm':
      return (
        <ConfirmStep
          error={error}
          heading={heading}
          slot={step.slot}
          disposition={patient.disposition}
          busy={busy}
          reason={reason}
          approved={approved}
          onReason={(r) => update({ reason: r })}
          onApproved={(a) => update({ approved: a })}
          onBook={() => void book(step)}
          onChooseAnother={() =>
            goTo(
              { name: 'slots', service: step.service, slots: step.slots, frame: journey.steps.slots?.frame },
              { services: journey.steps.services },
            )
          }
        />
      );
    case 'booked':
      return (
        <BookedStep
          heading={heading}
          serviceName={step.serviceName}
          slot={step.slot}
          appointmentId={step.appointmentId}
          reference={step.reference}
          appointmentUrl={step.appointmentUrl}
          nhsNumber={step.nhsNumber}
          onShowBookings={props.onShowBookings}
          onRestart={restart}
        />
      );
    case 'referred':
      return <ReferredStep heading={heading} serviceName={step.serviceName} onRestart={restart} />;
  }
}

/** The booking area's pages: book a patient (`/`), the patient's bookings (`/bookings`) and where the app points (`/settings`). */
export function BookingSection() {
  const { path, query } = useLocation();
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
  const page = path === '/bookings' || path === '/settings' ? path : '/';
  return (
    <>
      <SubNavigation
        label="Booking"
        current={page}
        items={[
          { href: '/', text: 'Book a patient' },
          { href: '/bookings', text: "Patient's bookings" },
          { href: '/settings', text: 'Settings' },
        ]}
      />
      {page === '/' ? (
        <BookingArea
          stepInUrl={query.get('step')}
          dispositions={dispositions}
          onShowBookings={(number) => {
            setNhs(number);
            navigate('/bookings');
          }}
        />
      ) : page === '/bookings' ? (
        <BookingsPage nhsNumber={nhs} />
      ) : (
        <SettingsPage />
      )}
    </>
  );
}
