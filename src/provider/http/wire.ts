/**
 * The provider's wire rules (API-1 … API-10): body parsing for FHIR JSON and XML, writing a
 * resource in the negotiated format, and turning every failure into an OperationOutcome.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Resource } from 'fhir/r3.js';
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import { CONTENT_TYPE, type WireFormat } from '../../fhir/format.js';
import {
  OperationOutcomeError,
  badRequest,
  internalError,
  methodNotAllowed,
  notFound,
  operationOutcome,
  serviceUnavailable,
  unsupportedMediaType,
} from '../../fhir/outcome.js';
import { describeStoreFault, retryAfterSeconds, storeFault } from '../../store/faults.js';
import { FhirFormatError, resourceToXml, xmlToResourceWithIgnored } from '../../fhir/xml.js';

const JSON_BODY_TYPES = ['application/fhir+json', 'application/json+fhir', 'application/json'];
const XML_BODY_TYPES = ['application/fhir+xml', 'application/xml+fhir', 'application/xml', 'text/xml'];

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);

/** The compression the caller accepts (API-4), honouring `q=0`; gzip before deflate. */
export function acceptedEncoding(header: string | undefined): 'gzip' | 'deflate' | undefined {
  if (!header) return undefined;
  let deflateOk = false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) <= 0) continue;
    if (name === 'gzip' || name === 'x-gzip') return 'gzip';
    if (name === 'deflate') deflateOk = true;
  }
  return deflateOk ? 'deflate' : undefined;
}

/** Sends a serialised body, compressed (off the event loop) when the caller accepts it (API-4). */
async function deliver(request: FastifyRequest, reply: FastifyReply, body: string | Buffer) {
  const encoding = body.length >= 1024 ? acceptedEncoding(request.headers['accept-encoding']) : undefined;
  if (!encoding) return reply.send(body);
  const compressed = await (encoding === 'gzip' ? gzipAsync : deflateAsync)(body);
  return reply.header('Content-Encoding', encoding).header('Vary', 'Accept-Encoding').send(compressed);
}

/** A request body as parsed from the wire, before any FHIR checks. */
export interface ParsedBody {
  format: WireFormat;
  value: unknown;
  /** Unknown XML elements that were dropped (unknown JSON elements are dropped by the structure check). */
  ignored: string[];
}

export function serialize(format: WireFormat, resource: object): string {
  return format === 'xml' ? resourceToXml(resource) : JSON.stringify(resource);
}

export interface SendOptions {
  status?: number;
  versionId?: string;
  lastUpdated?: string;
  location?: string;
}

/** Writes a resource with the headers API-6 and P26 ask for. */
export function sendResource(
  request: FastifyRequest,
  reply: FastifyReply,
  resource: object,
  options: SendOptions = {},
) {
  const { format } = request.ctx;
  reply.code(options.status ?? 200).type(CONTENT_TYPE[format]);
  if (options.versionId) reply.header('ETag', `W/"${options.versionId}"`);
  if (options.lastUpdated) reply.header('Last-Modified', new Date(options.lastUpdated).toUTCString());
  if (options.location) reply.header('Location', options.location);
  return deliver(request, reply, serialize(format, resource));
}

/** Sends an already serialised body in the negotiated format. */
export function sendSerialized(request: FastifyRequest, reply: FastifyReply, body: string | Buffer, status = 200) {
  return deliver(request, reply.code(status).type(CONTENT_TYPE[request.ctx.format]), body);
}

/** A Resource's `meta.versionId` and `meta.lastUpdated` as send options. */
export function versionOf(resource: Resource): SendOptions {
  return { versionId: resource.meta?.versionId, lastUpdated: resource.meta?.lastUpdated };
}

function toOutcomeError(err: FastifyError | Error, request: FastifyRequest): OperationOutcomeError {
  if (err instanceof OperationOutcomeError) return err;
  if (err instanceof FhirFormatError) return badRequest(err.message, 'INVALID_REQUEST_MESSAGE');
  const code = (err as FastifyError).code;
  const status = (err as FastifyError).statusCode;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return unsupportedMediaType(
        `Content-Type "${request.headers['content-type'] ?? ''}" is not supported: send application/fhir+json or application/fhir+xml`,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OperationOutcomeError(413, [
        { severity: 'error', code: 'invalid', spineCode: 'BAD_REQUEST', diagnostics: 'Request body is too large' },
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('Request body is empty', 'INVALID_REQUEST_MESSAGE');
  }
  if (status && status >= 400 && status < 500) return badRequest(err.message);
  // The database away or unable to write: the client may retry (BOOK-5 replays a booking that was made).
  const fault = storeFault(err);
  if (fault) {
    return serviceUnavailable(
      `${describeStoreFault(fault)}. A booking retried with the same X-Request-ID is never made twice`,
      retryAfterSeconds(fault),
    );
  }
  return internalError(
    `An unexpected error stopped this request; it has been logged with X-Request-ID ${request.ctx?.requestId ?? request.id}`,
  );
}

export function replyWithOutcome(request: FastifyRequest, reply: FastifyReply, error: OperationOutcomeError) {
  const format = request.ctx?.format ?? 'json';
  if (request.ctx) {
    request.ctx.audit.diagnostics = error.message;
    request.ctx.audit.consumerFault = error.consumerFault;
  }
  reply.code(error.status).type(CONTENT_TYPE[format]).headers(error.headers);
  return deliver(request, reply, serialize(format, operationOutcome(error.issues)));
}

function parseJsonBody(text: string): ParsedBody {
  if (text.trim() === '') throw badRequest('Request body is empty', 'INVALID_REQUEST_MESSAGE');
  try {
    return { format: 'json', value: JSON.parse(text), ignored: [] };
  } catch (err) {
    throw badRequest(`Request body is not valid JSON: ${(err as Error).message}`, 'INVALID_REQUEST_MESSAGE');
  }
}

function parseXmlBody(text: string): ParsedBody {
  if (text.trim() === '') throw badRequest('Request body is empty', 'INVALID_REQUEST_MESSAGE');
  const { resource, ignored } = xmlToResourceWithIgnored(text);
  return { format: 'xml', value: resource, ignored };
}

/**
 * Registers body parsers, the error handler and the not-found handler in the FHIR API's plugin. The
 * plugin has no prefix, so its not-found handler answers every URL no other plugin claims.
 */
export function registerWireRules(app: FastifyInstance, knownPaths: (path: string) => string[] | undefined) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_BODY_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser(XML_BODY_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseXmlBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const outcome = toOutcomeError(err as Error, request);
    if (outcome.status === 503) request.log.warn({ err }, 'store unavailable');
    else if (outcome.status >= 500) request.log.error({ err }, 'request failed');
    return replyWithOutcome(request, reply, outcome);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = knownPaths(path);
    if (allowed) {
      reply.header('Allow', allowed.join(', '));
      return replyWithOutcome(
        request,
        reply,
        methodNotAllowed(`${request.method} is not supported on ${path}; allowed: ${allowed.join(', ')}`),
      );
    }
    return replyWithOutcome(
      request,
      reply,
      notFound(`No resource or interaction at ${path} (URLs are case-sensitive)`),
    );
  });
}
