/**
 * The call handler's booking area: patient and assessment (PatientForm.tsx) → ranked services with
 * booking availability (ServicesStep.tsx) → slots grouped by day (SlotsStep.tsx) → check and book
 * with the reason and supporting information (ConfirmStep.tsx) → confirmation (DoneSteps.tsx); and
 * the patient's bookings, to cancel or rebook (BookingsPage.tsx). This module holds the journey:
 * which step is shown and the calls that move between them. NHS.UK design system markup.
 */
import { useEffect, useRef, useState } from 'react';
import { SubNavigation } from '../components';
import { navigate, useLocation } from '../router';
import { api, ApiError, type FoundService, type Slot } from './api';
import { BookingsPage } from './BookingsPage';
import { ConfirmStep } from './ConfirmStep';
import { BookedStep, ReferredStep } from './DoneSteps';
import { ErrorBox } from './ErrorBox';
import { EMPTY, ageOf, patientResource, type PatientDetails } from './patient';
import { PatientForm } from './PatientForm';
import { LocationStep, ServicesStep } from './ServicesStep';
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
    }
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

  // A ZZ99 postcode (no fixed abode) is no place: services are found near where the patient is now.
  const [location, setLocation] = useState('');
  const findServices = (p: PatientDetails, where = location) =>
    run(async () => {
      setPatient(p);
      const noFixedAbode = /^\s*ZZ99(\s|\d|$)/i.test(p.postcode);
      if (noFixedAbode && !where) {
        setStep({ name: 'location' });
        return;
      }
      setLocation(where);
      const { services } = await api.services({
        disposition: p.disposition,
        postcode: p.postcode,
        location: noFixedAbode ? where : undefined,
        age: ageOf(p.birthDate),
        encounterId,
      });
      setStep({ name: 'services', services, location: noFixedAbode ? where : undefined });
    });

  const chooseService = (f: FoundService, all: FoundService[]) =>
    run(async () => {
      // The directory's first choice (rank 1): passing over it is recorded (rep-cons-05).
      const top = all.find((s) => s.service.rank === 1);
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
        reference: booked.reference,
        slot: booked.slot,
        serviceName: booked.service.name,
      });
    });

  const restart = () => {
    setPatient(EMPTY);
    setReason('');
    setApproved(false);
    setEncounterId(uuid());
    setLocation('');
    setStep({ name: 'patient' });
  };

  switch (step.name) {
    case 'patient':
      return (
        <>
          <ErrorBox error={error} />
          <PatientForm
            initial={patient}
            dispositions={props.dispositions}
            onSubmit={(p) => findServices(p, '')}
            busy={busy}
          />
        </>
      );
    case 'location':
      return (
        <LocationStep
          error={error}
          heading={heading}
          postcode={patient.postcode}
          initial={location}
          busy={busy}
          onSearch={(where) => void findServices(patient, where)}
          onBack={() => setStep({ name: 'patient' })}
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
          onBack={() => setStep({ name: 'patient' })}
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
          onPick={(slot) => (
            setApproved(false),
            setStep({ name: 'confirm', service: step.service, slot, slots: step.slots })
          )}
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
          onReason={setReason}
          onApproved={setApproved}
          onBook={() => void book(step)}
          onChooseAnother={() => setStep({ name: 'slots', service: step.service, slots: step.slots })}
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
          nhsNumber={patient.nhsNumber}
          onShowBookings={props.onShowBookings}
          onRestart={restart}
        />
      );
    case 'referred':
      return <ReferredStep heading={heading} serviceName={step.serviceName} onRestart={restart} />;
  }
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
        <BookingsPage nhsNumber={nhs} />
      )}
    </>
  );
}
