/**
 * What the proxy asks the endpoint directory on every call: may this ASID send or receive this
 * interaction, and which service roots are registered for the receiver? Answers are kept for a
 * short while (and dropped on any local directory change) so a call costs no database reads. Each
 * cache holds at most MAX_ENTRIES answers (an Ssp-From of any digits must not grow it without bound).
 */
import { LRUCache } from 'lru-cache';
import type { Store } from '../../store/store.js';
import { findMessageHandlingServices, getAccreditedSystem, type AccreditedSystem } from '../endpoints/repository.js';
import { INTERACTIONS, SLOT_SEARCH_ALIAS } from '../interactions.js';

const sameInteraction = (a: string, b: string) => a === b || (isSlotSearch(a) && isSlotSearch(b));
const isSlotSearch = (i: string) => i === INTERACTIONS.slotSearch || i === SLOT_SEARCH_ALIAS;

const MAX_ENTRIES = 10_000;
type Cached<T> = LRUCache<string, { at: number; value: Promise<T> }>;

export class DirectoryView {
  private systems: Cached<AccreditedSystem | undefined> = new LRUCache({ max: MAX_ENTRIES });
  private endpoints: Cached<string[]> = new LRUCache({ max: MAX_ENTRIES });

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 2000,
  ) {}

  /** Forget everything (the directory changed). */
  invalidate(): void {
    this.systems.clear();
    this.endpoints.clear();
  }

  private cached<T>(map: Cached<T>, key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = map.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = load();
    map.set(key, { at: now, value });
    value.catch(() => map.delete(key));
    return value;
  }

  system(asid: string): Promise<AccreditedSystem | undefined> {
    return this.cached(this.systems, asid, () => getAccreditedSystem(this.store.db, asid));
  }

  /** True when the system is registered and lists the interaction. */
  async mayUse(asid: string, interaction: string): Promise<boolean> {
    const system = await this.system(asid);
    return Boolean(system?.nhsAsSvcIA.some((i) => sameInteraction(i, interaction)));
  }

  /** The service roots registered for the receiver's party key and this interaction. */
  async endpointsOf(asid: string, interaction: string): Promise<string[]> {
    const system = await this.system(asid);
    if (!system) return [];
    return this.cached(this.endpoints, `${system.nhsMHSPartyKey} ${interaction}`, async () => {
      const all = await findMessageHandlingServices(this.store.db, system.nhsMHSPartyKey);
      return all.filter((m) => sameInteraction(m.nhsMhsSvcIA, interaction)).map((m) => m.nhsMHSEndPoint);
    });
  }
}
