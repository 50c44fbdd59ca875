/** Benchmark 3: the uncached slot search's latency with 10 thousand, 100 thousand and 1 million slots in the store. */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../src/store/store.js';
import {
  GROWTH,
  GROWTH_SCHEDULES,
  SEARCH_TENANT,
  fiftySlotQuery,
  probeSearch,
  searchHeaders,
  searchWindow,
  seedGrowthCatalogue,
} from './catalogue.js';
import {
  RUNS,
  cpuText,
  emptySeries,
  fmt,
  freshDir,
  load,
  log,
  median,
  pushRun,
  runsText,
  startServer,
  type RunningServer,
  type Series,
} from './lib.js';
import { met, ms, type Benchmark, type Report } from './report.js';

const GROWTH_SECONDS = 5;

interface GrowthRow {
  size: number;
  loadSeconds: number;
  referenceSeconds: number;
  fileMb: number;
  startSeconds: number;
  plan: string;
  single: Series;
  concurrent: Series;
}

async function measureUncached(report: Report, server: RunningServer, connections: number): Promise<Series> {
  const headers = searchHeaders(server);
  const url = `${server.origin}${new URL(server.roots[SEARCH_TENANT]).pathname}${fiftySlotQuery()}`;
  await load({ url, headers, connections, seconds: 2, uniqueQuery: true });
  const s = emptySeries();
  for (let i = 0; i < RUNS; i++) {
    pushRun(
      s,
      await load({ url, headers, connections, seconds: GROWTH_SECONDS, uniqueQuery: true, pids: [server.child.pid!] }),
    );
  }
  report.noteCpu(`3. growth (${connections} connection${connections > 1 ? 's' : ''})`, s.cpu);
  return s;
}

/** SQLite's plan for the slot query of the search, with the planner statistics the store holds. */
function slotQueryPlan(file: string): string {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const q =
      `select * from "slot" where "tenant_id" = ? and "schedule_id" in (?, ?, ?, ?, ?) and "start" >= ` +
      `? and "start" < ? and "status" in (?) order by "start", "id" limit ?`;
    const w = searchWindow();
    const args = [SEARCH_TENANT, ...w.scheduleIds, w.from, w.to, 'free', 1001];
    const plan = (db.prepare(`explain query plan ${q}`).all(...args) as { detail: string }[])
      .map((r) => r.detail)
      .join('; ');
    let stats = 'none';
    try {
      const rows = db.prepare("select idx, stat from sqlite_stat1 where tbl = 'slot' order by idx").all() as {
        idx: string;
        stat: string;
      }[];
      if (rows.length) stats = rows.map((r) => `${r.idx} \`${r.stat}\``).join(', ');
    } catch {
      // no sqlite_stat1: never analysed
    }
    return `${plan} (slot statistics: ${stats})`;
  } finally {
    db.close();
  }
}

async function run(report: Report): Promise<void> {
  const rows: GrowthRow[] = [];
  for (const size of [10_000, 100_000, 1_000_000]) {
    const dir = freshDir(`growth-${size}`);
    log(`\n3. Growth: seeding ${fmt(size)} slots into ${dir} …`);
    const store = await openStore({ dataDir: dir });
    const loaded = await seedGrowthCatalogue(store, size, size >= 100_000 ? log : () => {});
    await store.close();
    const file = join(dir, 'slotbridge.db');
    const fileMb = statSync(file).size / 1e6;
    log(
      `   loaded in ${fmt(loaded.referenceSeconds + loaded.slotSeconds, 1)} s (reference resources ` +
        `${fmt(loaded.referenceSeconds, 1)} s, slots ${fmt(loaded.slotSeconds, 1)} s = ` +
        `${fmt(size / loaded.slotSeconds)} rows/s); ${fmt(fileMb)} MB`,
    );

    const t = performance.now();
    const server = await startServer('provider-server.ts', [JSON.stringify({ dataDir: dir })]);
    const startSeconds = (performance.now() - t) / 1000;
    const plan = slotQueryPlan(file);
    const { shape } = await probeSearch(server, searchHeaders(server));
    log(`   provider at ${server.origin} (started in ${fmt(startSeconds, 1)} s) answers ${shape}`);
    log(`   slot query plan: ${plan}`);
    log('   measuring with the cache defeated, 1 connection, then 16 …');
    const single = await measureUncached(report, server, 1);
    log(`     1 connection: p50 ${runsText(single.p50, 2)} ms`);
    const concurrent = await measureUncached(report, server, 16);
    log(`     16 connections: ${runsText(concurrent.rps)} req/s, p50 ${runsText(concurrent.p50, 2)} ms`);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    rows.push({
      size,
      loadSeconds: loaded.slotSeconds,
      referenceSeconds: loaded.referenceSeconds,
      fileMb,
      startSeconds,
      plan,
      single,
      concurrent,
    });
  }

  const p50 = (r: GrowthRow, s: 'single' | 'concurrent') => median(r[s].p50);
  const ratio = p50(rows[2], 'single') / p50(rows[0], 'single');
  const scans = rows.filter((r) => !r.plan.includes('slot_schedule_start'));
  report.section(
    '## 3. Growth: slot search latency as the store grows',
    '',
    `The search of benchmark 1 (50 slots, every include) with the cache defeated (a new unknown ` +
      `parameter per request), so every request runs the queries. The store holds ${GROWTH.tenants} ` +
      `tenants × ${GROWTH.servicesPerTenant} services × ${GROWTH.schedulesPerService} schedules ` +
      `(${fmt(GROWTH_SCHEDULES)} schedules, ${GROWTH.tenants * GROWTH.practitionersPerTenant} ` +
      `practitioners and roles) with the slots spread evenly over every schedule, 15 minutes apart and ` +
      `centred on tomorrow noon: a bigger store has more history (past slots) and a longer horizon, ` +
      `and the searched window always holds exactly 50 of the service's slots. Slots are loaded ` +
      `straight through Kysely, 2,000 rows a statement and 50,000 a transaction, on a fresh SQLite ` +
      `file (\`addSlots\` commits every 500 rows, too slow for a million); the store is then closed ` +
      `and a provider process started on it, which does whatever the store does on open (planner ` +
      `statistics included). ${RUNS} runs of ${GROWTH_SECONDS} s after 2 s of warm-up; latencies are ` +
      `our own per-response timings.`,
    '',
    '| slots in store | slot load time | file | provider start | **p50 ms, 1 connection** (median, ' +
      'runs) | p99 ms, 1 conn | p50 ms, 16 connections | req/s, 16 connections |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${fmt(r.size)} | ${fmt(r.loadSeconds, 1)} s (${fmt(r.size / r.loadSeconds)} rows/s; + ` +
        `${fmt(r.referenceSeconds, 1)} s reference resources) | ${fmt(r.fileMb)} MB | ` +
        `${fmt(r.startSeconds, 1)} s | **${ms(p50(r, 'single'))}** ${runsText(r.single.p50, 2)} | ` +
        `${ms(median(r.single.p99))} | ${ms(p50(r, 'concurrent'))} ${runsText(r.concurrent.p50, 2)} | ` +
        `${fmt(median(r.concurrent.rps))} ${runsText(r.concurrent.rps)} |`,
    ),
    '',
    `Target: p50 at 1 million within 1.5 × p50 at 10 thousand. Measured **${fmt(ratio, 2)} ×** ` +
      `(${ms(p50(rows[2], 'single'))} ms ÷ ${ms(p50(rows[0], 'single'))} ms, 1 connection; ` +
      `${fmt(p50(rows[2], 'concurrent') / p50(rows[0], 'concurrent'), 2)} × at 16 connections): ` +
      `${met(ratio <= 1.5)}.`,
    ratio <= 1.5
      ? ''
      : scans.length
        ? `Why: for ${scans.map((r) => fmt(r.size)).join(', ')} slots SQLite plans the slot query ` +
          `(\`findSlots\`, src/provider/slot/repository.ts) as a search of the slot table by its primary ` +
          `key prefix (\`tenant_id\`), i.e. it reads every slot of the tenant instead of using the ` +
          `\`slot_schedule_start\` index (tenant, schedule, start), so the cost grows with the tenant's ` +
          `slots. The planner does that when the store has no usable statistics (plans and statistics ` +
          `below).`
        : 'Why: the slot query uses the `slot_schedule_start` index at every size (plans below), so the ' +
          'growth is elsewhere: see the CPU figures and profile the search.',
    '',
    `CPU in use (average cores, median of the runs), 1 connection: ` +
      `${rows.map((r) => `${fmt(r.size)}: ${cpuText(r.single.cpu)}`).join('; ')}. 16 connections: ` +
      `${rows.map((r) => `${fmt(r.size)}: ${cpuText(r.concurrent.cpu)}`).join('; ')}.`,
    '',
    'The plan SQLite chose for the slot query (`EXPLAIN QUERY PLAN`, 5 schedules, read from the ' +
      'store file once the provider had opened it), with the statistics the store held for the slot ' +
      'table:',
    '',
    ...rows.map((r) => `- ${fmt(r.size)}: ${r.plan}`),
    '',
  );
  report.row({
    name: '3. Growth: p50 of the uncached search, 10k → 1M slots',
    result: `p50 ${rows.map((r) => `${ms(p50(r, 'single'))} ms`).join(' → ')} (10k → 100k → 1M, 1 connection): **${fmt(ratio, 2)} ×**`,
    runs: `1M: ${runsText(rows[2].single.p50, 2)} ms; 10k: ${runsText(rows[0].single.p50, 2)} ms`,
    baseline: `p50 at 10k ${ms(p50(rows[0], 'single'))} ms; 1M load ${fmt(rows[2].loadSeconds, 1)} s`,
    target: 'p50(1M) ≤ 1.5 × p50(10k)',
    verdict: met(ratio <= 1.5),
  });
}

export const growth: Benchmark = { name: 'growth', run };
