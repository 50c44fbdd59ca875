/**
 * Who is on the other end of a provider connection (docs/security.md, "The provider's FHIR API"): the
 * peer's socket address and, under TLS, the subject of its verified client certificate. A provider
 * can be told to take calls only from the booking network's proxy: from listed addresses
 * (`--allow-from CIDR`), and/or with a client certificate issued to a listed name (`--proxy-cert-cn`).
 * When either is set, every other peer gets a 403 and the audit says which calls came from the proxy.
 */
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

export interface PeerOptions {
  /** Addresses or CIDR blocks (`10.0.0.0/8`, `::1`, `192.0.2.7`) the proxy calls from. */
  allowFrom?: string[];
  /** Subject common names (CN) of the proxy's client certificate; needs mutual TLS. */
  proxyCertificateNames?: string[];
}

export interface Peer {
  /** The socket's remote address (IPv4-mapped IPv6 written as IPv4). */
  address: string | null;
  /** `CN=…` of the verified client certificate, under mutual TLS. */
  certificate: string | null;
  /** Whether the peer is the proxy: undefined when no proxy is configured (nothing to tell). */
  isProxy?: boolean;
  /** Why a proxy-only provider refuses this peer. */
  refusal?: string;
}

/** An address as `BlockList` and people read it: `::ffff:10.0.0.1` is the IPv4 address 10.0.0.1. */
export function plainAddress(address: string | undefined): string | null {
  if (!address) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/** Parses `--allow-from` values; throws an Error naming the first that is not an address or CIDR block. */
export function addressList(values: string[]): BlockList {
  const list = new BlockList();
  for (const value of values) {
    const [address, prefixText, ...rest] = value.trim().split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!family || rest.length || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
      throw new Error(`"${value}" is not an IP address or CIDR block (for example 10.0.0.0/8 or ::1)`);
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

function certificateOf(request: FastifyRequest): string | null {
  const socket = request.raw.socket as Partial<TLSSocket> | undefined;
  if (!socket?.encrypted || socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return null;
  const cert = socket.getPeerCertificate();
  // Without a client certificate Node gives an empty object, not null.
  if (!cert || !cert.raw) return null;
  const cn = cert.subject?.CN as string | string[] | undefined;
  return `CN=${Array.isArray(cn) ? cn.join('+') : (cn ?? '')}`;
}

export class PeerPolicy {
  private readonly allowed: BlockList | undefined;
  private readonly names: Set<string> | undefined;

  constructor(options: PeerOptions = {}) {
    this.allowed = options.allowFrom?.length ? addressList(options.allowFrom) : undefined;
    this.names = options.proxyCertificateNames?.length
      ? new Set(options.proxyCertificateNames.map((n) => `CN=${n}`))
      : undefined;
  }

  /** True when only the proxy may call (and the Ssp-* headers it always sends are required). */
  get proxyOnly(): boolean {
    return this.allowed !== undefined || this.names !== undefined;
  }

  of(request: FastifyRequest): Peer {
    const address = plainAddress(request.raw.socket?.remoteAddress);
    const certificate = certificateOf(request);
    if (!this.proxyOnly) return { address, certificate };
    const problems: string[] = [];
    if (this.allowed) {
      const family = address && isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (!address || !this.allowed.check(address, family)) problems.push(`its address ${address ?? '(unknown)'}`);
    }
    if (this.names && (!certificate || !this.names.has(certificate))) {
      problems.push(certificate ? `its client certificate ${certificate}` : 'it presented no client certificate');
    }
    if (problems.length === 0) return { address, certificate, isProxy: true };
    return {
      address,
      certificate,
      isProxy: false,
      refusal:
        `This provider takes calls only from the booking network's proxy; this caller is not the proxy ` +
        `(${problems.join(' and ')})`,
    };
  }
}
