/**
 * The proxy's call log (trace ID, from, to, interaction, status, latency) for monitoring. Rows are
 * buffered and written in one statement every 100 ms, so logging adds nothing to a call's latency.
 * It is the operator's (`GET /monitor/proxy-calls` needs the operator token), and it keeps no
 * patient's identity: a target's query string keeps its parameter names but only the values of the
 * parameters in LOGGED_PARAMETERS (`identifier=…|9434765919` is logged as `identifier=redacted`).
 */
import type { Insertable } from 'kysely';
import type { ProxyCallTable } from '../../store/schema.js';
import type { Store } from '../../store/store.js';

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

  constructor(
    private readonly store: Store,
    private readonly flushMs = 100,
  ) {}

  add(call: ProxyCall): void {
    this.buffer.push(call);
    if (this.buffer.length >= 500) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes what is buffered; resolves once every row added so far is stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      // 12 columns a row: 400 rows stay far below either engine's parameter limit.
      for (let i = 0; i < rows.length; i += 400) {
        await this.store.db
          .insertInto('proxy_call')
          .values(rows.slice(i, i + 400))
          .execute()
          .catch((err: Error) => {
            process.emitWarning(`proxy call log: ${rows.length} rows not written: ${err.message}`);
          });
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
