/**
 * What every spine service shares on the wire: JSON in and out, and every failure as an
 * OperationOutcome (the proxy's own refusals use the SSP codes of docs/standard.md, "Proxy (SSP) errors").
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Duplex } from 'node:stream';
import { faultFrom, routeSchemaCompiler } from '../validation/route-schema.js';
import {
  OperationOutcomeError,
  badRequest,
  internalError,
  notFound,
  operationOutcome,
  serviceUnavailable,
  unsupportedMediaType,
} from '../fhir/outcome.js';
import { describeStoreFault, retryAfterSeconds, storeFault } from '../store/faults.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function sendOutcome(reply: FastifyReply, error: OperationOutcomeError): FastifyReply {
  return reply
    .code(error.status)
    .headers(error.headers)
    .header('cache-control', 'no-store')
    .type(FHIR_JSON)
    .send(JSON.stringify(operationOutcome(error.issues)));
}

/** Errors and unknown routes of a spine instance become OperationOutcomes; a client's mistake is never a 500. */
export function registerSpineErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof OperationOutcomeError) return sendOutcome(reply, err);
    const status = err.statusCode;
    if (status === 415) return sendOutcome(reply, unsupportedMediaType(`${err.message}: send JSON (application/json)`));
    if (status && status >= 400 && status < 500) return sendOutcome(reply, badRequest(err.message));
    // The database away or unable to write: 503, retryable, never a 500.
    const fault = storeFault(err);
    if (fault) {
      request.log.warn(err);
      return sendOutcome(reply, serviceUnavailable(describeStoreFault(fault), retryAfterSeconds(fault)));
    }
    request.log.error(err);
    return sendOutcome(reply, internalError(`An unexpected error stopped this request (${request.id})`));
  });
  app.setNotFoundHandler((request, reply) =>
    sendOutcome(reply, notFound(`No such spine resource: ${request.method} ${request.url.split('?')[0]}`)),
  );
}

/** A query parameter given once, or undefined; repeated parameters are a 400. */
export function single(query: unknown, name: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw badRequest(`Parameter ${name} may be given only once`, 'INVALID_PARAMETER');
  return String(value);
}

/**
 * Route schemas (TypeBox, src/spine/schemas.ts) checked by the shared compiler: a body, query or
 * parameter that does not fit is a 400 OperationOutcome naming the field, before the handler runs.
 */
export function useSpineSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(routeSchemaCompiler);
  app.setSchemaErrorFormatter((errors, part) => {
    const fault = faultFrom(errors, part);
    return badRequest(fault.message, 'INVALID_PARAMETER', [fault.field || part]);
  });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a malformed request line or header,
 * headers over 16 KB, a body without framing) still get an OperationOutcome. A Fastify server option.
 */
export function spineClientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
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
      `Content-Type: ${FHIR_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
