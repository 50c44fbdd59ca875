/**
 * The database going away under a real `slotbridge spine` process on PostgreSQL (issue 11, finding
 * 17): its connections are ended with `pg_terminate_backend`, then the database is made unreachable
 * for a while (a TCP relay in front of it resets every connection and refuses new ones). The process
 * lives; while the database is away its services answer 503 with Retry-After and an OperationOutcome,
 * never a 500; once the database is back they answer again on their own.
 *
 * Runs on SLOTBRIDGE_TEST_DATABASE_URL, else on postgres://postgres@127.0.0.1:5432/test when that
 * answers; skipped (with the reason printed) where there is no PostgreSQL.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startCliServer } from '../helpers/cli.js';
import { pgQuery, pgUrl, postgresForFaultTests, sleep, TcpRelay, terminateBackends } from '../helpers/faults.js';

const database = await postgresForFaultTests();
const schema = `spineaway_${process.pid}`;
const name = `sb-spineaway-${process.pid}`;
let relay: TcpRelay | undefined;
let child: ChildProcess | undefined;
let stderr: () => string = () => '';
let endpoints = '';

before(async () => {
  if (!database.url) return;
  await pgQuery(database.url, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
  relay = await TcpRelay.start(database.url);
  const url = pgUrl(database.url, {
    port: relay.port,
    params: { options: `-c search_path=${schema}`, application_name: name },
  });
  const started = await startCliServer(['spine', '--port', '0', '--database-url', url, '--seed', 'demo']);
  child = started.child;
  stderr = started.stderr;
  endpoints = started.json.endpoints;
});

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await relay?.close();
  if (database.url) await pgQuery(database.url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

const alive = () => child!.exitCode === null && child!.signalCode === null;

/** A read of the endpoint directory, which goes to the store every time. */
async function lookUp() {
  const res = await fetch(`${endpoints}/mhs?partyKey=R9R-807766`);
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    json: (await res.json().catch(() => null)) as any,
  };
}

describe('the database going away under the spine on PostgreSQL', { skip: database.skip }, () => {
  it(
    'ended connections and an unreachable database: 503 with Retry-After, never a 500 or a crash; back on its own',
    { timeout: 240_000 },
    async () => {
      assert.equal((await lookUp()).status, 200);

      // Its connections are ended again and again while it is asked.
      for (let round = 0; round < 6; round++) {
        const [answer] = await Promise.all([lookUp(), terminateBackends(database.url!, name)]);
        assert.ok([200, 503].includes(answer.status), `answer ${answer.status}: ${JSON.stringify(answer.json)}`);
        await sleep(100);
      }
      assert.ok(alive(), `the spine died: ${stderr().slice(-2000)}`);

      relay!.cut();
      try {
        const away = await lookUp();
        assert.equal(away.status, 503, JSON.stringify(away.json));
        assert.ok(Number(away.retryAfter) > 0, `Retry-After ${away.retryAfter}`);
        assert.equal(away.json.resourceType, 'OperationOutcome');
        assert.equal(away.json.issue[0].code, 'transient');
        await sleep(1000);
        assert.ok(alive(), `the spine died: ${stderr().slice(-2000)}`);
      } finally {
        relay!.restore();
      }
      for (;;) {
        const back = await lookUp();
        if (back.status === 200) break;
        assert.equal(back.status, 503, JSON.stringify(back.json));
        await sleep(200);
      }
      assert.ok(alive());
    },
  );
});
