/**
 * The consumer's view of the national services over HTTP: the directory (service discovery) and the
 * endpoint directory (the two-step endpoint look-up). The shapes are the spine's wire contract
 * (docs/spine.md, docs/directory.md); the consumer imports none of the spine's code.
 */
import { ConsumerError, outcomeText } from './errors.js';
import type { OperationOutcome } from 'fhir/r3.js';

export interface DirectoryEndpoint {
  order: number;
  transport: string;
  format: string;
  interaction: string;
  address: string;
  businessScenario?: string;
}

export interface DirectoryAttribute {
  name: string;
  value: string;
  dataType?: string;
  description?: string;
}

export interface ServiceSummary {
  rank: number;
  id: string;
  name: string;
  type: string;
  address: string[];
  postcode?: string;
  distanceKm: number | null;
  distanceMiles: number | null;
  openNow: boolean;
  nextOpen?: string;
  attributes: DirectoryAttribute[];
}

export interface ServiceDetails extends Omit<
  ServiceSummary,
  'rank' | 'distanceKm' | 'distanceMiles' | 'openNow' | 'nextOpen'
> {
  endpoints: DirectoryEndpoint[];
  dispositions: string[];
}

export interface AccreditedSystem {
  uniqueIdentifier: string;
  nhsMHSPartyKey: string;
  nhsIDCode: string;
  name: string;
  nhsAsSvcIA: string[];
}

export interface MessageHandlingService {
  uniqueIdentifier: string;
  nhsMHSPartyKey: string;
  nhsMhsSvcIA: string;
  nhsMHSEndPoint: string;
}

export interface SpineUrls {
  spine: string;
  directory: string;
  endpoints: string;
  proxy: string;
}

export function spineUrlsOf(spine: string): SpineUrls {
  const base = spine.replace(/\/+$/, '');
  return { spine: base, directory: `${base}/directory`, endpoints: `${base}/endpoints`, proxy: `${base}/proxy` };
}

export class SpineClient {
  readonly urls: SpineUrls;

  constructor(
    spine: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.urls = spineUrlsOf(spine);
  }

  private async get<T>(
    url: string,
    source: 'directory' | 'endpoint-directory',
    what: string,
  ): Promise<{ status: number; body: T }> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, { headers: { accept: 'application/json' } });
    } catch (err) {
      throw new ConsumerError(
        'network',
        `${what} failed: cannot reach ${new URL(url).origin} ` +
          `(${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}).`,
        'network',
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ConsumerError(
        `${source}-bad-answer`,
        `${what} failed: the answer was not JSON (${response.status}).`,
        source,
        { status: response.status },
      );
    }
    if (response.status >= 500 || (response.status >= 400 && response.status !== 404)) {
      throw new ConsumerError(
        `${source}-${response.status}`,
        `${what} failed: ${outcomeText(body) ?? `status ${response.status}`}.`,
        source,
        { status: response.status, outcome: body as OperationOutcome },
      );
    }
    return { status: response.status, body: body as T };
  }

  /** Ranked services for a disposition near a postcode (like DoS CheckCapacitySummary). */
  async searchServices(q: {
    disposition: string;
    postcode: string;
    age?: number;
    at?: Date;
    max?: number;
  }): Promise<ServiceSummary[]> {
    const url = new URL(`${this.urls.directory}/services`);
    url.searchParams.set('disposition', q.disposition);
    url.searchParams.set('postcode', q.postcode);
    if (q.age !== undefined) url.searchParams.set('age', String(q.age));
    if (q.at) url.searchParams.set('at', q.at.toISOString());
    if (q.max) url.searchParams.set('max', String(q.max));
    const { status, body } = await this.get<{ services: ServiceSummary[] }>(
      url.toString(),
      'directory',
      'The directory search',
    );
    if (status === 404)
      throw new ConsumerError(
        'directory-404',
        'The directory search failed: the directory was not found at this address.',
        'directory',
        { status },
      );
    return body.services;
  }

  /** One service's details with its endpoints (like DoS ServiceDetailsByID). */
  async serviceDetails(id: string): Promise<ServiceDetails> {
    const { status, body } = await this.get<ServiceDetails>(
      `${this.urls.directory}/services/${encodeURIComponent(id)}`,
      'directory',
      `Reading service ${id} from the directory`,
    );
    if (status === 404)
      throw new ConsumerError('no-such-service', `The directory has no service ${id}.`, 'directory', { status });
    return body;
  }

  /** Step 1 of fs_sds: the accredited system (nhsAS) of an ASID, or undefined when there is none. */
  async accreditedSystem(asid: string): Promise<AccreditedSystem | undefined> {
    const { status, body } = await this.get<AccreditedSystem>(
      `${this.urls.endpoints}/as/${encodeURIComponent(asid)}`,
      'endpoint-directory',
      `Looking up ASID ${asid}`,
    );
    return status === 404 ? undefined : body;
  }

  /** Step 2 of fs_sds: the message-handling endpoints (nhsMHS) of a party key for an interaction. */
  async endpoints(partyKey: string, interaction: string): Promise<MessageHandlingService[]> {
    const url = new URL(`${this.urls.endpoints}/mhs`);
    url.searchParams.set('partyKey', partyKey);
    url.searchParams.set('interaction', interaction);
    const { body } = await this.get<{ entries: MessageHandlingService[] }>(
      url.toString(),
      'endpoint-directory',
      `Looking up the endpoints of ${partyKey}`,
    );
    return body?.entries ?? [];
  }
}
