/**
 * The web app's capacity area reaches the provider's admin API through this forwarder:
 *
 *   /capacity-api/{tenant}/{path}?{query}  →  {provider origin}/admin/{tenant}/{path}?{query}
 *
 * Method, body, query and the browser's `Authorization` header pass through unchanged, and the
 * provider's status and body (OperationOutcomes included) come back unchanged. The forwarder holds
 * no token of its own: the rota manager signs in with an admin token in the browser, so the
 * provider still decides who may do what and audits it under that token's name. It names the
 * browser's address in `X-Forwarded-For` (set, never passed on from the browser), which a provider
 * that trusts this forwarder limits failed admin tokens by (src/capacity/admin-guard.ts). It knows the
 * provider only by its origin and talks HTTP, like any other client (it imports nothing from
 * src/provider or src/capacity).
 *
 * `GET /capacity-api/` is the forwarder's own answer: the tenants it was told about at start-up, for
 * the sign-in page's list (an empty list means "type the tenant's id").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface CapacityTenant {
  id: string;
  name: string;
}

export interface CapacityProxyOptions {
  /** The provider's origin, e.g. http://localhost:4000 (no path). */
  providerOrigin: string;
  /** The provider's tenants as known when the web server started; shown on the sign-in page. */
  tenants?: CapacityTenant[];
  fetchImpl?: typeof fetch;
  /** How long to wait for the provider's answer before a 504; 30 s unless given. */
  timeoutMs?: number;
}

export const CAPACITY_API_PREFIX = '/capacity-api';

/** Request headers the provider needs; everything else (cookies, the browser's own headers) stays here. */
const FORWARDED_REQUEST_HEADERS = ['authorization', 'content-type', 'accept', 'x-request-id'] as const;
/** Response headers worth passing back to the page. */
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'www-authenticate',
  'location',
  'x-request-id',
  'retry-after',
] as const;

/** An OperationOutcome of the forwarder's own, shaped like the provider's so the pages read both alike. */
function outcome(reply: FastifyReply, status: number, code: string, diagnostics: string) {
  return reply
    .code(status)
    .type('application/json')
    .send({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });
}

/**
 * The admin path to call, from the part of the URL after the prefix, or undefined when a segment
 * could step out of `/admin/{tenant}/` (`.`, `..`, an encoded slash or backslash).
 */
export function adminPath(afterPrefix: string): string | undefined {
  const [rawPath, ...rawQuery] = afterPrefix.split('?');
  const segments = rawPath!.split('/').filter((s) => s !== '');
  if (segments.length === 0) return undefined;
  const clean: string[] = [];
  for (const raw of segments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '.' || segment === '..' || /[/\\]/.test(segment)) return undefined;
    clean.push(encodeURIComponent(segment));
  }
  const query = rawQuery.length ? `?${rawQuery.join('?')}` : '';
  return `/admin/${clean.join('/')}${query}`;
}

function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** A Fastify plugin; register it with `{ prefix: CAPACITY_API_PREFIX }`. */
export async function capacityProxy(app: FastifyInstance, options: CapacityProxyOptions): Promise<void> {
  const origin = options.providerOrigin.replace(/\/+$/, '');
  const fetchImpl = options.fetchImpl ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  // The body goes to the provider as the browser sent it: no parsing, no re-serialising.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((err: Error, _request, reply) => {
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return outcome(reply, status, 'invalid', `The request could not be read: ${err.message}`);
    reply.log.error(err);
    return outcome(reply, 500, 'exception', `The capacity forwarder failed: ${err.message}`);
  });

  app.get('/', async () => ({ provider: origin, tenants: options.tenants ?? [] }));

  app.all('/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const afterPrefix = request.url.slice(request.url.indexOf(CAPACITY_API_PREFIX) + CAPACITY_API_PREFIX.length + 1);
    const path = adminPath(afterPrefix);
    if (!path) return outcome(reply, 400, 'invalid', 'The capacity API is /capacity-api/{tenant}/{admin path}');

    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    headers['x-forwarded-for'] = request.ip;
    const body = request.body instanceof Buffer && request.body.length ? request.body : undefined;
    let response: Response;
    try {
      response = await fetchImpl(`${origin}${path}`, {
        method: request.method,
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError')
        return outcome(reply, 504, 'timeout', `The provider at ${origin} did not answer within ${timeoutMs / 1000} s`);
      return outcome(
        reply,
        502,
        'transient',
        `The provider at ${origin} cannot be reached (${reason(err)}): is it running?`,
      );
    }
    const answer = Buffer.from(await response.arrayBuffer());
    reply.code(response.status);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) reply.header(name, value);
    }
    return reply.send(response.status === 204 || response.status === 304 ? undefined : answer);
  });
}

/** Where the web server was started without a provider: every capacity call says so (503). */
export async function noCapacityProxy(app: FastifyInstance): Promise<void> {
  app.all('/*', async (_request, reply) =>
    outcome(
      reply,
      503,
      'not-supported',
      'This web server was started without a provider for the capacity area (slotbridge start gives it one)',
    ),
  );
  app.get('/', async () => ({ provider: null, tenants: [] }));
}
