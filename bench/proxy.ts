/** Benchmark 5: the latency the secure proxy adds to a slot search. */
import { rmSync } from 'node:fs';
import { openStore } from '../src/store/store.js';
import { SEARCH_TENANT, fiftySlotQuery, searchHeaders, seedGrowthCatalogue } from './catalogue.js';
import {
  RUNS,
  WARM_SECONDS,
  emptySeries,
  fmt,
  freshDir,
  get,
  load,
  log,
  median,
  pushRun,
  runsText,
  startServer,
  type Series,
} from './lib.js';
import { met, ms, type Benchmark, type Report } from './report.js';

const PROXY_SECONDS = 5;

async function run(report: Report): Promise<void> {
  const dir = freshDir('proxy');
  log(`\n5. Proxy overhead. Seeding 10,000 slots into ${dir} …`);
  const store = await openStore({ dataDir: dir });
  await seedGrowthCatalogue(store, 10_000, () => {});
  await store.close();
  const provider = await startServer('provider-server.ts', [JSON.stringify({ dataDir: dir })]);
  const root = provider.roots[SEARCH_TENANT]!;
  const target = `${provider.origin}${new URL(root).pathname}`;
  const spineDir = freshDir('proxy-spine');
  const consumerAsid = '200000000111';
  const providerAsid = '900000000004';
  const spine = await startServer('spine-server.ts', [
    JSON.stringify({ dataDir: spineDir, providerRoot: target, providerAsid, consumerAsid }),
  ]);
  const headers = searchHeaders(provider);
  const direct = `${target}${fiftySlotQuery()}`;
  const proxied = `${spine.origin}/proxy/${direct}`;
  const proxyHeaders = {
    ...headers,
    'ssp-traceid': '4f0a9c1e-8d5b-4a77-9f3e-2b6c1d0e7a55',
    'ssp-from': consumerAsid,
    'ssp-to': providerAsid,
    'ssp-interactionid': 'urn:nhs:names:services:careconnect:fhir:rest:read:slot',
  };
  const a = await get(direct, headers);
  const b = await get(proxied, proxyHeaders);
  if (a.status !== 200 || b.status !== 200 || !a.body.equals(b.body)) {
    throw new Error(`direct ${a.status} and proxied ${b.status} answers differ: ${b.body.toString().slice(0, 300)}`);
  }
  log(`   provider at ${provider.origin}, spine at ${spine.origin}; both answer the same ${fmt(a.body.length)} bytes`);
  const pids = [provider.child.pid!, spine.child.pid!];
  await load({ url: direct, headers, connections: 1, seconds: WARM_SECONDS });
  await load({ url: proxied, headers: proxyHeaders, connections: 1, seconds: WARM_SECONDS });
  const series = { direct1: emptySeries(), proxy1: emptySeries(), direct16: emptySeries(), proxy16: emptySeries() };
  const added50: number[] = [];
  const added99: number[] = [];
  for (let round = 1; round <= RUNS; round++) {
    log(`   round ${round}/${RUNS}: direct, then through the proxy, 1 connection then 16 (${PROXY_SECONDS} s each) …`);
    const d1 = await load({ url: direct, headers, connections: 1, seconds: PROXY_SECONDS, pids });
    const p1 = await load({ url: proxied, headers: proxyHeaders, connections: 1, seconds: PROXY_SECONDS, pids });
    const d16 = await load({ url: direct, headers, connections: 16, seconds: PROXY_SECONDS, pids });
    const p16 = await load({ url: proxied, headers: proxyHeaders, connections: 16, seconds: PROXY_SECONDS, pids });
    pushRun(series.direct1, d1);
    pushRun(series.proxy1, p1);
    pushRun(series.direct16, d16);
    pushRun(series.proxy16, p16);
    added50.push(p1.p50 - d1.p50);
    added99.push(p1.p99 - d1.p99);
    log(
      `     1 connection: direct p50 ${ms(d1.p50)} ms, proxied ${ms(p1.p50)} ms ` +
        `(+${ms(p1.p50 - d1.p50)}); 16: ${fmt(d16.rps)} vs ${fmt(p16.rps)} req/s`,
    );
  }
  await spine.stop();
  await provider.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(spineDir, { recursive: true, force: true });
  report.noteCpu('5. proxy', [...series.proxy1.cpu, ...series.proxy16.cpu]);
  const add = median(added50);
  const row = (label: string, s: Series) =>
    `| ${label} | ${ms(median(s.p50))} ${runsText(s.p50, 2)} | ${ms(median(s.p99))} ` +
    `${runsText(s.p99, 2)} | ${fmt(median(s.rps))} ${runsText(s.rps)} |`;
  report.section(
    '## 5. Proxy overhead: the slot search direct and through the secure proxy',
    '',
    `The search of benchmark 1 (cache on; ${fmt(a.body.length)} bytes) sent straight to the ` +
      `provider, and the same request through the spine's proxy (\`{proxy}/{service root}/Slot?…\` ` +
      `with the four Ssp-* headers), each server in its own process, in the same run: ${RUNS} rounds ` +
      `of ${PROXY_SECONDS} s runs, direct then proxied, with 1 connection (latency) and with 16 ` +
      `(throughput). The proxy checks the headers against the endpoint directory (answers cached for 2 ` +
      `s), forwards over a keep-alive pool (undici), streams the answer back, and logs the call. Both ` +
      `answers were checked to be byte-identical.`,
    '',
    '| path | p50 ms (median, runs) | p99 ms | req/s |',
    '|---|---|---|---|',
    row('direct, 1 connection', series.direct1),
    row('through the proxy, 1 connection', series.proxy1),
    row('direct, 16 connections', series.direct16),
    row('through the proxy, 16 connections', series.proxy16),
    '',
    `Added latency at 1 connection: p50 **${ms(add)} ms** ${runsText(added50, 2)}, p99 ` +
      `${ms(median(added99))} ms ${runsText(added99, 2)}. Target: under 1 ms at p50: ${met(add < 1)}.`,
    '',
  );
  report.row({
    name: '5. Proxy overhead, slot search, 1 conn',
    result: `+${ms(add)} ms p50, +${ms(median(added99))} ms p99`,
    runs: runsText(added50, 2),
    baseline: `direct p50 ${ms(median(series.direct1.p50))} ms, proxied ${ms(median(series.proxy1.p50))} ms`,
    target: '< 1 ms added at p50',
    verdict: met(add < 1),
  });
}

export const proxy: Benchmark = { name: 'proxy', run };
