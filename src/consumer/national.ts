/**
 * What the consumer needs from the two national directories, independent of their wire:
 *   - the service directory (NHS Directory of Services, DoS): ranked services for a patient, and one
 *     service by its ID, each with its endpoints and attributes (dos-client.ts speaks DoS's SOAP API);
 *   - the endpoint directory (Spine Directory Service, SDS): accredited systems (Device) and their
 *     message-handling endpoints (Endpoint) (sds-client.ts speaks the SDS FHIR API).
 * discovery.ts turns a service's booking endpoint into a provider's service root through these two.
 */

/** One endpoint profiled against a service (DoS `serviceEndpoints`), ordered by `order` (endpointOrder). */
export interface DirectoryEndpoint {
  order: number;
  transport: string;
  format: string;
  interaction: string;
  address: string;
  businessScenario?: string;
  compression?: string;
  comment?: string;
}

/** A service attribute (DoS `attributes`); `requirebooking` is the one the Booking Standard reads. */
export interface DirectoryAttribute {
  name: string;
  value: string;
  dataType?: string;
  description?: string;
}

/** A weekly opening session (DoS `rotaSessions`), UK wall-clock times. */
export interface RotaSession {
  /** Mon … Sun, or BankHoliday. */
  day: string;
  /** "HH:MM" */
  start: string;
  /** "HH:MM"; "24:00" or an end not after the start runs to midnight. */
  end: string;
}

/** One service by ID (DoS ServiceDetailsById). */
export interface ServiceDetails {
  id: string;
  /** The service's name; empty when not known: DoS's details by ID carry no name; a search that listed the service gives it. */
  name: string;
  /** The service type's name. */
  type: string;
  odsCode?: string;
  /** Address lines where care is given. */
  address: string[];
  postcode?: string;
  /**
   * The service's attributes, when known. DoS's ServiceDetailsById does not carry them: they come from a
   * search (CheckCapacitySummary) that listed the service; absent when none has.
   */
  attributes?: DirectoryAttribute[];
  /** Sorted by `order`. */
  endpoints: DirectoryEndpoint[];
}

/** One service of a ranked search (DoS CheckCapacitySummary's `serviceCareSummaryDestination`): always with its attributes. */
export interface ServiceSummary extends Omit<ServiceDetails, 'attributes'> {
  /** 1-based position in the directory's own ranking. */
  rank: number;
  distanceKm: number | null;
  distanceMiles: number | null;
  /** Open at the search time, judged from the rota sessions in UK local time. */
  openNow: boolean;
  /** When a closed service next opens (ISO instant, UTC), within a week. */
  nextOpen?: string;
  attributes: DirectoryAttribute[];
  openAllHours?: boolean;
  rotaSessions?: RotaSession[];
}

/** A service search, in the Booking Standard's terms; the DoS client maps it to DoS's own. */
export interface ServiceSearch {
  /** An NHS Pathways disposition code, e.g. Dx05 (sent to DoS as 1005). */
  disposition: string;
  postcode: string;
  /** Whole years unless `ageFormat` says otherwise. */
  age?: number;
  ageFormat?: 'Years' | 'Months' | 'Days' | 'AgeGroup';
  gender?: 'M' | 'F' | 'I';
  symptomGroup?: number;
  symptomDiscriminators?: number[];
  /** DoS `searchDistance` (1–99). */
  searchDistance?: number;
  /** The moment "open now" is judged at (DoS `searchDateTime`); default now. */
  at?: Date;
  /** At most this many services (the client trims the directory's list). */
  max?: number;
  /** The call's case reference, for the directory's audit. */
  caseRef?: string;
}

export interface ServiceDirectory {
  /** Ranked services for a patient (DoS CheckCapacitySummary); an empty list when none match. */
  searchServices(q: ServiceSearch): Promise<ServiceSummary[]>;
  /** One service (DoS ServiceDetailsById); throws ConsumerError 'no-such-service' when unknown. */
  serviceDetails(id: string): Promise<ServiceDetails>;
}

/** An accredited system (SDS Device; LDAP nhsAS). */
export interface SdsDevice {
  /** The Device resource's id. */
  id: string;
  /** https://fhir.nhs.uk/Id/nhsSpineASID */
  asid: string;
  /** https://fhir.nhs.uk/Id/nhsMhsPartyKey */
  partyKey?: string;
  /** The owning organisation's ODS code (Device.owner). */
  odsCode?: string;
  /** Every service interaction the system is registered for (Extension-SDS-NhsServiceInteractionId). */
  interactions: string[];
}

/** A message-handling endpoint (SDS Endpoint; LDAP nhsMHS). */
export interface SdsEndpoint {
  id: string;
  /** The FHIR service root (Endpoint.address). */
  address: string;
  partyKey?: string;
  /** Endpoint.managingOrganization's ODS code. */
  odsCode?: string;
  interactions: string[];
}

export interface EndpointDirectory {
  /** GET /Device?organization={ODS}&identifier={interaction}[&identifier={party key}] */
  devices(q: { odsCode: string; interaction: string; partyKey?: string }): Promise<SdsDevice[]>;
  /** GET /Endpoint?… (at least an interaction or a party key; see the SDS API's supported combinations). */
  endpoints(q: { odsCode?: string; interaction?: string; partyKey?: string }): Promise<SdsEndpoint[]>;
}

/** Demo credentials of the local stand-ins (docs/security.md): public knowledge, for the laptop network only. */
export const DEMO_DOS_USER = { username: 'slotbridge-demo', password: 'slotbridge-demo-password' };
export const DEMO_SDS_APIKEY = 'slotbridge-demo-apikey';

/**
 * Where the national services are (connect.ts builds the clients; docs/going-live.md): DoS's SOAP endpoint
 * and API account, the SDS FHIR API and its API key, the secure proxy, and the client certificate.
 */
export interface NationalConfig {
  dos: { url: string; username: string; password: string };
  sds: { url: string; apiKey: string };
  proxy: string;
  /** PEM; given, every national call presents this client certificate and trusts only `ca` (when given). */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
}

/** The stand-ins of a Slotbridge spine at `spine` (its base URL), with their public demo credentials. */
export function standInConfig(spine: string): NationalConfig {
  const base = spine.replace(/\/+$/, '');
  return {
    dos: { url: `${base}/app/api/webservices`, ...DEMO_DOS_USER },
    sds: { url: `${base}/spine-directory/FHIR/R4`, apiKey: DEMO_SDS_APIKEY },
    proxy: `${base}/proxy`,
  };
}

/** A service's name for messages: the directory's, else its ID. */
export const serviceLabel = (service: { id: string; name: string }): string => service.name || `Service ${service.id}`;
