/**
 * How a registration names the client certificate its system presents under mutual TLS
 * (docs/security.md): `CN=<common name>` (any certificate from the network's CA with that subject,
 * so a renewed certificate still matches) or the certificate's SHA-256 fingerprint (exactly that
 * certificate), written as `openssl x509 -fingerprint -sha256` prints it, with or without colons and
 * an optional `SHA256:` prefix. Stored as `CN=<name>` or `SHA256:<64 upper-case hex digits>`.
 */
import type { PeerCertificate } from './tls.js';

const COMMON_NAME = /^CN=([A-Za-z0-9][A-Za-z0-9 ._-]{0,63})$/;
const FINGERPRINT = /^(?:SHA256:)?((?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2})$/;

/** The stored form of a certificate binding, or undefined when `text` is neither form. */
export function normaliseCertificateBinding(text: string): string | undefined {
  const cn = COMMON_NAME.exec(text);
  if (cn) return `CN=${cn[1]}`;
  const fp = FINGERPRINT.exec(text);
  if (fp) return `SHA256:${fp[1]!.replaceAll(':', '').toUpperCase()}`;
  return undefined;
}

/** True when the verified client certificate `peer` is the one `binding` (stored form) names. */
export function certificateMatches(binding: string, peer: PeerCertificate): boolean {
  if (binding.startsWith('CN=')) return peer.subject === binding;
  return binding === `SHA256:${peer.fingerprint256.replaceAll(':', '').toUpperCase()}`;
}
