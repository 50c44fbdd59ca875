/**
 * P24 P25 BOOK-5 API-9 crash safety, with real processes: `slotbridge provider` is killed with
 * SIGKILL in the middle of a booking storm (32 concurrent clients of four consumer organisations,
 * about eight racing for each slot, some sending a request twice at once, and a last burst of
 * requests for slots of their own written to it just before it dies) and restarted with the same
 * command on the same data folder, three times or more. Every booking a client saw confirmed survives and reads back the same,
 * no slot is ever booked twice, a retry of a confirmed request replays it and books nothing, a retry
 * of a request whose answer was lost replays it exactly when it had committed (else it is answered
 * afresh), and every X-Request-ID ends with at most one appointment.
 *
 * CRASH_SEED=<n> (printed as a diagnostic) replays the same choices of slots, clients, duplicates and
 * kill delay (the timing of the processes themselves cannot be replayed).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import type { NewSlot } from '../../src/capacity/catalogue.js';
import { openStore } from '../../src/store/store.js';
import { startCliServer } from '../helpers/cli.js';
import { SCOPE, call, token } from '../helpers/consumer.js';
import { bookingFor } from '../helpers/provider.js';
import { assertStoreWhole } from '../helpers/store-invariants.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-crash-'));
const children: ChildProcess[] = [];
const agent = new http.Agent({ keepAlive: true });

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

after(async () => {
  // Whatever happened, no provider outlives the test.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const TENANTS = ['riverside-ed', 'northgate-utc'];
const CONSUMERS = ['A1001', 'B2002', 'C3003', 'D4004'];
const CLIENTS = 32;
const CYCLES = 3;
/** Requests written to the provider just before it is killed, each for a slot of its own. */
const BURST = 48;

const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
/** mulberry32: a small seeded generator, so a failing run's choices can be replayed. */
function generator(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = generator(seed);
const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];

interface Provider {
  child: ChildProcess;
  /** Service root by tenant id (its port changes with every start). */
  roots: Record<string, string>;
}

/** `slotbridge provider --port 0 --data DIR --seed demo --json`, as a supervisor would (re)start it. */
async function startProvider(): Promise<Provider> {
  const started = await startCliServer(['provider', '--port', '0', '--data', dir, '--seed', 'demo']);
  children.push(started.child);
  const tenants = started.json.tenants as {
    id: string;
    name: string;
    serviceRoot: string;
    asid: string;
    odsCode: string;
  }[];
  assert.ok(Array.isArray(tenants), `startup JSON: ${JSON.stringify(started.json)}`);
  const roots: Record<string, string> = {};
  for (const t of tenants) {
    for (const field of ['id', 'name', 'serviceRoot', 'asid', 'odsCode'] as const)
      assert.equal(typeof t[field], 'string', `tenant ${t.id} ${field}`);
    assert.notEqual(new URL(t.serviceRoot).port, '0', 'the service root carries the port picked');
    roots[t.id] = t.serviceRoot;
  }
  for (const id of TENANTS) assert.ok(roots[id], `tenant ${id} is served`);
  return { child: started.child, roots };
}

async function kill(provider: Provider): Promise<void> {
  provider.child.kill('SIGKILL');
  await exited(provider.child);
}

interface Answer {
  status: number;
  text: string;
  json: any;
}

/**
 * A booking POST through node:http: `sent` settles once the whole request is handed to the kernel
 * (so the provider has it even if it dies now), `answer` once the response is read.
 */
function post(root: string, a: Attempt, ods = a.ods): { sent: Promise<void>; answer: Promise<Answer> } {
  const url = new URL(`${root}/Appointment`);
  const body = JSON.stringify(a.body);
  let sent!: () => void;
  const written = new Promise<void>((resolve) => (sent = resolve));
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
          'x-request-id': a.requestId,
          authorization: `Bearer ${token({ aud: root, scope: SCOPE.write, ods })}`,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('error', reject);
        res.on('end', () => {
          if (!res.complete) return reject(new Error('response cut short'));
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.on('finish', sent);
    req.on('error', (err) => {
      sent();
      reject(err);
    });
    req.end(body);
  });
  return { sent: written, answer };
}

/** What a request was and what its client saw: a response, or nothing (the connection died). */
interface Attempt {
  tenant: string;
  ods: string;
  requestId: string;
  slot: string;
  body: unknown;
  cycle: number;
  seen?: Answer;
  /** The appointment this X-Request-ID is known to have made (from a 201 or a replay). */
  appointmentId?: string;
}
const requestKey = (a: { tenant: string; ods: string; requestId: string }) => `${a.tenant}|${a.ods}|${a.requestId}`;

const book = (root: string, a: Attempt, ods = a.ods) => post(root, a, ods).answer;

async function freeSlots(provider: Provider, tenant: string): Promise<NewSlot[]> {
  const res = await call(provider.roots[tenant], '/Slot?status=free&_count=300', { ods: pick(CONSUMERS) });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return (res.json.entry ?? [])
    .map((e: any) => e.resource)
    .filter((r: any) => r.resourceType === 'Slot' && r.status === 'free')
    .map((r: any) => ({
      id: r.id,
      identifier: r.identifier[0].value,
      scheduleId: r.schedule.reference.split('/').pop(),
      start: r.start,
      end: r.end,
      status: 'free' as const,
      deliveryChannel: null,
    }));
}

/** Appointments in the store, by reading it directly (the provider is stopped). */
async function snapshot() {
  const store = await openStore({ dataDir: dir });
  try {
    await assertStoreWhole(store.db, 'after the kill');
    const appointments = await store.db
      .selectFrom('appointment')
      .select(['tenant_id', 'id', 'status', 'slot_id', 'consumer_ods'])
      .execute();
    const requests = await store.db
      .selectFrom('booking_request')
      .select(['tenant_id', 'consumer_ods', 'request_id', 'appointment_id'])
      .execute();
    const firstVersions = await store.db
      .selectFrom('appointment_version')
      .select(['tenant_id', 'id', 'organisation_ods', 'correlation_id'])
      .where('version_id', '=', 1)
      .execute();
    return {
      appointments: new Map(appointments.map((a) => [`${a.tenant_id}|${a.id}`, a])),
      committed: new Map(requests.map((r) => [`${r.tenant_id}|${r.consumer_ods}|${r.request_id}`, r.appointment_id])),
      firstVersions,
    };
  } finally {
    await store.close();
  }
}

/** The patient's appointments at every tenant, through the API (every booking is of the example's patient). */
async function appointmentCount(provider: Provider): Promise<number> {
  let n = 0;
  for (const tenant of TENANTS) {
    const res = await call(
      provider.roots[tenant],
      `/Appointment?patient.identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|1234554321')}`,
    );
    assert.equal(res.status, 200, res.text.slice(0, 300));
    n += res.json.total;
  }
  return n;
}

describe('crash in the middle of a booking storm', () => {
  it('P24 P25 BOOK-5 API-9 SIGKILL mid-storm ×3: confirmed bookings survive, no double booking, retries get what committed', async (t) => {
    t.diagnostic(`CRASH_SEED=${seed}`);
    const attempts: Attempt[] = [];
    /** Client-visible bookings: the one appointment each slot got and which request made it. */
    const bookedSlot = new Map<string, string>();
    let provider = await startProvider();
    let replayedInAll = 0;

    // Three cycles, and more (up to six) until some request had committed without its client
    // seeing the answer, so that replaying exactly what committed is put to the test.
    for (let cycle = 0; cycle < CYCLES || (replayedInAll === 0 && cycle < 6); cycle++) {
      // The storm: 32 clients book among 120 free slots of both tenants (so about eight try each
      // slot); one request in ten is sent twice at once with the same X-Request-ID.
      const free = (
        await Promise.all(
          TENANTS.map(async (tenant) => (await freeSlots(provider, tenant)).map((slot) => ({ tenant, slot }))),
        )
      ).flat();
      assert.ok(free.length >= 120 + BURST, `only ${free.length} free slots left`);
      for (let i = free.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [free[i], free[j]] = [free[j], free[i]];
      }
      const targets = free.slice(0, 120);
      // The burst books slots the storm never asks for, so each of its requests can commit: a quick
      // provider has taken all 120 of the storm's slots before the kill, leaving nothing to commit.
      const burstTargets = free.slice(120, 120 + BURST);
      const roots = provider.roots;
      const attempt = (ods: string, target = pick(targets)): Attempt => {
        const a: Attempt = {
          tenant: target.tenant,
          ods,
          requestId: randomUUID(),
          slot: `${target.tenant}|${target.slot.id}`,
          body: bookingFor(target.slot),
          cycle,
        };
        return a;
      };
      /** Sends a request (one in ten twice at once, with the same X-Request-ID); returns when it is written. */
      const launch = (ods: string, target?: (typeof targets)[number]) => {
        const a = attempt(ods, target);
        const copies = random() < 0.1 ? [a, { ...a }] : [a];
        attempts.push(...copies);
        const flights = copies.map((x) => post(roots[x.tenant], x));
        const answered = Promise.allSettled(
          flights.map(async (f, i) => {
            copies[i].seen = await f.answer;
            if (copies[i].seen!.status === 201) firstConfirmed();
          }),
        );
        return { sent: Promise.all(flights.map((f) => f.sent)), answered };
      };
      let firstConfirmed!: () => void;
      const confirmedOnce = new Promise<void>((resolve) => (firstConfirmed = resolve));
      // Each client books one request after another until the provider dies under it.
      const storm = Array.from({ length: CLIENTS }, async (_, c) => {
        for (;;) {
          const results = await launch(CONSUMERS[c % CONSUMERS.length]).answered;
          if (results.some((r) => r.status === 'rejected')) return;
        }
      });
      const delay = 150 + Math.floor(random() * 250);
      const startedAt = performance.now();
      await Promise.race([confirmedOnce, new Promise((r) => setTimeout(r, 5000))]);
      await new Promise((r) => setTimeout(r, Math.max(0, delay - (performance.now() - startedAt))));
      // The kill lands while the provider holds many requests: a last burst is written to it (the
      // clients alone cannot outpace it on a small machine), and it dies a moment later, with some
      // of them committed and unanswered, some half-done, some never read.
      const burst = Array.from({ length: BURST }, (_, i) => launch(CONSUMERS[i % CONSUMERS.length], burstTargets[i]));
      await Promise.race([Promise.all(burst.map((b) => b.sent)), new Promise((r) => setTimeout(r, 2000))]);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 20)));
      await kill(provider);
      await Promise.all([...storm, ...burst.map((b) => b.answered)]);

      const mine = attempts.filter((a) => a.cycle === cycle);
      const lost = mine.filter((a) => !a.seen);
      const confirmedNow = mine.filter((a) => a.seen?.status === 201);
      t.diagnostic(
        `cycle ${cycle + 1}: killed ${delay} ms into the storm; ` +
          `${mine.length} requests, ${confirmedNow.length} confirmed, ${lost.length} unanswered`,
      );
      assert.ok(lost.length > 0, 'the kill came in the middle of the storm (some requests never got an answer)');
      assert.ok(confirmedNow.length > 0, 'some bookings were confirmed before the kill');
      for (const a of mine) {
        if (!a.seen) continue;
        assert.ok(
          [200, 201, 422].includes(a.seen.status),
          `storm answer ${a.seen.status}: ${a.seen.text.slice(0, 300)}`,
        );
        if (a.seen.status === 200 || a.seen.status === 201) a.appointmentId = a.seen.json.id;
      }

      // What the client saw agrees with itself: one appointment per slot, one per X-Request-ID.
      for (const a of attempts) {
        if (a.seen?.status !== 201) continue;
        const other = bookedSlot.get(a.slot);
        assert.ok(
          other === undefined || other === a.seen.json.id,
          `slot ${a.slot} was confirmed to two appointments (${other}, ${a.seen.json.id})`,
        );
        bookedSlot.set(a.slot, a.seen.json.id);
      }
      const answeredIds = new Map<string, string>();
      for (const a of attempts) {
        if (!a.appointmentId) continue;
        const k = requestKey(a);
        assert.ok(
          !answeredIds.has(k) || answeredIds.get(k) === a.appointmentId,
          `X-Request-ID ${k} was answered with two appointments`,
        );
        answeredIds.set(k, a.appointmentId);
      }

      // The store after the kill: whole, and every confirmed booking is in it (durable).
      const after = await snapshot();
      for (const a of attempts) {
        if (a.seen?.status !== 201) continue;
        const stored = after.appointments.get(`${a.tenant}|${a.seen.json.id}`);
        assert.ok(stored, `confirmed booking ${a.seen.json.id} (cycle ${a.cycle + 1}) was lost in the crash`);
        assert.equal(stored.status, 'booked');
        assert.equal(
          after.committed.get(requestKey(a)),
          a.seen.json.id,
          `the X-Request-ID of confirmed booking ${a.seen.json.id} was lost`,
        );
      }

      // Restart on the same data: a new port, so new service roots and new tokens (aud).
      provider = await startProvider();
      const roots2 = provider.roots;

      // Every booking confirmed so far reads back exactly as confirmed.
      const confirmed = attempts.filter((a) => a.seen?.status === 201);
      for (const a of confirmed) {
        const read = await call(roots2[a.tenant], `/Appointment/${a.seen!.json.id}`, { ods: a.ods });
        assert.equal(read.status, 200, `confirmed booking ${a.seen!.json.id} reads ${read.status}`);
        assert.equal(read.json.status, 'booked');
        assert.deepEqual(read.json, a.seen!.json, `confirmed booking ${a.seen!.json.id} reads back differently`);
      }

      // A retry of a confirmed request (same consumer, same X-Request-ID) replays it and books nothing.
      const before = await appointmentCount(provider);
      assert.equal(before, after.appointments.size, 'the API and the store count the same appointments');
      for (const a of confirmed) {
        const retry = await book(roots2[a.tenant], a);
        assert.equal(
          retry.status,
          200,
          `retry of confirmed ${requestKey(a)} → ${retry.status} ${retry.text.slice(0, 200)}`,
        );
        assert.equal(retry.json.id, a.seen!.json.id, 'the retry replays the confirmed booking');
      }
      // The same X-Request-ID from another consumer organisation is another request: its slot is taken.
      for (const a of confirmed.slice(0, 10)) {
        const other = CONSUMERS.find((c) => c !== a.ods)!;
        const res = await book(roots2[a.tenant], a, other);
        assert.equal(
          res.status,
          422,
          `${other} reusing ${a.ods}'s X-Request-ID → ${res.status} ${res.text.slice(0, 200)}`,
        );
      }
      assert.equal(await appointmentCount(provider), before, 'retries of confirmed bookings booked nothing');

      // Requests whose answer was lost: a retry replays exactly those that had committed (or whose
      // twin, sent at the same time with the same X-Request-ID, was just booked on its own retry);
      // the others are answered afresh (201, or 422 when another client has the slot).
      const known = new Map(after.committed);
      let replayed = 0;
      let fresh = 0;
      for (const a of lost) {
        const committed = known.get(requestKey(a));
        const retry = await book(roots2[a.tenant], a);
        if (committed) {
          assert.equal(
            retry.status,
            200,
            `unanswered ${requestKey(a)} had committed, but its retry → ${retry.status} ${retry.text.slice(0, 200)}`,
          );
          assert.equal(retry.json.id, committed, 'the retry replays what had committed');
          replayed++;
        } else {
          assert.ok(
            [201, 422].includes(retry.status),
            `unanswered ${requestKey(a)} had not committed; its retry → ${retry.status} ${retry.text.slice(0, 200)}`,
          );
          if (retry.status === 201) {
            fresh++;
            known.set(requestKey(a), retry.json.id);
          }
        }
        a.seen = retry;
        if (retry.status < 300) a.appointmentId = retry.json.id;
        if (retry.status === 201) {
          const other = bookedSlot.get(a.slot);
          assert.ok(other === undefined, `slot ${a.slot} was confirmed twice (${other}, ${retry.json.id})`);
          bookedSlot.set(a.slot, retry.json.id);
        }
      }
      t.diagnostic(
        `cycle ${cycle + 1}: of ${lost.length} unanswered requests ${replayed} had committed (replayed), ${fresh} were booked on retry`,
      );
      replayedInAll += replayed;
      assert.equal(
        await appointmentCount(provider),
        before + fresh,
        'retries of unanswered requests booked only those that had not committed',
      );
    }

    assert.ok(replayedInAll > 0, 'in six crashes no request committed without its client seeing the answer');

    // Stop for good, then read the store: whole, no slot booked twice, one appointment per X-Request-ID.
    await kill(provider);
    const end = await snapshot();
    const perSlot = new Map<string, number>();
    for (const a of end.appointments.values()) {
      if (a.status === 'booked')
        perSlot.set(`${a.tenant_id}|${a.slot_id}`, (perSlot.get(`${a.tenant_id}|${a.slot_id}`) ?? 0) + 1);
    }
    for (const [slot, n] of perSlot) assert.equal(n, 1, `slot ${slot} has ${n} booked appointments`);
    const perRequest = new Map<string, number>();
    for (const v of end.firstVersions) {
      assert.ok(v.correlation_id, `appointment ${v.id} was booked without an X-Request-ID`);
      const k = `${v.tenant_id}|${v.organisation_ods}|${v.correlation_id}`;
      perRequest.set(k, (perRequest.get(k) ?? 0) + 1);
    }
    for (const [k, n] of perRequest) assert.equal(n, 1, `X-Request-ID ${k} made ${n} appointments`);
    for (const a of attempts) {
      if (!a.appointmentId) continue;
      assert.equal(
        end.committed.get(requestKey(a)),
        a.appointmentId,
        `X-Request-ID ${requestKey(a)} maps to another appointment than its client was told`,
      );
    }
    t.diagnostic(`${attempts.length} booking requests, ${end.appointments.size} appointments`);
  });
});
