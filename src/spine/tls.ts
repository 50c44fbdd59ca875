/**
 * Mutual TLS between consumer, proxy and provider at run time (docs/decisions.md, TLS; docs/tls.md): a
 * directory of certificates (`loadPki`), the options Fastify (`https`) and undici
 * (`Agent({ connect })`) take (`tlsServerOptions`, `tlsClientOptions`), and the verified client
 * certificate of a request (`peerOf`). The test CA that issues such a directory is
 * src/spine/test-ca.ts; nothing here makes a certificate.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

export interface PartyFiles {
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  /** Absolute path of the directory. */
  dir: string;
  caFile: string;
  parties: Record<string, PartyFiles>;
}

/** Files of one party plus the CA to trust, for callers that keep their own paths rather than a `TestPki`. */
export interface PartyTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface TlsServerOptions {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export interface TlsClientOptions {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}

export interface PeerCertificate {
  /** `CN=<party>` of the verified client certificate. */
  subject: string;
  /** SHA-256 of the certificate's DER, as Node and `openssl x509 -fingerprint -sha256` print it (`AB:CD:…`). */
  fingerprint256: string;
}

export const DEFAULT_PARTIES: readonly string[] = ['spine', 'provider', 'consumer'];

/** Where a directory keeps its CA and each party's certificate and key. */
export function pkiLayout(dir: string, parties: Iterable<string>): TestPki {
  const abs = resolve(dir);
  return {
    dir: abs,
    caFile: join(abs, 'ca.crt'),
    parties: Object.fromEntries(
      [...parties].map((p) => [p, { certFile: join(abs, `${p}.crt`), keyFile: join(abs, `${p}.key`) }]),
    ),
  };
}

/** The parties whose `<name>.crt` is in `dir` (besides the CA), sorted. */
export function partiesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.crt') && f !== 'ca.crt')
    .map((f) => f.slice(0, -'.crt'.length))
    .sort();
}

/**
 * Reads a directory made by `createTestPki`: `ca.crt`, and every other `<name>.crt` with its
 * `<name>.key` as a party. Throws naming the missing file. Nothing is checked beyond existence:
 * a bad certificate shows up as a TLS error naming it, and `createTestPki` repairs the directory.
 */
export function loadPki(dir: string): TestPki {
  const abs = resolve(dir);
  const hint = `make the certificates with "slotbridge spine certs --out ${dir}"`;
  const caFile = join(abs, 'ca.crt');
  if (!existsSync(caFile)) throw new Error(`${caFile} is missing: ${hint}`);
  const parties = partiesIn(abs);
  for (const f of readdirSync(abs)) {
    // A key without its certificate is a half-made party: name the certificate it lacks.
    if (f.endsWith('.key') && f !== 'ca.key' && !parties.includes(f.slice(0, -'.key'.length))) {
      throw new Error(`${join(abs, f.replace(/\.key$/, '.crt'))} is missing: ${hint}`);
    }
  }
  if (parties.length === 0)
    throw new Error(`${abs} has no party certificates (${DEFAULT_PARTIES.map((p) => `${p}.crt`).join(', ')}): ${hint}`);
  const pki = pkiLayout(abs, parties);
  for (const [party, files] of Object.entries(pki.parties)) {
    if (!existsSync(files.keyFile)) throw new Error(`${files.keyFile} (the key of ${party}) is missing: ${hint}`);
  }
  return pki;
}

type PkiLike = TestPki | PartyTlsFiles;

function filesOf(pki: PkiLike, party: string): PartyTlsFiles {
  if ('parties' in pki) {
    const files = pki.parties[party];
    if (!files)
      throw new Error(
        `no certificate for "${party}" in ${pki.dir} (it has: ${Object.keys(pki.parties).join(', ') || 'none'})`,
      );
    return { caFile: pki.caFile, ...files };
  }
  return pki;
}

/**
 * Fastify `https` options: this party's certificate, and (by default) mutual TLS: a client
 * certificate signed by the CA is required, and a connection without one is refused in the
 * handshake, before any HTTP. `requireClientCert: false` serves TLS to anyone (server auth only).
 * `party` is ignored when `pki` names its files directly.
 */
export function tlsServerOptions(
  pki: PkiLike,
  party: string,
  { requireClientCert = true }: { requireClientCert?: boolean } = {},
): TlsServerOptions {
  const f = filesOf(pki, party);
  return {
    key: readFileSync(f.keyFile),
    cert: readFileSync(f.certFile),
    ca: readFileSync(f.caFile),
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
  };
}

/**
 * For outgoing calls (`https.request`, undici `Agent({ connect })`): present this party's
 * certificate and trust only the test CA (a `ca` replaces Node's public roots, so these options do
 * not reach public HTTPS servers).
 */
export function tlsClientOptions(pki: PkiLike, party: string): TlsClientOptions {
  const f = filesOf(pki, party);
  return { key: readFileSync(f.keyFile), cert: readFileSync(f.certFile), ca: readFileSync(f.caFile) };
}

/**
 * The verified client certificate of a request: undefined on plain HTTP, on TLS without a client
 * certificate, or when the certificate was not verified (a server with `rejectUnauthorized: false`).
 */
export function peerOf(request: FastifyRequest): PeerCertificate | undefined {
  const socket = request.raw.socket as Partial<TLSSocket> | undefined;
  if (!socket?.encrypted || socket.authorized !== true || typeof socket.getPeerCertificate !== 'function')
    return undefined;
  const cert = socket.getPeerCertificate();
  // Without a client certificate Node gives an empty object, not null.
  if (!cert || !cert.raw || !cert.fingerprint256) return undefined;
  const cn = cert.subject?.CN as string | string[] | undefined;
  return { subject: `CN=${Array.isArray(cn) ? cn.join('+') : (cn ?? '')}`, fingerprint256: cert.fingerprint256 };
}
