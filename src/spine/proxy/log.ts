/**
 * The proxy's call log (trace ID, from, to, interaction, status, latency) for monitoring. Rows are
 * buffered and written in one statement every 100 ms, so logging adds nothing to a call's latency.
 * It is the operator's (`GET /monitor/proxy-calls` needs the operator token), and it keeps no
 * patient's identity: a target's query string keeps its parameter names but only the values of the
 * parameters in LOGGED_PARAMETERS (`identifier=…|9434765919` is logged as `identifier=redacted`).
 */
import type { Insertable } from 'kysely';
import type { ProxyCallTable } from '../../store/schema.js';
import { storeFault } from '../../store/faults.js';
import type { Store } from '../../store/store.js';

/** Rows held while the database is away; beyond them rows are dropped with a warning. */
const MAX_HELD_ROWS = 10_000;

export type ProxyCall = Insertable<ProxyCallTable>;

/**
 * Search parameters whose values name no patient and are kept in the log (a slot search's service,
 * status and window; paging and format). Every other parameter's value (identifier, patient,
 * subject, name, birthdate, and any the proxy does not know) is replaced by `redacted`.
 */
export const LOGGED_PARAMETERS: ReadonlySet<string> = new Set([
  'service',
  'status',
  'start',
  'schedule.actor:healthcareservice',
  '_include',
  '_revinclude',
  '_count',
  '_format',
  '_summary',
  '_elements',
]);

/** A target URL as the log keeps it: without credentials or fragment, and with patient-naming values redacted. */
export function loggedTarget(target: URL): string {
  const kept = new URLSearchParams();
  for (const [name, value] of target.searchParams) kept.append(name, LOGGED_PARAMETERS.has(name) ? value : 'redacted');
  const query = kept.toString();
  return `${target.origin}${target.pathname}${query ? `?${query}` : ''}`;
}

export class ProxyCallLog {
  private buffer: ProxyCall[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Rows are held because the database was away at the last try. */
  private holding = false;

  constructor(
    private readonly store: Store,
    private readonly flushMs = 100,
  ) {}

  add(call: ProxyCall): void {
    this.buffer.push(call);
    if (this.buffer.length >= 500 && !this.holding) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes what is buffered; resolves once every row added so far is stored (or held, the database being away). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      // 12 columns a row: 400 rows stay far below either engine's parameter limit.
      for (let i = 0; i < rows.length; i += 400) {
        try {
          await this.store.db
            .insertInto('proxy_call')
            .values(rows.slice(i, i + 400))
            .execute();
          this.holding = false;
        } catch (err) {
          // The database away or full: the rows wait (a bounded number of them) and are tried again.
          if (storeFault(err) && this.buffer.length + rows.length - i <= MAX_HELD_ROWS) {
            this.buffer.unshift(...rows.slice(i));
            this.holding = true;
            clearTimeout(this.timer);
            this.timer = setTimeout(() => void this.flush(), 1000).unref(); // not holding a stopping process
            return;
          }
          process.emitWarning(
            `proxy call log: ${Math.min(400, rows.length - i)} rows not written: ${(err as Error).message}`,
          );
        }
      }
    });
    return this.flushing;
  }

  async recent(options: { traceId?: string; limit?: number } = {}) {
    await this.flush();
    let query = this.store.db
      .selectFrom('proxy_call')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(Math.min(options.limit ?? 100, 1000));
    if (options.traceId) query = query.where('trace_id', '=', options.traceId);
    return query.execute();
  }
}
