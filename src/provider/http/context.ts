/**
 * What the provider knows about a request once its cross-cutting checks have run: ids, format,
 * tenant, interaction and the consumer's identity. Route handlers read it; they never parse a
 * token or pick a serializer themselves.
 */
import type { WireFormat } from '../../fhir/format.js';
import type { Tenant } from '../../store/schema.js';
import type { ConsumerIdentity } from '../auth/jwt.js';
import type { Interaction } from '../interactions.js';
import type { Peer } from './peer.js';

export interface RequestContext {
  /** Our id for this request, sent back as X-Request-ID. */
  requestId: string;
  /** The caller's X-Request-ID, echoed as X-Correlation-ID and used for booking retries (API-9). */
  correlationId?: string;
  format: WireFormat;
  tenant?: Tenant;
  /** `{public origin}/STU3/1/{tenant}`: the JWT audience and the base of every URL we emit. */
  serviceRoot?: string;
  interaction?: Interaction;
  identity?: ConsumerIdentity;
  /** Who is on the other end of the connection (peer.ts). */
  peer?: Peer;
  startedAt: number;
  /** Filled by handlers for the audit trail. */
  audit: {
    resourceType?: string;
    resourceId?: string;
    versionId?: string;
    diagnostics?: string;
    consumerFault?: boolean;
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyContextConfig {
    interaction?: Interaction;
  }
}

/** The context of a request that passed the tenant and JWT checks. */
export interface AuthorisedContext extends RequestContext {
  tenant: Tenant;
  serviceRoot: string;
  identity: ConsumerIdentity;
  interaction: Interaction;
}

export function authorised(ctx: RequestContext): AuthorisedContext {
  if (!ctx.tenant || !ctx.serviceRoot || !ctx.identity || !ctx.interaction) {
    throw new Error('route reached without tenant, interaction and identity: hook order is wrong');
  }
  return ctx as AuthorisedContext;
}
