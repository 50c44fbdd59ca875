/**
 * The provider organisations (tenants) this process serves, each with its own service root
 * `{public origin}/STU3/1/{tenant}` and ASID.
 */
import type { Store } from '../store/store.js';
import type { Tenant } from '../store/schema.js';

export const FHIR_BASE_PATH = '/STU3/1';
/** How stale the tenant list (and each tenant's consumer policy) may get. */
export const TENANT_REFRESH_MS = 2000;

export class TenantDirectory {
  private tenants = new Map<string, Tenant>();
  private refused = new Map<string, Set<string>>();
  private loadedAt = 0;

  constructor(
    private readonly store: Store,
    /** Set after listening when the port was chosen by the system. */
    public publicOrigin: string,
  ) {}

  async load(): Promise<Tenant[]> {
    const rows = await this.store.db.selectFrom('tenant').selectAll().orderBy('id').execute();
    this.tenants = new Map(rows.map((t) => [t.id, t]));
    this.refused = new Map(rows.map((t) => [t.id, new Set(parseList(t.refused_organisations))]));
    this.loadedAt = Date.now();
    return rows;
  }

  /**
   * The tenant. The list is reloaded when a tenant is missing (at most once a second) and every
   * few seconds anyway, so tenants and policies changed by another process (the CLI, another API
   * node) take effect without a restart.
   */
  find(id: string): Tenant | undefined | Promise<Tenant | undefined> {
    const age = Date.now() - this.loadedAt;
    const hit = this.tenants.get(id);
    if ((hit && age < TENANT_REFRESH_MS) || (!hit && age < 1000)) return hit; // no promise on the hot path
    return this.load().then(() => this.tenants.get(id));
  }

  all(): Tenant[] {
    return [...this.tenants.values()];
  }

  serviceRoot(tenantId: string): string {
    return serviceRootOf(this.publicOrigin, tenantId);
  }

  /** P7: does the tenant's local policy refuse this consumer organisation? */
  refuses(tenantId: string, odsCode: string): boolean {
    return this.refused.get(tenantId)?.has(odsCode.toUpperCase()) ?? false;
  }
}

export function serviceRootOf(publicOrigin: string, tenantId: string): string {
  return `${publicOrigin.replace(/\/+$/, '')}${FHIR_BASE_PATH}/${tenantId}`;
}

function parseList(json: string): string[] {
  try {
    const value = JSON.parse(json);
    return Array.isArray(value) ? value.map((v) => String(v).toUpperCase()) : [];
  } catch {
    return [];
  }
}
