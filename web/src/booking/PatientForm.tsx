/**
 * The first step: the patient's details and the assessment's disposition. Each field is checked when
 * the call handler leaves it, and all of them on "Find services", by the rules the server checks again
 * (src/fhir/patient-details.ts), in the same words; a refusal from the server (a postcode the directory
 * does not know, a phone number a telephone appointment needs) comes back to its field here.
 */
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { ErrorSummary, Field, type Problem } from '../components';
import {
  birthDateFromParts,
  patientFormProblems,
  type DateParts,
  type PatientProblem,
} from '../../../src/fhir/patient-details.js';
import type { PatientDetails } from './patient';

const NONE: PatientProblem[] = [];

type TextField = Exclude<keyof PatientDetails, 'birthDate'>;

/** The error summary's link for a problem: a date's first wrong part, else the field itself. */
function linked(problem: PatientProblem, birthDate: DateParts): Problem {
  if (problem.field !== 'birthDate') return problem;
  const birth = birthDateFromParts(birthDate);
  const part = 'parts' in birth ? birth.parts[0] : 'day';
  return { field: `birthDate-${part}`, message: problem.message };
}

export function PatientForm(props: {
  value: PatientDetails;
  onChange: (p: PatientDetails) => void;
  dispositions: { code: string; text: string }[];
  onSubmit: (p: PatientDetails) => void;
  busy: boolean;
  /** Problems the server found (or the journey found later), each with its field. */
  problems: PatientProblem[];
  /** The chosen appointment is by telephone: a phone number is needed. */
  telephone: boolean;
}) {
  const p = props.value;
  const [submitted, setSubmitted] = useState<PatientProblem[] | undefined>();
  /** Each field's message from checking it as the call handler left it (null: it is right now). */
  const [live, setLive] = useState<Partial<Record<string, string | null>>>({});
  /** The server's problems from before the last "Find services" are answered by it; newer ones are shown. */
  const [answered, setAnswered] = useState<PatientProblem[] | undefined>();
  const fromServer = props.problems === answered ? NONE : props.problems;
  const summary = useMemo(() => [...(submitted ?? []), ...fromServer], [submitted, fromServer]);
  // The same list while nothing new is found, so the summary takes the focus only when it changes.
  const birthDate = useRef(p.birthDate);
  birthDate.current = p.birthDate;
  const linkedSummary = useMemo(() => summary.map((problem) => linked(problem, birthDate.current)), [summary]);
  const check = (next: PatientDetails, field: string) => {
    const found = patientFormProblems(next, { telephone: props.telephone }).find((e) => e.field === field);
    setLive((l) => ({ ...l, [field]: found?.message ?? null }));
  };
  const errorOf = (f: string): string | undefined =>
    f in live ? (live[f] ?? undefined) : summary.find((e) => e.field === f)?.message;
  const set = (k: TextField) => (e: { target: { value: string } }) => props.onChange({ ...p, [k]: e.target.value });
  const input = (id: TextField, label: string, extra: Record<string, unknown> = {}, hint?: string, width?: string) => (
    <Field id={id} label={label} hint={hint} error={errorOf(id)}>
      <input
        className={`nhsuk-input${width ? ` nhsuk-input--width-${width}` : ''}${errorOf(id) ? ' nhsuk-input--error' : ''}`}
        id={id}
        name={id}
        value={p[id]}
        onChange={set(id)}
        onBlur={() => p[id].trim() && check(p, id)}
        aria-describedby={
          [hint ? `${id}-hint` : '', errorOf(id) ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
        }
        {...extra}
      />
    </Field>
  );
  const dateError = errorOf('birthDate');
  const birth = birthDateFromParts(p.birthDate);
  const wrongParts = dateError && 'parts' in birth ? birth.parts : [];
  const datePart = (part: keyof DateParts, label: string, width: string) => (
    <div className="nhsuk-date-input__item">
      <div className="nhsuk-form-group">
        <label className="nhsuk-label nhsuk-date-input__label" htmlFor={`birthDate-${part}`}>
          {label}
        </label>
        <input
          className={`nhsuk-input nhsuk-date-input__input nhsuk-input--width-${width}${
            wrongParts.includes(part) ? ' nhsuk-input--error' : ''
          }`}
          id={`birthDate-${part}`}
          name={`birthDate-${part}`}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          value={p.birthDate[part]}
          onChange={(e) => props.onChange({ ...p, birthDate: { ...p.birthDate, [part]: e.target.value } })}
          onBlur={(e) => {
            // Checked once the call handler leaves the date as a whole, not between its three boxes.
            const next = e.relatedTarget as HTMLElement | null;
            if (!next?.id.startsWith('birthDate-') && (p.birthDate.day || p.birthDate.month || p.birthDate.year))
              check(p, 'birthDate');
          }}
        />
      </div>
    </div>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = patientFormProblems(p, { telephone: props.telephone });
    setLive({});
    setSubmitted(found);
    setAnswered(props.problems);
    if (!found.length) props.onSubmit(p);
  };
  return (
    <form onSubmit={submit} noValidate>
      <ErrorSummary errors={linkedSummary} />
      <h1>Patient and assessment</h1>
      <fieldset className="nhsuk-fieldset">
        <legend className="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">Patient</legend>
        {input(
          'nhsNumber',
          'NHS number (optional)',
          { inputMode: 'numeric', autoComplete: 'off' },
          'For example, 943 476 5919',
          '10',
        )}
        {input('given', 'First name', { autoComplete: 'off' })}
        {input('family', 'Last name', { autoComplete: 'off' })}
        <div className={`nhsuk-form-group${dateError ? ' nhsuk-form-group--error' : ''}`}>
          <fieldset
            className="nhsuk-fieldset"
            role="group"
            aria-describedby={`birthDate-hint${dateError ? ' birthDate-error' : ''}`}
          >
            <legend className="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Date of birth</legend>
            <div className="nhsuk-hint" id="birthDate-hint">
              For example, 15 3 1984
            </div>
            {dateError && (
              <span className="nhsuk-error-message" id="birthDate-error">
                <span className="nhsuk-u-visually-hidden">Error:</span> {dateError}
              </span>
            )}
            <div className="nhsuk-date-input" id="birthDate">
              {datePart('day', 'Day', '2')}
              {datePart('month', 'Month', '2')}
              {datePart('year', 'Year', '4')}
            </div>
          </fieldset>
        </div>
        <Field id="gender" label="Gender" error={errorOf('gender')}>
          <select
            className={`nhsuk-select${errorOf('gender') ? ' nhsuk-select--error' : ''}`}
            id="gender"
            name="gender"
            value={p.gender}
            onChange={set('gender')}
            aria-describedby={errorOf('gender') ? 'gender-error' : undefined}
          >
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
          'The patient’s own number, their primary contact. A telephone appointment needs one.',
          '20',
        )}
        {input(
          'email',
          'Email address (optional)',
          { type: 'email', autoComplete: 'off', spellCheck: false },
          'If the patient has no phone, an email address lets the service contact them',
        )}
        {input('addressLine', 'Address', { autoComplete: 'off' })}
        {input('town', 'Town or city', { autoComplete: 'off' })}
        {input(
          'postcode',
          'Postcode',
          { autoComplete: 'off' },
          'Where the patient is now; services are ranked by distance from it',
          '10',
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
