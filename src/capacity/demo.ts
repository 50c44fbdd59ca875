/**
 * `--seed demo`: two believable provider organisations — an emergency department and an urgent
 * treatment centre with GP out-of-hours — each with directory-style healthcare services, locations,
 * practitioners and roles, schedules, and 15-minute slots for the next 7 days, some already busy.
 * Seeding again adds the slots that have come into the 7-day horizon and duplicates nothing.
 * All names, codes and people are fictional.
 */
import { createHash } from 'node:crypto';
import type {
  Address,
  HealthcareService,
  Location,
  Organization,
  Practitioner,
  PractitionerRole,
  Schedule,
} from 'fhir/r3.js';
import { toUtcText, wallClockToUtc, LOCAL_TIME_ZONE } from '../fhir/time.js';
import type { Store } from '../store/store.js';
import {
  addSlots,
  putReference,
  putTenant,
  mapServiceToSchedule,
  type NewSlot,
  type TenantSettings,
} from './catalogue.js';

export const DOS_ID_SYSTEM = 'https://fhir.nhs.uk/Id/dos-service-id';
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
const SDS_USER = 'https://fhir.nhs.uk/Id/sds-user-id';
const SDS_ROLE = 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1';
const SLOT_MINUTES = 15;
const HORIZON_DAYS = 7;

/** A UUID that is always the same for the same text (so re-seeding keeps slot identifiers). */
export function stableUuid(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface SessionPlan {
  schedule: Schedule;
  /** Local (UK) opening hours of the sessions, every day. */
  opens: string;
  closes: string;
  channel: NewSlot['deliveryChannel'];
  /** Also serves these directory services (many-to-many mapping). */
  alsoServes?: string[];
}

interface DemoTenant {
  settings: TenantSettings;
  organization: Organization;
  locations: Location[];
  services: HealthcareService[];
  practitioners: Practitioner[];
  roles: PractitionerRole[];
  sessions: SessionPlan[];
}

const address = (line: string[], city: string, postalCode: string): Address => ({
  use: 'work',
  type: 'physical',
  line,
  city,
  postalCode,
  text: [...line, city, postalCode].join(', '),
});

function organization(ods: string, name: string, addr: Address): Organization {
  return {
    resourceType: 'Organization',
    id: ods,
    identifier: [{ system: ODS_SYSTEM, value: ods }],
    type: [
      { coding: [{ system: 'http://hl7.org/fhir/organization-type', code: 'prov', display: 'Healthcare Provider' }] },
    ],
    name,
    address: [addr],
  };
}

function location(
  id: string,
  name: string,
  addr: Address,
  phone: string,
  latitude: number,
  longitude: number,
  odsSite: string,
): Location {
  return {
    resourceType: 'Location',
    id,
    identifier: [{ use: 'usual', system: 'https://fhir.nhs.uk/Id/ods-site-code', value: odsSite }],
    status: 'active',
    name,
    telecom: [{ system: 'phone', value: phone, use: 'work' }],
    address: addr,
    position: { longitude, latitude },
  };
}

function service(
  dosId: string,
  name: string,
  type: string,
  org: string,
  loc: string,
  phone: string,
): HealthcareService {
  return {
    resourceType: 'HealthcareService',
    id: dosId,
    identifier: [{ system: DOS_ID_SYSTEM, value: dosId }],
    active: true,
    providedBy: { reference: `Organization/${org}` },
    type: [{ text: type }],
    location: [{ reference: `Location/${loc}` }],
    name,
    telecom: [{ system: 'phone', value: phone, use: 'work' }],
  };
}

function practitioner(
  id: string,
  sdsUserId: string,
  prefix: string,
  given: string,
  family: string,
  gender: string,
): Practitioner {
  return {
    resourceType: 'Practitioner',
    id,
    identifier: [{ system: SDS_USER, value: sdsUserId }],
    name: [{ use: 'official', family, given: [given], prefix: [prefix] }],
    gender,
  };
}

function role(id: string, practitionerId: string, org: string, code: string, display: string): PractitionerRole {
  return {
    resourceType: 'PractitionerRole',
    id,
    active: true,
    practitioner: { reference: `Practitioner/${practitionerId}` },
    organization: { reference: `Organization/${org}` },
    code: [{ coding: [{ system: SDS_ROLE, code, display }] }],
  };
}

function schedule(id: string, serviceId: string, comment: string, practitionerId?: string, roleId?: string): Schedule {
  const actor = [{ reference: `HealthcareService/${serviceId}` }];
  if (practitionerId) actor.push({ reference: `Practitioner/${practitionerId}` });
  if (roleId) actor.push({ reference: `PractitionerRole/${roleId}` });
  return {
    resourceType: 'Schedule',
    id,
    identifier: [{ system: 'https://slotbridge.example/Id/schedule', value: id }],
    active: true,
    actor,
    comment,
  };
}

const riversideAddress = address(['Riverside General Hospital', 'Infirmary Road'], 'Leeds', 'LS1 3EX');
const childrensAddress = address(["Riverside Children's Hospital", 'Clarendon Way'], 'Leeds', 'LS2 9NS');
const northgateAddress = address(['Northgate Health Centre', '14 Northgate'], 'Wakefield', 'WF1 3HS');

export const DEMO_TENANTS: DemoTenant[] = [
  {
    settings: {
      id: 'riverside-ed',
      name: 'Riverside General Hospital Emergency Department',
      odsCode: 'R9R',
      asid: '200000000101',
    },
    organization: organization('R9R', 'Riverside Teaching Hospitals NHS Trust', riversideAddress),
    locations: [
      location(
        'rgh-ed',
        'Riverside General Hospital Emergency Department',
        riversideAddress,
        '0113 496 0001',
        53.7996,
        -1.5521,
        'R9R01',
      ),
      location(
        'rch-ed',
        "Riverside Children's Emergency Department",
        childrensAddress,
        '0113 496 0002',
        53.8043,
        -1.5531,
        'R9R02',
      ),
    ],
    services: [
      service(
        '2000011001',
        'Riverside Emergency Department (adults)',
        'Emergency Department',
        'R9R',
        'rgh-ed',
        '0113 496 0001',
      ),
      service(
        '2000011002',
        'Riverside ED See and Treat (minor injuries)',
        'Emergency Department',
        'R9R',
        'rgh-ed',
        '0113 496 0001',
      ),
      service(
        '2000011003',
        "Riverside Children's Emergency Department",
        'Emergency Department',
        'R9R',
        'rch-ed',
        '0113 496 0002',
      ),
    ],
    practitioners: [
      practitioner('p-okafor', '900000000101', 'Dr', 'Adaeze', 'Okafor', 'female'),
      practitioner('p-lindqvist', '900000000102', 'Dr', 'Erik', 'Lindqvist', 'male'),
      practitioner('p-shah', '900000000103', 'Ms', 'Priya', 'Shah', 'female'),
    ],
    roles: [
      role('r-okafor', 'p-okafor', 'R9R', 'R0050', 'Consultant'),
      role('r-lindqvist', 'p-lindqvist', 'R9R', 'R0050', 'Consultant'),
      role('r-shah', 'p-shah', 'R9R', 'R0260', 'General Medical Practitioner'),
    ],
    sessions: [
      {
        schedule: schedule('rgh-ed-adults', '2000011001', 'Adult ED arrival slots', 'p-okafor', 'r-okafor'),
        opens: '08:00',
        closes: '22:00',
        channel: 'In-person',
      },
      {
        schedule: schedule('rgh-ed-minors', '2000011002', 'See and Treat clinic', 'p-shah', 'r-shah'),
        opens: '07:00',
        closes: '23:00',
        channel: 'In-person',
      },
      {
        schedule: schedule('rgh-ed-overflow', '2000011001', 'Shared overflow diary for both adult services'),
        opens: '10:00',
        closes: '18:00',
        channel: null, // SLOT-4: a diary whose delivery channel is not recorded
        alsoServes: ['2000011002'],
      },
      {
        schedule: schedule(
          'rch-ed-children',
          '2000011003',
          "Children's ED arrival slots",
          'p-lindqvist',
          'r-lindqvist',
        ),
        opens: '09:00',
        closes: '21:00',
        channel: 'In-person',
      },
    ],
  },
  {
    settings: { id: 'northgate-utc', name: 'Northgate Urgent Treatment Centre', odsCode: 'N9G', asid: '200000000102' },
    organization: organization('N9G', 'Northgate Community Health CIC', northgateAddress),
    locations: [
      location(
        'northgate-utc',
        'Northgate Urgent Treatment Centre',
        northgateAddress,
        '01924 496 010',
        53.6857,
        -1.4977,
        'N9G01',
      ),
    ],
    services: [
      service(
        '2000022001',
        'Northgate UTC walk-in appointments',
        'Urgent Treatment Centre',
        'N9G',
        'northgate-utc',
        '01924 496 010',
      ),
      service(
        '2000022002',
        'Northgate GP out of hours telephone consultations',
        'GP Out of Hours',
        'N9G',
        'northgate-utc',
        '01924 496 011',
      ),
      service(
        '2000022003',
        'Northgate GP out of hours video consultations',
        'GP Out of Hours',
        'N9G',
        'northgate-utc',
        '01924 496 011',
      ),
    ],
    practitioners: [
      practitioner('p-mensah', '900000000201', 'Dr', 'Kwame', 'Mensah', 'male'),
      practitioner('p-ferreira', '900000000202', 'Dr', 'Sofia', 'Ferreira', 'female'),
      practitioner('p-wright', '900000000203', 'Mr', 'Tom', 'Wright', 'male'),
    ],
    roles: [
      role('r-mensah', 'p-mensah', 'N9G', 'R0260', 'General Medical Practitioner'),
      role('r-ferreira', 'p-ferreira', 'N9G', 'R0260', 'General Medical Practitioner'),
      role('r-wright', 'p-wright', 'N9G', 'R0260', 'General Medical Practitioner'),
    ],
    sessions: [
      {
        schedule: schedule('ngt-utc-walkin', '2000022001', 'UTC booked arrival slots', 'p-wright', 'r-wright'),
        opens: '08:00',
        closes: '20:00',
        channel: 'In-person',
      },
      {
        schedule: schedule('ngt-ooh-phone', '2000022002', 'GP out of hours call-backs', 'p-mensah', 'r-mensah'),
        opens: '08:00',
        closes: '22:00',
        channel: 'Telephone',
      },
      {
        schedule: schedule('ngt-ooh-video', '2000022003', 'GP out of hours video calls', 'p-ferreira', 'r-ferreira'),
        opens: '09:00',
        closes: '17:00',
        channel: 'Video',
      },
    ],
  },
];

function localDate(ms: number): { y: number; m: number; d: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: LOCAL_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return { y: get('year'), m: get('month'), d: get('day') };
}

/** The session's 15-minute slots from the current quarter hour to `days` days ahead. */
export function sessionSlots(tenantId: string, plan: SessionPlan, now: number, days = HORIZON_DAYS): NewSlot[] {
  const step = SLOT_MINUTES * 60_000;
  const from = Math.floor(now / step) * step;
  const until = now + days * 86_400_000;
  const [oh, om] = plan.opens.split(':').map(Number);
  const [ch, cm] = plan.closes.split(':').map(Number);
  const today = localDate(now);
  const slots: NewSlot[] = [];
  for (let day = 0; day <= days; day++) {
    for (let minute = oh * 60 + om; minute + SLOT_MINUTES <= ch * 60 + cm; minute += SLOT_MINUTES) {
      const wall = Date.UTC(today.y, today.m - 1, today.d + day, 0, minute);
      const start = wallClockToUtc(wall);
      if (start < from || start >= until) continue;
      const startText = toUtcText(start);
      const id = `${plan.schedule.id}-${startText.slice(0, 16).replace(/[-:T]/g, '')}`;
      const identifier = stableUuid(`${tenantId}/${id}`);
      // About one slot in five is already taken by other channels (walk-ins, phone bookings).
      const busy = parseInt(identifier.slice(0, 2), 16) % 5 === 0;
      slots.push({
        id,
        identifier,
        scheduleId: plan.schedule.id!,
        start: startText,
        end: toUtcText(start + step),
        status: busy ? 'busy' : 'free',
        deliveryChannel: plan.channel,
      });
    }
  }
  return slots;
}

export interface SeedReport {
  tenant: string;
  name: string;
  services: number;
  schedules: number;
  slotsAdded: number;
}

export async function seedDemo(store: Store, now = Date.now()): Promise<SeedReport[]> {
  const reports: SeedReport[] = [];
  for (const t of DEMO_TENANTS) {
    const tenantId = t.settings.id;
    await putTenant(store.db, t.settings);
    for (const resource of [t.organization, ...t.locations, ...t.services, ...t.practitioners, ...t.roles]) {
      await putReference(store.db, tenantId, resource);
    }
    let slotsAdded = 0;
    for (const plan of t.sessions) {
      await putReference(store.db, tenantId, plan.schedule);
      for (const serviceId of plan.alsoServes ?? [])
        await mapServiceToSchedule(store.db, tenantId, serviceId, plan.schedule.id!);
      slotsAdded += await addSlots(store, tenantId, sessionSlots(tenantId, plan, now));
    }
    reports.push({
      tenant: tenantId,
      name: t.settings.name,
      services: t.services.length,
      schedules: t.sessions.length,
      slotsAdded,
    });
  }
  return reports;
}
