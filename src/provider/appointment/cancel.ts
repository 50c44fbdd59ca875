/**
 * `PUT [root]/Appointment/{id}` with `If-Match` — cancel an appointment (P31, API-6).
 *
 * The body is the latest version as read, with only `status` changed to `cancelled`. No If-Match
 * is a 412; a stale one a 409; any other change a 422 naming every element that changed. The slot
 * is freed and every version stays readable.
 */
import type { Appointment } from 'fhir/r3.js';
import type { FastifyInstance } from 'fastify';
import {
  badRequest,
  notFound,
  preconditionFailed,
  unprocessable,
  unprocessableIssues,
  versionConflict,
} from '../../fhir/outcome.js';
import { parseDateTime } from '../../fhir/time.js';
import type { Store } from '../../store/store.js';
import { authorised } from '../http/context.js';
import { sendResource } from '../http/wire.js';
import { INTERACTIONS } from '../interactions.js';
import { profileOf } from '../../diary/representation.js';
import { readResourceBody } from './booking-rules.js';
import { appointmentResource, commitCancellation, readCurrent } from '../../diary/appointments.js';

/** `W/"3"`, `"3"` or `3` → 3 (any number of digits: a huge one is simply stale). */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  return m ? Number(m[1]) : NaN;
}

/** Paths where two JSON values differ. Strings that are both dateTimes compare by the instant they name. */
export function differences(a: unknown, b: unknown, path: string, out: string[] = []): string[] {
  if (out.length > 20) return out;
  if (typeof a === 'string' && typeof b === 'string') {
    if (a !== b) {
      const ta = parseDateTime(a);
      if (ta === undefined || ta !== parseDateTime(b)) out.push(path);
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(path);
    else a.forEach((v, i) => differences(v, b[i], `${path}[${i}]`, out));
    return out;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys)
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    return out;
  }
  if (a !== b) out.push(path);
  return out;
}

export function registerCancel(app: FastifyInstance, store: Store) {
  app.put(
    '/STU3/1/:tenant/Appointment/:id',
    { config: { interaction: INTERACTIONS.cancel } },
    async (request, reply) => {
      const ctx = authorised(request.ctx);
      const { id } = request.params as { id: string };
      ctx.audit = { ...ctx.audit, resourceType: 'Appointment', resourceId: id };

      const ifMatch = parseIfMatch(request.headers['if-match']);
      if (ifMatch === undefined)
        throw preconditionFailed('An update needs an If-Match header with the version you read, e.g. If-Match: W/"1"');
      if (Number.isNaN(ifMatch))
        throw badRequest(`If-Match "${request.headers['if-match']}" is not a version ETag such as W/"1"`);

      const submitted = readResourceBody<Appointment>(request.body, 'Appointment');
      if (submitted.id !== id) {
        throw badRequest(
          `The body's Appointment.id "${submitted.id ?? ''}" must equal the id in the URL (${id})`,
          'INVALID_RESOURCE',
        );
      }
      const current = await readCurrent(store, ctx.tenant.id, id);
      if (!current) throw notFound(`Appointment ${id} is not known at this service`);
      if (ifMatch !== current.version_id) {
        throw versionConflict(
          `Appointment ${id} is at version ${current.version_id}, not ${ifMatch}: read it again and retry`,
        );
      }

      const stored = appointmentResource(current);
      const { meta: _a, ...before } = stored;
      const { meta: _b, ...after } = submitted;
      const changed = differences({ ...before, status: undefined }, { ...after, status: undefined }, 'Appointment');
      if (changed.length) {
        throw unprocessableIssues(
          changed.map((path) => ({
            diagnostics: `${path} was changed: a cancel may change only Appointment.status`,
            expression: [path],
            code: 'business-rule' as const,
          })),
        );
      }
      if (stored.status === 'cancelled')
        throw unprocessable(`Appointment ${id} is already cancelled`, 'INVALID_RESOURCE', ['Appointment.status']);
      if (submitted.status !== 'cancelled') {
        throw unprocessable(
          `Appointment.status may only be changed to "cancelled" (got "${submitted.status}")`,
          'INVALID_RESOURCE',
          ['Appointment.status'],
        );
      }
      if (Date.parse(current.end) < Date.now()) {
        throw unprocessable(`Appointment ${id} is already in the past and cannot be cancelled`, 'INVALID_RESOURCE', [
          'Appointment.end',
        ]);
      }

      const versionId = current.version_id + 1;
      const now = new Date().toISOString();
      const cancelled = {
        ...stored,
        meta: { versionId: String(versionId), lastUpdated: now, profile: [profileOf('Appointment')] },
        status: 'cancelled',
      } as Appointment & { id: string; meta: { versionId: string; lastUpdated: string } };

      const result = await commitCancellation(store, {
        tenantId: ctx.tenant.id,
        current,
        cancelled,
        provenance: {
          identity: ctx.identity,
          interaction: ctx.interaction.name,
          requestId: ctx.requestId,
          correlationId: ctx.correlationId,
        },
      });
      if (result === 'stale')
        throw versionConflict(`Appointment ${id} changed while it was being cancelled: read it again and retry`);
      ctx.audit.versionId = String(versionId);
      return sendResource(request, reply, cancelled, {
        versionId: String(versionId),
        lastUpdated: now,
        location: `${ctx.serviceRoot}/Appointment/${id}/_history/${versionId}`,
      });
    },
  );
}
