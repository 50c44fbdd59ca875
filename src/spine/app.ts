/**
 * The national stand-ins on one Fastify instance (`slotbridge spine`):
 *   {spine}/directory   the service directory (DoS)           src/spine/directory
 *   {spine}/endpoints   the endpoint directory (SDS)          src/spine/endpoints
 *   {spine}/proxy       the secure forward proxy (SSP)        src/spine/proxy
 *   {spine}/admin       enrolment of providers and consumers  src/spine/registration.ts
 *   {spine}/monitor     the proxy's call log, the spine's audit trail
 *
 * Every change to the network's data (`/admin`, and the writes of `/directory` and `/endpoints`) and
 * everything under `/monitor` needs the operator token (src/spine/operator.ts); the directory and
 * endpoint reads consumers make are public. Every change is in the spine's audit trail, and so is every
 * refused operator call; failed operator credentials are rate-limited per client address.
 */
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { badRequest } from '../fhir/outcome.js';
import type { Store } from '../store/store.js';
import { directoryRoutes } from './directory/routes.js';
import { dosSoapRoutes } from './directory/soap.js';
import { sdsFhirRoutes } from './endpoints/fhir.js';
import { endpointRoutes } from './endpoints/routes.js';
import { registerSpineErrors, sendOutcome, single, spineClientErrorHandler, useSpineSchemas } from './http.js';
import { actorOf, auditSpine, registerOperatorGuard, spineAudit, type OperatorGuardOptions } from './operator.js';
import { demoCredentials, type NationalCredentials } from './national-credentials.js';
import type { TargetAddressOptions } from './proxy/address-policy.js';
import { DirectoryView } from './proxy/authorisation.js';
import { ProxyCallLog } from './proxy/log.js';
import { proxyRoutes } from './proxy/routes.js';
import { registerConsumer, registerProvider, type ProviderRegistration } from './registration.js';
import { AuditQuery, ConsumerRegistrationBody, ProviderRegistrationBody } from './schemas.js';

export interface SpineOptions {
  store: Store;
  /**
   * The operator's bearer token (at least 32 characters; src/spine/operator.ts): needed for every
   * change to the network's data and for `/monitor`.
   */
  operatorToken: string;
  /** Failed operator credentials a client address may present in a window (default 10 a minute; src/spine/operator.ts). */
  operatorFailures?: OperatorGuardOptions['failures'];
  /** Which non-public addresses the proxy may reach (default none: public unicast addresses only). */
  proxyTargets?: TargetAddressOptions;
  logger?: FastifyServerOptions['logger'];
  /** The proxy's time limit for a provider's answer (default 30 s). */
  proxyTimeoutMs?: number;
  /** Mutual TLS for the spine's own port (src/spine/tls.ts). */
  https?: { key: Buffer; cert: Buffer; ca: Buffer; requestCert: boolean; rejectUnauthorized: boolean };
  /** The proxy's client certificate for providers served over https. */
  proxyClientTls?: { key: Buffer; cert: Buffer; ca: Buffer };
  /** Who may search the DoS and SDS stand-ins (default: the public demo credentials; national-credentials.ts). */
  national?: NationalCredentials;
}

export interface Spine {
  app: FastifyInstance;
  directory: DirectoryView;
  calls: ProxyCallLog;
}

/** The URLs of a spine whose base URL is `base` (no trailing slash). */
export function spineUrls(base: string) {
  return {
    spine: base,
    directory: `${base}/directory`,
    endpoints: `${base}/endpoints`,
    proxy: `${base}/proxy`,
    /** The DoS SOAP endpoint (PathWayService 1.5); its WSDL is at `?wsdl`. The path is DoS's own. */
    dos: `${base}${DOS_PATH}`,
    /** The SDS FHIR API's base (`/Device`, `/Endpoint`). The path is the SDS API's own. */
    sds: `${base}${SDS_PATH}`,
  };
}

export const DOS_PATH = '/app/api/webservices';
export const SDS_PATH = '/spine-directory/FHIR/R4';

/** What each of the spine's services serves, with a request to try (the answer at its printed URL). */
export function spineIndex(base: string) {
  const { directory, endpoints, proxy, dos, sds } = spineUrls(base);
  return {
    directory: {
      service:
        'the service directory stand-in’s admin interface (JSON): consumers search it as NHS Directory of Services, ' +
        `over SOAP at ${dos} (WSDL at ${dos}?wsdl)`,
      search: `${directory}/services?disposition={Dx code}&postcode={postcode}[&age=N]`,
      example: `${directory}/services?disposition=Dx05&postcode=LS1%204AP`,
      service_by_id: `${directory}/services/{service id}`,
      dos,
      wsdl: `${dos}?wsdl`,
    },
    endpoints: {
      service:
        'the endpoint directory stand-in’s admin interface (LDAP-shaped JSON): consumers search it as the Spine ' +
        `Directory Service FHIR API at ${sds} (apikey header)`,
      accredited_system: `${endpoints}/as/{ASID}`,
      message_handling: `${endpoints}/mhs?partyKey={party key}[&interaction={interaction id}]`,
      sds,
      device: `${sds}/Device?organization=https://fhir.nhs.uk/Id/ods-organization-code|{ODS}&identifier=https://fhir.nhs.uk/Id/nhsServiceInteractionId|{interaction}`,
      endpoint: `${sds}/Endpoint?organization=https://fhir.nhs.uk/Id/ods-organization-code|{ODS}&identifier=https://fhir.nhs.uk/Id/nhsMhsPartyKey|{party key}`,
    },
    proxy: {
      service: 'the secure proxy (a stand-in for the Spine Secure Proxy)',
      usage:
        `${proxy}/{provider service root}/{FHIR request}, with Authorization (the JWT) ` +
        'and the Ssp-TraceID, Ssp-From, Ssp-To and Ssp-InteractionID headers',
      example: `${proxy}/https://provider.example/STU3/1/tenant/Slot?status=free`,
    },
  };
}

export async function buildSpine(options: SpineOptions): Promise<Spine> {
  const { store } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: () => randomUUID(),
    routerOptions: { caseSensitive: true },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    clientErrorHandler: spineClientErrorHandler,
    ...(options.https ? { https: options.https } : {}),
    // URLs the router cannot read (bad percent-encoding) still get an OperationOutcome.
    frameworkErrors: (error, _request, reply) =>
      sendOutcome(reply, badRequest(`${error.message} (the URL could not be read)`)),
  } as FastifyServerOptions);
  const directory = new DirectoryView(store);
  const calls = new ProxyCallLog(store);
  const operator = await registerOperatorGuard(app, {
    token: options.operatorToken,
    db: store.db,
    failures: options.operatorFailures,
  });
  registerSpineErrors(app);

  const baseOf = (request: FastifyRequest) =>
    `${'encrypted' in request.raw.socket && request.raw.socket.encrypted ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`;
  app.get('/', async (request) => spineUrls(baseOf(request)));
  // Each URL `slotbridge start` prints answers: a service's own address says what it serves and how to ask.
  for (const part of ['directory', 'endpoints', 'proxy'] as const) {
    app.get(`/${part}`, async (request) => spineIndex(baseOf(request))[part]);
  }

  await app.register(directoryRoutes, { prefix: '/directory', store, operator });
  await app.register(endpointRoutes, {
    prefix: '/endpoints',
    store,
    operator,
    onChange: () => directory.invalidate(),
  });
  const national = options.national ?? demoCredentials();
  // The national wire: DoS SOAP (src/spine/directory/soap.ts) at DOS_PATH, SDS FHIR (src/spine/endpoints/fhir.ts) at SDS_PATH.
  await app.register(dosSoapRoutes, { prefix: DOS_PATH, store, national });
  await app.register(sdsFhirRoutes, { prefix: SDS_PATH, store, national });
  await app.register(proxyRoutes, {
    prefix: '/proxy',
    directory,
    log: calls,
    timeoutMs: options.proxyTimeoutMs,
    tls: options.proxyClientTls,
    targets: options.proxyTargets,
    bindSenderCertificates: Boolean(options.https?.requestCert),
  });

  // The operator's API: registration, and the monitor (call log, audit trail). Token first, then the body's schema.
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', operator);
      useSpineSchemas(admin);
      admin.post('/providers', { schema: { body: ProviderRegistrationBody } }, async (request, reply) => {
        // The schema checks the shape; registerProvider checks each service in full (checkService) before storing.
        const body = request.body as ProviderRegistrationBody & ProviderRegistration;
        const result = await store.transaction(async (trx) => {
          const registered = await registerProvider(trx, body);
          const { change } = registered;
          await auditSpine(trx, {
            actor: actorOf(request),
            action: change.repointed ? 'repoint-provider' : 'register-provider',
            target: `ASID:${body.asid}`,
            before: change.before,
            after: change.after,
          });
          return registered;
        });
        directory.invalidate();
        const { change, ...answer } = result;
        return reply
          .code(201)
          .send({ ...answer, replaced: change.repointed ? change.before?.serviceRoots : undefined });
      });
      admin.post('/consumers', { schema: { body: ConsumerRegistrationBody } }, async (request, reply) => {
        const body = request.body as ConsumerRegistrationBody;
        const result = await store.transaction(async (trx) => {
          const registered = await registerConsumer(trx, body);
          await auditSpine(trx, {
            actor: actorOf(request),
            action: 'register-consumer',
            target: `ASID:${body.asid}`,
            before: registered.change.before,
            after: registered.change.after,
          });
          return registered;
        });
        directory.invalidate();
        const { change: _change, ...answer } = result;
        return reply.code(201).send(answer);
      });
    },
    { prefix: '/admin' },
  );

  await app.register(
    async (monitor) => {
      monitor.addHook('onRequest', operator);
      useSpineSchemas(monitor);
      monitor.get('/proxy-calls', async (request) => {
        const limit = Number(single(request.query, 'limit') ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          throw badRequest('limit must be a whole number from 1 to 1000', 'INVALID_PARAMETER');
        return { calls: await calls.recent({ traceId: single(request.query, 'traceId'), limit }) };
      });
      monitor.get('/audit', { schema: { querystring: AuditQuery } }, async (request) => {
        const query = request.query as { target?: string; limit?: number };
        return { entries: await spineAudit(store.db, query) };
      });
    },
    { prefix: '/monitor' },
  );

  app.addHook('onClose', async () => {
    await calls.flush();
  });
  return { app, directory, calls };
}
