/**
 * Chromium for the web app's browser tests, driven by playwright-core, with axe-core checks and screenshots.
 *
 * Which Chromium: CHROMIUM_PATH when set (that one or nothing); otherwise the headless Chromium that the npm
 * package @sparticuz/chromium carries, so that a machine with nothing but Node and `npm install` runs the
 * browser tests; otherwise a system chromium on PATH (e.g. Debian's). Each test file says on stderr which one ran.
 */
import assert from 'node:assert/strict';
import {
  accessSync,
  chmodSync,
  constants,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Screenshots land here (git-ignored), one per checked page. */
export const ARTIFACTS = new URL('../../test-artifacts/web/', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
/** The npm Chromium is unpacked once per package version into the project's tool cache and reused. */
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/slotbridge/', import.meta.url));
const NPM_PACKAGE = '@sparticuz/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Chromium {
  /** Where it came from, as the test output names it. */
  source: string;
  executablePath: string;
  env?: NodeJS.ProcessEnv;
}

/** The Chromium that launched first in this test file; later launches reuse it. */
let chosen: Chromium | undefined;

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (chosen) return launch(chosen);
  const override = process.env.CHROMIUM_PATH;
  const finders = override ? [() => ({ source: 'CHROMIUM_PATH', executablePath: override })] : [fromNpm, fromSystem];
  const failures: string[] = [];
  for (const find of finders) {
    let candidate: Chromium | string | undefined;
    try {
      candidate = await find();
      if (typeof candidate === 'string') {
        failures.push(candidate);
        continue;
      }
      const browser = await launch(candidate);
      chosen = candidate;
      const fallback = failures.length ? ` (${failures.join('; ')})` : '';
      process.stderr.write(
        `browser: Chromium ${browser.version()} from ${candidate.source}, ${candidate.executablePath}${fallback}\n`,
      );
      return browser;
    } catch (error) {
      const source =
        typeof candidate === 'object'
          ? `${candidate.source} at ${candidate.executablePath}`
          : `npm package ${NPM_PACKAGE}`;
      failures.push(`${source} failed: ${reason(error)}`);
    }
  }
  throw new Error(`no Chromium for the browser tests: ${failures.join('; ')}. Set CHROMIUM_PATH to a Chromium to use.`);
}

/** Playwright's first line, and the browser's own first complaint (e.g. a missing library) when it printed one. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const browserSaid = /\[err\] (.+)/.exec(message)?.[1];
  return [message.split('\n')[0], browserSaid].filter(Boolean).join(': ');
}

function launch(browser: Chromium): Promise<Browser> {
  return chromium.launch({
    executablePath: browser.executablePath,
    args: ARGS,
    ...(browser.env && { env: browser.env }),
  });
}

/**
 * The npm package's browser, unpacked. It is built for Amazon Linux, so it runs with the NSS libraries the
 * package carries (a bare machine has none) on its library path, and with the package's font as a fallback
 * for machines that have no fonts at all (otherwise every screenshot would be blank).
 */
async function fromNpm(): Promise<Chromium | string> {
  // The package's exports hide its package.json, so look for it where Node would look for the package.
  const root = require.resolve
    .paths(NPM_PACKAGE)
    ?.map((folder) => join(folder, NPM_PACKAGE))
    .find((folder) => existsSync(join(folder, 'package.json')));
  if (!root) return `npm: ${NPM_PACKAGE} is not installed`;
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `npm: ${NPM_PACKAGE} carries a Linux x64 build only`;
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const dir = join(CACHE, `chromium-${version}`);
  if (!existsSync(join(dir, 'chromium')))
    await unpack(join(root, 'bin'), dir, createRequire(join(root, 'package.json')));
  // fonts.conf names absolute folders: a checkout copied elsewhere (cp -a, node_modules included) needs its own.
  const fonts = join(dir, 'fonts.conf');
  if (!existsSync(fonts) || readFileSync(fonts, 'utf8') !== fontconfig(dir)) replaceFile(fonts, fontconfig(dir));
  return {
    source: `npm package ${NPM_PACKAGE} ${version}`,
    executablePath: join(dir, 'chromium'),
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter),
      FONTCONFIG_FILE: join(dir, 'fonts.conf'),
    },
  };
}

/**
 * Unpacks into a private folder and renames it into place, so that test files starting at the same time never
 * see a half-written browser: the first rename wins and the others drop their copy.
 */
async function unpack(bin: string, dir: string, requireFromPackage: NodeRequire): Promise<void> {
  const { extract } = requireFromPackage('tar-fs') as { extract(dir: string): Writable };
  mkdirSync(dirname(dir), { recursive: true });
  removeStale(dir);
  const partial = mkdtempSync(`${dir}.partial-`);
  chmodSync(partial, 0o755);
  const inflate = (file: string) => [createReadStream(join(bin, file)), createBrotliDecompress()] as const;
  try {
    await pipeline(...inflate('chromium.br'), createWriteStream(join(partial, 'chromium'), { mode: 0o755 }));
    // al2023.tar.br holds lib/ (NSS, NSPR, expat); fonts.tar.br holds fonts/ and a fonts.conf for AWS Lambda.
    await pipeline(...inflate('al2023.tar.br'), extract(partial));
    await pipeline(...inflate('fonts.tar.br'), extract(partial));
    writeFileSync(join(partial, 'fonts.conf'), fontconfig(dir));
    renameSync(partial, dir);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(dir, 'chromium'))) throw error;
  }
}

/** Writes beside and renames, so that a test file launching at that moment reads the old file or the new one. */
function replaceFile(path: string, text: string): void {
  const beside = `${path}.${process.pid}`;
  writeFileSync(beside, text);
  renameSync(beside, path);
}

/** Drops other versions' browsers and copies left by an unpack that was killed over an hour ago. */
function removeStale(dir: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(dirname(dir))) {
    const path = join(dirname(dir), name);
    if (!name.startsWith('chromium-') || path === dir) continue;
    if (name.includes('.partial-') && statSync(path).mtimeMs > hourAgo) continue;
    rmSync(path, { recursive: true, force: true });
  }
}

/** The system's fonts first, then the package's Open Sans for machines without any. */
function fontconfig(dir: string): string {
  const xml = (path: string) => path.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <cachedir>${xml(join(dir, 'fontconfig-cache'))}</cachedir>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${xml(join(dir, 'fonts'))}</dir>
</fontconfig>
`;
}

function fromSystem(): Chromium | string {
  for (const folder of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const path = join(folder, name);
      if (isExecutableFile(path)) return { source: 'system chromium', executablePath: path };
    }
  }
  return 'system: no chromium on PATH';
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Takes a full-page screenshot named `name`, then fails on any WCAG 2.1 A/AA violation axe finds. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
  // Evaluated through the DevTools protocol rather than added as a <script>: the web app's
  // Content-Security-Policy allows no inline script, and the check must not need the policy loosened.
  if (!(await page.evaluate(() => Boolean((globalThis as any).axe)))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const result = await (globalThis as any).axe.run((globalThis as any).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map(
      (v: any) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .map((n: any) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    );
  });
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
}
