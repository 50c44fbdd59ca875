/**
 * The call handler's web app in a real browser (Chromium driven by playwright-core; test/helpers/browser.ts
 * says which Chromium) against a real network on this machine: a provider, the spine and the booking app on
 * real ports, every booking call through the proxy. Each page is checked with axe-core for WCAG 2.1 A/AA;
 * screenshots are kept under test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { assertAccessible, launchChromium } from '../helpers/browser.js';
import { putReference } from '../../src/capacity/catalogue.js';
import { ensureWebBuilt, WEB_DIST } from '../../src/cli/web.js';
import { registerProviderWith } from '../../src/cli/spine.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { seedDemoSpine } from '../../src/spine/demo.js';
import { OTHER_SERVICE, OTHER_TENANT, SERVICE, startTestProvider, type TestProvider } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { CALL_HANDLER, testAuth } from '../helpers/web.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';
import { time } from '../../web/src/booking/format.js';

const NHS = '9476719931';

describe('web app: booking area in a real browser', () => {
  let provider: TestProvider;
  let spineStore: TestStore;
  let consumerStore: TestStore;
  let spine: Spine;
  let web: FastifyInstance;
  let base: string;
  let url: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    await ensureWebBuilt();
    provider = await startTestProvider();
    // The other tenant's service is booking only and has no free slots.
    await putReference(provider.store.db, OTHER_TENANT, {
      resourceType: 'HealthcareService',
      id: OTHER_SERVICE,
      identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: OTHER_SERVICE }],
      name: 'Other UTC (booking only)',
    });
    await provider.store.db.updateTable('slot').set({ status: 'busy' }).where('tenant_id', '=', OTHER_TENANT).execute();
    spineStore = await testStore();
    consumerStore = await testStore();
    spine = await buildSpine({ ...TEST_SPINE, store: spineStore.store });
    base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    await seedDemoSpine(spineStore.store.db);
    await registerProviderWith(base, {
      operatorToken: OPERATOR_TOKEN,
      root: provider.root(),
      asid: '999000000001',
      ods: 'RT1',
      postcode: 'LS1 4AP',
      dispositions: ['Dx05', 'Dx75'],
    });
    await registerProviderWith(base, {
      operatorToken: OPERATOR_TOKEN,
      root: provider.root(OTHER_TENANT),
      asid: '999000000002',
      ods: 'RT2',
      postcode: 'LS2 9NS',
      dispositions: ['Dx05', 'Dx75'],
      requireBooking: true,
    });
    web = await buildConsumerWeb({
      spine: base,
      identity: consumerIdentity({ user: 'web-handler' }),
      db: consumerStore.store.db,
      webDist: WEB_DIST,
      auth: testAuth(),
    });
    url = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    browser = await launchChromium();
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
  /** What the browser said the Content-Security-Policy refused (nothing, if the pages keep to it). */
  const refused: string[] = [];

  /** A new page, signed in as the call handler on the sign-in page the app sends a visitor to. */
  async function signedInPage(): Promise<void> {
    page = await browser.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(url);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByLabel('User name').fill(CALL_HANDLER.username);
    await page.getByLabel('Password').fill(CALL_HANDLER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
  }

  async function patientForm(disposition: string, nhs = NHS): Promise<void> {
    await signedInPage();
    await page.getByLabel('NHS number (optional)').fill(nhs);
    await page.getByLabel('First name').fill('John');
    await page.getByLabel('Last name').fill('Smith');
    const birth = page.getByRole('group', { name: 'Date of birth' });
    await birth.getByLabel('Day').fill('25');
    await birth.getByLabel('Month').fill('12');
    await birth.getByLabel('Year').fill('1974');
    await page.getByLabel('Gender').selectOption('male');
    await page.getByLabel('Phone number').fill('01234 567 890');
    await page.getByLabel('Address', { exact: true }).fill('123 High Street');
    await page.getByLabel('Town or city').fill('Leeds');
    await page.getByLabel('Postcode', { exact: true }).fill('LS1 4HR');
    await page.getByLabel('Disposition').selectOption(disposition);
  }

  /** Waits for a heading; if the page shows a problem instead, fails with what it says. */
  async function expectHeading(name: string | RegExp): Promise<void> {
    const heading = page.getByRole('heading', { name });
    const problem = page.locator('.nhsuk-error-summary');
    await Promise.race([heading.waitFor(), problem.waitFor()]);
    if (!(await heading.isVisible()))
      assert.fail(`expected "${String(name)}", the page says: ${await problem.innerText()}`);
  }

  async function toSlots(serviceName: string): Promise<void> {
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: /^Services for / }).waitFor();
    await page.getByRole('button', { name: `See slots at ${serviceName}` }).click();
    await page.getByRole('heading', { name: `Choose a slot at ${serviceName}` }).waitFor();
  }

  it('a booking end to end: patient, disposition → ranked services → slots by day → confirm → confirmation, reference', async () => {
    await patientForm('Dx75');
    await accessible('1-patient');
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: 'Services for Dx75 near LS1 4HR' }).waitFor();
    await page
      .getByText(/Takes bookings: \d+ free slots within the Dx75 time frame/)
      .first()
      .waitFor();
    await accessible('2-services');
    await page.getByRole('button', { name: 'See slots at Test ED (adults)' }).click();
    await page.getByRole('heading', { name: 'Choose a slot at Test ED (adults)' }).waitFor();
    await accessible('3-slots');
    const first = provider.catalogue.s1[0]!;
    const label = time(first.start);
    await page
      .getByRole('button', { name: new RegExp(`at ${label}, In-person`) })
      .first()
      .click();
    await page.getByRole('heading', { name: 'Check and book' }).waitFor();
    assert.ok(await page.getByText('Test Hospital ED, 1 Test Road').isVisible());
    assert.ok(await page.getByText('Dr Libbie Webber (female), General Medical Practitioner').isVisible());
    await accessible('4-confirm');
    await page.getByLabel('Reason for the appointment').fill('Cough for three weeks');
    await page.getByRole('button', { name: 'Book this appointment' }).click();
    await expectHeading('Appointment booked');
    await accessible('5-booked');
    const booked = await provider.store.db
      .selectFrom('appointment')
      .selectAll()
      .where('slot_id', '=', first.id)
      .where('status', '=', 'booked')
      .execute();
    assert.equal(booked.length, 1);
    const reference = booked[0]!.id.slice(0, 8).toUpperCase();
    assert.ok(
      await page
        .locator('.nhsuk-panel')
        .getByText(`${reference.slice(0, 4)} ${reference.slice(4)}`)
        .isVisible(),
      'the confirmation shows the appointment’s short reference',
    );
    await page.close();
  });

  it('a slot taken between display and booking: a clear message and the next free slots', async () => {
    await patientForm('Dx75');
    await toSlots('Test ED (adults)');
    const slot = provider.catalogue.s1[2]!;
    const label = time(slot.start);
    await page
      .getByRole('button', { name: new RegExp(`at ${label}, In-person`) })
      .first()
      .click();
    await page.getByLabel('Reason for the appointment').fill('Rash');
    // Someone else books it meanwhile.
    const other = new Consumer({ spine: base, identity: consumerIdentity({ user: 'someone-else' }) });
    await other.book({
      serviceId: SERVICE,
      slotId: slot.id,
      patient: {
        resourceType: 'Patient',
        name: [{ family: 'Other' }],
        gender: 'female',
        birthDate: '1980-01-01',
        telecom: [{ system: 'phone', value: '0113 496 0001' }],
        address: [{ line: ['x'] }],
      },
      reason: 'x',
    });
    await page.getByRole('button', { name: 'Book this appointment' }).click();
    await page
      .getByRole('alert')
      .getByText(/just been taken|no longer free/)
      .waitFor();
    await page.getByRole('heading', { name: 'Choose a slot at Test ED (adults)' }).waitFor();
    await accessible('6-slot-gone');
    assert.equal(
      await page.getByRole('button', { name: new RegExp(`at ${label}, In-person`) }).count(),
      0,
      'the taken slot is no longer offered',
    );
    await page.close();
  });

  it('a booking-only service with no slots: says so, offers neither slots nor a referral, and the API refuses a referral', async () => {
    await patientForm('Dx75');
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: /^Services for / }).waitFor();
    const card = page.locator('.nhsuk-card', { hasText: 'Other UTC (booking only)' });
    assert.ok(await card.getByText('Booking only', { exact: true }).isVisible());
    await card
      .getByText(/has no free slots\. It only takes patients with a booking: choose another service\./)
      .waitFor();
    assert.equal(await card.getByRole('button').count(), 0, 'the card offers nothing the next page would refuse');
    await accessible('7-booking-only-no-slots');
    const refused = await page.evaluate(async (id) => {
      const res = await fetch(`/api/services/${id}/referral`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ disposition: 'Dx75' }),
      });
      return { status: res.status, body: (await res.json()) as { message: string } };
    }, OTHER_SERVICE);
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /only accepts referrals with a booked appointment/);
    await page.close();
  });

  it('booking outside the time frame needs the clinician’s approval first', async () => {
    await patientForm('Dx05');
    await toSlots('Test ED (adults)');
    const slot = provider.catalogue.s1[5]!;
    const label = time(slot.start);
    await page
      .getByRole('button', { name: new RegExp(`at ${label}, In-person`) })
      .first()
      .click();
    await page.getByText(/after the Dx05 time frame ends/).waitFor();
    await page.getByLabel('Reason for the appointment').fill('Earache');
    const book = page.getByRole('button', { name: 'Book this appointment' });
    assert.equal(await book.isDisabled(), true, 'no booking before approval');
    await accessible('8-outside-time-frame');
    await page.getByLabel('A clinician approved booking outside the time frame').check();
    await book.click();
    await expectHeading('Appointment booked');
    const events = await consumerStore.store.db
      .selectFrom('consumer_event')
      .select('kind')
      .where('kind', '=', 'breach-approved')
      .execute();
    assert.equal(events.length, 1);
    await page.close();
  });

  it('the patient’s bookings: cancel one, rebook another (new slot first, then the old one cancelled)', async () => {
    await signedInPage();
    await page.getByRole('link', { name: "Patient's bookings" }).click();
    await page.getByLabel('NHS number').fill(NHS);
    await page.getByRole('button', { name: 'Show bookings' }).click();
    await page.getByRole('table').waitFor();
    await accessible('9-bookings');
    const rows = page.getByRole('row').filter({ hasText: 'booked' });
    assert.equal(await rows.count(), 2);
    await rows
      .first()
      .getByRole('button', { name: /^Cancel/ })
      .click();
    // Cancel and rebook ask first (test/web/rebook-and-confirm.test.ts walks them in full).
    await page.getByRole('button', { name: 'Yes, cancel the appointment' }).click();
    await page
      .getByRole('status')
      .getByText(/is cancelled\.$/)
      .waitFor();
    await page
      .getByRole('row')
      .filter({ hasText: 'booked' })
      .first()
      .getByRole('button', { name: /^Rebook/ })
      .click();
    await page.getByRole('heading', { name: /^Choose a new slot for / }).waitFor();
    await page.locator('.sb-slot-list button').last().click();
    await page.getByRole('heading', { name: 'Check and rebook' }).waitFor();
    const approval = page.getByLabel('A clinician approved booking outside the time frame');
    if (await approval.count()) await approval.check();
    await page.getByRole('button', { name: 'Rebook and cancel the old appointment' }).click();
    await page
      .getByRole('status')
      .getByText(/ is booked at .* The old appointment on .* is cancelled\.$/)
      .waitFor();
    await accessible('10-rebooked');
    const statuses = await page.getByRole('row').locator('.nhsuk-tag').allTextContents();
    assert.deepEqual(statuses.sort(), ['booked', 'cancelled', 'cancelled']);
    await page.close();
  });

  it('a visitor who is not signed in is sent to sign in, then back to the page asked for; the header names them; sign out', async () => {
    page = await browser.newPage();
    await page.goto(`${url}/bookings`);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.equal(await page.getByRole('navigation', { name: 'Areas' }).count(), 0, 'no area is offered');
    await accessible('0-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Enter your user name').waitFor();
    await page.getByLabel('User name').fill(CALL_HANDLER.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The user name or password is not right.').waitFor();
    await accessible('0-sign-in-refused');
    await page.getByLabel('Password').fill(CALL_HANDLER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('NHS number').waitFor();
    assert.equal(new URL(page.url()).pathname, '/bookings', 'back to the page asked for');
    const account = page.getByRole('navigation', { name: 'Account' });
    assert.equal(await account.getByText('Signed in as Robin Test, 111 call handler').count(), 1);
    assert.equal(
      await page.evaluate(() => (globalThis as any).document.cookie),
      '',
      'the session cookie is HttpOnly: the page’s script cannot read it',
    );
    await account.getByRole('link', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.goto(url);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    const api = await page.evaluate(async () => (await fetch('/api/dispositions')).status);
    assert.equal(api, 401, 'signed out: the API refuses the browser');
    await page.close();
  });

  it('too many failed sign-ins: the page says so, and when to try again', async () => {
    // A web app of its own that allows one failure a minute, so the other tests' sign-ins are untouched.
    const strict = await buildConsumerWeb({
      spine: base,
      identity: consumerIdentity({ user: 'web-handler' }),
      db: consumerStore.store.db,
      webDist: WEB_DIST,
      auth: testAuth({ signInFailures: { perClient: 1 } }),
    });
    try {
      const strictUrl = (await strict.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
      page = await browser.newPage();
      await page.goto(`${strictUrl}/sign-in`);
      await page.getByLabel('User name').fill(CALL_HANDLER.username);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').getByText('The user name or password is not right.').waitFor();
      await page.getByLabel('Password').fill(CALL_HANDLER.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const said = page
        .getByRole('alert')
        .getByText(/^Too many failed sign-ins from here; try again in \d+ seconds\.$/);
      await said.waitFor();
      await accessible('0-sign-in-too-many');
      assert.equal(await page.getByRole('heading', { name: 'Sign in', exact: true }).count(), 1, 'still signed out');
      await page.close();
    } finally {
      await strict.close();
    }
  });

  it('no page broke the Content-Security-Policy', () => {
    assert.deepEqual(refused, []);
  });
});
