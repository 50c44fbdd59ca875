/**
 * Serves the web app from web/dist. An installed package carries it prebuilt (`npm run build`); in a
 * checkout, where web/src and the build script are, the build script first rebuilds a web/dist older
 * than its sources (scripts/dist-state.mjs says which those are), so a change to the pages shows on
 * the next start.
 */
import type { FastifyInstance } from 'fastify';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consumerIdentity } from '../consumer/identity.js';
import type { NationalConfig } from '../consumer/national.js';
import { buildConsumerWeb } from '../consumer/web.js';
import type { OidcSettings, WebAuthOptions } from '../consumer/web-auth.js';
import type { Store } from '../store/store.js';
import {
  CAPACITY_API_PREFIX,
  capacityProxy,
  noCapacityProxy,
  type CapacityProxyOptions,
} from '../web/capacity-proxy.js';

export const WEB_DIR = fileURLToPath(new URL('../../web', import.meta.url));
export const WEB_DIST = join(WEB_DIR, 'dist');
export const DEFAULT_WEB_PORT = 4200;
const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url));

export async function ensureWebBuilt(): Promise<void> {
  if (existsSync(join(WEB_DIR, 'src')) && existsSync(BUILD_SCRIPT)) {
    // stdout stays the command's own (one JSON document with --json): all the build says goes to stderr.
    const build = spawnSync(process.execPath, [BUILD_SCRIPT, '--if-stale', '--web-only'], { stdio: ['ignore', 2, 2] });
    if (build.status !== 0) throw new Error(`building the web app failed (${BUILD_SCRIPT} --web-only)`);
  }
  const index = join(WEB_DIST, 'index.html');
  if (!existsSync(index)) throw new Error(`the web app is not built (${index} is missing): run npm run build`);
}

export interface WebOptions {
  /** Where DoS, SDS and the proxy are (src/cli/national.ts reads them from flags and the environment). */
  national?: NationalConfig;
  /** Or a Slotbridge spine, whose stand-ins are used with the demo credentials. */
  spine?: string;
  store: Store;
  /** Who may sign in (local users, OpenID Connect) and from which hosts. */
  auth: WebAuthOptions;
  fetchImpl?: typeof fetch;
  /** The provider whose admin API the capacity area forwards to; without it the capacity pages cannot sign in. */
  capacity?: CapacityProxyOptions;
}

/**
 * The web app: the call handler's booking area with its API, and (given `capacity`) the rota
 * manager's capacity area, whose pages reach the provider's admin API through the forwarder under
 * /capacity-api.
 */
export async function buildWeb(options: WebOptions): Promise<FastifyInstance> {
  const app = await buildConsumerWeb({
    national: options.national,
    spine: options.spine,
    identity: consumerIdentity(),
    db: options.store.db,
    webDist: WEB_DIST,
    fetchImpl: options.fetchImpl,
    auth: options.auth,
  });
  if (options.capacity) await app.register(capacityProxy, { prefix: CAPACITY_API_PREFIX, ...options.capacity });
  else await app.register(noCapacityProxy, { prefix: CAPACITY_API_PREFIX });
  return app;
}

export async function startConsumerWeb(
  options: WebOptions & { port?: number; host?: string },
): Promise<{ url: string; close(): Promise<void> }> {
  await ensureWebBuilt();
  const app = await buildWeb(options);
  const address = await app.listen({ port: options.port ?? DEFAULT_WEB_PORT, host: options.host ?? '127.0.0.1' });
  return { url: `http://localhost:${new URL(address).port}`, close: () => app.close() };
}

/** The demo network's call handler: the user name `slotbridge start` prints with its password. */
export const DEMO_CALL_HANDLER = {
  username: 'call-handler',
  given: 'Alex',
  family: 'Morgan',
  role: '111 call handler (demo)',
  sdsRoleProfileId: 'DEMO-111-CALL-HANDLER',
} as const;

/**
 * OpenID Connect sign-in from the environment (docs/consumer.md names each variable and the NHS CIS2
 * values); undefined unless SLOTBRIDGE_OIDC_ISSUER is set. Secrets come from the environment or a
 * file, never from the command line, where any user of the machine could read them.
 */
export function oidcFromEnv(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const issuer = env.SLOTBRIDGE_OIDC_ISSUER?.trim();
  if (!issuer) return undefined;
  const clientId = env.SLOTBRIDGE_OIDC_CLIENT_ID?.trim();
  if (!clientId) throw new Error('SLOTBRIDGE_OIDC_ISSUER is set but SLOTBRIDGE_OIDC_CLIENT_ID is not');
  const keyFile = env.SLOTBRIDGE_OIDC_PRIVATE_KEY_FILE?.trim();
  const claims: OidcSettings['claims'] = {};
  for (const [field, name] of [
    ['id', 'ID'],
    ['name', 'NAME'],
    ['given', 'GIVEN'],
    ['family', 'FAMILY'],
    ['sdsUserId', 'SDS_USER_ID'],
    ['roleProfileId', 'ROLE_PROFILE_ID'],
    ['roleName', 'ROLE_NAME'],
  ] as const) {
    const claim = env[`SLOTBRIDGE_OIDC_${name}_CLAIM`]?.trim();
    if (claim) claims[field] = claim;
  }
  const algorithm = env.SLOTBRIDGE_OIDC_KEY_ALGORITHM?.trim();
  if (algorithm && algorithm !== 'RS256' && algorithm !== 'RS512')
    throw new Error(`SLOTBRIDGE_OIDC_KEY_ALGORITHM must be RS256 or RS512, not ${algorithm}`);
  return {
    issuer,
    clientId,
    clientSecret: env.SLOTBRIDGE_OIDC_CLIENT_SECRET || undefined,
    privateKeyPem: keyFile ? readFileSync(keyFile, 'utf8') : undefined,
    keyId: env.SLOTBRIDGE_OIDC_KEY_ID?.trim() || undefined,
    keyAlgorithm: algorithm as 'RS256' | 'RS512' | undefined,
    scopes: env.SLOTBRIDGE_OIDC_SCOPES?.trim() || undefined,
    redirectUrl: env.SLOTBRIDGE_OIDC_REDIRECT_URL?.trim() || undefined,
    claims,
    label: env.SLOTBRIDGE_OIDC_LABEL?.trim() || undefined,
    allowHttp: issuer.startsWith('http://'),
  };
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);

/**
 * The web app's hosts and proxy from the environment: SLOTBRIDGE_WEB_ALLOWED_HOSTS (extra host names it
 * answers to) and SLOTBRIDGE_WEB_TRUST_PROXY (the addresses of a TLS-terminating proxy in front of it),
 * each comma-separated.
 */
export function webHostsFromEnv(env: NodeJS.ProcessEnv): { allowedHosts: string[]; trustProxy?: string[] } {
  const proxies = list(env.SLOTBRIDGE_WEB_TRUST_PROXY);
  return { allowedHosts: list(env.SLOTBRIDGE_WEB_ALLOWED_HOSTS), ...(proxies.length ? { trustProxy: proxies } : {}) };
}
