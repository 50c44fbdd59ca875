/**
 * P24 P25 P31: bookings and cancels stay safe across API processes sharing one store — two real
 * `slotbridge provider` processes on one SQLite file (or PostgreSQL in CI's second run) race for
 * the same slots.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { runCli, startCliServer } from '../helpers/cli.js';
import { call } from '../helpers/consumer.js';
import { bookingFor } from '../helpers/provider.js';
import { sharedCliStore } from '../helpers/store.js';

const shared = sharedCliStore('multi');
const storeArgs = shared.args;
const children: ChildProcess[] = [];
const roots: string[] = [];

before(async () => {
  await shared.create();
  const seeded = await runCli(['seed', 'demo', ...storeArgs, '--json']);
  assert.equal(seeded.code, 0, seeded.stderr);
  for (let i = 0; i < 2; i++) {
    const started = await startCliServer(['provider', '--port', '0', ...storeArgs]);
    children.push(started.child);
    roots.push(started.json.tenants.find((t: any) => t.id === 'riverside-ed').serviceRoot);
  }
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await shared.drop();
});

function asNewSlot(slot: any) {
  return {
    id: slot.id,
    identifier: slot.identifier[0].value,
    scheduleId: slot.schedule.reference.split('/')[1],
    start: slot.start,
    end: slot.end,
    status: 'free' as const,
    deliveryChannel: null,
  };
}

describe('two API processes on one store', () => {
  it('P24 P25 racing bookings through both processes book each slot exactly once', async () => {
    const search = await call(roots[0], '/Slot?service=2000011002&status=free&_count=30');
    const slots = search.json.entry
      .filter((e: any) => e.resource.resourceType === 'Slot')
      .map((e: any) => asNewSlot(e.resource));
    assert.ok(slots.length >= 20);
    const attempts = slots.flatMap((slot: any) => Array.from({ length: 6 }, (_, i) => ({ slot, root: roots[i % 2] })));
    attempts.sort(() => Math.random() - 0.5);
    const results = await Promise.all(
      attempts.map((a: any) =>
        call(a.root, '/Appointment', { method: 'POST', body: bookingFor(a.slot), requestId: randomUUID() }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    assert.ok(
      results.every((r) => r.status === 201 || r.status === 422),
      results.map((r) => r.status).join(','),
    );
    assert.equal(created.length, slots.length, `${created.length} bookings for ${slots.length} slots`);
    const bySlot = new Map<string, number>();
    for (const r of created) {
      const contained = r.json.contained.find((c: any) => c.resourceType === 'Slot');
      const key = contained.identifier[0].value;
      bySlot.set(key, (bySlot.get(key) ?? 0) + 1);
    }
    assert.ok(
      [...bySlot.values()].every((n) => n === 1),
      'no slot booked twice',
    );
    // Each process sees the other's bookings: the slots are no longer offered as free.
    const after = await call(roots[1], '/Slot?service=2000011002&status=free&_count=30');
    const stillFree = new Set(
      after.json.entry?.filter((e: any) => e.resource.resourceType === 'Slot').map((e: any) => e.resource.id) ?? [],
    );
    assert.ok(slots.every((s: any) => !stillFree.has(s.id)));
  });

  it('P31 racing cancels of one version through both processes: one wins, the rest get 409', async () => {
    const search = await call(roots[0], '/Slot?service=2000011001&status=free&_count=5');
    const slot = asNewSlot(search.json.entry.find((e: any) => e.resource.resourceType === 'Slot').resource);
    const booked = await call(roots[0], '/Appointment', { method: 'POST', body: bookingFor(slot) });
    assert.equal(booked.status, 201, booked.text);
    const appt = booked.json;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(roots[i % 2], `/Appointment/${appt.id}`, {
          method: 'PUT',
          body: { ...appt, status: 'cancelled' },
          headers: { 'if-match': 'W/"1"' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 9, statuses.join(','));
    const versions = await call(roots[1], `/Appointment/${appt.id}/_history/3`);
    assert.equal(versions.status, 404, 'exactly two versions');
  });
});
