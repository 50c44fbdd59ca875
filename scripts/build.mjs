#!/usr/bin/env node
// `npm run build`: src/ → dist/ (tsc, then the data files the code reads beside itself through
// import.meta.url) and web/ → web/dist (vite). With --if-stale (npm start, npm test, npm run bench)
// each part is rebuilt only when it is missing or older than its sources; --web-only leaves dist/ alone
// (`slotbridge start` in a checkout runs it, from the dist/ it must not delete).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DIST, ROOT, SRC, WEB, filesUnder, outputOf, staleSource, webStale } from './dist-state.mjs';

const ifStale = process.argv.includes('--if-stale');
const say = (message) => process.stderr.write(`${message}\n`);
const seconds = (started) => `${((performance.now() - started) / 1000).toFixed(1)} s`;

function buildDist() {
  const stale = staleSource();
  if (ifStale && !stale) return;
  const started = performance.now();
  say(`building dist/ with tsc${ifStale ? ` (${stale} changed)` : ''} …`);
  // A clean build, so nothing deleted from src/ lives on in dist/.
  rmSync(DIST, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) {
    // tsc writes JavaScript even when types are wrong; a failed build must not look like a good one.
    rmSync(DIST, { recursive: true, force: true });
    throw new Error(`tsc failed (exit ${result.status ?? result.signal})`);
  }
  const assets = filesUnder(SRC).filter((f) => !f.endsWith('.ts'));
  for (const file of assets) {
    mkdirSync(dirname(join(DIST, outputOf(file))), { recursive: true });
    copyFileSync(join(SRC, file), join(DIST, outputOf(file)));
  }
  say(`built dist/ in ${seconds(started)} (with ${assets.join(', ')})`);
}

async function buildWeb() {
  if (ifStale && !webStale()) return;
  const started = performance.now();
  say('building the web app (web/ → web/dist) with vite …');
  const { build } = await import('vite');
  await build({ configFile: join(WEB, 'vite.config.ts'), logLevel: 'error' });
  say(`built web/dist in ${seconds(started)}`);
}

try {
  if (!process.argv.includes('--web-only')) buildDist();
  await buildWeb();
} catch (err) {
  say(`build failed: ${err.message}`);
  process.exit(1);
}
