/**
 * What `slotbridge spine register-provider` lists when no `--service` is given: the provider's own
 * HealthcareService resources, read over FHIR from its service root (each with its directory
 * service ID, name, type and the address and position of its Location).
 */
import type { Bundle, HealthcareService, Location } from 'fhir/r3.js';
import { consumerToken } from '../fhir/token.js';
import type { DirectoryService } from './directory/model.js';

export const DOS_ID_SYSTEM = 'https://fhir.nhs.uk/Id/dos-service-id';

/** Local configuration (fs_slotmap: "local areas may differ"): what each kind of service is listed for. */
export const DEFAULT_DISPOSITIONS: Record<string, string[]> = {
  ED: ['Dx02', 'Dx03', 'Dx05', 'Dx06'],
  UTC: ['Dx05', 'Dx06', 'Dx07', 'Dx08', 'Dx11', 'Dx12', 'Dx13', 'Dx14', 'Dx15'],
  'GP Out of Hours': ['Dx05', 'Dx06', 'Dx07', 'Dx08', 'Dx11', 'Dx12', 'Dx13', 'Dx14', 'Dx15', 'Dx117'],
};

const DIRECTORY_TYPES: [RegExp, string][] = [
  [/emergency department|\bED\b|A&E/i, 'ED'],
  [/urgent treatment|\bUTC\b|minor injur/i, 'UTC'],
  [/out of hours|\bOOH\b/i, 'GP Out of Hours'],
  [/pharmac/i, 'Pharmacy'],
  [/dental|dentist/i, 'Dental'],
];

function directoryType(service: HealthcareService): string {
  const text = [service.type?.[0]?.text, service.type?.[0]?.coding?.[0]?.display, service.name]
    .filter(Boolean)
    .join(' ');
  return DIRECTORY_TYPES.find(([pattern]) => pattern.test(text))?.[1] ?? 'Other';
}

export interface EnrolOptions {
  serviceRoot: string;
  /** Only these directory service IDs (default: every active service with one). */
  serviceIds?: string[];
  dispositions?: string[];
  postcode?: string;
  /** Who reads the provider (its JWT's organisation). */
  odsCode: string;
  fetchImpl?: typeof fetch;
}

async function readFhir<T>(url: string, token: string, fetchImpl: typeof fetch): Promise<T> {
  const response = await fetchImpl(url, {
    headers: { accept: 'application/fhir+json', authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  if (!response.ok) {
    let detail = text.slice(0, 300);
    try {
      detail =
        (JSON.parse(text) as { issue?: { diagnostics?: string }[] }).issue?.map((i) => i.diagnostics).join('; ') ??
        detail;
    } catch {
      // not JSON: keep the text
    }
    throw new Error(`GET ${url} answered ${response.status}: ${detail}`);
  }
  return JSON.parse(text) as T;
}

export async function servicesFromProvider(options: EnrolOptions): Promise<Omit<DirectoryService, 'endpoints'>[]> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const token = consumerToken({
    audience: options.serviceRoot,
    scope: 'organization/slot.read',
    requester: {
      issuer: 'https://slotbridge.dev/spine/registration',
      organisation: { odsCode: options.odsCode, name: 'Slotbridge spine registration' },
      device: {
        system: 'https://slotbridge.dev/Id/device',
        value: 'spine-registration',
        model: 'slotbridge spine register-provider',
        version: '1',
      },
    },
  });
  const bundle = await readFhir<Bundle>(`${options.serviceRoot}/HealthcareService`, token, fetchImpl);
  const services = (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is HealthcareService => r?.resourceType === 'HealthcareService');
  const wanted = options.serviceIds && new Set(options.serviceIds);
  const out: Omit<DirectoryService, 'endpoints'>[] = [];
  for (const service of services) {
    const id = service.identifier?.find((i) => i.system === DOS_ID_SYSTEM)?.value;
    if (!id || service.active === false || (wanted && !wanted.has(id))) continue;
    const locationRef = service.location?.[0]?.reference;
    const location = locationRef
      ? await readFhir<Location>(`${options.serviceRoot}/${locationRef}`, token, fetchImpl).catch(() => undefined)
      : undefined;
    const address = location?.address;
    const type = directoryType(service);
    const position = location?.position;
    out.push({
      id,
      name: service.name ?? id,
      type,
      odsCode: service.providedBy?.reference?.split('/')[1],
      address: [...(address?.line ?? []), ...(address?.city ? [address.city] : [])],
      postcode: options.postcode ?? address?.postalCode,
      ...(position && options.postcode === undefined
        ? { location: { latitude: position.latitude, longitude: position.longitude } }
        : {}),
      openingTimes: [],
      openAllHours: true,
      dispositions: options.dispositions ?? DEFAULT_DISPOSITIONS[type] ?? ['Dx05', 'Dx06'],
      ageRange: /child|paediatric/i.test(service.name ?? '') ? { min: 0, max: 15 } : { min: 0, max: 130 },
      attributes: [],
    });
  }
  const missing = wanted ? [...wanted].filter((id) => !out.some((s) => s.id === id)) : [];
  if (missing.length)
    throw new Error(
      `the provider at ${options.serviceRoot} has no active HealthcareService with directory ID ${missing.join(', ')}`,
    );
  return out;
}
