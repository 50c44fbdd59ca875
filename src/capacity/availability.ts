/**
 * Offering and limiting capacity: block free slots (they become `busy-unavailable` and leave every
 * consumer's search) or release blocked ones. Each is one conditional update, so a slot booked in
 * the meantime is never blocked, and a booked slot is never released; what was skipped is reported.
 */
import { badRequest } from '../fhir/outcome.js';
import { parseInstant } from '../fhir/time.js';
import type { Store } from '../store/store.js';
import { checkInput } from './input.js';
import { SlotSelection, type AvailabilityReport } from './schemas.js';

export type { AvailabilityReport, SlotSelection } from './schemas.js';

/** The selection's schema (./schemas.ts) and what it cannot say: one way of choosing, and a window that is one. */
function checkSelection(selection: unknown): SlotSelection {
  const s = checkInput(SlotSelection, selection);
  const byIds = s.slotIds !== undefined && s.slotIds.length > 0;
  const byRange = s.scheduleId !== undefined && s.from !== undefined && s.to !== undefined;
  if (byIds === byRange)
    throw badRequest('select slots either by slotIds, or by scheduleId with from and to', 'INVALID_PARAMETER');
  if (byRange) {
    const from = parseInstant(s.from);
    const to = parseInstant(s.to);
    if (from === undefined || to === undefined)
      throw badRequest('from and to must be instants with an offset, e.g. 2026-12-01T09:00:00Z', 'INVALID_PARAMETER');
    if (to <= from) throw badRequest('to must be after from', 'INVALID_PARAMETER');
  }
  return s;
}

export async function setAvailability(
  store: Store,
  tenantId: string,
  input: SlotSelection,
  action: 'block' | 'release',
): Promise<AvailabilityReport> {
  const selection = checkSelection(input);
  const fromStatus = action === 'block' ? 'free' : 'busy-unavailable';
  const toStatus = action === 'block' ? 'busy-unavailable' : 'free';
  const now = new Date().toISOString();
  return store.transaction(async (trx) => {
    let selected = trx.selectFrom('slot').select(['id', 'status']).where('tenant_id', '=', tenantId);
    if (selection.slotIds?.length) selected = selected.where('id', 'in', selection.slotIds);
    else
      selected = selected
        .where('schedule_id', '=', selection.scheduleId!)
        .where('start', '>=', new Date(parseInstant(selection.from)!).toISOString())
        .where('start', '<', new Date(parseInstant(selection.to)!).toISOString());
    const rows = await selected.execute();
    const candidates = rows.filter((r) => r.status === fromStatus).map((r) => r.id);
    const changed: string[] = [];
    for (let i = 0; i < candidates.length; i += 500) {
      const ids = candidates.slice(i, i + 500);
      const result = await trx
        .updateTable('slot')
        .set((eb) => ({ status: toStatus, last_updated: now, version_id: eb('version_id', '+', 1) }))
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', ids)
        .where('status', '=', fromStatus)
        .where('appointment_id', 'is', null)
        .returning('id')
        .execute();
      changed.push(...result.map((r) => r.id));
    }
    await store.announceSlotChange(trx, tenantId);
    store.slotChanges.bump(tenantId);
    const done = new Set(changed);
    return { changed, skipped: rows.filter((r) => !done.has(r.id)).map((r) => ({ id: r.id, status: r.status })) };
  });
}
