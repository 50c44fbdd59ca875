/**
 * Benchmark catalogues: a tenant `bench` with 100 services, 1,000 schedules and N slots, laid out
 * like a multi-tenant provider's diaries. Service 3000000000's schedule `sch-0000` always has 200
 * consecutive 15-minute slots from tomorrow 00:00 UTC, so a search for tomorrow 10:00–22:30 returns
 * exactly 50 of them, whatever N is.
 */
import { randomUUID } from 'node:crypto';
import { mapServiceToSchedule, putReference, putTenant } from '../src/capacity/catalogue.js';
import type { Store } from '../src/store/store.js';

export const TENANT = 'bench';
export const TARGET_SERVICE = '3000000000';
const SCHEDULES = 1000;
const SERVICES = 100;
const STEP = 900_000;

export function tomorrowMidnight(): number {
  const d = new Date(Date.now() + 86_400_000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** The query returning exactly 50 slots with every include. */
export function fiftySlotQuery(): string {
  const from = new Date(tomorrowMidnight() + 40 * STEP).toISOString();
  const to = new Date(tomorrowMidnight() + 90 * STEP).toISOString();
  return (
    `/Slot?service=${TARGET_SERVICE}&status=free&start=ge${from}&start=lt${to}` +
    '&_include=Slot:schedule&_include:iterate=Schedule:actor:Practitioner&_include:iterate=Schedule:actor:PractitionerRole' +
    '&_include:iterate=Schedule:actor:HealthcareService&_include:iterate=HealthcareService:location&_include:iterate=HealthcareService:providedBy'
  );
}

export interface SlotRef {
  id: string;
  identifier: string;
  scheduleId: string;
  start: string;
  end: string;
  status: 'free';
  deliveryChannel: null;
}

/** Seeds the catalogue with `totalSlots` slots; returns the target schedule's slots. */
export async function seedBenchCatalogue(store: Store, totalSlots: number, progress: (m: string) => void): Promise<SlotRef[]> {
  const { db } = store;
  await putTenant(db, { id: TENANT, name: 'Benchmark provider', odsCode: 'B3N', asid: '300000000001' });
  await putReference(db, TENANT, { resourceType: 'Organization', id: 'B3N', name: 'Benchmark provider trust', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B3N' }] });
  await putReference(db, TENANT, { resourceType: 'Location', id: 'loc', name: 'Benchmark site', address: { line: ['1 Bench Street'], city: 'Leeds', postalCode: 'LS1 1AA' } });
  await putReference(db, TENANT, { resourceType: 'Practitioner', id: 'pr', name: [{ family: 'Bench', given: ['Ada'], prefix: ['Dr'] }], gender: 'female' });
  await putReference(db, TENANT, {
    resourceType: 'PractitionerRole',
    id: 'role',
    practitioner: { reference: 'Practitioner/pr' },
    code: [{ coding: [{ system: 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1', code: 'R0260', display: 'General Medical Practitioner' }] }],
  });
  for (let s = 0; s < SERVICES; s++) {
    await putReference(db, TENANT, {
      resourceType: 'HealthcareService',
      id: String(Number(TARGET_SERVICE) + s),
      name: `Benchmark service ${s}`,
      providedBy: { reference: 'Organization/B3N' },
      location: [{ reference: 'Location/loc' }],
    });
  }
  for (let k = 0; k < SCHEDULES; k++) {
    const id = `sch-${String(k).padStart(4, '0')}`;
    const service = String(Number(TARGET_SERVICE) + (k % SERVICES));
    await putReference(db, TENANT, {
      resourceType: 'Schedule',
      id,
      actor: [{ reference: `HealthcareService/${service}` }, { reference: 'Practitioner/pr' }, { reference: 'PractitionerRole/role' }],
    });
    if (k % SERVICES !== 0) await mapServiceToSchedule(db, TENANT, service, id);
  }
  // Only sch-0000 serves the target service (the others with k % 100 == 0 serve it as actor but
  // are kept out of the mapping so the 50-slot answer stays exact).
  await db.deleteFrom('service_schedule').where('tenant_id', '=', TENANT).where('healthcare_service_id', '=', TARGET_SERVICE).where('schedule_id', '!=', 'sch-0000').execute();

  const base = tomorrowMidnight();
  const now = new Date().toISOString();
  const target: SlotRef[] = [];
  const perOther = Math.max(0, Math.ceil((totalSlots - 200) / (SCHEDULES - 1)));
  let written = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    await store.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 2000) await trx.insertInto('slot').values(rows.slice(i, i + 2000) as never).execute();
    });
  };
  for (let k = 0; k < SCHEDULES && written < totalSlots; k++) {
    const scheduleId = `sch-${String(k).padStart(4, '0')}`;
    const count = k === 0 ? 200 : Math.min(perOther, totalSlots - written);
    for (let i = 0; i < count; i++) {
      const slot = {
        id: `${scheduleId}-${i}`,
        identifier: randomUUID(),
        scheduleId,
        start: new Date(base + i * STEP).toISOString(),
        end: new Date(base + (i + 1) * STEP).toISOString(),
        status: 'free' as const,
        deliveryChannel: null,
      };
      if (k === 0) target.push(slot);
      batch.push({
        tenant_id: TENANT,
        id: slot.id,
        identifier: slot.identifier,
        schedule_id: scheduleId,
        start: slot.start,
        end: slot.end,
        status: 'free',
        delivery_channel: null,
        appointment_id: null,
        version_id: 1,
        last_updated: now,
      });
      written++;
      if (batch.length >= 50_000) {
        await flush();
        progress(`  … ${written.toLocaleString('en-GB')} slots`);
      }
    }
  }
  await flush();
  return target;
}
