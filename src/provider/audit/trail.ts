/**
 * The append-only audit trail (P5, P35, NFR audit). Every request gets one row with its provenance.
 *
 * Rows are queued and written in batches (one transaction every `flushMs` or `maxBatch` rows), which
 * keeps audit from dominating the cost of a slot search. The provenance of every write is also stored
 * with the appointment version, in the booking's own transaction, so a crash can lose at most the
 * last `flushMs` of read audit, never the record of who wrote what.
 *
 * When the store cannot take rows (a full disk, an I/O error, PostgreSQL away: src/store/faults.ts),
 * no row is dropped: they stay in a bounded spool in memory, and are written, in order, as soon as the
 * store takes them again (retried every 250 ms, backing off to 5 s). Once the spool is full, requests
 * are refused with 503 and Retry-After before they do anything (`refusal()`), so no request is served
 * whose audit cannot be kept; those refusals are counted and written as one summary row when the store
 * is back. A row the database refuses for itself (not a store fault) is written alone and, if it is
 * still refused, logged: its neighbours are kept. docs/security.md, "Faults".
 */
import { randomUUID } from 'node:crypto';
import { serviceUnavailable, type OperationOutcomeError } from '../../fhir/outcome.js';
import { storeFault, type StoreFault } from '../../store/faults.js';
import { AUDIT_COLUMNS, type Store } from '../../store/store.js';
import type { NewAuditEvent } from '../../store/schema.js';

export interface AuditTrailOptions {
  flushMs?: number;
  maxBatch?: number;
  /** Most rows held while the store cannot take them (default 20,000): then requests are refused. */
  spoolRows?: number;
  /** Most bytes (about) held while the store cannot take them (default 32 MB): then requests are refused. */
  spoolBytes?: number;
  /** A row that could not be written. */
  onError?: (err: unknown) => void;
  /** The store stopped or started taking rows again. */
  onNotice?: (message: string) => void;
}

/** Rows admitted before the spool filled may still arrive: room for them beyond the bound. */
const HEADROOM_ROWS = 2000;
const RETRY_FIRST_MS = 250;
const RETRY_MOST_MS = 5000;

/** About how much memory a row holds. */
function rowBytes(row: NewAuditEvent): number {
  let n = 64;
  for (const value of Object.values(row)) n += typeof value === 'string' ? 2 * value.length + 16 : 8;
  return n;
}

export class AuditTrail {
  private queue: NewAuditEvent[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly spoolRows: number;
  private readonly spoolBytes: number;
  private readonly onError: (err: unknown) => void;
  private readonly onNotice: (message: string) => void;
  /** Set while the store cannot take rows. */
  private fault: StoreFault | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_FIRST_MS;
  /** Requests refused while the spool was full, written as one row when the store is back. */
  private refused = { count: 0, first: '', last: '' };

  constructor(
    private readonly store: Store,
    options: AuditTrailOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 50;
    this.maxBatch = options.maxBatch ?? 500;
    this.spoolRows = options.spoolRows ?? 20_000;
    this.spoolBytes = options.spoolBytes ?? 32 * 1024 * 1024;
    this.onError = options.onError ?? ((err) => console.error('audit trail write failed:', err));
    this.onNotice = options.onNotice ?? ((message) => console.warn(`audit trail: ${message}`));
  }

  /** Rows not yet written (while the store cannot write, the spool). */
  get pending(): number {
    return this.queue.length;
  }

  private get spoolFull(): boolean {
    return this.queue.length >= this.spoolRows || this.queuedBytes >= this.spoolBytes;
  }

  /**
   * The 503 to answer a new request with while the spool is full (the store has not taken rows for a
   * while), so nothing is served unaudited; undefined while rows can be kept.
   */
  refusal(): OperationOutcomeError | undefined {
    if (!this.spoolFull) return undefined;
    return serviceUnavailable(
      'The audit trail cannot be written (the database cannot write) and no more audit can be held: retry later',
      5,
    );
  }

  record(event: NewAuditEvent): void {
    if (this.spoolFull) {
      // A request refused by refusal() changed nothing: it is counted, not held.
      if (event.status === 503) {
        this.refused.count += 1;
        this.refused.first ||= event.at;
        this.refused.last = event.at;
        return;
      }
      if (this.queue.length >= this.spoolRows + HEADROOM_ROWS) {
        this.onError(new Error(`audit spool overflow: the row of request ${event.request_id} is lost`));
        return;
      }
    }
    this.queue.push(event);
    this.queuedBytes += rowBytes(event);
    if (this.fault) return; // the retry timer writes it
    if (this.queue.length >= this.maxBatch) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes everything queued so far; resolves when it is on disk, or when the store has refused it (then spooled). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing = this.flushing.then(() => this.writeQueued());
    return this.flushing;
  }

  /** Flushes, and says how many rows could not be written before the process ends. */
  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.flush();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.queue.length || this.refused.count) {
      this.onError(
        new Error(
          `${this.queue.length} audit rows (and ${this.refused.count} refused requests) could not be written ` +
            `before shutdown: the store ${this.fault === 'unavailable' ? 'is unavailable' : 'cannot write'}`,
        ),
      );
    }
  }

  private taken(count: number): void {
    for (const row of this.queue.splice(0, count)) this.queuedBytes -= rowBytes(row);
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, this.maxBatch);
      try {
        await this.store.appendAuditEvents(batch);
        this.taken(batch.length);
        continue;
      } catch (err) {
        if (storeFault(err)) return this.storeFailed(err);
        if (batch.length === 1) {
          this.taken(1);
          this.onError(err);
          continue;
        }
      }
      // One row the database refuses must not lose its neighbours: write them one by one.
      for (const row of batch) {
        try {
          await this.store.appendAuditEvents([row]);
        } catch (err) {
          if (storeFault(err)) return this.storeFailed(err);
          this.onError(err);
        }
        this.taken(1);
      }
    }
    if (this.fault) this.storeBack();
  }

  private storeFailed(err: unknown): void {
    const fault = storeFault(err)!;
    if (!this.fault) {
      this.onNotice(
        `the store cannot take audit rows (${(err as Error).message}); holding them (${this.queue.length} so far, ` +
          `at most ${this.spoolRows}) until it can`,
      );
    }
    this.fault = fault;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(RETRY_MOST_MS, this.retryMs * 2);
  }

  private storeBack(): void {
    this.fault = undefined;
    this.retryMs = RETRY_FIRST_MS;
    this.onNotice('the store takes audit rows again; every held row is written');
    if (this.refused.count) {
      const { count, first, last } = this.refused;
      this.refused = { count: 0, first: '', last: '' };
      const row = Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, null])) as unknown as NewAuditEvent;
      this.record({
        ...row,
        at: last,
        method: '-',
        path: '-',
        interaction: 'audit-spool-full',
        status: 503,
        outcome: 'server-error',
        diagnostics:
          `${count} requests were refused with 503 between ${first} and ${last}: the audit spool was full ` +
          '(the store could not write); they changed nothing',
        consumer_fault: 0,
        request_id: randomUUID(),
        duration_ms: 0,
      });
    }
  }
}
