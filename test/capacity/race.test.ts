/**
 * Capacity edits racing with bookings (issue 6): many consumers book while a rota manager blocks,
 * releases and regenerates the same day, through two real `slotbridge provider` processes on one
 * store (an SQLite file, or PostgreSQL in CI's second run). No booking a consumer saw confirmed is
 * lost, no blocked slot is booked, no slot has two bookings.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openStore, type Store } from '../../src/store/store.js';
import { runCli, startCliServer } from '../helpers/cli.js';
import { call } from '../helpers/consumer.js';
import { bookingFor } from '../helpers/provider.js';
import { assertStoreWhole } from '../helpers/store-invariants.js';
import { sharedCliStore } from '../helpers/store.js';

const shared = sharedCliStore('capacity-race');
const storeArgs = shared.args;
const ADMIN = 'race-admin-token-0123456789-abcdefghij';
const TENANT = 'riverside-ed';
const children: ChildProcess[] = [];
const origins: string[] = [];
const roots: string[] = [];
let store: Store;

before(async () => {
  await shared.create();
  const seeded = await runCli(['seed', 'demo', ...storeArgs, '--json']);
  assert.equal(seeded.code, 0, seeded.stderr);
  for (let i = 0; i < 2; i++) {
    const started = await startCliServer(['provider', '--port', '0', '--admin-token', ADMIN, ...storeArgs]);
    children.push(started.child);
    const root = started.json.tenants.find((t: any) => t.id === TENANT).serviceRoot as string;
    roots.push(root);
    origins.push(new URL(root).origin);
  }
  store = await openStore(shared.options);
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await store?.close();
  await shared.drop();
});

const admin = async (i: number, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${origins[i % 2]}/admin/${TENANT}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

describe('capacity edits racing with bookings, two API processes on one store', () => {
  it('never lose a booking, never leave a blocked slot booked, never book a slot twice', async () => {
    // Tomorrow's See and Treat slots (schedule rgh-ed-minors), and a rota adding evening slots there.
    const day = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
    const from = new Date(`${day}T00:00:00Z`).toISOString();
    const to = new Date(Date.parse(from) + 86_400_000).toISOString();
    const rota = {
      scheduleId: 'rgh-ed-minors',
      days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
      start: '23:00',
      end: '23:45',
      slotMinutes: 15,
      deliveryChannel: 'In-person',
      effectiveFrom: day,
    };
    assert.equal((await admin(0, 'PUT', '/rotas/late', rota)).status, 201);
    assert.equal((await admin(1, 'POST', '/rotas/late/generate', { horizonDays: 3 })).status, 200);
    const search = await call(
      roots[0],
      `/Slot?service=2000011002&status=free&start=ge${from}&start=lt${to}&_count=200`,
    );
    const slots = search.json.entry
      .filter(
        (e: any) => e.resource.resourceType === 'Slot' && e.resource.schedule.reference === 'Schedule/rgh-ed-minors',
      )
      .map((e: any) => ({
        id: e.resource.id,
        identifier: e.resource.identifier[0].value,
        scheduleId: 'rgh-ed-minors',
        start: e.resource.start,
        end: e.resource.end,
        status: 'free' as const,
        deliveryChannel: null,
      }));
    assert.ok(slots.length >= 40, `${slots.length} slots`);

    const bookings = slots
      .flatMap((slot: any) => Array.from({ length: 2 }, (_, i) => ({ slot, root: roots[i % 2] })))
      .sort(() => Math.random() - 0.5);
    const edits = Array.from(
      { length: 12 },
      (_, i) => () =>
        i % 4 === 0
          ? admin(i, 'POST', '/slots/block', { scheduleId: 'rgh-ed-minors', from, to })
          : i % 4 === 1
            ? admin(i, 'POST', '/slots/release', { scheduleId: 'rgh-ed-minors', from, to })
            : i % 4 === 2
              ? admin(i, 'PUT', '/rotas/late', { ...rota, end: i % 8 === 2 ? '23:30' : '23:45' })
              : admin(i, 'POST', '/rotas/late/generate', { horizonDays: 3 }),
    );
    const results = await Promise.all([
      ...bookings.map((b: any) =>
        call(b.root, '/Appointment', { method: 'POST', body: bookingFor(b.slot), requestId: randomUUID() }),
      ),
      ...edits.map(async (edit, i) => {
        await new Promise((r) => setTimeout(r, i * 15));
        return edit();
      }),
    ]);
    const bookingResults = results.slice(0, bookings.length) as Awaited<ReturnType<typeof call>>[];
    assert.ok(
      bookingResults.every((r) => r.status === 201 || r.status === 422),
      bookingResults.map((r) => r.status).join(','),
    );
    const editResults = results.slice(bookings.length) as { status: number }[];
    assert.ok(
      editResults.every((r) => r.status === 200 || r.status === 201),
      editResults.map((r) => r.status).join(','),
    );
    const confirmed = bookingResults.filter((r) => r.status === 201).map((r) => r.json.id as string);
    assert.ok(confirmed.length > 0, 'some bookings got through');

    // Every confirmed booking is there, booked, holding its slot.
    const stored = await store.db
      .selectFrom('appointment as a')
      .innerJoin('slot as s', (j) => j.onRef('s.tenant_id', '=', 'a.tenant_id').onRef('s.id', '=', 'a.slot_id'))
      .select(['a.id', 'a.status', 's.status as slot_status', 's.appointment_id'])
      .where('a.tenant_id', '=', TENANT)
      .where('a.id', 'in', confirmed)
      .execute();
    assert.equal(stored.length, confirmed.length, 'no confirmed booking lost');
    for (const s of stored) assert.deepEqual([s.status, s.slot_status, s.appointment_id], ['booked', 'busy', s.id]);
    // No blocked slot carries a booking.
    const blockedBooked = await store.db
      .selectFrom('slot')
      .select('id')
      .where('tenant_id', '=', TENANT)
      .where('status', '=', 'busy-unavailable')
      .where('appointment_id', 'is not', null)
      .execute();
    assert.deepEqual(blockedBooked, []);
    await assertStoreWhole(store.db, 'after the capacity race');
  });
});
