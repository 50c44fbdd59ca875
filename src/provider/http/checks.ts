/**
 * The checks every provider request passes before its handler runs, in this order: ids and
 * cache headers (API-5, API-9), content negotiation (API-2, API-3), the peer (only the proxy, when so
 * configured: peer.ts), the formats of X-Request-ID and the Ssp-* headers (and that Ssp-InteractionID
 * names this request's interaction), tenant, JWT (P1–P4) and the
 * tenant's consumer policy (P7). Afterwards every request is written to the audit trail (P5, P35),
 * with the peer's address, its client certificate and any Forwarded header.
 * Registered inside the FHIR API's plugin, so they run for its routes and its not-found answers only.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tenant } from '../../store/schema.js';
import { negotiate } from '../../fhir/format.js';
import { badRequest, forbidden, notFound, unsupportedMediaType } from '../../fhir/outcome.js';

/** Longer X-Request-IDs are refused, not cut: a cut id could merge two consumers' retries (API-9). */
export const MAX_REQUEST_ID = 256;
import type { AuditTrail } from '../audit/trail.js';
import { authorise, parseBearerTokenCached } from '../auth/jwt.js';
import { sameInteraction, type Interaction } from '../interactions.js';
import type { TenantDirectory } from '../tenants.js';
import type { PeerPolicy } from './peer.js';

/** The formats the standard gives the Ssp-* headers (docs/standard.md; the proxy checks the same). */
const SSP_FORMATS: { name: string; pattern: RegExp; what: string }[] = [
  {
    name: 'Ssp-TraceID',
    pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    what: 'a UUID',
  },
  { name: 'Ssp-From', pattern: /^\d{1,20}$/, what: "the sender's ASID (digits)" },
  { name: 'Ssp-To', pattern: /^\d{1,20}$/, what: "the receiver's ASID (digits)" },
  {
    name: 'Ssp-InteractionID',
    pattern: /^urn:nhs:names:services:[a-z0-9:._-]{1,200}$/i,
    what: 'an interaction ID (urn:nhs:names:services:…)',
  },
];

function header(request: FastifyRequest, name: string, maxLength = 16 * 1024): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  return trimmed ? trimmed.slice(0, maxLength) : undefined;
}

/**
 * The Ssp-* headers, when present, must have the standard's formats, and Ssp-InteractionID must name
 * the interaction this request is; a proxy-only provider requires them (the proxy always sends them).
 */
function checkSspHeaders(request: FastifyRequest, interaction: Interaction | undefined, required: boolean): void {
  for (const { name, pattern, what } of SSP_FORMATS) {
    const raw = request.headers[name.toLowerCase()];
    if (Array.isArray(raw)) throw badRequest(`${name} must be sent once`, 'BAD_REQUEST', [name]);
    const value = raw?.trim();
    if (!value) {
      if (required) throw badRequest(`${name} is missing: calls through the proxy carry it`, 'BAD_REQUEST', [name]);
      continue;
    }
    if (!pattern.test(value))
      throw badRequest(`${name} must be ${what}, not ${JSON.stringify(value.slice(0, 100))}`, 'BAD_REQUEST', [name]);
    if (name === 'Ssp-InteractionID' && interaction && !sameInteraction(value, interaction.id)) {
      throw badRequest(
        `Ssp-InteractionID ${value} does not match this request (${request.method} is ${interaction.id})`,
        'BAD_REQUEST',
        [name],
      );
    }
  }
}

export function registerRequestChecks(
  app: FastifyInstance,
  tenants: TenantDirectory,
  audit: AuditTrail,
  peers: PeerPolicy,
) {
  app.decorateRequest('ctx', null as never);

  // Callback-style hooks: they run for every request, and most requests need no promise at all.
  app.addHook('onRequest', (request, reply, done) => {
    try {
      const correlationId = header(request, 'x-request-id');
      request.ctx = { requestId: request.id, correlationId, format: 'json', startedAt: performance.now(), audit: {} };
      reply.header('X-Request-ID', request.id);
      if (correlationId) reply.header('X-Correlation-ID', correlationId);
      reply.header('Cache-Control', 'no-store');

      const query = request.query as Record<string, string | string[]>;
      const negotiated = negotiate(query?._format, request.headers.accept, request.headers['content-type']);
      request.ctx.format = negotiated.format;
      // Only the proxy, when so configured: anyone else learns nothing more than a 403.
      const peer = peers.of(request);
      request.ctx.peer = peer;
      if (peer.refusal) throw forbidden(peer.refusal);
      if ('unsupported' in negotiated) {
        throw unsupportedMediaType(
          `${negotiated.unsupported} asks for a format this server does not speak: use application/fhir+json or application/fhir+xml`,
        );
      }

      // The store has not taken audit rows for a while and the spool is full: nothing is served unaudited.
      const refusal = audit.refusal();
      if (refusal) throw refusal;

      if (correlationId && (correlationId.length > MAX_REQUEST_ID || !/^[\x21-\x7e]+$/.test(correlationId))) {
        throw badRequest(`X-Request-ID must be at most ${MAX_REQUEST_ID} visible ASCII characters (a UUID is usual)`);
      }
      // PostgreSQL text cannot hold NUL; no FHIR id or search value contains one.
      if (request.url.includes('%00')) throw badRequest('The URL holds a NUL character (%00)');

      const interaction = request.routeOptions.config.interaction;
      checkSspHeaders(request, interaction, peers.proxyOnly);
      if (!interaction) return done(); // no such route: the not-found handler answers
      request.ctx.interaction = interaction;

      const tenantId = (request.params as { tenant?: string }).tenant ?? '';
      const found = tenants.find(tenantId);
      if (found instanceof Promise) {
        found.then((tenant) => {
          try {
            admit(request, tenantId, tenant);
            done();
          } catch (err) {
            done(err as Error);
          }
        }, done);
        return;
      }
      admit(request, tenantId, found);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  /** Tenant (404), JWT (P1–P4, 401) and the tenant's consumer policy (P7, 403). */
  function admit(request: FastifyRequest, tenantId: string, tenant: Tenant | undefined): void {
    if (!tenant) throw notFound(`No provider organisation "${tenantId}" is served here`);
    const ctx = request.ctx;
    ctx.tenant = tenant;
    ctx.serviceRoot = tenants.serviceRoot(tenant.id);
    const identity = parseBearerTokenCached(header(request, 'authorization'));
    ctx.identity = identity;
    authorise(identity, { audience: ctx.serviceRoot, scope: ctx.interaction!.scope });
    if (tenants.refuses(tenant.id, identity.organisation.ods)) {
      throw forbidden(`${tenant.name} does not accept requests from organisation ${identity.organisation.ods}`);
    }
  }

  app.addHook('onResponse', (request, reply, done) => {
    done();
    const ctx = request.ctx;
    if (!ctx) return;
    const identity = ctx.identity;
    const status = reply.statusCode;
    const peer = ctx.peer ?? peers.of(request);
    const forwarded = Array.isArray(request.headers.forwarded)
      ? request.headers.forwarded.join(', ')
      : request.headers.forwarded;
    audit.record({
      at: new Date().toISOString(),
      tenant_id: ctx.tenant?.id ?? null,
      method: request.method,
      path: request.url.slice(0, 2000),
      interaction: ctx.interaction?.name ?? null,
      status,
      outcome: status < 400 ? 'success' : status < 500 ? 'client-error' : 'server-error',
      diagnostics: ctx.audit.diagnostics?.slice(0, 2000) ?? null,
      consumer_fault: ctx.audit.consumerFault ? 1 : 0,
      request_id: ctx.requestId,
      correlation_id: ctx.correlationId ?? null,
      ssp_trace_id: header(request, 'ssp-traceid') ?? null,
      ssp_from: header(request, 'ssp-from') ?? null,
      ssp_to: header(request, 'ssp-to') ?? null,
      ssp_interaction_id: header(request, 'ssp-interactionid') ?? null,
      organisation_ods: identity?.organisation.ods ?? null,
      organisation_name: identity?.organisation.name ?? null,
      device_id: identity ? `${identity.device.system}|${identity.device.value}` : null,
      device_model: identity?.device.model ?? null,
      device_version: identity?.device.version ?? null,
      practitioner_id: identity?.practitioner?.id ?? identity?.subject ?? null,
      practitioner_name: identity?.practitioner?.name ?? null,
      practitioner_sds_user_id: identity?.practitioner?.sdsUserId ?? null,
      practitioner_sds_role_profile_id: identity?.practitioner?.sdsRoleProfileId ?? null,
      resource_type: ctx.audit.resourceType ?? null,
      resource_id: ctx.audit.resourceId ?? null,
      version_id: ctx.audit.versionId ?? null,
      duration_ms: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
      peer_address: peer.address,
      peer_certificate: peer.certificate?.slice(0, 500) ?? null,
      forwarded: forwarded?.slice(0, 1000) ?? null,
      via_proxy: peer.isProxy === undefined ? null : peer.isProxy ? 1 : 0,
    });
  });
}
