/** Operator commands on the store directly: open it, run, close it; a broken rule is a usage error. */
import { OperationOutcomeError } from '../fhir/outcome.js';
import type { Store } from '../store/store.js';
import { storeFrom, UsageError, type Options } from './io.js';

/** A rule the input broke, as a usage error (exit 2) with the rule's message. */
export function rethrowOutcome(err: unknown): never {
  if (err instanceof OperationOutcomeError) throw new UsageError(err.message);
  throw err;
}

/** Opens the store the options name (the store module is loaded only by commands that use one). */
export async function openStoreFrom(values: Options): Promise<Store> {
  const { openStore } = await import('../store/store.js');
  return openStore(storeFrom(values));
}

export async function withStore<T>(values: Options, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStoreFrom(values);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Who made a change from the command line, for the admin audit trail. */
export const cliActor = () => `cli:${process.env.USER ?? 'operator'}`;

export type AdminChange = Parameters<typeof import('../capacity/admin.js').audit>[1];

/** Records an operator's change in the admin audit trail, as the admin API does for its own. */
export async function auditChange(store: Store, change: AdminChange): Promise<void> {
  const { audit } = await import('../capacity/admin.js');
  await audit(store.db, change);
}
