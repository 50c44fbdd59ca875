/**
 * The provider's admin API as the capacity pages call it: through the web server's forwarder,
 * `/capacity-api/{tenant}/…` → `{provider}/admin/{tenant}/…`, with the rota manager's own admin token.
 * A failure is the provider's OperationOutcome, kept issue by issue (diagnostics and expression) so a
 * form can put each problem beside its field.
 */
import type {
  AppointmentStatusAnswer,
  AuditList,
  AvailabilityReport,
  BankHolidayRegion,
  Channel,
  ConsumerPreview,
  DayView,
  DirectoryResource,
  DirectoryType,
  ExtraSlot,
  GenerationReport,
  MappingList,
  OrganisationType,
  OrganisationTypeAnswer,
  ReleaseList,
  ReleaseRule,
  ResourceList,
  ResourceStored,
  Rota,
  RotaInput,
  RotaList,
  RotaPreview,
  SlotSelection,
  Weekday,
} from '../../../src/capacity/schemas';
import type { CapacitySession } from './session';

// The admin API's shapes are its route schemas' (src/capacity/schemas.ts), imported as types only so no
// server code reaches the browser. The lists the pages offer are written out here as values; each is
// checked against the schema's type, so a list that misses a value or adds one does not compile.
export type {
  Address,
  AuditEntry,
  AvailabilityReport,
  CodeableConcept,
  ConsumerPreview,
  DayBooking,
  DaySchedule,
  DirectoryResource,
  DirectoryType,
  ExtraSlot,
  GenerationReport,
  HumanName,
  Reference,
  ReleaseRule,
  Rota,
  RotaInput,
  RotaPreview,
  Weekday,
} from '../../../src/capacity/schemas';

/** The list, when it holds every member of `All` and nothing else. */
const every =
  <All extends string>() =>
  <const List extends readonly All[]>(list: List & ([All] extends [List[number]] ? unknown : never)): List =>
    list;

export const WEEKDAYS = every<Weekday>()(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
export const CHANNELS = every<Channel>()(['In-person', 'Telephone', 'Video']);
export const BANK_HOLIDAY_REGIONS = every<'open' | BankHolidayRegion>()([
  'open',
  'england-and-wales',
  'scotland',
  'northern-ireland',
]);
export const ORGANISATION_TYPES = every<OrganisationType>()([
  'urgent-care',
  'nhs-111',
  'gp-practice',
  'out-of-hours',
  'emergency-department',
  'pharmacy',
  'other',
]);
/** Organisation types in words (the API's codes stay the values sent). */
export const ORGANISATION_TYPE_NAMES: Record<OrganisationType, string> = {
  'urgent-care': 'Urgent care (urgent treatment centre)',
  'nhs-111': 'NHS 111',
  'gp-practice': 'GP practice',
  'out-of-hours': 'GP out of hours',
  'emergency-department': 'Emergency department',
  pharmacy: 'Pharmacy',
  other: 'Other',
};
export const organisationTypeName = (type: string) => ORGANISATION_TYPE_NAMES[type as OrganisationType] ?? type;

/** The resource types the admin API keeps in a tenant's directory. */
export const DIRECTORY_TYPES = every<DirectoryType>()([
  'HealthcareService',
  'Location',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Schedule',
]);

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
          message:
            `The web server did not answer with the provider's JSON (${response.status}): ` +
            'is it started with a provider (slotbridge start)?',
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
    rotas: () => call<RotaList>('GET', '/rotas'),
    putRota: (rota: RotaInput) => {
      // A rota's name is its address: without one the request would go to the list's address.
      if (!rota.id) throw new CapacityError(0, [{ expression: 'id', message: 'Enter a name for the rota' }]);
      return call<Rota>('PUT', `/rotas/${id(rota.id)}`, rota);
    },
    previewRota: (rota: RotaInput, days: number) => call<RotaPreview>('POST', `/rotas/preview?days=${days}`, rota),
    generate: (rotaId: string, horizonDays: number) =>
      call<GenerationReport>('POST', `/rotas/${id(rotaId)}/generate`, { horizonDays }),
    mappings: () => call<MappingList>('GET', '/mappings'),
    resources: (type: DirectoryType) => call<ResourceList>('GET', `/resources/${type}`),
    /** Creates (201) or stores a new version of (200) a directory resource; the provider checks it and every reference it makes. */
    putResource: (type: DirectoryType, resourceId: string, resource: unknown) =>
      exchange<ResourceStored>('PUT', `/resources/${type}/${id(resourceId)}`, resource),
    /** Maps a service to a schedule (or unmaps it: not the schedule's own actor service). */
    mapService: (serviceId: string, scheduleId: string, mapped: boolean) =>
      call<unknown>(mapped ? 'PUT' : 'DELETE', `/services/${id(serviceId)}/schedules/${id(scheduleId)}`),
    day: (date: string) => call<DayView>('GET', `/day?date=${date}`),
    availability: (action: 'block' | 'release', selection: SlotSelection) =>
      call<AvailabilityReport>('POST', `/slots/${action}`, selection),
    appointmentStatus: (appointmentId: string, status: string) =>
      call<AppointmentStatusAnswer>('POST', `/appointments/${id(appointmentId)}/status`, { status }),
    release: () => call<ReleaseList>('GET', '/release'),
    putRelease: (scheduleId: string, rule: Omit<ReleaseRule, 'scheduleId'>) =>
      call<ReleaseRule>('PUT', `/release/${id(scheduleId)}`, rule),
    deleteRelease: (scheduleId: string) => call<void>('DELETE', `/release/${id(scheduleId)}`),
    organisationType: (ods: string, type: string | null) =>
      call<OrganisationTypeAnswer>('PUT', `/organisations/${id(ods)}`, { type }),
    consumerPreview: (ods: string) => call<ConsumerPreview>('GET', `/preview?ods=${id(ods)}`),
    /** The extra slot as the form has it; the provider names what is wrong (a channel it does not know, …). */
    extraSlot: (slot: {
      scheduleId: string;
      start: string;
      end: string;
      deliveryChannel: string | null;
      release: boolean;
    }) => call<ExtraSlot>('POST', '/slots', slot),
    audit: () => call<AuditList>('GET', '/audit'),
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
