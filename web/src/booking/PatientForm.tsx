/** The first step: the patient's details and the assessment's disposition, checked before the services are found. */
import { useState, type FormEvent } from 'react';
import { ErrorSummary, Field } from '../components';
import type { PatientDetails } from './patient';

export function PatientForm(props: {
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
