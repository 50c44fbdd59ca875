/**
 * The store when its database goes away (issue 11, finding 17): which errors are "the store is away"
 * (real errors from PostgreSQL and SQLite), the slot-change tracker's trust, and a PostgreSQL store
 * whose connections are ended or cut: no 'error' event ends the process, a statement on an ended
 * connection fails as a store fault, the slot-change listener comes back on its own, and while it is
 * away no cached slot answer is trusted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { storeFault } from '../../src/store/faults.js';
import { openStore, SlotChangeTracker } from '../../src/store/store.js';
import { pgQuery, pgUrl, postgresForFaultTests, sleep, TcpRelay, terminateBackends } from '../helpers/faults.js';

const database = await postgresForFaultTests();

/** Polls `check` until it holds (the test's own timeout bounds the wait). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`${what} never happened`);
}

describe('store faults: which errors mean the store is away', () => {
  it('SQLite: a full database and an I/O error are; a constraint is not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slotbridge-faults-'));
    const db = new BetterSqlite3(join(dir, 'x.db'));
    try {
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      db.prepare('INSERT INTO t VALUES (1, ?)').run('x');
      const full = (() => {
        // The file may not grow past its current size: a real SQLITE_FULL, as on a full disk.
        db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
        try {
          db.prepare('INSERT INTO t (v) VALUES (?)').run('y'.repeat(100_000));
        } catch (err) {
          return err;
        }
      })();
      assert.equal((full as { code: string }).code, 'SQLITE_FULL');
      assert.equal(storeFault(full), 'cannot-write');
      assert.equal(
        storeFault(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' })),
        'cannot-write',
      );
      const constraint = (() => {
        try {
          db.prepare('INSERT INTO t VALUES (1, ?)').run('again');
        } catch (err) {
          return err;
        }
      })();
      assert.match((constraint as { code: string }).code, /^SQLITE_CONSTRAINT/);
      assert.equal(storeFault(constraint), undefined);
      assert.equal(storeFault(new Error('boom')), undefined);
      assert.equal(storeFault(undefined), undefined);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'PostgreSQL: connection exceptions, shutdown codes and refused or reset sockets are; a unique violation is not',
    { timeout: 240_000 },
    async (t) => {
      for (const code of ['57P01', '57P02', '57P03', '08000', '08003', '08006', '53100', '53300'])
        assert.ok(storeFault(Object.assign(new Error(code), { code })), code);
      for (const message of [
        'Connection terminated unexpectedly',
        'Connection terminated',
        'timeout exceeded when trying to connect',
      ])
        assert.equal(storeFault(new Error(message)), 'unavailable', message);
      assert.equal(
        storeFault(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })),
        'unavailable',
      );
      assert.equal(storeFault(Object.assign(new Error('duplicate key'), { code: '23505' })), undefined);
      assert.equal(storeFault(Object.assign(new Error('syntax'), { code: '42601' })), undefined);

      // A port nobody listens on: the error node-postgres really gives.
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const refused = await new pg.Client({ host: '127.0.0.1', port, user: 'x' }).connect().catch((err) => err);
      assert.equal(storeFault(refused), 'unavailable', String(refused));

      if (!database.url) return t.diagnostic(`the real 57P01 is not checked: ${database.skip}`);
      // A backend ended by pg_terminate_backend in the middle of a statement: 57P01 (admin_shutdown).
      const client = new pg.Client({ connectionString: database.url, application_name: `sb-faults-${process.pid}` });
      client.on('error', () => {});
      await client.connect();
      const [ended] = await Promise.all([
        client.query('select pg_sleep(30)').catch((err) => err),
        sleep(300).then(() => terminateBackends(database.url!, `sb-faults-${process.pid}`)),
      ]);
      await client.end().catch(() => {});
      assert.equal(ended.code, '57P01', String(ended));
      assert.equal(storeFault(ended), 'unavailable');
    },
  );
});

describe('the slot-change tracker', () => {
  it('while changes cannot be seen no two tokens are equal; once they can, tokens are stable again and new', () => {
    const tracker = new SlotChangeTracker();
    const before = tracker.token('t');
    assert.equal(tracker.token('t'), before);
    tracker.lost();
    assert.equal(tracker.trusted, false);
    const a = tracker.token('t');
    assert.notEqual(a, tracker.token('t'));
    assert.notEqual(a, before);
    tracker.restored();
    assert.equal(tracker.trusted, true);
    const after = tracker.token('t');
    assert.equal(tracker.token('t'), after);
    assert.notEqual(after, before, 'an answer cached before the loss is not served after it');
  });
});

describe('a PostgreSQL store whose connections are ended or cut', { skip: database.skip }, () => {
  it(
    'ended between two statements of a transaction: a store fault, no crash, and it works again on its own',
    { timeout: 240_000 },
    async () => {
      const schema = `faults_${process.pid}`;
      const name = `sb-faults-store-${process.pid}`;
      const store = await openStore({ databaseUrl: database.url, pgSchema: schema, applicationName: name });
      try {
        const token = store.slotChanges.token('t');
        const failed = await store
          .transaction(async (trx) => {
            await sql`select 1`.execute(trx);
            // Every connection of the store ends, the one this transaction holds and the listener's too:
            // an 'error' event nobody listens to would end this process.
            assert.ok((await terminateBackends(database.url!, name)) >= 2);
            await sleep(200);
            await sql`select 2`.execute(trx);
          })
          .catch((err) => err);
        assert.equal(storeFault(failed), 'unavailable', String(failed));
        // Back on its own: statements work, and the listener is back with a new token.
        await until(
          async () =>
            await sql`select 1 as one`.execute(store.db).then(
              () => true,
              () => false,
            ),
          'a statement',
        );
        await until(() => store.slotChanges.trusted && store.slotChanges.token('t') !== token, 'the listener back');
      } finally {
        await store.close();
        await pgQuery(database.url!, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }
    },
  );

  it(
    'unreachable for a while: no cached answer is trusted until the listener is back, which it is on its own',
    { timeout: 240_000 },
    async () => {
      const schema = `faultscut_${process.pid}`;
      await pgQuery(database.url!, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
      const relay = await TcpRelay.start(database.url!);
      const url = pgUrl(database.url!, { port: relay.port, params: { options: `-c search_path=${schema}` } });
      const store = await openStore({ databaseUrl: url });
      try {
        assert.equal(store.slotChanges.trusted, true);
        relay.cut();
        await until(() => !store.slotChanges.trusted, 'the listener noticed as lost');
        // Longer than the listener's first reconnection attempts, which fail.
        await sleep(1500);
        assert.equal(store.slotChanges.trusted, false);
        assert.notEqual(store.slotChanges.token('t'), store.slotChanges.token('t'));
        assert.equal(storeFault(await sql`select 1`.execute(store.db).catch((err) => err)), 'unavailable');
        relay.restore();
        await until(() => store.slotChanges.trusted, 'the listener back');
        assert.equal(store.slotChanges.token('t'), store.slotChanges.token('t'));
        await sql`select 1`.execute(store.db);
      } finally {
        await store.close();
        await relay.close();
        await pgQuery(database.url!, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }
    },
  );
});
