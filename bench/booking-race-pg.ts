/**
 * Benchmark 4: the race of benchmark 2 on PostgreSQL, with two provider processes sharing one
 * database (`BENCH_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test; each run creates
 * and drops a database of its own there).
 */
import pg from 'pg';
import type { StoreOptions } from '../src/store/store.js';
import { RUNS, fmt, log, median, runsText, sleep, startServer } from './lib.js';
import { RACE_METHOD, SHARE_SLOTS, exactly, raceRound, raceTable, seedRaceStore, type RaceRun } from './race.js';
import type { Benchmark, Report } from './report.js';

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Drops a benchmark database once every connection to it has gone. Closed stores' connections can
 * take a moment to leave; terminating them (WITH (FORCE)) while their pool is still closing raises
 * an error event on that pool, which crashes the process since the store's pool has no 'error'
 * listener (see the note in benchmark 4). FORCE is only the last resort.
 */
async function dropDatabase(admin: pg.Client, database: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
      database,
    ]);
    if (rows[0].n === 0) break;
    await sleep(100);
  }
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}

/**
 * Each run gets a database of its own (created here, dropped afterwards), so nothing left by an
 * earlier run or a test run on the shared database can touch it.
 */
async function run(report: Report): Promise<void> {
  const runs: RaceRun[] = [];
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    for (let i = 0; i < RUNS; i++) {
      const database = `slotbridge_bench_${process.pid}_${i}`;
      const url = new URL(PG_URL);
      url.pathname = `/${database}`;
      const options: StoreOptions = { databaseUrl: url.toString() };
      log(`\n4. Booking race on PostgreSQL, two API processes, run ${i + 1}/${RUNS}: seeding a new database ${url} …`);
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${database}`);
      try {
        const slots = await seedRaceStore(options);
        const servers = [
          await startServer('provider-server.ts', [JSON.stringify(options)]),
          await startServer('provider-server.ts', [JSON.stringify(options)]),
        ];
        log(`   providers at ${servers.map((s) => s.origin).join(' and ')}, 32 connections each`);
        runs.push(await raceRound(servers, options, slots));
      } finally {
        await dropDatabase(admin, database);
      }
    }
  } finally {
    await admin.end();
  }
  const version = await (async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const { rows } = await c.query('show server_version');
    const fsync = (await c.query('show synchronous_commit')).rows[0].synchronous_commit;
    await c.end();
    return `PostgreSQL ${rows[0].server_version} (synchronous_commit ${fsync})`;
  })();
  report.noteCpu(
    '4. booking race on PostgreSQL (PostgreSQL itself excluded)',
    runs.map((r) => r.race.cpu),
  );
  const bps = median(runs.map((r) => r.race.bookingsPerSecond));
  const exact = runs.every((r) => exactly(1000, r.race, r.check) && exactly(SHARE_SLOTS, r.share, r.shareCheck));
  report.section(
    '## 4. Booking race on PostgreSQL with two API processes',
    '',
    `The race of benchmark 2 against two provider processes sharing one ${version} database on this ` +
      `machine (a new database per run, dropped afterwards), each with its default pool of 10 ` +
      `connections; 32 of the 64 clients talk to each process, so the conditional write in the ` +
      `database alone decides who gets a slot. ${RACE_METHOD.split('. ').slice(-2).join('. ')}`,
    '',
    ...raceTable(runs, true),
    '',
    `Exactly 1,000 succeeded in every run, and no slot has two appointments: ` +
      `${exact ? '**yes**' : '**NO**'}. No target (informational); on 2 cores the two API processes, ` +
      `PostgreSQL and the load generator all compete for the same CPUs.`,
    '',
    'Each run gets a database of its own so that nothing of a previous run (or of a test run on the ' +
      'shared `test` database) can touch it; the store keeps its migration tables in its own schema ' +
      "either way. Found while building this benchmark and fixed: the store's `pg.Pool` had no `error` " +
      'listener, so PostgreSQL ending an idle pooled connection (a restart, `pg_terminate_backend`) ' +
      'ended the whole process.',
    '',
  );
  report.row({
    name: '4. Booking race on PostgreSQL, 2 API processes',
    result: `${fmt(bps)} bookings/s; exactly 1,000 booked, none twice: ${exact ? 'yes' : 'NO'}`,
    runs: runsText(runs.map((r) => r.race.bookingsPerSecond)),
    baseline: `uncontended ${fmt(median(runs.map((r) => r.share.bookingsPerSecond)))} bookings/s`,
    target: 'none (informational)',
    verdict: '–',
  });
}

export const postgresRace: Benchmark = { name: 'pg', run };
