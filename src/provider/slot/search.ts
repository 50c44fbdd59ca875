/**
 * `GET [root]/Slot?…` — search for slots (P10–P14, P19, P23, SLOT-1 … SLOT-5).
 *
 * Answers are cached per tenant, format, consumer organisation and URL, and reused, byte for byte,
 * until the tenant's slots change (a booking or cancel anywhere in the cluster), the earliest
 * returned slot starts, or a few seconds pass. A reused answer keeps its Bundle id and its
 * `meta.lastUpdated`, which says when the search was run.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../../store/store.js';
import { searchset } from '../../fhir/bundle.js';
import { operationOutcome } from '../../fhir/outcome.js';
import { authorised } from '../http/context.js';
import { sendSerialized, serialize } from '../http/wire.js';
import { INTERACTIONS } from '../interactions.js';
import { slotResource } from '../../diary/representation.js';
import { parseSlotSearch } from './params.js';
import { ReleaseView } from '../../diary/release.js';
import { findSlots, resolveIncludes, schedulesServing } from './repository.js';

export interface SlotSearchOptions {
  /** Most slots one search returns (the standard allows an upper limit). */
  maxSlots?: number;
  /** How long a cached answer may live at most. */
  cacheMs?: number;
}

interface CachedAnswer {
  token: string;
  expiresAt: number;
  body: Buffer;
}

export function registerSlotSearch(app: FastifyInstance, store: Store, options: SlotSearchOptions = {}) {
  const maxSlots = options.maxSlots ?? 1000;
  const cacheMs = options.cacheMs ?? 5000;
  const cache = new Map<string, CachedAnswer>();

  async function search(request: FastifyRequest, reply: FastifyReply) {
    const ctx = authorised(request.ctx);
    const tenantId = ctx.tenant.id;
    const now = Date.now();
    const key = `${tenantId}\u0000${ctx.format}\u0000${ctx.identity.organisation.ods}\u0000${request.url}`;
    const token = store.slotChanges.token(tenantId);
    ctx.audit.resourceType = 'Slot';

    const hit = cache.get(key);
    if (hit && hit.token === token && now < hit.expiresAt) {
      return sendSerialized(request, reply, hit.body);
    }

    const params = parseSlotSearch(request.query as Record<string, unknown>, now);
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

    const query = request.url.indexOf('?');
    const bundle = searchset({
      base: ctx.serviceRoot,
      selfUrl: `${ctx.serviceRoot}/Slot${query >= 0 ? request.url.slice(query) : ''}`,
      matches: slots.map(slotResource),
      includes,
      outcome,
      total: truncated ? undefined : slots.length,
      lastUpdated: new Date(now).toISOString(),
    });
    const body = Buffer.from(serialize(ctx.format, bundle));
    const earliest = slots.length ? Date.parse(slots[0].start) : Infinity;
    if (cache.size >= 2000) cache.clear();
    cache.set(key, { token, expiresAt: Math.min(now + cacheMs, earliest), body });
    return sendSerialized(request, reply, body);
  }

  app.get('/STU3/1/:tenant/Slot', { config: { interaction: INTERACTIONS.searchSlots } }, search);
}
