/**
 * Benchmark 7, start-up: `slotbridge --help` and `slotbridge provider` up to listening, each in a
 * fresh Node process, (a) from the TypeScript sources through tsx, as bin/slotbridge.js ran before
 * the build (bench/cli-through-tsx.mjs), and (b) from the built dist/ (bin/slotbridge.js now).
 * Time from spawn to the answer, and the process's peak resident memory; the two alternate run by
 * run so that other work on the machine falls on both.
 *
 * `npm run bench` runs it with the rest (BENCH_ONLY=startup for it alone, which rewrites
 * bench/results.md with this section only); `node --import tsx bench/startup.ts` prints the section.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, TMP_DIR, fmt, log, median, runsText, waitForQuiet } from './lib.js';
import { Report, met, type Benchmark, type SummaryRow } from './report.js';

const RUNS = 5;
const LAUNCHERS = {
  tsx: join(BENCH_DIR, 'cli-through-tsx.mjs'),
  dist: join(BENCH_DIR, '..', 'bin', 'slotbridge.js'),
};
type Way = keyof typeof LAUNCHERS;

/**
 * Reports the process's peak resident memory (kB) on stderr as it exits, for commands too short to
 * watch. VmHWM, not getrusage's maxRSS: Linux carries maxRSS over from the parent at fork, so a child
 * of this (large) benchmark process would report the benchmark's own peak.
 */
const PEAK_RSS_ON_EXIT = `data:text/javascript,${encodeURIComponent(
  "import { readFileSync, writeSync } from 'node:fs'; process.on('exit', () => writeSync(2, " +
    "`\\npeak-rss-kb ${/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]}\\n`));",
)}`;

interface Measure {
  ms: number;
  /** Peak resident set, MB. */
  mb: number;
}

/** `slotbridge --help`: spawn to exit. */
function help(way: Way): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', PEAK_RSS_ON_EXIT, LAUNCHERS[way], '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const kb = /peak-rss-kb (\d+)/.exec(stderr)?.[1];
      if (code !== 0 || !stdout.startsWith('usage:') || !kb)
        return reject(new Error(`slotbridge --help (${way}) exited ${code}: ${stderr.slice(-2000)}`));
      resolve({ ms, mb: Number(kb) / 1024 });
    });
  });
}

/** Peak resident set so far, MB, from /proc (NaN where there is none). */
function peakRss(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** `slotbridge provider --port 0 --json` on an existing store: spawn to the JSON it prints once listening; then stopped. */
function provider(way: Way, data: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const args = [LAUNCHERS[way], 'provider', '--port', '0', '--data', data, '--json'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let measured: Measure | undefined;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (measured) return;
      try {
        JSON.parse(stdout);
      } catch {
        return; // not the whole document yet
      }
      measured = { ms: performance.now() - started, mb: peakRss(child.pid!) };
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (measured) resolve(measured);
      else reject(new Error(`slotbridge provider (${way}) exited ${code} before listening: ${stderr.slice(-2000)}`));
    });
  });
}

/** Runs the benchmark and adds its summary row and section to `summary` and `sections`. */
async function startupBenchmark(summary: SummaryRow[], sections: string[]): Promise<void> {
  const data = join(TMP_DIR, 'startup');
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  log('\n7. Start-up: slotbridge --help and provider to listening, through tsx and built');
  await provider('dist', data); // makes the store's tables, so each measured start opens an existing store
  const runs: Record<Way, { help: Measure[]; provider: Measure[] }> = {
    tsx: { help: [], provider: [] },
    dist: { help: [], provider: [] },
  };
  for (let i = 0; i < RUNS; i++) {
    for (const way of i % 2 ? (['dist', 'tsx'] as const) : (['tsx', 'dist'] as const)) {
      await waitForQuiet([]);
      runs[way].help.push(await help(way));
      runs[way].provider.push(await provider(way, data));
    }
    log(
      `   run ${i + 1}/${RUNS}: --help ${fmt(runs.tsx.help[i]!.ms)} ms through tsx, ${fmt(runs.dist.help[i]!.ms)} ms built; ` +
        `provider ${fmt(runs.tsx.provider[i]!.ms)} ms through tsx, ${fmt(runs.dist.provider[i]!.ms)} ms built`,
    );
  }
  rmSync(data, { recursive: true, force: true });

  const ms = (xs: Measure[]) => xs.map((x) => x.ms);
  const mb = (xs: Measure[]) => xs.map((x) => x.mb);
  const ratio = (a: number[], b: number[]) => median(a) / median(b);
  const row = (label: string, a: number[], b: number[], digits = 0) =>
    `| ${label} | ${fmt(median(a), digits)} ${runsText(a, digits)} | ${fmt(median(b), digits)} ${runsText(b, digits)} | ` +
    `**${fmt(ratio(a, b), 1)}** |`;
  const helpMs = median(ms(runs.dist.help));
  const ok = helpMs < 500;
  sections.push(
    '## 7. Start-up: the built package against the TypeScript sources through tsx',
    '',
    'Each figure is one fresh Node process, timed from spawn: `slotbridge --help` until it exits, and ' +
      '`slotbridge provider --port 0 --data … --json` on an existing (migrated, empty) store until it prints its tenants ' +
      'once listening, then stopped. **Through tsx** is what bin/slotbridge.js did before the build: register tsx and ' +
      'import src/cli/main.ts, compiling the TypeScript it loads (bench/cli-through-tsx.mjs; tsx keeps its own ' +
      'compile cache, warm after the first run). **Built** is bin/slotbridge.js now, running dist/ from `npm run build`. ' +
      'Both run the same command table, whose commands load their modules only when they run; before that table ' +
      '(commit 48d3bb6), `slotbridge --help` through tsx imported every module: 1.6 to 1.9 s and about 170 MB, ' +
      'timed by hand with /usr/bin/time, so both columns here already have that gain. Peak memory is the ' +
      "process's peak resident set (VmHWM: for `--help` as it exits, for the provider when listening). " +
      `Median of ${RUNS} runs, the two alternating, individual runs in brackets.`,
    '',
    '| | through tsx (before) | built dist/ (now) | tsx ÷ built |',
    '|---|---|---|---|',
    row('`slotbridge --help`, ms', ms(runs.tsx.help), ms(runs.dist.help)),
    row('`slotbridge --help`, peak memory, MB', mb(runs.tsx.help), mb(runs.dist.help)),
    row('`slotbridge provider` to listening, ms', ms(runs.tsx.provider), ms(runs.dist.provider)),
    row('`slotbridge provider` to listening, peak memory, MB', mb(runs.tsx.provider), mb(runs.dist.provider)),
    '',
    `Target: \`slotbridge --help\` well under a second (< 500 ms). Measured **${fmt(helpMs)} ms**: ${met(ok)}.`,
    '',
  );
  summary.push({
    name: '7. Start-up, `slotbridge --help` and `provider` to listening (built)',
    result: `--help ${fmt(helpMs)} ms, ${fmt(median(mb(runs.dist.help)))} MB; provider ${fmt(median(ms(runs.dist.provider)))} ms, ${fmt(
      median(mb(runs.dist.provider)),
    )} MB`,
    runs: runsText(ms(runs.dist.help)),
    baseline:
      `through tsx: --help ${fmt(median(ms(runs.tsx.help)))} ms, ${fmt(median(mb(runs.tsx.help)))} MB; ` +
      `ratio **${fmt(ratio(ms(runs.tsx.help), ms(runs.dist.help)), 1)}** (time), ` +
      `**${fmt(ratio(mb(runs.tsx.help), mb(runs.dist.help)), 1)}** (memory)`,
    target: '--help < 500 ms',
    verdict: met(ok),
  });
}

export const startup: Benchmark = {
  name: 'startup',
  run: (report) => startupBenchmark(report.summary, report.sections),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = new Report();
  mkdirSync(TMP_DIR, { recursive: true });
  await startup.run(report);
  process.stdout.write(`${report.sections.join('\n')}\n`);
}
