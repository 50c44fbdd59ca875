/** A provider on a real port with the test catalogue and an admin token, for the capacity tests. */
import { createAdminToken } from '../../src/capacity/admin.js';
import { buildProviderServer, type ProviderServer, type ProviderServerOptions } from '../../src/server/provider.js';
import { TENANT, seedCatalogue, type Catalogue } from './provider.js';
import { testStore, type TestStore } from './store.js';

export interface AdminProvider {
  ts: TestStore;
  provider: ProviderServer;
  catalogue: Catalogue;
  origin: string;
  /** The admin token made for this provider's TENANT (name: the `actor` given). */
  admin: string;
  root(): string;
  /** Calls `/admin/{TENANT}{path}` with the admin token (or `auth`, or none when null). */
  adminCall(method: string, path: string, body?: unknown, auth?: string | null): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startAdminProvider(
  actor: string,
  options: { adminToken?: string; admin?: ProviderServerOptions['admin'] } = {},
): Promise<AdminProvider> {
  const ts = await testStore();
  const catalogue = await seedCatalogue(ts.store);
  const provider = await buildProviderServer({
    store: ts.store,
    publicOrigin: 'http://placeholder',
    auditFlushMs: 5,
    adminToken: options.adminToken,
    admin: options.admin,
  });
  const origin = (await provider.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  provider.tenants.publicOrigin = origin;
  const { token: admin } = await createAdminToken(ts.store.db, { name: actor, tenants: [TENANT] });
  return {
    ts,
    provider,
    catalogue,
    origin,
    admin,
    root: () => `${origin}/STU3/1/${TENANT}`,
    adminCall: async (method, path, body, auth = admin) => {
      const res = await fetch(`${origin}/admin/${TENANT}${path}`, {
        method,
        headers: {
          ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as any) };
    },
    close: async () => {
      await provider.app.close();
      await ts.dispose();
    },
  };
}
