/**
 * Issue 12, the rota manager's journeys (findings 3, 9 and 10), in a real browser against a real
 * provider and store: a rota over a schedule's existing slots is previewed with what it will skip and
 * why, and generating it never doubles a slot (hazard H-003); the day view's counts add up per
 * schedule and its bookings name the patient; every problem with a rota is shown at once against its
 * field, and an empty rota name sends nothing; 8:00 is a time; a rota wholly in the past is told so
 * (preview and save); organisation types and audit entries read in words and UK time; the consumer
 * preview counts withheld slots per reason; long tables page. Each page is checked with axe-core;
 * screenshots go to test-artifacts/web/rota-manager-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import { assertAccessible, launchChromium } from '../helpers/browser.js';
import { buildWeb, ensureWebBuilt } from '../../src/cli/web.js';
import { CALL_HANDLER, testAuth } from '../helpers/web.js';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { call } from '../helpers/consumer.js';
import { OTHER_TENANT, TENANT, bookingFor } from '../helpers/provider.js';

const TENANTS = [
  { id: TENANT, name: 'Test Emergency Department' },
  { id: OTHER_TENANT, name: 'Other Urgent Treatment Centre' },
];
const ZONE = 'Europe/London';
const londonDate = (ms: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(ms),
  );
const londonMinutes = (iso: string) => {
  const [h, m] = new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
    .format(new Date(iso))
    .split(':');
  return Number(h) * 60 + Number(m);
};
const hhmm = (minutes: number, pad = true) =>
  `${pad ? String(Math.floor(minutes / 60)).padStart(2, '0') : Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;

describe('web app: the rota manager’s journeys (issue 12)', () => {
  let p: AdminProvider;
  let web: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  /** The UK day of the catalogue's slots (tomorrow). */
  let day: string;
  /** Requests the page sent to the capacity forwarder, as "METHOD path". */
  const sent: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    p = await startAdminProvider('rota manager');
    day = londonDate(Date.parse(p.catalogue.s1[0]!.start));
    // A consumer books the first S2 slot, for the day view's patient.
    const booked = await call(p.root(), '/Appointment', { method: 'POST', body: bookingFor(p.catalogue.s2[0]!) });
    assert.equal(booked.status, 201, booked.text);
    web = await buildWeb({
      spine: 'http://127.0.0.1:9',
      store: p.ts.store,
      capacity: { providerOrigin: p.origin, tenants: TENANTS },
      auth: testAuth(),
    });
    url = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'en-GB' });
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/capacity-api/')) sent.push(`${r.method()} ${path}`);
    });
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await p?.close();
  });

  const accessible = (name: string) => assertAccessible(page, `rota-manager-${name}`);
  const nav = () => page.getByRole('navigation', { name: 'Capacity' });
  const summary = () => page.getByRole('alert');

  async function waitOrProblem(expected: Locator, what: string): Promise<void> {
    await expected.waitFor({ timeout: 10_000 }).catch(async () => {
      const problem = page.locator('.nhsuk-error-summary');
      const says = (await problem.isVisible()) ? await problem.innerText() : 'neither it nor a problem';
      assert.fail(`expected ${what}, the page shows ${says}`);
    });
  }
  const expectHeading = (name: string | RegExp) =>
    waitOrProblem(page.getByRole('heading', { name, level: 1 }), `the heading ${String(name)}`);
  const expectStatus = (text: string | RegExp) =>
    waitOrProblem(page.getByRole('status').filter({ hasText: text }), `the message ${String(text)}`);

  /** Opens the rota form afresh. */
  async function newRota(): Promise<void> {
    await nav().getByRole('link', { name: 'Rotas' }).click();
    await expectHeading('Rotas');
    await page.getByRole('button', { name: 'Create a rota' }).click();
    await expectHeading('Create a rota');
  }

  it('signs in to the capacity area', async () => {
    await page.goto(url);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByLabel('User name').fill(CALL_HANDLER.username);
    await page.getByLabel('Password').fill(CALL_HANDLER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
    await page.getByRole('navigation', { name: 'Areas' }).getByRole('link', { name: 'Capacity' }).click();
    await expectHeading('Sign in to manage capacity');
    await page.getByLabel('Test Emergency Department (test-ed)').check();
    await page.getByLabel('Admin token').fill(p.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectHeading('Rotas');
  });

  it('refuses a rota with every problem at once, each against its field, and sends nothing for an empty name', async () => {
    await newRota();
    await page.getByLabel('Rota name').fill('');
    await page.getByLabel('Session starts').fill('8am');
    await page.getByLabel('Slot length').fill('0');
    await page.getByLabel('In effect from').fill('2030-02-01');
    await page.getByLabel('Until (optional)').fill('2030-01-01');
    const before = sent.length;
    await page.getByRole('button', { name: 'Save rota' }).click();
    await summary().waitFor();
    const links = summary().getByRole('link');
    assert.deepEqual(
      await Promise.all((await links.all()).map(async (l) => [await l.innerText(), await l.getAttribute('href')])),
      [
        ['Enter a name for the rota, for example minors-am', '#rota-id'],
        ['Enter the time the session starts, for example 8:00 or 08:00', '#rota-start'],
        ['Enter the slot length in whole minutes, from 5 to 480', '#rota-slotMinutes'],
        ['The last day must be on or after the first day', '#rota-effectiveTo'],
      ],
    );
    assert.match(await page.locator('#rota-id-error').innerText(), /Enter a name for the rota/);
    assert.deepEqual(sent.slice(before), [], 'no request was sent');
    await accessible('1-rota-problems');
    assert.deepEqual((await p.adminCall('GET', '/rotas')).body.rotas, [], 'nothing was saved');
    // The preview is checked the same way.
    await page.getByRole('button', { name: 'Preview slots' }).click();
    await summary().getByRole('link', { name: 'Enter a name for the rota, for example minors-am' }).waitFor();
    assert.deepEqual(sent.slice(before), [], 'no preview request either');
  });

  it('a rota wholly in the past is told so: the preview warns, saving is refused by the page and by the provider', async () => {
    await newRota();
    await page.getByLabel('Rota name').fill('last-year');
    await page.getByLabel('In effect from').fill('2020-01-06');
    await page.getByLabel('Until (optional)').fill('2020-03-31');
    await page.getByRole('button', { name: 'Preview slots' }).click();
    const warning = page.locator('#preview-past');
    await waitOrProblem(warning, 'the past-rota warning');
    assert.match(await warning.innerText(), /This rota is wholly in the past/);
    assert.match(await warning.innerText(), /ended on Tuesday 31 March 2020, before today, so it makes no slots/);
    assert.equal(await page.locator('#preview-total').innerText(), '0 slots in the next 14 days');
    await accessible('2-rota-past-preview');
    await page.getByRole('button', { name: 'Save rota' }).click();
    const link = summary().getByRole('link', {
      name: /This rota is wholly in the past: it ended on Tuesday 31 March 2020/,
    });
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), '#rota-effectiveTo');
    // The provider refuses it too (a client that skips the page's check).
    const direct = await p.adminCall('PUT', '/rotas/last-year', {
      scheduleId: 'S1',
      days: ['Mon'],
      start: '08:00',
      end: '12:00',
      slotMinutes: 15,
      effectiveFrom: '2020-01-06',
      effectiveTo: '2020-03-31',
    });
    assert.equal(direct.status, 422);
    assert.deepEqual(direct.body.issue[0].expression, ['effectiveTo']);
    assert.match(direct.body.issue[0].diagnostics, /ended on 2020-03-31, before today/);
    assert.deepEqual((await p.adminCall('GET', '/rotas')).body.rotas, [], 'nothing was saved');
  });

  it('a rota over the 16-slot morning: the preview says what it will skip and why, generating never doubles a slot', async () => {
    // The catalogue's S1 morning: 16 quarter-hour slots. The rota: 20-minute slots from an hour before
    // to an hour after, written 8:00-style where the hour has one digit.
    const first = londonMinutes(p.catalogue.s1[0]!.start);
    const last = londonMinutes(p.catalogue.s1[15]!.end);
    await newRota();
    await page.getByLabel('Rota name').fill('s1-over');
    await page.getByLabel('Schedule').selectOption('S1');
    for (const d of ['Saturday', 'Sunday']) await page.getByLabel(d).check();
    await page.getByLabel('Session starts').fill(hhmm(first - 60, false));
    await page.getByLabel('Session ends').fill(hhmm(last + 60));
    await page.getByLabel('Slot length').fill('20');
    await page.getByLabel('In effect from').fill(day);
    await page.getByLabel('Until (optional)').fill(day);
    await page.getByLabel('Days to preview').fill('7');
    await page.getByRole('button', { name: 'Preview slots' }).click();
    await waitOrProblem(page.locator('#preview-breakdown'), 'the preview');
    // 18 slots; the 12 from the morning's start to its end overlap its slots, though only the first starts with one.
    assert.equal(await page.locator('#preview-total').innerText(), '18 slots in the next 7 days');
    assert.equal(
      await page.locator('#preview-breakdown').innerText(),
      'Generating now would add 6; 12 would be skipped, because another slot of the schedule is there at that time.',
    );
    const skipped = page.locator('#skipped');
    assert.equal(
      await skipped.locator('ul').first().innerText(),
      '12 slots not added: it overlaps a free slot already offered',
    );
    assert.match(
      await skipped.innerText(),
      new RegExp(`${hhmm(first)}–${hhmm(first + 20)} overlaps the slot ${hhmm(first)}–`),
    );
    await accessible('3-rota-overlap-preview');

    await page.getByRole('button', { name: 'Save rota' }).click();
    await expectStatus('Rota s1-over saved.');
    const saved = (await p.adminCall('GET', '/rotas')).body.rotas[0];
    assert.equal(saved.start, hhmm(first - 60), '8:00 is kept as 08:00');
    await page.getByLabel('Days ahead').fill('7');
    await page.getByRole('button', { name: 'Generate slots' }).click();
    await expectStatus(/Generated rota s1-over's slots/);
    const report = page.getByRole('status').filter({ hasText: 'Generated' });
    const values = await report.locator('.nhsuk-summary-list__value').allInnerTexts();
    assert.deepEqual(values.slice(0, 3), ['6', '0', '0']);
    assert.match(values[3]!, /^12 \(another slot of the schedule is already there: a rota never doubles a slot\)/);
    await accessible('4-rota-overlap-generated');
    const s1 = await p.ts.store.db
      .selectFrom('slot')
      .select(['start', 'end'])
      .where('tenant_id', '=', TENANT)
      .where('schedule_id', '=', 'S1')
      .orderBy('start')
      .execute();
    for (let i = 1; i < s1.length; i++)
      assert.ok(s1[i]!.start >= s1[i - 1]!.end, `S1 slot ${s1[i]!.start} overlaps the one before`);
  });

  it('the day view: the counts add up per schedule, and a booking names the patient and NHS number', async () => {
    await page.goto(`${url}/capacity/day?date=${day}`);
    await page.locator('#day-summary').waitFor();
    const rows = page.locator('#day-summary tbody tr');
    assert.ok((await rows.count()) >= 2);
    for (const row of await rows.all()) {
      const n = async (what: string) => Number(await row.locator(`[data-count="${what}"]`).innerText());
      const [offered, booked, free, blocked] = [
        await n('offered'),
        await n('booked'),
        await n('free'),
        await n('blocked'),
      ];
      assert.equal(offered, booked + free + blocked);
      assert.equal(
        await row.locator('[data-count="sum"]').innerText(),
        `${offered} = ${booked} + ${free} + ${blocked}`,
      );
    }
    const s1 = page.locator('#day-summary tr[data-schedule="S1"]');
    assert.equal(await s1.locator('[data-count="offered"]').innerText(), '22', 'the morning’s 16 and the rota’s 6');
    assert.match(await page.locator('#day-summary caption').innerText(), /offered = booked \+ free \+ blocked/);
    const patient = page.locator('section[aria-labelledby="bookings-heading"] [data-patient]').first();
    assert.equal(await patient.innerText(), 'Mr Peter Chalmers\nNHS number 123 455 4321');
    const bookings = await page.locator('section[aria-labelledby="bookings-heading"]').innerText();
    assert.doesNotMatch(bookings, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/, 'no appointment UUID is shown');
    await accessible('5-day-view');
  });

  it('8:00 is a time in the day view’s range too', async () => {
    await page.getByLabel('Schedule').selectOption('S2');
    await page.getByLabel('From').fill('6:00');
    await page.getByLabel('To', { exact: true }).fill('7:00');
    await page.getByRole('button', { name: 'Block slots' }).click();
    await expectStatus('Blocked 0 slots on S2 from 06:00 to 07:00.');
  });

  it('organisation types read as names; the consumer preview counts withheld slots per reason, and its table pages', async () => {
    await p.adminCall('PUT', '/release/S2', { bookable: false });
    await nav().getByRole('link', { name: 'Release rules' }).click();
    await expectHeading('Release rules');
    await page.getByLabel("Consumer organisation's ODS code").fill('a1001');
    await page.getByLabel('Type', { exact: true }).selectOption({ label: 'NHS 111' });
    await page.getByRole('button', { name: 'Set the type' }).click();
    await expectStatus('A1001 is now of type NHS 111.');
    await page.getByRole('cell', { name: 'NHS 111', exact: true }).waitFor();
    assert.equal(await page.getByRole('cell', { name: 'nhs-111', exact: true }).count(), 0, 'not the code');
    await accessible('6-organisation-types');

    await nav().getByRole('link', { name: 'Consumer preview' }).click();
    await expectHeading('Consumer preview');
    await page.getByLabel("Consumer organisation's ODS code").fill('A1001');
    await page.getByRole('button', { name: 'Show what they would see' }).click();
    await page.getByRole('heading', { name: 'What A1001 would see' }).waitFor();
    const answer = await fetch(`${p.origin}/admin/${TENANT}/preview?ods=A1001`, {
      headers: { authorization: `Bearer ${p.admin}` },
    }).then((r) => r.json() as Promise<any>);
    const reasons = page.locator('#withheld-reasons li');
    assert.deepEqual(await reasons.allInnerTexts(), [
      `${answer.withheld} slots: the schedule is not bookable by external consumers`,
    ]);
    const table = page.locator('#consumer-preview-slots tbody tr');
    assert.equal(await table.count(), Math.min(25, answer.slots.length), 'a page of 25 rows at most');
    if (answer.slots.length > 25) {
      const pages = page.getByRole('navigation', { name: 'Slot pages' });
      await pages.getByRole('link', { name: 'Page 2' }).click();
      await pages.locator('[aria-current="page"]').filter({ hasText: '2' }).waitFor();
    }
    await accessible('7-consumer-preview-reasons');
  });

  it('the audit trail: actions in words, times in UK time, thirty changes on two pages', async () => {
    for (let i = 0; i < 30; i++) await p.adminCall('PUT', `/organisations/X${i}`, { type: 'pharmacy' });
    await nav().getByRole('link', { name: 'Audit trail' }).click();
    await expectHeading('Audit trail');
    await page.getByRole('table').waitFor();
    assert.equal(await page.getByRole('columnheader', { name: 'When (UK time)' }).count(), 1);
    const rows = page.locator('table tbody tr');
    assert.equal(await rows.count(), 25);
    const entries = (await p.adminCall('GET', '/audit')).body.entries;
    const newest = entries[0];
    const date = new Date(newest.at).toLocaleDateString('en-GB', {
      timeZone: ZONE,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
    });
    const time = hhmm(londonMinutes(newest.at));
    assert.equal(await rows.first().locator('td').first().innerText(), `${date}, ${time}`);
    assert.equal(await rows.first().locator('[data-action]').innerText(), `Organisation type set\norganisation/X29`);
    const pages = page.getByRole('navigation', { name: 'Audit pages' });
    await pages.getByRole('link', { name: /Next/ }).click();
    await pages.locator('[aria-current="page"]').filter({ hasText: '2' }).waitFor();
    await page.locator('td[data-action="rota.create"]').filter({ hasText: 'Rota created' }).waitFor();
    await accessible('8-audit-paged');
  });
});
