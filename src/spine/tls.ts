/**
 * A local test certificate authority for mutual TLS between consumer, proxy and provider
 * (decisions.md, TLS). `createTestPki(dir)` writes a CA and one certificate per party, each usable
 * as a TLS server and as a TLS client certificate; the builders below turn them into the options
 * Fastify (`https`) and undici (`Agent({ connect })`) take. For tests and local networks only.
 *
 * Certificates are made with node-forge (Node has no API to issue X.509 certificates); its RSA key
 * generation uses Node's native crypto, so three parties take well under a second.
 */
import { X509Certificate, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import forge from 'node-forge';

export interface PartyFiles {
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  dir: string;
  caFile: string;
  parties: Record<string, PartyFiles>;
}

export interface PkiOptions {
  /** Extra DNS names or IP addresses for every certificate (localhost and 127.0.0.1 are always in). */
  hosts?: string[];
  /** Default `spine`, `provider`, `consumer`. */
  parties?: string[];
  validDays?: number;
  /** Make new files even when valid ones exist. */
  force?: boolean;
}

const DEFAULT_PARTIES = ['spine', 'provider', 'consumer'];

function rsaKeys(): forge.pki.rsa.KeyPair {
  // Native key generation; forge only signs.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function serial(): string {
  // Positive 16-byte serial number (hex, top bit clear).
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function certificate(subjectCn: string, keys: forge.pki.rsa.KeyPair, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + validDays * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subjectCn }, { name: 'organizationName', value: 'Slotbridge test network' }]);
  return cert;
}

function writeKey(file: string, pem: string): void {
  writeFileSync(file, pem, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const isIp = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');

/** True when every file is there, parses, and the party certificates are signed by the CA and not expired. */
function stillValid(pki: TestPki): boolean {
  try {
    const ca = new X509Certificate(readFileSync(pki.caFile));
    for (const files of Object.values(pki.parties)) {
      const cert = new X509Certificate(readFileSync(files.certFile));
      readFileSync(files.keyFile);
      if (!cert.verify(ca.publicKey) || Date.parse(cert.validTo) < Date.now() + 86_400_000) return false;
    }
    return Date.parse(ca.validTo) > Date.now() + 86_400_000;
  } catch {
    return false;
  }
}

function layout(dir: string, parties: string[]): TestPki {
  const abs = resolve(dir);
  return {
    dir: abs,
    caFile: join(abs, 'ca.crt'),
    parties: Object.fromEntries(parties.map((p) => [p, { certFile: join(abs, `${p}.crt`), keyFile: join(abs, `${p}.key`) }])),
  };
}

export async function createTestPki(dir: string, options: PkiOptions = {}): Promise<TestPki> {
  const parties = options.parties ?? DEFAULT_PARTIES;
  for (const p of parties) if (!/^[a-z0-9-]{1,40}$/.test(p)) throw new Error(`party name ${JSON.stringify(p)}: use lower-case letters, digits and -`);
  const pki = layout(dir, parties);
  if (!options.force && stillValid(pki)) return pki;
  mkdirSync(pki.dir, { recursive: true });
  const validDays = options.validDays ?? 825;

  const caKeys = rsaKeys();
  const ca = certificate('Slotbridge test CA (not for production)', caKeys, validDays);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());
  writeFileSync(pki.caFile, forge.pki.certificateToPem(ca));
  writeKey(join(pki.dir, 'ca.key'), forge.pki.privateKeyToPem(caKeys.privateKey));

  const hosts = ['localhost', '127.0.0.1', '::1', ...(options.hosts ?? [])];
  for (const party of parties) {
    const keys = rsaKeys();
    const cert = certificate(party, keys, validDays);
    cert.setIssuer(ca.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [...new Set(hosts)].map((h) => (isIp(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(caKeys.privateKey, forge.md.sha256.create());
    writeFileSync(pki.parties[party]!.certFile, forge.pki.certificateToPem(cert));
    writeKey(pki.parties[party]!.keyFile, forge.pki.privateKeyToPem(keys.privateKey));
  }
  return pki;
}

/** Reads a directory made by `createTestPki` (every `*.crt` with its `.key` is a party). */
export function loadPki(dir: string): TestPki {
  const abs = resolve(dir);
  const caFile = join(abs, 'ca.crt');
  if (!existsSync(caFile)) throw new Error(`${caFile} is missing: make the certificates with "slotbridge spine certs --out ${dir}"`);
  const pki = layout(dir, DEFAULT_PARTIES);
  for (const [party, files] of Object.entries(pki.parties)) {
    for (const f of [files.certFile, files.keyFile]) if (!existsSync(f)) throw new Error(`${f} (for ${party}) is missing: make the certificates with "slotbridge spine certs --out ${dir}"`);
  }
  return pki;
}

type PkiLike = TestPki | { caFile: string; certFile: string; keyFile: string };

function filesOf(pki: PkiLike, party: string): { caFile: string; certFile: string; keyFile: string } {
  if ('parties' in pki) {
    const files = pki.parties[party];
    if (!files) throw new Error(`no certificate for ${party} in ${pki.dir}`);
    return { caFile: pki.caFile, ...files };
  }
  return pki;
}

/** Fastify `https` options: this party's certificate, and (by default) a client certificate from the CA required. */
export function tlsServerOptions(pki: PkiLike, party: string, { requireClientCert = true } = {}) {
  const f = filesOf(pki, party);
  return { key: readFileSync(f.keyFile), cert: readFileSync(f.certFile), ca: readFileSync(f.caFile), requestCert: requireClientCert, rejectUnauthorized: requireClientCert };
}

/** For outgoing calls (Node `https.request`, undici `Agent({ connect })`): present this party's certificate, trust the CA. */
export function tlsClientOptions(pki: PkiLike, party: string) {
  const f = filesOf(pki, party);
  return { key: readFileSync(f.keyFile), cert: readFileSync(f.certFile), ca: readFileSync(f.caFile) };
}

/** The verified client certificate of a request, or undefined on plain HTTP or without one. */
export function peerOf(request: FastifyRequest): { subject: string; fingerprint256: string } | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (!socket.encrypted || !socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return undefined;
  return { subject: `CN=${cert.subject?.CN ?? ''}`, fingerprint256: createHash('sha256').update(cert.raw).digest('hex') };
}
