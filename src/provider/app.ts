/**
 * The provider FHIR API, serving every tenant under `/STU3/1/{tenant}`, as one encapsulated Fastify
 * plugin: its cross-cutting rules (ids, negotiation, FHIR body parsers, JWT, audit, the
 * OperationOutcome error and not-found handlers) are registered once, here, and apply to its own
 * routes and to every URL no other plugin claims. Each interaction is a module of its own. The
 * server that hosts it (with the admin API beside it) is put together in src/server/provider.ts.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyServerOptions } from 'fastify';
import type { Duplex } from 'node:stream';
import { badRequest, operationOutcome } from '../fhir/outcome.js';
import type { Store } from '../store/store.js';
import { registerBook } from './appointment/book.js';
import { registerCancel } from './appointment/cancel.js';
import { registerRead } from './appointment/read.js';
import { registerSearch } from './appointment/search.js';
import { AuditTrail } from './audit/trail.js';
import { registerRequestChecks } from './http/checks.js';
import { PeerPolicy, type PeerOptions } from './http/peer.js';
import { registerWireRules, replyWithOutcome } from './http/wire.js';
import { registerMetadata } from './metadata.js';
import { registerResourceReads } from './resources/read.js';
import { tokenCacheStats } from './auth/jwt.js';
import { registerSlotSearch, type CacheStats, type SlotSearchOptions } from './slot/search.js';
import { TenantDirectory } from './tenants.js';

export interface FhirApiOptions {
  store: Store;
  /** The origin consumers reach us at (JWT `aud` and every URL we emit start with it). */
  publicOrigin: string;
  slotSearch?: SlotSearchOptions;
  auditFlushMs?: number;
  /** Take calls only from the proxy (by address and/or client certificate): src/provider/http/peer.ts. */
  peers?: PeerOptions;
  /** Most audit rows held while the store cannot write them (default 20,000); then requests are refused. */
  auditSpoolRows?: number;
}

export interface FhirApi {
  tenants: TenantDirectory;
  audit: AuditTrail;
  /** Register it as it is: wrapped in fastify-plugin its hooks would reach the server's other plugins. */
  plugin: FastifyPluginAsync;
  /** The size of each cache and its bound (every cache is bounded: docs/security.md). */
  cacheStats(): { slotSearch: CacheStats; tokens: CacheStats };
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over 16 KB, malformed
 * request lines) still get an OperationOutcome (API-7). A Fastify server option.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify(
    operationOutcome([
      {
        severity: 'error',
        code: tooLarge ? 'too-long' : 'invalid',
        spineCode: 'BAD_REQUEST',
        diagnostics: tooLarge ? 'Request headers are too large (over 16 KB)' : `Malformed HTTP request: ${err.message}`,
      },
    ]),
  );
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

function routeMatcher(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

/**
 * Requests Fastify's router cannot read (bad percent-encoding, over-long ids) reach no plugin; they
 * still get an OperationOutcome. A Fastify server option.
 */
export const frameworkErrors: FastifyServerOptions['frameworkErrors'] = (error, request, reply) => {
  request.ctx ??= { requestId: request.id, format: 'json', startedAt: performance.now(), audit: {} };
  reply.header('X-Request-ID', request.id).header('Cache-Control', 'no-store');
  const correlation = request.headers['x-request-id'];
  if (typeof correlation === 'string' && correlation.trim()) reply.header('X-Correlation-ID', correlation.trim());
  return replyWithOutcome(request, reply, badRequest(`${error.message} (the URL could not be read)`));
};

/** Loads the tenants and starts the audit trail; the plugin then serves them. */
export async function prepareFhirApi(options: FhirApiOptions): Promise<FhirApi> {
  const { store } = options;
  const peers = new PeerPolicy(options.peers); // throws on an address list it cannot read, before anything starts
  const tenants = new TenantDirectory(store, options.publicOrigin);
  await tenants.load();
  const audit = new AuditTrail(store, { flushMs: options.auditFlushMs, spoolRows: options.auditSpoolRows });
  let slotSearchStats = (): CacheStats => ({ entries: 0, bytes: 0, maxBytes: 0 });

  const plugin = async (app: FastifyInstance) => {
    // Which methods each route pattern takes, so a wrong method is a 405 rather than a 404.
    const routes: { matcher: RegExp; methods: Set<string> }[] = [];
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      let entry = routes.find((r) => r.matcher.source === routeMatcher(route.url).source);
      if (!entry) routes.push((entry = { matcher: routeMatcher(route.url), methods: new Set() }));
      for (const m of methods) entry.methods.add(m);
    });

    registerWireRules(app, (path) => {
      const entry = routes.find((r) => r.matcher.test(path));
      return entry ? [...entry.methods].sort() : undefined;
    });
    registerRequestChecks(app, tenants, audit, peers);

    registerMetadata(app);
    slotSearchStats = registerSlotSearch(app, store, options.slotSearch);
    registerBook(app, store);
    registerRead(app, store);
    registerSearch(app, store);
    registerCancel(app, store);
    registerResourceReads(app, store);

    app.addHook('onClose', async () => {
      await audit.close();
    });
  };
  return { tenants, audit, plugin, cacheStats: () => ({ slotSearch: slotSearchStats(), tokens: tokenCacheStats() }) };
}
