/** The local test CA (src/spine/tls.ts): certificates that work for mutual TLS, reused when still valid. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createTestPki, loadPki, peerOf, tlsClientOptions, tlsServerOptions, type TestPki } from '../../src/spine/tls.js';

function get(url: string, tls: { key?: Buffer; cert?: Buffer; ca?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ...tls, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('mutual TLS test CA', () => {
  let dir: string;
  let other: string;
  let pki: TestPki;
  let stranger: TestPki;
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slotbridge-pki-'));
    other = mkdtempSync(join(tmpdir(), 'slotbridge-pki-other-'));
    pki = await createTestPki(dir);
    stranger = await createTestPki(other);
    app = Fastify({ https: tlsServerOptions(pki, 'provider') });
    app.get('/', async (req) => peerOf(req) ?? null);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  });

  it('makes a CA and a certificate per party, signed by the CA, for localhost and 127.0.0.1, server and client use; keys readable by the owner only', () => {
    const ca = new X509Certificate(readFileSync(pki.caFile));
    assert.ok(ca.ca);
    for (const party of ['spine', 'provider', 'consumer']) {
      const files = pki.parties[party]!;
      const cert = new X509Certificate(readFileSync(files.certFile));
      assert.ok(cert.verify(ca.publicKey), party);
      assert.match(cert.subject, new RegExp(`CN=${party}`));
      assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
      assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      assert.deepEqual([...(cert.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
    }
    assert.deepEqual(loadPki(dir), pki);
  });

  it('a client certificate from the CA is accepted and the server sees who it is', async () => {
    const res = await get(url, tlsClientOptions(pki, 'consumer'));
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).subject, 'CN=consumer');
  });

  it('no client certificate, or one from another CA, is refused in the handshake; a client that does not trust the CA refuses the server', async () => {
    await assert.rejects(get(url, { ca: tlsClientOptions(pki, 'consumer').ca }));
    await assert.rejects(get(url, { ...tlsClientOptions(stranger, 'consumer'), ca: tlsClientOptions(pki, 'consumer').ca }));
    await assert.rejects(get(url, { key: tlsClientOptions(pki, 'consumer').key, cert: tlsClientOptions(pki, 'consumer').cert }), /self-signed|unable to verify|certificate/);
  });

  it('running it again reuses valid files; force makes new ones', async () => {
    const before = readFileSync(pki.parties.consumer!.certFile, 'utf8');
    await createTestPki(dir);
    assert.equal(readFileSync(pki.parties.consumer!.certFile, 'utf8'), before);
    await createTestPki(dir, { force: true });
    assert.notEqual(readFileSync(pki.parties.consumer!.certFile, 'utf8'), before);
  });

  it('loadPki names what is missing', () => {
    assert.throws(() => loadPki(join(dir, 'nowhere')), /ca\.crt is missing.*slotbridge spine certs/);
  });
});
