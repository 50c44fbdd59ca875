/**
 * Opens the store: the embedded SQLite file under `./data` by default, or PostgreSQL when a
 * `postgres://` URL is given (several API nodes on one database). Runs the migrations either way.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDriver,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Migration,
  type SqliteDialectConfig,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { Dialect } from './dialect.js';
import { migrations } from './migrations/index.js';
import type { Database, NewAuditEvent } from './schema.js';

export interface StoreOptions {
  /** Folder for the embedded SQLite file (default `./data`). */
  dataDir?: string;
  /** `postgres://…` selects PostgreSQL; anything else is ignored. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (tests give each run its own); created when missing. */
  pgSchema?: string;
  poolSize?: number;
  /**
   * PostgreSQL `application_name` of every connection, so an operator can tell the processes apart in
   * `pg_stat_activity` (default `slotbridge-{pid}`; an `application_name` in the URL wins).
   */
  applicationName?: string;
}

/**
 * Tells whether a tenant's slots may have changed since a cached answer was made: our own writes
 * bump a per-tenant epoch; other processes' writes are seen through SQLite's `data_version` or
 * PostgreSQL notifications. Equal tokens mean nothing changed in between. While other processes'
 * changes cannot be seen (PostgreSQL's listener is lost), no two tokens are equal, so no cached answer
 * is served until the listener is back.
 */
export class SlotChangeTracker {
  private readonly epochs = new Map<string, number>();
  private external = 0;
  private vouched = true;
  private unvouched = 0;
  constructor(private readonly externalVersion: () => number = () => 0) {}

  token(tenantId: string): string {
    if (!this.vouched) return `unvouched:${++this.unvouched}`;
    return `${this.epochs.get(tenantId) ?? 0}:${this.external}:${this.externalVersion()}`;
  }

  /** False while changes made by other processes may go unseen. */
  get trusted(): boolean {
    return this.vouched;
  }

  bump(tenantId: string): void {
    this.epochs.set(tenantId, (this.epochs.get(tenantId) ?? 0) + 1);
  }

  bumpAll(): void {
    this.external += 1;
  }

  /** Other processes' changes can no longer be seen: every cached answer is dropped, none trusted. */
  lost(): void {
    this.external += 1;
    this.vouched = false;
  }

  /** They can be seen again (from now on; what happened meanwhile is unknown, so nothing older counts). */
  restored(): void {
    this.external += 1;
    this.vouched = true;
  }
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data lives, for people: a file path or a URL without password. */
  readonly location: string;
  readonly slotChanges: SlotChangeTracker;
  /**
   * Runs `fn` in one transaction that takes the write lock up front (SQLite `BEGIN IMMEDIATE`;
   * PostgreSQL row locks via conditional updates), so conditional writes never race.
   */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Inside a write transaction: tells every API process that the tenant's slots changed. */
  announceSlotChange(trx: Transaction<Database>, tenantId: string): Promise<void>;
  /**
   * Appends audit rows in one transaction. Every request writes one, so this bypasses the query
   * builder (whose cost grows with a batch's 30 × N parameters): a reused prepared statement on
   * SQLite, one JSON parameter unpacked by `json_populate_recordset` on PostgreSQL.
   */
  appendAuditEvents(events: NewAuditEvent[]): Promise<void>;
  /** Refreshes the query planner's statistics (after a bulk load of slots). */
  refreshStatistics(): Promise<void>;
  close(): Promise<void>;
}

/**
 * SQLite driver whose transactions start with BEGIN IMMEDIATE (write lock first, never upgrade). A
 * transaction SQLite has already rolled back itself (SQLITE_FULL, SQLITE_IOERR) is not rolled back
 * again: that would fail with "no transaction is active" and hide the error that says what happened.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly inTransaction: () => boolean,
  ) {
    super(config);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.inTransaction()) await super.rollbackTransaction(connection);
  }
}

/**
 * PostgreSQL driver whose failed rollback (on a connection the database has ended) does not replace
 * the error that made the transaction fail: Kysely discards that connection either way.
 */
class PostgresDriverKeepingErrors extends PostgresDriver {
  override async rollbackTransaction(connection: Parameters<PostgresDriver['rollbackTransaction']>[0]): Promise<void> {
    await super.rollbackTransaction(connection).catch(() => {});
  }
}

/** better-sqlite3 with a statement cache: Kysely prepares on every query, which costs on hot paths. */
function cachingDatabase(raw: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size > 1000) cache.clear();
        statement = raw.prepare(text);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

/** The audit_event columns written per request (all but the generated `seq`). */
export const AUDIT_COLUMNS = [
  'at',
  'tenant_id',
  'method',
  'path',
  'interaction',
  'status',
  'outcome',
  'diagnostics',
  'consumer_fault',
  'request_id',
  'correlation_id',
  'ssp_trace_id',
  'ssp_from',
  'ssp_to',
  'ssp_interaction_id',
  'organisation_ods',
  'organisation_name',
  'device_id',
  'device_model',
  'device_version',
  'practitioner_id',
  'practitioner_name',
  'practitioner_sds_user_id',
  'practitioner_sds_role_profile_id',
  'resource_type',
  'resource_id',
  'version_id',
  'duration_ms',
  'peer_address',
  'peer_certificate',
  'forwarded',
  'via_proxy',
] as const satisfies readonly (keyof NewAuditEvent)[];

/**
 * The SQLite background writer: a worker thread with its own connection (src/store/sqlite-writer.mjs)
 * that appends audit rows and runs WAL checkpoints, so neither blocks the API's event loop.
 */
class SqliteWriterThread {
  private worker: Worker | undefined;
  private next = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly file: string) {}

  private start(): Worker {
    const worker = new Worker(new URL('./sqlite-writer.mjs', import.meta.url), {
      workerData: { file: this.file, columns: AUDIT_COLUMNS },
      execArgv: [],
    });
    worker.on('message', (m: { id: number; error?: string; code?: string }) => {
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0 && this.worker === worker) worker.unref();
      // The SQLite error code (SQLITE_FULL …) comes along, so a full disk is told from a refused row.
      if (m.error) waiting?.reject(Object.assign(new Error(m.error), m.code ? { code: m.code } : {}));
      else waiting?.resolve();
    });
    worker.on('error', (err) => {
      for (const w of this.pending.values()) w.reject(err);
      this.pending.clear();
      this.worker = undefined;
    });
    // Idle, the thread does not keep the process alive; while a batch awaits its answer it does
    // (append), so a shutdown that flushes the audit trail is not cut short by an empty event loop.
    worker.unref();
    return worker;
  }

  /** Starts the thread now: it also checkpoints the WAL, which must happen even before any audit. */
  startNow(): void {
    this.worker ??= this.start();
  }

  append(rows: NewAuditEvent[]): Promise<void> {
    this.worker ??= this.start();
    const id = this.next++;
    const done = new Promise<void>((resolve, reject) => {
      if (this.pending.size === 0) this.worker!.ref();
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, rows });
    });
    this.inflight.add(done);
    const settle = () => this.inflight.delete(done);
    done.then(settle, settle);
    return done;
  }

  /** Waits for every batch handed over, then stops the thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await Promise.allSettled([...this.inflight]);
    this.worker = undefined;
    worker.ref(); // keep the process alive until the thread has checkpointed and closed
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close');
    });
  }
}

async function migrate(db: Kysely<Database>, dialect: Dialect, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    // Kysely otherwise looks for its migration tables in every schema of the database.
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: {
      async getMigrations() {
        const out: Record<string, Migration> = {};
        for (const [name, m] of Object.entries(migrations)) out[name] = { up: (d) => m.up(d, dialect) };
        return out;
      },
    },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`store migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}

function openSqlite(dataDir: string): Store {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'slotbridge.db');
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  // NORMAL in WAL mode keeps every commit through a process crash (SIGKILL); only a power cut can
  // lose the last commits. See docs/architecture.md.
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  // Checkpoints run on the background writer thread (see sqlite-writer.mjs), not inside our commits.
  raw.pragma('wal_autocheckpoint = 0');
  // Query planner statistics: without them, SQLite picked a plan for the slot search that made it
  // 17× slower at a million slots. Bounded sampling keeps this quick on big stores; the writer
  // thread refreshes them every 10 minutes.
  raw.pragma('analysis_limit = 1000');
  raw.pragma('optimize = 0x10002');
  // Another process's commit changes data_version. Reading it costs a trip into SQLite, so it is
  // read at most every 20 ms: another process's change reaches this one's cache within that.
  const dataVersionStatement = raw.prepare('PRAGMA data_version').pluck();
  let dataVersionValue = 0;
  let dataVersionReadAt = -Infinity;
  const dataVersion = {
    get(): number {
      const now = performance.now();
      if (now - dataVersionReadAt > 20) {
        dataVersionValue = dataVersionStatement.get() as number;
        dataVersionReadAt = now;
      }
      return dataVersionValue;
    },
  };
  const config: SqliteDialectConfig = { database: cachingDatabase(raw) };
  const dialect: KyselyDialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver(config, () => raw.inTransaction),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  const db = new Kysely<Database>({ dialect });
  const slotChanges = new SlotChangeTracker(() => dataVersion.get());
  const writer = new SqliteWriterThread(file);
  writer.startNow();
  return {
    db,
    dialect: 'sqlite',
    location: file,
    slotChanges,
    transaction: (fn) => db.transaction().execute(fn),
    announceSlotChange: async () => {},
    appendAuditEvents: (events) => writer.append(events),
    refreshStatistics: async () => {
      raw.pragma('optimize');
    },
    close: async () => {
      await writer.close();
      await db.destroy();
    },
  };
}

/**
 * Text PostgreSQL can hold: its JSON reader refuses a lone UTF-16 surrogate, and no text column holds
 * NUL, so both become U+FFFD. The audit quotes what clients sent (diagnostics, paths), which may be
 * either; losing a character of a refused value beats losing the audit row.
 */
// eslint-disable-next-line no-control-regex -- NUL is matched on purpose: PostgreSQL text cannot hold it.
const NOT_STORABLE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u0000/g;
export function storableText(text: string): string {
  return text.replace(NOT_STORABLE, '\ufffd');
}

let int8ParserSet = false;

/** Says once per episode that the database went away, and once that it is back. */
function outageReporter(what: string) {
  let away = false;
  return {
    lost(err: Error) {
      if (away) return;
      away = true;
      process.emitWarning(`${what}: ${err.message}; reconnecting`, { code: 'SLOTBRIDGE_STORE_UNAVAILABLE' });
    },
    back() {
      if (!away) return;
      away = false;
      process.emitWarning(`${what}: reconnected`, { code: 'SLOTBRIDGE_STORE_UNAVAILABLE' });
    },
  };
}

async function openPostgres(url: string, options: StoreOptions): Promise<Store> {
  if (!int8ParserSet) {
    // count(*) and bigserial come back as strings otherwise; our numbers stay far below 2^53.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    int8ParserSet = true;
  }
  const schema = options.pgSchema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid PostgreSQL schema name ${schema}`);
  const connection: pg.ClientConfig = {
    connectionString: url,
    options: schema ? `-c search_path=${schema}` : undefined,
    // Set on every connection (unless the URL names one), so each process's are told apart.
    fallback_application_name: options.applicationName ?? `slotbridge-${process.pid}`,
    // A database that vanishes without closing the connection (a failed host) is noticed.
    keepAlive: true,
    // A database that does not answer at all fails a request in seconds rather than holding it.
    connectionTimeoutMillis: 5000,
  };
  // Every connection handles 'error': PostgreSQL ending one (a restart, a fail-over,
  // pg_terminate_backend) emits it, and an 'error' event nobody listens to ends the process.
  if (schema) {
    const admin = new pg.Client(connection);
    admin.on('error', () => {});
    try {
      await admin.connect();
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end().catch(() => {});
    }
  }
  const pool = new pg.Pool({ ...connection, max: options.poolSize ?? 10 });
  const poolOutage = outageReporter('PostgreSQL connection lost');
  // The pool listens to its idle connections (and drops one that fails), but not to those lent out:
  // a connection ended between two statements of a transaction would emit an unheard 'error'. Each
  // gets a listener of its own when made; the statement waiting on it fails, its request gets a 503,
  // and the pool discards the connection when it comes back.
  pool.on('connect', (client) => {
    poolOutage.back();
    client.on('error', (err) => poolOutage.lost(err));
  });
  pool.on('error', (err) => poolOutage.lost(err));
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new PostgresDriverKeepingErrors({ pool }),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const slotChanges = new SlotChangeTracker();

  // Other API nodes announce slot changes with NOTIFY. While the listener is lost, changes may be
  // missed: every cached answer is dropped and none is trusted (slotChanges.lost()) until it is back;
  // it reconnects on its own, waiting a little longer after each failure (up to 5 s).
  const channel = `slotbridge_slots_${schema ?? 'public'}`;
  const listenerOutage = outageReporter('PostgreSQL slot-change listener lost');
  let listener: pg.Client | undefined;
  let closing = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  const listen = async (): Promise<void> => {
    const client = new pg.Client(connection);
    let dropped = false;
    const drop = (err: Error) => {
      if (dropped) return;
      dropped = true;
      slotChanges.lost();
      if (listener === client) listener = undefined;
      client.end().catch(() => {});
      if (closing) return;
      listenerOutage.lost(err);
      const wait = Math.min(5000, 250 * 2 ** Math.min(failures++, 5));
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        listen().catch(() => {}); // a failed attempt has scheduled the next through drop()
      }, wait);
      retryTimer.unref();
    };
    client.on('notification', (msg) => {
      if (msg.payload) slotChanges.bump(msg.payload);
    });
    client.on('error', drop);
    client.on('end', () => drop(new Error('Connection terminated')));
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (err) {
      drop(err as Error);
      throw err;
    }
    if (dropped) return;
    listener = client;
    failures = 0;
    listenerOutage.back();
    slotChanges.restored();
  };
  try {
    await listen();
  } catch (err) {
    closing = true;
    clearTimeout(retryTimer);
    await pool.end().catch(() => {});
    throw err;
  }

  const redacted = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return {
    db,
    dialect: 'postgres',
    location: schema ? `${redacted} (schema ${schema})` : redacted,
    slotChanges,
    transaction: (fn) => db.transaction().execute(fn),
    announceSlotChange: async (trx, tenantId) => {
      await sql`select pg_notify(${channel}, ${tenantId})`.execute(trx);
    },
    refreshStatistics: async () => {
      await sql`analyze`.execute(db);
    },
    appendAuditEvents: async (events) => {
      const columns = AUDIT_COLUMNS.join(', ');
      await pool.query(
        `INSERT INTO audit_event (${columns}) SELECT ${columns} FROM json_populate_recordset(null::audit_event, $1)`,
        [JSON.stringify(events, (_key, value) => (typeof value === 'string' ? storableText(value) : value))],
      );
    },
    close: async () => {
      closing = true;
      clearTimeout(retryTimer);
      await listener?.end().catch(() => {});
      await db.destroy();
    },
  };
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const url = options.databaseUrl;
  const store =
    url && /^postgres(ql)?:\/\//.test(url) ? await openPostgres(url, options) : openSqlite(options.dataDir ?? './data');
  try {
    // On PostgreSQL the migration tables live in the store's own schema: the one asked for, else the
    // connection's current one (a search_path in the URL). Kysely would otherwise find another
    // schema's tables in the same database, skip making its own and then fail to lock them.
    const schema =
      store.dialect === 'postgres'
        ? (options.pgSchema ??
          (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db)).rows[0]?.schema)
        : undefined;
    await migrate(store.db, store.dialect, schema);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
