/**
 * The call handler's web app: the built pages (web/, React with the NHS.UK design system) and the
 * JSON API they call, which drives the same Consumer the CLI uses. The browser never talks to the
 * spine or a provider itself; every booking call still goes through the proxy.
 */
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { Consumer } from './consumer.js';
import { DISPOSITIONS, breachMinutes } from './dispositions.js';
import { ConsumerError } from './errors.js';
import type { ConsumerIdentity } from './identity.js';

export interface ConsumerWebOptions {
  spine: string;
  identity: ConsumerIdentity;
  db: Kysely<Database>;
  /** The built web app (web/dist); without it only the API is served. */
  webDist?: string;
  fetchImpl?: typeof fetch;
}

const STATUS: Record<string, number> = {
  'slot-gone': 409,
  'breach-needs-approval': 409,
  'booking-required': 409,
  'patient-invalid': 400,
  'reason-missing': 400,
  'bad-nhs-number': 400,
  'no-such-service': 404,
  'unknown-appointment': 404,
};

function sendError(reply: FastifyReply, err: unknown) {
  if (err instanceof ConsumerError) {
    const status = STATUS[err.code] ?? (err.source === 'consumer' ? 400 : err.source === 'directory' ? 422 : 502);
    return reply
      .code(status)
      .send({
        code: err.code,
        message: err.message,
        source: err.source,
        ...(err.details.nextSlots ? { nextSlots: err.details.nextSlots } : {}),
        ...(err.details.breachMinutes ? { breachMinutes: err.details.breachMinutes } : {}),
      });
  }
  // Fastify's own refusals of a malformed request (bad JSON, wrong media type, too large) stay 4xx.
  const status = (err as { statusCode?: number }).statusCode;
  if (status && status >= 400 && status < 500)
    return reply
      .code(status)
      .send({ code: 'bad-request', message: `The request could not be read: ${(err as Error).message}` });
  reply.log.error(err);
  return reply
    .code(500)
    .send({ code: 'unexpected', message: `Something went wrong in the booking app: ${(err as Error).message}` });
}

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export async function buildConsumerWeb(options: ConsumerWebOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
  const consumer = new Consumer({
    spine: options.spine,
    identity: options.identity,
    db: options.db,
    fetchImpl: options.fetchImpl,
  });
  app.setErrorHandler((err, _request, reply) => sendError(reply, err));

  app.get('/api/dispositions', async () => Object.entries(DISPOSITIONS).map(([code, d]) => ({ code, text: d.text })));

  app.get('/api/services', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const disposition = text(q.disposition);
    const postcode = text(q.postcode);
    if (!disposition || !postcode)
      throw new ConsumerError('missing', 'Give the disposition and the patient’s postcode.', 'consumer');
    const age = q.age === undefined || q.age === '' ? undefined : Number(q.age);
    if (age !== undefined && !(Number.isInteger(age) && age >= 0 && age <= 130))
      throw new ConsumerError('bad-age', 'Age must be a whole number of years.', 'consumer');
    return {
      services: await consumer.findServices({
        disposition,
        postcode,
        age,
        encounterId: text(q.encounterId),
        registeredPractice: text(q.registeredPractice),
      }),
    };
  });

  app.get<{ Params: { id: string } }>('/api/services/:id', async (request) =>
    consumer.spine.serviceDetails(request.params.id),
  );

  app.get<{ Params: { id: string } }>('/api/services/:id/slots', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const disposition = text(q.disposition);
    const assessedAt = q.assessedAt ? Date.parse(q.assessedAt) : Date.now();
    const { service, slots } = await consumer.slots(request.params.id, {
      disposition,
      encounterId: text(q.encounterId),
      assessedAt,
    });
    // Each slot says how far past the disposition's time frame it starts (0: within it), so the page can ask for approval.
    return {
      service,
      frame: disposition ? DISPOSITIONS[disposition]?.text : undefined,
      slots: slots.map((s) => ({ ...s, breachMinutes: breachMinutes(disposition, assessedAt, s.start) })),
    };
  });

  app.post<{ Params: { id: string } }>('/api/services/:id/reject', async (request) => {
    const b = (request.body ?? {}) as Record<string, unknown>;
    await consumer.rejectTopService(request.params.id, {
      encounterId: text(b.encounterId),
      disposition: text(b.disposition),
    });
    return { recorded: true };
  });

  app.post<{ Params: { id: string } }>('/api/services/:id/referral', async (request) => {
    const b = (request.body ?? {}) as Record<string, unknown>;
    await consumer.referWithoutBooking(request.params.id, {
      encounterId: text(b.encounterId),
      disposition: text(b.disposition),
    });
    return { referred: true };
  });

  app.post('/api/bookings', async (request, reply) => {
    const b = (request.body ?? {}) as Record<string, unknown>;
    const serviceId = text(b.serviceId);
    const slotId = text(b.slotId);
    if (!serviceId || !slotId) throw new ConsumerError('missing', 'Choose a service and a slot.', 'consumer');
    const booked = await consumer.book({
      serviceId,
      slotId,
      patient: b.patient,
      reason: text(b.reason) ?? '',
      disposition: text(b.disposition),
      approveBreach: b.approveBreach === true,
      encounterId: text(b.encounterId) ?? randomUUID(),
      registeredPractice: text(b.registeredPractice),
      assessedAt: typeof b.assessedAt === 'string' ? Date.parse(b.assessedAt) : undefined,
    });
    return reply
      .code(201)
      .send({
        appointmentUrl: booked.appointmentUrl,
        appointmentId: booked.appointmentId,
        versionId: booked.versionId,
        slot: booked.slot,
        service: { id: booked.service.id, name: booked.service.name },
        breachMinutes: booked.breachMinutes,
        documentId: booked.documentId,
      });
  });

  app.get('/api/bookings', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const nhs = text(q.nhsNumber)?.replace(/\s/g, '');
    if (!nhs || !/^\d{10}$/.test(nhs))
      throw new ConsumerError('bad-nhs-number', 'Give the patient’s 10-digit NHS number.', 'consumer');
    const rows = await options.db
      .selectFrom('consumer_booking')
      .selectAll()
      .where('nhs_number', '=', nhs)
      .orderBy('slot_start')
      .execute();
    return {
      bookings: rows.map((r) => ({
        appointmentUrl: r.appointment_url,
        serviceId: r.service_id,
        status: r.status,
        start: r.slot_start,
        end: r.slot_end,
        versionId: r.version_id,
      })),
    };
  });

  app.post('/api/bookings/cancel', async (request) => {
    const b = (request.body ?? {}) as Record<string, unknown>;
    const url = text(b.appointmentUrl);
    if (!url) throw new ConsumerError('missing', 'Which appointment?', 'consumer');
    return consumer.cancel(url, { encounterId: text(b.encounterId) });
  });

  app.post('/api/bookings/rebook', async (request) => {
    const b = (request.body ?? {}) as Record<string, unknown>;
    const url = text(b.appointmentUrl);
    const slotId = text(b.slotId);
    if (!url || !slotId) throw new ConsumerError('missing', 'Which appointment, and which new slot?', 'consumer');
    const result = await consumer.rebook(url, {
      slotId,
      encounterId: text(b.encounterId),
      approveBreach: b.approveBreach === true,
    });
    return {
      booked: {
        appointmentUrl: result.booked.appointmentUrl,
        versionId: result.booked.versionId,
        slot: result.booked.slot,
      },
      cancelled: result.cancelled,
    };
  });

  // fs_xfercare: the provider may fetch the referral document a booking names (DocumentReference.identifier).
  app.get<{ Params: { documentId: string } }>('/api/referrals/:documentId', async (request, reply) => {
    const doc = await options.db
      .selectFrom('consumer_referral')
      .selectAll()
      .where('document_id', '=', request.params.documentId)
      .executeTakeFirst();
    if (!doc)
      return reply.code(404).send({ code: 'not-found', message: `No referral document ${request.params.documentId}.` });
    return reply.type(doc.content_type).send(doc.content);
  });

  app.all('/api/*', async (_request, reply) =>
    reply.code(404).send({ code: 'not-found', message: 'No such API call.' }),
  );

  if (options.webDist && existsSync(options.webDist)) {
    await app.register(fastifyStatic, { root: options.webDist, wildcard: false });
    app.setNotFoundHandler((request, reply) =>
      request.method === 'GET' && !request.url.startsWith('/api/')
        ? reply.sendFile('index.html')
        : reply.code(404).send({ code: 'not-found', message: 'Not found.' }),
    );
  }
  return app;
}
