/**
 * Which addresses the proxy may connect to (docs/security.md, "The spine: operator credential and the
 * proxy"). By default only public unicast addresses: loopback, private (RFC 1918, ULA), link-local,
 * carrier-grade NAT, unspecified (0.0.0.0, ::), multicast, reserved and the IPv6 forms that carry an
 * IPv4 address (IPv4-mapped, 6to4, NAT64, Teredo) are refused, unless the operator allows them: every
 * non-public address (`allowPrivate`), or named networks (`allow`, CIDRs such as `127.0.0.0/8`).
 *
 * The check runs when the proxy connects, on the addresses a host name RESOLVES to (a `lookup` for
 * net/tls.connect) as well as on a literal address in the URL, so a name that resolves to an
 * internal address (or changes to one after registration) is refused too. Address classification is
 * ipaddr.js's (the library Fastify's own proxy-addr uses), not hand-written patterns.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface TargetAddressOptions {
  /** Allow every address that is not public (loopback, private, link-local…); never unspecified or multicast. */
  allowPrivate?: boolean;
  /** CIDRs the proxy may reach even though they are not public, e.g. `127.0.0.0/8`, `::1/128`, `10.20.0.0/16`. */
  allow?: string[];
}

/** Ranges never reachable, even with `allowPrivate` (0.0.0.0 reaches the local machine on Linux). */
const NEVER = new Set(['unspecified', 'multicast', 'broadcast']);

/** Thrown (inside the proxy's connector) when a target's address is not allowed. */
export class TargetAddressRefused extends Error {
  readonly code = 'SSP_TARGET_ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(`${host} is ${address} (${range}), which the proxy is not allowed to reach`);
  }
}

/** Parses a CIDR list, naming the first one that is not a CIDR. */
export function parseCidrs(cidrs: string[]): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return cidrs.map((cidr) => {
    try {
      const [address, bits] = ipaddr.parseCIDR(cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`);
      // An IPv4-mapped network is matched as the IPv4 network it stands for.
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96)
        return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
      return [address, bits];
    } catch {
      throw new Error(`${JSON.stringify(cidr)} is not an IP address or CIDR (e.g. 127.0.0.0/8, ::1/128)`);
    }
  });
}

export class TargetAddressPolicy {
  private readonly networks: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  private readonly allowPrivate: boolean;

  constructor(options: TargetAddressOptions = {}) {
    this.allowPrivate = options.allowPrivate ?? false;
    this.networks = parseCidrs(options.allow ?? []);
  }

  /** Why the proxy may not connect to `address` (its range), or undefined when it may. */
  refusalOf(address: string): string | undefined {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      // process() turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1) into the IPv4 address it is.
      parsed = ipaddr.process(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    } catch {
      return 'not an IP address';
    }
    const range = parsed.range();
    if (range === 'unicast') return undefined;
    if (NEVER.has(range)) return range;
    if (this.allowPrivate) return undefined;
    if (this.networks.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) return undefined;
    return range;
  }

  /** Throws TargetAddressRefused when `address` (of `host`) may not be reached. */
  check(host: string, address: string): void {
    const range = this.refusalOf(address);
    if (range) throw new TargetAddressRefused(host, address, range);
  }

  /** True when `host` (a URL's hostname, IPv6 in brackets) is an IP literal. */
  static isLiteral(host: string): boolean {
    return isIP(host.replace(/^\[|\]$/g, '')) !== 0;
  }

  /**
   * A `lookup` for net.connect and tls.connect: resolves every address of the name and refuses the
   * connection if any of them may not be reached (so a name with one public and one internal address
   * cannot be steered to the internal one).
   */
  readonly lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      try {
        for (const a of addresses) this.check(hostname, a.address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      return callback(null, first.address, first.family);
    });
  };
}
