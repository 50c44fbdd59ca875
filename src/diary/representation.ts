/**
 * How stored rows become FHIR resources: `resourceType`, `id` and `meta` come from the row's
 * columns, the rest from its stored content. Every resource carries its CareConnect profile.
 */
import type { Resource, Slot } from 'fhir/r3.js';
import type { SlotRow } from '../store/schema.js';

export const CARECONNECT = 'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-';
export const profileOf = (resourceType: string) => `${CARECONNECT}${resourceType}-1`;

export const UUID_SYSTEM = 'https://tools.ietf.org/html/rfc4122';
export const DELIVERY_CHANNEL_EXTENSION =
  'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2';

/** The reference resources a provider serves reads of, and the table that holds each. */
export const REFERENCE_TABLES = {
  HealthcareService: 'healthcare_service',
  Schedule: 'schedule',
  Location: 'location',
  Practitioner: 'practitioner',
  PractitionerRole: 'practitioner_role',
  Organization: 'organization',
} as const;
export type ReferenceType = keyof typeof REFERENCE_TABLES;
export const REFERENCE_TYPES = Object.keys(REFERENCE_TABLES) as ReferenceType[];

export interface StoredRow {
  id: string;
  version_id: number;
  last_updated: string;
  content: string;
}

export function storedResource(resourceType: string, row: StoredRow): Resource {
  const content = JSON.parse(row.content) as Record<string, unknown>;
  return {
    resourceType,
    id: row.id,
    meta: { versionId: String(row.version_id), lastUpdated: row.last_updated, profile: [profileOf(resourceType)] },
    ...content,
  } as Resource;
}

export function slotResource(row: SlotRow): Slot {
  return {
    resourceType: 'Slot',
    id: row.id,
    meta: { versionId: String(row.version_id), lastUpdated: row.last_updated, profile: [profileOf('Slot')] },
    // SLOT-4: the delivery channel is sent when known and never defaulted.
    ...(row.delivery_channel
      ? { extension: [{ url: DELIVERY_CHANNEL_EXTENSION, valueCode: row.delivery_channel }] }
      : {}),
    identifier: [{ system: UUID_SYSTEM, value: row.identifier }],
    schedule: { reference: `Schedule/${row.schedule_id}` },
    status: row.status,
    start: row.start,
    end: row.end,
  };
}
