/** Operator commands on the store directly: open it, run, close it; a broken rule is a usage error. */
import { OperationOutcomeError } from '../fhir/outcome.js';
import { openStore, type Store } from '../store/store.js';
import { UsageError, storeFrom, type Options } from './io.js';

/** A rule the input broke, as a usage error (exit 2) with the rule's message. */
export function rethrowOutcome(err: unknown): never {
  if (err instanceof OperationOutcomeError) throw new UsageError(err.message);
  throw err;
}

export async function withStore<T>(values: Options, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeFrom(values));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
