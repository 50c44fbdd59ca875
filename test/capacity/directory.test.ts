/**
 * A provider's own directory through the admin API (issue 6): services, locations, practitioners,
 * roles and schedules, references checked, and the many-to-many mapping of services to schedules
 * that slot search follows at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { call } from '../helpers/consumer.js';
import { SECOND_SERVICE, SERVICE, TENANT, tomorrowAt } from '../helpers/provider.js';

describe('admin API: the provider’s directory and the service-to-schedule mapping', () => {
  let p: AdminProvider;
  let origin: string;
  const adminCall = (method: string, path: string, body?: unknown) => p.adminCall(method, path, body);

  before(async () => {
    p = await startAdminProvider('service manager');
    ({ origin } = p);
  });

  after(() => p.close());

  it('creates and updates locations, practitioners, roles, services and schedules; each change is a new version', async () => {
    assert.equal(
      (
        await adminCall('PUT', '/resources/Location/LOC9', {
          resourceType: 'Location',
          name: 'Minor injuries unit',
          address: { line: ['2 Test Road'], city: 'Leeds', postalCode: 'LS1 4AP' },
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await adminCall('PUT', '/resources/Practitioner/PR9', {
          resourceType: 'Practitioner',
          name: [{ family: 'Okoro', given: ['Ada'], prefix: ['Dr'] }],
          gender: 'female',
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await adminCall('PUT', '/resources/PractitionerRole/ROLE9', {
          resourceType: 'PractitionerRole',
          practitioner: { reference: 'Practitioner/PR9' },
        })
      ).status,
      201,
    );
    const service = {
      resourceType: 'HealthcareService',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '100009' }],
      name: 'Minor injuries',
      location: [{ reference: 'Location/LOC9' }],
      providedBy: { reference: 'Organization/RT1' },
    };
    assert.equal((await adminCall('PUT', '/resources/HealthcareService/100009', service)).status, 201);
    const updated = await adminCall('PUT', '/resources/HealthcareService/100009', {
      ...service,
      name: 'Minor injuries unit',
    });
    assert.deepEqual(updated, {
      status: 200,
      body: { resourceType: 'HealthcareService', id: '100009', versionId: '2' },
    });
    assert.equal(
      (
        await adminCall('PUT', '/resources/Schedule/S9', {
          resourceType: 'Schedule',
          actor: [
            { reference: 'HealthcareService/100009' },
            { reference: 'Practitioner/PR9' },
            { reference: 'PractitionerRole/ROLE9' },
          ],
        })
      ).status,
      201,
    );
    const read = await call(`${origin}/STU3/1/${TENANT}`, '/HealthcareService/100009');
    assert.equal(read.json.name, 'Minor injuries unit');
    const listed = await adminCall('GET', '/resources/Schedule');
    assert.ok(listed.body.resources.some((r: any) => r.id === 'S9'));
  });

  it('bad input: a clear error, nothing changed (unknown practitioner, service-less schedule, bad resource, id mismatch)', async () => {
    const unknown = await adminCall('PUT', '/resources/PractitionerRole/ROLE8', {
      resourceType: 'PractitionerRole',
      practitioner: { reference: 'Practitioner/NOBODY' },
    });
    assert.equal(unknown.status, 422);
    assert.match(unknown.body.issue[0].diagnostics, /PractitionerRole.practitioner names Practitioner\/NOBODY/);
    const noService = await adminCall('PUT', '/resources/Schedule/S8', {
      resourceType: 'Schedule',
      actor: [{ reference: 'Practitioner/PR9' }],
    });
    assert.equal(noService.status, 422);
    assert.match(noService.body.issue[0].diagnostics, /HealthcareService/);
    assert.equal(
      (await adminCall('PUT', '/resources/Practitioner/PR8', { resourceType: 'Practitioner', gender: 42 })).status,
      422,
    );
    assert.equal(
      (await adminCall('PUT', '/resources/Practitioner/PR8', { resourceType: 'Practitioner', id: 'PR7' })).status,
      400,
    );
    assert.equal((await adminCall('PUT', '/resources/Patient/P1', { resourceType: 'Patient' })).status, 404);
    const roles = (await adminCall('GET', '/resources/PractitionerRole')).body.resources.map((r: any) => r.id);
    assert.ok(!roles.includes('ROLE8'));
    assert.ok(!(await adminCall('GET', '/resources/Schedule')).body.resources.some((r: any) => r.id === 'S8'));
  });

  it('fs_slotmanagement: one schedule serving several services; slot search follows the mapping at once', async () => {
    const start = new Date(tomorrowAt(20)).toISOString();
    const end = new Date(tomorrowAt(20) + 900_000).toISOString();
    const extra = await adminCall('POST', '/slots', {
      scheduleId: 'S9',
      start,
      end,
      deliveryChannel: 'In-person',
      release: true,
    });
    assert.equal(extra.status, 201);
    const search = async (service: string) => {
      const res = await call(
        `${origin}/STU3/1/${TENANT}`,
        `/Slot?service=${service}&start=ge${new Date().toISOString()}&start=le${new Date(Date.now() + 3 * 86_400_000).toISOString()}`,
      );
      return (res.json.entry ?? []).some((e: any) => e.resource.id === extra.body.id);
    };
    assert.equal(await search('100009'), true);
    assert.equal(await search(SECOND_SERVICE), false);
    assert.equal((await adminCall('PUT', `/services/${SECOND_SERVICE}/schedules/S9`)).status, 200);
    assert.equal(await search(SECOND_SERVICE), true, 'the schedule now serves both services');
    const mappings = (await adminCall('GET', '/mappings')).body.mappings;
    assert.deepEqual(
      mappings.find((m: any) => m.scheduleId === 'S9'),
      { scheduleId: 'S9', ownService: '100009', services: ['100009', SECOND_SERVICE] },
    );
    assert.equal((await adminCall('DELETE', `/services/${SECOND_SERVICE}/schedules/S9`)).status, 204);
    assert.equal(await search(SECOND_SERVICE), false);
    assert.equal(
      (await adminCall('DELETE', '/services/100009/schedules/S9')).status,
      422,
      'the schedule’s own service cannot be unmapped',
    );
    assert.equal((await adminCall('PUT', `/services/${SERVICE}/schedules/NOPE`)).status, 404);
  });

  it('a NUL character in an admin body or URL is a 400 saying so, and changes nothing (PostgreSQL cannot store one)', async () => {
    const before = (await adminCall('GET', '/resources/Location')).body.resources.length;
    const body = await adminCall('PUT', '/resources/Location/LOCNUL', { resourceType: 'Location', name: 'a\u0000b' });
    assert.equal(body.status, 400);
    assert.match(body.body.issue[0].diagnostics, /NUL/);
    const extra = await adminCall('POST', '/slots', {
      scheduleId: 'S\u00009',
      start: new Date(tomorrowAt(21)).toISOString(),
      end: new Date(tomorrowAt(21) + 600_000).toISOString(),
    });
    assert.equal(extra.status, 400);
    const url = await adminCall('GET', '/preview?ods=A%00');
    assert.equal(url.status, 400);
    assert.match(url.body.issue[0].diagnostics, /NUL/);
    assert.equal((await adminCall('GET', '/resources/Location')).body.resources.length, before);
  });
});
