/** A provider on a real port over a real store, with a small known catalogue, for tests. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Appointment } from 'fhir/r3.js';
import { addSlots, mapServiceToSchedule, putReference, putTenant, type NewSlot } from '../../src/capacity/catalogue.js';
import { buildProviderServer, type ProviderServer } from '../../src/server/provider.js';
import type { Store } from '../../src/store/store.js';
import { testStore, type TestStore } from './store.js';

export const TENANT = 'test-ed';
export const OTHER_TENANT = 'other-utc';
export const SERVICE = '100001';
export const SECOND_SERVICE = '100002';
export const OTHER_SERVICE = '200001';
export const HOUR = 3_600_000;

/** Tomorrow 10:00 UTC: far enough ahead that no test slot is in the past. */
export function tomorrowAt(hour = 10): number {
  const d = new Date(Date.now() + 86_400_000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour);
}

export function quarterHourSlots(
  prefix: string,
  scheduleId: string,
  first: number,
  count: number,
  channel: NewSlot['deliveryChannel'] = 'In-person',
): NewSlot[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${String(i).padStart(3, '0')}`,
    identifier: randomUUID(),
    scheduleId,
    start: new Date(first + i * 900_000).toISOString(),
    end: new Date(first + (i + 1) * 900_000).toISOString(),
    status: 'free' as const,
    deliveryChannel: channel,
  }));
}

export interface Catalogue {
  /** 16 free slots on schedule S1 (service 100001) from tomorrow 10:00Z. */
  s1: NewSlot[];
  /** 8 slots on schedule S2 (service 100002, also mapped to 100001) from tomorrow 14:00Z, no delivery channel. */
  s2: NewSlot[];
  /** 4 slots of the other tenant. */
  other: NewSlot[];
}

export async function seedCatalogue(store: Store): Promise<Catalogue> {
  const { db } = store;
  await putTenant(db, { id: TENANT, name: 'Test Emergency Department', odsCode: 'RT1', asid: '999000000001' });
  await putTenant(db, {
    id: OTHER_TENANT,
    name: 'Other Urgent Treatment Centre',
    odsCode: 'RT2',
    asid: '999000000002',
  });
  await putReference(db, TENANT, {
    resourceType: 'Organization',
    id: 'RT1',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RT1' }],
    name: 'Test Hospitals NHS Trust',
  });
  await putReference(db, TENANT, {
    resourceType: 'Location',
    id: 'LOC1',
    name: 'Test Hospital ED',
    address: { line: ['1 Test Road'], city: 'Leeds', postalCode: 'LS1 4AP' },
  });
  await putReference(db, TENANT, {
    resourceType: 'HealthcareService',
    id: SERVICE,
    identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: SERVICE }],
    providedBy: { reference: 'Organization/RT1' },
    location: [{ reference: 'Location/LOC1' }],
    name: 'Test ED (adults)',
  });
  await putReference(db, TENANT, {
    resourceType: 'HealthcareService',
    id: SECOND_SERVICE,
    identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: SECOND_SERVICE }],
    providedBy: { reference: 'Organization/RT1' },
    name: 'Test ED minors',
  });
  await putReference(db, TENANT, {
    resourceType: 'Practitioner',
    id: 'PR1',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'G1234567' }],
    name: [{ family: 'Webber', given: ['Libbie'], prefix: ['Dr'] }],
    gender: 'female',
  });
  await putReference(db, TENANT, {
    resourceType: 'PractitionerRole',
    id: 'ROLE1',
    practitioner: { reference: 'Practitioner/PR1' },
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
  await putReference(db, TENANT, {
    resourceType: 'Schedule',
    id: 'S1',
    actor: [
      { reference: `HealthcareService/${SERVICE}` },
      { reference: 'Practitioner/PR1' },
      { reference: 'PractitionerRole/ROLE1' },
    ],
  });
  await putReference(db, TENANT, {
    resourceType: 'Schedule',
    id: 'S2',
    actor: [{ reference: `HealthcareService/${SECOND_SERVICE}` }],
  });
  await mapServiceToSchedule(db, TENANT, SERVICE, 'S2');

  await putReference(db, OTHER_TENANT, { resourceType: 'HealthcareService', id: OTHER_SERVICE, name: 'Other UTC' });
  await putReference(db, OTHER_TENANT, {
    resourceType: 'Schedule',
    id: 'T1',
    actor: [{ reference: `HealthcareService/${OTHER_SERVICE}` }],
  });

  const s1 = quarterHourSlots('s1', 'S1', tomorrowAt(10), 16);
  const s2 = quarterHourSlots('s2', 'S2', tomorrowAt(14), 8, null);
  const other = quarterHourSlots('t1', 'T1', tomorrowAt(10), 4);
  await addSlots(store, TENANT, [...s1, ...s2]);
  await addSlots(store, OTHER_TENANT, other);
  return { s1, s2, other };
}

export interface TestProvider {
  origin: string;
  root: (tenant?: string) => string;
  store: Store;
  provider: ProviderServer;
  catalogue: Catalogue;
  close(): Promise<void>;
}

export async function startTestProvider(existing?: TestStore): Promise<TestProvider> {
  const ts = existing ?? (await testStore());
  const catalogue = await seedCatalogue(ts.store);
  const provider = await buildProviderServer({ store: ts.store, publicOrigin: 'http://placeholder', auditFlushMs: 5 });
  const address = await provider.app.listen({ port: 0, host: '127.0.0.1' });
  const origin = address.replace('127.0.0.1', '127.0.0.1');
  provider.tenants.publicOrigin = origin;
  return {
    origin,
    root: (tenant = TENANT) => `${origin}/STU3/1/${tenant}`,
    store: ts.store,
    provider,
    catalogue,
    close: async () => {
      await provider.app.close();
      if (!existing) await ts.dispose();
    },
  };
}

const bookExample = JSON.parse(
  readFileSync(new URL('../fixtures/examples/book-request.json', import.meta.url), 'utf8'),
) as Appointment;

/** The standard's own booking example with a real slot put in (and a fresh referral document UUID). */
export function bookingFor(slot: NewSlot, changes: { start?: string; end?: string } = {}): any {
  const body = structuredClone(bookExample) as any;
  const containedSlot = body.contained.find((r: any) => r.resourceType === 'Slot');
  containedSlot.identifier = [{ system: 'https://tools.ietf.org/html/rfc4122', value: slot.identifier }];
  containedSlot.schedule = { reference: `Schedule/${slot.scheduleId}` };
  containedSlot.start = slot.start;
  containedSlot.end = slot.end;
  const document = body.contained.find((r: any) => r.resourceType === 'DocumentReference');
  document.identifier = [{ system: 'https://tools.ietf.org/html/rfc4122', value: randomUUID() }];
  body.start = changes.start ?? slot.start;
  body.end = changes.end ?? new Date(Date.parse(slot.start) + 600_000).toISOString();
  return body;
}
