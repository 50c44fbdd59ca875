/**
 * The call handler's patient details in a real browser against a real network (provider, spine, booking
 * app on real ports): each check and refusal in the form's own words next to its field, the error summary
 * focused and announced, a postcode the directory does not know, a telephone appointment without a phone
 * number, and browser Back and reload keeping the journey (the patient's details in sessionStorage only,
 * forgotten at sign-out and after booking). The server refuses the same details with the same words.
 * Each page is checked with axe-core; screenshots under test-artifacts/web/patient-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { assertAccessible, launchChromium } from '../helpers/browser.js';
import { addSlots } from '../../src/capacity/catalogue.js';
import { ensureWebBuilt } from '../../src/cli/web.js';
import { PATIENT_MESSAGES } from '../../src/fhir/patient-details.js';
import {
  SERVICE,
  TENANT,
  quarterHourSlots,
  startTestProvider,
  tomorrowAt,
  type TestProvider,
} from '../helpers/provider.js';
import { startBookingNetwork, type BookingNetwork } from '../helpers/booking-network.js';
import { CALL_HANDLER, signIn } from '../helpers/web.js';

const NHS = '9476719931';
/** The same number with its check digit wrong. */
const BAD_NHS = '9476719932';
const JOURNEY_KEY = 'slotbridge:booking-journey';

describe('web app: the patient’s details, checked and kept, in a real browser', () => {
  let provider: TestProvider;
  let network: BookingNetwork;
  let url: string;
  let browser: Browser;
  let page: Page;
  /** Two telephone slots, the earliest the service has. */
  const telephone = quarterHourSlots('tel', 'S1', tomorrowAt(9), 2, 'Telephone');

  before(async () => {
    await ensureWebBuilt();
    provider = await startTestProvider();
    await addSlots(provider.store, TENANT, telephone);
    network = await startBookingNetwork(provider);
    url = network.url;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await network?.close();
    await provider?.close();
  });

  const accessible = (name: string) => assertAccessible(page, `patient-${name}`);

  async function signedInPage(): Promise<void> {
    page = await browser.newPage();
    await page.goto(url);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByLabel('User name').fill(CALL_HANDLER.username);
    await page.getByLabel('Password').fill(CALL_HANDLER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
  }

  const birth = () => page.getByRole('group', { name: 'Date of birth' });

  async function fill(details: {
    nhs?: string;
    dob?: [string, string, string];
    phone?: string;
    email?: string;
    postcode?: string;
  }) {
    await page.getByLabel('NHS number (optional)').fill(details.nhs ?? NHS);
    await page.getByLabel('First name').fill('John');
    await page.getByLabel('Last name').fill('Smith');
    const [day, month, year] = details.dob ?? ['25', '12', '1974'];
    await birth().getByLabel('Day').fill(day);
    await birth().getByLabel('Month').fill(month);
    await birth().getByLabel('Year').fill(year);
    await page.getByLabel('Gender').selectOption('male');
    await page.getByLabel('Phone number').fill(details.phone ?? '01234 567 890');
    await page.getByLabel('Email address (optional)').fill(details.email ?? '');
    await page.getByLabel('Address', { exact: true }).fill('123 High Street');
    await page.getByLabel('Town or city').fill('Leeds');
    await page.getByLabel('Postcode', { exact: true }).fill(details.postcode ?? 'LS1 4HR');
    await page.getByLabel('Disposition').selectOption('Dx75');
  }

  /** The error summary: shown, announced (role=alert) and holding the focus. */
  async function summaryFocused(): Promise<string> {
    const summary = page.getByRole('alert');
    await summary.waitFor();
    assert.equal(await summary.getAttribute('tabindex'), '-1');
    await page.waitForFunction(() =>
      (globalThis as any).document.activeElement?.classList.contains('nhsuk-error-summary'),
    );
    return summary.innerText();
  }

  /** The inline message next to a field (NHS.UK: the error message inside the field's form group). */
  const messageAt = (id: string) => page.locator(`#${id}-error`);

  it('a wrong NHS number check digit, a future birth date and a phone number that is not one: each refused by its field', async () => {
    await signedInPage();
    const nextYear = String(new Date().getFullYear() + 1);
    await fill({ nhs: BAD_NHS, dob: ['1', '1', nextYear], phone: '12345' });
    // Checked as the call handler leaves the field, before anything is sent.
    await page.getByLabel('First name').focus();
    await messageAt('nhsNumber').getByText(PATIENT_MESSAGES.nhsNumber).waitFor();
    await page.getByRole('button', { name: 'Find services' }).click();
    const said = await summaryFocused();
    for (const message of [PATIENT_MESSAGES.nhsNumber, PATIENT_MESSAGES.birthDateFuture, PATIENT_MESSAGES.phone])
      assert.ok(said.includes(message), `the summary says "${message}": ${said}`);
    assert.ok(!/contained|identifier|Appointment\./.test(said), 'no FHIR path reaches the call handler');
    await messageAt('birthDate').getByText(PATIENT_MESSAGES.birthDateFuture).waitFor();
    await messageAt('phone').getByText(PATIENT_MESSAGES.phone).waitFor();
    // The summary's link for the date goes to its first box.
    assert.equal(
      await page.getByRole('link', { name: PATIENT_MESSAGES.birthDateFuture }).getAttribute('href'),
      '#birthDate-day',
    );
    await accessible('1-refused');
    // 31 February is not a date; the date is three boxes, not the browser's date picker.
    await birth().getByLabel('Day').fill('31');
    await birth().getByLabel('Month').fill('2');
    await birth().getByLabel('Year').fill('1990');
    assert.equal(await birth().getByLabel('Day').getAttribute('type'), 'text');
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('alert').getByText(PATIENT_MESSAGES.birthDateReal).waitFor();
    // Put right, the same details go through.
    await fill({ nhs: '943 476 5919' });
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: 'Services for Dx75 near LS1 4HR' }).waitFor();
    await page.close();
  });

  it('a postcode the directory does not know: said next to the postcode field, with what to do', async () => {
    await signedInPage();
    await fill({ postcode: 'XX1 1AA' });
    await page.getByRole('button', { name: 'Find services' }).click();
    const said = await summaryFocused();
    assert.match(said, /The service directory does not know the postcode XX1 1AA: check it with the patient/);
    await messageAt('postcode')
      .getByText(/does not know the postcode XX1 1AA/)
      .waitFor();
    assert.equal(
      await page.getByRole('heading', { name: 'Patient and assessment' }).isVisible(),
      true,
      'the call handler stays on the details, which are kept',
    );
    assert.equal(await page.getByLabel('First name').inputValue(), 'John');
    await accessible('2-unknown-postcode');
    await page.close();
  });

  it('a telephone appointment needs a phone number: without one the call handler is sent to the phone field', async () => {
    await signedInPage();
    await fill({ phone: '', email: 'john.smith@example.com' });
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: /^Services for / }).waitFor();
    await page.getByRole('button', { name: 'See slots at Test ED (adults)' }).click();
    await page.getByRole('heading', { name: 'Choose a slot at Test ED (adults)' }).waitFor();
    await page
      .getByRole('button', { name: /Telephone/ })
      .first()
      .click();
    const said = await summaryFocused();
    assert.ok(said.includes(PATIENT_MESSAGES.phoneForTelephone), said);
    await messageAt('phone').getByText(PATIENT_MESSAGES.phoneForTelephone).waitFor();
    assert.equal(await page.getByLabel('Email address (optional)').inputValue(), 'john.smith@example.com');
    await accessible('3-telephone-needs-phone');
    // With a number the telephone slot can be booked.
    await page.getByLabel('Phone number').fill('07700 900 982');
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('button', { name: 'See slots at Test ED (adults)' }).click();
    await page
      .getByRole('button', { name: /Telephone/ })
      .first()
      .click();
    await page.getByRole('heading', { name: 'Check and book' }).waitFor();
    await page.close();
  });

  it('browser Back and reload keep the journey and the patient; sign-out and a booking forget them', async () => {
    await signedInPage();
    await fill({});
    // A reload before anything is sent keeps what was typed.
    await page.reload();
    await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
    assert.equal(await page.getByLabel('Last name').inputValue(), 'Smith');
    assert.equal(await birth().getByLabel('Year').inputValue(), '1974');
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: 'Services for Dx75 near LS1 4HR' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Services for Dx75 near LS1 4HR' }).waitFor();
    await page.getByRole('button', { name: 'See slots at Test ED (adults)' }).click();
    await page.getByRole('heading', { name: 'Choose a slot at Test ED (adults)' }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Services for Dx75 near LS1 4HR' }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
    assert.equal(await page.getByLabel('NHS number (optional)').inputValue(), NHS);
    assert.equal(await page.getByLabel('Phone number').inputValue(), '01234 567 890');
    await accessible('4-back-keeps-patient');
    await page.goForward();
    await page.getByRole('heading', { name: 'Services for Dx75 near LS1 4HR' }).waitFor();
    // Kept in this tab's sessionStorage only: never localStorage, never the URL.
    const kept = async () => page.evaluate((key) => (globalThis as any).sessionStorage.getItem(key), JOURNEY_KEY);
    assert.match((await kept()) ?? '', /Smith/);
    assert.equal(await page.evaluate(() => (globalThis as any).localStorage.length), 0);
    assert.ok(!page.url().includes('Smith') && !page.url().includes(NHS), page.url());
    // Booking forgets the patient's details.
    await page.getByRole('button', { name: 'See slots at Test ED (adults)' }).click();
    await page
      .getByRole('button', { name: /In-person/ })
      .first()
      .click();
    await page.getByRole('heading', { name: 'Check and book' }).waitFor();
    const late = page.getByLabel('A clinician approved booking outside the time frame');
    if (await late.count()) await late.check();
    await page.getByLabel('Reason for the appointment').fill('Cough for three weeks');
    await page.getByRole('button', { name: 'Book this appointment' }).click();
    await page.getByRole('heading', { name: 'Appointment booked' }).waitFor();
    assert.equal(await kept(), null, 'no patient details are kept after the booking');
    await page.goBack();
    await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
    assert.equal(
      await page.getByLabel('Last name').inputValue(),
      '',
      'Back after booking does not bring the patient back',
    );
    // Sign-out forgets a journey in progress.
    await fill({});
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: /^Services for / }).waitFor();
    assert.match((await kept()) ?? '', /Smith/);
    await page.getByRole('link', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    assert.equal(await kept(), null, 'no patient details are kept after sign-out');
    await page.close();
  });

  it('the server checks the same rules in the same words, whatever the page sent', async () => {
    const call = await signIn(url);
    const { slots } = (await (await call(`/api/services/${SERVICE}/slots`)).json()) as { slots: { id: string }[] };
    const patient = {
      resourceType: 'Patient',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: BAD_NHS }],
      name: [{ family: 'Smith', given: ['John'] }],
      gender: 'male',
      birthDate: `${new Date().getFullYear() + 1}-01-01`,
      telecom: [{ system: 'email', value: 'john.smith@example.com' }],
      address: [{ line: ['1 High Street'], postalCode: 'LS1 4HR' }],
    };
    const book = (p: unknown, slotId: string) =>
      call('/api/bookings', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ serviceId: SERVICE, slotId, patient: p, reason: 'Cough', approveBreach: true }),
      });
    const refused = await book(patient, slots[0]!.id);
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { code: string; problems: { field: string; message: string }[] };
    assert.equal(body.code, 'patient-invalid');
    assert.deepEqual(body.problems, [
      { field: 'birthDate', message: PATIENT_MESSAGES.birthDateFuture },
      { field: 'nhsNumber', message: PATIENT_MESSAGES.nhsNumber },
    ]);
    // Right details, but a telephone slot and no phone number.
    const ok = { ...patient, identifier: [], birthDate: '1974-12-25' };
    const phoneless = await book(ok, telephone[1]!.id);
    assert.equal(phoneless.status, 400);
    assert.deepEqual(((await phoneless.json()) as typeof body).problems, [
      { field: 'phone', message: PATIENT_MESSAGES.phoneForTelephone },
    ]);
    const rows = await provider.store.db
      .selectFrom('appointment')
      .select('id')
      .where('slot_id', '=', telephone[1]!.id)
      .execute();
    assert.equal(rows.length, 0, 'nothing was booked');
  });
});
