/**
 * Choosing a service and a slot, and the confirmation, in a real browser (issue 12, findings 6–8):
 * the services list in an order a call handler can act on, in plain words, never offering what the
 * next page refuses; a no-fixed-abode patient searched by where they are now; a slot picker that is a
 * choice rather than a wall of identical buttons; a confirmation that can be read out. A provider, the
 * spine and the booking app on real ports; axe-core on every page; screenshots in test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { addSlots, mapServiceToSchedule, putReference } from '../../src/capacity/catalogue.js';
import { ensureWebBuilt } from '../../src/cli/web.js';
import { when } from '../../web/src/booking/format.js';
import { assertAccessible, launchChromium } from '../helpers/browser.js';
import {
  OTHER_SERVICE,
  OTHER_TENANT,
  SERVICE,
  TENANT,
  quarterHourSlots,
  startTestProvider,
  tomorrowAt,
  type TestProvider,
} from '../helpers/provider.js';
import { startBookingNetwork, type BookingNetwork } from '../helpers/booking-network.js';
import { CALL_HANDLER } from '../helpers/web.js';

const NHS = '9476719931';
const DAY = 86_400_000;

describe('web app: choosing a service and a slot, and the confirmation', () => {
  let provider: TestProvider;
  let network: BookingNetwork;
  let url: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    await ensureWebBuilt();
    provider = await startTestProvider();
    const db = provider.store.db;
    // The other tenant's service is booking only and has no free slots.
    await putReference(db, OTHER_TENANT, {
      resourceType: 'HealthcareService',
      id: OTHER_SERVICE,
      identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: OTHER_SERVICE }],
      name: 'Other UTC (booking only)',
    });
    await db.updateTable('slot').set({ status: 'busy' }).where('tenant_id', '=', OTHER_TENANT).execute();
    // Service 100001 also offers telephone slots at the same times from another site, with another
    // clinician (S3); a second diary just like S1 (S4) repeats S1's first four slots exactly; and S1
    // has slots on four more days.
    await putReference(db, TENANT, {
      resourceType: 'Location',
      id: 'LOC2',
      name: 'Riverside Clinic',
      address: { line: ['2 River Street'], city: 'Leeds', postalCode: 'LS2 7AA' },
    });
    await putReference(db, TENANT, {
      resourceType: 'HealthcareService',
      id: '100003',
      providedBy: { reference: 'Organization/RT1' },
      location: [{ reference: 'Location/LOC2' }],
      name: 'Riverside telephone clinic',
    });
    await putReference(db, TENANT, {
      resourceType: 'Practitioner',
      id: 'PR2',
      name: [{ family: 'Patel', given: ['Sam'], prefix: ['Dr'] }],
      gender: 'male',
    });
    await putReference(db, TENANT, {
      resourceType: 'Schedule',
      id: 'S3',
      actor: [{ reference: 'HealthcareService/100003' }, { reference: 'Practitioner/PR2' }],
    });
    await mapServiceToSchedule(db, TENANT, SERVICE, 'S3');
    await putReference(db, TENANT, {
      resourceType: 'Schedule',
      id: 'S4',
      actor: [
        { reference: `HealthcareService/${SERVICE}` },
        { reference: 'Practitioner/PR1' },
        { reference: 'PractitionerRole/ROLE1' },
      ],
    });
    await addSlots(provider.store, TENANT, [
      ...quarterHourSlots('s3', 'S3', tomorrowAt(10), 16, 'Telephone'),
      ...quarterHourSlots('s4', 'S4', tomorrowAt(10), 4),
      ...[1, 2, 3, 4].flatMap((k) => quarterHourSlots(`d${k}`, 'S1', tomorrowAt(10) + k * DAY, 4)),
    ]);
    network = await startBookingNetwork(provider, { bookingOnlyOtherTenant: true });
    url = network.url;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await network?.close();
    await provider?.close();
  });

  const accessible = (name: string) => assertAccessible(page, `choosing-${name}`);

  /** Signed in, with the patient form filled in for this disposition and postcode. */
  async function patientForm(disposition: string, postcode = 'LS1 4HR'): Promise<void> {
    page = await browser.newPage();
    await page.goto(url);
    await page.getByLabel('User name').fill(CALL_HANDLER.username);
    await page.getByLabel('Password').fill(CALL_HANDLER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
    await page.getByLabel('NHS number (optional)').fill(NHS);
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
    await page.getByLabel('Postcode', { exact: true }).fill(postcode);
    await page.getByLabel('Disposition').selectOption(disposition);
  }

  async function toServices(): Promise<void> {
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: /^Services for / }).waitFor();
  }

  async function toSlots(): Promise<void> {
    await toServices();
    await page.getByRole('button', { name: 'See slots at Test ED (adults)' }).click();
    await page.getByRole('heading', { name: 'Choose a slot at Test ED (adults)' }).waitFor();
  }

  const slotButtons = () => page.locator('.sb-slot-list button');

  it('the services list: the directory’s first choice, then bookable ones; plain words, technical details a click away', async () => {
    await patientForm('Dx05');
    await toServices();
    await page
      .getByText(/^Takes bookings: \d+ free slots/)
      .first()
      .waitFor();
    const cards = page.locator('.nhsuk-card');
    const count = await cards.count();
    assert.ok(count > 4, `several services (${count})`);
    assert.equal(await cards.first().getByText('The directory’s first choice').count(), 1, 'rank 1 leads');
    // After the first: every card that takes bookings before every card that cannot be booked.
    const kinds: string[] = [];
    for (let i = 1; i < count; i++)
      kinds.push((await cards.nth(i).getByText('Cannot be booked here.').count()) ? 'no' : 'book');
    assert.ok(kinds.includes('book') && kinds.includes('no'), kinds.join(','));
    assert.equal(kinds.lastIndexOf('book') < kinds.indexOf('no'), true, `bookable first: ${kinds.join(',')}`);
    // No ASIDs or endpoint jargon on the page until the call handler opens the technical details.
    // (The demo directory's service names describe their test case, so only the cards' words are read.)
    const visible = (await page.locator('.nhsuk-card__content > p').allInnerTexts()).join('\n');
    assert.doesNotMatch(visible, /ASID|endpoint|\b\d{12}\b/i);
    await accessible('1-services');
    const hub = page.locator('.nhsuk-card', { hasText: 'Leeds City GP Hub' });
    await hub.getByText('Technical details').click();
    await hub.getByText(/2 booking endpoints/).waitFor();
    assert.match(await hub.innerText(), /directory entry does not say clearly where to book/);
    await accessible('2-technical-details');
    await page.close();
  });

  it('a booking-only service never offers a referral without booking: with no free slots, or when it cannot be booked here', async () => {
    await patientForm('Dx05');
    await toServices();
    // Booking only and bookable, but no free slots: nothing to click, and it says why.
    const full = page.locator('.nhsuk-card', { hasText: 'Other UTC (booking only)' });
    await full
      .getByText(/has no free slots\. It only takes patients with a booking: choose another service\./)
      .waitFor();
    assert.equal(await full.getByRole('button').count(), 0, 'no See slots, no Refer without booking');
    // Booking only and not bookable through this system (Seacroft: its ASID is not in SDS).
    const seacroft = page.locator('.nhsuk-card', { hasText: 'Seacroft Extended Access' });
    assert.ok(await seacroft.getByText('Booking only', { exact: true }).isVisible());
    await seacroft.getByText(/It only takes patients with a booking: choose another service\./).waitFor();
    assert.equal(await seacroft.getByRole('button').count(), 0);
    // A service without booking-only keeps its referral.
    const walkIn = page.locator('.nhsuk-card', { hasText: 'Wakefield Walk-in Centre' });
    assert.equal(await walkIn.getByRole('button', { name: /Refer without booking/ }).count(), 1);
    assert.equal(await walkIn.getByRole('button', { name: /See slots/ }).count(), 0);
    await accessible('3-booking-only');
    await page.close();
  });

  it('the settings page says where the app finds services and books them, and shows no secret', async () => {
    await patientForm('Dx05');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    // The values come from the app's API after the page shows: wait for them before reading the page.
    await page.getByText('Service directory (DoS)').waitFor();
    const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.match(text, /Service directory \(DoS\) http:\/\/127\.0\.0\.1:\d+\/app\/api\/webservices/);
    assert.match(text, /Endpoint directory \(SDS\) http:\/\/127\.0\.0\.1:\d+\/spine-directory\/FHIR\/R4/);
    assert.match(text, /Secure proxy http:\/\/127\.0\.0\.1:\d+\/proxy/);
    assert.match(text, /DoS account slotbridge-demo/);
    assert.doesNotMatch(text, /password|apikey/i);
    await accessible('settings');
    await page.close();
  });

  it('no services near the patient: says so in words, with what to do', async () => {
    await patientForm('Dx05', 'TR1 2HE');
    await toServices();
    await page.getByText('No service takes Dx05 near TR1 2HE.').waitFor();
    assert.equal(await page.locator('.nhsuk-card').count(), 0);
    await accessible('4-no-services');
    await page.close();
  });

  it('no fixed abode (ZZ99 3VZ): asked where the patient is now, refusals in the error summary, then services found there', async () => {
    await patientForm('Dx05', 'ZZ99 3VZ');
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: 'Where is the patient now?' }).waitFor();
    await accessible('5-location');
    await page.getByRole('button', { name: 'Find services' }).click();
    const summary = page.locator('.nhsuk-error-summary');
    await summary.getByRole('link', { name: /Enter the postcode/ }).waitFor();
    await accessible('6-location-missing');
    await page.getByLabel('Postcode where the patient is now').fill('ZZ99 3WZ');
    await page.getByRole('button', { name: 'Find services' }).click();
    await page
      .getByRole('alert')
      .getByText(/ZZ99 3WZ stands for no fixed abode/)
      .waitFor();
    await page.getByLabel('Postcode where the patient is now').fill('LS1');
    await page.getByRole('button', { name: 'Find services' }).click();
    await page.getByRole('heading', { name: 'Services for Dx05 near LS1' }).waitFor();
    await page.getByText('Found near where the patient is now (LS1), not their postcode (ZZ99 3VZ).').waitFor();
    assert.ok((await page.locator('.nhsuk-card').count()) > 0);
    await accessible('7-services-near-location');
    await page.close();
  });

  it('the slot picker: by day, earliest first, show more, filters, and what differs between repeated times', async () => {
    await patientForm('Dx75');
    await toSlots();
    const days = page.locator('.sb-slot-day');
    assert.equal(await days.count(), 3, 'three days at first');
    await page.getByRole('button', { name: 'Show later days (2 more)' }).waitFor();
    const first = days.first();
    assert.equal(await first.locator('.sb-slot-list button').count(), 8, 'eight times, then show more');
    // Tomorrow: 16 in-person, 16 telephone at the same times, 8 with no type, and 4 exact repeats of in-person ones.
    await first.getByRole('button', { name: /^Show all 40 times on / }).click();
    assert.equal(await first.locator('.sb-slot-list button').count(), 40);
    const names = await slotButtons().evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
    assert.equal(new Set(names).size, names.length, 'no two buttons alike');
    // The first time is offered twice, and each says what sets it apart.
    const firstTime = when(provider.catalogue.s1[0]!.start);
    const atFirst = page.getByRole('button', { name: new RegExp(`^${firstTime}, `) });
    assert.equal(await atFirst.count(), 2);
    const texts = (await atFirst.allInnerTexts()).join(' | ');
    assert.match(texts, /In-person[\s\S]*Test Hospital ED[\s\S]*Dr Libbie Webber[\s\S]*2 free/);
    assert.match(texts, /Telephone[\s\S]*Riverside Clinic[\s\S]*Dr Sam Patel/);
    await accessible('8-slots');
    // Earliest first: the times on the page never go backwards.
    const starts = await slotButtons().evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
    assert.ok(starts.length > 0);
    // Filters: the type of appointment, the site and the time of day.
    await page.getByLabel('Type of appointment').selectOption('Telephone');
    await page.getByText(/^16 of \d+ free slots match the filters\.$/).waitFor();
    for (const label of await slotButtons().evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label'))))
      assert.match(label ?? '', /Telephone/);
    await accessible('9-slots-filtered');
    await page.getByLabel('Site').selectOption('Test Hospital ED');
    await page.getByText(/^0 of \d+ free slots match the filters\.$/).waitFor();
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await page.getByLabel('Time of day').selectOption('afternoon');
    await page.getByText(/free slots match the filters\.$/).waitFor();
    for (const t of await page.locator('.sb-slot-time').allInnerTexts()) assert.match(t, /pm|midday/);
    await page.close();
  });

  it('a confirmation to read out: service, address, time in words, short reference, what next; the list names services', async () => {
    await patientForm('Dx75');
    await toSlots();
    const slot = provider.catalogue.s1[0]!;
    const at = when(slot.start);
    assert.match(at, /^[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ at (\d{1,2}(:\d\d)?(am|pm)|midday|midnight)$/);
    await page.getByRole('button', { name: new RegExp(`^${at}, Telephone`) }).click();
    await page.getByRole('heading', { name: 'Check and book' }).waitFor();
    await page.getByLabel('Reason for the appointment').fill('Cough for three weeks');
    await page.getByRole('button', { name: 'Book this appointment' }).click();
    await page.getByRole('heading', { name: 'Appointment booked' }).waitFor();
    const appointment = await provider.store.db
      .selectFrom('appointment')
      .select('id')
      .where('slot_id', '=', 's3-000')
      .where('status', '=', 'booked')
      .executeTakeFirstOrThrow();
    const ref = appointment.id.slice(0, 8).toUpperCase();
    const spoken = `${ref.slice(0, 4)} ${ref.slice(4)}`;
    await page
      .getByText(
        `Your appointment is with Test ED (adults), Riverside Clinic, 2 River Street, Leeds, LS2 7AA, on ${at}. ` +
          `Your reference is ${spoken}.`,
      )
      .waitFor();
    await page.getByRole('heading', { name: 'What happens next' }).waitFor();
    await page.getByText(/Test ED \(adults\) will phone the patient on the number they gave/).waitFor();
    await page.getByText(/call 111\. In an emergency, call 999\./).waitFor();
    assert.equal(
      await page.getByText(appointment.id, { exact: true }).isVisible(),
      false,
      'the long id waits in the technical details',
    );
    await accessible('10-booked');
    await page.getByRole('button', { name: "See the patient's bookings" }).click();
    await page.getByRole('table').waitFor();
    const row = page.getByRole('row').filter({ hasText: `Reference ${ref}` });
    assert.match(await row.innerText(), /Test ED \(adults\)/);
    assert.doesNotMatch(await page.getByRole('table').innerText(), new RegExp(`\\b${SERVICE}\\b`), 'no service ids');
    await accessible('11-bookings-named');
    await page.close();
  });
});
