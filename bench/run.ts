/**
 * `npm run bench`: the provider's benchmarks, one file each, written to bench/results.md.
 *  1. slot search (50 slots, every include, 64 connections) against a bare node:http ceiling
 *     serving the same bytes, and the same search with the cache defeated (slot-search.ts);
 *  2. 64 clients racing to book the same 1,000 slots on SQLite (booking-race.ts);
 *  3. slot search latency with 10 thousand, 100 thousand and 1 million slots in the store (growth.ts);
 *  4. the same race on PostgreSQL with two API processes (booking-race-pg.ts);
 *  5. the latency the secure proxy adds to a slot search (proxy.ts);
 *  6. generating 90 days of 5-minute slots for 50 rotas (1.3 million) with `slotbridge provider rota
 *     generate --all` (generate.ts);
 *  7. start-up: `slotbridge --help` and the provider to listening, built dist/ against the sources
 *     through tsx (startup.ts);
 *  8. the service directory's search with 200 and with 20,000 services (directory-search.ts).
 * Servers run in child processes (bench/provider-server.ts, bench/bare-server.ts); autocannon, the
 * load generator, runs in this process. Both share the machine's cores, which the results say.
 *
 * Environment: BENCH_ONLY=search,race,growth,pg,proxy,generate,startup,directory runs some; BENCH_SECONDS (default 8) per search run;
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) for benchmark 4.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { postgresRace } from './booking-race-pg.js';
import { directorySearch } from './directory-search.js';
import { sqliteRace } from './booking-race.js';
import { generate } from './generate.js';
import { growth } from './growth.js';
import { BENCH_DIR, RUNS, TMP_DIR, fmt, log, median, totalQuietWaitSeconds } from './lib.js';
import { proxy } from './proxy.js';
import { Report, type Benchmark } from './report.js';
import { slotSearch } from './slot-search.js';
import { startup } from './startup.js';

/** Every benchmark, in the order they run and appear in the results; a new one is one more line. */
const BENCHMARKS: Benchmark[] = [
  slotSearch,
  sqliteRace,
  growth,
  postgresRace,
  proxy,
  generate,
  startup,
  directorySearch,
];

/** Says how much CPU other work took during the measured runs (other people's tests on a shared machine). */
function otherWork(allCpu: Report['cpu']): string[] {
  if (allCpu.length === 0) return ['- CPU use by other work during the runs: not measured (no /proc).'];
  const labels = [...new Set(allCpu.map((c) => c.label))];
  const per = labels.map((label) => ({
    label,
    other: median(allCpu.filter((c) => c.label === label).map((c) => c.cpu.other)),
  }));
  const worst = Math.max(...allCpu.map((c) => c.cpu.other));
  const line =
    `CPU taken by everything else on the machine during the measured runs (median per benchmark, ` +
    `average cores): ${per.map((p) => `${p.label} ${fmt(p.other, 2)}`).join('; ')}; worst single run ` +
    `${fmt(worst, 2)}.`;
  return worst > 0.25
    ? [
        `- **Other work was running on the machine during this run**, so some figures are lower than the machine can do: ${line}`,
      ]
    : [`- The machine was otherwise quiet: ${line}`];
}

/** The commit measured, and whether src/ differs from it ("abc1234", "abc1234 + uncommitted changes in src/"). */
function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', '../src').length ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return 'unknown (no git)';
  }
}

async function main() {
  const started = Date.now();
  const versionAtStart = codeVersion();
  rmSync(TMP_DIR, { recursive: true, force: true });
  mkdirSync(TMP_DIR, { recursive: true });
  const cpu = cpus();
  const startLoad = loadavg()[0];
  log(
    `npm run bench: ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, Node ${process.version}; scratch data under ${TMP_DIR}`,
  );
  const only = process.env.BENCH_ONLY?.split(',');
  const unknown = only?.filter((n) => !BENCHMARKS.some((b) => b.name === n)) ?? [];
  if (unknown.length)
    throw new Error(
      `BENCH_ONLY names ${unknown.join(', ')}: the benchmarks are ${BENCHMARKS.map((b) => b.name).join(', ')}`,
    );
  const report = new Report();
  for (const benchmark of BENCHMARKS) if (!only || only.includes(benchmark.name)) await benchmark.run(report);
  const minutes = (Date.now() - started) / 60_000;
  const versionAtEnd = codeVersion();

  const lines = [
    '# Benchmarks',
    '',
    `Measured ${new Date(started).toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run ` +
      `bench\` (whole run ${fmt(minutes, 1)} minutes${only ? `, only ${only.join(', ')}` : ''}).`,
    '',
    versionAtEnd === versionAtStart
      ? `- Code measured: commit ${versionAtStart}.`
      : `- **The code changed during the run** (commit ${versionAtStart} at the start, ${versionAtEnd} ` +
        `at the end): figures from different benchmarks may come from different code.`,
    `- Machine: **${cpu.length} CPUs** (${cpu[0]?.model ?? 'unknown'}), ` +
      `${fmt(totalmem() / 2 ** 30, 1)} GiB memory, Node ${process.version}, ${process.platform}; ` +
      `1-minute load average ${fmt(startLoad, 2)} at the start.`,
    `- **The load generator (autocannon, in the \`npm run bench\` process) and the servers (child ` +
      `processes) share these ${cpu.length} cores**, as does PostgreSQL in benchmark 4. Every figure ` +
      `is therefore lower than with a separate load-generating machine, and figures from different ` +
      `machines are not comparable; the ceiling in benchmark 1 is measured the same way in the same ` +
      `run.`,
    `- Before each measured run the benchmark waits (up to 30 s, 4 minutes in all) until other ` +
      `processes use less than 0.2 of a core; it waited ${fmt(totalQuietWaitSeconds())} s in all this ` +
      `time.`,
    ...otherWork(report.cpu),
    `- Each figure is the **median of ${RUNS} runs**, with the individual runs in brackets. ` +
      `Latencies are measured per response by the load generator (sub-millisecond), so they include ` +
      `its own queueing on the shared cores.`,
    '',
    '## Summary',
    '',
    '| benchmark | result (median) | runs | baseline / ratio (same run) | target | |',
    '|---|---|---|---|---|---|',
    ...report.summary.map(
      (s) => `| ${s.name} | ${s.result} | ${s.runs} | ${s.baseline} | ${s.target} | ${s.verdict} |`,
    ),
    '',
    ...report.sections,
  ];
  const file = join(BENCH_DIR, 'results.md');
  writeFileSync(
    file,
    `${lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd()}\n`,
  );
  rmSync(TMP_DIR, { recursive: true, force: true });
  log(`\nwrote ${file} (${fmt(minutes, 1)} minutes)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
