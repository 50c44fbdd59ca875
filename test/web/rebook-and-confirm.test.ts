/**
 * Issue 12's safety findings in a real browser (hazards H-001 and H-002, docs/clinical-safety.md):
 * - a rebook goes through the booking's own slot choice, time-frame marking, clinician approval and
 *   check page (outside the Dx06 time frame, and within it);
 * - cancel and rebook in the booking area, and the front desk's cancel, no-show and fulfilled, each
 *   ask "Are you sure …?" naming the patient, the service, the date and time; "No, go back" changes
 *   nothing; the front desk can correct a mistaken status.
 * Each page is checked with axe-core; screenshots are kept under test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { addSlots } from '../../src/capacity/catalogue.js';
import { buildWeb, ensureWebBuilt, WEB_DIST } from '../../src/cli/web.js';
import { registerProviderWith } from '../../src/cli/spine.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { seedDemoSpine } from '../../src/spine/demo.js';
import { when } from '../../web/src/booking/format.js';
import { assertAccessible, launchChromium } from '../helpers/browser.js';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { call } from '../helpers/consumer.js';
import {
  HOUR,
  OTHER_TENANT,
  SERVICE,
  TENANT,
  bookingFor,
  quarterHourSlots,
  startTestProvider,
  type TestProvider,
} from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { CALL_HANDLER, testAuth } from '../helpers/web.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';

const NHS = '9476719931';
const quarter = (ms: number) => Math.ceil(ms / 900_000) * 900_000;

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('User name').fill(CALL_HANDLER.username);
  await page.getByLabel('Password').fill(CALL_HANDLER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
}

describe('web app: rebook within the time frame, and cancel or rebook only once sure', () => {
  let provider: TestProvider;
  let spineStore: TestStore;
  let consumerStore: TestStore;
  let spine: Spine;
  let web: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  // A Dx06 assessment (within 6 hours): slots in 2 hours are within the time frame, slots in 30 hours are not.
  const soon = quarterHourSlots('soon', 'S1', quarter(Date.now() + 2 * HOUR), 3);
  const late = quarterHourSlots('late', 'S1', quarter(Date.now() + 30 * HOUR) + 7 * 60_000, 2);
  const booked: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    provider = await startTestProvider();
    await addSlots(provider.store, TENANT, [...soon, ...late]);
    spineStore = await testStore();
    consumerStore = await testStore();
    spine = await buildSpine({ ...TEST_SPINE, store: spineStore.store });
    const base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    await seedDemoSpine(spineStore.store.db);
    await registerProviderWith(base, {
      operatorToken: OPERATOR_TOKEN,
      root: provider.root(),
      asid: '999000000001',
      ods: 'RT1',
      postcode: 'LS1 4AP',
      dispositions: ['Dx06'],
    });
    // Two Dx06 bookings for John Smith within the time frame, made by this consumer.
    const consumer = new Consumer({ spine: base, identity: consumerIdentity(), db: consumerStore.store.db });
    const patient = JSON.parse(readFileSync(new URL('../fixtures/examples/patient.json', import.meta.url), 'utf8'));
    for (const slot of soon.slice(0, 2)) {
      const b = await consumer.book({
        serviceId: SERVICE,
        slotId: slot.id,
        patient,
        reason: 'Abdominal pain',
        disposition: 'Dx06',
        encounterId: `enc-${slot.id}`,
      });
      booked.push(b.appointmentUrl);
    }
    web = await buildConsumerWeb({
      spine: base,
      identity: consumerIdentity({ user: 'web-handler' }),
      db: consumerStore.store.db,
      webDist: WEB_DIST,
      auth: testAuth(),
    });
    url = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'en-GB' });
    await signIn(page, url);
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await spine?.app.close();
    await spineStore?.dispose();
    await consumerStore?.dispose();
    await provider?.close();
  });

  const accessible = (name: string) => assertAccessible(page, name);
  const statusOf = async (appointmentUrl: string) =>
    (
      await provider.store.db
        .selectFrom('appointment')
        .select('status')
        .where('id', '=', appointmentUrl.split('/').pop()!)
        .executeTakeFirstOrThrow()
    ).status;
  const rowOf = (start: string) => page.getByRole('row').filter({ hasText: when(start) });
  const showBookings = async () => {
    await page.getByRole('link', { name: "Patient's bookings" }).click();
    await page.getByLabel('NHS number').fill(NHS);
    await page.getByRole('button', { name: 'Show bookings' }).click();
    await page.getByRole('table').waitFor();
  };

  it('rebook into a slot outside the time frame: marked, needs the clinician’s approval, a check page, then booked', async () => {
    await showBookings();
    assert.equal(await page.getByRole('row').filter({ hasText: 'Test ED (adults)' }).count(), 2, 'services by name');
    await accessible('rebook-1-bookings');
    await rowOf(soon[0]!.start)
      .getByRole('button', { name: /^Rebook/ })
      .click();
    await page
      .getByRole('heading', { name: 'Choose a new slot for John Smith at Test ED (adults)', level: 1 })
      .waitFor();
    await page
      .getByText(
        /Slots marked “After the time frame” start after the Dx06 time frame \(Contact a primary care service within 6 hours\)/,
      )
      .waitFor();
    // Slot buttons are named by their visible text: day and time, what sets them apart, then the marker.
    const slotButton = (start: string) => page.getByRole('button', { name: new RegExp(`^${when(start)}, `) });
    const lateButton = slotButton(late[0]!.start);
    assert.match(await lateButton.innerText(), /After the time frame/, 'the late slot is marked');
    assert.doesNotMatch(
      await slotButton(soon[2]!.start).innerText(),
      /After the time frame/,
      'a slot within the time frame is not',
    );
    await accessible('rebook-2-slots');
    await lateButton.click();

    await page.getByRole('heading', { name: 'Check and rebook', level: 1 }).waitFor();
    await page.locator('.nhsuk-warning-callout', { hasText: 'Outside the time frame' }).waitFor();
    await page.getByText(/This slot starts .* after the Dx06 time frame ends/).waitFor();
    await page
      .getByText(
        `This rebooks John Smith (NHS number 947 671 9931). Their appointment at Test ED (adults) on ${when(soon[0]!.start)} ` +
          'will be cancelled once the new one below is booked.',
      )
      .waitFor();
    const rebook = page.getByRole('button', { name: 'Rebook and cancel the old appointment' });
    assert.ok(await rebook.isDisabled(), 'no rebook outside the time frame without the approval');
    await accessible('rebook-3-check-outside');
    await page.getByLabel('A clinician approved booking outside the time frame').check();
    assert.ok(await rebook.isEnabled());
    await rebook.click();

    await page
      .getByRole('status')
      .getByText(
        `John Smith is booked at Test ED (adults) on ${when(late[0]!.start)}. ` +
          `The old appointment on ${when(soon[0]!.start)} is cancelled.`,
      )
      .waitFor();
    await accessible('rebook-4-rebooked');
    assert.equal(await statusOf(booked[0]!), 'cancelled');
    const approvals = await consumerStore.store.db
      .selectFrom('consumer_event')
      .select('kind')
      .where('kind', '=', 'breach-approved')
      .execute();
    assert.equal(approvals.length, 1, 'the approval is recorded');
  });

  it('rebook within the time frame: no marker or approval, the check page, then booked; "Back" first changes nothing', async () => {
    await rowOf(soon[1]!.start)
      .getByRole('button', { name: /^Rebook/ })
      .click();
    await page.getByRole('heading', { name: /^Choose a new slot for John Smith/, level: 1 }).waitFor();
    await page.getByRole('link', { name: "Back to the patient's bookings" }).click();
    await page.getByRole('heading', { name: "Patient's bookings", level: 1 }).waitFor();
    assert.equal(await statusOf(booked[1]!), 'booked', 'going back changes nothing');

    await rowOf(soon[1]!.start)
      .getByRole('button', { name: /^Rebook/ })
      .click();
    await page.getByRole('button', { name: `${when(soon[2]!.start)}, In-person` }).click();
    await page.getByRole('heading', { name: 'Check and rebook', level: 1 }).waitFor();
    assert.equal(await page.locator('.nhsuk-warning-callout').count(), 0, 'no outside-the-time-frame warning');
    assert.equal(await page.getByLabel('A clinician approved booking outside the time frame').count(), 0);
    await accessible('rebook-5-check-within');
    await page.getByLabel('Reason for the appointment').fill('Abdominal pain, moved to suit the patient');
    await page.getByRole('button', { name: 'Rebook and cancel the old appointment' }).click();
    await page
      .getByRole('status')
      .getByText(`John Smith is booked at Test ED (adults) on ${when(soon[2]!.start)}.`, { exact: false })
      .waitFor();
    assert.equal(await statusOf(booked[1]!), 'cancelled');
  });

  it('cancel asks first, naming the patient, service, date and time; "No, go back" keeps the booking; "Yes" cancels', async () => {
    const row = rowOf(soon[2]!.start);
    await row.getByRole('button', { name: /^Cancel/ }).click();
    await page
      .getByRole('heading', { name: "Are you sure you want to cancel John Smith's appointment?", level: 1 })
      .waitFor();
    const details = await page.locator('.nhsuk-summary-list').innerText();
    for (const expected of ['John Smith (NHS number 947 671 9931)', 'Test ED (adults)', when(soon[2]!.start)])
      assert.ok(details.includes(expected), `${expected} in ${details}`);
    assert.ok(
      await page.locator('button.nhsuk-button--warning', { hasText: 'Yes, cancel the appointment' }).isVisible(),
    );
    await accessible('rebook-6-cancel-are-you-sure');
    await page.getByRole('link', { name: 'No, go back' }).click();
    await page.getByRole('heading', { name: "Patient's bookings", level: 1 }).waitFor();
    assert.equal(await rowOf(soon[2]!.start).locator('.nhsuk-tag').innerText(), 'booked', 'nothing changed');
    const rebookedUrl = (
      await consumerStore.store.db
        .selectFrom('consumer_booking')
        .select('appointment_url')
        .where('slot_id', '=', soon[2]!.id)
        .executeTakeFirstOrThrow()
    ).appointment_url;
    assert.equal(await statusOf(rebookedUrl), 'booked');

    await rowOf(soon[2]!.start)
      .getByRole('button', { name: /^Cancel/ })
      .click();
    await page.getByRole('button', { name: 'Yes, cancel the appointment' }).click();
    await page
      .getByRole('status')
      .getByText(`John Smith's appointment at Test ED (adults) on ${when(soon[2]!.start)} is cancelled.`)
      .waitFor();
    assert.equal(await statusOf(rebookedUrl), 'cancelled');
    await accessible('rebook-7-cancelled');
  });
});

describe('web app: the front desk asks before cancel, no-show and fulfilled, and corrects a mistaken status', () => {
  const TENANTS = [
    { id: TENANT, name: 'Test Emergency Department' },
    { id: OTHER_TENANT, name: 'Other Urgent Treatment Centre' },
  ];
  let p: AdminProvider;
  let web: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  let appointmentId: string;
  let day: string;

  before(async () => {
    await ensureWebBuilt();
    p = await startAdminProvider('front desk');
    const slot = p.catalogue.s2[0]!;
    day = new Date(slot.start).toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
    const booked = await call(p.root(), '/Appointment', { method: 'POST', body: bookingFor(slot) });
    assert.equal(booked.status, 201, booked.text);
    appointmentId = booked.json.id;
    web = await buildWeb({
      spine: 'http://127.0.0.1:9',
      store: p.ts.store,
      capacity: { providerOrigin: p.origin, tenants: TENANTS },
      auth: testAuth(),
    });
    url = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'en-GB' });
    await signIn(page, url);
    await page.getByRole('navigation', { name: 'Areas' }).getByRole('link', { name: 'Capacity' }).click();
    await page.getByRole('heading', { name: 'Sign in to manage capacity' }).waitFor();
    await page.getByLabel('Test Emergency Department (test-ed)').check();
    await page.getByLabel('Admin token').fill(p.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Rotas', level: 1 }).waitFor();
    await page.goto(`${url}/capacity/day?date=${day}`);
    await page.getByRole('heading', { name: 'Bookings' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await p?.close();
  });

  const accessible = (name: string) => assertAccessible(page, name);
  // The day view names the patient, not the appointment id: its row carries the id as data-appointment.
  const booking = () => page.locator(`tr[data-appointment="${appointmentId}"]`);
  const offered = async () => (await booking().getByRole('button').allInnerTexts()).map((t) => t.split(':')[0]!.trim());
  const providerStatus = async () =>
    (
      await p.ts.store.db
        .selectFrom('appointment')
        .select('status')
        .where('id', '=', appointmentId)
        .executeTakeFirstOrThrow()
    ).status;
  const slotStart = () => new Date(p.catalogue.s2[0]!.start);
  const time = () =>
    slotStart().toLocaleTimeString('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit' });
  const tag = () => booking().locator('.nhsuk-tag').innerText();
  /** Asks for a move that needs confirming, checks the page says to whom, then confirms or goes back. */
  async function askFor(button: RegExp, question: string, answer: 'yes' | 'back', yes: string, shot?: string) {
    await booking().getByRole('button', { name: button }).click();
    await page.getByRole('heading', { name: question, level: 1 }).waitFor();
    const details = await page.locator('.nhsuk-summary-list').innerText();
    assert.match(details, /Patient\s+Mr Peter Chalmers/);
    assert.match(details, new RegExp(`Date and time\\s+.*at ${time()}`));
    assert.match(details, /Service\s+\S+/);
    if (shot) await accessible(shot);
    if (answer === 'back') await page.getByRole('link', { name: 'No, go back' }).click();
    else await page.locator('button.nhsuk-button--warning', { hasText: yes }).click();
    await page.getByRole('heading', { name: 'Bookings' }).waitFor();
  }

  it('no-show: "No, go back" leaves it booked; confirmed, it is a no-show, corrected to arrived at once', async () => {
    assert.deepEqual(await offered(), ['Arrived', 'No-show', 'Cancel']);
    await askFor(
      /^No-show/,
      'Are you sure you want to mark Mr Peter Chalmers as a no-show?',
      'back',
      '',
      'front-desk-1-noshow-are-you-sure',
    );
    assert.equal(await providerStatus(), 'booked', 'going back changes nothing');
    assert.equal(await tag(), 'booked');
    await askFor(
      /^No-show/,
      'Are you sure you want to mark Mr Peter Chalmers as a no-show?',
      'yes',
      'Yes, mark as a no-show',
    );
    await page.getByRole('status').filter({ hasText: 'was booked and is now no-show' }).waitFor();
    assert.equal(await providerStatus(), 'noshow');
    assert.deepEqual(await offered(), ['Correct to booked', 'Correct to arrived']);
    await accessible('front-desk-2-noshow-correctable');
    // The patient came after all: a correction, at once.
    await booking()
      .getByRole('button', { name: /^Correct to arrived/ })
      .click();
    await page.getByRole('status').filter({ hasText: 'was no-show and is now arrived' }).waitFor();
    assert.equal(await providerStatus(), 'arrived');
  });

  it('fulfilled: asks first; confirmed, it can be corrected back to arrived', async () => {
    assert.deepEqual(await offered(), ['Fulfilled', 'Correct to booked']);
    await askFor(
      /^Fulfilled/,
      "Are you sure you want to mark Mr Peter Chalmers's appointment as fulfilled?",
      'back',
      '',
      'front-desk-3-fulfilled-are-you-sure',
    );
    assert.equal(await providerStatus(), 'arrived');
    await askFor(
      /^Fulfilled/,
      "Are you sure you want to mark Mr Peter Chalmers's appointment as fulfilled?",
      'yes',
      'Yes, mark as fulfilled',
    );
    await page.getByRole('status').filter({ hasText: 'was arrived and is now fulfilled' }).waitFor();
    assert.equal(await providerStatus(), 'fulfilled');
    assert.deepEqual(await offered(), ['Correct to arrived']);
    await booking()
      .getByRole('button', { name: /^Correct to arrived/ })
      .click();
    await page.getByRole('status').filter({ hasText: 'was fulfilled and is now arrived' }).waitFor();
    await booking()
      .getByRole('button', { name: /^Correct to booked/ })
      .click();
    await page.getByRole('status').filter({ hasText: 'was arrived and is now booked' }).waitFor();
    assert.equal(await providerStatus(), 'booked');
  });

  it('cancel: asks first; "No, go back" keeps it; confirmed, the slot is freed and the booking leaves the day', async () => {
    await askFor(
      /^Cancel/,
      "Are you sure you want to cancel Mr Peter Chalmers's appointment?",
      'back',
      '',
      'front-desk-4-cancel-are-you-sure',
    );
    assert.equal(await providerStatus(), 'booked');
    await askFor(
      /^Cancel/,
      "Are you sure you want to cancel Mr Peter Chalmers's appointment?",
      'yes',
      'Yes, cancel the appointment',
    );
    await page.getByRole('status').filter({ hasText: 'was booked and is now cancelled' }).waitFor();
    assert.equal(await providerStatus(), 'cancelled');
    assert.equal(await booking().count(), 0, 'a cancelled booking no longer holds a slot on the day');
    const slot = await p.ts.store.db
      .selectFrom('slot')
      .select(['status', 'appointment_id'])
      .where('id', '=', p.catalogue.s2[0]!.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(slot, { status: 'free', appointment_id: null });
    await accessible('front-desk-5-cancelled');
  });
});
