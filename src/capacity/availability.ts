/**
 * Offering and limiting capacity: block free slots (they become `busy-unavailable` and leave every
 * consumer's search) or release blocked ones. Each is one conditional update, so a slot booked in
 * the meantime is never blocked, and a booked slot is never released; what was skipped is reported.
 */
import { badRequest } from '../fhir/outcome.js';
import { parseInstant } from '../fhir/time.js';
import type { Store } from '../store/store.js';

export interface SlotSelection {
  slotIds?: string[];
  scheduleId?: string;
  /** Instants; slots starting at or after `from` and before `to`. */
  from?: string;
  to?: string;
}

export interface AvailabilityReport {
  changed: string[];
  /** Selected slots left as they were, with their status (booked ones, or already so). */
  skipped: { id: string; status: string }[];
}

function checkSelection(s: SlotSelection): void {
  const byIds = Array.isArray(s.slotIds) && s.slotIds.length > 0;
  const byRange = typeof s.scheduleId === 'string' && typeof s.from === 'string' && typeof s.to === 'string';
  if (byIds === byRange)
    throw badRequest('select slots either by slotIds, or by scheduleId with from and to', 'INVALID_PARAMETER');
  if (byIds && (s.slotIds!.length > 5000 || !s.slotIds!.every((id) => typeof id === 'string' && id.length <= 64)))
    throw badRequest(
      'slotIds must be a list of at most 5,000 slot ids (strings of up to 64 characters)',
      'INVALID_PARAMETER',
    );
  if (byRange) {
    const from = parseInstant(s.from);
    const to = parseInstant(s.to);
    if (from === undefined || to === undefined)
      throw badRequest('from and to must be instants with an offset, e.g. 2026-12-01T09:00:00Z', 'INVALID_PARAMETER');
    if (to <= from) throw badRequest('to must be after from', 'INVALID_PARAMETER');
  }
}

export async function setAvailability(
  store: Store,
  tenantId: string,
  selection: SlotSelection,
  action: 'block' | 'release',
): Promise<AvailabilityReport> {
  checkSelection(selection);
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
