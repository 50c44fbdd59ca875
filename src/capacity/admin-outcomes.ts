/**
 * How the admin API answers what it cannot do: every failure is an OperationOutcome in JSON, as on
 * the FHIR API, but from the admin API's own error and not-found handlers, so none of the FHIR API's
 * rules (negotiation, JWT, its audit trail) touch an admin request.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONTENT_TYPE } from '../fhir/format.js';
import {
  OperationOutcomeError,
  badRequest,
  internalError,
  methodNotAllowed,
  notFound,
  operationOutcome,
  serviceUnavailable,
  unsupportedMediaType,
} from '../fhir/outcome.js';
import { describeStoreFault, retryAfterSeconds, storeFault } from '../store/faults.js';

function outcomeOf(err: FastifyError | Error, request: FastifyRequest): OperationOutcomeError {
  if (err instanceof OperationOutcomeError) return err;
  const status = (err as FastifyError).statusCode;
  if (status === 415) return unsupportedMediaType('The admin API takes application/json');
  if (status === 413) {
    return new OperationOutcomeError(413, [
      { severity: 'error', code: 'invalid', spineCode: 'BAD_REQUEST', diagnostics: 'Request body is too large' },
    ]);
  }
  if (status && status >= 400 && status < 500) return badRequest(err.message);
  // The database away or unable to write: 503, retryable, never a 500.
  const fault = storeFault(err);
  if (fault) return serviceUnavailable(describeStoreFault(fault), retryAfterSeconds(fault));
  return internalError(`An unexpected error stopped this request; it has been logged with X-Request-ID ${request.id}`);
}

function reply(reply: FastifyReply, error: OperationOutcomeError) {
  return reply
    .code(error.status)
    .type(CONTENT_TYPE.json)
    .headers(error.headers)
    .send(JSON.stringify(operationOutcome(error.issues)));
}

/** A route pattern (`/:tenant/rotas/:id`) as a test of a request path under the plugin's prefix. */
function routeMatcher(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

/** Registers the admin plugin's error handler and its not-found handler (a 405 when only the method is wrong). */
export function registerAdminOutcomes(app: FastifyInstance): void {
  const routes: { matcher: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const matcher = routeMatcher(route.url);
    let entry = routes.find((r) => r.matcher.source === matcher.source);
    if (!entry) routes.push((entry = { matcher, methods: new Set() }));
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) entry.methods.add(m);
  });

  app.setErrorHandler((err, request, answer) => {
    const outcome = outcomeOf(err as Error, request);
    if (outcome.status === 503) request.log.warn({ err }, 'store unavailable');
    else if (outcome.status >= 500) request.log.error({ err }, 'admin request failed');
    return reply(answer, outcome);
  });

  app.setNotFoundHandler((request, answer) => {
    const path = request.url.split('?')[0]!;
    const allowed = routes.find((r) => r.matcher.test(path))?.methods;
    if (allowed) {
      const methods = [...allowed].sort().join(', ');
      answer.header('Allow', methods);
      return reply(answer, methodNotAllowed(`${request.method} is not supported on ${path}; allowed: ${methods}`));
    }
    return reply(answer, notFound(`No resource or interaction at ${path} (URLs are case-sensitive)`));
  });
}
