/**
 * Serves the web app from web/dist. An installed package carries it prebuilt (`npm run build`); in a
 * checkout, where web/src is, a web/dist older than its sources is rebuilt first, so a change to the
 * pages shows on the next start.
 */
import type { FastifyInstance } from 'fastify';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
import { say } from './io.js';

export const WEB_DIR = fileURLToPath(new URL('../../web', import.meta.url));
export const WEB_DIST = join(WEB_DIR, 'dist');
export const DEFAULT_WEB_PORT = 4200;

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

export async function ensureWebBuilt(): Promise<void> {
  const index = join(WEB_DIST, 'index.html');
  if (!existsSync(join(WEB_DIR, 'src'))) {
    // An installed package: no sources and no bundler, only what the build left.
    if (existsSync(index)) return;
    throw new Error(`the web app is not built (${index} is missing): run npm run build`);
  }
  const sources = Math.max(
    newest(join(WEB_DIR, 'src')),
    newest(join(WEB_DIR, 'index.html')),
    newest(join(WEB_DIR, 'vite.config.ts')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  say('building the web app (web/ → web/dist) …');
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: 'error' });
  say(`built the web app in ${((Date.now() - started) / 1000).toFixed(1)} s: ${WEB_DIST}`);
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
