/**
 * The secure proxy (a stand-in for the Spine Secure Proxy), mounted at `{spine}/proxy`. A consumer
 * calls `{proxy}/{provider service root}/{FHIR request}` with the Ssp-* headers; the proxy checks
 * them against the endpoint directory, then forwards method, headers, query and body unchanged,
 * adds an RFC 7239 `Forwarded` header, and streams the provider's answer back. When it will not or
 * cannot pass a call on, it answers itself (errors.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent, errors as undiciErrors, request as forward, type Dispatcher } from 'undici';
import { formatOfMediaType } from '../../fhir/format.js';
import { INTERACTION_RULES, canonicalInteraction } from '../interactions.js';
import { FHIR_JSON } from '../http.js';
import type { DirectoryView } from './authorisation.js';
import { ProxyRefusal } from './errors.js';
import type { ProxyCallLog } from './log.js';
import { pathUnderRoot, targetOf } from './target.js';

export interface ProxyOptions {
  directory: DirectoryView;
  log: ProxyCallLog;
  /** How long the provider may take to answer (headers, and between body chunks). Default 30 s. */
  timeoutMs?: number;
  /** TLS client options (certificate, key, CA) for calls to providers over https. */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer };
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
/** Headers that belong to one connection and are never passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

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

function outgoingHeaders(request: FastifyRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers as IncomingHttpHeaders)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  out.forwarded = forwardedHeader(request);
  return out;
}

function answerHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function isTimeout(err: unknown): boolean {
  return (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  );
}

export async function proxyRoutes(app: FastifyInstance, opts: ProxyOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const dispatcher: Dispatcher = new Agent({
    keepAliveTimeout: 10_000,
    connect: opts.tls ? { ...opts.tls, timeout: timeoutMs } : { timeout: timeoutMs },
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
    call.target = target.href;

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
        return reply.code(answer.statusCode).headers(answerHeaders(answer.headers)).send(answer.body);
      } catch (err) {
        const timedOut = isTimeout(err);
        return refuse(
          request,
          reply,
          new ProxyRefusal(
            timedOut ? 'SSP_TARGET_TIMEOUT' : 'SSP_TARGET_UNREACHABLE',
            `${target.origin}${timedOut ? ` did not answer within ${timeoutMs} ms` : `: ${(err as Error).message}`}`,
          ),
        );
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
