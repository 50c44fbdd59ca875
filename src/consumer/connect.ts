/**
 * Where the consumer finds the national services: one value, so that moving from the laptop's demo
 * network to NHS England's integration environment is configuration (docs/going-live.md).
 *   - DoS: the SOAP endpoint (PathWayService 1.5) and the DoS API user's name and password;
 *   - SDS: the FHIR API's base URL and the application's API key;
 *   - SSP: the secure proxy's base URL (`{proxy}/{service root}/{FHIR request}`);
 *   - the client certificate, key and CA that mutual TLS needs (the proxy asks for it; the others may).
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { DosClient } from './dos-client.js';
import type { EndpointDirectory, NationalConfig, ServiceDirectory } from './national.js';
import { SdsClient } from './sds-client.js';

export { standInConfig, type NationalConfig } from './national.js';

/** What the configuration says about itself without its secrets (the web app's settings page, the CLI's --json). */
export function describeConfig(config: NationalConfig): {
  dos: string;
  dosUser: string;
  sds: string;
  proxy: string;
  clientCertificate: boolean;
} {
  return {
    dos: config.dos.url,
    dosUser: config.dos.username,
    sds: config.sds.url,
    proxy: config.proxy,
    clientCertificate: Boolean(config.tls),
  };
}

/** `fetch` that presents the configured client certificate (Node's own fetch cannot), or `base` unchanged. */
export function fetchFor(config: NationalConfig, base: typeof fetch = fetch): typeof fetch {
  if (!config.tls) return base;
  const dispatcher = new Agent({
    connect: { cert: config.tls.cert, key: config.tls.key, ...(config.tls.ca ? { ca: config.tls.ca } : {}) },
  });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

export interface NationalClients {
  directory: ServiceDirectory;
  endpoints: EndpointDirectory;
  /** The proxy's base URL. */
  proxy: string;
  /** The fetch every national call goes through (with the client certificate when configured). */
  fetchImpl: typeof fetch;
}

export function nationalClients(config: NationalConfig, base?: typeof fetch): NationalClients {
  const fetchImpl = fetchFor(config, base);
  return {
    directory: new DosClient({ ...config.dos, fetchImpl }),
    endpoints: new SdsClient({ ...config.sds, fetchImpl }),
    proxy: config.proxy.replace(/\/+$/, ''),
    fetchImpl,
  };
}
