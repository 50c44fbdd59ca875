/**
 * The patient-detail rules both the web form and the consumer apply (src/fhir/patient-details.ts), and the
 * consumer refusing a Patient that breaks them with the form's words and fields (src/consumer/patient.ts),
 * including a provider's refusal that names a FHIR path inside the booking (src/consumer/booking.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAppointment, patientProblemsOf } from '../../src/consumer/booking.js';
import { ConsumerError } from '../../src/consumer/errors.js';
import { preparePatient, requirePhoneFor } from '../../src/consumer/patient.js';
import {
  PATIENT_MESSAGES,
  birthDateFromParts,
  birthDateProblem,
  nhsNumberProblem,
  patientFormProblems,
  phoneNumber,
  postcodeOf,
  type PatientFormDetails,
} from '../../src/fhir/patient-details.js';

const TODAY = '2026-12-04';

const form = (more: Partial<PatientFormDetails> = {}): PatientFormDetails => ({
  nhsNumber: '943 476 5919',
  given: 'John',
  family: 'Smith',
  birthDate: { day: '25', month: '12', year: '1974' },
  gender: 'male',
  phone: '0113 496 0000',
  email: '',
  addressLine: '1 High Street',
  postcode: 'ls1 4hr',
  ...more,
});

const patient = (more: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' }],
  name: [{ family: 'Smith', given: ['John'] }],
  gender: 'male',
  birthDate: '1974-12-25',
  telecom: [{ system: 'phone', value: '0113 496 0000' }],
  address: [{ line: ['1 High Street'], postalCode: 'LS1 4HR' }],
  ...more,
});

/** The problems a refusal carries. */
function problemsOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConsumerError);
    assert.equal(err.code, 'patient-invalid');
    return err.details.problems;
  }
  assert.fail('expected the patient to be refused');
}

describe('patient details: the rules the form and the server share', () => {
  it('an NHS number must have a right modulus-11 check digit, spaces allowed', () => {
    assert.equal(nhsNumberProblem('943 476 5919'), undefined);
    assert.equal(nhsNumberProblem('9476719931'), undefined);
    assert.equal(nhsNumberProblem('9476719932'), PATIENT_MESSAGES.nhsNumber, 'wrong check digit');
    assert.equal(nhsNumberProblem('947671993'), PATIENT_MESSAGES.nhsNumber, 'nine digits');
    // 10 would be the check digit: no valid number has it.
    assert.equal(nhsNumberProblem('0000000060'), PATIENT_MESSAGES.nhsNumber);
  });

  it('phone numbers: UK numbers written the usual ways, international ones from +, nothing else', () => {
    assert.equal(phoneNumber('0113 496 0000'), '01134960000');
    assert.equal(phoneNumber('(0113) 4960000'), '01134960000');
    assert.equal(phoneNumber('+44 (0)7700 900982'), '07700900982');
    assert.equal(phoneNumber('0044 7700 900 982'), '07700900982');
    assert.equal(phoneNumber('07700-900-982'), '07700900982');
    assert.equal(phoneNumber('0800 123 4567'), '08001234567');
    assert.equal(phoneNumber('+33 1 23 45 67 89'), '+33123456789');
    for (const bad of ['1', '12345', '0113 496', '07700 900 9822', '09098 123456', 'call me', '', '+44 12'])
      assert.equal(phoneNumber(bad), undefined, bad);
  });

  it('a date of birth from the three boxes: a real date, today or before, each missing part named', () => {
    assert.deepEqual(birthDateFromParts({ day: '5', month: '3', year: '1984' }, TODAY), { date: '1984-03-05' });
    assert.deepEqual(birthDateFromParts({ day: '4', month: '12', year: '2026' }, TODAY), { date: '2026-12-04' });
    assert.deepEqual(birthDateFromParts({ day: '5', month: '12', year: '2026' }, TODAY), {
      message: PATIENT_MESSAGES.birthDateFuture,
      parts: ['day', 'month', 'year'],
    });
    assert.deepEqual(birthDateFromParts({ day: '31', month: '2', year: '1990' }, TODAY), {
      message: PATIENT_MESSAGES.birthDateReal,
      parts: ['day', 'month', 'year'],
    });
    assert.deepEqual(birthDateFromParts({ day: '29', month: '2', year: '2000' }, TODAY), { date: '2000-02-29' });
    assert.deepEqual(birthDateFromParts({ day: '1', month: '', year: '1990' }, TODAY), {
      message: 'Date of birth must include a month',
      parts: ['month'],
    });
    assert.deepEqual(birthDateFromParts({ day: '', month: '', year: '' }, TODAY), {
      message: PATIENT_MESSAGES.birthDateMissing,
      parts: ['day', 'month', 'year'],
    });
    assert.deepEqual(birthDateFromParts({ day: '1', month: '1', year: '90' }, TODAY), {
      message: PATIENT_MESSAGES.birthDateReal,
      parts: ['year'],
    });
    assert.equal(birthDateProblem('2027', TODAY), PATIENT_MESSAGES.birthDateFuture);
    assert.equal(birthDateProblem('2026-12', TODAY), undefined, 'a partial date this month is not in the future');
    assert.equal(birthDateProblem('1974-02-30', TODAY), PATIENT_MESSAGES.birthDateReal);
    assert.equal(birthDateProblem('1850-01-01', TODAY), PATIENT_MESSAGES.birthDateTooOld);
  });

  it('postcodes are shaped like one, in any case and spacing', () => {
    assert.equal(postcodeOf('ls14hr'), 'LS1 4HR');
    assert.equal(postcodeOf('ZZ99 3VZ'), 'ZZ99 3VZ');
    assert.equal(postcodeOf('LS1'), undefined);
    assert.equal(postcodeOf('not one'), undefined);
  });

  it('the form: every problem at once, in its order; a telephone appointment needs a phone number', () => {
    assert.deepEqual(patientFormProblems(form(), { today: TODAY }), []);
    assert.deepEqual(
      patientFormProblems(
        form({ nhsNumber: '9476719932', birthDate: { day: '1', month: '1', year: '2030' }, phone: '12345' }),
        { today: TODAY },
      ).map((p) => p.field),
      ['nhsNumber', 'birthDate', 'phone'],
    );
    assert.deepEqual(patientFormProblems(form({ phone: '' }), { today: TODAY }), [
      { field: 'phone', message: PATIENT_MESSAGES.contactMissing },
    ]);
    assert.deepEqual(patientFormProblems(form({ phone: '', email: 'j@example.com' }), { today: TODAY }), []);
    assert.deepEqual(
      patientFormProblems(form({ phone: '', email: 'j@example.com' }), { today: TODAY, telephone: true }),
      [{ field: 'phone', message: PATIENT_MESSAGES.phoneForTelephone }],
    );
  });
});

describe('patient details: the consumer refuses what the form would, with the same words and fields', () => {
  it('a wrong check digit, a future birth date, a phone that is not one: all named at once', () => {
    const next = `${new Date().getFullYear() + 1}-01-01`;
    assert.deepEqual(
      problemsOf(() =>
        preparePatient(
          patient({
            birthDate: next,
            identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9476719932' }],
            telecom: [{ system: 'phone', value: '1' }],
          }),
        ),
      ),
      [
        { field: 'birthDate', message: PATIENT_MESSAGES.birthDateFuture },
        { field: 'nhsNumber', message: PATIENT_MESSAGES.nhsNumber },
        { field: 'phone', message: PATIENT_MESSAGES.phone },
      ],
    );
    assert.deepEqual(
      problemsOf(() => preparePatient(patient({ address: [{ line: ['x'], postalCode: 'nowhere' }] }))),
      [{ field: 'postcode', message: PATIENT_MESSAGES.postcode }],
    );
    assert.deepEqual(
      problemsOf(() => preparePatient(patient({ gender: 'M' }))),
      [{ field: 'gender', message: PATIENT_MESSAGES.gender }],
    );
    assert.equal(preparePatient(patient()).identifier?.[0]?.value, '9434765919');
  });

  it('a telephone slot needs a phone number the service can call (the patient’s or a contact’s)', () => {
    const emailOnly = preparePatient(patient({ telecom: [{ system: 'email', value: 'j@example.com' }] }));
    assert.deepEqual(
      problemsOf(() => requirePhoneFor('Telephone', emailOnly)),
      [{ field: 'phone', message: PATIENT_MESSAGES.phoneForTelephone }],
    );
    requirePhoneFor('In-person', emailOnly);
    requirePhoneFor(undefined, emailOnly);
    requirePhoneFor('Telephone', preparePatient(patient()));
    const carer = preparePatient(
      patient({
        telecom: [{ system: 'email', value: 'j@example.com' }],
        contact: [
          {
            relationship: [{ text: 'Mother' }],
            name: { family: 'Smith' },
            telecom: [{ system: 'phone', value: '07700 900 982' }],
          },
        ],
      }),
    );
    requirePhoneFor('Telephone', carer);
  });

  it('a provider’s refusal naming a FHIR path in the contained Patient becomes the form’s field and words', () => {
    const slot = {
      id: 's',
      identifier: 'u',
      scheduleId: 'S1',
      start: '2026-12-05T10:00:00Z',
      end: 'x',
      status: 'free',
    };
    const appointment = buildAppointment(slot, preparePatient(patient()), 'Cough', 'doc');
    assert.equal(appointment.contained?.[1]?.resourceType, 'Patient');
    const outcome = {
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'invalid', location: ['Appointment.contained[1].identifier[0].value'] },
        { severity: 'error', code: 'invalid', expression: ['Appointment.contained[1].address[0].postalCode'] },
        // The referral document is not the patient: not the form's business.
        { severity: 'error', code: 'invalid', location: ['Appointment.contained[0].identifier[0].value'] },
      ],
    };
    assert.deepEqual(patientProblemsOf(outcome, appointment), [
      { field: 'nhsNumber', message: PATIENT_MESSAGES.nhsNumber },
      { field: 'postcode', message: PATIENT_MESSAGES.postcode },
    ]);
  });
});
