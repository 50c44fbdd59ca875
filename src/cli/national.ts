/**
 * The consumer's national configuration from the command line and the environment (docs/going-live.md):
 *
 *   --dos-url URL      SLOTBRIDGE_DOS_URL       DoS's SOAP endpoint (PathWayService 1.5)
 *   --dos-user NAME    SLOTBRIDGE_DOS_USER      the DoS API account
 *   --dos-password P   SLOTBRIDGE_DOS_PASSWORD  its password (prefer the variable: a command line is visible to others)
 *   --sds-url URL      SLOTBRIDGE_SDS_URL       the SDS FHIR API's base URL
 *   --sds-apikey KEY   SLOTBRIDGE_SDS_APIKEY    the application's API key
 *   --proxy-url URL    SLOTBRIDGE_PROXY_URL     the secure proxy's base URL
 *   --cert FILE --key FILE [--ca FILE]  SLOTBRIDGE_CERT, _KEY, _CA   the client certificate for mutual TLS (PEM)
 *
 * What is not given is the stand-in of the spine (`--spine`, SLOTBRIDGE_SPINE, default the demo network's),
 * with the stand-ins' public demo credentials; a national URL given without its credential is refused,
 * so a real service is never sent the demo's.
 */
import { readFileSync } from 'node:fs';
import { standInConfig, type NationalConfig } from '../consumer/national.js';
import { UsageError, type Options } from './io.js';

export const nationalOptions = {
  'dos-url': { type: 'string' },
  'dos-user': { type: 'string' },
  'dos-password': { type: 'string' },
  'sds-url': { type: 'string' },
  'sds-apikey': { type: 'string' },
  'proxy-url': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
} as const;

export const NATIONAL_NOTE =
  '--dos-url URL --dos-user NAME --dos-password P --sds-url URL --sds-apikey KEY --proxy-url URL --cert FILE --key FILE ' +
  '--ca FILE (or SLOTBRIDGE_DOS_URL, _DOS_USER, _DOS_PASSWORD, _SDS_URL, _SDS_APIKEY, _PROXY_URL, _CERT, _KEY, _CA) ' +
  'point it at NHS England’s services (docs/going-live.md)';

function httpUrl(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} ${value} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`${flag} ${value} is not an http(s) URL`);
  return value.replace(/\/+$/, '');
}

function pem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(
      `${flag} ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The configuration from `values` (flags) and `env`, with `spine` for whatever is not given. */
export function nationalFrom(values: Options, env: NodeJS.ProcessEnv, spine: string): NationalConfig {
  const get = (flag: keyof typeof nationalOptions, variable: string): string | undefined => {
    const given = (values[flag] as string | undefined) ?? env[variable];
    return given === undefined || given.trim() === '' ? undefined : given.trim();
  };
  const standIn = standInConfig(spine);
  const config: NationalConfig = { ...standIn };

  const dosUrl = get('dos-url', 'SLOTBRIDGE_DOS_URL');
  const dosUser = get('dos-user', 'SLOTBRIDGE_DOS_USER');
  const dosPassword = get('dos-password', 'SLOTBRIDGE_DOS_PASSWORD');
  if (dosUrl) {
    if (!dosUser || !dosPassword)
      throw new UsageError(
        '--dos-url needs the DoS account: --dos-user NAME and SLOTBRIDGE_DOS_PASSWORD (or --dos-password)',
      );
    config.dos = { url: httpUrl(dosUrl, '--dos-url'), username: dosUser, password: dosPassword };
  } else if (dosUser || dosPassword) {
    if (!dosUser || !dosPassword)
      throw new UsageError('--dos-user and its password (SLOTBRIDGE_DOS_PASSWORD) go together');
    config.dos = { ...standIn.dos, username: dosUser, password: dosPassword };
  }

  const sdsUrl = get('sds-url', 'SLOTBRIDGE_SDS_URL');
  const apiKey = get('sds-apikey', 'SLOTBRIDGE_SDS_APIKEY');
  if (sdsUrl && !apiKey)
    throw new UsageError('--sds-url needs the application’s API key: --sds-apikey KEY (or SLOTBRIDGE_SDS_APIKEY)');
  if (sdsUrl || apiKey) config.sds = { url: sdsUrl ? httpUrl(sdsUrl, '--sds-url') : standIn.sds.url, apiKey: apiKey! };

  const proxy = get('proxy-url', 'SLOTBRIDGE_PROXY_URL');
  if (proxy) config.proxy = httpUrl(proxy, '--proxy-url');

  const cert = get('cert', 'SLOTBRIDGE_CERT');
  const key = get('key', 'SLOTBRIDGE_KEY');
  const ca = get('ca', 'SLOTBRIDGE_CA');
  if (Boolean(cert) !== Boolean(key))
    throw new UsageError('--cert and --key go together (the client certificate and its key)');
  if (ca && !cert) throw new UsageError('--ca is for mutual TLS: give --cert and --key with it');
  if (cert && key)
    config.tls = { cert: pem(cert, '--cert'), key: pem(key, '--key'), ...(ca ? { ca: pem(ca, '--ca') } : {}) };
  return config;
}

/** One line saying where the consumer's national calls go (printed to stderr by the consumer commands). */
export function nationalLine(config: NationalConfig): string {
  return (
    `dos: ${config.dos.url} (user ${config.dos.username}) · sds: ${config.sds.url} · proxy: ${config.proxy}` +
    (config.tls ? ' · client certificate given' : '')
  );
}
