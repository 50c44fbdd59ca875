/**
 * Shared pieces of the benchmarks: progress output, statistics, scratch directories, child-process
 * servers, requests as the consumer makes them, and an autocannon wrapper that records every
 * response time itself (autocannon's own histogram keeps whole milliseconds only, too coarse for
 * latencies of 1–3 ms).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { consumerIdentity } from '../src/consumer/identity.js';
import { consumerToken } from '../src/fhir/token.js';

export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
export const TMP_DIR = join(BENCH_DIR, 'tmp');

/** Measured runs per figure (the median is reported). */
export const RUNS = 3;
/** Warm-up per server before its measured runs. */
export const WARM_SECONDS = 3;

/** A new, empty scratch directory under bench/tmp. */
export function freshDir(name: string): string {
  const dir = join(TMP_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const log = (message: string) => process.stderr.write(`${message}\n`);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
export const runsText = (xs: number[], digits = 0) => `(${xs.map((x) => fmt(x, digits)).join(' / ')})`;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function shuffled<T>(items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Servers in child processes

export interface ServerInfo {
  /** Where to send requests: `http://127.0.0.1:PORT`. */
  origin: string;
  /** Each tenant's service root as the server itself names it (the JWT `aud`). */
  roots: Record<string, string>;
}

export interface RunningServer extends ServerInfo {
  child: ChildProcess;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * Starts `node --import tsx bench/<script> …args` and waits for the JSON line it prints on stdout
 * once listening. Its stderr goes to ours (progress).
 */
export function startServer(script: string, args: string[]): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, script), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    let out = '';
    const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      child.off('exit', onExit);
      const info = JSON.parse(out.slice(0, nl)) as ServerInfo;
      resolve({
        ...info,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              children.delete(child);
              return done();
            }
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              children.delete(child);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Requests as a consumer makes them

/** The consumer's JWT (src/fhir/token.ts) for the demo call handler, for `aud` and `scope`. */
export function benchToken(aud: string, scope: string): string {
  return consumerToken({ audience: aud, scope, requester: consumerIdentity().requester });
}

/** GET with node:http (no Accept-Encoding, unlike fetch), keeping the raw headers and bytes. */
export function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers as Record<string, string>,
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

// ---------------------------------------------------------------------------------------------
// Load

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  /** Append `&_bench=N` (a new unknown parameter per request) so no answer is served from a cache. */
  uniqueQuery?: boolean;
  /** Server processes whose CPU use to report. */
  pids?: number[];
}

export interface LoadResult {
  /** Completed 2xx responses per second of the run. */
  rps: number;
  /** Response times in ms, from our own per-response timing (sub-millisecond). */
  p50: number;
  p99: number;
  responses: number;
  cpu?: CpuShare;
}

export function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** One autocannon run; throws if anything but a 2xx came back. */
export async function load(o: LoadOptions): Promise<LoadResult> {
  const times: number[] = [];
  let n = 0;
  const requests = o.uniqueQuery
    ? [
        {
          setupRequest: (req: any) => ({
            ...req,
            path: `${req.path}${req.path.includes('?') ? '&' : '?'}_bench=${n++}`,
          }),
        },
      ]
    : undefined;
  if (o.pids) await waitForQuiet(o.pids);
  const stopMeter = cpuMeter(o.pids ?? []);
  const result = await cannon({
    url: o.url,
    headers: o.headers,
    connections: o.connections,
    duration: o.seconds,
    requests,
    setupClient: (client: any) => {
      client.on('response', (status: number, _bytes: number, ms: number) => {
        if (status >= 200 && status < 300) times.push(ms);
      });
    },
  } as autocannon.Options);
  const cpu = stopMeter();
  if (result.non2xx || result.errors || result.timeouts) {
    throw new Error(`${o.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  const sorted = Float64Array.from(times).sort();
  return {
    rps: times.length / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    responses: times.length,
    cpu,
  };
}

export interface Series {
  rps: number[];
  p50: number[];
  p99: number[];
  cpu: CpuShare[];
}

export const emptySeries = (): Series => ({ rps: [], p50: [], p99: [], cpu: [] });
export function pushRun(s: Series, r: LoadResult): void {
  s.rps.push(r.rps);
  s.p50.push(r.p50);
  s.p99.push(r.p99);
  if (r.cpu) s.cpu.push(r.cpu);
}

/** "server 1.02, load generator 0.85, other 0.03 cores" (medians over the runs). */
export function cpuText(shares: CpuShare[], withPostgres = false): string {
  if (shares.length === 0) return 'not measured (no /proc)';
  const m = (f: (c: CpuShare) => number) => fmt(median(shares.map(f)), 2);
  return (
    `server${withPostgres ? 's' : ''} ${m((c) => c.servers)}, load generator ` +
    `${m((c) => c.loadGenerator)}${withPostgres ? `, PostgreSQL ${m((c) => c.postgres)}` : ''}, ` +
    `everything else ${m((c) => c.other + (withPostgres ? 0 : c.postgres))} cores`
  );
}

// ---------------------------------------------------------------------------------------------
// Who used the CPUs during a run (Linux /proc; elsewhere the figures are left out)

const TICK = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

function machineTicks(): { busy: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // Process time only (interrupt and softirq time, e.g. loopback networking, is not charged to processes).
    const [user, nice, system] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system };
  } catch {
    return undefined;
  }
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, every thread
  } catch {
    return 0;
  }
}

/** Every process whose command is `postgres` (the server and its backends). */
function postgresTicks(): number {
  let total = 0;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += processTicks(Number(entry));
      } catch {
        // gone
      }
    }
  } catch {
    // no /proc
  }
  return total;
}

/** Cores used on average during a run: 1.0 = one core busy the whole time. */
export interface CpuShare {
  loadGenerator: number;
  servers: number;
  postgres: number;
  /** Every other process on the machine: other people's work, the kernel's own threads. */
  other: number;
}

/** Starts measuring; the returned function stops and gives the shares. */
export function cpuMeter(serverPids: number[]): () => CpuShare | undefined {
  const wall0 = performance.now();
  const self0 = process.cpuUsage();
  const machine0 = machineTicks();
  const servers0 = serverPids.map(processTicks);
  const pg0 = postgresTicks();
  return () => {
    const machine1 = machineTicks();
    if (!machine0 || !machine1) return undefined;
    const seconds = (performance.now() - wall0) / 1000;
    const self = process.cpuUsage(self0);
    const loadGenerator = (self.user + self.system) / 1e6 / seconds;
    const servers = serverPids.reduce((n, pid, i) => n + (processTicks(pid) - servers0[i]), 0) / TICK / seconds;
    const postgres = (postgresTicks() - pg0) / TICK / seconds;
    const busy = (machine1.busy - machine0.busy) / TICK / seconds;
    return { loadGenerator, servers, postgres, other: Math.max(0, busy - loadGenerator - servers - postgres) };
  };
}

/** CPU (cores) that processes other than ours used over `ms`. */
export async function otherCores(ourPids: number[], ms = 500): Promise<number | undefined> {
  const stop = cpuMeter(ourPids);
  await sleep(ms);
  const share = stop();
  return share ? share.other + share.postgres : undefined;
}

let quietBudgetMs = Number(process.env.BENCH_QUIET_BUDGET_S ?? 240) * 1000;
let waitedMs = 0;
/** How long the benchmark has waited, in all, for other work on the machine to stop. */
export const totalQuietWaitSeconds = () => waitedMs / 1000;

/**
 * Before a measured run: waits (up to `maxMs`, and 4 minutes over the whole benchmark) until other
 * processes use less than 0.2 of a core, so the run measures our servers rather than somebody
 * else's work. Proceeds anyway when the budget is spent; the run's CPU figures then show it.
 */
export async function waitForQuiet(ourPids: number[], maxMs = 30_000): Promise<void> {
  const started = performance.now();
  let said = false;
  while (quietBudgetMs > 0 && performance.now() - started < maxMs) {
    const other = await otherCores(ourPids);
    if (other === undefined || other < 0.2) break;
    if (!said) {
      log(`     (waiting for other work on the machine: ${fmt(other, 2)} cores in use by other processes)`);
      said = true;
    }
    quietBudgetMs -= 500;
    waitedMs += 500;
  }
}
