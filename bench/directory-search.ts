/**
 * Benchmark 8: the service directory's search at regional scale (issue 13). Two spines (buildSpine,
 * in their own processes, each on its own SQLite file) hold 200 and 20,000 services spread the way a
 * directory is: most in regional clusters around cities, the rest over the whole country, each with
 * the dispositions, opening times and age range of its kind (GP practice, pharmacy, out of hours…).
 * The same searches (DoS's SOAP CheckCapacitySummary, as a consumer sends it), from a fixed set of
 * patient postcodes, go to both, one at a time over one keep-alive connection, and each is timed; the
 * 200-service directory is the baseline.
 * `BENCH_ONLY=directory npm run bench` runs this one alone.
 */
import { statSync } from 'node:fs';
import { readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { DOS_NAMESPACE } from '../src/consumer/dos-client.js';
import { soapContentType, writeEnvelope } from '../src/fhir/soap.js';
import { DOS_PATH } from '../src/spine/app.js';
import type { DirectoryEndpoint, DirectoryService, OpeningTime } from '../src/spine/directory/model.js';
import { DEFAULT_MAX } from '../src/spine/directory/search.js';
import { NATIONAL_SEARCH_KM } from '../src/spine/directory/soap.js';
import { DEMO_DOS_USER } from '../src/spine/national-credentials.js';
import { putDirectoryService } from '../src/spine/directory/repository.js';
import { distanceKm, type Position } from '../src/spine/directory/postcodes.js';
import { openStore } from '../src/store/store.js';
import { RUNS, cpuMeter, fmt, freshDir, log, median, percentile, runsText, startServer, waitForQuiet } from './lib.js';
import { met, ms, type Benchmark, type Report } from './report.js';
import type { CpuShare } from './lib.js';

/** The directory sizes: the first is the baseline. */
const SIZES = [200, 20_000] as const;
/** Searches per measured run (the patients' postcodes in turn), and before the runs, per spine. */
const SEARCHES = 1_200;
const WARM_SEARCHES = 300;
/** The disposition searched for: Dx05, "contact a primary care service within 2 hours". */
const DISPOSITION = 'Dx05';

/**
 * Where the patients are: city centres inside the clusters, suburbs and towns, and rural places far
 * from any cluster (a Cornish town, mid-Wales, the Yorkshire Dales, the Fens).
 */
export const PATIENT_POSTCODES = [
  'LS1 4AP',
  'M1 1AE',
  'B1 1BB',
  'SW1A 1AA',
  'SE1 7PB',
  'NE1 4ST',
  'BS1 4DJ',
  'S1 2HE',
  'NG1 5FS',
  'LS6 2AL',
  'CB1 2JD',
  'PL1 2AA',
  'TR1 2AA',
  'LD1 5LG',
  'DL8 3AB',
  'PE30 1EZ',
];

// ---------------------------------------------------------------------------------------------
// The measured request

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(url: string, init: { method: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The CheckCapacitySummary envelope a consumer sends (as src/consumer/dos-client.ts writes it): age 40, now. */
function checkCapacitySummary(postcode: string): string {
  return writeEnvelope(
    '1.2',
    {
      'web:CheckCapacitySummary': {
        'web:userInfo': { 'web:username': DEMO_DOS_USER.username, 'web:password': DEMO_DOS_USER.password },
        'web:c': {
          'web:caseRef': 'bench',
          'web:postcode': postcode,
          'web:age': 40,
          'web:ageFormat': 'Years',
          'web:disposition': Number(`10${DISPOSITION.slice(2)}`),
          'web:symptomGroup': 1011,
          'web:symptomDiscriminatorList': { 'web:int': [4003] },
          'web:forceSearchDistance': false,
          'web:gender': 'I',
        },
      },
    },
    { header: { 'web:serviceVersion': '1.5' }, namespaces: { web: DOS_NAMESPACE } },
  );
}
const BODIES = new Map<string, string>();
const DESTINATION = /<(?:[\w-]+:)?serviceCareSummaryDestination>/g;

/**
 * ONE SEARCH, AS A CONSUMER SENDS IT: DoS's SOAP CheckCapacitySummary (SOAP 1.2, the stand-in's demo
 * account) posted to `{spine}/app/api/webservices`, the body written once per postcode before the
 * runs. Returns the answer; throws on anything but a 200.
 */
export async function searchOnce(spine: string, postcode: string): Promise<string> {
  let body = BODIES.get(postcode);
  if (!body) BODIES.set(postcode, (body = checkCapacitySummary(postcode)));
  const res = await send(`${spine}${DOS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': soapContentType('1.2', `${DOS_NAMESPACE}/CheckCapacitySummary`) },
    body,
  });
  if (res.status !== 200)
    throw new Error(`CheckCapacitySummary from ${postcode}: ${res.status} ${res.body.slice(0, 300)}`);
  return res.body;
}

/** The same search through the directory's JSON interface (default radius 100 km, 20 results). */
export async function jsonSearchOnce(spine: string, postcode: string): Promise<string> {
  const query = new URLSearchParams({ disposition: DISPOSITION, postcode });
  const res = await send(`${spine}/directory/services?${query}`, { method: 'GET' });
  if (res.status !== 200) throw new Error(`directory search from ${postcode}: ${res.status} ${res.body.slice(0, 300)}`);
  return res.body;
}

interface Request {
  key: 'soap' | 'json';
  send: (spine: string, postcode: string) => Promise<string>;
  /** Services in an answer (counted after the timing). */
  services: (answer: string) => number;
}
const REQUESTS: Request[] = [
  { key: 'soap', send: searchOnce, services: (a) => a.match(DESTINATION)?.length ?? 0 },
  { key: 'json', send: jsonSearchOnce, services: (a) => (JSON.parse(a) as { services: unknown[] }).services.length },
];

// ---------------------------------------------------------------------------------------------
// The directory

/** A small seeded generator (mulberry32), so every run seeds the same directories. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface District extends Position {
  code: string;
}

function districts(): District[] {
  const csv = readFileSync(new URL('../src/spine/directory/uk-outcodes.csv', import.meta.url), 'utf8');
  return csv
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(','))
    .filter(([code, lat, lon]) => code && lat && lon)
    .map(([code, lat, lon]) => ({ code: code!, latitude: Number(lat), longitude: Number(lon) }));
}

/** Regional clusters: a city's district and its share of the clustered services (London has four). */
const CLUSTERS: [string, number][] = [
  ['EC1A', 3],
  ['SE1', 2],
  ['N1', 2],
  ['W1', 2],
  ['B1', 3],
  ['M1', 3],
  ['LS1', 3],
  ['L1', 2],
  ['NE1', 2],
  ['S1', 2],
  ['BS1', 2],
  ['NG1', 2],
  ['LE1', 1],
  ['SO14', 1],
  ['NR1', 1],
  ['PL1', 1],
];
const CLUSTER_KM = 40;
/** The share of services in the clusters; the rest are spread over every district. */
const CLUSTERED = 0.75;

const WEEKDAYS: OpeningTime['day'][] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];
const ALL_WEEK: OpeningTime['day'][] = [...WEEKDAYS, 'Sat', 'Sun'];
const sessions = (days: OpeningTime['day'][], open: string, close: string): OpeningTime[] =>
  days.map((day) => ({ day, open, close }));
const PRIMARY_CARE = ['Dx05', 'Dx06', 'Dx07', 'Dx08', 'Dx11', 'Dx12', 'Dx13', 'Dx14', 'Dx15'];
const PHARMACY = ['Dx06', 'Dx08', 'Dx1112', 'Dx1113', 'Dx1114', 'Dx1115', 'Dx1116', 'Dx1117'];
const DENTAL = ['Dx110', 'Dx111', 'Dx112', 'Dx113', 'Dx114', 'Dx115', 'Dx117'];

type Kind = Pick<DirectoryService, 'type' | 'openingTimes' | 'dispositions'> & { openAllHours?: boolean };

/** One service's kind, in roughly the proportions of a directory: GP practices and pharmacies most. */
function kind(r: () => number): Kind {
  const x = r();
  const some = (codes: string[], keep: number) => codes.filter((c, i) => i === 0 || r() < keep);
  if (x < 0.42) {
    // In hours; about half take same-day (Dx05) referrals from 111.
    const codes = ['Dx06', 'Dx10', 'Dx75', 'Dx115'].filter(() => r() < 0.7);
    return {
      type: 'GP Practice',
      openingTimes: sessions(WEEKDAYS, '08:00', '18:30'),
      dispositions: r() < 0.5 ? ['Dx05', ...codes] : codes.length ? codes : ['Dx06'],
    };
  }
  if (x < 0.67) {
    const long = r() < 0.2; // the "100-hour" pharmacies
    return {
      type: 'Pharmacy',
      openingTimes: long
        ? [...sessions([...WEEKDAYS, 'Sat'], '07:00', '23:00'), ...sessions(['Sun'], '10:00', '16:00')]
        : sessions([...WEEKDAYS, 'Sat'], '09:00', '18:00'),
      dispositions: some(PHARMACY, 0.6),
    };
  }
  if (x < 0.75)
    return { type: 'Dental', openingTimes: sessions(WEEKDAYS, '09:00', '17:00'), dispositions: some(DENTAL, 0.5) };
  if (x < 0.83) {
    // Out of hours: weekday evenings and nights, whole weekends; some are 24/7 assessment hubs.
    if (r() < 0.25)
      return { type: 'GP Out of Hours', openingTimes: [], openAllHours: true, dispositions: PRIMARY_CARE };
    return {
      type: 'GP Out of Hours',
      openingTimes: [
        ...sessions(WEEKDAYS, '18:30', '24:00'),
        ...sessions(WEEKDAYS, '00:00', '08:00'),
        ...sessions(['Sat', 'Sun'], '00:00', '24:00'),
      ],
      dispositions: PRIMARY_CARE,
    };
  }
  if (x < 0.89) {
    if (r() < 0.3)
      return { type: 'UTC', openingTimes: [], openAllHours: true, dispositions: ['Dx02', ...PRIMARY_CARE] };
    return { type: 'UTC', openingTimes: sessions(ALL_WEEK, '08:00', '22:00'), dispositions: PRIMARY_CARE };
  }
  if (x < 0.92) return { type: 'ED', openingTimes: [], openAllHours: true, dispositions: ['Dx02', 'Dx03'] };
  return {
    type: 'Community Nursing',
    openingTimes: sessions(ALL_WEEK, '08:00', '20:00'),
    dispositions: ['Dx75', 'Dx81'],
  };
}

/** `count` services, the same for the same count: clusters around cities, a national spread, 2% without a position. */
export function regionalDirectory(count: number): DirectoryService[] {
  const r = random(13_000 + count);
  const all = districts();
  const near = CLUSTERS.map(([code, weight]) => {
    const centre = all.find((d) => d.code === code)!;
    return { weight, districts: all.filter((d) => distanceKm(centre, d) <= CLUSTER_KM) };
  });
  const totalWeight = near.reduce((n, c) => n + c.weight, 0);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const services: DirectoryService[] = [];
  for (let i = 0; i < count; i++) {
    let district: District;
    if (r() < CLUSTERED) {
      let w = r() * totalWeight;
      const cluster = near.find((c) => (w -= c.weight) < 0) ?? near[0]!;
      district = pick(cluster.districts);
    } else district = pick(all);
    const k = kind(r);
    const id = String(3_000_000_000 + i);
    const ods = `B${(10_000 + (i % 90_000)).toString()}`;
    const placed = r() >= 0.02;
    const bookable = k.type !== 'Pharmacy' && k.type !== 'Dental';
    const endpoints: DirectoryEndpoint[] = bookable
      ? [
          {
            order: 1,
            transport: 'itk',
            format: 'CDA',
            interaction: 'urn:nhs-itk:interaction:primaryOutofHourRecipientNHS111CDADocument-v2-0',
            businessScenario: 'Primary',
            address: `urn:nhs-uk:addressing:ods:${ods}`,
            compression: 'uncompressed',
          },
          {
            order: 2,
            transport: 'http',
            format: 'FHIR',
            interaction: 'Scheduling',
            address: `ASID:${900_000_000_000 + i}`,
          },
        ]
      : [
          {
            order: 1,
            transport: 'email',
            format: 'HTML',
            interaction: 'urn:nhs-itk:interaction:copyRecipientNHS111CDADocument-v2-0',
            address: `service${i}@nhs.example`,
          },
        ];
    const age = r();
    services.push({
      id,
      name: `${district.code} ${k.type} ${i}`,
      type: k.type,
      odsCode: ods,
      address: [`${1 + (i % 200)} High Street`, district.code],
      ...(placed
        ? {
            postcode: `${district.code} 1AA`,
            // Somewhere in the district, not all at its centre.
            location: {
              latitude: district.latitude + (r() - 0.5) * 0.04,
              longitude: district.longitude + (r() - 0.5) * 0.06,
            },
          }
        : {}),
      openingTimes: k.openingTimes,
      ...(k.openAllHours ? { openAllHours: true } : {}),
      dispositions: k.dispositions,
      ageRange: age < 0.05 ? { min: 0, max: 15 } : age < 0.1 ? { min: 16, max: 130 } : { min: 0, max: 130 },
      attributes: bookable ? [{ name: 'requirebooking', dataType: 'boolean', value: String(r() < 0.3) }] : [],
      endpoints,
    });
  }
  return services;
}

/** Writes the directory through the repository in one transaction, saying how far it has got. */
async function seed(dataDir: string, services: DirectoryService[]): Promise<number> {
  const started = performance.now();
  const store = await openStore({ dataDir });
  let done = 0;
  let said = started;
  await store.transaction(async (trx) => {
    for (const s of services) {
      await putDirectoryService(trx, s);
      done++;
      if (performance.now() - said > 2_000) {
        log(`     ${fmt(done)} / ${fmt(services.length)} services written …`);
        said = performance.now();
      }
    }
  });
  await store.close();
  return (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------------------------------------
// The runs

interface RunResult {
  p50: number;
  p95: number;
  /** Services in the answers (median over the searches). */
  answered: number;
  cpu?: CpuShare;
}

/** `count` searches one after the other, the patients' postcodes in turn, each timed on its own. */
async function searches(request: Request, origin: string, count: number, pids: number[]): Promise<RunResult> {
  await waitForQuiet(pids);
  const stop = cpuMeter(pids);
  const times = new Float64Array(count);
  const answers: string[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const answer = await request.send(origin, PATIENT_POSTCODES[i % PATIENT_POSTCODES.length]!);
    times[i] = performance.now() - t0;
    if (i < PATIENT_POSTCODES.length) answers.push(answer);
  }
  const cpu = stop();
  times.sort();
  return {
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    answered: median(answers.map(request.services)),
    ...(cpu ? { cpu } : {}),
  };
}

interface Spine {
  size: number;
  dir: string;
  seconds: number;
  bytes: number;
  server: Awaited<ReturnType<typeof startServer>>;
  withDx05: number;
  series: Record<Request['key'], RunResult[]>;
}

async function run(report: Report): Promise<void> {
  log(`\n8. Directory search at regional scale: ${SIZES.map((n) => fmt(n)).join(' and ')} services`);
  const spines: Spine[] = [];
  for (const size of SIZES) {
    const dir = freshDir(`directory-${size}`);
    const services = regionalDirectory(size);
    log(`   seeding ${fmt(size)} services into ${dir} (one transaction, through the repository) …`);
    const seconds = await seed(dir, services);
    const bytes = statSync(join(dir, 'slotbridge.db')).size;
    log(`     ${fmt(size)} services in ${fmt(seconds, 1)} s`);
    const server = await startServer('spine-server.ts', [
      JSON.stringify({
        dataDir: dir,
        providerRoot: 'http://127.0.0.1:9/STU3/1/bench',
        providerAsid: '900000000008',
        consumerAsid: '200000000118',
      }),
    ]);
    const withDx05 = services.filter((s) => s.dispositions.includes(DISPOSITION)).length;
    spines.push({ size, dir, seconds, bytes, server, withDx05, series: { soap: [], json: [] } });
  }
  const pids = spines.map((s) => s.server.child.pid!);
  for (const s of spines)
    for (const r of REQUESTS)
      for (let i = 0; i < WARM_SEARCHES; i++)
        await r.send(s.server.origin, PATIENT_POSTCODES[i % PATIENT_POSTCODES.length]!);
  const at = new Date();
  const ratios: Record<Request['key'], number[]> = { soap: [], json: [] };
  for (let round = 1; round <= RUNS; round++) {
    log(`   round ${round}/${RUNS}: ${fmt(SEARCHES)} searches of each kind on each directory, smallest first …`);
    for (const r of REQUESTS) {
      for (const s of spines) {
        const result = await searches(r, s.server.origin, SEARCHES, pids);
        s.series[r.key].push(result);
        log(
          `     ${r.key}, ${fmt(s.size)} services: p50 ${ms(result.p50)} ms, p95 ${ms(result.p95)} ms, ` +
            `${result.answered} services an answer`,
        );
      }
      ratios[r.key].push(spines[1]!.series[r.key].at(-1)!.p50 / spines[0]!.series[r.key].at(-1)!.p50);
    }
  }
  for (const s of spines) {
    await s.server.stop();
    rmSync(s.dir, { recursive: true, force: true });
  }
  report.noteCpu(
    '8. directory search',
    spines.flatMap((s) => [...s.series.soap, ...s.series.json].map((r) => r.cpu)),
  );

  const [small, large] = spines as [Spine, Spine];
  const p50 = (s: Spine, key: Request['key']) => median(s.series[key].map((r) => r.p50));
  const ratio = (key: Request['key']) => median(ratios[key]);
  const london = at.toLocaleString('en-GB', {
    timeZone: 'Europe/London',
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
  });
  const line = (s: Spine, key: Request['key'], label: string) =>
    `| ${label} | ${fmt(s.size)} | **${ms(p50(s, key))}** ${runsText(
      s.series[key].map((r) => r.p50),
      2,
    )} | ${ms(median(s.series[key].map((r) => r.p95)))} ${runsText(
      s.series[key].map((r) => r.p95),
      2,
    )} | ${median(s.series[key].map((r) => r.answered))} |`;
  const target = `p50(${fmt(large.size)}) ≤ 2 × p50(${fmt(small.size)})`;
  report.section(
    '## 8. Directory search at regional scale: 200 and 20,000 services',
    '',
    `Two spines (\`buildSpine\`, each in its own process on its own SQLite file) hold directories of ` +
      `${SIZES.map((n) => fmt(n)).join(' and ')} services made the same way (bench/directory-search.ts): ` +
      `${fmt(CLUSTERED * 100)}% in ${CLUSTERS.length} regional clusters (the postcode districts within ${CLUSTER_KM} km ` +
      `of city centres, London four of them), the rest spread over every UK district; GP practices (42%, about ` +
      `half taking Dx05), pharmacies, dental, out of hours (a quarter 24/7), UTCs, EDs and community nursing, ` +
      `each with its kind's dispositions, opening times and endpoints; 2% without a position. Each directory ` +
      `was written through the repository in one transaction: ${spines
        .map(
          (s) =>
            `${fmt(s.size)} services (${fmt(s.withDx05)} taking ${DISPOSITION}) in ${fmt(s.seconds, 1)} s, ${fmt(s.bytes / 2 ** 20, 1)} MB`,
        )
        .join('; ')}.`,
    '',
    `The measured request is **DoS's SOAP CheckCapacitySummary** as a consumer sends it (SOAP 1.2 POST to ` +
      `\`{spine}${DOS_PATH}\`, the demo account, disposition 10${DISPOSITION.slice(2)} = ${DISPOSITION}, age 40, no search ` +
      `distance: the national ${NATIONAL_SEARCH_KM} km; the answer lists up to ${DEFAULT_MAX} services with their endpoints ` +
      `and rota sessions). The same search through the directory's JSON interface (\`GET {spine}/directory/services?` +
      `disposition=${DISPOSITION}&postcode=…\`: 100 km, at most 20 summaries) is measured beside it: its answers are ` +
      `about the same size for both directories, so it shows how the search itself scales. Searches come from ` +
      `${PATIENT_POSTCODES.length} patient postcodes in turn (${PATIENT_POSTCODES.join(', ')}): city centres, suburbs ` +
      `and rural places. One keep-alive connection, one search at a time, each timed on its own; ` +
      `${fmt(WARM_SEARCHES)} searches of each kind as warm-up per spine, then ${RUNS} rounds of ${fmt(SEARCHES)} ` +
      `searches of each kind on each directory, smallest first; the ratio is taken per round. "Open now" depends ` +
      `on the hour: measured on a ${london} (UK time).`,
    '',
    '| request | services | **p50 ms** (median, runs) | p95 ms (median, runs) | services an answer (median) |',
    '|---|---|---|---|---|',
    line(small, 'soap', 'DoS SOAP CheckCapacitySummary'),
    line(large, 'soap', 'DoS SOAP CheckCapacitySummary'),
    line(small, 'json', 'JSON search'),
    line(large, 'json', 'JSON search'),
    '',
    `Target: ${target}. Measured with the SOAP request **${fmt(ratio('soap'), 2)} ×** ${runsText(ratios.soap, 2)}: ` +
      `${met(ratio('soap') <= 2)}; with the JSON search **${fmt(ratio('json'), 2)} ×** ${runsText(ratios.json, 2)}: ` +
      `${met(ratio('json') <= 2)}.`,
    '',
    `Why the two differ: the SOAP search's radius is DoS's 60 km, so the small directory's answers list a ` +
      `handful of services where the big one's list ${DEFAULT_MAX}, each with its endpoints and rota sessions in ` +
      `XML; the JSON search looks 100 km out and lists up to ${DEFAULT_MAX} from both. The search reads its ` +
      `candidates through an index, ring by ring out from the patient, and stops at the first answer's worth of ` +
      `open services (docs/directory.md, "Scale").`,
    '',
  );
  for (const [key, label] of [
    ['soap', 'DoS SOAP'],
    ['json', 'JSON search'],
  ] as const) {
    report.row({
      name: `8${key === 'json' ? 'b' : ''}. Directory search, ${fmt(small.size)} → ${fmt(large.size)} services (${label}, 1 conn)`,
      result: `p50 ${ms(p50(small, key))} ms → ${ms(p50(large, key))} ms: **${fmt(ratio(key), 2)} ×**`,
      runs: runsText(ratios[key], 2),
      baseline: `p50 at ${fmt(small.size)} ${ms(p50(small, key))} ms`,
      target,
      verdict: met(ratio(key) <= 2),
    });
  }
}

export const directorySearch: Benchmark = { name: 'directory', run };
