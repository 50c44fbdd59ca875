/**
 * Benchmark 6: generating 90 days of 5-minute slots for 50 rotas (1.3 million) with the real
 * command, `slotbridge provider rota generate --all`, against a bare prepared insert of the same rows.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { putReference, putTenant, type NewSlot } from '../src/capacity/catalogue.js';
import { checkRota, putRota, rotaSlots, type Rota } from '../src/capacity/rota.js';
import { LOCAL_TIME_ZONE, wallClockAt } from '../src/fhir/time.js';
import { openStore } from '../src/store/store.js';
import { BENCH_DIR, RUNS, cpuMeter, fmt, freshDir, log, median, runsText, waitForQuiet } from './lib.js';
import { met, type Benchmark, type Report } from './report.js';

const GENERATE = { tenant: 'gen', schedules: 50, slotMinutes: 5, days: 90 };
const GENERATE_SLOTS = GENERATE.schedules * ((24 * 60) / GENERATE.slotMinutes) * GENERATE.days; // 1,296,000
const BIN = join(BENCH_DIR, '..', 'bin', 'slotbridge.js');

/** Tomorrow's date in London (the rotas' time zone), YYYY-MM-DD. */
function londonTomorrow(): string {
  return new Date(wallClockAt(Date.now() + 86_400_000, LOCAL_TIME_ZONE)).toISOString().slice(0, 10);
}

/** A tenant with one service and 50 schedules, each with a rota of 5-minute slots round the clock from tomorrow. */
async function seedGenerateStore(dir: string): Promise<Rota[]> {
  const store = await openStore({ dataDir: dir });
  try {
    const { db } = store;
    const t = GENERATE.tenant;
    await putTenant(db, { id: t, name: 'Rota generation benchmark', odsCode: 'RGEN1', asid: '300000000777' });
    await putReference(db, t, {
      resourceType: 'Organization',
      id: 'RGEN1',
      name: 'Generation trust',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RGEN1' }],
    });
    await putReference(db, t, { resourceType: 'Location', id: 'site', name: 'Generation site' });
    await putReference(db, t, {
      resourceType: 'HealthcareService',
      id: '6000001',
      name: 'Generation service',
      providedBy: { reference: 'Organization/RGEN1' },
      location: [{ reference: 'Location/site' }],
    });
    const from = londonTomorrow();
    const rotas: Rota[] = [];
    for (let k = 0; k < GENERATE.schedules; k++) {
      const id = `gen-${String(k).padStart(2, '0')}`;
      await putReference(db, t, { resourceType: 'Schedule', id, actor: [{ reference: 'HealthcareService/6000001' }] });
      const rota = await checkRota(db, t, {
        id,
        scheduleId: id,
        days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
        start: '00:00',
        end: '24:00',
        slotMinutes: GENERATE.slotMinutes,
        deliveryChannel: 'In-person',
        effectiveFrom: from,
        timeZone: 'Europe/London',
      });
      await putRota(db, t, rota);
      rotas.push(rota);
    }
    return rotas;
  } finally {
    await store.close();
  }
}

interface CliRun {
  seconds: number;
  json: any;
  progressLines: number;
  /** The command's own CPU (user + system, every thread), cores on average; other processes' share. */
  cores: number;
  other: number;
}

/** Runs `slotbridge provider rota generate --all` and times it from spawn to exit, sampling its CPU from /proc. */
function runGenerate(dir: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const args = [
      BIN,
      'provider',
      'rota',
      'generate',
      '--tenant',
      GENERATE.tenant,
      '--all',
      '--days',
      String(GENERATE.days + 1),
      '--data',
      dir,
      '--json',
    ];
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const meter = cpuMeter([]);
    let ticks = 0;
    const sample = () => {
      try {
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks = Number(fields[11]) + Number(fields[12]);
      } catch {
        // gone, or no /proc
      }
    };
    const sampler = setInterval(sample, 100);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', () => sample());
    child.on('close', (code) => {
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      const share = meter();
      if (code !== 0)
        return reject(new Error(`slotbridge ${args.slice(1).join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const cores = ticks / 100 / seconds;
      resolve({
        seconds,
        json: JSON.parse(stdout),
        progressLines: stderr.split('\n').filter((l) => /% \(/.test(l)).length,
        cores,
        other: share ? Math.max(0, share.servers + share.other + share.postgres - cores) : 0,
      });
    });
  });
}

/**
 * The baseline: the same rows (made in this process, not timed) through one bare better-sqlite3
 * prepared statement, 10,000 rows a transaction.
 */
function bareInsert(dir: string, rotas: Rota[]): { seconds: number; rows: number } {
  const db = new BetterSqlite3(join(dir, 'slotbridge.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -262144');
  const insert = db.prepare(
    'insert into slot (tenant_id, id, identifier, schedule_id, start, "end", status, ' +
      'delivery_channel, appointment_id, version_id, last_updated) values (?, ?, ?, ?, ?, ?, ?, ?, ' +
      'null, 1, ?) on conflict do nothing',
  );
  const nowText = new Date().toISOString();
  let rows = 0;
  const batch = db.transaction((slots: NewSlot[]) => {
    for (const s of slots)
      rows += insert.run(
        GENERATE.tenant,
        s.id,
        s.identifier,
        s.scheduleId,
        s.start,
        s.end,
        s.status,
        s.deliveryChannel,
        nowText,
      ).changes;
  });
  const now = Date.now();
  let ms = 0;
  for (const rota of rotas) {
    const slots = rotaSlots(GENERATE.tenant, rota, now, GENERATE.days + 1, now);
    const t = performance.now();
    for (let i = 0; i < slots.length; i += 10_000) batch(slots.slice(i, i + 10_000));
    ms += performance.now() - t;
  }
  db.close();
  return { seconds: ms / 1000, rows };
}

function countSlots(dir: string): number {
  const db = new BetterSqlite3(join(dir, 'slotbridge.db'), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from slot where tenant_id = ?').get(GENERATE.tenant) as { n: number }).n;
  } finally {
    db.close();
  }
}

async function run(report: Report): Promise<void> {
  const cli: CliRun[] = [];
  const again: CliRun[] = [];
  const bare: number[] = [];
  const ratios: number[] = [];
  const stored: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const baseDir = freshDir(`generate-bare-${i}`);
    log(`\n6. Rota generation, run ${i + 1}/${RUNS}: baseline, seeding ${baseDir} …`);
    const rotas = await seedGenerateStore(baseDir);
    await waitForQuiet([]);
    const b = bareInsert(baseDir, rotas);
    log(
      `   baseline: ${fmt(b.rows)} rows by a bare prepared statement in ${fmt(b.seconds, 1)} s (${fmt(b.rows / b.seconds)} rows/s)`,
    );
    rmSync(baseDir, { recursive: true, force: true });

    const dir = freshDir(`generate-${i}`);
    await seedGenerateStore(dir);
    log(
      `   slotbridge provider rota generate --tenant ${GENERATE.tenant} --all --days ${GENERATE.days + 1} --data ${dir} …`,
    );
    await waitForQuiet([]);
    const r = await runGenerate(dir);
    const count = countSlots(dir);
    log(
      `     ${fmt(r.json.added)} slots added (${fmt(count)} in the store) in ${fmt(r.seconds, 1)} s ` +
        `from spawn to exit (${fmt(r.json.total / r.seconds)} slots/s; the command's own timing ` +
        `${fmt(r.json.seconds, 1)} s); ${r.progressLines} progress lines; the command used ` +
        `${fmt(r.cores, 2)} cores, other processes ${fmt(r.other, 2)}`,
    );
    await waitForQuiet([]);
    const a = await runGenerate(dir);
    log(`     again (nothing to add): ${fmt(a.json.added)} added in ${fmt(a.seconds, 1)} s`);
    rmSync(dir, { recursive: true, force: true });
    if (r.json.added !== r.json.total || count !== r.json.total || a.json.added !== 0)
      throw new Error(
        `generation made ${r.json.added} of ${r.json.total} slots (${count} stored); again ${a.json.added}`,
      );
    cli.push(r);
    again.push(a);
    bare.push(b.seconds);
    ratios.push(r.seconds / b.seconds);
    stored.push(count);
  }
  report.noteCpu(
    '6. rota generation',
    cli.map((r) => ({ loadGenerator: 0, servers: r.cores, postgres: 0, other: r.other })),
  );
  const seconds = median(cli.map((r) => r.seconds));
  const total = cli[0]!.json.total as number;
  const rate = median(cli.map((r) => r.json.total / r.seconds));
  const ok = seconds < 60;
  report.section(
    '## 6. Rota generation: 50 schedules × 90 days of 5-minute slots, by the command line',
    '',
    `A fresh SQLite store holds one tenant with ${GENERATE.schedules} schedules, each with a rota ` +
      `of ${GENERATE.slotMinutes}-minute slots from 00:00 to 24:00 every day (Europe/London) effective ` +
      `from tomorrow. The real command \`node bin/slotbridge.js provider rota generate --tenant ` +
      `${GENERATE.tenant} --all --days ${GENERATE.days + 1} --data … --json\` makes them for today ` +
      `(nothing: the rotas start tomorrow) and the next ${GENERATE.days} days: ` +
      `${fmt(GENERATE.schedules)} × ${(24 * 60) / GENERATE.slotMinutes} × ${GENERATE.days} = ` +
      `${fmt(GENERATE_SLOTS)} slots when no clock change falls in the window (this run: ` +
      `${fmt(total)}). Timed from spawn to exit (Node start, the TypeScript loader, opening the store, ` +
      `generation, the audit and closing), with its progress on stderr (not a terminal here, so a line ` +
      `per tenth). Afterwards the store is counted, and the same command is run again (it must add ` +
      `nothing). ${RUNS} runs, each on a fresh store.`,
    `The baseline, in the same run: the same rows (made in the benchmark process, not timed) ` +
      `inserted into a fresh store of the same schema by one bare better-sqlite3 prepared statement, ` +
      `one transaction per 10,000 rows (as the command commits), same WAL, \`synchronous = NORMAL\` ` +
      `and 256 MB page cache. It is the floor set by the schema (the table and its three indexes, one ` +
      `of them on the slots' random UUID identifiers).`,
    '',
    '| | median | runs |',
    '|---|---|---|',
    `| **seconds, spawn to exit** | **${fmt(seconds, 1)}** | ${runsText(
      cli.map((r) => r.seconds),
      1,
    )} |`,
    `| slots/s | ${fmt(rate)} | ${runsText(cli.map((r) => r.json.total / r.seconds))} |`,
    `| the command's own timing (store open to summary), s | ${fmt(median(cli.map((r) => r.json.seconds)), 1)} | ${runsText(
      cli.map((r) => r.json.seconds),
      1,
    )} |`,
    `| slots added / in the store afterwards | | ${cli.map((r, i) => `${fmt(r.json.added)} / ${fmt(stored[i]!)}`).join('; ')} |`,
    `| progress lines on stderr | | ${cli.map((r) => r.progressLines).join(' / ')} |`,
    '| CPU used by the command (cores, average) / by other processes | ' +
      `${fmt(median(cli.map((r) => r.cores)), 2)} / ${fmt(median(cli.map((r) => r.other)), 2)} | ${runsText(
        cli.map((r) => r.cores),
        2,
      )} / ${runsText(
        cli.map((r) => r.other),
        2,
      )} |`,
    `| baseline: bare prepared statement, insert only, s | ${fmt(median(bare), 1)} | ${runsText(bare, 1)} |`,
    `| command ÷ baseline (same run) | ${fmt(median(ratios), 2)} | ${runsText(ratios, 2)} |`,
    `| *informational:* the same command again (nothing to add), s | ${fmt(median(again.map((r) => r.seconds)), 1)} | ${runsText(
      again.map((r) => r.seconds),
      1,
    )} |`,
    '',
    `Target: under 60 s with a progress bar. Measured **${fmt(seconds, 1)} s** ${runsText(
      cli.map((r) => r.seconds),
      1,
    )}: ${met(ok)}.`,
    '',
  );
  report.row({
    name: '6. Rota generation, 50 schedules × 90 days × 5 min (CLI)',
    result: `${fmt(seconds, 1)} s for ${fmt(total)} slots, ${fmt(rate)} slots/s`,
    runs: runsText(
      cli.map((r) => r.seconds),
      1,
    ),
    baseline: `bare prepared insert ${fmt(median(bare), 1)} s; ratio **${fmt(median(ratios), 2)}** ${runsText(ratios, 2)}`,
    target: '< 60 s',
    verdict: met(ok),
  });
}

export const generate: Benchmark = { name: 'generate', run };
