/**
 * A fresh store per test file: an SQLite file in a temporary folder, or — when
 * SLOTBRIDGE_TEST_DATABASE_URL is set (CI's second run) — a new schema on that PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.js';

export const TEST_DATABASE_URL = process.env.SLOTBRIDGE_TEST_DATABASE_URL;

export interface TestStore {
  store: Store;
  options: StoreOptions;
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
}

export async function testStore(): Promise<TestStore> {
  if (TEST_DATABASE_URL) {
    const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const options: StoreOptions = { databaseUrl: TEST_DATABASE_URL, pgSchema: schema };
    const store = await openStore(options);
    return {
      store,
      options,
      dispose: async () => {
        await store.close();
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'slotbridge-test-'));
  const options: StoreOptions = { dataDir: dir };
  const store = await openStore(options);
  return {
    store,
    options,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A store for `slotbridge` child processes to share: a folder for an SQLite file, or (with
 * SLOTBRIDGE_TEST_DATABASE_URL) a schema of its own on that PostgreSQL server, named in the URL.
 */
export function sharedCliStore(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `slotbridge-${prefix}-`));
  const schema = `${prefix.replace(/[^a-z]/g, '')}_${process.pid}`;
  const pgUrl = TEST_DATABASE_URL
    ? `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
    : undefined;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  return {
    /** The CLI's store options. */
    args: pgUrl ? ['--database-url', pgUrl] : ['--data', dir],
    /** The same store, for opening it in the test itself. */
    options: (TEST_DATABASE_URL
      ? { databaseUrl: TEST_DATABASE_URL, pgSchema: schema }
      : { dataDir: dir }) as StoreOptions,
    async create(): Promise<void> {
      if (TEST_DATABASE_URL) await admin(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    },
    async drop(): Promise<void> {
      rmSync(dir, { recursive: true, force: true });
      if (TEST_DATABASE_URL) await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}
