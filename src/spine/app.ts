/**
 * The national stand-ins on one Fastify instance (`slotbridge spine`):
 *   {spine}/directory   the service directory (DoS)           src/spine/directory
 *   {spine}/endpoints   the endpoint directory (SDS)          src/spine/endpoints
 *   {spine}/proxy       the secure forward proxy (SSP)        src/spine/proxy
 *   {spine}/admin       enrolment of providers and consumers  src/spine/registration.ts
 *   {spine}/monitor     the proxy's call log
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { badRequest } from '../fhir/outcome.js';
import type { Store } from '../store/store.js';
import { directoryRoutes } from './directory/routes.js';
import { endpointRoutes } from './endpoints/routes.js';
import { registerSpineErrors, sendOutcome, single } from './http.js';
import { DirectoryView } from './proxy/authorisation.js';
import { ProxyCallLog } from './proxy/log.js';
import { proxyRoutes } from './proxy/routes.js';
import {
  registerConsumer,
  registerProvider,
  type ConsumerRegistration,
  type ProviderRegistration,
} from './registration.js';

export interface SpineOptions {
  store: Store;
  logger?: FastifyServerOptions['logger'];
  /** The proxy's time limit for a provider's answer (default 30 s). */
  proxyTimeoutMs?: number;
  /** Mutual TLS for the spine's own port (src/spine/tls.ts). */
  https?: { key: Buffer; cert: Buffer; ca: Buffer; requestCert: boolean; rejectUnauthorized: boolean };
  /** The proxy's client certificate for providers served over https. */
  proxyClientTls?: { key: Buffer; cert: Buffer; ca: Buffer };
}

export interface Spine {
  app: FastifyInstance;
  directory: DirectoryView;
  calls: ProxyCallLog;
}

/** The URLs of a spine whose base URL is `base` (no trailing slash). */
export function spineUrls(base: string) {
  return { spine: base, directory: `${base}/directory`, endpoints: `${base}/endpoints`, proxy: `${base}/proxy` };
}

export async function buildSpine(options: SpineOptions): Promise<Spine> {
  const { store } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: () => randomUUID(),
    routerOptions: { caseSensitive: true },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    ...(options.https ? { https: options.https } : {}),
    // URLs the router cannot read (bad percent-encoding) still get an OperationOutcome.
    frameworkErrors: (error, _request, reply) =>
      sendOutcome(reply, badRequest(`${error.message} (the URL could not be read)`)),
  } as FastifyServerOptions);
  const directory = new DirectoryView(store);
  const calls = new ProxyCallLog(store);
  registerSpineErrors(app);

  app.get('/', async (request) => {
    const base = `${'encrypted' in request.raw.socket && request.raw.socket.encrypted ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`;
    return spineUrls(base);
  });

  await app.register(directoryRoutes, { prefix: '/directory', store });
  await app.register(endpointRoutes, { prefix: '/endpoints', store, onChange: () => directory.invalidate() });
  await app.register(proxyRoutes, {
    prefix: '/proxy',
    directory,
    log: calls,
    timeoutMs: options.proxyTimeoutMs,
    tls: options.proxyClientTls,
  });

  await app.register(
    async (admin) => {
      admin.post('/providers', async (request, reply) => {
        const body = request.body as ProviderRegistration | undefined;
        if (!body || typeof body !== 'object')
          throw badRequest('The body must be a JSON object (a provider registration)', 'INVALID_REQUEST_MESSAGE');
        const result = await registerProvider(store.db, body);
        directory.invalidate();
        return reply.code(201).send(result);
      });
      admin.post('/consumers', async (request, reply) => {
        const body = request.body as ConsumerRegistration | undefined;
        if (!body || typeof body !== 'object')
          throw badRequest('The body must be a JSON object (a consumer registration)', 'INVALID_REQUEST_MESSAGE');
        const result = await registerConsumer(store.db, body);
        directory.invalidate();
        return reply.code(201).send(result);
      });
    },
    { prefix: '/admin' },
  );

  app.get('/monitor/proxy-calls', async (request) => {
    const limit = Number(single(request.query, 'limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw badRequest('limit must be a whole number from 1 to 1000', 'INVALID_PARAMETER');
    return { calls: await calls.recent({ traceId: single(request.query, 'traceId'), limit }) };
  });

  app.addHook('onClose', async () => {
    await calls.flush();
  });
  return { app, directory, calls };
}
