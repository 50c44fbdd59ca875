/**
 * The provider's admin API as the capacity pages call it: through the web server's forwarder,
 * `/capacity-api/{tenant}/…` → `{provider}/admin/{tenant}/…`, with the rota manager's own admin token.
 * Shapes follow src/capacity/admin.ts; a failure is the provider's OperationOutcome, kept issue by
 * issue (diagnostics and expression) so a form can put each problem beside its field.
 */
import type { CapacitySession } from './session';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const CHANNELS = ['In-person', 'Telephone', 'Video'] as const;
export const BANK_HOLIDAY_REGIONS = ['open', 'england-and-wales', 'scotland', 'northern-ireland'] as const;
export const ORGANISATION_TYPES = [
  'urgent-care',
  'nhs-111',
  'gp-practice',
  'out-of-hours',
  'emergency-department',
  'pharmacy',
  'other',
] as const;

export interface Rota {
  id: string;
  scheduleId: string;
  days: Weekday[];
  start: string;
  end: string;
  slotMinutes: number;
  deliveryChannel: string | null;
  effectiveFrom: string;
  effectiveTo?: string;
  exceptions: string[];
  timeZone?: string;
  bankHolidays?: string;
  practitionerId?: string;
  locationId?: string;
}

export interface RotaPreview {
  rota: Rota;
  horizonDays: number;
  total: number;
  days: { date: string; weekday: string; count: number; first: string; last: string }[];
  slots: { id: string; start: string; end: string }[];
}

export interface GenerationReport {
  rota: string;
  added: number;
  removed: number;
  kept: { id: string; start: string; status: string }[];
}

export interface DayBooking {
  slotId: string;
  start: string;
  appointmentId: string;
  status: string;
  bookedBy: string | null;
  /** The front desk's allowed next statuses (none once the appointment is finished). */
  moves: string[];
}

export interface DaySchedule {
  scheduleId: string;
  services: string[];
  offered: number;
  booked: number;
  free: number;
  blocked: number;
  bookings: DayBooking[];
}

export interface AvailabilityReport {
  changed: string[];
  skipped: { id: string; status: string }[];
}

export interface ReleaseRule {
  scheduleId: string;
  bookable: boolean;
  organisations: string[];
  organisationTypes: string[];
  capPerDay?: number;
  capPerSession?: number;
  bookingWindowDays?: number;
  embargoMinutes?: number;
}

export interface ConsumerPreview {
  ods: string;
  visible: number;
  withheld: number;
  slots: { id: string; schedule_id: string; start: string; end: string; visible: boolean; reason?: string }[];
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

export interface ExtraSlot {
  id: string;
  scheduleId: string;
  start: string;
  end: string;
  status: string;
  deliveryChannel: string | null;
}

export interface Reference {
  reference?: string;
  display?: string;
}

export interface HumanName {
  text?: string;
  family?: string;
  given?: string[];
  prefix?: string[];
  [key: string]: unknown;
}

export interface Address {
  line?: string[];
  city?: string;
  district?: string;
  postalCode?: string;
  [key: string]: unknown;
}

export interface CodeableConcept {
  text?: string;
  coding?: { system?: string; code?: string; display?: string }[];
  [key: string]: unknown;
}

/** The resource types the admin API keeps in a tenant's directory. */
export const DIRECTORY_TYPES = [
  'HealthcareService',
  'Location',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Schedule',
] as const;
export type DirectoryType = (typeof DIRECTORY_TYPES)[number];

/** A directory resource as the admin API lists it (FHIR JSON; what the pages show is typed, the rest kept as it is). */
export interface DirectoryResource {
  resourceType: string;
  id: string;
  meta?: { versionId?: string; [key: string]: unknown };
  name?: string | HumanName[];
  actor?: Reference[];
  identifier?: { system?: string; value?: string; [key: string]: unknown }[];
  /** A Location's address (one); an Organization's (a list). */
  address?: Address | Address[];
  gender?: string;
  location?: Reference[];
  providedBy?: Reference;
  practitioner?: Reference;
  organization?: Reference;
  code?: CodeableConcept[];
  type?: CodeableConcept[];
  [key: string]: unknown;
}

export interface Issue {
  /** The OperationOutcome issue's first expression: the field it is about (`end`, `scheduleId`, …). */
  expression?: string;
  message: string;
}

export class CapacityError extends Error {
  constructor(
    /** The HTTP status (0: the web app itself could not be reached). */
    readonly status: number,
    readonly issues: Issue[],
  ) {
    super(issues.map((i) => i.message).join(' '));
  }
}

function issuesOf(status: number, body: unknown): Issue[] {
  const outcome = body as
    | {
        resourceType?: string;
        issue?: {
          diagnostics?: string;
          expression?: string[];
          code?: string;
          details?: { text?: string; coding?: { display?: string }[] };
        }[];
      }
    | undefined;
  if (outcome?.resourceType === 'OperationOutcome' && outcome.issue?.length) {
    return outcome.issue.map((i) => ({
      expression: i.expression?.[0],
      message:
        i.diagnostics ??
        i.details?.text ??
        i.details?.coding?.[0]?.display ??
        i.code ??
        `The provider answered ${status}`,
    }));
  }
  return [{ message: `The provider answered ${status} without saying why.` }];
}

export type CapacityApi = ReturnType<typeof capacityApi>;

/** The calls, for one signed-in rota manager. `onUnauthorised` runs when the provider refuses the token (401). */
export function capacityApi(
  session: Pick<CapacitySession, 'tenant' | 'token'>,
  onUnauthorised?: (message: string) => void,
) {
  const base = `/capacity-api/${encodeURIComponent(session.tenant)}`;
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await exchange<T>(method, path, body)).body;
  }
  /** The call, with the provider's status (201 created, 200 updated, …). */
  async function exchange<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${session.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new CapacityError(0, [{ message: 'The web app cannot be reached. Check your connection and try again.' }]);
    }
    if (response.status === 204) return { status: 204, body: undefined as T };
    const json = (response.headers.get('content-type') ?? '').includes('json')
      ? await response.json().catch(() => undefined)
      : undefined;
    if (response.ok && json === undefined)
      throw new CapacityError(502, [
        {
          message: `The web server did not answer with the provider's JSON (${response.status}): is it started with a provider (slotbridge start)?`,
        },
      ]);
    if (!response.ok) {
      const error = new CapacityError(response.status, issuesOf(response.status, json));
      if (response.status === 401) onUnauthorised?.(error.message);
      throw error;
    }
    return { status: response.status, body: json as T };
  }
  const id = encodeURIComponent;
  return {
    rotas: () => call<{ rotas: Rota[] }>('GET', '/rotas'),
    putRota: (rota: Rota) => call<Rota>('PUT', `/rotas/${id(rota.id)}`, rota),
    previewRota: (rota: Rota, days: number) => call<RotaPreview>('POST', `/rotas/preview?days=${days}`, rota),
    generate: (rotaId: string, horizonDays: number) =>
      call<GenerationReport>('POST', `/rotas/${id(rotaId)}/generate`, { horizonDays }),
    mappings: () =>
      call<{ mappings: { scheduleId: string; ownService: string; services: string[] }[] }>('GET', '/mappings'),
    resources: (type: DirectoryType) => call<{ resources: DirectoryResource[] }>('GET', `/resources/${type}`),
    /** Creates (201) or stores a new version of (200) a directory resource; the provider checks it and every reference it makes. */
    putResource: (type: DirectoryType, resourceId: string, resource: unknown) =>
      exchange<{ resourceType: string; id: string; versionId: string }>(
        'PUT',
        `/resources/${type}/${id(resourceId)}`,
        resource,
      ),
    /** Maps a service to a schedule (or unmaps it: not the schedule's own actor service). */
    mapService: (serviceId: string, scheduleId: string, mapped: boolean) =>
      call<unknown>(mapped ? 'PUT' : 'DELETE', `/services/${id(serviceId)}/schedules/${id(scheduleId)}`),
    day: (date: string) => call<{ date: string; schedules: DaySchedule[] }>('GET', `/day?date=${date}`),
    availability: (action: 'block' | 'release', selection: { scheduleId: string; from: string; to: string }) =>
      call<AvailabilityReport>('POST', `/slots/${action}`, selection),
    appointmentStatus: (appointmentId: string, status: string) =>
      call<{ id: string; before: string; status: string; versionId: string }>(
        'POST',
        `/appointments/${id(appointmentId)}/status`,
        { status },
      ),
    release: () =>
      call<{ rules: ReleaseRule[]; organisationTypes: { ods_code: string; type: string }[] }>('GET', '/release'),
    putRelease: (scheduleId: string, rule: Omit<ReleaseRule, 'scheduleId'>) =>
      call<ReleaseRule>('PUT', `/release/${id(scheduleId)}`, rule),
    deleteRelease: (scheduleId: string) => call<void>('DELETE', `/release/${id(scheduleId)}`),
    organisationType: (ods: string, type: string | null) =>
      call<{ ods: string; type: string | null }>('PUT', `/organisations/${id(ods)}`, { type }),
    consumerPreview: (ods: string) => call<ConsumerPreview>('GET', `/preview?ods=${id(ods)}`),
    extraSlot: (slot: {
      scheduleId: string;
      start: string;
      end: string;
      deliveryChannel: string | null;
      release: boolean;
    }) => call<ExtraSlot>('POST', '/slots', slot),
    audit: () => call<{ entries: AuditEntry[] }>('GET', '/audit'),
  };
}

/** The tenants the web server was told about at start-up (empty: the sign-in page asks for the id). */
export async function knownTenants(): Promise<{ id: string; name: string }[]> {
  try {
    const response = await fetch('/capacity-api/');
    if (!response.ok) return [];
    return ((await response.json()) as { tenants?: { id: string; name: string }[] }).tenants ?? [];
  } catch {
    return [];
  }
}

/** A readable name for a directory resource. */
export function resourceName(r: DirectoryResource): string {
  if (typeof r.name === 'string') return r.name;
  const human = r.name?.[0];
  if (human)
    return human.text ?? [...(human.prefix ?? []), ...(human.given ?? []), human.family].filter(Boolean).join(' ');
  return r.id;
}
