// Whether dist/ still matches src/, and web/dist the web app's sources: shared by the build
// (scripts/build.mjs --if-stale) and, in a checkout, by bin/slotbridge.js, which refuses to run
// JavaScript older than the TypeScript it came from.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SRC = join(ROOT, 'src');
export const DIST = join(ROOT, 'dist');
export const WEB = join(ROOT, 'web');
/**
 * What the web app's bundle is made from: its own sources, and src/fhir, the one server folder whose
 * code the browser may import (the layering in docs/architecture.md; its time-zone arithmetic).
 */
const WEB_SOURCES = [join(WEB, 'src'), join(WEB, 'index.html'), join(WEB, 'vite.config.ts'), join(SRC, 'fhir')];

/** Every file under `dir`, as paths relative to it. */
export function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)));
}

/** Where the build puts a source file: TypeScript becomes JavaScript, anything else is copied as it is. */
export function outputOf(source) {
  return source.endsWith('.ts') ? source.replace(/\.ts$/, '.js') : source;
}

/** The first source under src/ whose output in dist/ is missing or older than it, or undefined when dist/ is current. */
export function staleSource() {
  for (const source of filesUnder(SRC)) {
    const output = join(DIST, outputOf(source));
    if (!existsSync(output) || statSync(output).mtimeMs < statSync(join(SRC, source)).mtimeMs) return `src/${source}`;
  }
  return undefined;
}

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/** Whether web/dist is missing or older than any of the web app's sources. */
export function webStale() {
  const index = join(WEB, 'dist', 'index.html');
  if (!existsSync(index)) return true;
  return statSync(index).mtimeMs < Math.max(...WEB_SOURCES.map(newest));
}
