/**
 * Serves the web app from web/dist. An installed package carries it prebuilt (`npm run build`); in a
 * checkout, where web/src and the build script are, the build script first rebuilds a web/dist older
 * than its sources (scripts/dist-state.mjs says which those are), so a change to the pages shows on
 * the next start.
 */
import type { FastifyInstance } from 'fastify';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consumerIdentity } from '../consumer/identity.js';
import { buildConsumerWeb } from '../consumer/web.js';
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
  spine: string;
  store: Store;
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
    spine: options.spine,
    identity: consumerIdentity(),
    db: options.store.db,
    webDist: WEB_DIST,
    fetchImpl: options.fetchImpl,
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
