/**
 * The Spine Directory Service's FHIR API (R4), as NHS England publishes it, mounted at SDS_PATH
 * (`{spine}/spine-directory/FHIR/R4`):
 *   GET /Device?organization={ods}&identifier={interaction}[&identifier={party key}][&manufacturing-organization={ods}]
 *   GET /Endpoint?[organization={ods}&]identifier={interaction and/or party key}
 * Every value is `{system}|{value}` (fhir-search.ts SDS_SYSTEMS). The rules are the real API's: which
 * parameters exist, which combinations /Endpoint takes, the `apikey` header the API platform checks
 * first (401), `X-Correlation-ID` (a UUID, echoed on every answer), and the 400/404/405/406 answers
 * with the API's own OperationOutcome shape and texts. docs/spine.md, "The SDS FHIR API".
 *
 * The answers are read from the same registrations as the JSON `/endpoints` API (the stand-in's admin
 * interface); this API only reads.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OperationOutcome } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { describeStoreFault, retryAfterSeconds, storeFault } from '../../store/faults.js';
import type { Store } from '../../store/store.js';
import { isSdsApiKey, type NationalCredentials } from '../national-credentials.js';
import { SDS_SYSTEMS, searchDevices, searchEndpoints, searchset } from './fhir-search.js';

const FHIR_JSON = 'application/fhir+json';
const PLAIN_JSON = 'application/json';
const SPINE_CODES = 'https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1';
/** The API platform's own code system, in its answers to a missing or unknown API key. */
const PLATFORM_CODES = 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode';
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const CORRELATION_HEADER = 'X-Correlation-ID';

type Coding = { system: string; code: string; display: string; version?: string };
const BAD_REQUEST: Coding = { system: SPINE_CODES, code: 'BAD_REQUEST', display: 'Bad request' };
const NO_RECORD_FOUND: Coding = { system: SPINE_CODES, code: 'NO_RECORD_FOUND', display: 'No record found' };
const NOT_IMPLEMENTED: Coding = { system: SPINE_CODES, code: 'NOT_IMPLEMENTED', display: 'Not implemented' };
const BAD_HEADER: Coding = {
  system: SPINE_CODES,
  code: 'MISSING_OR_INVALID_HEADER',
  display: 'There is a required header missing or invalid',
};
const INTERNAL: Coding = {
  system: SPINE_CODES,
  code: 'INTERNAL_SERVER_ERROR',
  display: 'Unexpected internal server error',
};

/** A refusal of the SDS API, in its own OperationOutcome shape (one issue, a Spine coding, diagnostics). */
class SdsRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly coding: Coding,
    readonly diagnostics: string | undefined,
    readonly headers: Record<string, string> = {},
  ) {
    super(diagnostics ?? coding.display);
  }
}

/** The API's 400: its text is the web framework's rendering of the reason, kept as the real API sends it. */
const badRequest = (reason: string) =>
  new SdsRefusal(400, 'required', BAD_REQUEST, `HTTP 400: Bad Request (${reason})`);

const PARAM = { organization: 'organization', identifier: 'identifier', manufacturer: 'manufacturing-organization' };

function invalidParameter(name: string, system: string): SdsRefusal {
  return badRequest(`Missing or invalid '${name}' query parameter. Should be '${name}=${system}|value'`);
}

function invalidIdentifier(): SdsRefusal {
  return badRequest(
    `Missing or invalid '${PARAM.identifier}' query parameter. Should be one or both of: [` +
      `'${PARAM.identifier}=${SDS_SYSTEMS.interaction}|value', '${PARAM.identifier}=${SDS_SYSTEMS.partyKey}|value'`,
  );
}

function invalidCombination(): SdsRefusal {
  const org = `${PARAM.organization}=${SDS_SYSTEMS.ods}|value`;
  const partyKey = `${PARAM.identifier}=${SDS_SYSTEMS.partyKey}|value`;
  const interaction = `${PARAM.identifier}=${SDS_SYSTEMS.interaction}|value`;
  // The real API's text, its missing separators included.
  return badRequest(
    'Missing or invalid query parameters. Should one of following combinations: [' +
      `'${org}&${interaction}&${partyKey}''${org}&${interaction}''${org}&${partyKey}''${interaction}&${partyKey}']`,
  );
}

type Query = [name: string, values: string[]][];

function queryOf(request: FastifyRequest): Query {
  const raw = (request.query ?? {}) as Record<string, string | string[] | undefined>;
  return Object.entries(raw).map(([name, value]) => [
    name,
    value === undefined ? [] : Array.isArray(value) ? value : [value],
  ]);
}

/**
 * The parameter names an operation takes, and each value's system: anything else is a 400, checked in
 * the order the parameters were given (the real API's order of complaints).
 */
function checkParameters(query: Query, allowed: string[]): void {
  for (const [name, values] of query) {
    if (!allowed.includes(name)) throw badRequest(`Illegal query parameter '${name}'`);
    for (const value of values) {
      if (name === PARAM.organization && !value.startsWith(`${SDS_SYSTEMS.ods}|`))
        throw invalidParameter(PARAM.organization, SDS_SYSTEMS.ods);
      if (
        name === PARAM.identifier &&
        !value.startsWith(`${SDS_SYSTEMS.interaction}|`) &&
        !value.startsWith(`${SDS_SYSTEMS.partyKey}|`)
      )
        throw invalidIdentifier();
      if (name === PARAM.manufacturer && !value.startsWith(`${SDS_SYSTEMS.ods}|`))
        throw invalidParameter(PARAM.manufacturer, SDS_SYSTEMS.ods);
    }
  }
}

/** The last value of `name` in `system` that is not blank (as the real API takes it), or undefined. */
function valueOf(query: Query, name: string, system: string): string | undefined {
  const values = query.find(([n]) => n === name)?.[1] ?? [];
  let found: string | undefined;
  for (const value of values) {
    const bar = value.indexOf('|');
    if (bar < 0 || value.slice(0, bar) !== system) continue;
    const rest = value.slice(bar + 1);
    if (rest.trim()) found = rest;
  }
  return found;
}

/** The media type to answer in: fhir+json for it or any, plain JSON when only that is wanted; else a 406. */
function answerType(request: FastifyRequest): string {
  const header = request.headers.accept;
  if (header === undefined) return FHIR_JSON;
  // The media ranges, without their parameters (`;q=…`, `;charset=…`), case-insensitively.
  const ranges = header.split(',').map((range) => range.split(';')[0]!.trim().toLowerCase());
  if (ranges.includes('*/*') || ranges.includes(FHIR_JSON)) return FHIR_JSON;
  if (ranges.includes(PLAIN_JSON)) return PLAIN_JSON;
  throw new SdsRefusal(406, 'not-supported', BAD_HEADER, 'Accept type not supported');
}

function originOf(request: FastifyRequest): string {
  const tls = 'encrypted' in request.raw.socket && request.raw.socket.encrypted;
  return `${tls ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`;
}

/** The request's own URL, percent-decoding undone as the real API writes its self link. */
function selfUrl(request: FastifyRequest): string {
  let path = request.url;
  try {
    path = decodeURIComponent(path);
  } catch {
    // A URL that does not decode is given as it came.
  }
  return `${originOf(request)}${path}`;
}

declare module 'fastify' {
  interface FastifyRequest {
    sdsCorrelationId?: string;
  }
}

function outcome(refusal: SdsRefusal, id: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id,
    issue: [
      {
        severity: 'error',
        code: refusal.code as OperationOutcome['issue'][number]['code'],
        details: { coding: [refusal.coding] },
        ...(refusal.diagnostics !== undefined ? { diagnostics: refusal.diagnostics } : {}),
      },
    ],
  };
}

function sendRefusal(request: FastifyRequest, reply: FastifyReply, refusal: SdsRefusal): FastifyReply {
  const id = request.sdsCorrelationId ?? randomUUID();
  return reply
    .code(refusal.status)
    .headers(refusal.headers)
    .header(CORRELATION_HEADER, id)
    .header('cache-control', 'no-store')
    .type(FHIR_JSON)
    .send(JSON.stringify(outcome(refusal, id)));
}

export async function sdsFhirRoutes(
  app: FastifyInstance,
  opts: { store: Store; national: NationalCredentials },
): Promise<void> {
  const { db } = opts.store;
  const operations = new Set(['/Device', '/Endpoint']);

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof SdsRefusal) return sendRefusal(request, reply, err);
    const fault = storeFault(err);
    if (fault) {
      request.log.warn(err);
      const after = String(retryAfterSeconds(fault));
      return sendRefusal(
        request,
        reply,
        new SdsRefusal(503, 'transient', INTERNAL, describeStoreFault(fault), { 'Retry-After': after }),
      );
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return sendRefusal(request, reply, new SdsRefusal(err.statusCode, 'exception', BAD_REQUEST, err.message));
    request.log.error(err);
    return sendRefusal(
      request,
      reply,
      new SdsRefusal(500, 'exception', INTERNAL, `An unexpected error stopped this request (${request.id})`),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendRefusal(request, reply, new SdsRefusal(404, 'not-found', NO_RECORD_FOUND, 'HTTP endpoint not found')),
  );

  // In the real API's order: the platform's API key, then the path, the method, the correlation id.
  app.addHook('onRequest', async (request) => {
    const given = request.headers['x-correlation-id'];
    const correlationId = typeof given === 'string' && given ? given : undefined;
    request.sdsCorrelationId = correlationId;
    const key = request.headers.apikey;
    if (typeof key !== 'string' || key === '')
      throw new SdsRefusal(
        401,
        'forbidden',
        platformDenied('Failed to resolve API Key variable request.header.apikey'),
        undefined,
      );
    if (!isSdsApiKey(opts.national, key))
      throw new SdsRefusal(401, 'forbidden', platformDenied('Invalid ApiKey'), undefined);
    // The route the router matched (undefined for an unknown path), not the raw URL, which may be encoded.
    const route = request.routeOptions.url;
    if (route === undefined || !operations.has(route.slice(app.prefix.length))) {
      // The not-found handler answers, with the caller's correlation id only when it is a UUID.
      if (correlationId !== undefined && !UUID.test(correlationId)) request.sdsCorrelationId = undefined;
      return;
    }
    if (request.method !== 'GET')
      throw new SdsRefusal(405, 'not-supported', NOT_IMPLEMENTED, 'HTTP operation not supported', { Allow: 'GET' });
    if (correlationId !== undefined && !UUID.test(correlationId)) {
      request.sdsCorrelationId = undefined;
      throw badRequest(`Invalid ${CORRELATION_HEADER} header. Should be an UUIDv4 matching regex '${UUID.source}'`);
    }
    request.sdsCorrelationId = correlationId ?? randomUUID();
  });

  // Every other method the server knows reaches these paths too, to be refused (405) before any body is read.
  const otherMethods = app.supportedMethods.filter((method) => method !== 'GET' && method !== 'HEAD');
  for (const url of operations) {
    app.route({
      method: otherMethods,
      url,
      handler: async () => {
        throw new SdsRefusal(405, 'not-supported', NOT_IMPLEMENTED, 'HTTP operation not supported', { Allow: 'GET' });
      },
    });
  }

  const answer = (request: FastifyRequest, reply: FastifyReply, type: string, body: unknown) =>
    reply
      .header(CORRELATION_HEADER, request.sdsCorrelationId!)
      .header('cache-control', 'no-store')
      .type(type)
      .send(JSON.stringify(body));

  app.get('/Device', async (request, reply) => {
    const query = queryOf(request);
    checkParameters(query, [PARAM.organization, PARAM.identifier, PARAM.manufacturer]);
    const odsCode = valueOf(query, PARAM.organization, SDS_SYSTEMS.ods);
    if (!odsCode) throw invalidParameter(PARAM.organization, SDS_SYSTEMS.ods);
    const interaction = valueOf(query, PARAM.identifier, SDS_SYSTEMS.interaction);
    if (!interaction) throw invalidParameter(PARAM.identifier, SDS_SYSTEMS.interaction);
    const manufacturingOrganisation = valueOf(query, PARAM.manufacturer, SDS_SYSTEMS.ods);
    const partyKey = valueOf(query, PARAM.identifier, SDS_SYSTEMS.partyKey);
    const type = answerType(request);
    const devices = await searchDevices(db, { odsCode, interaction, partyKey, manufacturingOrganisation });
    return answer(
      request,
      reply,
      type,
      searchset(devices, selfUrl(request), `${originOf(request)}${app.prefix}/Device`),
    );
  });

  app.get('/Endpoint', async (request, reply) => {
    const query = queryOf(request);
    checkParameters(query, [PARAM.organization, PARAM.identifier]);
    const odsCode = valueOf(query, PARAM.organization, SDS_SYSTEMS.ods);
    const interaction = valueOf(query, PARAM.identifier, SDS_SYSTEMS.interaction);
    const partyKey = valueOf(query, PARAM.identifier, SDS_SYSTEMS.partyKey);
    // The supported combinations: organization with an interaction, a party key or both; or, without
    // organization, an interaction and a party key together.
    if (odsCode ? !interaction && !partyKey : !interaction || !partyKey) throw invalidCombination();
    const type = answerType(request);
    const endpoints = await searchEndpoints(db, { odsCode, interaction, partyKey });
    return answer(
      request,
      reply,
      type,
      searchset(endpoints, selfUrl(request), `${originOf(request)}${app.prefix}/Endpoint`),
    );
  });
}

function platformDenied(faultString: string): Coding {
  return { system: PLATFORM_CODES, version: '1', code: 'ACCESS_DENIED', display: faultString };
}
