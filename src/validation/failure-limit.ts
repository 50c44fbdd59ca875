/**
 * Failed credentials, limited and audited (docs/security.md): the one piece the provider's admin API
 * (src/capacity/admin-guard.ts), the spine's operator API (src/spine/operator.ts) and the web app's
 * local sign-in (src/consumer/web-auth.ts) share.
 *
 * - `failureLimiter`: failures counted per key (a client address, a user name …) in @fastify/rate-limit's
 *   in-memory store, bounded by its `cache` option (least recently used keys go first). Only failures
 *   are counted (the caller says when one happened); a key that has used up its allowance is told how
 *   long to wait, and the caller refuses it before looking at what it presents.
 * - `RefusalBudget`: keeps the audit of refusals from filling the store. While a client is limited its
 *   refusals are counted, a row written only at the 1st, 10th, 100th … of the spell; and the rows of
 *   all refusals together are capped per minute, what the cap holds back written as one count with the
 *   next minute's first refusal, or when the server closes.
 */
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export { normalizeIP };

/** One allowance of failures. */
export interface FailureLimit {
  /** What the allowance is for, as the refusal names it ('client', 'user name', 'proxy'). */
  name: string;
  /** Failures allowed in the window. */
  max: number;
  /** The key failures count under; undefined when this allowance does not apply to the request. */
  key: (request: FastifyRequest) => string | undefined;
}

export interface FailureLimiter {
  /** The allowance a request has used up and the seconds until it may try again; undefined if none. */
  spent(request: FastifyRequest): Promise<{ limit: string; wait: number } | undefined>;
  /** Counts one failure against every allowance that applies to the request. */
  fail(request: FastifyRequest): Promise<void>;
}

/**
 * Failure allowances on `app`'s rate-limit store (registered here unless `app` has one already). Each
 * allowance is its own store, remembering at most `remembered` keys.
 */
export async function failureLimiter(
  app: FastifyInstance,
  options: { windowMs: number; remembered: number; limits: FailureLimit[] },
): Promise<FailureLimiter> {
  const bounded = { cache: options.remembered };
  if (!app.hasDecorator('createRateLimit')) await app.register(rateLimit, { global: false, ...bounded });
  const limiters = options.limits.map((limit) => ({
    limit,
    check: app.createRateLimit({
      max: limit.max,
      timeWindow: options.windowMs,
      keyGenerator: (request) => `${limit.name} ${limit.key(request) ?? ''}`,
      ...bounded,
    }),
  }));
  const applying = (request: FastifyRequest) => limiters.filter(({ limit }) => limit.key(request) !== undefined);
  return {
    async spent(request) {
      let found: { limit: string; wait: number } | undefined;
      for (const { limit, check } of applying(request)) {
        const state = await check(request, { increment: false });
        if (!state.isAllowed && state.remaining === 0) {
          const wait = Math.max(state.ttlInSeconds, 1);
          if (!found || wait > found.wait) found = { limit: limit.name, wait };
        }
      }
      return found;
    },
    async fail(request) {
      for (const { check } of applying(request)) await check(request);
    },
  };
}

/** 1, 10, 100, 1000 … */
const isPowerOfTen = (n: number) => n >= 1 && /^10*$/.test(String(n));

/** A refusal budget whose held-back count is written when `app` closes. */
export function refusalBudget(
  app: FastifyInstance,
  options: ConstructorParameters<typeof RefusalBudget>[0],
): RefusalBudget {
  const budget = new RefusalBudget(options);
  app.addHook('onClose', async () => {
    await budget.flush().catch(() => undefined);
  });
  return budget;
}

/** What the per-minute cap held back, written as one row. */
export interface HeldRefusals {
  refused: number;
  from: string;
  to: string;
  cap: number;
}

export class RefusalBudget {
  private readonly spells = new Map<string, { until: number; count: number }>();
  private minute = 0;
  private written = 0;
  private held = 0;
  private heldSince = '';

  constructor(
    private readonly options: {
      /** Refusal rows a minute at most, over all clients. */
      rowsPerMinute: number;
      /** Clients whose spell of being limited is remembered (the oldest go first). */
      remembered: number;
      /** Writes the count of refusals the cap held back. */
      writeHeld: (held: HeldRefusals) => Promise<void>;
    },
  ) {}

  /**
   * One more refusal of a limited `client` (for `wait` seconds more): how many in this spell, and
   * whether this one is written (the 1st, 10th, 100th …).
   */
  whileLimited(client: string, wait: number): { count: number; write: boolean } {
    const now = Date.now();
    let spell = this.spells.get(client);
    if (!spell || spell.until <= now) {
      this.spells.delete(client);
      if (this.spells.size >= this.options.remembered) this.spells.delete(this.spells.keys().next().value!);
      this.spells.set(client, (spell = { until: now + wait * 1000, count: 0 }));
    }
    spell.count++;
    return { count: spell.count, write: isPowerOfTen(spell.count) };
  }

  /**
   * Writes one refusal row with `write` if this minute's cap allows, else counts it. A row that
   * cannot be written is passed to `failed`: the refusal stands either way.
   */
  async record(write: () => Promise<void>, failed: (err: unknown) => void): Promise<void> {
    try {
      if (await this.take()) await write();
    } catch (err) {
      failed(err);
    }
  }

  /** Writes the count the cap holds back, if any (call it when the server closes). */
  async flush(): Promise<void> {
    if (!this.held) return;
    const held: HeldRefusals = {
      refused: this.held,
      from: this.heldSince,
      to: new Date().toISOString(),
      cap: this.options.rowsPerMinute,
    };
    this.held = 0;
    await this.options.writeHeld(held);
  }

  private async take(): Promise<boolean> {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== this.minute) {
      await this.flush();
      this.minute = minute;
      this.written = 0;
    }
    if (this.written < this.options.rowsPerMinute) {
      this.written++;
      return true;
    }
    if (!this.held) this.heldSince = new Date().toISOString();
    this.held++;
    return false;
  }
}
