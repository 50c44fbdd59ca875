/**
 * Slot search as a consumer sends it (C20, C27–C30: the service's directory ID, `status=free`, a
 * bounded start window, every include) and the slots as a call handler sees them (fs_deliverychannel:
 * start, end, delivery channel never defaulted, service, location name and address, practitioner
 * role, name and gender, organisation). Providers that leave includes out, or send extra resources,
 * are fine: whatever is missing is shown as not given.
 */
import type {
  Bundle,
  HealthcareService,
  Location,
  Organization,
  Practitioner,
  PractitionerRole,
  Resource,
  Schedule,
  Slot,
} from 'fhir/r3.js';
import { INTERACTION } from './interactions.js';
import type { ProviderClient, Route } from './provider-client.js';
import { SCOPES } from '../fhir/token.js';
import type { SlotView } from './web-schemas.js';

export const SLOT_INCLUDES = [
  '_include=Slot:schedule',
  '_include:iterate=Schedule:actor:Practitioner',
  '_include:iterate=Schedule:actor:PractitionerRole',
  '_include:iterate=Schedule:actor:HealthcareService',
  '_include:iterate=HealthcareService.providedBy',
  '_include:iterate=HealthcareService.location',
];

/** The delivery channel extension (GP Connect's `Extension-GPConnect-DeliveryChannel-2`; any version is read). */
const isDeliveryChannel = (url: string) => /DeliveryChannel/i.test(url);

/** A slot as a call handler sees it; declared with the web API's answers, which carry it (./web-schemas.ts). */
export type { SlotView } from './web-schemas.js';

export interface SlotQuery {
  serviceId: string;
  from: Date;
  to: Date;
  status?: string;
}

export function slotSearchPath(q: SlotQuery): string {
  const params = [
    `service=${encodeURIComponent(q.serviceId)}`,
    `status=${q.status ?? 'free'}`,
    `start=ge${q.from.toISOString()}`,
    `start=le${q.to.toISOString()}`,
    ...SLOT_INCLUDES,
  ];
  return `/Slot?${params.join('&')}`;
}

const refId = (reference: string | undefined, type: string) =>
  reference?.startsWith(`${type}/`) ? reference.slice(type.length + 1).split('/')[0] : undefined;

function humanName(p: Practitioner | undefined): string | undefined {
  const n = p?.name?.[0];
  if (!n) return undefined;
  const given = Array.isArray(n.given) ? n.given : n.given ? [n.given as unknown as string] : [];
  const prefix = Array.isArray(n.prefix) ? n.prefix : n.prefix ? [n.prefix as unknown as string] : [];
  return [...prefix, ...given, n.family].filter(Boolean).join(' ') || n.text;
}

function addressText(l: Location | undefined): string | undefined {
  const a = l?.address;
  if (!a) return undefined;
  return a.text ?? [...(a.line ?? []), a.city, a.postalCode].filter(Boolean).join(', ');
}

/** The slots of a searchset, with what the includes say about each, earliest first. */
export function slotViews(bundle: Bundle): SlotView[] {
  const byKey = new Map<string, Resource>();
  for (const e of bundle.entry ?? []) {
    const r = e.resource;
    if (r?.resourceType && r.id) byKey.set(`${r.resourceType}/${r.id}`, r);
  }
  const get = <T extends Resource>(type: string, id: string | undefined) =>
    id ? (byKey.get(`${type}/${id}`) as T | undefined) : undefined;
  const views: SlotView[] = [];
  for (const e of bundle.entry ?? []) {
    const slot = e.resource as Slot | undefined;
    if (slot?.resourceType !== 'Slot' || !slot.id || !slot.start || !slot.end) continue;
    const scheduleId = refId(slot.schedule?.reference, 'Schedule');
    const schedule = get<Schedule>('Schedule', scheduleId);
    const actorList =
      schedule?.actor === undefined ? [] : Array.isArray(schedule.actor) ? schedule.actor : [schedule.actor];
    const actors = actorList.map((a) => a.reference ?? '');
    const serviceId = actors.map((a) => refId(a, 'HealthcareService')).find(Boolean);
    const service = get<HealthcareService>('HealthcareService', serviceId);
    const practitioner = get<Practitioner>('Practitioner', actors.map((a) => refId(a, 'Practitioner')).find(Boolean));
    const role = get<PractitionerRole>(
      'PractitionerRole',
      actors.map((a) => refId(a, 'PractitionerRole')).find(Boolean),
    );
    const location = get<Location>('Location', refId(service?.location?.[0]?.reference, 'Location'));
    const organisation = get<Organization>('Organization', refId(service?.providedBy?.reference, 'Organization'));
    const channelExtension = slot.extension?.find((x) => isDeliveryChannel(x.url));
    const channel = channelExtension?.valueCode ?? channelExtension?.valueCoding?.code;
    views.push({
      id: slot.id,
      identifier: slot.identifier?.[0]?.value,
      scheduleId,
      start: slot.start,
      end: slot.end,
      status: slot.status ?? 'unknown',
      ...(channel ? { deliveryChannel: channel } : {}),
      ...(serviceId
        ? {
            service: {
              id: service?.identifier?.find((i) => i.system?.includes('dos'))?.value ?? serviceId,
              name: service?.name,
            },
          }
        : {}),
      ...(location ? { location: { name: location.name, address: addressText(location) } } : {}),
      ...(practitioner ? { practitioner: { name: humanName(practitioner), gender: practitioner.gender } } : {}),
      ...(role?.code?.[0]?.coding?.[0]?.display ? { role: role.code[0].coding[0].display } : {}),
      ...(organisation?.name ? { organisation: organisation.name } : {}),
    });
  }
  return views.sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.id.localeCompare(b.id));
}

export async function searchSlots(
  client: ProviderClient,
  route: Route,
  q: SlotQuery,
): Promise<{ slots: SlotView[]; bundle: Bundle; requestId: string }> {
  const answer = await client.call<Bundle>(route, {
    interaction: INTERACTION.slotSearch,
    scope: SCOPES.slotRead,
    method: 'GET',
    path: slotSearchPath(q),
    what: 'The slot search',
  });
  return { slots: slotViews(answer.body), bundle: answer.body, requestId: answer.requestId };
}
