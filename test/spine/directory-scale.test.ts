/**
 * The directory search at regional scale (issue 13): the search reads its candidates through the
 * `directory_disposition` index (migration 009) ring by ring and stops at the first `max` open
 * services, and must still answer exactly what a plain scan of every service answers. Random
 * directories over real postcode districts are searched both ways; rows written before migration
 * 009 must be found after it; every put, replace and delete keeps the index in step with the service.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { OperationOutcomeError } from '../../src/fhir/outcome.js';
import { KNOWN_DISPOSITIONS } from '../../src/spine/directory/dispositions.js';
import { DAYS, type DirectoryService, type OpeningTime } from '../../src/spine/directory/model.js';
import { isOpen, nextOpening } from '../../src/spine/directory/opening.js';
import { distanceKm, positionOf, type Position } from '../../src/spine/directory/postcodes.js';
import {
  allDirectoryServices,
  deleteDirectoryService,
  getDirectoryService,
  putDirectoryService,
} from '../../src/spine/directory/repository.js';
import { rankDirectory, type DirectoryQuery } from '../../src/spine/directory/search.js';
import { openStore } from '../../src/store/store.js';
import type { Database } from '../../src/store/schema.js';
import { testStore, type TestStore } from '../helpers/store.js';

// ---------------------------------------------------------------------------------------------
// The reference: every service read, filtered and sorted in full (the search as it was before 009)

interface Expected {
  rank: number;
  id: string;
  distanceKm: number | null;
  openNow: boolean;
  nextOpen?: string;
  service: DirectoryService;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** 'unknown' where the search must refuse the disposition (400). */
async function reference(db: Kysely<Database>, q: DirectoryQuery): Promise<Expected[] | 'unknown'> {
  const all = await allDirectoryServices(db);
  if (!KNOWN_DISPOSITIONS.has(q.disposition) && !all.some((s) => s.dispositions.includes(q.disposition)))
    return 'unknown';
  const from = positionOf(q.postcode)!;
  const at = q.at!.getTime();
  const radius = q.radiusKm ?? 100;
  const max = Math.min(q.max ?? 20, 100);
  return all
    .filter((s) => s.dispositions.includes(q.disposition))
    .filter((s) => q.age === undefined || (s.ageRange.min <= q.age && q.age <= s.ageRange.max))
    .map((service) => ({
      service,
      km: service.location ? distanceKm(from, service.location) : null,
      open: isOpen(service, at),
    }))
    .filter((c) => c.km === null || c.km <= radius)
    .sort(
      (a, b) =>
        Number(b.open) - Number(a.open) ||
        (a.km ?? Infinity) - (b.km ?? Infinity) ||
        (a.service.id < b.service.id ? -1 : a.service.id > b.service.id ? 1 : 0),
    )
    .slice(0, max)
    .map(({ service, km, open }, i) => {
      const next = open ? undefined : nextOpening(service, at);
      return {
        rank: i + 1,
        id: service.id,
        distanceKm: km === null ? null : round1(km),
        openNow: open,
        ...(next !== undefined ? { nextOpen: new Date(next).toISOString() } : {}),
        service,
      };
    });
}

async function searched(db: Kysely<Database>, q: DirectoryQuery): Promise<Expected[] | 'unknown'> {
  try {
    return (await rankDirectory(db, q)).map(({ service, summary: s }) => ({
      rank: s.rank,
      id: s.id,
      distanceKm: s.distanceKm,
      openNow: s.openNow,
      ...(s.nextOpen !== undefined ? { nextOpen: s.nextOpen } : {}),
      service,
    }));
  } catch (err) {
    if (err instanceof OperationOutcomeError && err.status === 400 && /not one this directory knows/.test(err.message))
      return 'unknown';
    throw err;
  }
}

async function assertSameAsReference(db: Kysely<Database>, q: DirectoryQuery, label: string): Promise<void> {
  const [want, got] = [await reference(db, q), await searched(db, q)];
  assert.deepEqual(got, want, `${label}: ${JSON.stringify({ ...q, at: q.at?.toISOString() })}`);
}

// ---------------------------------------------------------------------------------------------
// Random directories over real postcode districts

const DISTRICTS: (Position & { code: string })[] = readFileSync(
  new URL('../../src/spine/directory/uk-outcodes.csv', import.meta.url),
  'utf8',
)
  .split('\n')
  .slice(1)
  .map((line) => line.trim().split(','))
  .filter(([code, lat, lon]) => code && lat && lon)
  .map(([code, lat, lon]) => ({ code: code!, latitude: Number(lat), longitude: Number(lon) }));

// Most services around a few cities (so that rings and early stops matter), some anywhere.
const CLUSTER_DISTRICTS = ['LS1', 'M1', 'B1', 'SW1A', 'NE1'].flatMap((centre) => {
  const c = DISTRICTS.find((d) => d.code === centre)!;
  return DISTRICTS.filter((d) => distanceKm(c, d) <= 60);
});
const district = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CLUSTER_DISTRICTS) },
  { weight: 1, arbitrary: fc.constantFrom(...DISTRICTS) },
);

// Two local codes (known only because a service lists them) besides the standard's.
const LISTED = ['Dx05', 'Dx06', 'Dx08', 'Dx75', 'Dx9001', 'Dx9002'];
// Dx02 is known but listed by none (an empty answer); Dx9003 is listed by none and unknown (400).
const SEARCHED = [...LISTED, 'Dx05', 'Dx05', 'Dx02', 'Dx9003'];

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const session: fc.Arbitrary<OpeningTime> = fc
  .record({
    day: fc.constantFrom(...DAYS),
    open: fc.integer({ min: 0, max: 47 }),
    length: fc.integer({ min: 1, max: 48 }),
  })
  .map(({ day, open, length }) => ({
    day,
    open: hhmm(open * 30),
    close: hhmm(Math.min(48, open + length) * 30),
  }));

const ageRange = fc
  .tuple(fc.integer({ min: 0, max: 130 }), fc.integer({ min: 0, max: 130 }))
  .map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) }));
const sometimesAll = fc.oneof({ weight: 3, arbitrary: fc.constant({ min: 0, max: 130 }) }, ageRange);

const serviceArb = (id: string): fc.Arbitrary<DirectoryService> =>
  fc
    .record({
      district,
      // postcode: the district's centre (ties in distance, broken by ID); located: a point of its own; none.
      place: fc.constantFrom('postcode', 'postcode', 'located', 'none'),
      jitter: fc.tuple(
        fc.double({ min: -0.1, max: 0.1, noNaN: true }),
        fc.double({ min: -0.1, max: 0.1, noNaN: true }),
      ),
      dispositions: fc.subarray(LISTED, { minLength: 0 }),
      openAllHours: fc.boolean(),
      openingTimes: fc.array(session, { maxLength: 8 }),
      ageRange: sometimesAll,
    })
    .map(({ district: d, place, jitter, dispositions, openAllHours, openingTimes, ageRange: ages }) => ({
      id,
      name: `Service ${id}`,
      type: 'UTC',
      address: ['1 Test Street', d.code],
      ...(place === 'none' ? {} : { postcode: d.code }),
      ...(place === 'located'
        ? { location: { latitude: d.latitude + jitter[0], longitude: d.longitude + jitter[1] } }
        : {}),
      openingTimes,
      ...(openAllHours && openingTimes.length < 3 ? { openAllHours: true } : {}),
      dispositions,
      ageRange: ages,
      attributes: [],
      endpoints: [],
    }));

// IDs whose order is not the order they were written in.
const directoryArb = fc
  .integer({ min: 20, max: 260 })
  .chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) => serviceArb(`${['b', 'A', 'z-', '0'][i % 4]}${(i * 7919) % 1000}-${i}`)),
    ),
  );

const queryArb: fc.Arbitrary<DirectoryQuery> = fc.record(
  {
    disposition: fc.constantFrom(...SEARCHED),
    postcode: fc.oneof(
      district.map((d) => d.code),
      district.map((d) => `${d.code} 4AP`),
    ),
    age: fc.integer({ min: 0, max: 130 }),
    // Any instant of 2026, both clock changes included.
    at: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }).map((ms) => new Date(ms)),
    max: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 100 })),
    radiusKm: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 400 }), fc.constant(2000)),
  },
  { requiredKeys: ['disposition', 'postcode', 'at'] },
);

async function replaceDirectory(db: Kysely<Database>, services: DirectoryService[]): Promise<void> {
  for (const s of await allDirectoryServices(db)) await deleteDirectoryService(db, s.id);
  await db.transaction().execute(async (trx) => {
    for (const s of services) await putDirectoryService(trx, s);
  });
}

/** The index rows of a service, as a set of readable strings. */
async function indexRows(db: Kysely<Database>, id: string): Promise<string[]> {
  const rows = await db.selectFrom('directory_disposition').selectAll().where('service_id', '=', id).execute();
  return rows
    .map(
      (r) =>
        `${r.disposition} ${r.latitude === null ? '-' : Number(r.latitude)},${r.longitude === null ? '-' : Number(r.longitude)} ` +
        `${r.age_min}-${r.age_max}`,
    )
    .sort();
}

/** What the index should hold for a stored service. */
const expectedRows = (s: DirectoryService) =>
  s.dispositions
    .map(
      (d) =>
        `${d} ${s.location ? `${s.location.latitude},${s.location.longitude}` : '-,-'} ${s.ageRange.min}-${s.ageRange.max}`,
    )
    .sort();

// ---------------------------------------------------------------------------------------------

describe('directory search at scale: the index answers exactly what a full scan answers', () => {
  let ts: TestStore;
  let db: Kysely<Database>;

  before(async () => {
    ts = await testStore();
    db = ts.store.db;
  });
  after(async () => {
    await ts.dispose();
  });

  it('random directories over real districts: the same services, order, distances and opening', async () => {
    await fc.assert(
      fc.asyncProperty(
        directoryArb,
        fc.array(queryArb, { minLength: 30, maxLength: 30 }),
        async (services, queries) => {
          await replaceDirectory(db, services);
          for (const [i, q] of queries.entries()) await assertSameAsReference(db, q, `query ${i}`);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('services at the same distance are answered in ID order, however the index holds them', async () => {
    // 30 services at one district centre; the later the ID, the lower the age range starts (the index
    // sorts equal positions by age before ID), so only the ranking's own ID order puts Z00, Z01… first.
    const services: DirectoryService[] = Array.from({ length: 30 }, (_, i) => ({
      id: `Z${String(i).padStart(2, '0')}`,
      name: `Same place ${i}`,
      type: 'UTC',
      address: ['1 Test Street'],
      postcode: 'LS2',
      openingTimes: [],
      openAllHours: true,
      dispositions: ['Dx05'],
      ageRange: { min: 30 - i, max: 130 },
      attributes: [],
      endpoints: [],
    }));
    await replaceDirectory(db, services);
    for (const max of [1, 3, 5, 29]) {
      const q = { disposition: 'Dx05', postcode: 'LS1 4AP', at: new Date('2026-06-10T11:00:00Z'), max };
      await assertSameAsReference(db, q, `max ${max}`);
      const got = (await rankDirectory(db, q)).map((r) => r.summary.id);
      assert.deepEqual(
        got,
        services.slice(0, max).map((s) => s.id),
      );
    }
  });

  it('a dense city: the nearest open services are found in the first ring, and the answer is still exact', async () => {
    // 400 services in and around Leeds, a few open at any time; small and large max, short and long radius.
    const leeds = CLUSTER_DISTRICTS.filter((d) => distanceKm(positionOf('LS1')!, d) <= 30);
    const services: DirectoryService[] = Array.from({ length: 400 }, (_, i) => {
      const d = leeds[i % leeds.length]!;
      return {
        id: `L${String(i).padStart(3, '0')}`,
        name: `Leeds ${i}`,
        type: 'GP Practice',
        address: ['1 Test Street'],
        postcode: d.code,
        location: { latitude: d.latitude + ((i % 7) - 3) * 0.01, longitude: d.longitude + ((i % 5) - 2) * 0.01 },
        openingTimes:
          i % 9 === 0
            ? []
            : DAYS.slice(0, 5).map((day) => ({
                day,
                open: i % 2 ? '08:00' : '13:00',
                close: i % 3 ? '18:30' : '22:00',
              })),
        ...(i % 9 === 0 ? { openAllHours: true } : {}),
        dispositions: ['Dx05'],
        ageRange: { min: 0, max: 130 },
        attributes: [],
        endpoints: [],
      };
    });
    await replaceDirectory(db, services);
    const times = ['2026-06-10T11:00:00Z', '2026-06-10T19:00:00Z', '2026-06-13T02:00:00Z', '2026-12-25T08:30:00Z'];
    for (const at of times)
      for (const max of [1, 5, 20, 100])
        for (const radiusKm of [2, 10, 100])
          for (const postcode of ['LS1 4AP', 'LS6', 'WF1', 'YO1'])
            await assertSameAsReference(
              db,
              { disposition: 'Dx05', postcode, at: new Date(at), max, radiusKm },
              'Leeds',
            );
  });
});

describe('directory index: migration 009 and the repository keep it in step', () => {
  let ts: TestStore;
  let db: Kysely<Database>;

  before(async () => {
    ts = await testStore();
    db = ts.store.db;
  });
  after(async () => {
    await ts.dispose();
  });

  const located = (
    id: string,
    postcode: string | undefined,
    dispositions: string[],
    extra: Partial<DirectoryService> = {},
  ) =>
    ({
      id,
      name: `Service ${id}`,
      type: 'UTC',
      address: ['1 Test Street'],
      ...(postcode ? { postcode } : {}),
      openingTimes: [],
      openAllHours: true,
      dispositions,
      ageRange: { min: 0, max: 130 },
      attributes: [],
      endpoints: [],
      ...extra,
    }) satisfies DirectoryService;

  it('put, replace and delete change the index rows with the service', async () => {
    assert.equal(await putDirectoryService(db, located('IX1', 'LS1 4AP', ['Dx05', 'Dx9001'])), true);
    let stored = (await getDirectoryService(db, 'IX1'))!;
    assert.deepEqual(await indexRows(db, 'IX1'), expectedRows(stored));
    assert.equal((await indexRows(db, 'IX1')).length, 2);
    const at = new Date('2026-06-10T11:00:00Z');
    const ids = async (q: Omit<DirectoryQuery, 'at'>) =>
      (await rankDirectory(db, { ...q, at })).map((r) => r.summary.id);
    assert.deepEqual(await ids({ disposition: 'Dx05', postcode: 'LS1' }), ['IX1']);

    // Replaced: other dispositions, another place, another age range.
    const moved = located('IX1', 'TR1', ['Dx06', 'Dx9001'], { ageRange: { min: 16, max: 64 } });
    assert.equal(await putDirectoryService(db, moved), false);
    stored = (await getDirectoryService(db, 'IX1'))!;
    assert.deepEqual(await indexRows(db, 'IX1'), expectedRows(stored));
    assert.deepEqual(await ids({ disposition: 'Dx05', postcode: 'LS1' }), [], 'no longer takes Dx05');
    assert.deepEqual(await ids({ disposition: 'Dx06', postcode: 'LS1' }), [], 'no longer near Leeds');
    assert.deepEqual(await ids({ disposition: 'Dx06', postcode: 'TR1' }), ['IX1']);
    assert.deepEqual(await ids({ disposition: 'Dx06', postcode: 'TR1', age: 70 }), [], 'outside the new age range');

    // No position: kept whatever the distance, as before.
    await putDirectoryService(db, located('IX1', undefined, ['Dx9001']));
    assert.deepEqual(await indexRows(db, 'IX1'), ['Dx9001 -,- 0-130']);
    assert.deepEqual(await ids({ disposition: 'Dx9001', postcode: 'IV1', radiusKm: 1 }), ['IX1']);

    // No dispositions: no rows, and the local code is no longer known.
    await putDirectoryService(db, located('IX1', 'LS1', []));
    assert.deepEqual(await indexRows(db, 'IX1'), []);
    await assert.rejects(ids({ disposition: 'Dx9001', postcode: 'LS1' }), /not one this directory knows/);

    await putDirectoryService(db, located('IX1', 'LS1', ['Dx9001']));
    assert.equal(await deleteDirectoryService(db, 'IX1'), true);
    assert.deepEqual(await indexRows(db, 'IX1'), []);
    await assert.rejects(ids({ disposition: 'Dx9001', postcode: 'LS1' }), /not one this directory knows/);
  });

  it("a put in the caller's transaction is undone with it, index rows included", async () => {
    await assert.rejects(
      ts.store.transaction(async (trx) => {
        await putDirectoryService(trx, located('IX2', 'LS1', ['Dx05', 'Dx9002']));
        assert.equal((await indexRows(trx, 'IX2')).length, 2, 'visible inside the transaction');
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(await getDirectoryService(db, 'IX2'), undefined);
    assert.deepEqual(await indexRows(db, 'IX2'), []);
  });

  it('concurrent puts of one service leave the index rows of the one stored last', async () => {
    const versions = ['Dx05', 'Dx06', 'Dx08', 'Dx75', 'Dx9001', 'Dx9002'].map((d, i) =>
      located('IX3', ['LS1', 'M1', 'B1'][i % 3], [d, 'Dx07']),
    );
    const created = await Promise.all(versions.map((v) => putDirectoryService(db, v)));
    assert.equal(created.filter(Boolean).length, 1, 'exactly one put created it');
    const stored = (await getDirectoryService(db, 'IX3'))!;
    assert.deepEqual(await indexRows(db, 'IX3'), expectedRows(stored));
    await deleteDirectoryService(db, 'IX3');
  });

  it('services written before migration 009 are found after it', async () => {
    const services = [
      located('OLD1', 'LS1', ['Dx05', 'Dx06']),
      located('OLD2', 'LS6', ['Dx05'], { ageRange: { min: 0, max: 15 } }),
      located('OLD3', undefined, ['Dx05', 'Dx9001']),
      located('OLD4', 'WF1', ['Dx05'], {
        openAllHours: false,
        openingTimes: [{ day: 'Mon', open: '09:00', close: '17:00' }],
      }),
      located('OLD5', 'TR1', ['Dx05']),
    ];
    for (const s of services) await putDirectoryService(db, s);
    // Back to the schema before 009: no index table, and 009 (and the later 010) not yet run.
    await sql`DROP TABLE directory_disposition`.execute(db);
    await sql`ALTER TABLE consumer_booking DROP COLUMN service_name`.execute(db);
    await sql`DELETE FROM kysely_migration WHERE name IN ('009-directory-index', '010-consumer-service-name')`.execute(
      db,
    );

    const reopened = await openStore(ts.options); // runs 009, which fills the index from the services
    try {
      for (const s of await allDirectoryServices(reopened.db)) {
        assert.deepEqual(await indexRows(reopened.db, s.id), expectedRows(s), s.id);
      }
      const at = new Date('2026-06-08T12:00:00Z'); // a Monday, 13:00 BST
      for (const q of [
        { disposition: 'Dx05', postcode: 'LS1 4AP', at },
        { disposition: 'Dx05', postcode: 'LS1 4AP', at, age: 40 },
        { disposition: 'Dx05', postcode: 'LS1 4AP', at, radiusKm: 500 },
        { disposition: 'Dx9001', postcode: 'IV1', at },
        { disposition: 'Dx06', postcode: 'WF1', at, max: 1 },
      ]) {
        await assertSameAsReference(reopened.db, q, 'after 009');
      }
      const found = (
        await rankDirectory(reopened.db, { disposition: 'Dx05', postcode: 'LS1 4AP', at, radiusKm: 500 })
      ).map((r) => r.summary.id);
      assert.deepEqual(found, ['OLD1', 'OLD2', 'OLD4', 'OLD5', 'OLD3']);
    } finally {
      await reopened.close();
    }
  });
});
