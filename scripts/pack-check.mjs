#!/usr/bin/env node
// `npm run pack:check`: the packed product runs without development tools. It packs the package,
// installs the tarball with --omit=dev in an empty folder (better-sqlite3 compiles there), times
// `npx slotbridge --help`, starts `npx slotbridge start` on free ports and checks the web app, the
// spine, a provider's /metadata with the standard's JWT and a consumer's search through the proxy.
// Exits non-zero on the first failure; --keep leaves the folder for a look.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './dist-state.mjs';

const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'slotbridge-pack-'));
const app = join(work, 'app');
const data = join(work, 'data');
const say = (message) => process.stderr.write(`${message}\n`);
const fail = (message) => {
  throw new Error(message);
};
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(command, args, options) {
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  const ms = performance.now() - started;
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ...result, ms };
}

function pack() {
  say(`== npm pack (its prepare step builds dist/ and web/dist) into ${work}`);
  const { stdout, ms } = timed('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  const files = info.files.map((f) => f.path);
  say(
    `   ${info.filename}: ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB ` +
      `unpacked, ${files.length} files (${seconds(ms)})`,
  );
  const needed = [
    'bin/slotbridge.js',
    'dist/cli/main.js',
    'dist/web/capacity-proxy.js',
    'dist/fhir/stu3-model.json',
    'dist/spine/directory/uk-outcodes.csv',
    'dist/store/sqlite-writer.mjs',
    'web/dist/index.html',
    'LICENSE',
    'README.md',
  ];
  const missing = needed.filter((f) => !files.includes(f));
  if (missing.length) fail(`the tarball lacks ${missing.join(', ')}`);
  const stray = files.filter((f) => /^(src|test|bench|scripts|web\/src|node_modules)\//.test(f) || f.endsWith('.ts'));
  if (stray.length) fail(`the tarball carries development files: ${stray.slice(0, 10).join(', ')}`);
  return join(work, info.filename);
}

function install(tarball) {
  say(`== npm install ${tarball} --omit=dev in an empty folder (better-sqlite3 compiles from source: about a minute)`);
  mkdirSync(app);
  const { ms } = timed('npm', ['install', tarball, '--omit=dev', '--no-audit', '--no-fund'], {
    cwd: app,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  say(`   installed in ${seconds(ms)}`);
  const devTools = ['tsx', 'vite', 'typescript', '@vitejs/plugin-react', 'react'].filter((m) =>
    existsSync(join(app, 'node_modules', m)),
  );
  if (devTools.length) fail(`development tools were installed: ${devTools.join(', ')}`);
}

function helpTimes() {
  say('== npx slotbridge --help');
  const npx = [];
  const node = [];
  for (let i = 0; i < 3; i++) {
    const viaNpx = timed('npx', ['--no-install', 'slotbridge', '--help'], { cwd: app });
    if (!viaNpx.stdout.startsWith('usage:\n')) fail(`npx slotbridge --help printed ${viaNpx.stdout.slice(0, 200)}`);
    npx.push(viaNpx.ms);
    node.push(timed(process.execPath, [join(app, 'node_modules', '.bin', 'slotbridge'), '--help'], { cwd: app }).ms);
  }
  say(
    `   answered in ${seconds(median(npx))} through npx (${npx.map(seconds).join(' / ')}), ` +
      `of which npm's own start is most; ${seconds(median(node))} as node_modules/.bin/slotbridge (${node.map(seconds).join(' / ')})`,
  );
  if (median(node) > 1000) say('   WARNING: over a second: is the machine busy?');
}

/** Starts `npx slotbridge start --json` in its own process group and resolves with the JSON it prints once ready. */
function start() {
  say('== npx slotbridge start --port 0 --spine-port 0 --web-port 0 --json');
  const args = ['--no-install', 'slotbridge', 'start', '--port', '0', '--spine-port', '0', '--web-port', '0'];
  const child = spawn('npx', [...args, '--data', data, '--json'], {
    cwd: app,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no JSON from slotbridge start within 120 s:\n${stderr}`)),
      120_000,
    );
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      try {
        const json = JSON.parse(stdout);
        clearTimeout(timer);
        resolve(json);
      } catch {
        // not the whole document yet
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`slotbridge start exited ${code}:\n${stderr}`));
    });
  });
  const stop = async () => {
    const exited = new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { ready, stop, stderr: () => stderr };
}

async function get(url, headers = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (!response.ok) fail(`GET ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return { response, text };
}

async function checkNetwork(network) {
  const page = await get(network.web);
  if (!page.response.headers.get('content-type')?.startsWith('text/html')) fail(`${network.web} is not a page`);
  const script = /src="([^"]+\.js)"/.exec(page.text)?.[1];
  if (!script) fail(`${network.web} names no script: ${page.text.slice(0, 300)}`);
  await get(new URL(script, network.web).href);
  await get(network.capacity.url);
  say(`   web app: ${network.web} and ${network.capacity.url} serve the prebuilt pages (${script})`);

  // The web app's API answers only a signed-in call handler: the demo's printed user and password.
  const refused = await fetch(`${network.web}/api/dispositions`);
  if (refused.status !== 401) fail(`${network.web}/api/dispositions answered ${refused.status} without a session`);
  const signIn = await fetch(`${network.web}/auth/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: network.web },
    body: JSON.stringify({ username: network.signIn.username, password: network.signIn.password }),
  });
  if (signIn.status !== 200) fail(`signing in as ${network.signIn.username} answered ${signIn.status}`);
  const cookie = signIn.headers.getSetCookie()[0].split(';')[0];
  await get(`${network.web}/api/dispositions`, { cookie });
  say(`   web app: signs in ${network.signIn.username} with the printed password; its API refuses anyone else`);

  const spine = JSON.parse((await get(network.spine)).text);
  if (spine.proxy !== network.proxy) fail(`the spine at ${network.spine} answered ${JSON.stringify(spine)}`);
  say(`   spine: ${network.spine} answers with its directory, endpoint directory and proxy`);
  // The spine's operator API needs the operator token the network made and printed (issue 11).
  if (!/^sbop_/.test(network.operatorToken ?? '')) fail(`slotbridge start printed no operator token`);
  const anonymous = await fetch(`${network.spine}/monitor/proxy-calls`);
  if (anonymous.status !== 401)
    fail(`${network.spine}/monitor/proxy-calls answered ${anonymous.status} without the token`);
  await get(`${network.spine}/monitor/proxy-calls`, { authorization: `Bearer ${network.operatorToken}` });
  say('   spine: its call log answers only to the operator token the network printed');

  const tenant = network.tenants[0];
  const { stdout } = timed('npx', ['--no-install', 'slotbridge', 'token', '--aud', tenant.serviceRoot], { cwd: app });
  const { text } = await get(`${tenant.serviceRoot}/metadata`, {
    authorization: `Bearer ${stdout.trim()}`,
    accept: 'application/fhir+json',
  });
  const statement = JSON.parse(text);
  if (statement.resourceType !== 'CapabilityStatement')
    fail(`${tenant.serviceRoot}/metadata answered ${text.slice(0, 300)}`);
  say(`   provider: ${tenant.serviceRoot}/metadata answers its CapabilityStatement to the standard's JWT`);

  const find = timed(
    'npx',
    ['--no-install', 'slotbridge', 'consumer', 'find', '--disposition', 'Dx06', '--postcode', 'WF1 3HS'].concat([
      '--spine',
      network.spine,
      '--data',
      data,
      '--json',
    ]),
    { cwd: app },
  );
  const found = JSON.parse(find.stdout).services.filter((s) => s.route.bookable && s.availability?.free > 0);
  if (!found.length) fail(`consumer find found no bookable service with free slots: ${find.stdout.slice(0, 500)}`);
  say(
    `   consumer: Dx06 near WF1 3HS finds ${found.map((s) => s.service.name).join(', ')} with free slots, through the proxy`,
  );
}

let server;
try {
  const tarball = pack();
  install(tarball);
  helpTimes();
  server = start();
  const network = await server.ready;
  await checkNetwork(network);
  say('== the packed product works without development tools');
} catch (err) {
  say(`pack check FAILED: ${err.message}`);
  if (server) say(`slotbridge start said:\n${server.stderr()}`);
  process.exitCode = 1;
} finally {
  await server?.stop();
  if (keep) say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
