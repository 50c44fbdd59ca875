/**
 * The database going away under a real `slotbridge provider` process on PostgreSQL (issue 11,
 * finding 17): its connections are ended with `pg_terminate_backend` in the middle of a booking
 * storm, and then the database is made unreachable for a while (a TCP relay in front of it resets
 * every connection and refuses new ones). The process lives; while the database is away requests get
 * 503 with Retry-After and an OperationOutcome, never a 500; every confirmed booking is kept; retries
 * with the same X-Request-ID book nothing twice; it books again on its own once the database is back;
 * and its slot cache serves no answer it cannot vouch for.
 *
 * Runs on SLOTBRIDGE_TEST_DATABASE_URL, else on postgres://postgres@127.0.0.1:5432/test when that
 * answers; skipped (with the reason printed) where there is no PostgreSQL. The shared server is never
 * restarted: other test files use it at the same time.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startCliServer } from '../helpers/cli.js';
import { call, type CallResult } from '../helpers/consumer.js';
import { pgQuery, pgUrl, postgresForFaultTests, sleep, TcpRelay, terminateBackends } from '../helpers/faults.js';
import { bookingFor } from '../helpers/provider.js';

const database = await postgresForFaultTests();
const schema = `dbrestart_${process.pid}`;
const TENANT = 'riverside-ed';
const children: ChildProcess[] = [];
let relay: TcpRelay | undefined;

interface Provider {
  child: ChildProcess;
  root: string;
  /** The application_name its connections carry (set in its database URL). */
  name: string;
  stderr: () => string;
}
let direct: Provider;
let relayed: Provider;

/** The relayed provider's start-up admin token, for its admin API. */
const ADMIN_TOKEN = randomBytes(24).toString('hex');

async function startProvider(name: string, port?: number, seed = false): Promise<Provider> {
  const url = pgUrl(database.url!, {
    port,
    params: { options: `-c search_path=${schema}`, application_name: name },
  });
  const started = await startCliServer([
    'provider',
    '--port',
    '0',
    '--database-url',
    url,
    ...(seed ? ['--seed', 'demo'] : ['--admin-token', ADMIN_TOKEN]),
  ]);
  children.push(started.child);
  const root = started.json.tenants.find((t: any) => t.id === TENANT).serviceRoot;
  return { child: started.child, root, name, stderr: started.stderr };
}

const alive = (p: Provider) => p.child.exitCode === null && p.child.signalCode === null;

before(async () => {
  if (!database.url) return;
  await pgQuery(database.url, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
  direct = await startProvider(`sb-dbrestart-direct-${process.pid}`, undefined, true);
  relay = await TcpRelay.start(database.url);
  relayed = await startProvider(`sb-dbrestart-relayed-${process.pid}`, relay.port);
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await relay?.close();
  if (database.url) await pgQuery(database.url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

function asNewSlot(slot: any) {
  return {
    id: slot.id,
    identifier: slot.identifier[0].value,
    scheduleId: slot.schedule.reference.split('/').pop(),
    start: slot.start,
    end: slot.end,
    status: 'free' as const,
    deliveryChannel: null,
  };
}

async function freeSlots(root: string, query = ''): Promise<ReturnType<typeof asNewSlot>[]> {
  const res = await call(root, `/Slot?status=free&_count=300${query}`);
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return (res.json.entry ?? [])
    .map((e: any) => e.resource)
    .filter((r: any) => r.resourceType === 'Slot')
    .map(asNewSlot);
}

/** A 503 is a transient OperationOutcome with a Retry-After in seconds; never a 500. */
function assertUnavailable(res: CallResult, what: string): void {
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `${what}: Retry-After ${res.headers.get('retry-after')}`);
  assert.equal(res.json?.resourceType, 'OperationOutcome', `${what}: ${res.text.slice(0, 300)}`);
  assert.equal(res.json.issue[0].code, 'transient', `${what}: ${res.text.slice(0, 300)}`);
}

interface Request {
  requestId: string;
  slot: ReturnType<typeof asNewSlot>;
  answers: CallResult[];
}

/** Books `slot`, retrying with the same X-Request-ID after each 503 as its Retry-After asks. */
async function bookThroughOutages(root: string, slot: Request['slot'], requests: Request[]): Promise<Request> {
  const request: Request = { requestId: randomUUID(), slot, answers: [] };
  requests.push(request);
  for (;;) {
    const res = await call(root, '/Appointment', {
      method: 'POST',
      body: bookingFor(slot),
      requestId: request.requestId,
    });
    request.answers.push(res);
    if (res.status !== 503) return request;
    assertUnavailable(res, 'a booking while the database is away');
    await sleep(Number(res.headers.get('retry-after')) * 1000);
  }
}

describe('the database going away under a provider on PostgreSQL', { skip: database.skip }, () => {
  it(
    'pg_terminate_backend in a booking storm: the process lives, 503s are retryable, nothing is lost or booked twice',
    { timeout: 240_000 },
    async (t) => {
      const free = await freeSlots(direct.root);
      assert.ok(free.length >= 100, `only ${free.length} free slots`);
      const requests: Request[] = [];
      let storming = true;
      let confirmedOnce!: () => void;
      const confirmed = new Promise<void>((resolve) => (confirmedOnce = resolve));
      // 12 clients book among 100 slots (so several race for each), one request after another.
      const failures: unknown[] = [];
      const clients = Array.from({ length: 12 }, async () => {
        while (storming) {
          const slot = free[Math.floor(Math.random() * 100)];
          try {
            const r = await bookThroughOutages(direct.root, slot, requests);
            if (r.answers.at(-1)!.status === 201) confirmedOnce();
          } catch (err) {
            failures.push(err); // no answer (the process died) or a wrong one
            return;
          }
        }
      });
      await Promise.race([confirmed, Promise.all(clients)]);
      // Every connection of the process, the slot-change listener's included, is ended eight times.
      let ended = 0;
      for (let round = 0; round < 8; round++) {
        ended += await terminateBackends(database.url!, direct.name);
        await sleep(150);
      }
      // The storm goes on a little after the last of them (bookings succeed again), then stops.
      const afterwards = requests.length + 24;
      while (requests.length < afterwards && failures.length === 0) await sleep(50);
      storming = false;
      await Promise.all(clients);
      t.diagnostic(
        `${requests.length} booking requests, ${ended} connections ended, ` +
          `${requests.flatMap((r) => r.answers).filter((a) => a.status === 503).length} answers were 503`,
      );
      assert.ok(alive(direct), `the provider died: ${direct.stderr().slice(-2000)}`);
      assert.deepEqual(failures.map(String), [], 'every request of the storm got an answer a client can act on');
      assert.ok(ended > 0, 'the storm ran on database connections that could be ended');

      // Every answer was one a client can act on; a 503 was retried until it was not.
      const finals = requests.map((r) => r.answers.at(-1)!);
      for (const res of requests.flatMap((r) => r.answers)) {
        assert.ok([200, 201, 422, 503].includes(res.status), `storm answer ${res.status}: ${res.text.slice(0, 300)}`);
      }
      const booked = requests.filter((r) => [200, 201].includes(r.answers.at(-1)!.status));
      // 200 is a replay: only a request whose earlier attempt had committed before its 503 gets one.
      for (const r of booked) {
        if (r.answers.at(-1)!.status === 200) assert.ok(r.answers.length > 1, `${r.requestId} replayed unasked`);
      }
      assert.ok(finals.some((f) => f.status === 201));

      // Retries of every booked request, with the same X-Request-ID, replay it and book nothing.
      for (const r of booked) {
        const retry = await call(direct.root, '/Appointment', {
          method: 'POST',
          body: bookingFor(r.slot),
          requestId: r.requestId,
        });
        assert.equal(retry.status, 200, `retry of ${r.requestId}: ${retry.status} ${retry.text.slice(0, 200)}`);
        assert.equal(retry.json.id, r.answers.at(-1)!.json.id, 'the retry replays the booking its client was told of');
      }

      // The store: every confirmed booking is there and booked, one per X-Request-ID and one per slot.
      const rows = await pgQuery<{ id: string; status: string; slot_id: string; correlation_id: string | null }>(
        database.url!,
        `select a.id, a.status, a.slot_id, v.correlation_id from ${schema}.appointment a
       join ${schema}.appointment_version v on v.tenant_id = a.tenant_id and v.id = a.id and v.version_id = 1
       where a.tenant_id = $1`,
        [TENANT],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const r of booked) {
        const row = byId.get(r.answers.at(-1)!.json.id);
        assert.ok(row, `confirmed booking ${r.answers.at(-1)!.json.id} was lost`);
        assert.equal(row.status, 'booked');
        assert.equal(row.correlation_id, r.requestId);
      }
      const perRequest = new Map<string, number>();
      const perSlot = new Map<string, number>();
      for (const row of rows) {
        if (row.correlation_id) perRequest.set(row.correlation_id, (perRequest.get(row.correlation_id) ?? 0) + 1);
        if (row.status === 'booked') perSlot.set(row.slot_id, (perSlot.get(row.slot_id) ?? 0) + 1);
      }
      for (const [id, n] of perRequest) assert.equal(n, 1, `X-Request-ID ${id} made ${n} appointments`);
      for (const [slot, n] of perSlot) assert.equal(n, 1, `slot ${slot} was booked ${n} times`);
      const mine = new Set(requests.map((r) => r.requestId));
      assert.equal(
        rows.filter((r) => r.correlation_id && mine.has(r.correlation_id)).length,
        booked.length,
        'every appointment the storm made was confirmed to its client',
      );

      // It books again on its own.
      const fresh = (await freeSlots(direct.root)).filter((s) => !free.some((f) => f.id === s.id));
      for (;;) {
        const res = await call(direct.root, '/Appointment', { method: 'POST', body: bookingFor(fresh.shift()!) });
        if (res.status === 201) break;
        assertUnavailable(res, 'a booking after the storm');
        await sleep(200);
      }
    },
  );

  it(
    'unreachable for a while: 503 with Retry-After, then it reconnects and books on its own',
    { timeout: 240_000 },
    async () => {
      const free = await freeSlots(relayed.root, '&service=2000011002');
      assert.ok(free.length >= 10, `only ${free.length} free slots`);
      relay!.cut();
      try {
        assertUnavailable(
          await call(relayed.root, '/Appointment', { method: 'POST', body: bookingFor(free[0]) }),
          'a booking while the database is unreachable',
        );
        assertUnavailable(await call(relayed.root, '/Slot?status=free&_count=5&service=2000011003'), 'a slot search');
        assertUnavailable(await call(relayed.root, `/Appointment/${randomUUID()}`), 'an appointment read');
        // The admin API beside it likewise.
        const admin = await fetch(`${new URL(relayed.root).origin}/admin/${TENANT}/rotas`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        const text = await admin.text();
        assertUnavailable(
          { status: admin.status, headers: admin.headers, text, json: JSON.parse(text) },
          'an admin call',
        );
        await sleep(1500); // long enough for a reconnection attempt of the slot-change listener to fail
        assert.ok(alive(relayed), `the provider died: ${relayed.stderr().slice(-2000)}`);
      } finally {
        relay!.restore();
      }
      // Back on its own: book the next slot until it works (503s meanwhile are retryable).
      let slot = 1;
      for (;;) {
        const res = await call(relayed.root, '/Appointment', { method: 'POST', body: bookingFor(free[slot]) });
        if (res.status === 201) break;
        if (res.status === 422) slot++;
        else assertUnavailable(res, 'a booking while the database comes back');
        await sleep(200);
      }
      assert.ok(alive(relayed));
    },
  );

  it(
    'a provider that lost its slot-change listener serves no cached slot answer it cannot vouch for',
    { timeout: 240_000 },
    async () => {
      const query = '/Slot?status=free&_count=20&service=2000011002';
      const listening = async () =>
        (
          await pgQuery(
            database.url!,
            `select 1 from pg_stat_activity where application_name = $1 and query ilike 'LISTEN%'`,
            [relayed.name],
          )
        ).length > 0;
      const search = async () => {
        for (;;) {
          const res = await call(relayed.root, query);
          if (res.status === 200) return res;
          assertUnavailable(res, 'a slot search while the database comes back');
          await sleep(200);
        }
      };
      // Its listener is there (after the outage above it reconnected on its own), and answers are cached.
      for (let i = 0; !(await listening()) && i < 50; i++) await sleep(200);
      const first = await search();
      assert.equal((await search()).json.id, first.json.id, 'a repeated search is answered from the cache');

      // The listener is lost and cannot come back (new connections are refused); the connections the
      // pool already holds still work, so searches are answered.
      relay!.refuseNew();
      try {
        assert.ok((await terminateBackends(database.url!, relayed.name, `query ilike 'LISTEN%'`)) > 0);
        await sleep(1000); // longer than the listener's first reconnection attempts
        const before = await search();
        const offered = before.json.entry.filter((e: any) => e.resource.resourceType === 'Slot');
        const taken = asNewSlot(offered[0].resource);
        // Another API process books the first slot offered: the listenerless one cannot hear of it, so it
        // must not answer from its cache.
        const booked = await call(direct.root, '/Appointment', { method: 'POST', body: bookingFor(taken) });
        assert.equal(booked.status, 201, booked.text.slice(0, 300));
        const afterwards = await search();
        const stillOffered = afterwards.json.entry.some((e: any) => e.resource.id === taken.id);
        assert.equal(stillOffered, false, `slot ${taken.id}, booked by another process, is still offered as free`);
      } finally {
        relay!.restore();
      }
      // The listener comes back on its own, and with it the cache.
      while (!(await listening())) await sleep(200);
      let again = await search();
      while (again.json.id !== (await search()).json.id) again = await search();
      assert.ok(alive(relayed));
    },
  );
});
