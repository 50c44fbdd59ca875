/**
 * The provider's directory: the tenant's healthcare services (with their directory service IDs),
 * locations, practitioners, practitioner roles, organisations and schedules; a form to add or change
 * one (simple fields for the common types, FHIR JSON for the rest), and which services each schedule
 * serves, mapped and unmapped here. The provider checks every resource and every reference it makes:
 * a rejected one comes back as an OperationOutcome shown in the error summary and at its field, and
 * nothing is saved. After a change the whole capacity area reads the directory again.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ErrorSummary, Tag, type Problem } from '../components';
import { follow, navigate } from '../router';
import {
  CapacityError,
  DIRECTORY_TYPES,
  resourceName,
  type Address,
  type CapacityApi,
  type DirectoryResource,
  type DirectoryType,
  type Reference,
} from './api';
import type { Directory } from './CapacityArea';
import { Input, Outcome, Radios, Select, errorFor, problemsOf } from './forms';

export const DOS_SERVICE_ID = 'https://fhir.nhs.uk/Id/dos-service-id';
const ODS_CODE = 'https://fhir.nhs.uk/Id/ods-organization-code';
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

const TYPE_TEXT: Record<DirectoryType, string> = {
  HealthcareService: 'Healthcare service',
  Location: 'Location',
  Practitioner: 'Practitioner',
  PractitionerRole: 'Practitioner role',
  Organization: 'Organisation',
  Schedule: 'Schedule',
};
/** The types with a form; the others are edited as JSON. */
const WITH_FORM: DirectoryType[] = ['Location', 'Practitioner', 'HealthcareService', 'Schedule'];
const GENDERS = [
  { value: 'female', text: 'Female' },
  { value: 'male', text: 'Male' },
  { value: 'other', text: 'Other' },
  { value: 'unknown', text: 'Unknown' },
  { value: '', text: 'Not given' },
];

const isDirectoryType = (t: string | null | undefined): t is DirectoryType =>
  DIRECTORY_TYPES.includes(t as DirectoryType);

/** The form page's route: `/capacity/directory/new?type=Location` or `/capacity/directory/{type}/{id}`; undefined for the list. */
export function directoryRoute(path: string, query: URLSearchParams): { type: DirectoryType; id?: string } | undefined {
  const rest = path.slice('/capacity/directory'.length).split('/').filter(Boolean).map(decodeURIComponent);
  if (rest[0] === 'new' && rest.length === 1) {
    const type = query.get('type');
    return { type: isDirectoryType(type) ? type : 'Location' };
  }
  if (rest.length === 2 && isDirectoryType(rest[0])) return { type: rest[0], id: rest[1] };
  return undefined;
}

const listOf = (directory: Directory, type: DirectoryType): DirectoryResource[] =>
  ({
    HealthcareService: directory.services,
    Location: directory.locations,
    Practitioner: directory.practitioners,
    PractitionerRole: directory.roles,
    Organization: directory.organizations,
    Schedule: directory.schedules,
  })[type];

/** "Test ED (adults) (100001)" for `HealthcareService/100001`; the reference as written when the tenant has no such resource. */
function referenceText(directory: Directory, ref: Reference | undefined): string {
  const m = /^([A-Za-z]+)\/(.+)$/.exec(ref?.reference ?? '');
  if (!m) return ref?.display ?? ref?.reference ?? '';
  const found = isDirectoryType(m[1]) ? listOf(directory, m[1]).find((r) => r.id === m[2]) : undefined;
  if (!found) return ref!.reference!;
  const name = resourceName(found);
  return name === found.id ? found.id : `${name} (${found.id})`;
}

const idOf = (ref: Reference | undefined, type: string) =>
  ref?.reference?.startsWith(`${type}/`) ? ref.reference.slice(type.length + 1) : '';
const dosIdOf = (r: DirectoryResource) => r.identifier?.find((i) => i.system === DOS_SERVICE_ID)?.value ?? '';
const addressOf = (r: DirectoryResource): Address | undefined => (Array.isArray(r.address) ? r.address[0] : r.address);
const addressText = (a: Address | undefined) =>
  a ? [...(a.line ?? []), a.city, a.district, a.postalCode].filter(Boolean).join(', ') : '';
const serviceLabel = (s: DirectoryResource) => (resourceName(s) === s.id ? s.id : `${resourceName(s)} (${s.id})`);
/** The services a Schedule resource names as actors. */
const actorServices = (r: { actor?: Reference[] } | undefined | null) =>
  (r?.actor ?? []).map((a) => idOf(a, 'HealthcareService')).filter(Boolean);

function EditLink({ r }: { r: DirectoryResource }) {
  return (
    <a href={`/capacity/directory/${r.resourceType}/${encodeURIComponent(r.id)}`} onClick={follow}>
      Edit
      <span className="nhsuk-u-visually-hidden">
        {' '}
        {TYPE_TEXT[r.resourceType as DirectoryType] ?? r.resourceType} {r.id}
      </span>
    </a>
  );
}

/** One type's table: a caption, its columns, a row per resource with its version and an edit link. */
function ResourceTable({
  type,
  resources,
  columns,
}: {
  type: DirectoryType;
  resources: DirectoryResource[];
  columns: [string, (r: DirectoryResource) => ReactNode][];
}) {
  const heading = `directory-${type}`;
  return (
    <section aria-labelledby={heading}>
      <h2 id={heading}>
        {
          {
            HealthcareService: 'Healthcare services',
            Location: 'Locations',
            Practitioner: 'Practitioners',
            PractitionerRole: 'Practitioner roles',
            Organization: 'Organisations',
            Schedule: 'Schedules',
          }[type]
        }
      </h2>
      {resources.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table className="nhsuk-table" id={`table-${type}`}>
          <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">
            The tenant's {TYPE_TEXT[type].toLowerCase()} resources
          </caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">Id</th>
              {columns.map(([name]) => (
                <th scope="col" key={name}>
                  {name}
                </th>
              ))}
              <th scope="col">Version</th>
              <th scope="col">
                <span className="nhsuk-u-visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {resources.map((r) => (
              <tr key={r.id} data-resource={`${type}/${r.id}`}>
                <td>{r.id}</td>
                {columns.map(([name, cell]) => (
                  <td key={name}>{cell(r)}</td>
                ))}
                <td>{r.meta?.versionId ?? ''}</td>
                <td>
                  <EditLink r={{ ...r, resourceType: type }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Which services each schedule serves, as the provider has it now (GET /admin/{tenant}/mappings). */
async function readMapping(api: CapacityApi): Promise<Map<string, string[]>> {
  const { mappings } = await api.mappings();
  return new Map(mappings.map((m) => [m.scheduleId, m.services]));
}

export function DirectoryPage({ api, directory }: { api: CapacityApi; directory: Directory }) {
  const [mapping, setMapping] = useState<Awaited<ReturnType<typeof readMapping>>>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [message, setMessage] = useState<string>();
  const [form, setForm] = useState({
    serviceId: directory.services[0]?.id ?? '',
    scheduleId: directory.schedules[0]?.id ?? '',
  });
  const [busy, setBusy] = useState(false);
  const { reload } = directory;

  const load = useCallback(async () => setMapping(await readMapping(api)), [api]);
  useEffect(() => {
    // The directory as the provider has it now (another rota manager, or the CLI, may have changed it).
    Promise.all([reload(), load()]).catch((err) => setProblems(problemsOf(err)));
  }, [reload, load]);

  const serving = (s: DirectoryResource): string[] => {
    const own = actorServices(s);
    const services = mapping?.get(s.id) ?? own;
    // The schedule's own service first, then the ones mapped to it.
    return [...own.filter((x) => services.includes(x)), ...services.filter((x) => !own.includes(x)).sort()];
  };
  const serviceText = (id: string) => {
    const s = directory.services.find((x) => x.id === id);
    return s ? serviceLabel(s) : id;
  };

  const map = async (serviceId: string, scheduleId: string, mapped: boolean) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await api.mapService(serviceId, scheduleId, mapped);
      await Promise.all([load(), reload()]);
      setProblems([]);
      setMessage(
        mapped
          ? `${scheduleId} now serves ${serviceText(serviceId)}: a search for that service finds its slots.`
          : `${scheduleId} no longer serves ${serviceText(serviceId)}.`,
      );
    } catch (err) {
      setProblems(problemsOf(err));
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void map(form.serviceId, form.scheduleId, true);
  };

  const ref = (r: Reference | undefined) => referenceText(directory, r);
  return (
    <>
      <ErrorSummary errors={problems} />
      <h1>Directory</h1>
      <p>
        The tenant's own directory: the healthcare services consumers find (by their directory service ID), where they
        are, who works in them, and the schedules that hold their slots. Every reference a resource makes must already
        exist here, so add a location before the service at it, and a service before its schedule.
      </p>
      {message && <Outcome>{message}</Outcome>}
      <a className="nhsuk-button" href="/capacity/directory/new" onClick={follow} role="button" draggable={false}>
        Add a resource
      </a>
      <ResourceTable
        type="HealthcareService"
        resources={directory.services}
        columns={[
          ['Directory service ID', (r) => dosIdOf(r) || <span className="sb-muted">none</span>],
          ['Name', (r) => (typeof r.name === 'string' ? r.name : '')],
          ['Location', (r) => (r.location ?? []).map(ref).join(', ')],
          ['Provided by', (r) => ref(r.providedBy)],
        ]}
      />
      <ResourceTable
        type="Location"
        resources={directory.locations}
        columns={[
          ['Name', (r) => resourceName(r)],
          ['Address', (r) => addressText(addressOf(r))],
        ]}
      />
      <ResourceTable
        type="Practitioner"
        resources={directory.practitioners}
        columns={[
          ['Name', (r) => resourceName(r)],
          ['Gender', (r) => r.gender ?? ''],
        ]}
      />
      <ResourceTable
        type="PractitionerRole"
        resources={directory.roles}
        columns={[
          ['Practitioner', (r) => ref(r.practitioner)],
          ['Organisation', (r) => ref(r.organization)],
          [
            'Role',
            (r) =>
              (r.code ?? [])
                .map((c) => c.text ?? c.coding?.[0]?.display ?? c.coding?.[0]?.code)
                .filter(Boolean)
                .join(', '),
          ],
        ]}
      />
      <ResourceTable
        type="Organization"
        resources={directory.organizations}
        columns={[
          ['ODS code', (r) => r.identifier?.find((i) => i.system === ODS_CODE)?.value ?? ''],
          ['Name', (r) => resourceName(r)],
        ]}
      />
      <ResourceTable
        type="Schedule"
        resources={directory.schedules}
        columns={[
          [
            'Actors',
            (r) => (
              <ul className="nhsuk-list nhsuk-u-margin-bottom-0">
                {(r.actor ?? []).map((a, i) => (
                  <li key={i}>
                    {/^([A-Za-z]+)\//.exec(a.reference ?? '')?.[1] ?? 'Actor'}: {ref(a)}
                  </li>
                ))}
              </ul>
            ),
          ],
        ]}
      />

      <section aria-labelledby="mapping-heading">
        <h2 id="mapping-heading">Services and schedules</h2>
        <p>
          A schedule serves its own service (its actor) and any other service mapped to it; a search for a service finds
          the slots of every schedule that serves it, at once. One schedule may serve several services, and one service
          several schedules.
        </p>
        {!mapping ? (
          <p>Reading which services each schedule serves …</p>
        ) : (
          <table className="nhsuk-table" id="service-mapping">
            <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">
              The services each schedule serves
            </caption>
            <thead className="nhsuk-table__head">
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">Serves</th>
              </tr>
            </thead>
            <tbody className="nhsuk-table__body">
              {directory.schedules.map((s) => {
                const services = serving(s);
                const own = actorServices(s);
                return (
                  <tr key={s.id} data-schedule={s.id}>
                    <td>{s.id}</td>
                    <td>
                      <ul className="nhsuk-list nhsuk-u-margin-bottom-0">
                        {services.map((service) => (
                          <li key={service} data-service={service}>
                            {serviceText(service)}{' '}
                            {own.includes(service) ? (
                              <Tag colour="grey">its own service</Tag>
                            ) : (
                              <button
                                className="nhsuk-button nhsuk-button--secondary nhsuk-button--small nhsuk-u-margin-bottom-0"
                                type="button"
                                disabled={busy}
                                onClick={() => void map(service, s.id, false)}
                              >
                                Unmap
                                <span className="nhsuk-u-visually-hidden">
                                  {' '}
                                  {serviceText(service)} from {s.id}
                                </span>
                              </button>
                            )}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <form onSubmit={submit} noValidate>
          <h3>Map a service to a schedule</h3>
          <div className="sb-inline-fields">
            <Select
              id="map-service"
              label="Service"
              error={errorFor(problems, 'map-service')}
              value={form.serviceId}
              onChange={(serviceId) => setForm({ ...form, serviceId })}
              options={directory.services.map((s) => ({ value: s.id, text: serviceLabel(s) }))}
            />
            <Select
              id="map-schedule"
              label="Schedule"
              error={errorFor(problems, 'map-schedule')}
              value={form.scheduleId}
              onChange={(scheduleId) => setForm({ ...form, scheduleId })}
              options={directory.schedules.map((s) => ({ value: s.id, text: directory.scheduleLabel(s.id) }))}
            />
          </div>
          <div className="sb-actions">
            <button className="nhsuk-button" type="submit" disabled={busy}>
              Map service to schedule
            </button>
            <button
              className="nhsuk-button nhsuk-button--secondary"
              type="button"
              disabled={busy}
              onClick={() => void map(form.serviceId, form.scheduleId, false)}
            >
              Unmap service from schedule
            </button>
          </div>
        </form>
      </section>
    </>
  );
}

interface Fields {
  // Location
  name: string;
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  // Practitioner
  prefix: string;
  given: string;
  family: string;
  gender: string;
  // HealthcareService
  dosId: string;
  serviceName: string;
  typeText: string;
  locationId: string;
  providedBy: string;
  // Schedule
  serviceId: string;
  practitionerId: string;
  roleId: string;
  scheduleLocationId: string;
}

function fieldsOf(r: DirectoryResource | undefined, directory: Directory): Fields {
  const address = r ? addressOf(r) : undefined;
  const human = Array.isArray(r?.name) ? r.name[0] : undefined;
  const actor = (type: string) => (r?.actor ?? []).map((a) => idOf(a, type)).find(Boolean) ?? '';
  return {
    name: typeof r?.name === 'string' ? r.name : '',
    line1: address?.line?.[0] ?? '',
    line2: address?.line?.slice(1).join(', ') ?? '',
    city: address?.city ?? '',
    postalCode: address?.postalCode ?? '',
    prefix: human?.prefix?.join(' ') ?? '',
    given: human?.given?.join(' ') ?? '',
    family: human?.family ?? '',
    gender: r?.gender ?? '',
    dosId: r ? dosIdOf(r) : '',
    serviceName: typeof r?.name === 'string' ? r.name : '',
    // A HealthcareService has a list of types (a Location one type).
    typeText: [r?.type ?? []].flat()[0]?.text ?? '',
    locationId: idOf(r?.location?.[0], 'Location'),
    providedBy: r ? idOf(r.providedBy, 'Organization') : (directory.organizations[0]?.id ?? ''),
    serviceId: actor('HealthcareService') || (r ? '' : (directory.services[0]?.id ?? '')),
    practitionerId: actor('Practitioner'),
    roleId: actor('PractitionerRole'),
    scheduleLocationId: actor('Location'),
  };
}

type Json = Record<string, unknown>;
const words = (text: string) => text.trim().split(/\s+/).filter(Boolean);

/** Leaves out what is empty (the provider refuses empty strings, arrays and objects). */
function set(target: Json, key: string, value: unknown) {
  const empty =
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
  if (empty) delete target[key];
  else target[key] = value;
}

/**
 * The resource the form makes: the one being edited (so elements the form does not show are kept),
 * with the form's elements written over it; and which field each OperationOutcome expression is about.
 */
function resourceOf(
  type: DirectoryType,
  f: Fields,
  base: DirectoryResource | undefined,
): { resource: Json; fields: [string, string][] } {
  const { meta: _meta, id: _id, ...rest } = (base ?? {}) as Json;
  const r: Json = JSON.parse(JSON.stringify(rest)) as Json;
  r.resourceType = type;
  const t = (s: string) => s.trim();
  switch (type) {
    case 'Location': {
      set(r, 'name', t(f.name));
      const address: Json = { ...((addressOf(r as DirectoryResource) ?? {}) as Json) };
      set(address, 'line', [t(f.line1), ...f.line2.split(',').map(t)].filter(Boolean));
      set(address, 'city', t(f.city));
      set(address, 'postalCode', t(f.postalCode).toUpperCase());
      set(r, 'address', address);
      return {
        resource: r,
        fields: [
          ['Location.name', 'loc-name'],
          ['Location.address.line[1]', 'loc-line2'],
          ['Location.address.line', 'loc-line1'],
          ['Location.address.city', 'loc-city'],
          ['Location.address.postalCode', 'loc-postcode'],
        ],
      };
    }
    case 'Practitioner': {
      const names = Array.isArray(r.name) ? [...(r.name as Json[])] : [];
      const name: Json = { ...(names[0] ?? {}) };
      set(name, 'prefix', words(f.prefix));
      set(name, 'given', words(f.given));
      set(name, 'family', t(f.family));
      if (Object.keys(name).length) names[0] = name;
      else names.shift();
      set(r, 'name', names);
      set(r, 'gender', f.gender);
      return {
        resource: r,
        fields: [
          ['Practitioner.name[0].prefix', 'pr-prefix'],
          ['Practitioner.name[0].given', 'pr-given'],
          ['Practitioner.name[0].family', 'pr-family'],
          ['Practitioner.name', 'pr-family'],
          ['Practitioner.gender', 'pr-gender-0'],
        ],
      };
    }
    case 'HealthcareService': {
      const identifiers = ((r.identifier ?? []) as Json[]).filter((i) => i.system !== DOS_SERVICE_ID);
      if (t(f.dosId)) identifiers.unshift({ system: DOS_SERVICE_ID, value: t(f.dosId) });
      set(r, 'identifier', identifiers);
      set(r, 'name', t(f.serviceName));
      const types = [...((r.type ?? []) as Json[])];
      const first: Json = { ...(types[0] ?? {}) };
      set(first, 'text', t(f.typeText));
      if (Object.keys(first).length) types[0] = first;
      else types.shift();
      set(r, 'type', types);
      const locations = [...((r.location ?? []) as Json[])];
      if (f.locationId) locations[0] = { reference: `Location/${f.locationId}` };
      else locations.shift();
      set(r, 'location', locations);
      set(r, 'providedBy', f.providedBy ? { reference: `Organization/${f.providedBy}` } : undefined);
      return {
        resource: r,
        fields: [
          ['HealthcareService.identifier[0]', 'hs-dos'],
          ['HealthcareService.name', 'hs-name'],
          ['HealthcareService.type[0]', 'hs-type'],
          ['HealthcareService.location[0]', 'hs-location'],
          ['HealthcareService.providedBy', 'hs-providedBy'],
        ],
      };
    }
    case 'Schedule': {
      // The form's actors first (one of each), then any others the schedule names.
      const chosen: [string, string, string][] = (
        [
          ['HealthcareService', f.serviceId, 'sch-service'],
          ['Practitioner', f.practitionerId, 'sch-practitioner'],
          ['PractitionerRole', f.roleId, 'sch-role'],
          ['Location', f.scheduleLocationId, 'sch-location'],
        ] as [string, string, string][]
      ).filter(([, id]) => id);
      const shown = new Set<string>();
      const others = ((r.actor ?? []) as Reference[]).filter((a) => {
        const type = /^([A-Za-z]+)\//.exec(a.reference ?? '')?.[1] ?? '';
        if (!['HealthcareService', 'Practitioner', 'PractitionerRole', 'Location'].includes(type) || shown.has(type))
          return true;
        shown.add(type);
        return false;
      });
      set(r, 'actor', [...chosen.map(([type, id]) => ({ reference: `${type}/${id}` })), ...others]);
      return {
        resource: r,
        fields: [
          ...chosen.map(([, , field], i): [string, string] => [`Schedule.actor[${i}]`, field]),
          ['Schedule.actor', 'sch-service'],
        ],
      };
    }
    default:
      return { resource: r, fields: [] };
  }
}

/** A starting point for a resource edited as JSON. */
function template(type: DirectoryType, directory: Directory): Json {
  switch (type) {
    case 'PractitionerRole':
      return {
        resourceType: type,
        practitioner: { reference: `Practitioner/${directory.practitioners[0]?.id ?? 'PRACTITIONER-ID'}` },
        ...(directory.organizations[0]
          ? { organization: { reference: `Organization/${directory.organizations[0].id}` } }
          : {}),
      };
    case 'Organization':
      return { resourceType: type, identifier: [{ system: ODS_CODE, value: 'ODS-CODE' }], name: 'Organisation name' };
    default:
      return resourceOf(type, fieldsOf(undefined, directory), undefined).resource;
  }
}

const jsonOf = (r: Json) => JSON.stringify(r, null, 2);
const withoutMeta = (r: DirectoryResource): Json => {
  const { meta: _meta, ...rest } = r;
  return rest;
};

export function DirectoryForm({
  api,
  directory,
  route,
}: {
  api: CapacityApi;
  directory: Directory;
  route: { type: DirectoryType; id?: string };
}) {
  const init = (r: { type: DirectoryType; id?: string }) => {
    const existing = r.id === undefined ? undefined : listOf(directory, r.type).find((x) => x.id === r.id);
    return {
      type: r.type,
      id: r.id ?? '',
      existing,
      mode: WITH_FORM.includes(r.type) ? ('form' as const) : ('json' as const),
      fields: fieldsOf(existing, directory),
      json: jsonOf(existing ? withoutMeta(existing) : template(r.type, directory)),
      problems: r.id !== undefined && !existing ? [{ message: `This tenant has no ${r.type} ${r.id}.` }] : [],
    };
  };
  const [state, setState] = useState(() => init(route));
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  /** The route the form shows: after a save the page moves to the saved resource's route without starting again. */
  const shown = useRef(`${route.type}/${route.id ?? ''}`);
  useEffect(() => {
    const key = `${route.type}/${route.id ?? ''}`;
    if (key === shown.current) return;
    shown.current = key;
    setState(init(route));
    setMessage(undefined);
  }, [route.type, route.id]);

  const { type, id, existing, mode, fields, json, problems } = state;
  const editing = route.id !== undefined;
  const setProblems = (p: Problem[]) => setState((s) => ({ ...s, problems: p }));
  const setField = (key: keyof Fields) => (value: string) =>
    setState((s) => ({ ...s, fields: { ...s.fields, [key]: value } }));
  const err = (field: string) => errorFor(problems, field);

  const chooseType = (value: string) => {
    if (!isDirectoryType(value)) return;
    setState((s) => ({
      ...s,
      type: value,
      mode: WITH_FORM.includes(value) ? 'form' : 'json',
      json: jsonOf(template(value, directory)),
      problems: [],
    }));
    setMessage(undefined);
  };

  const toJson = () =>
    setState((s) => ({
      ...s,
      mode: 'json',
      json: jsonOf({
        ...resourceOf(s.type, s.fields, s.existing).resource,
        ...(s.id.trim() ? { id: s.id.trim() } : {}),
      }),
      problems: [],
    }));
  const toForm = () => {
    try {
      const parsed = JSON.parse(json) as DirectoryResource;
      setState((s) => ({
        ...s,
        mode: 'form',
        existing: { ...parsed, meta: s.existing?.meta },
        fields: fieldsOf(parsed, directory),
        problems: [],
      }));
    } catch (e) {
      setProblems([{ field: 'dir-json', message: `The resource is not valid JSON: ${(e as Error).message}` }]);
    }
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    setMessage(undefined);
    const resourceId = id.trim();
    const found: Problem[] = [];
    if (!resourceId)
      found.push({
        field: 'dir-id',
        message: `Enter the ${TYPE_TEXT[type].toLowerCase()}'s id, for example ${type === 'Location' ? 'LOC2' : type === 'Schedule' ? 'S3' : type === 'HealthcareService' ? '100003' : `${type.slice(0, 3).toUpperCase()}2`}`,
      });
    let body: unknown;
    let fieldOf: [string, string][] = [];
    if (mode === 'json') {
      try {
        body = JSON.parse(json);
      } catch (e) {
        found.push({ field: 'dir-json', message: `The resource is not valid JSON: ${(e as Error).message}` });
      }
    } else {
      ({ resource: body, fields: fieldOf } = resourceOf(type, fields, existing));
    }
    if (found.length) return setProblems(found);
    setBusy(true);
    void (async () => {
      try {
        const { status, body: saved } = await api.putResource(type, resourceId, body);
        const before = existing?.meta?.versionId;
        const stored = {
          ...(body as Json),
          resourceType: type,
          id: resourceId,
          meta: { versionId: saved.versionId },
        } as DirectoryResource;
        shown.current = `${type}/${resourceId}`;
        setState((s) => ({
          ...s,
          id: resourceId,
          existing: stored,
          json: mode === 'json' ? jsonOf(withoutMeta(stored)) : s.json,
          problems: [],
        }));
        // Every page's choices (the rota form's schedules, say) follow the change; it is saved even if this read fails.
        await directory.reload().catch(() => undefined);
        if (route.type !== type || route.id !== resourceId)
          navigate(`/capacity/directory/${type}/${encodeURIComponent(resourceId)}`, { replace: true });
        setMessage(
          status === 201
            ? `${TYPE_TEXT[type]} ${resourceId} created.`
            : before !== undefined && before === saved.versionId && existing?.id === resourceId
              ? `${TYPE_TEXT[type]} ${resourceId} is unchanged: still version ${saved.versionId}.`
              : `${TYPE_TEXT[type]} ${resourceId} updated to version ${saved.versionId}.`,
        );
      } catch (e) {
        setProblems(placed(e, mode === 'json' ? [] : fieldOf, mode === 'json'));
      } finally {
        setBusy(false);
      }
    })();
  };

  const none = { value: '', text: 'Not given' };
  /** The tenant's resources to choose from, and the one the resource names now when the tenant has no such resource (so it is shown, not silently changed). */
  const options = (list: DirectoryResource[], current: string) => [
    ...list.map((r) => ({ value: r.id, text: resourceName(r) === r.id ? r.id : `${resourceName(r)} (${r.id})` })),
    ...(current && !list.some((r) => r.id === current)
      ? [{ value: current, text: `${current} (not in this tenant)` }]
      : []),
  ];
  return (
    <form onSubmit={save} noValidate>
      <ErrorSummary errors={problems} />
      <a className="nhsuk-back-link" href="/capacity/directory" onClick={follow}>
        Back to the directory
      </a>
      <h1>{editing ? `${TYPE_TEXT[type]} ${route.id}` : 'Add a resource'}</h1>
      {message && <Outcome>{message}</Outcome>}
      {!editing && (
        <Radios
          id="dir-type"
          legend="Type of resource"
          error={err('dir-type-0')}
          options={DIRECTORY_TYPES.map((t) => ({
            value: t,
            text: `${TYPE_TEXT[t]}${WITH_FORM.includes(t) ? '' : ' (as JSON)'}`,
          }))}
          value={type}
          onChange={chooseType}
        />
      )}
      <Input
        id="dir-id"
        label="Id"
        hint="Its FHIR id: letters, digits, hyphens and dots, up to 64; for a healthcare service, usually its directory service ID"
        error={err('dir-id')}
        value={id}
        onChange={(value) => setState((s) => ({ ...s, id: value }))}
        width={20}
        disabled={editing}
      />
      {mode === 'json' ? (
        <div className={`nhsuk-form-group${err('dir-json') ? ' nhsuk-form-group--error' : ''}`}>
          <label className="nhsuk-label" htmlFor="dir-json">
            The {TYPE_TEXT[type].toLowerCase()} as FHIR STU3 JSON
          </label>
          <div className="nhsuk-hint" id="dir-json-hint">
            References name resources of this tenant, for example {'{"reference": "Practitioner/PR1"}'}; the id comes
            from the Id field
          </div>
          {err('dir-json') && (
            <span className="nhsuk-error-message" id="dir-json-error">
              <span className="nhsuk-u-visually-hidden">Error:</span> {err('dir-json')}
            </span>
          )}
          <textarea
            className={`nhsuk-textarea${err('dir-json') ? ' nhsuk-textarea--error' : ''}`}
            id="dir-json"
            name="dir-json"
            rows={14}
            spellCheck={false}
            style={{ fontFamily: 'monospace', fontSize: '16px' }}
            value={json}
            onChange={(e) => setState((s) => ({ ...s, json: e.target.value }))}
            aria-describedby={`dir-json-hint${err('dir-json') ? ' dir-json-error' : ''}`}
          />
        </div>
      ) : type === 'Location' ? (
        <>
          <Input
            id="loc-name"
            label="Name"
            error={err('loc-name')}
            value={fields.name}
            onChange={setField('name')}
            width={30}
          />
          <Input
            id="loc-line1"
            label="Address line 1"
            error={err('loc-line1')}
            value={fields.line1}
            onChange={setField('line1')}
            width={30}
          />
          <Input
            id="loc-line2"
            label="Address line 2 (optional)"
            error={err('loc-line2')}
            value={fields.line2}
            onChange={setField('line2')}
            width={30}
          />
          <Input
            id="loc-city"
            label="Town or city"
            error={err('loc-city')}
            value={fields.city}
            onChange={setField('city')}
            width={20}
          />
          <Input
            id="loc-postcode"
            label="Postcode"
            error={err('loc-postcode')}
            value={fields.postalCode}
            onChange={setField('postalCode')}
            width={10}
          />
        </>
      ) : type === 'Practitioner' ? (
        <>
          <Input
            id="pr-prefix"
            label="Title (optional)"
            hint="For example Dr"
            error={err('pr-prefix')}
            value={fields.prefix}
            onChange={setField('prefix')}
            width={5}
          />
          <Input
            id="pr-given"
            label="Given names"
            error={err('pr-given')}
            value={fields.given}
            onChange={setField('given')}
            width={20}
          />
          <Input
            id="pr-family"
            label="Family name"
            error={err('pr-family')}
            value={fields.family}
            onChange={setField('family')}
            width={20}
          />
          <Radios
            id="pr-gender"
            legend="Gender"
            error={err('pr-gender-0')}
            inline
            options={GENDERS}
            value={fields.gender}
            onChange={setField('gender')}
          />
        </>
      ) : type === 'HealthcareService' ? (
        <>
          <Input
            id="hs-dos"
            label="Directory service ID"
            hint="The service's DoS ID, which consumers find it by"
            error={err('hs-dos')}
            value={fields.dosId}
            onChange={setField('dosId')}
            width={10}
          />
          <Input
            id="hs-name"
            label="Name"
            error={err('hs-name')}
            value={fields.serviceName}
            onChange={setField('serviceName')}
            width={30}
          />
          <Input
            id="hs-type"
            label="Type of service (optional)"
            hint="For example Emergency department"
            error={err('hs-type')}
            value={fields.typeText}
            onChange={setField('typeText')}
            width={30}
          />
          <Select
            id="hs-location"
            label="Location"
            hint="Add a location first if it is not listed"
            error={err('hs-location')}
            value={fields.locationId}
            onChange={setField('locationId')}
            options={[none, ...options(directory.locations, fields.locationId)]}
          />
          <Select
            id="hs-providedBy"
            label="Provided by"
            hint="The organisation that runs it"
            error={err('hs-providedBy')}
            value={fields.providedBy}
            onChange={setField('providedBy')}
            options={[none, ...options(directory.organizations, fields.providedBy)]}
          />
        </>
      ) : (
        <>
          <Select
            id="sch-service"
            label="Its healthcare service"
            hint="The service whose slots it holds (its actor); map it to more services on the directory page"
            error={err('sch-service')}
            value={fields.serviceId}
            onChange={setField('serviceId')}
            options={[
              ...(fields.serviceId ? [] : [{ value: '', text: 'Choose a service' }]),
              ...options(directory.services, fields.serviceId),
            ]}
          />
          <Select
            id="sch-practitioner"
            label="Practitioner (optional)"
            error={err('sch-practitioner')}
            value={fields.practitionerId}
            onChange={setField('practitionerId')}
            options={[none, ...options(directory.practitioners, fields.practitionerId)]}
          />
          <Select
            id="sch-role"
            label="Practitioner role (optional)"
            error={err('sch-role')}
            value={fields.roleId}
            onChange={setField('roleId')}
            options={[none, ...options(directory.roles, fields.roleId)]}
          />
          <Select
            id="sch-location"
            label="Location (optional)"
            error={err('sch-location')}
            value={fields.scheduleLocationId}
            onChange={setField('scheduleLocationId')}
            options={[none, ...options(directory.locations, fields.scheduleLocationId)]}
          />
        </>
      )}
      <div className="sb-actions">
        <button className="nhsuk-button" type="submit" disabled={busy}>
          Save {TYPE_TEXT[type].toLowerCase()}
        </button>
        {WITH_FORM.includes(type) && (
          <button
            className="nhsuk-button nhsuk-button--secondary"
            type="button"
            disabled={busy}
            onClick={mode === 'json' ? toForm : toJson}
          >
            {mode === 'json' ? 'Use the form' : 'Edit as JSON'}
          </button>
        )}
      </div>
    </form>
  );
}

/**
 * The problems of a refused save, each at its field: an issue's expression by the longest field
 * path it starts with (everything at the JSON box when editing JSON); the id's problems at the id.
 */
function placed(err: unknown, fields: [string, string][], json: boolean): Problem[] {
  if (!(err instanceof CapacityError)) return problemsOf(err);
  return err.issues.map((i) => {
    if (/is not a FHIR id|differs from the URL/.test(i.message)) return { message: i.message, field: 'dir-id' };
    const at = i.expression;
    if (json)
      return { message: i.message, field: at || /must be a \w+ resource/.test(i.message) ? 'dir-json' : undefined };
    const match = at
      ? fields
          .filter(([path]) => at === path || at.startsWith(`${path}.`) || at.startsWith(`${path}[`))
          .sort((a, b) => b[0].length - a[0].length)[0]
      : undefined;
    return { message: i.message, field: match?.[1] };
  });
}
