/**
 * The one schema of the store (SQLite and PostgreSQL alike). Times are UTC text
 * `YYYY-MM-DDThh:mm:ss.sssZ`; FHIR content is JSON text; every row belongs to a tenant.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface TenantTable {
  /** The routing segment of the tenant's service root: `{origin}/STU3/1/{id}`. */
  id: string;
  name: string;
  ods_code: string;
  asid: string;
  /** JSON array of consumer ODS codes this tenant refuses (P7). */
  refused_organisations: string;
  created_at: string;
}

/** Columns every stored reference resource has. */
interface StoredResource {
  tenant_id: string;
  id: string;
  version_id: number;
  last_updated: string;
  /** The FHIR resource as JSON, without id and meta (those come from the columns). */
  content: string;
}

export type OrganizationTable = StoredResource & { ods_code: string | null; name: string };
export type LocationTable = StoredResource & { name: string };
export type PractitionerTable = StoredResource;
export type PractitionerRoleTable = StoredResource & { practitioner_id: string | null };

export type HealthcareServiceTable = StoredResource & {
  /** The id is the directory (DoS) service ID consumers search with. */
  name: string;
  organization_id: string | null;
  location_id: string | null;
  active: number;
};

export type ScheduleTable = StoredResource & {
  /** The schedule's HealthcareService actor (P13). */
  healthcare_service_id: string;
  practitioner_id: string | null;
  practitioner_role_id: string | null;
  active: number;
};

/** Which schedules serve which directory service (fs_slotmanagement mapping table, many-to-many). */
export interface ServiceScheduleTable {
  tenant_id: string;
  healthcare_service_id: string;
  schedule_id: string;
}

export interface SlotTable {
  tenant_id: string;
  id: string;
  /** The slot's UUID identifier (system https://tools.ietf.org/html/rfc4122). */
  identifier: string;
  schedule_id: string;
  start: string;
  end: string;
  /** busy | free | busy-unavailable | busy-tentative | entered-in-error */
  status: string;
  /** In-person | Telephone | Video, or null when unknown (SLOT-4: never defaulted). */
  delivery_channel: string | null;
  appointment_id: string | null;
  version_id: number;
  last_updated: string;
}

export interface AppointmentTable {
  tenant_id: string;
  id: string;
  /** The current version. */
  version_id: number;
  status: string;
  slot_id: string;
  start: string;
  end: string;
  created: string;
  /** `system|value` of the patient's identifier: the NHS number, or our local identifier (BOOK-3). */
  patient_identifier: string;
  /** ODS code of the consumer organisation that booked. */
  consumer_ods: string;
  /** UUID of the referral document named by the contained DocumentReference (BOOK-4). */
  document_id: string | null;
  last_updated: string;
}

/**
 * Every version of every appointment (the current one's content is read from here) (API-6, P31), with
 * the provenance of the write that made it.
 */
export interface AppointmentVersionTable {
  tenant_id: string;
  id: string;
  version_id: number;
  status: string;
  last_updated: string;
  content: string;
  interaction: string;
  request_id: string;
  correlation_id: string | null;
  author_id: string | null;
  author_name: string | null;
  author_role: string | null;
  entered_by: string | null;
  organisation_ods: string;
  organisation_name: string | null;
  device: string | null;
}

/** Idempotent booking retries (API-9, BOOK-5): one row per consumer X-Request-ID that booked. */
export interface BookingRequestTable {
  tenant_id: string;
  consumer_ods: string;
  request_id: string;
  appointment_id: string;
  version_id: number;
  created_at: string;
}

/** Referral documents named by bookings, and whether the document itself has arrived (BOOK-4). */
export interface ReferralDocumentTable {
  tenant_id: string;
  document_id: string;
  appointment_id: string | null;
  linked_at: string | null;
  decoupled_at: string | null;
  received_at: string | null;
  content_type: string | null;
  body: string | null;
  consumer_ods: string | null;
}

/** The append-only audit trail of every request (P5, P35, NFR audit). */
export interface AuditEventTable {
  seq: Generated<number>;
  at: string;
  tenant_id: string | null;
  method: string;
  path: string;
  interaction: string | null;
  status: number;
  outcome: string;
  diagnostics: string | null;
  consumer_fault: number;
  request_id: string;
  correlation_id: string | null;
  ssp_trace_id: string | null;
  ssp_from: string | null;
  ssp_to: string | null;
  ssp_interaction_id: string | null;
  organisation_ods: string | null;
  organisation_name: string | null;
  device_id: string | null;
  device_model: string | null;
  device_version: string | null;
  practitioner_id: string | null;
  practitioner_name: string | null;
  practitioner_sds_user_id: string | null;
  practitioner_sds_role_profile_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  version_id: string | null;
  duration_ms: number;
  /** The socket's remote address (migration 007): the proxy's, for a call that came through it. */
  peer_address: string | null;
  /** `CN=…` of the peer's verified client certificate, under mutual TLS. */
  peer_certificate: string | null;
  /** The RFC 7239 Forwarded header as received (the proxy adds one naming the consumer). */
  forwarded: string | null;
  /** 1: the peer is the configured proxy; 0: it is not (refused); null: no proxy is configured. */
  via_proxy: number | null;
}

/** A DoS service record; list and structure columns hold JSON text (see src/spine/directory). */
export interface DirectoryServiceTable {
  id: string;
  name: string;
  type: string;
  ods_code: string | null;
  address: string;
  postcode: string | null;
  latitude: number | null;
  longitude: number | null;
  opening_times: string;
  dispositions: string;
  age_min: number;
  age_max: number;
  attributes: string;
  endpoints: string;
  updated_at: string;
}

/**
 * One disposition a directory service accepts (migration 009), with copies of the service's position
 * (both null without one) and age range: what the search filters on, read through an index.
 */
export interface DirectoryDispositionTable {
  disposition: string;
  service_id: string;
  latitude: number | null;
  longitude: number | null;
  age_min: number;
  age_max: number;
}

/** SDS nhsAS: an accredited system. `interactions` is a JSON array of interaction IDs. */
export interface SdsAsTable {
  asid: string;
  party_key: string;
  ods_code: string;
  name: string;
  interactions: string;
  updated_at: string;
  /** The client certificate bound to the system (`CN=…` or `SHA256:…`), or null (migration 008). */
  client_certificate: string | null;
}

/** SDS nhsMHS: the endpoint (service root URL) of a party key for one interaction. */
export interface SdsMhsTable {
  id: string;
  party_key: string;
  interaction: string;
  endpoint: string;
  updated_at: string;
}

export interface ProxyCallTable {
  seq: Generated<number>;
  at: string;
  trace_id: string | null;
  from_asid: string | null;
  to_asid: string | null;
  interaction: string | null;
  method: string;
  target: string | null;
  status: number;
  latency_ms: number;
  /** `proxy` when the proxy answered itself (a refused or failed call), else `provider`. */
  answered_by: string;
  reason: string | null;
}

/** The spine's audit trail of the operator's changes: who, what, when, before and after (JSON). */
export interface SpineAuditTable {
  seq: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
}

/** One step of a consumer's workflow, for the consumer reports; `details` is JSON text. */
export interface ConsumerEventTable {
  seq: Generated<number>;
  at: string;
  encounter_id: string | null;
  kind: string;
  service_id: string | null;
  registered_practice: string | null;
  disposition: string | null;
  consumer_ods: string | null;
  user_id: string | null;
  appointment_url: string | null;
  details: string;
}

/** A booking this consumer made (the provider holds the truth; this is how to find it again). */
export interface ConsumerBookingTable {
  appointment_url: string;
  service_id: string;
  asid: string;
  service_root: string;
  appointment_id: string;
  version_id: string;
  status: string;
  slot_id: string;
  slot_start: string;
  slot_end: string;
  /** The service's name when booked (010); null for older rows. */
  service_name: string | null;
  nhs_number: string | null;
  patient: string;
  document_id: string;
  request_id: string;
  encounter_id: string | null;
  created_at: string;
  updated_at: string;
}

/** A referral document the consumer produced (fs_xfercare), never replaced once linked to a booking. */
export interface ConsumerReferralTable {
  document_id: string;
  appointment_url: string | null;
  service_id: string;
  content_type: string;
  content: string;
  created_at: string;
}

/** A rota (src/capacity/rota.ts); `content` is the rota as JSON. */
export interface RotaTable {
  tenant_id: string;
  id: string;
  schedule_id: string;
  content: string;
  updated_at: string;
}

/** An admin API token, kept only as its SHA-256. */
export interface AdminTokenTable {
  token_hash: string;
  /** A short id to name the token by (list, revoke); never the token. */
  id: string | null;
  name: string;
  created_at: string;
  /** The tenants it may act on, as a JSON array of ids. */
  tenants: Generated<string>;
  /** 1: every tenant (an operator's token); then `tenants` is empty. */
  all_tenants: Generated<number>;
  expires_at: string | null;
  revoked_at: string | null;
}

/** Append-only record of every admin change: who, what, when, before and after (JSON). */
export interface AdminAuditTable {
  seq: Generated<number>;
  at: string;
  tenant_id: string;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
  /** The address the call came from (admin API calls; null for the command line and older rows). */
  peer: Generated<string | null>;
}

/** A schedule's release rule (src/capacity/release.ts); `content` is the rule as JSON. */
export interface ReleaseRuleTable {
  tenant_id: string;
  schedule_id: string;
  content: string;
  updated_at: string;
}

/** The organisation type a tenant gives a consumer organisation (urgent-care, 111, gp-practice…). */
export interface ConsumerOrganisationTypeTable {
  tenant_id: string;
  ods_code: string;
  type: string;
}

export interface Database {
  tenant: TenantTable;
  organization: OrganizationTable;
  location: LocationTable;
  practitioner: PractitionerTable;
  practitioner_role: PractitionerRoleTable;
  healthcare_service: HealthcareServiceTable;
  schedule: ScheduleTable;
  service_schedule: ServiceScheduleTable;
  slot: SlotTable;
  appointment: AppointmentTable;
  appointment_version: AppointmentVersionTable;
  booking_request: BookingRequestTable;
  referral_document: ReferralDocumentTable;
  audit_event: AuditEventTable;
  directory_service: DirectoryServiceTable;
  directory_disposition: DirectoryDispositionTable;
  sds_as: SdsAsTable;
  sds_mhs: SdsMhsTable;
  proxy_call: ProxyCallTable;
  spine_audit: SpineAuditTable;
  consumer_event: ConsumerEventTable;
  consumer_booking: ConsumerBookingTable;
  consumer_referral: ConsumerReferralTable;
  rota: RotaTable;
  admin_token: AdminTokenTable;
  admin_audit: AdminAuditTable;
  release_rule: ReleaseRuleTable;
  consumer_organisation_type: ConsumerOrganisationTypeTable;
}

export type Tenant = Selectable<TenantTable>;
export type SlotRow = Selectable<SlotTable>;
export type AppointmentRow = Selectable<AppointmentTable>;
export type AuditEventRow = Selectable<AuditEventTable>;
export type NewAuditEvent = Insertable<AuditEventTable>;
