/**
 * Which failures of the store are the store being away rather than a fault of the request or of our
 * code: PostgreSQL restarting, failing over or unreachable, and an SQLite file system that is full or
 * failing. A request that meets one is answered 503 with Retry-After (the provider's, admin API's and
 * spine's error handlers ask `storeFault`), and the audit trail keeps the rows it could not write.
 */

export type StoreFault =
  /** The database cannot be reached or has ended the connection: it is restarting or failing over. */
  | 'unavailable'
  /** The database is there but cannot write: a full disk, an I/O error, a lock held too long. */
  | 'cannot-write';

/** PostgreSQL SQLSTATEs of the server going away or refusing for want of resources. */
function postgresFault(code: string): StoreFault | undefined {
  // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up), 57P05 idle session timeout
  if (/^57P0[1235]$/.test(code)) return 'unavailable';
  // Class 08: connection exceptions.
  if (code.startsWith('08')) return 'unavailable';
  // Class 53 (insufficient resources: 53100 disk_full, 53200 out_of_memory, 53300 too_many_connections)
  // and 58030 io_error.
  if (code.startsWith('53') || code === '58030') return 'cannot-write';
  return undefined;
}

/** Socket errors on the way to the database. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** node-postgres's own words for a connection that ended or never came. */
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /Client has encountered a connection error and is not queryable/,
  /Connection terminated due to connection timeout/,
];

function faultOf(err: { code?: unknown; message?: unknown }): StoreFault | undefined {
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : '';
  if (code.startsWith('SQLITE_')) {
    // SQLITE_FULL, SQLITE_IOERR and its extended codes (SQLITE_IOERR_WRITE …), SQLITE_BUSY (a lock held
    // past the busy timeout) and SQLITE_CANTOPEN (a vanished file system) pass; the rest are our faults.
    if (/^SQLITE_(FULL|IOERR|BUSY|CANTOPEN)/.test(code)) return 'cannot-write';
    return undefined;
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const fault = postgresFault(code);
    if (fault) return fault;
  }
  if (NETWORK_CODES.has(code)) return 'unavailable';
  if (PG_CONNECTION_MESSAGES.some((m) => m.test(message))) return 'unavailable';
  return undefined;
}

/** What kind of store fault `err` is (or what caused it, through `cause` or an AggregateError), if any. */
export function storeFault(err: unknown): StoreFault | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const fault = faultOf(current as { code?: unknown; message?: unknown });
    if (fault) return fault;
    if (current instanceof AggregateError) {
      for (const inner of current.errors) {
        const innerFault = storeFault(inner);
        if (innerFault) return innerFault;
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * How long a client should wait before retrying, in seconds: a PostgreSQL restart or fail-over takes
 * seconds; a full disk waits for an operator, so clients are asked to come back less often.
 */
export function retryAfterSeconds(fault: StoreFault): number {
  return fault === 'unavailable' ? 1 : 5;
}

/** A sentence for an OperationOutcome's diagnostics (the error itself goes to the log, not to the client). */
export function describeStoreFault(fault: StoreFault): string {
  return fault === 'unavailable'
    ? 'The database is unavailable (restarting or unreachable): retry in a moment'
    : 'The database cannot write (its disk is full or failing): retry later';
}
