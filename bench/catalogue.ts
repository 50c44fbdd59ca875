/**
 * Benchmark catalogues.
 *
 * Growth (benchmarks 1 and 3): a multi-tenant provider of 10 tenants × 20 services × 5 schedules
 * (1,000 schedules, 100 practitioners and roles) whose N slots are spread evenly over every
 * schedule, 15 minutes apart, centred on tomorrow 12:00 UTC. A store grows both ways, as a real
 * one does: further back into the past (history that is never searched again) and further into
 * the future (a longer booking horizon). With 10 thousand slots each schedule holds exactly the
 * 10 slots of the searched window; with 1 million it holds 1,000 (±5 days). The searched service
 * has 5 schedules, so the window always holds exactly 50 of its slots, whatever N is.
 *
 * Race (benchmarks 2 and 4): tenants whose slots are all free and in the future, seeded through
 * the capacity module (`putTenant`, `putReference`, `addSlots`) as an operator would.
 */
import { randomUUID } from 'node:crypto';
import { addSlots, putReference, putTenant, type NewSlot } from '../src/capacity/catalogue.js';
import { SCOPES } from '../src/fhir/token.js';
import type { Store } from '../src/store/store.js';
import { benchToken, get, type RunningServer } from './lib.js';

const STEP = 900_000; // 15 minutes
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

export const GROWTH = { tenants: 10, servicesPerTenant: 20, schedulesPerService: 5, practitionersPerTenant: 10 };
export const GROWTH_SCHEDULES = GROWTH.tenants * GROWTH.servicesPerTenant * GROWTH.schedulesPerService;
/** The searched tenant and service (one in the middle of the catalogue). */
export const SEARCH_TENANT = 'bench-04';
export const SEARCH_SERVICE = serviceId(4, 7); // its schedules are scheduleId(7, 0…4)
const WINDOW_SLOTS_PER_SCHEDULE = 10;

function tenantId(t: number): string {
  return `bench-${String(t).padStart(2, '0')}`;
}
function serviceId(t: number, s: number): string {
  return String(4_000_000 + t * 100 + s);
}

/** Tomorrow at `hour`:00 UTC. */
function tomorrowAt(hour: number): number {
  const d = new Date(Date.now() + 86_400_000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour);
}

/** The centre of every schedule's slots: tomorrow 12:00 UTC. */
function centre(): number {
  return tomorrowAt(12);
}

/** The searched window: 10 slots of each of the searched service's 5 schedules. */
export function searchWindow(): { from: string; to: string; scheduleIds: string[] } {
  return {
    from: new Date(centre() - (WINDOW_SLOTS_PER_SCHEDULE / 2) * STEP).toISOString(),
    to: new Date(centre() + (WINDOW_SLOTS_PER_SCHEDULE / 2) * STEP).toISOString(),
    scheduleIds: Array.from({ length: GROWTH.schedulesPerService }, (_, k) => scheduleId(7, k)),
  };
}

/** The query returning exactly 50 slots of SEARCH_SERVICE, with every include the standard names. */
export function fiftySlotQuery(): string {
  const { from, to } = searchWindow();
  return (
    `/Slot?service=${SEARCH_SERVICE}&status=free&start=ge${from}&start=lt${to}` +
    '&_include=Slot:schedule&_include:iterate=Schedule:actor:Practitioner&_include:iterate=Schedule:actor:PractitionerRole' +
    '&_include:iterate=Schedule:actor:HealthcareService&_include:iterate=HealthcareService:location' +
    '&_include:iterate=HealthcareService:providedBy'
  );
}

/** The search's headers: a JWT for the searched tenant's service root, and JSON. */
export const searchHeaders = (server: RunningServer) => ({
  authorization: `Bearer ${benchToken(server.roots[SEARCH_TENANT], SCOPES.slotRead)}`,
  accept: 'application/fhir+json',
});

/** Checks that the search answers 50 Slots with every include; returns the answer. */
export async function probeSearch(server: RunningServer, headers: Record<string, string>) {
  const url = `${server.origin}${new URL(server.roots[SEARCH_TENANT]).pathname}${fiftySlotQuery()}`;
  const res = await get(url, headers);
  if (res.status !== 200) throw new Error(`search answered ${res.status}: ${res.body.toString().slice(0, 500)}`);
  const bundle = JSON.parse(res.body.toString());
  const counts: Record<string, number> = {};
  for (const e of bundle.entry ?? []) counts[e.resource.resourceType] = (counts[e.resource.resourceType] ?? 0) + 1;
  if (counts.Slot !== 50) throw new Error(`expected 50 slots, got ${counts.Slot}`);
  for (const t of ['Schedule', 'Practitioner', 'PractitionerRole', 'HealthcareService', 'Location', 'Organization']) {
    if (!counts[t]) throw new Error(`the search included no ${t}`);
  }
  const shape = Object.entries(counts)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  return { url, res, shape };
}

export interface GrowthLoad {
  slots: number;
  referenceSeconds: number;
  slotSeconds: number;
}

/**
 * Seeds the growth catalogue with `totalSlots` slots (a multiple of 2,000). Reference resources go
 * through `putReference`; slots are inserted through Kysely directly, 2,000 rows a statement and
 * 50,000 a transaction (`addSlots` commits every 500, which is too slow for a million).
 */
export async function seedGrowthCatalogue(
  store: Store,
  totalSlots: number,
  progress: (m: string) => void,
): Promise<GrowthLoad> {
  const perSchedule = totalSlots / GROWTH_SCHEDULES;
  if (!Number.isInteger(perSchedule / 2) || perSchedule < WINDOW_SLOTS_PER_SCHEDULE) {
    throw new Error(`${totalSlots} slots cannot be spread evenly over ${GROWTH_SCHEDULES} schedules`);
  }
  const { db } = store;
  const t0 = performance.now();
  for (let t = 0; t < GROWTH.tenants; t++) {
    const tenant = tenantId(t);
    const ods = `RB${String(t).padStart(2, '0')}`;
    await putTenant(db, { id: tenant, name: `Benchmark trust ${t}`, odsCode: ods, asid: String(300_000_000_100 + t) });
    await putReference(db, tenant, {
      resourceType: 'Organization',
      id: ods,
      name: `Benchmark NHS trust ${t}`,
      identifier: [{ system: ODS_SYSTEM, value: ods }],
    });
    for (const site of ['a', 'b']) {
      await putReference(db, tenant, {
        resourceType: 'Location',
        id: `loc-${site}`,
        name: `Benchmark site ${t}${site}`,
        address: { line: [`${t + 1} Bench Street`], city: 'Leeds', postalCode: 'LS1 1AA' },
      });
    }
    for (let p = 0; p < GROWTH.practitionersPerTenant; p++) {
      await putReference(db, tenant, {
        resourceType: 'Practitioner',
        id: `pr-${p}`,
        identifier: [
          { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: `G${String(t * 100 + p).padStart(7, '0')}` },
        ],
        name: [{ family: `Bench${p}`, given: ['Ada'], prefix: ['Dr'] }],
        gender: p % 2 ? 'male' : 'female',
      });
      await putReference(db, tenant, {
        resourceType: 'PractitionerRole',
        id: `role-${p}`,
        practitioner: { reference: `Practitioner/pr-${p}` },
        code: [
          {
            coding: [
              {
                system: 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1',
                code: 'R0260',
                display: 'General Medical Practitioner',
              },
            ],
          },
        ],
      });
    }
    for (let s = 0; s < GROWTH.servicesPerTenant; s++) {
      const service = serviceId(t, s);
      await putReference(db, tenant, {
        resourceType: 'HealthcareService',
        id: service,
        identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: service }],
        name: `Benchmark service ${service}`,
        providedBy: { reference: `Organization/${ods}` },
        location: [{ reference: `Location/loc-${s % 2 ? 'b' : 'a'}` }],
      });
      for (let k = 0; k < GROWTH.schedulesPerService; k++) {
        const p = (s * GROWTH.schedulesPerService + k) % GROWTH.practitionersPerTenant;
        await putReference(db, tenant, {
          resourceType: 'Schedule',
          id: scheduleId(s, k),
          actor: [
            { reference: `HealthcareService/${service}` },
            { reference: `Practitioner/pr-${p}` },
            { reference: `PractitionerRole/role-${p}` },
          ],
        });
      }
    }
  }
  const t1 = performance.now();

  const first = centre() - (perSchedule / 2) * STEP;
  const now = new Date().toISOString();
  let written = 0;
  let batch: object[] = [];
  const flush = async () => {
    const rows = batch;
    batch = [];
    await store.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 2000)
        await trx
          .insertInto('slot')
          .values(rows.slice(i, i + 2000) as never)
          .execute();
    });
    progress(`     … ${written.toLocaleString('en-GB')} of ${totalSlots.toLocaleString('en-GB')} slots`);
  };
  for (let t = 0; t < GROWTH.tenants; t++) {
    for (let s = 0; s < GROWTH.servicesPerTenant; s++) {
      for (let k = 0; k < GROWTH.schedulesPerService; k++) {
        const schedule = scheduleId(s, k);
        for (let i = 0; i < perSchedule; i++) {
          batch.push({
            tenant_id: tenantId(t),
            id: `${schedule}-${String(i).padStart(6, '0')}`,
            identifier: randomUUID(),
            schedule_id: schedule,
            start: new Date(first + i * STEP).toISOString(),
            end: new Date(first + (i + 1) * STEP).toISOString(),
            status: 'free',
            delivery_channel: k % 3 === 0 ? 'Telephone' : 'In-person',
            appointment_id: null,
            version_id: 1,
            last_updated: now,
          });
          written++;
          if (batch.length === 50_000) await flush();
        }
      }
    }
  }
  if (batch.length) await flush();
  return { slots: written, referenceSeconds: (t1 - t0) / 1000, slotSeconds: (performance.now() - t1) / 1000 };
}

function scheduleId(s: number, k: number): string {
  return `sch-${String(s).padStart(2, '0')}-${k}`;
}

// ---------------------------------------------------------------------------------------------

/** `count` consecutive free 15-minute slots of a schedule from `first` (UTC milliseconds). */
function quarterHourSlots(prefix: string, scheduleId: string, first: number, count: number): NewSlot[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${String(i).padStart(3, '0')}`,
    identifier: randomUUID(),
    scheduleId,
    start: new Date(first + i * STEP).toISOString(),
    end: new Date(first + (i + 1) * STEP).toISOString(),
    status: 'free' as const,
    deliveryChannel: 'In-person' as const,
  }));
}

/**
 * A small tenant for booking races: one service, `schedules` schedules of `perSchedule` consecutive free
 * 15-minute slots from tomorrow 08:00 UTC. Returns its slots (what a booking names).
 */
export async function seedRaceTenant(
  store: Store,
  tenant: string,
  schedules: number,
  perSchedule: number,
): Promise<NewSlot[]> {
  const { db } = store;
  const ods = `R${tenant.slice(0, 4).toUpperCase()}`;
  await putTenant(db, {
    id: tenant,
    name: `Race provider ${tenant}`,
    odsCode: ods,
    asid: String(300_000_000_900 + tenant.length),
  });
  await putReference(db, tenant, {
    resourceType: 'Organization',
    id: ods,
    name: `Race trust ${tenant}`,
    identifier: [{ system: ODS_SYSTEM, value: ods }],
  });
  await putReference(db, tenant, {
    resourceType: 'Location',
    id: 'loc',
    name: 'Race site',
    address: { line: ['1 Race Road'], city: 'York', postalCode: 'YO1 7HH' },
  });
  await putReference(db, tenant, {
    resourceType: 'Practitioner',
    id: 'pr',
    name: [{ family: 'Race', given: ['Ruth'], prefix: ['Dr'] }],
    gender: 'female',
  });
  await putReference(db, tenant, {
    resourceType: 'PractitionerRole',
    id: 'role',
    practitioner: { reference: 'Practitioner/pr' },
  });
  await putReference(db, tenant, {
    resourceType: 'HealthcareService',
    id: '5000001',
    name: 'Race service',
    providedBy: { reference: `Organization/${ods}` },
    location: [{ reference: 'Location/loc' }],
  });
  const slots: NewSlot[] = [];
  for (let k = 0; k < schedules; k++) {
    const schedule = `race-sch-${k}`;
    await putReference(db, tenant, {
      resourceType: 'Schedule',
      id: schedule,
      actor: [
        { reference: 'HealthcareService/5000001' },
        { reference: 'Practitioner/pr' },
        { reference: 'PractitionerRole/role' },
      ],
    });
    slots.push(...quarterHourSlots(`${schedule}-slot`, schedule, tomorrowAt(8), perSchedule));
  }
  await addSlots(store, tenant, slots);
  return slots;
}
