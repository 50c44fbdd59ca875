/**
 * The web app's capacity area (issue 6): the forwarder /capacity-api → the provider's admin API over
 * real HTTP, and the rota manager's pages in a real browser (Chromium driven by
 * playwright-core) against a real provider with a real store: sign in, create a rota, preview it,
 * save and generate it, block a morning and see the day view change, the front desk, release rules,
 * the consumer preview, an extra slot, the audit trail and the provider's directory (resources added
 * through the forms and as JSON, a refused one saving nothing, a service mapped to a schedule). Each page is checked with axe-core for
 * WCAG 2.1 A/AA; screenshots are kept under test-artifacts/web/, and the day view's is copied to
 * docs/images/capacity-day.png for the README when that is missing or UPDATE_DOC_IMAGES=1.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import { ARTIFACTS, assertAccessible, launchChromium } from '../helpers/browser.js';
import { buildWeb, ensureWebBuilt } from '../../src/cli/web.js';
import { CALL_HANDLER, testAuth } from '../helpers/web.js';
import { CAPACITY_API_PREFIX, adminPath, capacityProxy } from '../../src/web/capacity-proxy.js';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { call } from '../helpers/consumer.js';
import { OTHER_TENANT, TENANT, bookingFor } from '../helpers/provider.js';

const DOC_IMAGE = new URL('../../docs/images/capacity-day.png', import.meta.url).pathname;
const TENANTS = [
  { id: TENANT, name: 'Test Emergency Department' },
  { id: OTHER_TENANT, name: 'Other Urgent Treatment Centre' },
];

/** The London date of an instant, and dates after it. */
const londonDate = (ms: number) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(ms));
const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const longDate = (date: string) => {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'UTC',
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    })
      .formatToParts(new Date(`${date}T12:00:00Z`))
      .map((x) => [x.type, x.value]),
  );
  return `${p.weekday} ${p.day} ${p.month} ${p.year}`;
};

async function freePort(): Promise<number> {
  const probe = Fastify();
  const address = await probe.listen({ port: 0, host: '127.0.0.1' });
  await probe.close();
  return Number(new URL(address).port);
}

describe('capacity forwarder: /capacity-api/{tenant}/… → {provider}/admin/{tenant}/…', () => {
  let p: AdminProvider;
  let web: FastifyInstance;
  let url: string;

  before(async () => {
    p = await startAdminProvider('forwarder test');
    web = Fastify();
    await web.register(capacityProxy, { prefix: CAPACITY_API_PREFIX, providerOrigin: p.origin, tenants: TENANTS });
    url = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  });
  after(async () => {
    await web?.close();
    await p?.close();
  });

  const forward = async (method: string, path: string, body?: unknown, auth: string | null = p.admin) => {
    const res = await fetch(`${url}${CAPACITY_API_PREFIX}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: res.status,
      headers: res.headers,
      body: res.status === 204 ? undefined : ((await res.json()) as any),
    };
  };

  it('lists the tenants it was started with', async () => {
    assert.deepEqual((await forward('GET', '/', undefined, null)).body.tenants, TENANTS);
  });

  it('passes method, body, query and the Authorization header through, and the provider’s status and body back', async () => {
    const rota = {
      scheduleId: 'S2',
      days: ['Mon'],
      start: '08:00',
      end: '09:00',
      slotMinutes: 30,
      deliveryChannel: 'In-person',
      effectiveFrom: '2030-01-07',
    };
    const created = await forward('PUT', `/${TENANT}/rotas/forwarded`, rota);
    assert.equal(created.status, 201);
    assert.equal(created.body.id, 'forwarded');
    assert.equal((await forward('PUT', `/${TENANT}/rotas/forwarded`, rota)).status, 200, 'the second PUT is an update');
    const listed = await p.adminCall('GET', '/rotas');
    assert.deepEqual(
      listed.body.rotas.map((r: any) => r.id),
      ['forwarded'],
    );
    const day = await forward('GET', `/${TENANT}/day?date=2030-01-07`);
    assert.equal(day.status, 200);
    assert.equal(day.body.date, '2030-01-07', 'the query reached the provider');
    const removed = await forward('DELETE', `/${TENANT}/release/S2`);
    assert.equal(removed.status, 404, 'DELETE passes through (no rule to remove)');
  });

  it('OperationOutcomes pass through unchanged: 400 naming the field, 401 with WWW-Authenticate, 403 off the token’s tenants', async () => {
    const bad = {
      scheduleId: 'S2',
      days: ['Mon'],
      start: '12:00',
      end: '08:00',
      slotMinutes: 30,
      effectiveFrom: '2030-01-07',
    };
    const forwarded = await forward('PUT', `/${TENANT}/rotas/backwards`, bad);
    const direct = await p.adminCall('PUT', '/rotas/backwards', bad);
    assert.equal(forwarded.status, 400);
    assert.deepEqual(forwarded.body.issue, direct.body.issue);
    assert.equal(forwarded.body.resourceType, 'OperationOutcome');
    assert.deepEqual(forwarded.body.issue[0].expression, ['end']);

    const refused = await forward('GET', `/${TENANT}/rotas`, undefined, 'not-a-token');
    assert.equal(refused.status, 401);
    assert.match(refused.body.issue[0].diagnostics, /admin token is not known/);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal(
      (await forward('GET', `/${TENANT}/rotas`, undefined, null)).status,
      401,
      'no Authorization header: refused by the provider, not let through',
    );

    const elsewhere = await forward('GET', '/no-such-tenant/rotas');
    assert.equal(elsewhere.status, 403, 'the token is bound to its tenant');
    assert.match(elsewhere.body.issue[0].diagnostics, /The admin token "forwarder test" is not for no-such-tenant/);

    const malformed = await fetch(`${url}${CAPACITY_API_PREFIX}/${TENANT}/rotas/x`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${p.admin}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(malformed.status, 400, 'the body is passed as sent; the provider judges it');
    assert.match(((await malformed.json()) as any).issue[0].diagnostics, /not valid JSON/);
  });

  it('never leaves /admin/{tenant}/: dot segments and encoded slashes are refused', async () => {
    assert.equal(adminPath('t/rotas?x=1'), '/admin/t/rotas?x=1');
    assert.equal(adminPath('t/../../STU3/1/t/metadata'), undefined);
    assert.equal(adminPath('t/%2e%2e/x'), undefined);
    assert.equal(adminPath('t/a%2Fb'), undefined);
    // Sent as written (fetch and a URL string would resolve the dot segments before sending).
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(url);
      const path = `${CAPACITY_API_PREFIX}/${TENANT}/%2e%2e/%2e%2e/STU3/1/${TENANT}/metadata`;
      const request = httpRequest({ hostname, port, path, headers: { authorization: `Bearer ${p.admin}` } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      request.on('error', reject);
      request.end();
    });
    assert.equal(raw.status, 400);
    assert.equal(JSON.parse(raw.body).resourceType, 'OperationOutcome');
  });

  it('an unreachable provider is a 502 OperationOutcome that says so', async () => {
    const port = await freePort();
    const lonely = Fastify();
    await lonely.register(capacityProxy, { prefix: CAPACITY_API_PREFIX, providerOrigin: `http://127.0.0.1:${port}` });
    const at = (await lonely.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    try {
      const res = await fetch(`${at}${CAPACITY_API_PREFIX}/${TENANT}/rotas`, {
        headers: { authorization: 'Bearer x' },
      });
      assert.equal(res.status, 502);
      const body = (await res.json()) as any;
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.match(
        body.issue[0].diagnostics,
        new RegExp(`The provider at http://127.0.0.1:${port} cannot be reached \\(ECONNREFUSED\\)`),
      );
    } finally {
      await lonely.close();
    }
  });
});

describe('web app: capacity area in a real browser', () => {
  let p: AdminProvider;
  let web: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  /** The UK day of the test catalogue's S2 slots (tomorrow), which the test's rota also covers. */
  let day: string;
  let appointmentId: string;

  before(async () => {
    await ensureWebBuilt();
    p = await startAdminProvider('rota manager');
    day = londonDate(Date.parse(p.catalogue.s2[0]!.start));
    // A consumer (A1001) books the first S2 slot through the FHIR API, for the day view and the front desk.
    const booked = await call(p.root(), '/Appointment', { method: 'POST', body: bookingFor(p.catalogue.s2[0]!) });
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
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await p?.close();
  });

  const accessible = (name: string) => assertAccessible(page, name);

  /** Waits for a heading; if it does not come, fails with the problem the page shows. */
  async function expectHeading(name: string | RegExp): Promise<void> {
    await expectOrProblem(page.getByRole('heading', { name, level: 1 }), name);
  }

  /** Waits for the status message; if it does not come, fails with the problem the page shows. */
  async function expectStatus(text: string | RegExp): Promise<void> {
    await expectOrProblem(page.getByRole('status').filter({ hasText: text }), text);
  }

  /**
   * An error summary on the page may be the previous attempt's, still shown while this one is on its
   * way, so it does not end the wait: only the expected element not coming does.
   */
  async function expectOrProblem(expected: Locator, name: string | RegExp): Promise<void> {
    const problem = page.locator('.nhsuk-error-summary');
    await expected.waitFor({ timeout: 10_000 }).catch(async () => {
      const says = (await problem.isVisible()) ? await problem.innerText() : 'neither it nor a problem';
      assert.fail(`expected "${String(name)}", the page shows ${says}`);
    });
  }

  const count = (schedule: string, what: 'offered' | 'booked' | 'free' | 'blocked') =>
    page.locator(`#day-summary tr[data-schedule="${schedule}"] [data-count="${what}"]`).innerText().then(Number);
  const storage = () =>
    page.evaluate(() => ({
      session: { ...(globalThis as any).sessionStorage },
      local: { ...(globalThis as any).localStorage },
    }));

  it('the header navigates between the areas; a wrong admin token is refused with a clear error', async () => {
    await page.goto(url);
    // The web app's own sign-in first (src/consumer/web-auth.ts); the admin token is the capacity area's.
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.getByLabel('User name').fill(CALL_HANDLER.username);
    await page.getByLabel('Password').fill(CALL_HANDLER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Patient and assessment' }).waitFor();
    await page.getByRole('navigation', { name: 'Areas' }).getByRole('link', { name: 'Capacity' }).click();
    await expectHeading('Sign in to manage capacity');
    await page.getByLabel('Test Emergency Department (test-ed)').check();
    await page.getByLabel('Admin token').fill('sbadm_not-the-right-one');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const summary = page.getByRole('alert');
    await summary.getByText('The provider did not accept this admin token: The admin token is not known').waitFor();
    assert.equal(
      await summary.getByRole('link').getAttribute('href'),
      '#token',
      'the problem links to the token field',
    );
    assert.ok(await page.locator('#token-error').isVisible(), 'the error is shown at the field too');
    await accessible('capacity-1-sign-in-refused');
    assert.deepEqual(await storage(), { session: {}, local: {} }, 'a refused token is not kept');
  });

  it('a token made for another tenant is refused clearly: this token is not for that tenant (403)', async () => {
    await page.getByLabel('Other Urgent Treatment Centre (other-utc)').check();
    await page.getByLabel('Admin token').fill(p.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const summary = page.getByRole('alert');
    await summary
      .getByText('This admin token is not for Other Urgent Treatment Centre: choose the tenant it was made for')
      .waitFor();
    assert.equal(
      await summary.getByRole('link').getAttribute('href'),
      '#tenant-0',
      'the problem links to the tenant choice',
    );
    assert.deepEqual(await storage(), { session: {}, local: {} }, 'the token is not kept');
    await page.getByLabel('Test Emergency Department (test-ed)').check();
  });

  it('signs in with the admin token, kept in sessionStorage only', async () => {
    await page.getByLabel('Admin token').fill(p.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectHeading('Rotas');
    assert.ok(await page.getByText('This tenant has no rotas yet.').isVisible());
    // The header follows the sign-in's answer; it may draw just after the page's heading.
    await page
      .getByRole('navigation', { name: 'Account' })
      .getByText('Rota manager for Test Emergency Department')
      .waitFor({ timeout: 10_000 });
    const kept = await storage();
    assert.deepEqual(kept.local, {}, 'nothing in localStorage');
    assert.equal(JSON.parse(Object.values(kept.session)[0] as string).token, p.admin);
    await accessible('capacity-2-rotas-empty');
  });

  it('an invalid rota (ends before it starts) shows the error summary naming the field, and saves nothing', async () => {
    await page.getByRole('button', { name: 'Create a rota' }).click();
    await expectHeading('Create a rota');
    await page.getByLabel('Rota name').fill('backwards');
    await page.getByLabel('Session starts').fill('12:00');
    await page.getByLabel('Session ends').fill('08:00');
    await page.getByRole('button', { name: 'Save rota' }).click();
    const summary = page.getByRole('alert');
    const link = summary.getByRole('link', { name: 'The session must end after it starts (12:00)' });
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), '#rota-end');
    assert.match(await page.locator('#rota-end-error').innerText(), /must end after it starts \(12:00\)/);
    await accessible('capacity-3-rota-invalid');
    assert.deepEqual((await p.adminCall('GET', '/rotas')).body.rotas, [], 'nothing was saved');
  });

  it('creates a rota: previews the slots it will make, saves it and generates them', async () => {
    await page.getByRole('navigation', { name: 'Capacity' }).getByRole('link', { name: 'Rotas' }).click();
    await expectHeading('Rotas');
    await page.getByRole('button', { name: 'Create a rota' }).click();
    await expectHeading('Create a rota');
    await page.getByLabel('Rota name').fill('s2-mornings');
    await page.getByLabel('Schedule').selectOption('S2');
    for (const d of ['Saturday', 'Sunday']) await page.getByLabel(d).check();
    await page.getByLabel('Session starts').fill('08:00');
    await page.getByLabel('Session ends').fill('12:00');
    await page.getByLabel('Slot length').fill('30');
    await page.getByLabel('In effect from').fill(day);
    await page.getByLabel('Practitioner (optional)').selectOption('PR1');
    await page.getByLabel('Location (optional)').selectOption('LOC1');
    await page.getByLabel('Days to preview').fill('7');
    await page.getByRole('button', { name: 'Preview slots' }).click();
    await page.getByRole('heading', { name: 'Preview: the slots this rota makes' }).waitFor();

    // Every day from `day` within the 7 days from today has eight 30-minute slots from 08:00 to 12:00.
    const today = londonDate(Date.now());
    const days = Array.from({ length: 7 }, (_, i) => addDays(today, i)).filter((d) => d >= day);
    const expected = 8 * days.length;
    assert.equal(await page.locator('#preview-total').innerText(), `${expected} slots in the next 7 days`);
    const rows = page.locator('section[aria-labelledby="preview-heading"] tbody tr');
    assert.equal(await rows.count(), days.length);
    assert.deepEqual(await rows.first().locator('td').allInnerTexts(), [longDate(day), '8', '08:00', '11:30']);
    await accessible('capacity-4-rota-preview');
    assert.deepEqual((await p.adminCall('GET', '/rotas')).body.rotas, [], 'a preview saves nothing');

    await page.getByRole('button', { name: 'Save rota' }).click();
    await expectStatus('Rota s2-mornings saved.');
    assert.equal(new URL(page.url()).pathname, '/capacity/rotas/s2-mornings');
    const saved = (await p.adminCall('GET', '/rotas')).body.rotas;
    assert.deepEqual(
      saved.map((r: any) => [
        r.id,
        r.scheduleId,
        r.days.length,
        r.start,
        r.end,
        r.slotMinutes,
        r.practitionerId,
        r.locationId,
        r.bankHolidays,
      ]),
      [['s2-mornings', 'S2', 7, '08:00', '12:00', 30, 'PR1', 'LOC1', 'open']],
    );

    await page.getByLabel('Days ahead').fill('7');
    await page.getByRole('button', { name: 'Generate slots' }).click();
    await expectStatus(/Generated rota s2-mornings's slots/);
    const report = page.getByRole('status').filter({ hasText: 'Generated' });
    assert.deepEqual(await report.locator('.nhsuk-summary-list__value').allInnerTexts(), [
      String(expected),
      '0',
      '0',
      '0',
    ]);
    await accessible('capacity-5-rota-generated');

    await page.getByRole('navigation', { name: 'Capacity' }).getByRole('link', { name: 'Rotas' }).click();
    await page.getByRole('cell', { name: 's2-mornings', exact: true }).waitFor();
  });

  it('the day view: blocking this morning 08:00–12:00 (UK time) moves its slots from free to blocked at once', async () => {
    await page.getByRole('navigation', { name: 'Capacity' }).getByRole('link', { name: 'Day view' }).click();
    await expectHeading(longDate(londonDate(Date.now())));
    await page.getByLabel('Show another day').fill(day);
    await page.getByRole('button', { name: 'Show day' }).click();
    await expectHeading(longDate(day));
    await page.locator('#day-summary').waitFor();
    // S2 that day: the catalogue's 8 afternoon slots (one booked) and the rota's 8 morning ones.
    assert.deepEqual(
      [
        await count('S2', 'offered'),
        await count('S2', 'booked'),
        await count('S2', 'free'),
        await count('S2', 'blocked'),
      ],
      [16, 1, 15, 0],
    );
    const booking = page.locator(`tr[data-appointment="${appointmentId}"]`);
    assert.ok(await booking.getByText('A1001').isVisible(), 'who booked it');
    assert.equal(await booking.locator('.nhsuk-tag').innerText(), 'booked');

    await page.getByLabel('Schedule').selectOption('S2');
    await page.getByLabel('From').fill('08:00');
    await page.getByLabel('To', { exact: true }).fill('12:00');
    await page.getByRole('button', { name: 'Block slots' }).click();
    await expectStatus('Blocked 8 slots on S2 from 08:00 to 12:00.');
    assert.equal(await count('S2', 'blocked'), 8, 'blocked rises by the morning’s 8');
    assert.equal(await count('S2', 'free'), 7, 'free falls by 8');
    const blocked = await p.ts.store.db
      .selectFrom('slot')
      .select('start')
      .where('tenant_id', '=', TENANT)
      .where('schedule_id', '=', 'S2')
      .where('status', '=', 'busy-unavailable')
      .orderBy('start')
      .execute();
    const wall = (iso: string) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/London',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(iso));
    assert.deepEqual(
      blocked.map((s) => wall(s.start)),
      ['08:00', '08:30', '09:00', '09:30', '10:00', '10:30', '11:00', '11:30'],
      'the UK morning, converted to UTC for the provider',
    );

    // Blocking again changes nothing and says why.
    await page.getByRole('button', { name: 'Block slots' }).click();
    await expectStatus('Blocked 0 slots on S2 from 08:00 to 12:00. Left as they were: 8 already blocked.');
    await accessible('capacity-6-day-blocked');
  });

  it('the front desk: only the allowed moves are offered; arrived is recorded', async () => {
    const booking = page.locator(`tr[data-appointment="${appointmentId}"]`);
    const offered = async () => (await booking.getByRole('button').allInnerTexts()).map((t) => t.split(':')[0]!.trim());
    assert.deepEqual(
      await offered(),
      ['Arrived', 'No-show', 'Cancel'],
      'a booked appointment cannot be fulfilled before it has arrived',
    );
    await booking.getByRole('button', { name: /^Arrived/ }).click();
    await expectStatus(`Appointment ${appointmentId} at`);
    assert.match(await page.getByRole('status').innerText(), /was booked and is now arrived/);
    assert.equal(await booking.locator('.nhsuk-tag').innerText(), 'arrived');
    assert.deepEqual(
      await offered(),
      ['Fulfilled', 'Correct to booked'],
      'an arrived appointment can be fulfilled, or corrected back to booked',
    );
    const read = await call(p.root(), `/Appointment/${appointmentId}`, {});
    assert.equal(read.json.status, 'arrived', 'the consumer reads the new status');
    await accessible('capacity-7-day-front-desk');
    // For the README: the day view down to its bookings.
    const bottom = await page
      .locator('section[aria-labelledby="bookings-heading"]')
      .evaluate((e) => e.getBoundingClientRect().bottom + (globalThis as any).scrollY);
    await page.screenshot({
      path: `${ARTIFACTS}capacity-day.png`,
      fullPage: true,
      clip: { x: 0, y: 0, width: 1100, height: Math.ceil(bottom + 16) },
    });
    // The README's copy is refreshed only when asked (or missing), so a test run leaves the checkout clean.
    if (process.env.UPDATE_DOC_IMAGES === '1' || !existsSync(DOC_IMAGE)) {
      mkdirSync(dirname(DOC_IMAGE), { recursive: true });
      copyFileSync(`${ARTIFACTS}capacity-day.png`, DOC_IMAGE);
    }
  });

  it('release rules, the consumer preview, an extra slot and the audit trail', async () => {
    const nav = page.getByRole('navigation', { name: 'Capacity' });
    await nav.getByRole('link', { name: 'Release rules' }).click();
    await expectHeading('Release rules');
    await page.getByRole('button', { name: 'Add a rule for S2' }).click();
    await page.getByLabel('Bookable by external consumers').uncheck();
    await page.getByLabel('Bookings a day at most').fill('lots');
    await page.getByRole('button', { name: 'Save rule for S2' }).click();
    const link = page.getByRole('alert').getByRole('link', { name: /capPerDay: must be a whole number/ });
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), '#rule-capPerDay');
    await page.getByLabel('Bookings a day at most').fill('');
    await page.getByRole('button', { name: 'Save rule for S2' }).click();
    await expectStatus('The release rule of S2 is saved');
    assert.deepEqual((await p.adminCall('GET', '/release')).body.rules, [
      { scheduleId: 'S2', bookable: false, organisations: [], organisationTypes: [] },
    ]);
    await page.getByLabel("Consumer organisation's ODS code").fill('a1001');
    await page.getByLabel('Type', { exact: true }).selectOption('nhs-111');
    await page.getByRole('button', { name: 'Set the type' }).click();
    await expectStatus('A1001 is now of type NHS 111.');
    await page.getByRole('table').getByText('NHS 111', { exact: true }).waitFor();
    await accessible('capacity-8-release');

    await nav.getByRole('link', { name: 'Consumer preview' }).click();
    await expectHeading('Consumer preview');
    await page.getByLabel("Consumer organisation's ODS code").fill('A1001');
    await page.getByRole('button', { name: 'Show what they would see' }).click();
    await page.getByRole('heading', { name: 'What A1001 would see' }).waitFor();
    const withheld = page
      .locator('#withheld-reasons')
      .getByText(/slots?: the schedule is not bookable by external consumers/);
    assert.ok((await withheld.count()) > 0, 'S2’s free slots are withheld, counted by reason');
    assert.ok((await page.getByRole('row').filter({ hasText: 'Visible' }).count()) > 0, 'S1’s are visible');
    await accessible('capacity-9-consumer-preview');

    await nav.getByRole('link', { name: 'Extra slot' }).click();
    await expectHeading('Add an extra slot');
    await page.getByLabel('Schedule').selectOption('S1');
    await page.getByLabel('Date').fill(day);
    await page.getByLabel('Starts').fill('18:00');
    await page.getByLabel('Ends').fill('17:45');
    await page.getByRole('button', { name: 'Add the slot' }).click();
    const endLink = page.getByRole('alert').getByRole('link', { name: 'end must be after start' });
    await endLink.waitFor();
    assert.equal(await endLink.getAttribute('href'), '#extra-end');
    await page.getByLabel('Ends').fill('18:15');
    await page.getByRole('button', { name: 'Add the slot' }).click();
    await expectStatus('blocked until you release it');
    const extra = await p.ts.store.db
      .selectFrom('slot')
      .select(['start', 'status'])
      .where('tenant_id', '=', TENANT)
      .where('id', 'like', 'extra.%')
      .execute();
    assert.equal(extra.length, 1);
    assert.equal(extra[0]!.status, 'busy-unavailable');
    await accessible('capacity-10-extra-slot');

    await nav.getByRole('link', { name: 'Audit trail' }).click();
    await expectHeading('Audit trail');
    await page.getByRole('table').waitFor();
    for (const action of [
      'Rota created',
      'Rota slots generated',
      'Slots blocked',
      'Appointment status changed',
      'Release rule set',
      'Organisation type set',
      'Extra slot added',
    ]) {
      assert.ok((await page.getByRole('row').filter({ hasText: action }).count()) > 0, `the audit shows ${action}`);
    }
    assert.ok(
      (await page.getByRole('cell', { name: 'rota manager', exact: true }).count()) > 0,
      'under the token’s name',
    );
    assert.ok(
      (await page.getByRole('cell', { name: '127.0.0.1', exact: true }).count()) > 0,
      'from the browser’s address',
    );
    await accessible('capacity-11-audit');
  });

  it('the directory: a location and a schedule added by form, a bad schedule refused, a service mapped, unmapped', async () => {
    const nav = page.getByRole('navigation', { name: 'Capacity' });
    await nav.getByRole('link', { name: 'Directory' }).click();
    await expectHeading('Directory');
    const row = (type: string, id: string) => page.locator(`#table-${type} tr[data-resource="${type}/${id}"]`);
    const cells = async (type: string, id: string) => (await row(type, id).locator('td').allInnerTexts()).slice(0, -1);
    await row('HealthcareService', '100001').waitFor();
    assert.deepEqual(
      await cells('HealthcareService', '100001'),
      ['100001', '100001', 'Test ED (adults)', 'Test Hospital ED (LOC1)', 'Test Hospitals NHS Trust (RT1)', '1'],
      'the directory service ID, location and organisation',
    );
    assert.deepEqual(await cells('Location', 'LOC1'), ['LOC1', 'Test Hospital ED', '1 Test Road, Leeds, LS1 4AP', '1']);
    assert.deepEqual(await cells('Practitioner', 'PR1'), ['PR1', 'Dr Libbie Webber', 'female', '1']);
    assert.deepEqual(await cells('PractitionerRole', 'ROLE1'), [
      'ROLE1',
      'Dr Libbie Webber (PR1)',
      '',
      'General Medical Practitioner',
      '1',
    ]);
    assert.deepEqual(await cells('Organization', 'RT1'), ['RT1', 'RT1', 'Test Hospitals NHS Trust', '1']);
    assert.match(
      (await cells('Schedule', 'S1'))[1]!,
      /HealthcareService: Test ED \(adults\) \(100001\)\s+Practitioner: Dr Libbie Webber \(PR1\)\s+PractitionerRole: ROLE1/,
    );

    // A location through the form, then a change to it: a new version.
    await page.getByRole('button', { name: 'Add a resource' }).click();
    await expectHeading('Add a resource');
    await page.getByLabel('Location', { exact: true }).check();
    await page.getByLabel('Id', { exact: true }).fill('LOC7');
    await page.getByLabel('Name', { exact: true }).fill('Minor injuries unit');
    await page.getByLabel('Address line 1').fill('2 Test Road');
    await page.getByLabel('Town or city').fill('Leeds');
    await page.getByLabel('Postcode').fill('ls1 4ap');
    await page.getByRole('button', { name: 'Save location' }).click();
    await expectStatus('Location LOC7 created.');
    assert.equal(new URL(page.url()).pathname, '/capacity/directory/Location/LOC7');
    await page.getByLabel('Name', { exact: true }).fill('Minor injuries unit (east)');
    await page.getByRole('button', { name: 'Save location' }).click();
    await expectStatus('Location LOC7 updated to version 2.');
    const locations = (await p.adminCall('GET', '/resources/Location')).body.resources;
    const loc7 = locations.find((l: any) => l.id === 'LOC7');
    assert.deepEqual(
      [loc7.name, loc7.address, loc7.meta.versionId],
      ['Minor injuries unit (east)', { line: ['2 Test Road'], city: 'Leeds', postalCode: 'LS1 4AP' }, '2'],
    );

    // A schedule for an existing service, at the new location.
    await page.getByRole('link', { name: 'Back to the directory' }).click();
    await expectHeading('Directory');
    await page.getByRole('button', { name: 'Add a resource' }).click();
    await expectHeading('Add a resource');
    await page.getByLabel('Schedule', { exact: true }).check();
    await page.getByLabel('Id', { exact: true }).fill('S7');
    await page.getByLabel('Its healthcare service').selectOption('100001');
    await page.getByLabel('Location (optional)').selectOption('LOC7');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await expectStatus('Schedule S7 created.');
    const s7 = (await p.adminCall('GET', '/resources/Schedule')).body.resources.find((s: any) => s.id === 'S7');
    assert.deepEqual(s7.actor, [{ reference: 'HealthcareService/100001' }, { reference: 'Location/LOC7' }]);

    // Refused: an id that is not a FHIR id, then (as JSON) a schedule naming a service the tenant does not have.
    await page.getByRole('link', { name: 'Back to the directory' }).click();
    await expectHeading('Directory');
    await page.getByRole('button', { name: 'Add a resource' }).click();
    await page.getByLabel('Schedule', { exact: true }).check();
    await page.getByLabel('Id', { exact: true }).fill('new schedule');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    const idLink = page.getByRole('alert').getByRole('link', { name: /new schedule is not a FHIR id/ });
    await idLink.waitFor();
    assert.equal(await idLink.getAttribute('href'), '#dir-id');
    await page.getByLabel('Id', { exact: true }).fill('S8');
    await page.getByRole('button', { name: 'Edit as JSON' }).click();
    await page
      .getByLabel('The schedule as FHIR STU3 JSON')
      .fill(JSON.stringify({ resourceType: 'Schedule', actor: [{ reference: 'HealthcareService/999999' }] }, null, 2));
    await page.getByRole('button', { name: 'Save schedule' }).click();
    const refLink = page
      .getByRole('alert')
      .getByRole('link', { name: `Schedule.actor[0] names HealthcareService/999999, which ${TENANT} does not have` });
    await refLink.waitFor();
    assert.equal(await refLink.getAttribute('href'), '#dir-json');
    assert.match(await page.locator('#dir-json-error').innerText(), /names HealthcareService\/999999/);
    await accessible('capacity-12-directory-refused');
    const schedules = (await p.adminCall('GET', '/resources/Schedule')).body.resources.map((s: any) => s.id);
    assert.deepEqual(schedules, ['S1', 'S2', 'S7'], 'nothing was saved');

    // Both new resources listed; a second service mapped to the new schedule.
    await page.getByRole('link', { name: 'Back to the directory' }).click();
    await expectHeading('Directory');
    assert.deepEqual(await cells('Location', 'LOC7'), [
      'LOC7',
      'Minor injuries unit (east)',
      '2 Test Road, Leeds, LS1 4AP',
      '2',
    ]);
    assert.match(
      (await cells('Schedule', 'S7'))[1]!,
      /HealthcareService: Test ED \(adults\) \(100001\)\s+Location: Minor injuries unit \(east\) \(LOC7\)/,
    );
    const serves = (schedule: string) =>
      page
        .locator(`#service-mapping tr[data-schedule="${schedule}"] li`)
        .evaluateAll((items) => items.map((li) => li.getAttribute('data-service')));
    await page.locator('#service-mapping').waitFor();
    assert.deepEqual(
      await serves('S2'),
      ['100002', '100001'],
      'S2 serves its own service and the one the catalogue mapped to it',
    );
    assert.deepEqual(await serves('S7'), ['100001']);
    await page.getByLabel('Service', { exact: true }).selectOption('100002');
    await page.getByLabel('Schedule', { exact: true }).selectOption('S7');
    await page.getByRole('button', { name: 'Map service to schedule' }).click();
    await expectStatus('S7 now serves Test ED minors (100002)');
    assert.deepEqual(await serves('S7'), ['100001', '100002']);
    const mapped = await p.ts.store.db
      .selectFrom('service_schedule')
      .select('healthcare_service_id')
      .where('tenant_id', '=', TENANT)
      .where('schedule_id', '=', 'S7')
      .orderBy('healthcare_service_id')
      .execute();
    assert.deepEqual(
      mapped.map((m) => m.healthcare_service_id),
      ['100001', '100002'],
    );
    await accessible('capacity-13-directory');

    // The schedule's own service cannot be unmapped; the mapped one can.
    await page.getByLabel('Service', { exact: true }).selectOption('100001');
    await page.getByRole('button', { name: 'Unmap service from schedule' }).click();
    await page.getByRole('alert').getByText('Schedule S7 names HealthcareService 100001 as its actor').waitFor();
    await page.getByRole('button', { name: 'Unmap Test ED minors (100002) from S7' }).click();
    // (The summary of the refusal above is on the page until this answer comes, so wait for the answer itself.)
    await page.getByRole('status').filter({ hasText: 'S7 no longer serves Test ED minors (100002).' }).waitFor();
    assert.equal(await page.locator('.nhsuk-error-summary').count(), 0, 'the refusal is gone');
    assert.deepEqual(await serves('S7'), ['100001']);

    // The other pages choose from the directory as it is now.
    await nav.getByRole('link', { name: 'Rotas' }).click();
    await expectHeading('Rotas');
    await page.getByRole('button', { name: 'Create a rota' }).click();
    await expectHeading('Create a rota');
    assert.ok(
      (await page.getByLabel('Schedule').locator('option').allInnerTexts()).includes('S7 (Test ED (adults))'),
      'the rota form offers the new schedule',
    );
  });

  it('forgetting the admin token signs out of the capacity area', async () => {
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Forget admin token' }).click();
    await expectHeading('Sign in to manage capacity');
    assert.deepEqual(await storage(), { session: {}, local: {} });
    await page.goto(`${url}/capacity/day`);
    await expectHeading('Sign in to manage capacity');
  });
});
