/**
 * `slotbridge start` (what `npm start` runs) brings up the demo network, and the `spine` commands:
 * real processes, a real store file, real HTTP. A consumer that knows only the spine's URL finds a
 * demo service, resolves its endpoint and searches its slots through the proxy.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INTERACTIONS } from '../../src/spine/interactions.js';
import { runCli, startCliServer } from '../helpers/cli.js';
import { call } from '../helpers/consumer.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-network-'));
let server: ChildProcess | undefined;

after(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('slotbridge start: the demo network', () => {
  let network: {
    spine: string;
    directory: string;
    endpoints: string;
    proxy: string;
    dos: string;
    sds: string;
    web: string;
    signIn: { url: string; username: string; password: string };
    operatorToken: string;
    tenants: { id: string; serviceRoot: string; asid: string }[];
  };

  before(async () => {
    const started = await startCliServer([
      'start',
      '--port',
      '0',
      '--spine-port',
      '0',
      '--web-port',
      '0',
      '--data',
      dir,
    ]);
    server = started.child;
    network = started.json;
  });

  it('prints the spine, directory, endpoint directory and proxy URLs and every tenant’s service root', () => {
    assert.match(network.spine, /^http:\/\/localhost:\d+$/);
    assert.equal(network.directory, `${network.spine}/directory`);
    assert.equal(network.endpoints, `${network.spine}/endpoints`);
    assert.equal(network.proxy, `${network.spine}/proxy`);
    assert.equal(network.dos, `${network.spine}/app/api/webservices`, 'the DoS SOAP endpoint, at DoS’s own path');
    assert.equal(network.sds, `${network.spine}/spine-directory/FHIR/R4`, 'the SDS FHIR API base, at its own path');
    assert.ok(network.tenants.length >= 2);
    assert.match(network.operatorToken, /^sbop_[A-Za-z0-9_-]{43}$/, 'the demo network makes its own operator token');
  });

  it('every URL it prints answers something useful: the spine’s services say how to ask, a service root asks for the JWT', async () => {
    for (const part of ['directory', 'endpoints', 'proxy'] as const) {
      const res = await fetch(network[part]);
      assert.equal(res.status, 200, `${network[part]} answers`);
      assert.match(String(((await res.json()) as { service: string }).service), /stand-in/);
    }
    const index = (await (await fetch(network.directory)).json()) as { example: string };
    const example = await fetch(index.example);
    assert.equal(example.status, 200, 'the directory’s example search runs as written');
    assert.ok((((await example.json()) as { services: unknown[] }).services.length ?? 0) > 0);
    for (const tenant of network.tenants) {
      const res = await fetch(tenant.serviceRoot);
      assert.equal(res.status, 401, `${tenant.serviceRoot} asks for the standard's JWT`);
      assert.equal(((await res.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
    }
    const web = await fetch(network.web);
    assert.equal(web.status, 200);
    // The DoS line: its WSDL at ?wsdl names both operations. The SDS line: a FHIR API that wants its apikey.
    const wsdl = await fetch(`${network.dos}?wsdl`);
    assert.equal(wsdl.status, 200);
    const wsdlText = await wsdl.text();
    assert.match(wsdlText, /CheckCapacitySummary/);
    assert.match(wsdlText, /ServiceDetailsById/);
    const device =
      `${network.sds}/Device?organization=${encodeURIComponent('https://fhir.nhs.uk/Id/ods-organization-code|R9R')}` +
      `&identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhsServiceInteractionId|${INTERACTIONS.slotSearch}`)}`;
    const noKey = await fetch(device);
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
    const withKey = await fetch(device, { headers: { apikey: 'slotbridge-demo-apikey' } });
    assert.equal(withKey.status, 200);
    assert.equal(((await withKey.json()) as { resourceType: string }).resourceType, 'Bundle');
  });

  it('consumer commands take DoS, SDS and the proxy as settings, and refuse a national URL without its credential', async () => {
    const consumerData = join(dir, 'consumer-national');
    const explicit = [
      '--dos-url',
      network.dos,
      '--dos-user',
      'slotbridge-demo',
      '--sds-url',
      network.sds,
      '--sds-apikey',
      'slotbridge-demo-apikey',
      '--proxy-url',
      network.proxy,
      '--spine',
      'http://127.0.0.1:9',
      '--data',
      consumerData,
    ];
    const find = await runCli(['consumer', 'find', '--disposition', 'Dx06', '--postcode', 'WF1 3HS', ...explicit], {
      SLOTBRIDGE_DOS_PASSWORD: 'slotbridge-demo-password',
    });
    assert.equal(find.code, 0, find.stderr);
    assert.match(find.stdout, /2000022001 {2}Northgate UTC walk-in appointments/);
    assert.match(
      find.stdout,
      /takes bookings/,
      'found over DoS SOAP, resolved over SDS FHIR, searched through the proxy',
    );
    assert.ok(
      find.stderr.includes(
        `dos: ${network.dos} (user slotbridge-demo) · sds: ${network.sds} · proxy: ${network.proxy}`,
      ),
    );

    const wrong = await runCli(['consumer', 'find', '--disposition', 'Dx06', '--postcode', 'WF1 3HS', ...explicit], {
      SLOTBRIDGE_DOS_PASSWORD: 'not-the-password',
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /DoS/);
    assert.match(wrong.stderr, /user name or password|credentials|authentication/i);
    assert.doesNotMatch(wrong.stderr, /not-the-password/, 'a password is never printed');

    const noUser = await runCli([
      'consumer',
      'find',
      '--disposition',
      'Dx06',
      '--postcode',
      'WF1',
      '--dos-url',
      network.dos,
    ]);
    assert.equal(noUser.code, 2);
    assert.match(noUser.stderr, /--dos-url needs the DoS account/);
    const noKey = await runCli([
      'consumer',
      'find',
      '--disposition',
      'Dx06',
      '--postcode',
      'WF1',
      '--sds-url',
      network.sds,
    ]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /--sds-url needs the application’s API key/);
    const halfCert = await runCli([
      'consumer',
      'find',
      '--disposition',
      'Dx06',
      '--postcode',
      'WF1',
      '--cert',
      'a.pem',
    ]);
    assert.equal(halfCert.code, 2);
    assert.match(halfCert.stderr, /--cert and --key go together/);
  });

  it('docs/examples/book-by-hand.sh, the provider guide’s worked example, books and reads back as written', (t) => {
    if (spawnSync('curl', ['--version']).status !== 0) return t.skip('curl is not installed on this machine');
    const root = network.tenants.find((tenant) => tenant.id === 'riverside-ed')!.serviceRoot;
    const run = spawnSync('bash', ['docs/examples/book-by-hand.sh'], {
      env: { ...process.env, ROOT: root, SERVICE: '2000011001' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /booked: http:\/\/localhost:\d+\/STU3\/1\/riverside-ed\/Appointment\//);
    assert.match(run.stdout, /^Appointment\/[0-9a-f-]{36}: booked, /);
  });

  it('prints how to sign in to the web app; its API answers only a signed-in call handler, named in the JWT', async () => {
    assert.equal(network.signIn.url, `${network.web}/sign-in`);
    assert.equal(network.signIn.username, 'call-handler');
    assert.ok(network.signIn.password.length >= 16, 'a strong password made for this start');
    assert.equal((await fetch(`${network.web}/api/dispositions`)).status, 401);
    const signedIn = await fetch(`${network.web}/auth/local`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: network.web },
      body: JSON.stringify({ username: network.signIn.username, password: network.signIn.password }),
    });
    assert.equal(signedIn.status, 200);
    assert.deepEqual(
      (((await signedIn.json()) as any).user as any).name,
      'Alex Morgan',
      'the demo call handler, as the JWT names them',
    );
    const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
    assert.equal((await fetch(`${network.web}/api/dispositions`, { headers: { cookie } })).status, 200);
  });

  it('knowing only the spine: disposition + postcode → service → ASID → endpoint → slots through the proxy', async () => {
    const found = (await (
      await fetch(`${network.directory}/services?disposition=Dx05&postcode=WF1%203HS`)
    ).json()) as any;
    const utc = found.services.find((s: any) => s.id === '2000022001');
    assert.ok(utc, 'the enrolled UTC service is listed for Dx05 near Wakefield');
    const details = (await (await fetch(`${network.directory}/services/${utc.id}`)).json()) as any;
    const asid = details.endpoints.find((e: any) => e.interaction === 'Scheduling').address.replace(/^ASID:/, '');
    const as = (await (await fetch(`${network.endpoints}/as/${asid}`)).json()) as any;
    const mhs = (await (
      await fetch(
        `${network.endpoints}/mhs?partyKey=${as.nhsMHSPartyKey}&interaction=${encodeURIComponent(INTERACTIONS.slotSearch)}`,
      )
    ).json()) as any;
    const root = mhs.entries[0].nhsMHSEndPoint;
    assert.ok(network.tenants.some((t) => t.serviceRoot === root));
    const now = new Date();
    const res = await call(
      root,
      `/Slot?service=${utc.id}&status=free&start=ge${now.toISOString()}&start=le${new Date(now.getTime() + 2 * 86_400_000).toISOString()}`,
      {
        via: network.proxy,
        headers: {
          'ssp-traceid': randomUUID(),
          'ssp-from': '200000000111',
          'ssp-to': asid,
          'ssp-interactionid': INTERACTIONS.slotSearch,
        },
      },
    );
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.entry.some((e: any) => e.resource.resourceType === 'Slot'));

    const calls = await runCli(['spine', 'calls', '--spine', network.spine, '--json'], {
      SLOTBRIDGE_OPERATOR_TOKEN: network.operatorToken,
    });
    assert.equal(calls.code, 0, calls.stderr);
    assert.ok(JSON.parse(calls.stdout).calls.some((c: any) => c.status === 200 && c.to_asid === asid));
    // The call log is the operator's: without the token the command stops and says what it needs.
    const anonymous = await runCli(['spine', 'calls', '--spine', network.spine], { SLOTBRIDGE_OPERATOR_TOKEN: '' });
    assert.equal(anonymous.code, 2);
    assert.match(anonymous.stderr, /--operator-token TOKEN is required/);
    const wrong = await runCli(['spine', 'calls', '--spine', network.spine, '--operator-token', 'x'.repeat(40)]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /answered 401: The operator token is not valid/);
  });

  it('spine register-provider enrols a provider with one command; bad input exits non-zero and says why', async () => {
    const root = network.tenants[0]!.serviceRoot;
    const ok = await runCli([
      'spine',
      'register-provider',
      '--spine',
      network.spine,
      '--operator-token',
      network.operatorToken,
      '--root',
      root,
      '--asid',
      '200000000777',
      '--ods',
      'R9R',
      '--dispositions',
      'Dx06',
      '--require-booking',
      'true',
      '--json',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const result = JSON.parse(ok.stdout);
    assert.ok(result.services.length >= 2);
    const details = (await (await fetch(`${network.directory}/services/${result.services[0]}`)).json()) as any;
    assert.ok(details.endpoints.some((e: any) => e.address === 'ASID:200000000777'));
    assert.deepEqual(
      details.attributes.filter((a: any) => a.name === 'requirebooking').map((a: any) => a.value),
      ['true'],
    );

    const bad = await runCli([
      'spine',
      'register-provider',
      '--spine',
      network.spine,
      '--operator-token',
      network.operatorToken,
      '--root',
      root,
      '--asid',
      'x',
      '--ods',
      'R9R',
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /ASID/);
    const missing = await runCli([
      'spine',
      'register-provider',
      '--spine',
      network.spine,
      '--operator-token',
      network.operatorToken,
      '--asid',
      '1',
      '--ods',
      'R9R',
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--root is required/);
  });

  it('consumer find, slots, book, show, rebook and cancel: a call handler’s steps from the command line, through the proxy', async () => {
    const consumerData = join(dir, 'consumer');
    const common = ['--spine', network.spine, '--data', consumerData, '--user', 'handler-cli'];
    const find = await runCli(['consumer', 'find', '--disposition', 'Dx06', '--postcode', 'WF1 3HS', ...common]);
    assert.equal(find.code, 0, find.stderr);
    assert.match(find.stdout, /2000022001 {2}Northgate UTC walk-in appointments/);
    assert.match(find.stdout, /takes bookings · \d+ free slots within the Dx06 time frame/);
    assert.match(find.stdout, /no booking: .*takes no bookings/, 'a demo service without a booking endpoint says so');

    const slots = await runCli(['consumer', 'slots', '--service', '2000022001', ...common, '--json']);
    assert.equal(slots.code, 0, slots.stderr);
    const free = JSON.parse(slots.stdout).slots as { id: string; start: string }[];
    assert.ok(free.length >= 2);
    const patient = join(dir, 'patient.json');
    writeFileSync(patient, readFileSync(new URL('../fixtures/examples/patient.json', import.meta.url)));

    const book = await runCli([
      'consumer',
      'book',
      '--service',
      '2000022001',
      '--slot',
      free[0]!.id,
      '--patient',
      patient,
      '--disposition',
      'Dx75',
      ...common,
    ]);
    assert.equal(book.code, 0, book.stderr);
    const [url, version] = book.stdout.split('\n');
    assert.match(url!, /^http:\/\/localhost:\d+\/STU3\/1\/northgate-utc\/Appointment\/[^/]+$/);
    assert.equal(version, 'version 1');

    const again = await runCli([
      'consumer',
      'book',
      '--service',
      '2000022001',
      '--slot',
      free[0]!.id,
      '--patient',
      patient,
      ...common,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no longer free/);
    assert.match(again.stderr, /next free slots:/);

    const show = await runCli(['consumer', 'show', '--nhs-number', '9476719931', ...common]);
    assert.equal(show.code, 0, show.stderr);
    assert.ok(show.stdout.includes(url!.split('/').pop()!));

    const rebook = await runCli(['consumer', 'rebook', '--appointment', url!, '--slot', free[1]!.id, ...common]);
    assert.equal(rebook.code, 0, rebook.stderr);
    assert.match(rebook.stdout, /^booked: .*\/Appointment\/.* \(version 1\)/m);
    assert.match(
      rebook.stdout,
      new RegExp(`^cancelled: ${url!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(version 2\\)`, 'm'),
    );
    const newUrl = /^booked: (\S+)/m.exec(rebook.stdout)![1]!;
    const cancel = await runCli(['consumer', 'cancel', '--appointment', newUrl, ...common]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /^cancelled /);

    const bad = await runCli([
      'consumer',
      'book',
      '--service',
      '2000022001',
      '--slot',
      free[2]!.id,
      '--patient',
      join(dir, 'missing.json'),
      ...common,
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--patient .*missing\.json/);
  });

  it('spine certs makes a test CA and certificates and says where', async () => {
    const out = join(dir, 'pki');
    const made = await runCli(['spine', 'certs', '--out', out, '--json']);
    assert.equal(made.code, 0, made.stderr);
    const pki = JSON.parse(made.stdout);
    for (const party of ['spine', 'provider', 'consumer']) assert.ok(existsSync(pki.parties[party].certFile));
    assert.ok(existsSync(pki.caFile));
  });

  // Last: re-pointing moves the first tenant's services to another root, which the tests above must not see.
  it('issue 11 #1: moving a registered ASID to another root needs --replace; the audit says who moved it from where to where', async () => {
    const [first, second] = network.tenants;
    const register = (root: string, ...more: string[]) =>
      runCli(
        ['spine', 'register-provider', '--spine', network.spine, '--root', root, '--asid', '200000000778'].concat([
          '--ods',
          'R9S',
          ...more,
        ]),
        { SLOTBRIDGE_OPERATOR_TOKEN: network.operatorToken },
      );
    assert.equal((await register(first!.serviceRoot)).code, 0);
    const moved = await register(second!.serviceRoot);
    assert.equal(moved.code, 1);
    assert.match(moved.stderr, new RegExp(`409: ASID 200000000778 is registered at ${first!.serviceRoot}.*--replace`));
    const replaced = await register(second!.serviceRoot, '--replace');
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, new RegExp(`endpoint ${second!.serviceRoot} \\(replacing ${first!.serviceRoot}\\)`));
    const audit = await runCli(['spine', 'audit', '--spine', network.spine, '--asid', '200000000778', '--json'], {
      SLOTBRIDGE_OPERATOR_TOKEN: network.operatorToken,
    });
    assert.equal(audit.code, 0, audit.stderr);
    const [latest] = JSON.parse(audit.stdout).entries;
    assert.equal(latest.action, 'repoint-provider');
    assert.match(latest.actor, /^operator from 127\.0\.0\.1/);
    assert.deepEqual(latest.before.serviceRoots, [first!.serviceRoot]);
    assert.deepEqual(latest.after.serviceRoots, [second!.serviceRoot]);
  });

  it('issue 11 #1: slotbridge spine refuses a weak operator token before it listens', async () => {
    for (const token of ['k', 'operator', 'abcabcabcabcabcabcabcabcabcabcabcabc']) {
      const weak = await runCli(['spine', '--port', '0', '--data', join(dir, 'weak'), '--operator-token', token]);
      assert.equal(weak.code, 2, weak.stderr);
      assert.match(weak.stderr, /operator token .* is too weak/);
    }
  });
});
