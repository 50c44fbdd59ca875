/**
 * A local test certificate authority for mutual TLS between consumer, proxy and provider
 * (docs/decisions.md, TLS; docs/tls.md). `createTestPki(dir)` writes a CA and one certificate per party,
 * each usable as a TLS server and as a TLS client certificate; src/spine/tls.ts turns them into the
 * options Fastify and undici take. For tests and local networks only: the CA key lies unencrypted
 * next to the certificates.
 *
 * Node can parse and verify X.509 but not issue it, so node-forge encodes the certificates (names,
 * validity, extensions). The keys are EC P-256, generated and used by Node's native crypto: an EC
 * key takes well under a millisecond where an RSA-2048 key takes 100–700 ms (random prime search),
 * which made a three-party PKI take one to two seconds on a busy two-core machine. Forge only
 * encodes RSA keys, so the certificate's public key and signature algorithm are put into forge's
 * TBSCertificate by hand (`finish`), and Node signs it. Forge never sees a private key.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { DEFAULT_PARTIES, partiesIn, pkiLayout, type PartyFiles, type TestPki } from './tls.js';

export interface PkiOptions {
  /** Extra DNS names or IP addresses for every certificate (localhost, 127.0.0.1 and ::1 are always in). */
  hosts?: string[];
  /** Default `spine`, `provider`, `consumer`. */
  parties?: string[];
  /** Lifetime of new certificates, default 825 days (longer server certificates are refused by Apple's TLS). */
  validDays?: number;
  /** Make a new CA and new certificates even when valid ones exist. */
  force?: boolean;
}

const ALWAYS_HOSTS = ['localhost', '127.0.0.1', '::1'];
const DAY_MS = 86_400_000;
const CA_NAME = 'Slotbridge test CA (not for production)';
const ORGANISATION = 'Slotbridge test network';
const PARTY_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** ecdsa-with-SHA256 (RFC 5758): its AlgorithmIdentifier has no parameters, not even NULL. */
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

const { asn1 } = forge;

/** Forge builds the TBSCertificate for us; the function exists at run time but is missing from @types/node-forge. */
const forgePki = forge.pki as typeof forge.pki & { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 };

/**
 * Forge insists on an RSA public key to encode a certificate. This one only fills the slot until
 * `finish` puts the real EC key in its place; it never reaches a file.
 */
const PLACEHOLDER_RSA = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'));

interface KeyPair {
  /** PKCS#8 PEM, as written to `<name>.key`. */
  pem: string;
  key: KeyObject;
}

function ecKeys(): KeyPair {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, key: privateKey };
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the public key's bits (for P-256, the point 04‖x‖y), as forge's binary string. */
function keyIdentifier(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return createHash('sha1').update(point).digest().toString('binary');
}

function serial(): string {
  // 16 random bytes. DER integers are signed and minimal: the top bit clear keeps it positive and
  // the next bit set keeps the first byte non-zero (a leading 0x00 would be a non-minimal encoding).
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function ecdsaAlgorithm(): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(ECDSA_WITH_SHA256).getBytes()),
  ]);
}

/**
 * Encodes `cert` (subject, issuer, validity, extensions set) for the EC key `subjectKey`, signs it
 * with the issuer's EC key and returns the PEM. Forge's TBSCertificate is the RFC 5280 SEQUENCE
 * (version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, extensions):
 * element 2 (the signature algorithm) and element 6 (the public key) are replaced, the rest is
 * forge's. The tests check the result with Node's X509Certificate and real TLS handshakes.
 */
function finish(cert: forge.pki.Certificate, subjectKey: KeyObject, issuerKey: KeyObject): string {
  cert.publicKey = PLACEHOLDER_RSA;
  // Forge needs an algorithm to encode element 2 at all (it would add a NULL parameter: replaced below).
  cert.siginfo.algorithmOid = ECDSA_WITH_SHA256;
  cert.signatureOid = ECDSA_WITH_SHA256;
  const tbs = forgePki.getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  fields[2] = ecdsaAlgorithm();
  const spki = createPublicKey(subjectKey).export({ type: 'spki', format: 'der' }).toString('binary');
  // decodeBitStrings: false keeps the key's BIT STRING as bytes, so it is re-encoded unchanged
  // (the option is forge's but missing from its types).
  fields[6] = (asn1.fromDer as unknown as (bytes: string, options: { decodeBitStrings: boolean }) => forge.asn1.Asn1)(
    spki,
    { decodeBitStrings: false },
  );
  const tbsDer = asn1.toDer(tbs).getBytes();
  // For an EC key Node's sign gives the DER ECDSA-Sig-Value X.509 wants.
  const signature = sign('sha256', Buffer.from(tbsDer, 'binary'), issuerKey).toString('binary');
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    ecdsaAlgorithm(),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${signature}`), // no unused bits
  ]);
  return forge.pem.encode({ type: 'CERTIFICATE', body: asn1.toDer(certificate).getBytes() });
}

/**
 * Writes to a temporary file and renames it into place, so a reader (another process starting
 * against the same directory) never sees half a file, and a key is 0600 from its first byte.
 */
function writeAtomically(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, content, { mode });
    chmodSync(tmp, mode); // the umask may have narrowed or (for 0644) kept the mode; make it exact
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function checkPartyName(party: string): void {
  // The name becomes a file name and a CN; `ca` would overwrite the CA's own files.
  if (!PARTY_NAME.test(party) || party === 'ca') {
    throw new Error(`party name ${JSON.stringify(party)}: use lower-case letters, digits and - (and not "ca")`);
  }
}

interface Ca {
  cert: X509Certificate;
  key: KeyObject;
}

/**
 * The CA in `dir` if its certificate and key are there, match, are EC (a directory made by an
 * earlier, RSA version of this file is made anew) and have more than a day left.
 */
function existingCa(dir: string): Ca | undefined {
  try {
    const cert = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    const key = createPrivateKey(readFileSync(join(dir, 'ca.key')));
    if (!cert.ca || key.asymmetricKeyType !== 'ec' || !cert.checkPrivateKey(key)) return undefined;
    if (Date.parse(cert.validTo) < Date.now() + DAY_MS) return undefined;
    return { cert, key };
  } catch {
    return undefined;
  }
}

/**
 * True when the party's certificate and key are there, match, were issued by this CA, have more
 * than a day left, say CN=<party>, allow server and client use, and name every host asked for.
 * Anything else is reissued (only that party: the CA and the other parties stay).
 */
function partyStillValid(files: PartyFiles, party: string, ca: X509Certificate, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(readFileSync(files.certFile));
    const key = createPrivateKey(readFileSync(files.keyFile));
    // checkIssued compares the names and the key identifiers; verify checks the signature.
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey) || !cert.checkPrivateKey(key)) return false;
    if (Date.parse(cert.validTo) < Date.now() + DAY_MS || Date.parse(cert.validFrom) > Date.now()) return false;
    if (!cert.subject.split('\n').includes(`CN=${party}`)) return false;
    const usages = cert.keyUsage ?? []; // Node's name for the extendedKeyUsage OIDs
    if (!usages.includes('1.3.6.1.5.5.7.3.1') || !usages.includes('1.3.6.1.5.5.7.3.2')) return false;
    // Names are compared as written (checkHost would match a wildcard against a host, not against
    // the wildcard asked for); checkIP compares addresses, whatever the IPv6 spelling.
    const dnsNames = (cert.subjectAltName ?? '')
      .split(', ')
      .filter((n) => n.startsWith('DNS:'))
      .map((n) => n.slice(4).toLowerCase());
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : dnsNames.includes(h)));
  } catch {
    return false;
  }
}

/** The same attributes in the same order each time, so a certificate's issuer matches the CA's subject byte for byte. */
function nameOf(cn: string): forge.pki.CertificateField[] {
  return [
    { name: 'organizationName', value: ORGANISATION },
    { name: 'commonName', value: cn },
  ];
}

function keyIdentifierExtension(key: KeyObject) {
  return {
    name: 'subjectKeyIdentifier',
    value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, keyIdentifier(key)),
  };
}

function newCa(dir: string, validDays: number): Ca {
  const keys = ecKeys();
  const cert = forge.pki.createCertificate();
  cert.serialNumber = serial();
  // A minute in the past: a clock a little behind on another process must not see "not yet valid".
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + validDays * DAY_MS);
  cert.setSubject(nameOf(CA_NAME));
  cert.setIssuer(nameOf(CA_NAME));
  cert.setExtensions([
    // pathLenConstraint 0: it signs end certificates only, never another CA.
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    keyIdentifierExtension(keys.key),
  ]);
  const pem = finish(cert, keys.key, keys.key);
  writeAtomically(join(dir, 'ca.key'), keys.pem, 0o600);
  writeAtomically(join(dir, 'ca.crt'), pem, 0o644);
  return { cert: new X509Certificate(pem), key: keys.key };
}

function issue(ca: Ca, party: string, hosts: string[], validDays: number, files: PartyFiles): void {
  const keys = ecKeys();
  const cert = forge.pki.createCertificate();
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  // Never past the CA's own end: a reused CA may have less time left than validDays.
  cert.validity.notAfter = new Date(Math.min(Date.now() + validDays * DAY_MS, Date.parse(ca.cert.validTo)));
  cert.setSubject(nameOf(party));
  cert.setIssuer(nameOf(CA_NAME));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    // An ECDSA key signs (the TLS handshake); keyEncipherment is for RSA key transport only.
    { name: 'keyUsage', digitalSignature: true, critical: true },
    // One certificate per party for both directions: the spine serves the consumer and is a client of the provider.
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    // type 2 = dNSName, 7 = iPAddress (RFC 5280 GeneralName); hostname checks read only the SAN, not the CN.
    { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    keyIdentifierExtension(keys.key),
    // Strict verifiers (OpenSSL's X509_STRICT, Python 3.13's default) refuse a leaf without it.
    { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(ca.key) },
  ]);
  const pem = finish(cert, keys.key, ca.key);
  // Key first: if the process dies between the two writes, the old certificate no longer matches
  // the new key and the next run reissues it.
  writeAtomically(files.keyFile, keys.pem, 0o600);
  writeAtomically(files.certFile, pem, 0o644);
}

/**
 * Makes (or reuses) a test CA and a certificate per party in `dir`. Idempotent: a valid CA is kept,
 * and so is every party certificate that still fits (see `partyStillValid`); only what is missing
 * or unfit is issued. A new CA reissues every party certificate in the directory, requested or not,
 * so that nothing left there is signed by a CA that no longer exists.
 */
export async function createTestPki(dir: string, options: PkiOptions = {}): Promise<TestPki> {
  const parties = [...new Set(options.parties ?? DEFAULT_PARTIES)];
  if (parties.length === 0) throw new Error('createTestPki: give at least one party');
  parties.forEach(checkPartyName);
  const validDays = options.validDays ?? 825;
  if (!(validDays >= 2)) throw new Error(`createTestPki: validDays must be at least 2 (got ${validDays})`);
  const hosts = [
    ...new Set([...ALWAYS_HOSTS, ...(options.hosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean)]),
  ];
  for (const h of hosts) {
    // A dNSName is an IA5String of letters, digits, - and . (a leading *. for a wildcard); refuse
    // anything else here rather than write a certificate that clients then reject.
    if (!isIP(h) && !/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(h)) {
      throw new Error(`host ${JSON.stringify(h)}: give a DNS name or an IP address`);
    }
  }

  const pki = pkiLayout(dir, parties);
  mkdirSync(pki.dir, { recursive: true });

  const kept = options.force ? undefined : existingCa(pki.dir);
  const ca = kept ?? newCa(pki.dir, validDays);
  const toIssue = kept
    ? parties.filter((p) => !partyStillValid(pki.parties[p]!, p, ca.cert, hosts))
    : [...new Set([...parties, ...partiesIn(pki.dir).filter((p) => PARTY_NAME.test(p))])];
  const files = pkiLayout(pki.dir, toIssue);
  for (const party of toIssue) issue(ca, party, hosts, validDays, files.parties[party]!);
  return pki;
}
