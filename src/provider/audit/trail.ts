/**
 * The append-only audit trail (P5, P35, NFR audit). Every request gets one row with its provenance.
 *
 * Rows are queued and written in batches (one transaction every `flushMs` or `maxBatch` rows), which
 * keeps audit from dominating the cost of a slot search. The provenance of every write is also stored
 * with the appointment version, in the booking's own transaction, so a crash can lose at most the
 * last `flushMs` of read audit, never the record of who wrote what.
 */
import type { Store } from '../../store/store.js';
import type { NewAuditEvent } from '../../store/schema.js';

export interface AuditTrailOptions {
  flushMs?: number;
  maxBatch?: number;
  onError?: (err: unknown) => void;
}

export class AuditTrail {
  private queue: NewAuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly store: Store,
    options: AuditTrailOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 50;
    this.maxBatch = options.maxBatch ?? 500;
    this.onError = options.onError ?? ((err) => console.error('audit trail write failed:', err));
  }

  record(event: NewAuditEvent): void {
    this.queue.push(event);
    if (this.queue.length >= this.maxBatch) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes everything queued so far; resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.store.appendAuditEvents(batch);
      } catch (batchError) {
        if (batch.length === 1) return this.onError(batchError);
        // One row the database refuses must not lose its neighbours: write them one by one.
        for (const row of batch) await this.store.appendAuditEvents([row]).catch((err) => this.onError(err));
      }
    });
    return this.flushing;
  }
}
