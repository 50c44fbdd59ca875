/**
 * The SDS FHIR API's searches over the endpoint directory's registrations (sds_as, sds_mhs), and the
 * R4 Device and Endpoint resources they become. Every search is one SQL query filtered by the
 * parameters it was given; a system's bound client certificate is never selected.
 *
 * What each resource carries, from our registrations:
 *   Device    nhsSpineASID (sds_as.asid), nhsMhsPartyKey, ManufacturingOrganisation (the ODS code a
 *             party key begins with), one NhsServiceInteractionId per interaction, owner (sds_as.ods_code)
 *   Endpoint  address (the service root), managingOrganization (the ODS code of the accredited system
 *             with the same party key), nhsMhsFQDN (the address's host), nhsMhsPartyKey, nhsMHSId
 *             (sds_mhs.id), one NhsServiceInteractionId
 */
import type { Bundle, BundleEntry, Device, Endpoint, Extension, Identifier } from 'fhir/r4.js';
import { sql, type Kysely } from 'kysely';
import { createHash, randomUUID } from 'node:crypto';
import type { Database } from '../../store/schema.js';
import { INTERACTIONS, SLOT_SEARCH_ALIAS } from '../interactions.js';

export const SDS_SYSTEMS = {
  ods: 'https://fhir.nhs.uk/Id/ods-organization-code',
  interaction: 'https://fhir.nhs.uk/Id/nhsServiceInteractionId',
  partyKey: 'https://fhir.nhs.uk/Id/nhsMhsPartyKey',
  asid: 'https://fhir.nhs.uk/Id/nhsSpineASID',
  fqdn: 'https://fhir.nhs.uk/Id/nhsMhsFQDN',
  mhsId: 'https://fhir.nhs.uk/Id/nhsMHSId',
} as const;

export const SDS_EXTENSIONS = {
  manufacturingOrganisation: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-ManufacturingOrganisation',
  interaction: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId',
} as const;

export interface DeviceSearch {
  odsCode: string;
  interaction: string;
  partyKey?: string;
  manufacturingOrganisation?: string;
}

export interface EndpointSearch {
  odsCode?: string;
  interaction?: string;
  partyKey?: string;
}

/** Both names of the slot search interaction find what is registered under either (docs/decisions.md). */
function interactionNames(interaction: string): string[] {
  return interaction === INTERACTIONS.slotSearch || interaction === SLOT_SEARCH_ALIAS
    ? [INTERACTIONS.slotSearch, SLOT_SEARCH_ALIAS]
    : [interaction];
}

/** A LIKE pattern matching `needle` anywhere, with LIKE's own wildcards in it taken literally (ESCAPE '\'). */
function containsPattern(needle: string): string {
  return `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A stable resource id (UUID-shaped, upper case as SDS writes them) for one registration. */
function resourceId(kind: string, key: string): string {
  const hex = createHash('sha256').update(`${kind}\u0000${key}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}

/** The ODS code a party key begins with (`A20047-821870` → `A20047`), upper case. */
export function partyKeyOrganisation(partyKey: string): string | undefined {
  const at = partyKey.indexOf('-');
  return at > 0 ? partyKey.slice(0, at).toUpperCase() : undefined;
}

function odsReference(value: string) {
  return { identifier: { system: SDS_SYSTEMS.ods, value } };
}

function interactionExtension(value: string): Extension {
  return {
    url: SDS_EXTENSIONS.interaction,
    valueReference: { identifier: { system: SDS_SYSTEMS.interaction, value } },
  };
}

export async function searchDevices(db: Kysely<Database>, q: DeviceSearch): Promise<Device[]> {
  const names = interactionNames(q.interaction);
  let query = db
    .selectFrom('sds_as')
    .select(['asid', 'party_key', 'ods_code', 'interactions'])
    .where('ods_code', '=', q.odsCode.toUpperCase())
    .where((eb) =>
      eb.or(
        names.map(
          (name) => sql<boolean>`${eb.ref('interactions')} like ${containsPattern(JSON.stringify(name))} escape '\\'`,
        ),
      ),
    );
  if (q.partyKey !== undefined) query = query.where('party_key', '=', q.partyKey);
  if (q.manufacturingOrganisation !== undefined) {
    const prefix = `${q.manufacturingOrganisation.toUpperCase()}-`;
    query = query.where(sql`upper(substr(party_key, 1, ${prefix.length}))`, '=', prefix);
  }
  const rows = await query.orderBy('asid').execute();
  const devices: Device[] = [];
  for (const row of rows) {
    const interactions = JSON.parse(row.interactions) as string[];
    // LIKE found the candidates; SQLite's LIKE ignores case, so the exact match is confirmed here.
    if (!interactions.some((i) => names.includes(i))) continue;
    const manufacturer = partyKeyOrganisation(row.party_key);
    devices.push({
      resourceType: 'Device',
      id: resourceId('Device', row.asid),
      identifier: [
        { system: SDS_SYSTEMS.asid, value: row.asid },
        { system: SDS_SYSTEMS.partyKey, value: row.party_key },
      ],
      extension: [
        ...(manufacturer
          ? [{ url: SDS_EXTENSIONS.manufacturingOrganisation, valueReference: odsReference(manufacturer) }]
          : []),
        ...interactions.map(interactionExtension),
      ],
      owner: odsReference(row.ods_code),
    });
  }
  return devices;
}

/** The host of an endpoint's address (nhsMhsFQDN), or undefined when the address is not a URL. */
function hostOf(address: string): string | undefined {
  try {
    return new URL(address).hostname || undefined;
  } catch {
    return undefined;
  }
}

export async function searchEndpoints(db: Kysely<Database>, q: EndpointSearch): Promise<Endpoint[]> {
  const ods = q.odsCode?.toUpperCase();
  let query = db.selectFrom('sds_mhs as m').select((eb) => [
    'm.id',
    'm.party_key',
    'm.interaction',
    'm.endpoint',
    eb
      .selectFrom('sds_as as a')
      .select((inner) => inner.fn.min('a.ods_code').as('ods'))
      .whereRef('a.party_key', '=', 'm.party_key')
      .$if(ods !== undefined, (sub) => sub.where('a.ods_code', '=', ods!))
      .as('ods_code'),
  ]);
  if (q.partyKey !== undefined) query = query.where('m.party_key', '=', q.partyKey);
  if (q.interaction !== undefined) query = query.where('m.interaction', 'in', interactionNames(q.interaction));
  if (ods !== undefined)
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('sds_as as o')
          .select(sql`1`.as('one'))
          .whereRef('o.party_key', '=', 'm.party_key')
          .where('o.ods_code', '=', ods),
      ),
    );
  const rows = await query.orderBy('m.id').execute();
  return rows.map((row) => {
    const fqdn = hostOf(row.endpoint);
    const identifier: Identifier[] = [
      ...(fqdn ? [{ system: SDS_SYSTEMS.fqdn, value: fqdn }] : []),
      { system: SDS_SYSTEMS.partyKey, value: row.party_key },
      { system: SDS_SYSTEMS.mhsId, value: row.id },
    ];
    const endpoint: Endpoint = {
      resourceType: 'Endpoint',
      id: resourceId('Endpoint', row.id),
      status: 'active',
      connectionType: {
        system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
        code: 'hl7-fhir-msg',
        display: 'HL7 FHIR Messaging',
      },
      payloadType: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any', display: 'Any' },
          ],
        },
      ],
      address: row.endpoint,
      ...(row.ods_code ? { managingOrganization: odsReference(row.ods_code) } : {}),
      identifier,
      extension: [interactionExtension(row.interaction)],
    };
    return endpoint;
  });
}

/** A searchset Bundle as SDS answers one: every match, its total, the search's own URL, each entry's fullUrl. */
export function searchset<T extends Device | Endpoint>(resources: T[], selfUrl: string, typeUrl: string): Bundle<T> {
  const entry: BundleEntry<T>[] = resources.map((resource) => ({
    fullUrl: `${typeUrl}/${resource.id}`,
    resource,
    search: { mode: 'match' },
  }));
  return {
    resourceType: 'Bundle',
    id: randomUUID().toUpperCase(),
    type: 'searchset',
    total: resources.length,
    link: [{ relation: 'self', url: selfUrl }],
    entry,
  };
}
