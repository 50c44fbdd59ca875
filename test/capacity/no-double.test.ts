/**
 * Issue 12, finding 3 (hazard H-003, docs/clinical-safety.md): a rota generated over a schedule's
 * existing slots never doubles them. A slot it would make that overlaps another slot of the same
 * schedule in time (not only one starting at the same time) is skipped, the preview says so with
 * counts per reason and examples, and the rule holds in the store's write itself: two generations
 * at once, through two store connections, still leave no two slots of a schedule overlapping. Runs
 * on SQLite, and on PostgreSQL when SLOTBRIDGE_TEST_DATABASE_URL is set.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { generateRotaSlots, previewRotaWithSkips, type GenerationReport, type Rota } from '../../src/capacity/rota.js';
import type { Store } from '../../src/store/store.js';
import { TENANT, seedCatalogue, tomorrowAt, type Catalogue } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';

let t: TestStore;
let catalogue: Catalogue;
const tomorrow = new Date(tomorrowAt(0)).toISOString().slice(0, 10);

/** A rota on `tomorrow` only, in UTC (so its times are the seeded slots' times). */
const rota = (id: string, scheduleId: string, start: string, end: string, slotMinutes: number): Rota => ({
  id,
  scheduleId,
  days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
  start,
  end,
  slotMinutes,
  deliveryChannel: 'In-person',
  effectiveFrom: tomorrow,
  effectiveTo: tomorrow,
  exceptions: [],
  timeZone: 'UTC',
  bankHolidays: 'open',
});

/** Every pair of slots of the schedule that overlap in time (there should be none). */
async function overlaps(store: Store, scheduleId: string): Promise<string[]> {
  const slots = await store.db
    .selectFrom('slot')
    .select(['id', 'start', 'end'])
    .where('tenant_id', '=', TENANT)
    .where('schedule_id', '=', scheduleId)
    .orderBy('start')
    .execute();
  const out: string[] = [];
  for (let i = 0; i < slots.length; i++)
    for (let j = i + 1; j < slots.length && slots[j]!.start < slots[i]!.end; j++)
      out.push(`${slots[i]!.id} ${slots[i]!.start}–${slots[i]!.end} overlaps ${slots[j]!.id} ${slots[j]!.start}`);
  return out;
}

/**
 * Generates the rota in a child process of its own with its own store connection (SQLite's driver
 * is synchronous, so two connections in one process could not interleave), answering its report.
 */
function generateElsewhere(r: Rota, at: number): Promise<GenerationReport> {
  const script =
    `import { openStore } from ${JSON.stringify(new URL('../../src/store/store.ts', import.meta.url).href)};` +
    `import { generateRotaSlots } from ${JSON.stringify(new URL('../../src/capacity/rota.ts', import.meta.url).href)};` +
    'const store = await openStore(JSON.parse(process.env.STORE));' +
    // Both start at the same instant, once their stores are open.
    'await new Promise((r) => setTimeout(r, Number(process.env.AT) - Date.now()));' +
    'const report = await generateRotaSlots(store, process.env.TENANT, JSON.parse(process.env.ROTA), 100);' +
    'await store.close(); process.stdout.write(JSON.stringify(report));';
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { env: { ...process.env, STORE: JSON.stringify(t.options), TENANT, ROTA: JSON.stringify(r), AT: String(at) } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

before(async () => {
  t = await testStore();
  catalogue = await seedCatalogue(t.store);
});
after(async () => t?.dispose());

describe('a rota over existing slots never doubles them (H-003)', () => {
  it('skips the slots that overlap (not only those starting at the same time), and the preview says why', async () => {
    const { store } = t;
    // The 16-slot morning of S1 (10:00–14:00 UTC, 15 minutes each): one booked, one blocked.
    const [booked, blocked] = [catalogue.s1[0]!, catalogue.s1[4]!];
    await store.db
      .updateTable('slot')
      .set({ status: 'busy', appointment_id: 'appt-1' })
      .where('id', '=', booked.id)
      .execute();
    await store.db.updateTable('slot').set({ status: 'busy-unavailable' }).where('id', '=', blocked.id).execute();
    // 20-minute slots 09:00–15:00: 09:00, 09:20, 09:40 and 14:00, 14:20, 14:40 are clear; the twelve
    // from 10:00 to 13:40 overlap the morning's slots though none but 10:00 starts with one.
    const r = rota('overlapping', 'S1', '09:00', '15:00', 20);
    const preview = await previewRotaWithSkips(store.db, TENANT, r, 3);
    assert.equal(preview.total, 18);
    assert.equal(preview.existing, 0);
    assert.equal(preview.skipped.count, 12, 'the preview says twelve will be skipped');
    assert.deepEqual(
      preview.skipped.reasons.map((x) => [x.reason, x.count, x.text]),
      [
        ['overlaps-booked', 1, 'it overlaps a booked slot'],
        ['overlaps-blocked', 1, 'it overlaps a blocked slot'],
        ['overlaps-free', 10, 'it overlaps a free slot already offered'],
      ],
    );
    const first = preview.skipped.examples[0]!;
    assert.equal(first.start, new Date(tomorrowAt(10)).toISOString());
    assert.equal(first.overlaps.id, booked.id);

    const report = await generateRotaSlots(store, TENANT, r, 3);
    assert.equal(report.added, 6, 'only the six clear slots are added');
    assert.equal(report.skipped.count, 12);
    assert.deepEqual(await overlaps(store, 'S1'), [], 'no slot of S1 overlaps another');
    const morning = await store.db
      .selectFrom('slot')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .where('tenant_id', '=', TENANT)
      .where('schedule_id', '=', 'S1')
      .where('start', '>=', new Date(tomorrowAt(10)).toISOString())
      .where('start', '<', new Date(tomorrowAt(14)).toISOString())
      .executeTakeFirstOrThrow();
    assert.equal(Number(morning.n), 16, 'the 16-slot morning still has 16 slots, not 24');

    // Generating again changes nothing: its own six are already there, the rest still skipped.
    const again = await generateRotaSlots(store, TENANT, r, 3);
    assert.equal(again.added, 0);
    const preview2 = await previewRotaWithSkips(store.db, TENANT, r, 3);
    assert.equal(preview2.existing, 6);
    assert.equal(preview2.skipped.count, 12);
  });

  it('two generations at once, in two processes on one store, still never double a slot', async () => {
    for (let round = 0; round < 3; round++) {
      // S2 is clear from 00:00 to 14:00 tomorrow: two rotas of different slot lengths over the same hours.
      // Each day for 99 days, so the two inserts take long enough to meet.
      const a = { ...rota(`race-a-${round}`, 'S2', '06:00', '09:00', 15), effectiveTo: undefined };
      const b = { ...rota(`race-b-${round}`, 'S2', '06:05', '09:05', 10), effectiveTo: undefined };
      const at = Date.now() + 4000;
      const [ra, rb] = await Promise.all([generateElsewhere(a, at), generateElsewhere(b, at)]);
      assert.deepEqual(await overlaps(t.store, 'S2'), [], `round ${round}: no slot of S2 overlaps another`);
      assert.ok(ra.added + rb.added > 0, 'one of them made the morning');
      assert.equal(ra.added + ra.skipped.count, 12 * 99);
      assert.equal(rb.added + rb.skipped.count, 18 * 99);
      await t.store.db
        .deleteFrom('slot')
        .where('tenant_id', '=', TENANT)
        .where('schedule_id', '=', 'S2')
        .where('id', 'like', 'rota.%')
        .execute();
    }
  });
});
