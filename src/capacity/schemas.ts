/**
 * The admin API's route schemas (`/admin/{tenant}/…`, src/capacity/admin.ts), declared once: Fastify
 * checks each request against them before a handler runs, the CLI's commands check their input
 * against the same ones (src/capacity/input.ts), and the server's and the web app's types are derived
 * from them (web/src/capacity/api.ts imports them type-only). A property's `errorMessage` is what a
 * client is told when it is wrong or missing (src/validation/route-schema.ts).
 *
 * This module imports only `typebox` and the diary's weekdays, so the browser build can read its types. What needs the store
 * or a calendar (the schedule exists, a date like 2026-02-31 does not, sessions overlap) is checked
 * in code, after these.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { WEEKDAYS } from '../diary/sessions.js';

export { WEEKDAYS };
export const CHANNELS = ['In-person', 'Telephone', 'Video'] as const;
export const BANK_HOLIDAY_REGIONS = ['england-and-wales', 'scotland', 'northern-ireland'] as const;
/**
 * Years the bank-holiday calendar answers for. Before 2013 the calendar package misses one-off days
 * (the 2002 and 2012 jubilees and the spring holidays moved for them, the 2011 royal wedding); rotas
 * only look ahead.
 */
export const FIRST_YEAR = 2013;
export const LAST_YEAR = 2100;
export const ORGANISATION_TYPES = [
  'urgent-care',
  'nhs-111',
  'gp-practice',
  'out-of-hours',
  'emergency-department',
  'pharmacy',
  'other',
] as const;
/** The resource types a tenant's directory keeps (the provider's reference tables). */
export const DIRECTORY_TYPES = [
  'HealthcareService',
  'Location',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Schedule',
] as const;

const FHIR_ID = '^[A-Za-z0-9\\-.]{1,64}$';
const DATE = '^\\d{4}-\\d{2}-\\d{2}$';
const HHMM = '^(([01]?\\d|2[0-3]):[0-5]\\d|24:00)$';
/** An ODS code as people type it: the handlers trim it and read it in capitals. */
const ODS = '^\\s*[A-Za-z0-9]{1,12}\\s*$';

const orNull = <T extends TSchema>(schema: T, errorMessage: string) =>
  Type.Union([schema, Type.Null()], { errorMessage });

export const Weekday = Type.Enum(WEEKDAYS);
export type Weekday = Static<typeof Weekday>;
export const Channel = Type.Enum(CHANNELS);
export type Channel = Static<typeof Channel>;
export const BankHolidayRegion = Type.Enum(BANK_HOLIDAY_REGIONS);
export type BankHolidayRegion = Static<typeof BankHolidayRegion>;
export const OrganisationType = Type.Enum(ORGANISATION_TYPES);
export type OrganisationType = Static<typeof OrganisationType>;
export type DirectoryType = (typeof DIRECTORY_TYPES)[number];

export const TenantParams = Type.Object({ tenant: Type.String() });

// Rotas

const ROTA_ID_MESSAGE = 'rota id: must be 1–40 lower-case letters, digits or - (no dots)';
const rotaId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$', errorMessage: ROTA_ID_MESSAGE });
const EXCEPTIONS_MESSAGE = 'rota exceptions: must be a list of dates, YYYY-MM-DD';
const TIME_ZONE_MESSAGE = 'rota timeZone: must be a time zone, e.g. Europe/London';
const BANK_HOLIDAYS_MESSAGE =
  'rota bankHolidays: must be "open" (sessions run on bank holidays) or one of ' +
  `${BANK_HOLIDAY_REGIONS.join(', ')} (no sessions on that region's bank holidays)`;
const RESOURCE_ID_MESSAGE = 'must be the id of a resource in this tenant (1–64 letters, digits, - or .)';
const rotaFields = {
  id: rotaId,
  scheduleId: Type.String({ minLength: 1, errorMessage: 'rota scheduleId: is required' }),
  days: Type.Array(Weekday, { minItems: 1, errorMessage: `rota days: must list days from ${WEEKDAYS.join(', ')}` }),
  /** Local wall-clock times, HH:MM. */
  start: Type.String({
    pattern: HHMM,
    errorMessage: 'rota start: must be a time like 08:00 or 8:00 (local time, 24-hour clock)',
  }),
  end: Type.String({ pattern: HHMM, errorMessage: 'rota end: must be a time like 17:30 (local time, 24-hour clock)' }),
  slotMinutes: Type.Integer({
    minimum: 5,
    maximum: 480,
    errorMessage: 'rota slotMinutes: must be a whole number of minutes from 5 to 480',
  }),
  /** Local dates, YYYY-MM-DD; `effectiveTo` inclusive. */
  effectiveFrom: Type.String({ pattern: DATE, errorMessage: 'rota effectiveFrom: must be a date, YYYY-MM-DD' }),
  effectiveTo: Type.String({
    pattern: DATE,
    errorMessage: 'rota effectiveTo: must be a date on or after effectiveFrom',
  }),
  /** Dates with no sessions (closures). */
  exceptions: Type.Array(Type.String({ pattern: DATE }), { errorMessage: EXCEPTIONS_MESSAGE }),
  timeZone: Type.String({ minLength: 1, maxLength: 64, errorMessage: TIME_ZONE_MESSAGE }),
  /**
   * "open" (an emergency department's rota): sessions run on bank holidays. A region: no sessions on
   * that region's bank holidays, substitute days included (src/capacity/bank-holidays.ts).
   */
  bankHolidays: Type.Enum(['open', ...BANK_HOLIDAY_REGIONS] as const, { errorMessage: BANK_HOLIDAYS_MESSAGE }),
  /** The Practitioner and Location (ids in the tenant) who run the sessions and where. */
  practitionerId: Type.String({ pattern: FHIR_ID, errorMessage: `rota practitionerId: ${RESOURCE_ID_MESSAGE}` }),
  locationId: Type.String({ pattern: FHIR_ID, errorMessage: `rota locationId: ${RESOURCE_ID_MESSAGE}` }),
};
const channelOrNull = orNull(
  Channel,
  `rota deliveryChannel: must be one of ${CHANNELS.join(', ')} (or null when not known)`,
);

/** A rota as saved and answered: recurring sessions in a service's local time that make a schedule's slots. */
export const Rota = Type.Object({
  id: rotaFields.id,
  scheduleId: rotaFields.scheduleId,
  days: rotaFields.days,
  start: rotaFields.start,
  end: rotaFields.end,
  slotMinutes: rotaFields.slotMinutes,
  deliveryChannel: channelOrNull,
  effectiveFrom: rotaFields.effectiveFrom,
  effectiveTo: Type.Optional(rotaFields.effectiveTo),
  exceptions: rotaFields.exceptions,
  timeZone: rotaFields.timeZone,
  /** Absent on rotas saved before bank holidays were a field: they ran on them ("open"). */
  bankHolidays: Type.Optional(rotaFields.bankHolidays),
  practitionerId: Type.Optional(rotaFields.practitionerId),
  locationId: Type.Optional(rotaFields.locationId),
});
export type Rota = Static<typeof Rota>;
export const RotaList = Type.Object({ rotas: Type.Array(Rota) });
export type RotaList = Static<typeof RotaList>;

/**
 * A rota as a client sends it (the preview's body, and a file for `provider rota put`): the fields a
 * saved rota fills in (delivery channel, exceptions, time zone, bank holidays) may be left out or null.
 */
export const RotaInput = Type.Object(
  {
    ...Rota.properties,
    deliveryChannel: Type.Optional(channelOrNull),
    exceptions: Type.Optional(orNull(rotaFields.exceptions, EXCEPTIONS_MESSAGE)),
    timeZone: Type.Optional(orNull(rotaFields.timeZone, TIME_ZONE_MESSAGE)),
    bankHolidays: Type.Optional(orNull(rotaFields.bankHolidays, BANK_HOLIDAYS_MESSAGE)),
    practitionerId: Type.Optional(orNull(rotaFields.practitionerId, `rota practitionerId: ${RESOURCE_ID_MESSAGE}`)),
    locationId: Type.Optional(orNull(rotaFields.locationId, `rota locationId: ${RESOURCE_ID_MESSAGE}`)),
  },
  { errorMessage: 'rota body: must be a JSON object' },
);
export type RotaInput = Static<typeof RotaInput>;

/** PUT /rotas/{id}: the URL names the rota, so the body may leave its id out. */
export const RotaPutBody = Type.Object(
  { ...RotaInput.properties, id: Type.Optional(Type.String({ errorMessage: ROTA_ID_MESSAGE })) },
  { errorMessage: 'rota body: must be a JSON object' },
);
export const RotaParams = Type.Object({ tenant: Type.String(), id: rotaId });

const horizonDays = (name: string) =>
  Type.Integer({ minimum: 1, maximum: 366, errorMessage: `${name} must be a whole number from 1 to 366` });
export const PreviewQuery = Type.Object({ days: Type.Optional(horizonDays('days')) });
export const GenerateBody = Type.Object({ horizonDays: Type.Optional(horizonDays('horizonDays')) });

/**
 * Slots a rota did not add (or would not) because another slot of the same schedule overlaps them in
 * time: counts per reason, and the first few with the slot each overlaps.
 */
export const SkipSummary = Type.Object({
  count: Type.Integer(),
  reasons: Type.Array(Type.Object({ reason: Type.String(), text: Type.String(), count: Type.Integer() })),
  examples: Type.Array(
    Type.Object({
      start: Type.String(),
      end: Type.String(),
      reason: Type.String(),
      overlaps: Type.Object({ id: Type.String(), start: Type.String(), end: Type.String(), status: Type.String() }),
    }),
  ),
});
export type SkipSummary = Static<typeof SkipSummary>;

/** The preview (dry run) of a rota: what generating it now would make. */
export const RotaPreview = Type.Object({
  rota: Rota,
  horizonDays: Type.Integer(),
  total: Type.Integer(),
  /** The days that have slots, with their count and the first and last slot's local start (HH:MM). */
  days: Type.Array(
    Type.Object({
      date: Type.String(),
      weekday: Weekday,
      count: Type.Integer(),
      first: Type.String(),
      last: Type.String(),
    }),
  ),
  /** The first 1,000 slots. */
  slots: Type.Array(Type.Object({ id: Type.String(), start: Type.String(), end: Type.String() })),
  /** Of `total`, how many the rota has already made (generation leaves them as they are). */
  existing: Type.Integer(),
  /** Of `total`, those generating now would not add because another slot of the schedule is there. */
  skipped: SkipSummary,
  /** Set when the rota ended before today: it makes no slots. */
  past: Type.Optional(Type.String()),
});
export type RotaPreview = Static<typeof RotaPreview>;

export const GenerationReport = Type.Object({
  rota: Type.String(),
  added: Type.Integer(),
  removed: Type.Integer(),
  /** Slots the rota no longer makes but that are booked or blocked, so they stay. */
  kept: Type.Array(Type.Object({ id: Type.String(), start: Type.String(), status: Type.String() })),
  /** Slots the rota makes that were not added: another slot of the schedule overlaps them. */
  skipped: SkipSummary,
});
export type GenerationReport = Static<typeof GenerationReport>;

export const BankHolidaysQuery = Type.Object({
  region: Type.Enum(BANK_HOLIDAY_REGIONS, { errorMessage: `region must be one of ${BANK_HOLIDAY_REGIONS.join(', ')}` }),
  year: Type.Optional(
    Type.Integer({
      minimum: FIRST_YEAR,
      maximum: LAST_YEAR,
      errorMessage: `year must be a year from ${FIRST_YEAR} to ${LAST_YEAR}`,
    }),
  ),
});

// Blocking and releasing slots, extra slots

const selectionMessage = 'select slots either by slotIds, or by scheduleId with from and to';
const instantMessage = 'from and to must be instants with an offset, e.g. 2026-12-01T09:00:00Z';
/** Slots chosen by id, or a schedule's slots starting at or after `from` and before `to` (instants). */
export const SlotSelection = Type.Object(
  {
    slotIds: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        maxItems: 5000,
        errorMessage: 'slotIds must be a list of at most 5,000 slot ids (strings of up to 64 characters)',
      }),
    ),
    scheduleId: Type.Optional(Type.String({ errorMessage: selectionMessage })),
    from: Type.Optional(Type.String({ errorMessage: instantMessage })),
    to: Type.Optional(Type.String({ errorMessage: instantMessage })),
  },
  { errorMessage: selectionMessage },
);
export type SlotSelection = Static<typeof SlotSelection>;

export const AvailabilityReport = Type.Object({
  changed: Type.Array(Type.String()),
  /** Selected slots left as they were, with their status (booked ones, or already so). */
  skipped: Type.Array(Type.Object({ id: Type.String(), status: Type.String() })),
});
export type AvailabilityReport = Static<typeof AvailabilityReport>;

/** A one-off extra slot; blocked unless `release` is true. */
export const ExtraSlotInput = Type.Object({
  scheduleId: Type.String({ errorMessage: 'scheduleId is required' }),
  start: Type.String({ errorMessage: 'start and end must be instants with an offset' }),
  end: Type.String({ errorMessage: 'start and end must be instants with an offset' }),
  deliveryChannel: Type.Optional(orNull(Channel, `deliveryChannel must be one of ${CHANNELS.join(', ')}`)),
  release: Type.Optional(Type.Boolean({ errorMessage: 'release must be true or false' })),
});
export type ExtraSlotInput = Static<typeof ExtraSlotInput>;

export const ExtraSlot = Type.Object({
  id: Type.String(),
  identifier: Type.String(),
  scheduleId: Type.String(),
  start: Type.String(),
  end: Type.String(),
  status: Type.String(),
  deliveryChannel: Type.Union([Channel, Type.Null()]),
});
export type ExtraSlot = Static<typeof ExtraSlot>;

// Release rules

const wholeFrom0 = (field: string, max: number, text: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: max, errorMessage: `release rule ${field}: ${text}` }));
const ruleLimits = {
  /** At most N booked slots a day on this schedule through the API. */
  capPerDay: wholeFrom0('capPerDay', 10_000, 'must be a whole number from 0'),
  /** At most N booked slots in each rota session (src/capacity/sessions.ts). */
  capPerSession: wholeFrom0('capPerSession', 10_000, 'must be a whole number from 0'),
  /** Slots no further ahead than this. */
  bookingWindowDays: wholeFrom0('bookingWindowDays', 366, 'must be a whole number of days from 0 to 366'),
  /** Slots no sooner than this before their start. */
  embargoMinutes: wholeFrom0('embargoMinutes', 10_080, 'must be a whole number of minutes from 0 to 10,080'),
};

/** Which consumers see a schedule's slots (src/capacity/release.ts); a schedule without one is released to all. */
export const ReleaseRule = Type.Object({
  scheduleId: Type.String(),
  /** false: no external consumer sees or books its slots. */
  bookable: Type.Boolean(),
  /** ODS codes it is released to (empty: no restriction by organisation). */
  organisations: Type.Array(Type.String()),
  /** Organisation types it is released to (empty: no restriction by type); one of ORGANISATION_TYPES each. */
  organisationTypes: Type.Array(Type.String()),
  ...ruleLimits,
});
export type ReleaseRule = Static<typeof ReleaseRule>;

export const ReleaseRuleInput = Type.Object(
  {
    bookable: Type.Optional(Type.Boolean({ errorMessage: 'release rule bookable: must be true or false' })),
    organisations: Type.Optional(
      orNull(Type.Array(Type.String({ pattern: ODS })), 'release rule organisations: must be a list of ODS codes'),
    ),
    organisationTypes: Type.Optional(
      orNull(
        Type.Array(OrganisationType),
        `release rule organisationTypes: must be a list of ${ORGANISATION_TYPES.join(', ')}`,
      ),
    ),
    ...ruleLimits,
  },
  { errorMessage: 'release rule body: must be a JSON object' },
);
export type ReleaseRuleInput = Static<typeof ReleaseRuleInput>;
export const ScheduleParams = Type.Object({ tenant: Type.String(), schedule: Type.String() });

export const ReleaseList = Type.Object({
  rules: Type.Array(ReleaseRule),
  organisationTypes: Type.Array(Type.Object({ ods_code: Type.String(), type: Type.String() })),
});
export type ReleaseList = Static<typeof ReleaseList>;

export const OrganisationParams = Type.Object({
  tenant: Type.String(),
  ods: Type.String({ pattern: ODS, errorMessage: '{value} is not an ODS code (1–12 letters or digits)' }),
});
export const OrganisationTypeBody = Type.Object({
  type: orNull(OrganisationType, `type must be one of ${ORGANISATION_TYPES.join(', ')}, or null to remove it`),
});
export const OrganisationTypeAnswer = Type.Object({
  ods: Type.String(),
  type: Type.Union([OrganisationType, Type.Null()]),
});
export type OrganisationTypeAnswer = Static<typeof OrganisationTypeAnswer>;

/** "What would consumer X see right now?" */
export const ConsumerPreviewQuery = Type.Object({
  ods: Type.String({ pattern: ODS, errorMessage: 'ods (the consumer organisation’s ODS code) is required' }),
  from: Type.Optional(Type.String({ errorMessage: 'from and to must be instants, to after from' })),
  to: Type.Optional(Type.String({ errorMessage: 'from and to must be instants, to after from' })),
});
export const ConsumerPreview = Type.Object({
  ods: Type.String(),
  visible: Type.Integer(),
  withheld: Type.Integer(),
  slots: Type.Array(
    Type.Object({
      id: Type.String(),
      schedule_id: Type.String(),
      start: Type.String(),
      end: Type.String(),
      visible: Type.Boolean(),
      /** Why a consumer does not see it. */
      reason: Type.Optional(Type.String()),
    }),
  ),
});
export type ConsumerPreview = Static<typeof ConsumerPreview>;

// The front desk and the day

/** The front desk's moves and corrections (TRANSITIONS in front-desk.ts; docs/capacity.md). */
export const AppointmentStatusBody = Type.Object({
  status: Type.Enum(['arrived', 'fulfilled', 'noshow', 'cancelled', 'booked'], {
    errorMessage: 'status must be arrived, fulfilled, noshow, cancelled or booked (to correct a mistake)',
  }),
});
export const AppointmentParams = Type.Object({ tenant: Type.String(), id: Type.String() });
export const AppointmentStatusAnswer = Type.Object({
  id: Type.String(),
  before: Type.String(),
  status: Type.String(),
  versionId: Type.String(),
});
export type AppointmentStatusAnswer = Static<typeof AppointmentStatusAnswer>;

export const DayQuery = Type.Object({
  date: Type.Optional(Type.String({ pattern: DATE, errorMessage: 'date must be YYYY-MM-DD (a UK day)' })),
});
export const DayBooking = Type.Object({
  slotId: Type.String(),
  start: Type.String(),
  appointmentId: Type.String(),
  status: Type.String(),
  bookedBy: Type.Union([Type.String(), Type.Null()]),
  /** The patient's name and NHS number as the booking gave them (the provider's own data, for its staff). */
  patientName: Type.Union([Type.String(), Type.Null()]),
  nhsNumber: Type.Union([Type.String(), Type.Null()]),
  /** The front desk's allowed next statuses (corrections of a mistake included; none once cancelled). */
  moves: Type.Array(Type.String()),
});
export type DayBooking = Static<typeof DayBooking>;
/** A schedule's day: `offered` (its slots) is always booked + free + blocked. */
export const DaySchedule = Type.Object({
  scheduleId: Type.String(),
  services: Type.Array(Type.String()),
  offered: Type.Integer(),
  booked: Type.Integer(),
  free: Type.Integer(),
  blocked: Type.Integer(),
  bookings: Type.Array(DayBooking),
});
export type DaySchedule = Static<typeof DaySchedule>;
export const DayView = Type.Object({ date: Type.String(), schedules: Type.Array(DaySchedule) });
export type DayView = Static<typeof DayView>;

// The directory: FHIR STU3 resources as stored (checked against the STU3 model, src/fhir/structure.ts)

/** FHIR datatypes as far as the pages read them; every other element is kept and passed on as it is. */
const open = { additionalProperties: true } as const;
export const Reference = Type.Object(
  { reference: Type.Optional(Type.String()), display: Type.Optional(Type.String()) },
  open,
);
export type Reference = Static<typeof Reference>;
const strings = Type.Optional(Type.Array(Type.String()));
export const HumanName = Type.Object(
  { text: Type.Optional(Type.String()), family: Type.Optional(Type.String()), given: strings, prefix: strings },
  open,
);
export type HumanName = Static<typeof HumanName>;
export const Address = Type.Object(
  {
    line: strings,
    city: Type.Optional(Type.String()),
    district: Type.Optional(Type.String()),
    postalCode: Type.Optional(Type.String()),
  },
  open,
);
export type Address = Static<typeof Address>;
const Coding = Type.Object(
  { system: Type.Optional(Type.String()), code: Type.Optional(Type.String()), display: Type.Optional(Type.String()) },
  open,
);
export const CodeableConcept = Type.Object(
  { text: Type.Optional(Type.String()), coding: Type.Optional(Type.Array(Coding)) },
  open,
);
export type CodeableConcept = Static<typeof CodeableConcept>;
const Identifier = Type.Object({ system: Type.Optional(Type.String()), value: Type.Optional(Type.String()) }, open);

/**
 * A directory resource as GET /resources/{type} lists it. Where STU3 gives an element different
 * cardinalities in different resources (a Location has one address and one type, an Organization a
 * list of each; a HealthcareService's name is text, a Practitioner's a list of HumanNames) both are declared.
 */
export const DirectoryResource = Type.Object(
  {
    resourceType: Type.String(),
    id: Type.String(),
    meta: Type.Optional(Type.Object({ versionId: Type.Optional(Type.String()) }, open)),
    name: Type.Optional(Type.Union([Type.String(), Type.Array(HumanName)])),
    actor: Type.Optional(Type.Array(Reference)),
    identifier: Type.Optional(Type.Array(Identifier)),
    address: Type.Optional(Type.Union([Address, Type.Array(Address)])),
    gender: Type.Optional(Type.String()),
    location: Type.Optional(Type.Array(Reference)),
    providedBy: Type.Optional(Reference),
    practitioner: Type.Optional(Reference),
    organization: Type.Optional(Reference),
    code: Type.Optional(Type.Array(CodeableConcept)),
    type: Type.Optional(Type.Union([Type.Array(CodeableConcept), CodeableConcept])),
  },
  open,
);
export type DirectoryResource = Static<typeof DirectoryResource>;
export const ResourceParams = Type.Object({
  tenant: Type.String(),
  type: Type.String(),
  id: Type.String({ pattern: FHIR_ID, errorMessage: '{value} is not a FHIR id (1–64 letters, digits, - or .)' }),
});
export const ResourceStored = Type.Object({ resourceType: Type.String(), id: Type.String(), versionId: Type.String() });
export type ResourceStored = Static<typeof ResourceStored>;
export const ResourceList = Type.Object({ resources: Type.Array(DirectoryResource) });
export type ResourceList = Static<typeof ResourceList>;
export const ResourceTypeParams = Type.Object({ tenant: Type.String(), type: Type.String() });

export const Mapping = Type.Object({
  scheduleId: Type.String(),
  /** The service the schedule names as its actor. */
  ownService: Type.String(),
  /** Its own service and those mapped to it. */
  services: Type.Array(Type.String()),
});
export type Mapping = Static<typeof Mapping>;
export const MappingParams = Type.Object({ tenant: Type.String(), service: Type.String(), schedule: Type.String() });
export const MappingList = Type.Object({ mappings: Type.Array(Mapping) });
export type MappingList = Static<typeof MappingList>;
export const MappingAnswer = Type.Object({ service: Type.String(), schedule: Type.String(), mapped: Type.Boolean() });

export const AuditEntry = Type.Object({
  seq: Type.Integer(),
  at: Type.String(),
  tenant_id: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
  /** The address the call came from (null: the command line, or before addresses were kept). */
  peer: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type AuditEntry = Static<typeof AuditEntry>;
export const AuditList = Type.Object({ entries: Type.Array(AuditEntry) });
export type AuditList = Static<typeof AuditList>;
