/**
 * P24 P25 BOOK-5 crash safety: the provider is killed (SIGKILL) in the middle of a booking storm and
 * restarted on the same store, twice. Every booking a client saw confirmed is still there, no slot
 * has two bookings, and retries with the same X-Request-ID after the restart book nothing new.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/store.js';
import { startCliServer } from '../helpers/cli.js';
import { call, type CallResult } from '../helpers/consumer.js';
import { bookingFor } from '../helpers/provider.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-crash-'));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startProvider(seed: boolean): Promise<string> {
  const started = await startCliServer(['provider', '--port', '0', '--data', dir, ...(seed ? ['--seed', 'demo'] : [])]);
  children.push(started.child);
  return started.json.tenants.find((t: any) => t.id === 'northgate-utc').serviceRoot;
}

interface Attempt {
  requestId: string;
  body: unknown;
  /** What the client saw: a status, or undefined when the connection died first. */
  seen?: CallResult;
}

async function appointmentCount(): Promise<number> {
  const store = await openStore({ dataDir: dir });
  try {
    const r = await store.db.selectFrom('appointment').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  } finally {
    await store.close();
  }
}

describe('crash in the middle of a booking storm', () => {
  it('P24 P25 BOOK-5 SIGKILL twice: confirmed bookings survive, no slot is booked twice, retries book nothing new', async () => {
    let root = await startProvider(true);
    const search = await call(root, '/Slot?status=free&_count=400');
    const slots = search.json.entry
      .filter((e: any) => e.resource.resourceType === 'Slot')
      .map((e: any) => ({
        id: e.resource.id,
        identifier: e.resource.identifier[0].value,
        scheduleId: e.resource.schedule.reference.split('/')[1],
        start: e.resource.start,
        end: e.resource.end,
        status: 'free' as const,
        deliveryChannel: null,
      }));
    assert.ok(slots.length >= 300, `${slots.length} free slots`);
    const attempts: Attempt[] = [];

    for (let cycle = 0; cycle < 2; cycle++) {
      // 32 clients, each booking its own random run of slots; several clients race for each slot.
      const mine = slots.slice(cycle * 150, cycle * 150 + 150);
      const storm = Array.from({ length: 32 }, async (_, client) => {
        for (let i = 0; i < 30; i++) {
          const slot = mine[(client * 7 + i * 13) % mine.length];
          const attempt: Attempt = { requestId: randomUUID(), body: bookingFor(slot) };
          attempts.push(attempt);
          try {
            attempt.seen = await call(root, '/Appointment', { method: 'POST', body: attempt.body, requestId: attempt.requestId });
          } catch {
            return; // the server died under us
          }
        }
      });
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
      children[children.length - 1].kill('SIGKILL');
      await Promise.all(storm);

      const lost = attempts.filter((a) => !a.seen).length;
      assert.ok(lost > 0, 'the kill came in the middle of the storm (some requests never got an answer)');
      const confirmed = attempts.filter((a) => a.seen?.status === 201);
      assert.ok(confirmed.length > 0, 'some bookings were confirmed before the kill');
      root = await startProvider(false);

      for (const a of confirmed) {
        const read = await call(root, `/Appointment/${a.seen!.json.id}`);
        assert.equal(read.status, 200, `confirmed booking ${a.seen!.json.id} survived the crash`);
        assert.equal(read.json.status, 'booked');
      }

      const before = await appointmentCount();
      for (const a of confirmed) {
        const retry = await call(root, '/Appointment', { method: 'POST', body: a.body, requestId: a.requestId });
        assert.equal(retry.status, 200, 'a retry of a confirmed booking replays it');
        assert.equal(retry.json.id, a.seen!.json.id);
      }
      assert.equal(await appointmentCount(), before, 'retries of confirmed bookings booked nothing new');

      // Requests whose answer was lost: a retry either replays a booking that committed, or is
      // answered afresh; each X-Request-ID ends with at most one appointment.
      for (const a of attempts.filter((x) => !x.seen)) {
        const first = await call(root, '/Appointment', { method: 'POST', body: a.body, requestId: a.requestId });
        assert.ok([200, 201, 422].includes(first.status), `lost request retried: ${first.status} ${first.text.slice(0, 200)}`);
        a.seen = first;
        if (first.status < 300) {
          const again = await call(root, '/Appointment', { method: 'POST', body: a.body, requestId: a.requestId });
          assert.equal(again.status, 200);
          assert.equal(again.json.id, first.json.id);
        }
      }
    }

    children[children.length - 1].kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const store = await openStore({ dataDir: dir });
    try {
      const booked = await store.db.selectFrom('appointment').select(['id', 'slot_id']).where('status', '=', 'booked').execute();
      assert.equal(new Set(booked.map((b) => b.slot_id)).size, booked.length, 'no slot has two bookings');
      const slotRows = await store.db.selectFrom('slot').select(['id', 'status', 'appointment_id']).where('appointment_id', 'is not', null).execute();
      const bookedIds = new Set(booked.map((b) => b.id));
      assert.ok(slotRows.every((s) => s.status === 'busy' && bookedIds.has(s.appointment_id!)), 'every taken slot names its booking');
      const requests = await store.db.selectFrom('booking_request').select(['request_id', 'appointment_id']).execute();
      assert.equal(new Set(requests.map((r) => r.request_id)).size, requests.length, 'one appointment per X-Request-ID');
      assert.ok(requests.every((r) => bookedIds.has(r.appointment_id)));
    } finally {
      await store.close();
    }
  });
});
