/**
 * `GET [root]/Appointment/{id}` and `GET [root]/Appointment/{id}/_history/{vid}` (READ-1, API-6).
 */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../fhir/outcome.js';
import type { Store } from '../../store/store.js';
import { authorised } from '../http/context.js';
import { sendResource } from '../http/wire.js';
import { INTERACTIONS } from '../interactions.js';
import { appointmentResource, readCurrent, readVersion } from '../../diary/appointments.js';

export function registerRead(app: FastifyInstance, store: Store) {
  const config = { interaction: INTERACTIONS.readAppointment };

  app.get('/STU3/1/:tenant/Appointment/:id', { config }, async (request, reply) => {
    const ctx = authorised(request.ctx);
    const { id } = request.params as { id: string };
    const row = await readCurrent(store, ctx.tenant.id, id);
    if (!row) throw notFound(`Appointment ${id} is not known at this service`);
    ctx.audit = { ...ctx.audit, resourceType: 'Appointment', resourceId: id, versionId: String(row.version_id) };
    return sendResource(request, reply, appointmentResource(row), {
      versionId: String(row.version_id),
      lastUpdated: row.last_updated,
      location: `${ctx.serviceRoot}/Appointment/${id}/_history/${row.version_id}`,
    });
  });

  app.get('/STU3/1/:tenant/Appointment/:id/_history/:vid', { config }, async (request, reply) => {
    const ctx = authorised(request.ctx);
    const { id, vid } = request.params as { id: string; vid: string };
    const version = /^[1-9]\d{0,8}$/.test(vid) ? Number(vid) : undefined;
    const row = version === undefined ? undefined : await readVersion(store, ctx.tenant.id, id, version);
    if (!row) throw notFound(`Appointment ${id} has no version ${vid} at this service`);
    ctx.audit = { ...ctx.audit, resourceType: 'Appointment', resourceId: id, versionId: vid };
    return sendResource(request, reply, appointmentResource(row), { versionId: vid, lastUpdated: row.last_updated });
  });
}
