/**
 * `GET [root]/Slot?…` — search for slots (P10–P14, P19, P23, SLOT-1 … SLOT-5).
 *
 * Answers are cached per tenant, format, consumer organisation and search as parsed (parameters
 * this server ignores, their order and spelling make no new entry: `canonicalQuery`), and reused,
 * byte for byte, until the tenant's slots change (a booking or cancel anywhere in the cluster), the
 * earliest returned slot starts, or a few seconds pass. A reused answer keeps its Bundle id and its
 * `meta.lastUpdated`, which says when the search was run. The cache is bounded by the bytes it holds
 * (answers and keys), least recently used first out; expired answers are dropped as they expire.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Store } from '../../store/store.js';
import { searchset } from '../../fhir/bundle.js';
import { operationOutcome } from '../../fhir/outcome.js';
import { authorised } from '../http/context.js';
import { sendSerialized, serialize } from '../http/wire.js';
import { INTERACTIONS } from '../interactions.js';
import { slotResource } from '../../diary/representation.js';
import { canonicalQuery, parseSlotSearch } from './params.js';
import { ReleaseView } from '../../diary/release.js';
import { findSlots, resolveIncludes, schedulesServing } from './repository.js';

export interface SlotSearchOptions {
  /** Most slots one search returns (the standard allows an upper limit). */
  maxSlots?: number;
  /** How long a cached answer may live at most. */
  cacheMs?: number;
  /** Most bytes the answer cache holds (answers and keys). Default 64 MiB. */
  cacheBytes?: number;
}

interface CachedAnswer {
  token: string;
  expiresAt: number;
  body: Buffer;
}

/** The size of a cache and its bound, for tests and operators. */
export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
}

/** A JavaScript string's memory is about two bytes a character; an entry also costs its bookkeeping. */
const ENTRY_OVERHEAD = 128;

export function registerSlotSearch(
  app: FastifyInstance,
  store: Store,
  options: SlotSearchOptions = {},
): () => CacheStats {
  const maxSlots = options.maxSlots ?? 1000;
  const cacheMs = options.cacheMs ?? 5000;
  const maxBytes = options.cacheBytes ?? 64 * 1024 * 1024;
  const cache = new LRUCache<string, CachedAnswer>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => value.body.length + key.length * 2 + ENTRY_OVERHEAD,
    ttl: cacheMs,
    ttlAutopurge: true,
  });

  async function search(request: FastifyRequest, reply: FastifyReply) {
    const ctx = authorised(request.ctx);
    const tenantId = ctx.tenant.id;
    const now = Date.now();
    const token = store.slotChanges.token(tenantId);
    ctx.audit.resourceType = 'Slot';

    // Parsing first (it is cheap): a malformed search is a 400 whether or not a similar one was cached.
    const params = parseSlotSearch(request.query as Record<string, unknown>, now);
    const query = canonicalQuery(params);
    const key = `${tenantId}\u0000${ctx.format}\u0000${ctx.identity.organisation.ods}\u0000${query}`;
    const hit = cache.get(key);
    if (hit && hit.token === token && now < hit.expiresAt) {
      return sendSerialized(request, reply, hit.body);
    }

    let scheduleIds: string[] | undefined;
    let unknownServices: string[] = [];
    if (params.services)
      ({ scheduleIds, unknownServices } = await schedulesServing(store.db, tenantId, params.services));

    const limit = Math.min(params.count ?? maxSlots, maxSlots);
    const rows = await findSlots(store.db, tenantId, {
      scheduleIds,
      statuses: params.statuses,
      start: params.start,
      notBefore: now,
      limit: limit + 1,
    });
    // Release rules: leave out what this consumer organisation may not see (docs/capacity.md).
    const release = await ReleaseView.load(store.db, tenantId, ctx.identity.organisation.ods);
    const visible = release.restricted
      ? rows.filter((r) => release.decide(r, ctx.identity.organisation.ods, now).visible)
      : rows;
    const truncated = visible.length > limit;
    const slots = truncated ? visible.slice(0, limit) : visible;
    const includes = await resolveIncludes(store.db, tenantId, slots, params.include);

    let outcome;
    if (unknownServices.length && slots.length === 0) {
      // docs/decisions.md: an unknown service is an empty searchset with an informational outcome.
      outcome = operationOutcome([
        {
          severity: 'information',
          code: 'not-found',
          spineCode: 'NO_RECORD_FOUND',
          diagnostics: `Healthcare service ${unknownServices.join(', ')} is not provided by ${ctx.tenant.name}: no slots`,
          expression: ['service'],
        },
      ]);
    } else if (truncated) {
      outcome = operationOutcome([
        {
          severity: 'information',
          code: 'informational',
          diagnostics: `Only the first ${limit} slots are returned; narrow the start range to see later ones`,
        },
      ]);
    }

    const bundle = searchset({
      base: ctx.serviceRoot,
      selfUrl: `${ctx.serviceRoot}/Slot${query ? `?${query}` : ''}`,
      matches: slots.map(slotResource),
      includes,
      outcome,
      total: truncated ? undefined : slots.length,
      lastUpdated: new Date(now).toISOString(),
    });
    const body = Buffer.from(serialize(ctx.format, bundle));
    const earliest = slots.length ? Date.parse(slots[0].start) : Infinity;
    const expiresAt = Math.min(now + cacheMs, earliest);
    if (cacheMs > 0 && expiresAt > now) cache.set(key, { token, expiresAt, body }, { ttl: expiresAt - now });
    return sendSerialized(request, reply, body);
  }

  app.get('/STU3/1/:tenant/Slot', { config: { interaction: INTERACTIONS.searchSlots } }, search);
  return () => ({ entries: cache.size, bytes: cache.calculatedSize, maxBytes });
}
