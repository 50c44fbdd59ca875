/**
 * The local test CA (src/spine/test-ca.ts) and the TLS options (src/spine/tls.ts): certificates that
 * work for mutual TLS, reused when still valid.
 */
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createTestPki } from '../../src/spine/test-ca.js';
import { loadPki, peerOf, tlsClientOptions, tlsServerOptions, type TestPki } from '../../src/spine/tls.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * GET over https with the given TLS options. Resolves only when an HTTP response arrives, so a
 * rejection means the connection failed before any response (here: in the TLS handshake).
 */
function get(url: string, tls: RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // agent: false: a fresh connection (and handshake) per request, never a pooled one.
    request(url, { ...tls, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;
const fingerprints = (pki: TestPki) =>
  Object.fromEntries([
    ['ca', fingerprint(pki.caFile)],
    ...Object.entries(pki.parties).map(([p, f]) => [p, fingerprint(f.certFile)]),
  ]);

/** The error codes Node gives a client whose certificate the server refused (TLS 1.3 alert, or the reset after it). */
const REFUSED_BY_SERVER =
  /^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE|ECONNRESET|EPIPE)$/;

describe('mutual TLS test CA', () => {
  const dirs: string[] = [];
  const tempDir = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `slotbridge-pki-${name}-`));
    dirs.push(d);
    return d;
  };
  let dir: string;
  let pki: TestPki;
  let stranger: TestPki;
  let createMs: number;
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    dir = tempDir('main');
    const started = performance.now();
    pki = await createTestPki(dir);
    createMs = performance.now() - started;
    // Another CA altogether, for the certificate the server must refuse.
    stranger = await createTestPki(tempDir('other'), { parties: ['consumer'] });
    app = Fastify({ https: tlsServerOptions(pki, 'provider') });
    app.get('/', async (req) => peerOf(req) ?? null);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    await app?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('makes a CA and three parties in well under a couple of seconds', (t) => {
    t.diagnostic(`createTestPki, 3 parties: ${createMs.toFixed(0)} ms`);
    // EC keys: tens of milliseconds even on a busy machine (RSA keys took one to two seconds here).
  });

  it('makes a CA and a certificate per party, signed by the CA, for localhost and 127.0.0.1, server and client use, keys 0600', () => {
    assert.deepEqual(Object.keys(pki.parties).sort(), ['consumer', 'provider', 'spine']);
    const ca = new X509Certificate(readFileSync(pki.caFile));
    assert.ok(ca.ca);
    assert.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
    for (const party of ['spine', 'provider', 'consumer']) {
      const files = pki.parties[party]!;
      assert.equal(files.certFile, join(dir, `${party}.crt`));
      assert.equal(files.keyFile, join(dir, `${party}.key`));
      const cert = new X509Certificate(readFileSync(files.certFile));
      assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), `${party} is signed by the CA`);
      assert.equal(cert.ca, false);
      assert.ok(cert.subject.split('\n').includes(`CN=${party}`), cert.subject);
      assert.equal(cert.checkHost('localhost'), 'localhost');
      assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
      assert.deepEqual([...(cert.keyUsage ?? [])].sort(), [SERVER_AUTH, CLIENT_AUTH]);
      assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
    }
    assert.deepEqual(loadPki(dir), pki);
  });

  it('a client certificate from the CA is accepted and the server sees who it is', async () => {
    const res = await get(url, tlsClientOptions(pki, 'consumer'));
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), {
      subject: 'CN=consumer',
      fingerprint256: fingerprint(pki.parties.consumer!.certFile),
    });
  });

  it('a connection without a client certificate is refused in the handshake: no response', async () => {
    await assert.rejects(get(url, { ca: tlsClientOptions(pki, 'consumer').ca }), (err: NodeJS.ErrnoException) => {
      assert.match(err.code ?? err.message, REFUSED_BY_SERVER);
      return true;
    });
  });

  it('a client certificate from another CA is refused in the handshake', async () => {
    const foreign = { ...tlsClientOptions(stranger, 'consumer'), ca: tlsClientOptions(pki, 'consumer').ca };
    await assert.rejects(get(url, foreign), (err: NodeJS.ErrnoException) => {
      assert.match(err.code ?? err.message, REFUSED_BY_SERVER);
      return true;
    });
  });

  it('a client that does not trust the CA refuses the server', async () => {
    const { key, cert } = tlsClientOptions(pki, 'consumer');
    await assert.rejects(get(url, { key, cert }), (err: NodeJS.ErrnoException) => {
      // The server sends its certificate with the CA's above it (Node builds the chain from `ca`), and the client trusts neither.
      assert.match(
        err.code ?? '',
        /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/,
      );
      return true;
    });
    // ... and trusting another CA does not help either.
    await assert.rejects(get(url, { key, cert, ca: readFileSync(stranger.caFile) }), /verify|certificate/i);
  });

  it('without requireClientCert the server serves TLS to anyone, and peerOf is undefined (so too on plain HTTP)', async () => {
    const open = Fastify({ https: tlsServerOptions(pki, 'provider', { requireClientCert: false }) });
    const plain = Fastify();
    open.get('/', async (req) => ({ peer: peerOf(req) ?? null }));
    plain.get('/', async (req) => ({ peer: peerOf(req) ?? null }));
    try {
      const openUrl = await open.listen({ port: 0, host: '127.0.0.1' });
      const res = await get(openUrl, { ca: tlsClientOptions(pki, 'consumer').ca });
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { peer: null });
      const reply = await plain.inject({ method: 'GET', url: '/' });
      assert.deepEqual(reply.json(), { peer: null });
    } finally {
      await open.close();
      await plain.close();
    }
  });

  it('running it again reuses the valid files (same fingerprints); force makes new ones', async (t) => {
    const d = tempDir('reuse');
    const first = await createTestPki(d);
    const was = fingerprints(first);
    const mtime = statSync(first.parties.consumer!.certFile).mtimeMs;
    const started = performance.now();
    const again = await createTestPki(d);
    const reuseMs = performance.now() - started;
    assert.deepEqual(again, first);
    assert.deepEqual(fingerprints(again), was);
    assert.equal(statSync(first.parties.consumer!.certFile).mtimeMs, mtime);
    t.diagnostic(`reusing: ${reuseMs.toFixed(0)} ms`);

    await createTestPki(d, { force: true });
    const now = fingerprints(first);
    for (const name of Object.keys(was)) assert.notEqual(now[name], was[name], name);
  });

  it('keeps the CA when a party is added, a host is added or a party key is broken, reissuing only what no longer fits', async () => {
    const d = tempDir('grow');
    const first = await createTestPki(d);
    const was = fingerprints(first);

    // A new party: the CA and the existing parties stay as they were.
    const grown = await createTestPki(d, { parties: ['spine', 'provider', 'consumer', 'provider-2'] });
    assert.deepEqual(Object.keys(grown.parties), ['spine', 'provider', 'consumer', 'provider-2']);
    assert.deepEqual({ ...fingerprints(grown), 'provider-2': undefined }, { ...was, 'provider-2': undefined });
    const ca = new X509Certificate(readFileSync(grown.caFile));
    assert.ok(new X509Certificate(readFileSync(grown.parties['provider-2']!.certFile)).checkIssued(ca));

    // A host the certificates do not name yet: same CA, new party certificates that name it.
    const withHost = await createTestPki(d, { hosts: ['slotbridge.test', '10.0.0.7'] });
    assert.equal(fingerprint(withHost.caFile), was.ca);
    const consumer = new X509Certificate(readFileSync(withHost.parties.consumer!.certFile));
    assert.notEqual(consumer.fingerprint256, was.consumer);
    assert.equal(consumer.checkHost('slotbridge.test'), 'slotbridge.test');
    assert.equal(consumer.checkIP('10.0.0.7'), '10.0.0.7');
    assert.equal(consumer.checkHost('localhost'), 'localhost');
    // Asking again without the host keeps them: extra names do no harm.
    await createTestPki(d);
    assert.equal(fingerprint(withHost.parties.consumer!.certFile), consumer.fingerprint256);
    // A wildcard is named as such, and asked for again it is kept.
    await createTestPki(d, { hosts: ['*.slotbridge.test'] });
    const wildcard = fingerprint(withHost.parties.consumer!.certFile);
    assert.equal(
      new X509Certificate(readFileSync(withHost.parties.consumer!.certFile)).checkHost('provider.slotbridge.test'),
      '*.slotbridge.test',
    );
    await createTestPki(d, { hosts: ['*.slotbridge.test'] });
    assert.equal(fingerprint(withHost.parties.consumer!.certFile), wildcard);
    await assert.rejects(createTestPki(d, { hosts: ['not a host'] }), /host "not a host"/);

    // A key that does not match its certificate (say a run stopped between the two writes).
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    writeFileSync(withHost.parties.spine!.keyFile, other);
    const spineWas = fingerprint(withHost.parties.spine!.certFile);
    const providerWas = fingerprint(withHost.parties.provider!.certFile);
    await createTestPki(d);
    assert.notEqual(fingerprint(withHost.parties.spine!.certFile), spineWas);
    assert.equal(fingerprint(withHost.parties.provider!.certFile), providerWas);
    assert.equal(fingerprint(withHost.caFile), was.ca);
    assert.equal(statSync(withHost.parties.spine!.keyFile).mode & 0o777, 0o600);
  });

  it('a new CA reissues every party in the directory, so none is left signed by a CA that is gone', async () => {
    const d = tempDir('newca');
    await createTestPki(d, { parties: ['spine', 'extra'] });
    unlinkSync(join(d, 'ca.key'));
    const pkiAfter = await createTestPki(d, { parties: ['spine'] });
    const ca = new X509Certificate(readFileSync(pkiAfter.caFile));
    for (const party of ['spine', 'extra'])
      assert.ok(new X509Certificate(readFileSync(join(d, `${party}.crt`))).checkIssued(ca), party);
    assert.deepEqual(Object.keys(loadPki(d).parties), ['extra', 'spine']);
  });

  it('refuses party names that are not file-name safe, or that would overwrite the CA', async () => {
    const d = tempDir('names');
    for (const bad of ['../x', 'Consumer', 'ca', '', 'a b'])
      await assert.rejects(createTestPki(d, { parties: [bad] }), /party name/);
  });

  it('loadPki reads the parties there are and names what is missing', () => {
    assert.throws(() => loadPki(join(dir, 'nowhere')), /nowhere\/ca\.crt is missing.*slotbridge spine certs/);
    const d = tempDir('load');
    writeFileSync(join(d, 'ca.crt'), readFileSync(pki.caFile));
    assert.throws(() => loadPki(d), /no party certificates.*slotbridge spine certs/);
    writeFileSync(join(d, 'consumer.crt'), readFileSync(pki.parties.consumer!.certFile));
    assert.throws(() => loadPki(d), /consumer\.key \(the key of consumer\) is missing/);
    writeFileSync(join(d, 'consumer.key'), readFileSync(pki.parties.consumer!.keyFile));
    writeFileSync(join(d, 'spine.key'), readFileSync(pki.parties.spine!.keyFile));
    assert.throws(() => loadPki(d), /spine\.crt is missing/);
    unlinkSync(join(d, 'spine.key'));
    const loaded = loadPki(d);
    assert.deepEqual(Object.keys(loaded.parties), ['consumer']);
    assert.throws(() => tlsClientOptions(loaded, 'provider'), /no certificate for "provider".*it has: consumer/);
  });

  it('the builders also take files named directly', () => {
    const files = { caFile: pki.caFile, ...pki.parties.spine! };
    const server = tlsServerOptions(files, 'ignored');
    assert.equal(server.requestCert, true);
    assert.equal(server.rejectUnauthorized, true);
    assert.deepEqual(server.cert, readFileSync(pki.parties.spine!.certFile));
    assert.deepEqual(tlsClientOptions(files, 'ignored'), tlsClientOptions(pki, 'spine'));
  });
});
