/**
 * The national settings from flags and the environment (src/cli/national.ts, docs/going-live.md) and the
 * stand-ins' own credentials (`slotbridge spine --dos-account --sds-apikey`): what is not given is the
 * spine's stand-in with the demo credentials; a real address never gets them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nationalFrom, nationalLine } from '../../src/cli/national.js';
import { standInCredentials } from '../../src/cli/spine.js';
import { UsageError } from '../../src/cli/io.js';

const SPINE = 'http://localhost:4100';
const dir = mkdtempSync(join(tmpdir(), 'slotbridge-national-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the consumer’s national settings', () => {
  it('nothing given: the spine’s stand-ins, with the public demo credentials', () => {
    const config = nationalFrom({}, {}, SPINE);
    assert.deepEqual(config, {
      dos: { url: `${SPINE}/app/api/webservices`, username: 'slotbridge-demo', password: 'slotbridge-demo-password' },
      sds: { url: `${SPINE}/spine-directory/FHIR/R4`, apiKey: 'slotbridge-demo-apikey' },
      proxy: `${SPINE}/proxy`,
    });
    assert.equal(
      nationalLine(config),
      `dos: ${SPINE}/app/api/webservices (user slotbridge-demo) · sds: ${SPINE}/spine-directory/FHIR/R4 · proxy: ${SPINE}/proxy`,
    );
  });

  it('the environment points at INT; a flag wins over its variable; the line names no secret', () => {
    const env = {
      SLOTBRIDGE_DOS_URL: 'https://dos.example.nhs.uk/app/api/webservices/',
      SLOTBRIDGE_DOS_USER: 'acme-111',
      SLOTBRIDGE_DOS_PASSWORD: 'a long DoS password',
      SLOTBRIDGE_SDS_URL: 'https://int.api.service.nhs.uk/spine-directory/FHIR/R4',
      SLOTBRIDGE_SDS_APIKEY: 'key-from-the-portal',
      SLOTBRIDGE_PROXY_URL: 'https://proxy.example.nhs.uk',
    };
    const config = nationalFrom({ 'proxy-url': 'https://other-proxy.example.nhs.uk/' }, env, SPINE);
    assert.deepEqual(config.dos, {
      url: 'https://dos.example.nhs.uk/app/api/webservices',
      username: 'acme-111',
      password: 'a long DoS password',
    });
    assert.deepEqual(config.sds, { url: env.SLOTBRIDGE_SDS_URL, apiKey: 'key-from-the-portal' });
    assert.equal(config.proxy, 'https://other-proxy.example.nhs.uk');
    assert.doesNotMatch(nationalLine(config), /a long DoS password|key-from-the-portal/);
  });

  it('a national address without its credential, half a certificate, or a URL that is not one: refused before anything is sent', () => {
    const refused = (values: Record<string, string>, env: Record<string, string>, message: RegExp) =>
      assert.throws(
        () => nationalFrom(values, env, SPINE),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.match(err.message, message);
          return true;
        },
      );
    refused({ 'dos-url': 'https://dos.example.nhs.uk' }, {}, /--dos-url needs the DoS account/);
    refused({ 'dos-url': 'https://dos.example.nhs.uk', 'dos-user': 'acme' }, {}, /SLOTBRIDGE_DOS_PASSWORD/);
    refused({}, { SLOTBRIDGE_SDS_URL: 'https://int.api.service.nhs.uk/spine-directory/FHIR/R4' }, /API key/);
    refused({ 'dos-user': 'acme' }, {}, /go together/);
    refused({ 'proxy-url': 'ftp://proxy.example' }, {}, /not an http\(s\) URL/);
    refused({ 'sds-url': 'not a url', 'sds-apikey': 'k' }, {}, /is not a URL/);
    refused({ cert: 'a.pem' }, {}, /--cert and --key go together/);
    refused({ ca: 'ca.pem' }, {}, /--ca is for mutual TLS/);
    refused(
      { cert: join(dir, 'missing.pem'), key: join(dir, 'missing.key') },
      {},
      /--cert .*missing\.pem cannot be read/,
    );
  });

  it('a client certificate is read from its files and marked on the line', () => {
    for (const f of ['c.pem', 'k.pem', 'ca.pem']) writeFileSync(join(dir, f), `-----BEGIN ${f}-----\n`);
    const config = nationalFrom(
      { cert: join(dir, 'c.pem'), key: join(dir, 'k.pem'), ca: join(dir, 'ca.pem') },
      {},
      SPINE,
    );
    assert.equal(String(config.tls?.cert), '-----BEGIN c.pem-----\n');
    assert.equal(String(config.tls?.ca), '-----BEGIN ca.pem-----\n');
    assert.match(nationalLine(config), /client certificate given$/);
  });
});

describe('the stand-ins’ credentials (slotbridge spine)', () => {
  it('none given: the public demo ones, said to be so', () => {
    const demo = standInCredentials({}, {});
    assert.equal(demo.demo, true);
    assert.deepEqual(demo.dosUsers, [{ username: 'slotbridge-demo', password: 'slotbridge-demo-password' }]);
  });

  it('given: only those are taken; a weak password or key is refused', () => {
    const own = standInCredentials(
      { 'dos-account': ['acme-111:a-strong-password'], 'sds-apikey': ['0123456789abcdef0123'] },
      {},
    );
    assert.deepEqual(own, {
      dosUsers: [{ username: 'acme-111', password: 'a-strong-password' }],
      sdsApiKeys: ['0123456789abcdef0123'],
      demo: false,
    });
    const fromEnv = standInCredentials({}, { SLOTBRIDGE_SPINE_SDS_APIKEY: '0123456789abcdef0123' });
    assert.deepEqual(fromEnv.sdsApiKeys, ['0123456789abcdef0123']);
    assert.equal(fromEnv.demo, true, 'the DoS side is still the demo account');
    assert.throws(() => standInCredentials({ 'dos-account': ['acme:short'] }, {}), /at least 12 characters/);
    assert.throws(() => standInCredentials({ 'dos-account': ['no-colon'] }, {}), /NAME:PASSWORD/);
    assert.throws(() => standInCredentials({ 'sds-apikey': ['short'] }, {}), /at least 16 characters/);
  });
});
