/**
 * The secure proxy (a stand-in for the Spine Secure Proxy), mounted at `{spine}/proxy`. A consumer
 * calls `{proxy}/{provider service root}/{FHIR request}` with the Ssp-* headers; the proxy checks
 * them against the endpoint directory (and, under mutual TLS, the sender's client certificate
 * against the one bound to its ASID), then forwards method, query, body and the request headers the
 * standard names (FORWARDED_REQUEST_HEADERS), adds an RFC 7239 `Forwarded` header, and streams the
 * provider's answer back with the answer headers a consumer needs (FORWARDED_ANSWER_HEADERS). It
 * connects only to addresses the operator allows (address-policy.ts). When it will not or cannot
 * pass a call on, it answers itself (errors.ts); every connection failure gets the same answer, its
 * details go only to the operator's call log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { Agent, buildConnector, errors as undiciErrors, request as forward, type Dispatcher } from 'undici';
import { formatOfMediaType } from '../../fhir/format.js';
import { certificateMatches } from '../certificate.js';
import { INTERACTION_RULES, canonicalInteraction } from '../interactions.js';
import { FHIR_JSON } from '../http.js';
import { peerOf } from '../tls.js';
import { TargetAddressPolicy, type TargetAddressOptions } from './address-policy.js';
import type { DirectoryView } from './authorisation.js';
import { ProxyRefusal } from './errors.js';
import { loggedTarget, type ProxyCallLog } from './log.js';
import { pathUnderRoot, targetOf } from './target.js';

export interface ProxyOptions {
  directory: DirectoryView;
  log: ProxyCallLog;
  /** How long the provider may take to answer (headers, and between body chunks). Default 30 s. */
  timeoutMs?: number;
  /** TLS client options (certificate, key, CA) for calls to providers over https. */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer };
  /** Which non-public addresses the proxy may reach (default: none). */
  targets?: TargetAddressOptions;
  /** Mutual TLS is on: a sender must present the client certificate bound to its ASID. */
  bindSenderCertificates?: boolean;
}

interface CallRecord {
  start: bigint;
  traceId: string | null;
  from: string | null;
  to: string | null;
  interaction: string | null;
  target: string | null;
  answeredBy: 'proxy' | 'provider';
  reason: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASID = /^\d{1,20}$/;

/**
 * The request headers passed on to the provider: the ones docs/standard.md names for a booking call
 * (the JWT, the Ssp-* headers, content negotiation, X-Request-ID, FHIR's conditional and Prefer
 * headers) and the body's framing. Anything else (cookies, Host, Expect, proxy and hop-by-hop
 * headers, a caller's own X- headers) stays at the proxy; `Forwarded` is the proxy's own (appended).
 */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = [
  'accept',
  'accept-encoding',
  'authorization',
  'content-type',
  'content-length',
  'content-encoding',
  'ssp-traceid',
  'ssp-from',
  'ssp-to',
  'ssp-interactionid',
  'x-request-id',
  'x-correlation-id',
  'prefer',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-none-exist',
];

/** The provider's answer headers passed back: what a consumer reads (API-5, API-6, API-9, Location, 401/405/503 hints). */
export const FORWARDED_ANSWER_HEADERS: readonly string[] = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-location',
  'location',
  'etag',
  'last-modified',
  'cache-control',
  'vary',
  'x-request-id',
  'x-correlation-id',
  'retry-after',
  'www-authenticate',
  'allow',
];

/** What a consumer is told for every connection failure, so the answer says nothing about what is behind the address. */
const UNREACHABLE = 'the target could not be reached';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function required(request: FastifyRequest, name: string, pattern: RegExp, what: string): string {
  const value = header(request, name.toLowerCase());
  if (value === undefined || value.trim() === '')
    throw new ProxyRefusal('SSP_HEADER_MISSING', `the ${name} header is missing`);
  if (!pattern.test(value))
    throw new ProxyRefusal('SSP_HEADER_INVALID', `${name} must be ${what}, not ${JSON.stringify(value.slice(0, 100))}`);
  return value;
}

/** `for`, `by`, `host`, `proto` of RFC 7239, appended to any Forwarded header already there. */
function forwardedHeader(request: FastifyRequest): string {
  const node = (address: string | undefined, port: number | undefined) => {
    if (!address) return 'unknown';
    const host = address.includes(':') ? `[${address}]` : address;
    return `"${host}${port ? `:${port}` : ''}"`;
  };
  const socket = request.raw.socket;
  const proto = 'encrypted' in socket && socket.encrypted ? 'https' : 'http';
  const element =
    `for=${node(socket.remoteAddress, socket.remotePort)};by=${node(socket.localAddress, socket.localPort)};` +
    `host="${header(request, 'host') ?? ''}";proto=${proto}`;
  const earlier = request.headers.forwarded;
  return earlier ? `${Array.isArray(earlier) ? earlier.join(', ') : earlier}, ${element}` : element;
}

function picked(
  headers: Record<string, string | string[] | undefined>,
  names: readonly string[],
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function outgoingHeaders(request: FastifyRequest): Record<string, string | string[]> {
  return { ...picked(request.headers, FORWARDED_REQUEST_HEADERS), forwarded: forwardedHeader(request) };
}

/** The provider accepted the connection but did not answer in time (a connection that never opens is unreachable). */
function isTimeout(err: unknown): boolean {
  return err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError;
}

/** The error's message with its causes and codes, for the operator's call log only. */
function detailsOf(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err as (Error & { code?: string; cause?: unknown }) | undefined, n = 0;
    e && n < 4;
    e = e.cause as typeof e, n++
  )
    parts.push(`${e.message}${e.code ? ` (${e.code})` : ''}`);
  return parts.join(': ').slice(0, 500);
}

/**
 * undici's connector, but only to allowed addresses: a literal address in the URL is checked here,
 * a host name's addresses when it is resolved (the policy's `lookup`), at every new connection.
 */
function guardedConnector(policy: TargetAddressPolicy, options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector({ ...options, lookup: policy.lookup } as buildConnector.BuildOptions);
  return (target, callback) => {
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (TargetAddressPolicy.isLiteral(host)) {
      try {
        policy.check(host, host);
      } catch (refused) {
        callback(refused as Error, null);
        return;
      }
    }
    connect(target, callback);
  };
}

export async function proxyRoutes(app: FastifyInstance, opts: ProxyOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const policy = new TargetAddressPolicy(opts.targets);
  const dispatcher: Dispatcher = new Agent({
    keepAliveTimeout: 10_000,
    connect: guardedConnector(policy, { ...(opts.tls ?? {}), timeout: timeoutMs }),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  app.addHook('onClose', async () => {
    await dispatcher.close();
  });

  // Bodies are passed on as they arrive, never parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const calls = new WeakMap<FastifyRequest, CallRecord>();
  const prefix = `${app.prefix}/`;

  function refuse(request: FastifyRequest, reply: FastifyReply, refusal: ProxyRefusal) {
    const call = calls.get(request);
    if (call) {
      call.answeredBy = 'proxy';
      call.reason = `${refusal.check}: ${refusal.message}`;
    }
    return reply
      .code(refusal.status)
      .header('cache-control', 'no-store')
      .type(FHIR_JSON)
      .send(JSON.stringify(refusal.outcome()));
  }

  async function check(request: FastifyRequest, call: CallRecord): Promise<URL> {
    call.traceId = required(request, 'Ssp-TraceID', UUID, 'a UUID');
    call.from = required(request, 'Ssp-From', ASID, "the sender's ASID (digits)");
    call.to = required(request, 'Ssp-To', ASID, "the receiver's ASID (digits)");
    const interactionId = required(request, 'Ssp-InteractionID', /^urn:[^\s]{1,250}$/, 'an interaction ID (urn:…)');
    call.interaction = interactionId;
    const target = targetOf(request.raw.url ?? '', prefix);
    call.target = loggedTarget(target);

    const interaction = canonicalInteraction(interactionId);
    if (!interaction)
      throw new ProxyRefusal(
        'SSP_SENDER_NOT_AUTHORISED',
        `no system is authorised for ${interactionId}: it is not a booking interaction`,
      );
    const rule = INTERACTION_RULES[interaction];
    if (request.method !== rule.method)
      throw new ProxyRefusal(
        'SSP_METHOD_NOT_ALLOWED',
        `${request.method} is not allowed for ${interactionId} (use ${rule.method})`,
      );
    if (request.method === 'POST' || request.method === 'PUT') {
      const type = header(request, 'content-type');
      if (!formatOfMediaType(type))
        throw new ProxyRefusal(
          'SSP_UNSUPPORTED_MEDIA_TYPE',
          `${type ? `Content-Type ${type}` : 'a body without a Content-Type'} is not FHIR JSON or XML`,
        );
    }
    if (!(await opts.directory.mayUse(call.from, interaction))) {
      throw new ProxyRefusal(
        'SSP_SENDER_NOT_AUTHORISED',
        `sender ASID ${call.from} is not registered for ${interactionId}`,
      );
    }
    if (opts.bindSenderCertificates) {
      // Under mutual TLS an ASID sends only with the client certificate bound to it at registration.
      const bound = (await opts.directory.system(call.from))?.clientCertificate;
      const peer = peerOf(request);
      if (!bound)
        throw new ProxyRefusal(
          'SSP_SENDER_NOT_AUTHORISED',
          `no client certificate is bound to sender ASID ${call.from}, so it may not send`,
        );
      if (!peer || !certificateMatches(bound, peer))
        throw new ProxyRefusal(
          'SSP_SENDER_NOT_AUTHORISED',
          `the client certificate presented (${peer?.subject ?? 'none'}) is not the one bound to sender ASID ${call.from}`,
        );
    }
    if (!(await opts.directory.mayUse(call.to, interaction))) {
      throw new ProxyRefusal(
        'SSP_RECEIVER_NOT_AUTHORISED',
        `receiver ASID ${call.to} is not registered for ${interactionId}`,
      );
    }
    const roots = await opts.directory.endpointsOf(call.to, interaction);
    const path = roots.map((root) => pathUnderRoot(target, root)).find((p) => p !== undefined);
    if (path === undefined) {
      throw new ProxyRefusal(
        'SSP_TARGET_MISMATCH',
        `${target.origin}${target.pathname} is not under the endpoint registered for ASID ${call.to} and ${interactionId}` +
          (roots.length ? ` (${roots.join(', ')})` : ' (none is registered)'),
      );
    }
    if (!rule.path.test(path))
      throw new ProxyRefusal(
        'SSP_TARGET_MISMATCH',
        `${interactionId} cannot carry the FHIR request ${request.method} ${path || '/'}`,
      );
    return target;
  }

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'],
    url: '/*',
    handler: async (request, reply) => {
      const call: CallRecord = {
        start: process.hrtime.bigint(),
        traceId: null,
        from: null,
        to: null,
        interaction: null,
        target: null,
        answeredBy: 'proxy',
        reason: null,
      };
      calls.set(request, call);
      let target: URL;
      try {
        target = await check(request, call);
      } catch (err) {
        if (err instanceof ProxyRefusal) return refuse(request, reply, err);
        throw err;
      }
      try {
        const answer = await forward(target, {
          method: request.method as Dispatcher.HttpMethod,
          headers: outgoingHeaders(request),
          body: request.body as Readable | undefined,
          dispatcher,
        });
        call.answeredBy = 'provider';
        return reply
          .code(answer.statusCode)
          .headers(picked(answer.headers, FORWARDED_ANSWER_HEADERS))
          .send(answer.body);
      } catch (err) {
        if (isTimeout(err))
          return refuse(
            request,
            reply,
            new ProxyRefusal('SSP_TARGET_TIMEOUT', `the target did not answer within ${timeoutMs} ms`),
          );
        // Refused address, closed port, reset, a non-HTTP answer, TLS or DNS failure: one answer for all.
        const refusal = new ProxyRefusal('SSP_TARGET_UNREACHABLE', UNREACHABLE);
        const answer = refuse(request, reply, refusal);
        call.reason = `SSP_TARGET_UNREACHABLE: ${target.origin}: ${detailsOf(err)}`;
        request.log.warn({ target: target.origin, err: detailsOf(err) }, 'proxy: target unreachable');
        return answer;
      }
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const call = calls.get(request);
    if (!call) return;
    opts.log.add({
      at: new Date().toISOString(),
      trace_id: call.traceId,
      from_asid: call.from,
      to_asid: call.to,
      interaction: call.interaction,
      method: request.method,
      target: call.target,
      status: reply.statusCode,
      latency_ms: Number(process.hrtime.bigint() - call.start) / 1e6,
      answered_by: call.answeredBy,
      reason: call.reason,
    });
  });
}
