/**
 * Faults for tests that take the database away from a real process: the PostgreSQL server to use
 * (when there is one), a TCP relay that can cut every connection to it and refuse new ones for a
 * while, and `pg_terminate_backend` for one process's connections. The shared PostgreSQL server is
 * never restarted: other test files use it at the same time.
 */
import net from 'node:net';
import pg from 'pg';
import { TEST_DATABASE_URL } from './store.js';

/** The server CI machines always have (docs/development.md); a laptop without it skips these tests. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The PostgreSQL URL to test against: SLOTBRIDGE_TEST_DATABASE_URL, else the default test server when
 * it answers. Otherwise `skip` says why the test cannot run.
 */
export async function postgresForFaultTests(): Promise<{ url?: string; skip?: string }> {
  const url = TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return { url };
  } catch (err) {
    return { skip: `no PostgreSQL at ${url} (${(err as Error).message}); set SLOTBRIDGE_TEST_DATABASE_URL to run it` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs one statement on its own connection. */
export async function pgQuery<R extends pg.QueryResultRow = any>(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Ends every connection of the process whose store names itself `applicationName`; how many it ended. */
export async function terminateBackends(url: string, applicationName: string, filter = 'true'): Promise<number> {
  const rows = await pgQuery<{ ended: boolean }>(
    url,
    `select pg_terminate_backend(pid) as ended from pg_stat_activity where application_name = $1 and (${filter})`,
    [applicationName],
  );
  return rows.filter((r) => r.ended).length;
}

/** `url` with its host and port replaced and query parameters added (PostgreSQL's URL parameters). */
export function pgUrl(url: string, changes: { port?: number; params?: Record<string, string> }): string {
  const u = new URL(url);
  if (changes.port !== undefined) {
    u.hostname = '127.0.0.1';
    u.port = String(changes.port);
  }
  for (const [k, v] of Object.entries(changes.params ?? {})) u.searchParams.set(k, v);
  return u.toString();
}

/**
 * A TCP relay in front of PostgreSQL: while it is cut, every open connection is reset and every new
 * one is dropped at once, as when the server restarts or the network between goes away.
 */
export class TcpRelay {
  private readonly sockets = new Set<net.Socket>();
  private up = true;
  private readonly server: net.Server;
  port = 0;

  private constructor(target: string) {
    const { hostname, port } = new URL(target);
    this.server = net.createServer((client) => {
      if (!this.up) return client.resetAndDestroy();
      const upstream = net.connect(Number(port || 5432), hostname);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
  }

  static async start(target: string): Promise<TcpRelay> {
    const relay = new TcpRelay(target);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    relay.port = (relay.server.address() as net.AddressInfo).port;
    return relay;
  }

  /** Resets every connection and refuses new ones until restore(). */
  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
  }

  /** Keeps the open connections but refuses new ones until restore(). */
  refuseNew(): void {
    this.up = false;
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
