/**
 * The provider's server: the FHIR API (src/provider) and the capacity admin API (src/capacity) on one
 * Fastify instance and one port. Each is an encapsulated plugin with its own hooks, body parsers and
 * error handling; the FHIR API has no prefix, so it also answers every URL outside `/admin`. Only
 * what no plugin can see is set here: request ids, limits, TLS, and the OperationOutcomes for
 * requests that never reach a route.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { adminRoutes, type AdminOptions } from '../capacity/admin.js';
import {
  clientErrorHandler,
  frameworkErrors,
  prepareFhirApi,
  type FhirApi,
  type FhirApiOptions,
} from '../provider/app.js';
import type { AuditTrail } from '../provider/audit/trail.js';
import type { TenantDirectory } from '../provider/tenants.js';

export interface ProviderServerOptions extends FhirApiOptions {
  logger?: FastifyServerOptions['logger'];
  /** The operator's admin API token (every tenant), accepted besides those made by `slotbridge provider admin-token`. */
  adminToken?: string;
  /** The admin API's trusted proxies and its limit on failed credentials (src/capacity/admin-guard.ts). */
  admin?: Omit<AdminOptions, 'store' | 'adminToken'>;
  /** Serve over TLS; with `requestCert` and `rejectUnauthorized`, mutual TLS (src/spine/tls.ts builds these). */
  https?: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean };
}

export interface ProviderServer {
  app: FastifyInstance;
  tenants: TenantDirectory;
  audit: AuditTrail;
  cacheStats: FhirApi['cacheStats'];
}

export async function buildProviderServer(options: ProviderServerOptions): Promise<ProviderServer> {
  const fhir = await prepareFhirApi(options);
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    routerOptions: { caseSensitive: true },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    clientErrorHandler,
    frameworkErrors,
    ...(options.https ? { https: options.https } : {}),
  });
  await app.register(fhir.plugin);
  await app.register(adminRoutes, {
    prefix: '/admin',
    ...options.admin,
    store: options.store,
    adminToken: options.adminToken,
  });
  return { app, tenants: fhir.tenants, audit: fhir.audit, cacheStats: fhir.cacheStats };
}
