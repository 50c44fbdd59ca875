#!/usr/bin/env node
// The slotbridge command: runs the JavaScript that `npm run build` emits to dist/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
const fail = (message) => {
  process.stderr.write(`slotbridge: ${message}\n`);
  process.exit(1);
};
if (!existsSync(main)) fail('dist/ is missing: run npm run build');
if (existsSync(new URL('../src/', import.meta.url))) {
  // A checkout, where src/ can be newer than dist/: running the old JavaScript would hide the change.
  const { staleSource } = await import('../scripts/dist-state.mjs');
  const stale = staleSource();
  if (stale) fail(`dist/ is older than ${stale}: run npm run build`);
}
const { main: run } = await import(main.href);
const code = await run(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
