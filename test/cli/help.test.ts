/**
 * Every command answers --help and -h with its usage and does nothing else; an unknown option or
 * word is a usage error naming it; `slotbridge --help` loads no dependency; bin/slotbridge.js runs
 * dist/ and refuses a missing or out-of-date one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/main.js';
import { BIN, type CliResult } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-help-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a node script; a process still running after `limitMs` is killed and reported (a server that started). */
function run(args: string[], limitMs = 30_000): Promise<CliResult & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed });
    });
  });
}

/** Runs `jobs` with at most `width` at a time (the machine's cores are shared). */
async function inBatches<T>(jobs: (() => Promise<T>)[], width = 3): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += width)
    results.push(...(await Promise.all(jobs.slice(i, i + width).map((j) => j()))));
  return results;
}

const words = (name: string) => name.split(' ');
/** Options that would make the command open a store or a port, pointed where we can see whether it did. */
function sideEffectOptions(name: string, store: string): string[] {
  const options = COMMANDS.find((c) => c.name === name)!.options;
  return [
    ...('data' in options ? ['--data', store] : []),
    ...('port' in options ? ['--port', '0'] : []),
    ...('spine-port' in options ? ['--spine-port', '0', '--web-port', '0'] : []),
  ];
}

describe('slotbridge --help', () => {
  it('every command and subcommand answers --help and -h with its usage, exit 0, and opens no store or port', async () => {
    assert.ok(COMMANDS.length > 30, 'the table lists every command');
    const results = await inBatches(
      COMMANDS.flatMap((command, i) =>
        ['--help', '-h'].map((flag) => async () => {
          const store = join(dir, `store-${i}${flag}`);
          const result = await run([BIN, ...words(command.name), flag, ...sideEffectOptions(command.name, store)]);
          return { command, flag, store, result };
        }),
      ),
    );
    for (const { command, flag, store, result } of results) {
      const what = `slotbridge ${command.name} ${flag}`;
      assert.equal(result.killed, false, `${what} was still running after 30 s: it started instead of answering`);
      assert.equal(result.code, 0, `${what}: ${result.stderr}`);
      assert.equal(result.stderr, '', what);
      assert.match(result.stdout, /^usage:\n/, what);
      assert.ok(result.stdout.includes(`slotbridge ${command.name} ${command.usage}`), `${what} shows its usage`);
      assert.equal(existsSync(store), false, `${what} opened a store`);
    }
  });

  it('a family answers with all its commands; "help WORDS" is the same as "WORDS --help"', async () => {
    const rota = await run([BIN, 'provider', 'rota', '--help']);
    assert.equal(rota.code, 0);
    for (const verb of ['put', 'list', 'preview', 'generate'])
      assert.match(rota.stdout, new RegExp(`slotbridge provider rota ${verb} `));
    assert.doesNotMatch(rota.stdout, /provider report/);
    const help = await run([BIN, 'help', 'provider', 'rota']);
    assert.equal(help.stdout, rota.stdout);
    const top = await run([BIN, '--help']);
    assert.equal(top.code, 0);
    for (const command of COMMANDS) assert.ok(top.stdout.includes(`slotbridge ${command.name} `), command.name);
  });

  it('an unknown option is an error naming it (exit 2, nothing on stdout), for every command', async () => {
    const results = await inBatches(
      COMMANDS.map((command, i) => async () => {
        const store = join(dir, `unknown-${i}`);
        const result = await run([
          BIN,
          ...words(command.name),
          '--frobnicate',
          ...sideEffectOptions(command.name, store),
        ]);
        return { command, store, result };
      }),
    );
    for (const { command, store, result } of results) {
      const what = `slotbridge ${command.name} --frobnicate`;
      assert.equal(result.killed, false, `${what} started`);
      assert.equal(result.code, 2, `${what}: ${result.stderr}`);
      assert.equal(result.stdout, '', what);
      assert.match(result.stderr, /unknown option --frobnicate/, what);
      assert.equal(existsSync(store), false, `${what} opened a store`);
    }
    const short = await run([BIN, 'token', '--aud', 'http://localhost/x', '-q']);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /unknown option -q/);
  });

  it('an unknown word is an error naming it', async () => {
    const extra = await run([BIN, 'token', '--aud', 'http://localhost/x', 'extra']);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /unexpected argument "extra"/);
    const sub = await run([BIN, 'provider', 'rota', 'frob', '--tenant', 'x']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown command "provider rota frob"/);
    assert.match(sub.stderr, /slotbridge provider rota generate/);
    for (const args of [
      ['help', 'frobnicate'],
      ['provider', 'frob', '--help'],
      ['token', 'extra', '-h'],
    ]) {
      const help = await run([BIN, ...args]);
      assert.equal(help.code, 2, args.join(' '));
      assert.equal(help.stdout, '', args.join(' '));
      assert.match(help.stderr, /unknown command "(frobnicate|provider frob)"|unexpected argument "extra"/);
    }
  });

  it('slotbridge --help loads no dependency (no web server, store driver or bundler)', async () => {
    // A module hook that reports every module the command resolves.
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(`resolved ${r.url}\\n`); return r; }\n',
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
    );
    const result = await run(['--import', register, BIN, '--help']);
    assert.equal(result.code, 0, result.stderr);
    const resolved = result.stderr.split('\n').filter((l) => l.startsWith('resolved '));
    assert.ok(
      resolved.some((l) => l.includes('/dist/cli/main.js')),
      'the hook saw the command load',
    );
    assert.deepEqual(
      resolved.filter((l) => l.includes('/node_modules/')),
      [],
    );
  });
});

describe('bin/slotbridge.js', () => {
  // A copy of bin/ and scripts/ beside a made-up src/ and dist/, so nothing in the checkout is touched.
  const root = join(dir, 'checkout');
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  for (const file of ['bin/slotbridge.js', 'scripts/dist-state.mjs', 'package.json']) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    copyFileSync(join(repo, file), join(root, file));
  }
  const bin = join(root, 'bin', 'slotbridge.js');
  const write = (file: string, text: string, secondsAgo = 0) => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
    const when = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(root, file), when, when);
  };

  it('without dist/ says to run npm run build', async () => {
    const result = await run([bin, '--help']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /dist\/ is missing: run npm run build/);
  });

  it('in a checkout refuses a dist/ older than src/, naming the changed file, and runs a current one', async () => {
    write(
      'dist/cli/main.js',
      'export async function main(args) { process.stdout.write(`ran ${args.join(" ")}\\n`); return 0; }\n',
      60,
    );
    write('src/cli/main.ts', '// the source', 120);
    write('dist/fhir/model.js', '', 60);
    write('src/fhir/model.ts', '// changed after the build', 0);
    const stale = await run([bin, '--help']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /dist\/ is older than src\/fhir\/model\.ts: run npm run build/);
    write('dist/fhir/model.js', '', 0);
    const current = await run([bin, 'token', '--help']);
    assert.equal(current.code, 0, current.stderr);
    assert.equal(current.stdout, 'ran token --help\n');
    // An installed package has no src/: it runs what it was given.
    rmSync(join(root, 'src'), { recursive: true });
    rmSync(join(root, 'scripts'), { recursive: true });
    const installed = await run([bin, 'x']);
    assert.equal(installed.stdout, 'ran x\n');
  });
});
