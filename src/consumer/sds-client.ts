/**
 * The consumer's client of the Spine Directory Service's FHIR API (R4; NHS England's route to SDS):
 *   devices()    GET {url}/Device?organization=…&identifier={interaction}[&identifier={party key}]
 *   endpoints()  GET {url}/Endpoint?[organization=…&]identifier=…[&identifier=…]
 * Each call sends the application's `apikey`, a fresh `X-Correlation-ID` (a UUID; every failure names
 * it, so a call can be traced with NHS England) and `Accept: application/fhir+json`, and reads the
 * searchset Bundle into the shapes of national.ts. Every failure is a ConsumerError.
 */
import type {
  Bundle,
  Device,
  Endpoint,
  Extension,
  Identifier,
  OperationOutcome as R4OperationOutcome,
} from 'fhir/r4.js';
import type { OperationOutcome } from 'fhir/r3.js';
import { randomUUID } from 'node:crypto';
import { ConsumerError, outcomeText } from './errors.js';
import type { EndpointDirectory, SdsDevice, SdsEndpoint } from './national.js';

export interface SdsClientOptions {
  /** The API's base, e.g. `https://int.api.service.nhs.uk/spine-directory/FHIR/R4` or `{spine}/spine-directory/FHIR/R4`. */
  url: string;
  /** The application's API key (the `apikey` header). */
  apiKey: string;
  fetchImpl?: typeof fetch;
  /** An undici dispatcher (e.g. an Agent with TLS options), passed to fetch as given. */
  dispatcher?: unknown;
  /** The time limit of one call (default 10 s). */
  timeoutMs?: number;
}

const SYSTEM = {
  ods: 'https://fhir.nhs.uk/Id/ods-organization-code',
  interaction: 'https://fhir.nhs.uk/Id/nhsServiceInteractionId',
  partyKey: 'https://fhir.nhs.uk/Id/nhsMhsPartyKey',
  asid: 'https://fhir.nhs.uk/Id/nhsSpineASID',
} as const;
const INTERACTION_EXTENSION = 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId';

/** What each refusal means for us, in words a call handler's support desk can act on. */
const MEANING: Record<number, string> = {
  400: 'SDS refused the search parameters',
  401: 'SDS did not accept our API key; check the apikey this consumer is configured with',
  403: 'SDS refuses this application: its API key is not allowed to use the SDS FHIR API',
  404: 'nothing answers at this address; check the SDS base URL',
  405: 'SDS does not allow this method',
  406: 'SDS cannot answer in FHIR JSON',
  429: 'SDS is limiting our calls, too many requests; try again shortly',
  500: 'SDS had an internal error',
  502: 'SDS could not read the directory behind it',
  503: 'SDS is unavailable',
  504: 'SDS timed out reading the directory behind it',
};

type Kind = 'Device' | 'Endpoint';

function identifierValue(identifiers: Identifier[] | undefined, system: string): string | undefined {
  return identifiers?.find((i) => i.system === system && typeof i.value === 'string' && i.value !== '')?.value;
}

function interactionsOf(extensions: Extension[] | undefined): string[] {
  const found: string[] = [];
  for (const extension of extensions ?? []) {
    if (extension.url !== INTERACTION_EXTENSION) continue;
    const value = extension.valueReference?.identifier?.value;
    if (typeof value === 'string' && value !== '' && !found.includes(value)) found.push(value);
  }
  return found;
}

/** An ODS code from an organisation reference by identifier (Device.owner, Endpoint.managingOrganization). */
function odsOf(reference: { identifier?: Identifier } | undefined): string | undefined {
  const identifier = reference?.identifier;
  return identifier?.system === SYSTEM.ods && typeof identifier.value === 'string' && identifier.value !== ''
    ? identifier.value
    : undefined;
}

export class SdsClient implements EndpointDirectory {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: SdsClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  async devices(q: { odsCode: string; interaction: string; partyKey?: string }): Promise<SdsDevice[]> {
    if (!q.odsCode || !q.interaction)
      throw new ConsumerError(
        'sds-bad-query',
        'An SDS Device search needs the organisation (ODS code) and the interaction.',
        'consumer',
      );
    const params: [string, string][] = [
      ['organization', `${SYSTEM.ods}|${q.odsCode}`],
      ['identifier', `${SYSTEM.interaction}|${q.interaction}`],
    ];
    if (q.partyKey) params.push(['identifier', `${SYSTEM.partyKey}|${q.partyKey}`]);
    const bundle = await this.search<Device>('Device', params);
    const devices: SdsDevice[] = [];
    for (const device of this.resources(bundle, 'Device')) {
      const asid = identifierValue(device.identifier, SYSTEM.asid);
      if (!asid) continue; // a Device with no ASID cannot be addressed through the spine
      devices.push({
        id: device.id ?? '',
        asid,
        partyKey: identifierValue(device.identifier, SYSTEM.partyKey),
        odsCode: odsOf(device.owner),
        interactions: interactionsOf(device.extension),
      });
    }
    return devices;
  }

  async endpoints(q: { odsCode?: string; interaction?: string; partyKey?: string }): Promise<SdsEndpoint[]> {
    // The API's supported combinations: an organisation with an interaction, a party key or both; or,
    // without an organisation, an interaction and a party key together.
    const supported = q.odsCode ? Boolean(q.interaction || q.partyKey) : Boolean(q.interaction && q.partyKey);
    if (!supported)
      throw new ConsumerError(
        'sds-bad-query',
        'An SDS Endpoint search needs an ODS code with an interaction or a party key, or an interaction and a party key.',
        'consumer',
      );
    const params: [string, string][] = [];
    if (q.odsCode) params.push(['organization', `${SYSTEM.ods}|${q.odsCode}`]);
    if (q.interaction) params.push(['identifier', `${SYSTEM.interaction}|${q.interaction}`]);
    if (q.partyKey) params.push(['identifier', `${SYSTEM.partyKey}|${q.partyKey}`]);
    const bundle = await this.search<Endpoint>('Endpoint', params);
    const endpoints: SdsEndpoint[] = [];
    for (const endpoint of this.resources(bundle, 'Endpoint')) {
      if (typeof endpoint.address !== 'string' || endpoint.address === '') continue; // nowhere to send
      endpoints.push({
        id: endpoint.id ?? '',
        address: endpoint.address,
        partyKey: identifierValue(endpoint.identifier, SYSTEM.partyKey),
        odsCode: odsOf(endpoint.managingOrganization),
        interactions: interactionsOf(endpoint.extension),
      });
    }
    return endpoints;
  }

  /** The matches of a searchset (an absent `entry` is none), each of the resource type searched for. */
  private resources<T extends Device | Endpoint>(bundle: Bundle<T>, kind: Kind): T[] {
    return (bundle.entry ?? [])
      .filter((entry) => entry.search?.mode === undefined || entry.search.mode === 'match')
      .map((entry) => entry.resource)
      .filter((resource): resource is T => resource?.resourceType === kind);
  }

  private async search<T extends Device | Endpoint>(kind: Kind, params: [string, string][]): Promise<Bundle<T>> {
    const url = new URL(`${this.base}/${kind}`);
    for (const [name, value] of params) url.searchParams.append(name, value);
    const correlationId = randomUUID();
    const what = `The SDS ${kind} search`;
    const traced = `X-Correlation-ID ${correlationId}`;
    const init = {
      headers: { accept: 'application/fhir+json', apikey: this.options.apiKey, 'x-correlation-id': correlationId },
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      ...(this.options.dispatcher !== undefined ? { dispatcher: this.options.dispatcher } : {}),
    } as RequestInit;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, init);
      text = await response.text();
    } catch (err) {
      const error = err as Error & { cause?: Error };
      const timedOut = error.name === 'TimeoutError' || error.name === 'AbortError';
      const reason = timedOut
        ? `no answer within ${this.options.timeoutMs ?? 10_000} ms`
        : (error.cause?.message ?? error.message);
      throw new ConsumerError(
        timedOut ? 'sds-timeout' : 'network',
        `${what} failed: cannot reach ${url.origin} (${reason}; ${traced}).`,
        'network',
        { correlationId },
      );
    }
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const details = { status: response.status, correlationId, requestId: correlationId };
    if (response.status >= 400) {
      const outcome = (body as R4OperationOutcome | undefined)?.resourceType === 'OperationOutcome' ? body : undefined;
      const said = outcomeText(outcome);
      const retryAfter = response.headers.get('retry-after');
      const meaning =
        MEANING[response.status] ?? (response.status >= 500 ? 'SDS had an error' : 'SDS refused the search');
      throw new ConsumerError(
        `sds-${response.status}`,
        `${what} failed: ${meaning} (${response.status}${said ? `: ${said}` : ''}` +
          `${retryAfter ? `; retry after ${retryAfter} s` : ''}; ${traced}).`,
        'endpoint-directory',
        { ...details, outcome: outcome as OperationOutcome | undefined, ...(retryAfter ? { retryAfter } : {}) },
      );
    }
    const bundle = body as Bundle<T> | undefined;
    if (bundle?.resourceType !== 'Bundle' || (bundle.entry !== undefined && !Array.isArray(bundle.entry)))
      throw new ConsumerError(
        'sds-bad-answer',
        `${what} failed: the answer was not a FHIR Bundle (${response.status}; ${traced}).`,
        'endpoint-directory',
        details,
      );
    return bundle;
  }
}
