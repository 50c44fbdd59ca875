/** The consumer's JWT (P1–P4, P7) and the audit trail of who did what (P5, P35). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setRefusedOrganisations } from '../../src/capacity/catalogue.js';
import { SCOPE, call, token } from '../helpers/consumer.js';
import { SERVICE, bookingFor, startTestProvider, type TestProvider } from '../helpers/provider.js';

let p: TestProvider;
before(async () => {
  p = await startTestProvider();
});
after(() => p.close());

const search = `/Slot?service=${SERVICE}`;
const withToken = (jwt: string | null, path = search) =>
  call(p.root(), path, { authorization: jwt === null ? null : `Bearer ${jwt}` });
const good = () => ({ aud: p.root(), scope: SCOPE.slotRead });

async function expect401(jwt: string | null, pattern: RegExp) {
  const res = await withToken(jwt);
  assert.equal(res.status, 401, `${pattern}: ${res.text}`);
  assert.equal(res.json.resourceType, 'OperationOutcome');
  assert.match(res.json.issue[0].diagnostics, pattern);
}

describe('JWT', () => {
  it('a valid unsecured token is accepted', async () => {
    assert.equal((await withToken(token(good()))).status, 200);
    assert.equal(
      (await withToken(token({ ...good(), practitioner: false }))).status,
      200,
      'requesting_practitioner is optional',
    );
  });

  it('P1 a token whose text is not well-formed Unicode (a lone surrogate) is a 401; every request around it is still audited', async () => {
    // Found by the token property on PostgreSQL: such a claim could not be stored, and the audit batch
    // holding it was lost with its neighbours.
    const payload = Buffer.from(token(good()).split('.')[1]!, 'base64url')
      .toString()
      .replace('"Jones"', '"Jo\\ud800nes"');
    const jwt = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(payload).toString('base64url')}.`;
    await expect401(jwt, /not well-formed Unicode/);
    const ids = ['surrogate-a', 'surrogate-b', 'surrogate-c'];
    await Promise.all(
      ids.map((requestId, i) =>
        call(p.root(), search, { requestId, authorization: i === 1 ? `Bearer ${jwt}` : undefined }),
      ),
    );
    await p.provider.audit.flush();
    const rows = await p.store.db
      .selectFrom('audit_event')
      .select('correlation_id')
      .where('correlation_id', 'in', ids)
      .execute();
    assert.deepEqual(rows.map((r) => r.correlation_id).sort(), ids);
  });

  it('P1 a missing, malformed or incomplete token is a 401 naming the fault', async () => {
    await expect401(null, /Authorization/);
    await expect401('not-a-jwt', /three/);
    await expect401(token(good()).slice(0, -1), /three/);
    await expect401(`${token(good())}c2ln`, /signature must be empty/);
    await expect401(token({ ...good(), header: { alg: 'HS256', typ: 'JWT' } }), /alg/);
    for (const claim of [
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'reason_for_request',
      'requested_scope',
      'requesting_device',
      'requesting_organization',
    ]) {
      await expect401(token({ ...good(), claims: { [claim]: undefined } }), new RegExp(`${claim} is missing`));
    }
    await expect401(token({ ...good(), claims: { reason_for_request: 'secondaryuses' } }), /directcare/);
    await expect401(
      token({ ...good(), claims: { requesting_organization: { resourceType: 'Organization', name: 'No code' } } }),
      /ods-organization-code/,
    );
    await expect401(token({ ...good(), claims: { sub: 'someone-else' } }), /sub must equal requesting_practitioner.id/);
  });

  it('P2 an expired token, one issued in the future, or one living longer than 5 minutes is a 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(token({ ...good(), iat: now - 900, exp: now - 600 }), /expired/);
    await expect401(token({ ...good(), iat: now + 600, exp: now + 900 }), /future/);
    await expect401(token({ ...good(), iat: now, exp: now + 3600 }), /lifetime/);
    // A small clock drift is allowed.
    assert.equal((await withToken(token({ ...good(), iat: now + 20, exp: now + 320 }))).status, 200);
    assert.equal((await withToken(token({ ...good(), iat: now - 330, exp: now - 30 }))).status, 200);
  });

  it("P3 aud must be this tenant's service root exactly", async () => {
    await expect401(token({ ...good(), aud: p.root('other-utc') }), /aud/);
    await expect401(token({ ...good(), aud: `${p.root()}/` }), /aud/);
  });

  it('P4 requested_scope must match the interaction', async () => {
    await expect401(token({ ...good(), scope: SCOPE.write }), /requested_scope/);
    const book = await call(p.root(), '/Appointment', {
      method: 'POST',
      body: bookingFor(p.catalogue.s1[0]),
      authorization: `Bearer ${token({ aud: p.root(), scope: SCOPE.read })}`,
    });
    assert.equal(book.status, 401);
    const read = await call(p.root(), '/Appointment/x', {
      authorization: `Bearer ${token({ aud: p.root(), scope: SCOPE.slotRead })}`,
    });
    assert.equal(read.status, 401);
  });

  it('P7 a tenant may refuse named consumer organisations: 403', async () => {
    await setRefusedOrganisations(p.store.db, 'test-ed', ['Z9999']);
    await p.provider.tenants.load();
    const refused = await call(p.root(), search, { ods: 'Z9999' });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.issue[0].code, 'forbidden');
    assert.equal((await call(p.root(), search, { ods: 'A1001' })).status, 200);
    await setRefusedOrganisations(p.store.db, 'test-ed', []);
    await p.provider.tenants.load();
  });
});

describe('audit trail', () => {
  it('P5 every request is audited with the JWT provenance, the SSP headers and both request ids', async () => {
    const res = await call(p.root(), search, {
      requestId: 'audit-me-1',
      headers: {
        'ssp-traceid': '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
        'ssp-from': '200000000001',
        'ssp-to': '999000000001',
        'ssp-interactionid': 'urn:nhs:names:services:careconnect:fhir:rest:read:slot',
      },
    });
    await p.provider.audit.flush();
    const row = await p.store.db
      .selectFrom('audit_event')
      .selectAll()
      .where('correlation_id', '=', 'audit-me-1')
      .executeTakeFirstOrThrow();
    assert.equal(row.request_id, res.headers.get('x-request-id'));
    assert.equal(row.tenant_id, 'test-ed');
    assert.equal(row.interaction, 'search-slots');
    assert.equal(row.status, 200);
    assert.equal(row.organisation_ods, 'A1001');
    assert.equal(row.organisation_name, '111 North East Service');
    assert.equal(row.device_model, 'Test consumer');
    assert.equal(row.practitioner_id, 'user-10019');
    assert.equal(row.practitioner_name, 'Dr Claire Jones');
    assert.equal(row.practitioner_sds_user_id, '111222333444');
    assert.equal(row.ssp_trace_id, '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b');
    assert.equal(row.ssp_from, '200000000001');
  });

  it('P5 P35 a refused booking whose diagnostics quote a lone surrogate or a NUL from the body is still audited', async () => {
    // Found by the booking-body property on PostgreSQL: its JSON reader refuses such text, and the row was lost.
    const ids = ['quoted-surrogate', 'quoted-nul'];
    for (const [i, bad] of ['x\ud800y', 'x\u0000y'].entries()) {
      const body = bookingFor(p.catalogue.s1[0]!);
      body.status = bad;
      const res = await call(p.root(), '/Appointment', { method: 'POST', body, scope: SCOPE.write, requestId: ids[i] });
      assert.equal(res.status, 422, res.text);
    }
    await p.provider.audit.flush();
    const rows = await p.store.db
      .selectFrom('audit_event')
      .select(['correlation_id', 'diagnostics'])
      .where('correlation_id', 'in', ids)
      .orderBy('correlation_id')
      .execute();
    assert.deepEqual(
      rows.map((r) => r.correlation_id),
      ['quoted-nul', 'quoted-surrogate'],
    );
    assert.ok(rows.every((r) => /status/.test(r.diagnostics ?? '')));
  });

  it("P35 a malformed request is logged as a consumer system issue with the consumer's ODS code", async () => {
    await call(p.root(), `${search}&start=garbage`, { requestId: 'bad-req-1' });
    await p.provider.audit.flush();
    const row = await p.store.db
      .selectFrom('audit_event')
      .selectAll()
      .where('correlation_id', '=', 'bad-req-1')
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 400);
    assert.equal(row.consumer_fault, 1);
    assert.equal(row.organisation_ods, 'A1001');
    assert.match(row.diagnostics ?? '', /start/);
  });

  it('P5 provenance: every write records its author, organisation, device, time and interaction', async () => {
    const res = await call(p.root(), '/Appointment', {
      method: 'POST',
      body: bookingFor(p.catalogue.s1[1]),
      requestId: 'write-1',
    });
    assert.equal(res.status, 201);
    const v = await p.store.db
      .selectFrom('appointment_version')
      .selectAll()
      .where('id', '=', res.json.id)
      .executeTakeFirstOrThrow();
    assert.equal(v.author_id, 'user-10019');
    assert.equal(v.author_name, 'Dr Claire Jones');
    assert.equal(v.author_role, '444555666777');
    assert.equal(v.organisation_ods, 'A1001');
    assert.equal(v.interaction, 'book');
    assert.equal(v.correlation_id, 'write-1');
    assert.match(v.entered_by ?? '', /Test consumer 1\.0\.0/);
    assert.match(v.last_updated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
  });

  it('the audit trail and version history are append-only', async () => {
    await p.provider.audit.flush();
    await assert.rejects(p.store.db.updateTable('audit_event').set({ status: 1 }).execute(), /append-only/);
    await assert.rejects(p.store.db.deleteFrom('audit_event').execute(), /append-only/);
    await assert.rejects(p.store.db.deleteFrom('appointment_version').execute(), /append-only/);
  });
});
