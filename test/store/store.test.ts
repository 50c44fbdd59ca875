/** The store: one schema on SQLite and PostgreSQL, conditional booking writes, append-only audit. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addSlots, putReference, putTenant } from '../../src/capacity/catalogue.js';
import { openStore } from '../../src/store/store.js';
import { sql } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { TEST_DATABASE_URL, testStore, type TestStore } from '../helpers/store.js';
import { quarterHourSlots, tomorrowAt } from '../helpers/provider.js';

let ts: TestStore;
before(async () => {
  ts = await testStore();
  await putTenant(ts.store.db, { id: 't', name: 'T', odsCode: 'T1', asid: '1' });
  await putReference(ts.store.db, 't', { resourceType: 'HealthcareService', id: 'hs', name: 'HS' });
  await putReference(ts.store.db, 't', {
    resourceType: 'Schedule',
    id: 'sc',
    actor: [{ reference: 'HealthcareService/hs' }],
  });
});
after(() => ts.dispose());

describe(`store (${process.env.SLOTBRIDGE_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('migrations are idempotent: opening the store again keeps its data', async () => {
    const again = await openStore(ts.options);
    const row = await again.db.selectFrom('tenant').selectAll().where('id', '=', 't').executeTakeFirst();
    assert.equal(row?.name, 'T');
    await again.close();
  });

  it('putReference stores a new version only when the content changes', async () => {
    assert.equal(await putReference(ts.store.db, 't', { resourceType: 'Location', id: 'l', name: 'A' }), 1);
    assert.equal(await putReference(ts.store.db, 't', { resourceType: 'Location', id: 'l', name: 'A' }), 1);
    assert.equal(await putReference(ts.store.db, 't', { resourceType: 'Location', id: 'l', name: 'B' }), 2);
  });

  it('addSlots is idempotent by slot id', async () => {
    const slots = quarterHourSlots('x', 'sc', tomorrowAt(9), 10);
    assert.equal(await addSlots(ts.store, 't', slots), 10);
    assert.equal(await addSlots(ts.store, 't', slots), 0);
  });

  it('P25 the conditional update takes a free slot exactly once under concurrent transactions', async () => {
    const slots = quarterHourSlots('race', 'sc', tomorrowAt(12), 20);
    await addSlots(ts.store, 't', slots);
    const attempts = slots.flatMap((s) => Array.from({ length: 5 }, (_, i) => ({ slot: s.id, who: `a${i}` })));
    attempts.sort(() => Math.random() - 0.5);
    const wins = await Promise.all(
      attempts.map((a) =>
        ts.store.transaction(async (trx) => {
          const r = await trx
            .updateTable('slot')
            .set({ status: 'busy', appointment_id: a.who })
            .where('tenant_id', '=', 't')
            .where('id', '=', a.slot)
            .where('status', '=', 'free')
            .executeTakeFirst();
          return Number(r.numUpdatedRows);
        }),
      ),
    );
    assert.equal(
      wins.reduce((a, b) => a + b, 0),
      20,
    );
  });

  it("a change of a tenant's slots changes its change token, and only its own", async () => {
    const before = ts.store.slotChanges.token('t');
    const other = ts.store.slotChanges.token('u');
    await addSlots(ts.store, 't', quarterHourSlots('tok', 'sc', tomorrowAt(16), 1));
    assert.notEqual(ts.store.slotChanges.token('t'), before);
    assert.equal(ts.store.slotChanges.token('u'), other);
  });

  it('audit_event refuses updates and deletes', async () => {
    await ts.store.db
      .insertInto('audit_event')
      .values({
        at: new Date().toISOString(),
        tenant_id: 't',
        method: 'GET',
        path: '/',
        interaction: null,
        status: 200,
        outcome: 'success',
        diagnostics: null,
        consumer_fault: 0,
        request_id: 'r',
        correlation_id: null,
        ssp_trace_id: null,
        ssp_from: null,
        ssp_to: null,
        ssp_interaction_id: null,
        organisation_ods: null,
        organisation_name: null,
        device_id: null,
        device_model: null,
        device_version: null,
        practitioner_id: null,
        practitioner_name: null,
        practitioner_sds_user_id: null,
        practitioner_sds_role_profile_id: null,
        resource_type: null,
        resource_id: null,
        version_id: null,
        duration_ms: 1,
      })
      .execute();
    await assert.rejects(
      ts.store.db.updateTable('audit_event').set({ status: 500 }).where('request_id', '=', 'r').execute(),
      /append-only/,
    );
    await assert.rejects(ts.store.db.deleteFrom('audit_event').where('request_id', '=', 'r').execute(), /append-only/);
  });
});

describe('SQLite background writer', { skip: TEST_DATABASE_URL && 'SQLite only' }, () => {
  it('P5 an audit batch in flight keeps the process alive until it is written (a shutdown flush is not cut short)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slotbridge-writer-'));
    try {
      // A process whose only work left is the audit write: with the writer thread unreferenced while a
      // batch waits, Node would end it (exit 13, "unsettled top-level await") and the row would be lost.
      const script = `
        import { AUDIT_COLUMNS, openStore } from ${JSON.stringify(new URL('../../src/store/store.ts', import.meta.url).pathname)};
        const store = await openStore({ dataDir: ${JSON.stringify(dir)} });
        const row = {
          ...Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, null])),
          at: new Date().toISOString(), method: 'GET', path: '/shutdown', status: 200, outcome: 'ok',
          consumer_fault: 0, request_id: 'last-words', duration_ms: 1,
        };
        await store.appendAuditEvents([row]);
        console.log('written');
        await store.close();`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(child.status, 0, child.stderr);
      assert.equal(child.stdout.trim(), 'written');
      const store = await openStore({ dataDir: dir });
      try {
        const row = await store.db
          .selectFrom('audit_event')
          .select('path')
          .where('request_id', '=', 'last-words')
          .executeTakeFirst();
        assert.equal(row?.path, '/shutdown');
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('P5 the writer thread starts before a new store has its audit table, and still writes the first batch', async () => {
    // openStore starts the thread (it checkpoints) while the migrations make the tables; a thread that
    // prepared its insert at start died with SQLITE_ERROR when it won that race, and the audit was lost.
    const dir = mkdtempSync(join(tmpdir(), 'slotbridge-writer-'));
    const file = join(dir, 'early.db');
    const worker = new Worker(new URL('../../src/store/sqlite-writer.mjs', import.meta.url), {
      workerData: { file, columns: ['request_id', 'path'] },
    });
    try {
      const answer = (message: unknown) =>
        new Promise<{ error?: string }>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage(message);
        });
      // The thread has started on a file with no tables: a checkpoint must not hurt it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const early = new BetterSqlite3(file);
      early.exec('CREATE TABLE audit_event (request_id TEXT, path TEXT)');
      early.close();
      assert.deepEqual(await answer({ id: 1, rows: [{ request_id: 'first', path: '/metadata' }] }), { id: 1 });
      const check = new BetterSqlite3(file, { readonly: true });
      assert.deepEqual(check.prepare('SELECT path FROM audit_event').all(), [{ path: '/metadata' }]);
      check.close();
    } finally {
      await worker.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL schemas', { skip: !TEST_DATABASE_URL && 'PostgreSQL only (SLOTBRIDGE_TEST_DATABASE_URL)' }, () => {
  it('a store chosen by a search_path in the URL migrates in that schema, though another schema has migration tables', async () => {
    // How two slotbridge processes share a schema (test/helpers/store.ts sharedCliStore); Kysely found
    // the other schema's migration tables, made none of its own and failed to lock them.
    const other = await testStore();
    const schema = `sp_${process.pid}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      const separator = TEST_DATABASE_URL!.includes('?') ? '&' : '?';
      const url = `${TEST_DATABASE_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const store = await openStore({ databaseUrl: url });
      await store.close();
      const tables = await admin.query(
        'select table_name from information_schema.tables ' +
          `where table_schema = $1 and table_name in ('kysely_migration', 'slot') order by 1`,
        [schema],
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        ['kysely_migration', 'slot'],
      );
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
      await other.dispose();
    }
  });
});

describe(
  'PostgreSQL connection loss',
  { skip: !TEST_DATABASE_URL && 'PostgreSQL only (SLOTBRIDGE_TEST_DATABASE_URL)' },
  () => {
    it('an idle pooled connection ended by the server does not end the process, and the store carries on', async () => {
      const t = await testStore();
      try {
        // The pid of a pooled connection, idle in the pool once the query is done.
        const { rows: own } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(t.store.db);
        const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await admin.connect();
        const { rows: ended } = await admin.query('SELECT pg_terminate_backend($1) AS ended', [own[0]!.pid]);
        assert.equal(ended[0].ended, true);
        await admin.end();
        await new Promise((resolve) => setTimeout(resolve, 200));
        const rows = await t.store.db.selectFrom('tenant').select('id').execute();
        assert.deepEqual(rows, []);
      } finally {
        await t.dispose();
      }
    });
  },
);
