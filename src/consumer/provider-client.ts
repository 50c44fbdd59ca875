/**
 * Every call a consumer makes to a provider goes through the secure proxy (C21):
 * `{proxy}/{URL-encoded service root}{FHIR request}` (C19, C20) with `Ssp-TraceID`, `Ssp-From`,
 * `Ssp-To`, `Ssp-InteractionID` (C23–C26), an `X-Request-ID`, and a fresh JWT for the service root
 * with the interaction's scope and the logged-in user (C18). A booking that meets a network failure
 * or a 5xx is retried with the same X-Request-ID, so the provider returns the original result.
 */
import { randomUUID } from 'node:crypto';
import { ConsumerError, failureOf } from './errors.js';
import type { ConsumerIdentity } from './identity.js';
import { consumerToken } from '../fhir/token.js';

export interface Route {
  asid: string;
  serviceRoot: string;
}

export interface FhirCall {
  interaction: string;
  scope: string;
  method: 'GET' | 'POST' | 'PUT';
  /** The FHIR request after the service root: `/Slot?…`, `/Appointment/1`. */
  path: string;
  body?: unknown;
  requestId?: string;
  ifMatch?: string;
  /** Retry a network failure or 5xx (same X-Request-ID). */
  retry?: boolean;
  /** What the call is, for messages: "The slot search". */
  what: string;
}

export interface FhirAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  requestId: string;
  traceId: string;
  correlationId: string | null;
}

export interface CallLog {
  (entry: {
    at: string;
    interaction: string;
    method: string;
    url: string;
    status: number | 'network-error';
    requestId: string;
    traceId: string;
    correlationId: string | null;
    attempt: number;
  }): void;
}

export class ProviderClient {
  constructor(
    private readonly proxy: string,
    private readonly identity: ConsumerIdentity,
    private readonly options: {
      fetchImpl?: typeof fetch;
      onCall?: CallLog;
      retryDelaysMs?: number[];
      timeoutMs?: number;
    } = {},
  ) {}

  /** The URL a call goes to: the proxy, the URL-encoded service root, the FHIR request. */
  url(route: Route, path: string): string {
    return `${this.proxy.replace(/\/+$/, '')}/${encodeURIComponent(route.serviceRoot)}${path}`;
  }

  async call<T = unknown>(route: Route, c: FhirCall): Promise<FhirAnswer<T>> {
    const fetchImpl = this.options.fetchImpl ?? fetch;
    const requestId = c.requestId ?? randomUUID();
    const url = this.url(route, c.path);
    const delays = c.retry ? (this.options.retryDelaysMs ?? [250, 1000]) : [];
    for (let attempt = 1; ; attempt++) {
      const traceId = randomUUID();
      const headers: Record<string, string> = {
        accept: 'application/fhir+json',
        authorization: `Bearer ${consumerToken({ audience: route.serviceRoot, scope: c.scope, requester: this.identity.requester })}`,
        'ssp-traceid': traceId,
        'ssp-from': this.identity.asid,
        'ssp-to': route.asid,
        'ssp-interactionid': c.interaction,
        'x-request-id': requestId,
      };
      if (c.body !== undefined) headers['content-type'] = 'application/fhir+json';
      if (c.ifMatch) headers['if-match'] = c.ifMatch;
      let response: Response | undefined;
      let networkError: Error | undefined;
      try {
        response = await fetchImpl(url, {
          method: c.method,
          headers,
          body: c.body === undefined ? undefined : JSON.stringify(c.body),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 35_000),
        });
      } catch (err) {
        networkError = err as Error;
      }
      const correlationId = response?.headers.get('x-request-id') ?? null;
      this.options.onCall?.({
        at: new Date().toISOString(),
        interaction: c.interaction,
        method: c.method,
        url,
        status: response?.status ?? 'network-error',
        requestId,
        traceId,
        correlationId,
        attempt,
      });
      const transient = networkError !== undefined || (response !== undefined && response.status >= 500);
      if (transient && attempt <= delays.length) {
        await response?.body?.cancel().catch(() => {});
        await new Promise((r) => setTimeout(r, delays[attempt - 1]));
        continue;
      }
      if (!response) {
        const cause = (networkError as Error & { cause?: Error }).cause?.message ?? networkError!.message;
        throw new ConsumerError(
          'network',
          `${c.what} failed: the secure proxy could not be reached (${cause}).` +
            (attempt > 1 ? ` Tried ${attempt} times with the same request ID ${requestId}.` : ''),
          'network',
          { requestId },
        );
      }
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      if (response.status >= 400) throw failureOf(c.what, response.status, body, requestId);
      return { status: response.status, headers: response.headers, body: body as T, requestId, traceId, correlationId };
    }
  }
}
