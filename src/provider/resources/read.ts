/**
 * Reads and plain searches of every resource a slot search refers to (HealthcareService,
 * Schedule, Location, Practitioner, PractitionerRole, Organization, Slot), so every reference the
 * provider emits resolves. A plain search takes `_id` and returns the tenant's resources of that type.
 */
import type { FastifyInstance } from 'fastify';
import { searchset } from '../../fhir/bundle.js';
import { notFound } from '../../fhir/outcome.js';
import { orList, values } from '../../fhir/search.js';
import type { Store } from '../../store/store.js';
import { authorised } from '../http/context.js';
import { sendResource, versionOf } from '../http/wire.js';
import { readInteraction } from '../interactions.js';
import { REFERENCE_TYPES, slotResource } from '../../diary/representation.js';
import { readReference, readReferences } from './repository.js';

export function registerResourceReads(app: FastifyInstance, store: Store) {
  for (const type of REFERENCE_TYPES) {
    const config = { interaction: readInteraction(type) };
    app.get(`/STU3/1/:tenant/${type}/:id`, { config }, async (request, reply) => {
      const ctx = authorised(request.ctx);
      const { id } = request.params as { id: string };
      const resource = await readReference(store.db, type, ctx.tenant.id, id);
      if (!resource) throw notFound(`${type} ${id} is not known at this service`);
      ctx.audit = { ...ctx.audit, resourceType: type, resourceId: id };
      return sendResource(request, reply, resource, versionOf(resource));
    });
    app.get(`/STU3/1/:tenant/${type}`, { config }, async (request, reply) => {
      const ctx = authorised(request.ctx);
      const query = request.query as Record<string, unknown>;
      const ids = values(query, '_id').flatMap(orList);
      const resources = await readReferences(store.db, type, ctx.tenant.id, ids.length ? ids : undefined);
      ctx.audit.resourceType = type;
      const q = request.url.indexOf('?');
      return sendResource(
        request,
        reply,
        searchset({
          base: ctx.serviceRoot,
          selfUrl: `${ctx.serviceRoot}/${type}${q >= 0 ? request.url.slice(q) : ''}`,
          matches: resources,
          total: resources.length,
        }),
      );
    });
  }

  app.get('/STU3/1/:tenant/Slot/:id', { config: { interaction: readInteraction('Slot') } }, async (request, reply) => {
    const ctx = authorised(request.ctx);
    const { id } = request.params as { id: string };
    const row = await store.db
      .selectFrom('slot')
      .selectAll()
      .where('tenant_id', '=', ctx.tenant.id)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound(`Slot ${id} is not known at this service`);
    ctx.audit = { ...ctx.audit, resourceType: 'Slot', resourceId: id };
    const slot = slotResource(row);
    return sendResource(request, reply, slot, versionOf(slot));
  });
}
