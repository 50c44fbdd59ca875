/**
 * The call handler's web app: the built pages (web/, React with the NHS.UK design system) and the
 * JSON API they call, which drives the same Consumer the CLI uses. The browser never talks to the
 * spine or a provider itself; every booking call still goes through the proxy.
 *
 * Every API call needs a signed-in call handler (./web-auth.ts), and the consumer acts as that
 * person: their name and role are the requesting practitioner of every JWT it sends for them.
 */
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { TSchema } from 'typebox';
import { faultFrom, routeSchemaCompiler } from '../validation/route-schema.js';
import type { Database } from '../store/schema.js';
import { isNoFixedAbode, orderForChoice, plainReason, shortReference } from './choosing.js';
import { describeConfig } from './connect.js';
import { Consumer } from './consumer.js';
import { DISPOSITIONS, breachMinutes } from './dispositions.js';
import { ConsumerError } from './errors.js';
import { StoreEventSink } from './events.js';
import { unknownPostcodeMessage } from '../fhir/patient-details.js';
import type { ConsumerIdentity } from './identity.js';
import type { NationalConfig } from './national.js';
import { installWebAuth, signedInUser, type WebAuthOptions } from './web-auth.js';
import {
  Booked,
  BookingList,
  BookingRequest,
  BookingsQuery,
  CancelRequest,
  Cancelled,
  DispositionList,
  EncounterBody,
  FoundServices,
  RebookRequest,
  Rebooked,
  Recorded,
  ReferralParams,
  Referred,
  ServiceParams,
  ServiceSlots,
  ServicesQuery,
  SlotsQuery,
} from './web-schemas.js';

export interface ConsumerWebOptions {
  /** Where DoS, SDS and the proxy are (connect.ts); or `spine`, a Slotbridge spine's stand-ins. */
  national?: NationalConfig;
  spine?: string;
  /** The consumer system (ASID, organisation, device); the user is whoever is signed in. */
  identity: ConsumerIdentity;
  db: Kysely<Database>;
  /** Who may sign in and from which hosts; without users or OpenID Connect nobody can use the API. */
  auth: WebAuthOptions;
  /** The built web app (web/dist); without it only the API is served. */
  webDist?: string;
  fetchImpl?: typeof fetch;
}

const STATUS: Record<string, number> = {
  'slot-gone': 409,
  'breach-needs-approval': 409,
  'booking-required': 409,
  'patient-invalid': 400,
  'postcode-unknown': 422,
  'reason-missing': 400,
  'bad-nhs-number': 400,
  'no-such-service': 404,
  'unknown-appointment': 404,
  'search-again': 409,
  // The national services refused or failed this app (its configuration, or their fault), not the user's input.
  'directory-authentication': 502,
  'directory-permission': 502,
  'directory-version': 502,
  'directory-rejected-request': 502,
  'directory-bad-answer': 502,
  'directory-unavailable': 502,
  'directory-timeout': 504,
};

function sendError(reply: FastifyReply, err: unknown) {
  if (err instanceof ConsumerError) {
    const status = STATUS[err.code] ?? (err.source === 'consumer' ? 400 : err.source === 'directory' ? 422 : 502);
    return reply.code(status).send({
      code: err.code,
      message: err.message,
      source: err.source,
      ...(err.details.nextSlots ? { nextSlots: err.details.nextSlots } : {}),
      ...(err.details.breachMinutes ? { breachMinutes: err.details.breachMinutes } : {}),
      // Which of the patient form's fields each problem belongs to, in the form's words.
      ...(Array.isArray(err.details.problems) ? { problems: err.details.problems } : {}),
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

const text = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);

/** "Given Family" of the patient a booking was made for (as the consumer stored it). */
function patientName(stored: string): string {
  try {
    const p = JSON.parse(stored) as { name?: { given?: string[] | string; family?: string; text?: string }[] };
    const n = p.name?.[0];
    // Some senders give `given` as one string rather than the list FHIR asks for.
    const name =
      n?.text ??
      [n?.given ?? []]
        .flat()
        .concat(n?.family ?? [])
        .filter(Boolean)
        .join(' ');
    return name || 'Name not given';
  } catch {
    return 'Name not given';
  }
}

export async function buildConsumerWeb(options: ConsumerWebOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024, trustProxy: options.auth.trustProxy ?? false });
  const consumer = new Consumer({
    national: options.national,
    spine: options.spine,
    identity: options.identity,
    db: options.db,
    fetchImpl: options.fetchImpl,
  });
  app.setErrorHandler((err, _request, reply) => sendError(reply, err));
  await installWebAuth(app, options.auth, new StoreEventSink(options.db));
  const localSystem = options.identity.requester.user?.localSystem ?? 'https://slotbridge.dev/Id/user';
  /** The consumer acting for the request's signed-in call handler. */
  const as = (request: FastifyRequest): Consumer => {
    const user = signedInUser(request);
    return consumer.forUser({
      id: user.id,
      given: user.given,
      family: user.family,
      sdsUserId: user.sdsUserId,
      sdsRoleProfileId: user.sdsRoleProfileId,
      localSystem,
    });
  };

  // Each route's query and body are checked against its schema (./web-schemas.ts) before the handler
  // runs; a fault is a 400 with the schema's code and message (src/validation/route-schema.ts).
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.setValidatorCompiler(routeSchemaCompiler);
  api.setSchemaErrorFormatter((errors, part) => {
    const fault = faultFrom(errors, part);
    return new ConsumerError(fault.code ?? 'bad-request', fault.message, 'consumer');
  });
  // A request without a body is read as an empty JSON object.
  api.addHook('preValidation', async (request) => {
    if (request.body === undefined) request.body = {};
  });
  const ok = <T extends TSchema>(schema: T) => ({ '2xx': schema });

  api.get('/api/dispositions', { schema: { response: ok(DispositionList) } }, async () =>
    Object.entries(DISPOSITIONS).map(([code, d]) => ({ code, text: d.text })),
  );

  // Where this web app's national calls go (the settings page): addresses and the DoS account's name, never a secret.
  api.get('/api/settings', async () => ({
    ...describeConfig(consumer.national),
    asid: options.identity.asid,
    odsCode: options.identity.requester.organisation.odsCode,
  }));

  api.get('/api/services', { schema: { querystring: ServicesQuery, response: ok(FoundServices) } }, async (request) => {
    const q = request.query;
    const postcode = q.postcode.trim();
    const location = text(q.location);
    // A ZZ99 pseudo-postcode (no fixed abode, address not known) stands for no place: the directory is
    // searched by where the patient is now, which the call handler asks for (docs/consumer.md).
    if (location && isNoFixedAbode(location))
      throw new ConsumerError(
        'location-no-fixed-abode',
        `${location.toUpperCase()} stands for no fixed abode, not a place. ` +
          'Enter the postcode, or the first half of it, where the patient is now.',
        'consumer',
      );
    if (!location && isNoFixedAbode(postcode))
      throw new ConsumerError(
        'no-fixed-abode',
        `${postcode.toUpperCase()} means the patient has no fixed abode or no known address, so services cannot be found near it. ` +
          'Enter the postcode, or the first half of it, where the patient is now.',
        'consumer',
      );
    const found = await as(request)
      .findServices({
        disposition: q.disposition.trim(),
        postcode: location ?? postcode,
        age: q.age === '' ? undefined : q.age,
        encounterId: text(q.encounterId),
        registeredPractice: text(q.registeredPractice),
      })
      .catch((err: unknown) => {
        // The directory does not know the postcode (DoS fault 101): the form says so, next to the postcode.
        if (!location && err instanceof ConsumerError && err.code === 'directory-postcode-not-found') {
          const message = unknownPostcodeMessage(q.postcode);
          throw new ConsumerError('postcode-unknown', message, 'directory', {
            ...err.details,
            problems: [{ field: 'postcode', message }],
          });
        }
        throw err;
      });
    // Bookable services after the directory's first, each "cannot book" reason in plain words (./choosing.ts).
    return {
      services: orderForChoice(found).map((f) =>
        f.route.bookable ? f : { ...f, route: { ...f.route, plain: plainReason(f.route.reason) } },
      ),
    };
  });

  api.get('/api/services/:id', { schema: { params: ServiceParams } }, async (request) =>
    as(request).directory.serviceDetails(request.params.id),
  );

  api.get(
    '/api/services/:id/slots',
    { schema: { params: ServiceParams, querystring: SlotsQuery, response: ok(ServiceSlots) } },
    async (request) => {
      const q = request.query;
      const disposition = text(q.disposition);
      const assessedAt = q.assessedAt ? Date.parse(q.assessedAt) : Date.now();
      const { service, slots } = await as(request).slots(request.params.id, {
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
    },
  );

  api.post(
    '/api/services/:id/reject',
    { schema: { params: ServiceParams, body: EncounterBody, response: ok(Recorded) } },
    async (request) => {
      await as(request).rejectTopService(request.params.id, {
        encounterId: text(request.body.encounterId),
        disposition: text(request.body.disposition),
      });
      return { recorded: true };
    },
  );

  api.post(
    '/api/services/:id/referral',
    { schema: { params: ServiceParams, body: EncounterBody, response: ok(Referred) } },
    async (request) => {
      await as(request).referWithoutBooking(request.params.id, {
        encounterId: text(request.body.encounterId),
        disposition: text(request.body.disposition),
      });
      return { referred: true };
    },
  );

  api.post('/api/bookings', { schema: { body: BookingRequest, response: ok(Booked) } }, async (request, reply) => {
    const b = request.body;
    const booked = await as(request).book({
      serviceId: b.serviceId.trim(),
      slotId: b.slotId.trim(),
      patient: b.patient,
      reason: text(b.reason) ?? '',
      disposition: text(b.disposition),
      approveBreach: b.approveBreach === true,
      encounterId: text(b.encounterId) ?? randomUUID(),
      registeredPractice: text(b.registeredPractice),
      assessedAt: b.assessedAt !== undefined ? Date.parse(b.assessedAt) : undefined,
    });
    return reply.code(201).send({
      appointmentUrl: booked.appointmentUrl,
      appointmentId: booked.appointmentId,
      reference: shortReference(booked.appointmentId),
      versionId: booked.versionId,
      slot: booked.slot,
      service: { id: booked.service.id, name: booked.service.name },
      breachMinutes: booked.breachMinutes,
      documentId: booked.documentId,
    });
  });

  api.get('/api/bookings', { schema: { querystring: BookingsQuery, response: ok(BookingList) } }, async (request) => {
    const nhs = request.query.nhsNumber.replace(/\s/g, '');
    const rows = await options.db
      .selectFrom('consumer_booking')
      .selectAll()
      .where('nhs_number', '=', nhs)
      .orderBy('slot_start')
      .execute();
    // The list names each service as it was named when booked; older bookings ask the directory (one look-up
    // per service), and a service the directory no longer knows keeps its directory ID.
    const consumer = as(request);
    const names = new Map<string, string | undefined>();
    for (const r of rows) if (r.service_name) names.set(r.service_id, r.service_name);
    for (const id of new Set(rows.filter((r) => !names.has(r.service_id)).map((r) => r.service_id)))
      names.set(
        id,
        await consumer.directory.serviceDetails(id).then(
          (d) => d.name || undefined,
          () => undefined,
        ),
      );
    return {
      bookings: await Promise.all(
        rows.map(async (r) => {
          const assessment = await consumer.assessmentOf(r.appointment_url);
          return {
            appointmentUrl: r.appointment_url,
            serviceId: r.service_id,
            serviceName: names.get(r.service_id) ?? `Service ${r.service_id} (not in the directory now)`,
            reference: shortReference(r.appointment_id),
            patientName: patientName(r.patient),
            status: r.status,
            start: r.slot_start,
            end: r.slot_end,
            versionId: r.version_id,
            ...(assessment.disposition
              ? { disposition: assessment.disposition, assessedAt: new Date(assessment.assessedAt!).toISOString() }
              : {}),
          };
        }),
      ),
    };
  });

  api.post('/api/bookings/cancel', { schema: { body: CancelRequest, response: ok(Cancelled) } }, async (request) =>
    as(request).cancel(request.body.appointmentUrl.trim(), { encounterId: text(request.body.encounterId) }),
  );

  api.post('/api/bookings/rebook', { schema: { body: RebookRequest, response: ok(Rebooked) } }, async (request) => {
    const b = request.body;
    const result = await as(request).rebook(b.appointmentUrl.trim(), {
      slotId: b.slotId.trim(),
      encounterId: text(b.encounterId),
      approveBreach: b.approveBreach === true,
      reason: text(b.reason),
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
  api.get('/api/referrals/:documentId', { schema: { params: ReferralParams } }, async (request, reply) => {
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
