/**
 * A full disk under a real `slotbridge provider` process on SQLite (issue 11, finding 18). The process
 * runs in a mount namespace of its own on a small tmpfs (`unshare -rm`, no privileges needed); the test
 * fills that file system from outside, through /proc/{pid}/root, and frees it again. While the store
 * cannot write, bookings get 503 with Retry-After and an OperationOutcome (not a 500 blaming the
 * provider); no confirmed booking is lost; no audit row is lost (every request the test sent has its
 * row once space returns); and the provider books again on its own.
 *
 * Skipped, with the reason printed, where `unshare` is refused, and in the PostgreSQL run (SQLite only).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import { BIN } from '../helpers/cli.js';
import { call, type CallResult } from '../helpers/consumer.js';
import { sleep } from '../helpers/faults.js';
import { bookingFor } from '../helpers/provider.js';
import { TEST_DATABASE_URL } from '../helpers/store.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-diskfull-'));
const MOUNT = 'mount -t tmpfs -o size=8m tmpfs "$0"';
const SQLITE_MODULE = createRequire(import.meta.url).resolve('better-sqlite3');

function whySkip(): string | undefined {
  if (TEST_DATABASE_URL)
    return 'SQLite only (the store under test is a file); runs without SLOTBRIDGE_TEST_DATABASE_URL';
  const probe = spawnSync('unshare', ['-rm', 'sh', '-c', MOUNT, dir], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return `cannot make a small file system in a mount namespace here (unshare -rm: ${
      probe.error?.message ?? probe.stderr.trim()
    })`;
  }
  const nsenter = spawnSync('nsenter', ['--version'], { encoding: 'utf8' });
  if (nsenter.error || nsenter.status !== 0)
    return `no nsenter to read the store in its namespace (${nsenter.error?.message})`;
  return undefined;
}
const skip = whySkip();

/**
 * The audit rows and appointments in the provider's store, read inside its mount namespace (`nsenter`):
 * SQLite resolves the /proc/{pid}/root link to this namespace's folder, where the file is not.
 */
function readStore(pid: number) {
  const script = `
    const db = new (require(${JSON.stringify(SQLITE_MODULE)}))(process.argv[1], { readonly: true });
    console.log(JSON.stringify({
      audit: db.prepare('SELECT correlation_id, status FROM audit_event WHERE correlation_id IS NOT NULL').all(),
      appointments: db.prepare(
        'SELECT a.id, a.status, v.correlation_id FROM appointment a JOIN appointment_version v ' +
        'ON v.tenant_id = a.tenant_id AND v.id = a.id AND v.version_id = 1').all(),
    }));`;
  const read = spawnSync(
    'nsenter',
    ['-t', String(pid), '-m', process.execPath, '-e', script, join(dir, 'slotbridge.db')],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  assert.equal(read.status, 0, `reading the store: ${read.stderr}`);
  return JSON.parse(read.stdout) as {
    audit: { correlation_id: string; status: number }[];
    appointments: { id: string; status: string; correlation_id: string | null }[];
  };
}

let child: ChildProcess | undefined;
after(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** `slotbridge provider --data DIR --seed demo` on an 8 MB tmpfs mounted at DIR in its own namespace. */
function startProvider(): Promise<{ child: ChildProcess; json: any; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const started = spawn(
      'unshare',
      [
        '-rm',
        'sh',
        '-c',
        `${MOUNT} && exec "$1" "$2" provider --port 0 --data "$0" --seed demo --json`,
        dir,
        process.execPath,
        BIN,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    started.stderr.on('data', (d) => (stderr += d));
    started.stdout.on('data', (d) => {
      stdout += d;
      try {
        resolve({ child: started, json: JSON.parse(stdout), stderr: () => stderr });
      } catch {
        /* not complete yet */
      }
    });
    started.on('exit', (code) => reject(new Error(`provider exited ${code}: ${stderr}`)));
  });
}

/** Writes to `path` until the file system has no space left. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (let size = 64 * 1024; size >= 512;) {
      try {
        const n = writeSync(fd, Buffer.alloc(size, 0x5a));
        written += n;
        if (n < size) size /= 2;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        size /= 2;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

function assertUnavailable(res: CallResult, what: string): void {
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `${what}: Retry-After ${res.headers.get('retry-after')}`);
  assert.equal(res.json?.resourceType, 'OperationOutcome', `${what}: ${res.text.slice(0, 300)}`);
  assert.equal(res.json.issue[0].code, 'transient', `${what}: ${res.text.slice(0, 300)}`);
}

describe('a full disk under a provider on SQLite', { skip }, () => {
  it(
    '503 with Retry-After while the store cannot write; no confirmed booking and no audit row lost; books again after',
    { timeout: 240_000 },
    async (t) => {
      const started = await startProvider();
      child = started.child;
      const root = started.json.tenants.find((x: any) => x.id === 'riverside-ed').serviceRoot;
      const mounted = `/proc/${child.pid}/root${dir}`;
      const search = await call(root, '/Slot?status=free&_count=1000');
      assert.equal(search.status, 200, search.text.slice(0, 300));
      const free = search.json.entry
        .map((e: any) => e.resource)
        .filter((r: any) => r.resourceType === 'Slot')
        .map((r: any) => ({
          id: r.id,
          identifier: r.identifier[0].value,
          scheduleId: r.schedule.reference.split('/').pop(),
          start: r.start,
          end: r.end,
          status: 'free' as const,
          deliveryChannel: null,
        }));
      const sent: { requestId: string; res: CallResult }[] = [];
      const send = async (path: string, options: Parameters<typeof call>[2] = {}) => {
        const requestId = randomUUID();
        const res = await call(root, path, { ...options, requestId });
        sent.push({ requestId, res });
        return res;
      };
      const book = () => send('/Appointment', { method: 'POST', body: bookingFor(free.shift()) });

      // A few bookings while there is space.
      for (let i = 0; i < 3; i++) assert.equal((await book()).status, 201);

      // The disk fills. Bookings and searches go on until bookings have met the full disk a few times.
      const filler = join(mounted, 'filler');
      t.diagnostic(`filled the disk with ${fill(filler)} bytes`);
      let refused = 0;
      for (let i = 0; refused < 5 && i < 600; i++) {
        const res = await book();
        assert.ok([201, 503].includes(res.status), `a booking on a full disk: ${res.status} ${res.text.slice(0, 300)}`);
        if (res.status === 503) {
          assertUnavailable(res, 'a booking on a full disk');
          refused++;
        }
        const found = await send('/Slot?status=free&_count=3');
        assert.ok([200, 503].includes(found.status), `a search on a full disk: ${found.status}`);
        if (found.status === 503) assertUnavailable(found, 'a search on a full disk');
      }
      t.diagnostic(`${sent.length} requests on the full disk, ${refused} bookings refused`);
      assert.ok(refused > 0, 'bookings met the full disk');
      assert.ok(child.exitCode === null && child.signalCode === null, `the provider died: ${started.stderr()}`);

      // Space returns: the provider books again on its own.
      unlinkSync(filler);
      for (;;) {
        const res = await book();
        if (res.status === 201) break;
        assertUnavailable(res, 'a booking as space returns');
        await sleep(200);
      }

      // Every request the test sent has its audit row once the held rows are written (polled), with
      // the status its client saw; every confirmed booking is in the store.
      const ours = new Set(sent.map((s) => s.requestId));
      let stored = readStore(child.pid!);
      let audited = stored.audit.filter((r) => ours.has(r.correlation_id));
      for (let i = 0; audited.length < sent.length && i < 100; i++) {
        await sleep(200);
        stored = readStore(child.pid!);
        audited = stored.audit.filter((r) => ours.has(r.correlation_id));
      }
      const byRequest = new Map(audited.map((r) => [r.correlation_id, r]));
      const missing = sent.filter((s) => !byRequest.has(s.requestId));
      assert.equal(missing.length, 0, `${missing.length} of ${sent.length} requests have no audit row`);
      assert.equal(audited.length, sent.length, 'one audit row per request');
      for (const s of sent) assert.equal(byRequest.get(s.requestId)!.status, s.res.status, `audit of ${s.requestId}`);

      const confirmed = sent.filter((s) => s.res.status === 201);
      assert.equal(
        audited.filter((r) => r.status === 201).length,
        confirmed.length,
        'an audit row for every confirmed booking',
      );
      const appointments = new Map(stored.appointments.map((a) => [a.id, a]));
      for (const s of confirmed) {
        assert.equal(appointments.get(s.res.json.id)?.status, 'booked', `confirmed booking ${s.res.json.id} was lost`);
      }
      // A refused booking made nothing: a 503 changed nothing.
      const made = new Set(stored.appointments.map((a) => a.correlation_id));
      for (const s of sent.filter((x) => x.res.status === 503)) {
        assert.ok(!made.has(s.requestId), `refused request ${s.requestId} made an appointment`);
      }
      assert.ok(child.exitCode === null && child.signalCode === null, `the provider died: ${started.stderr()}`);
    },
  );
});
