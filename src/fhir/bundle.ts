/** Searchset Bundles (P11, SLOT-1, READ-2). */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from 'fhir/r3.js';

export interface SearchsetParts {
  /** The service root every fullUrl starts with. */
  base: string;
  selfUrl: string;
  matches: Resource[];
  includes?: Resource[];
  outcome?: OperationOutcome;
  /** Omit `total` when the server cut the result short and does not know it. */
  total?: number;
  id?: string;
  lastUpdated?: string;
}

export function searchset(parts: SearchsetParts): Bundle {
  const entry = (resource: Resource, mode: 'match' | 'include' | 'outcome'): BundleEntry => ({
    fullUrl: resource.id ? `${parts.base}/${resource.resourceType}/${resource.id}` : undefined,
    resource,
    search: { mode },
  });
  const entries: BundleEntry[] = [
    ...parts.matches.map((r) => entry(r, 'match')),
    ...(parts.includes ?? []).map((r) => entry(r, 'include')),
  ];
  if (parts.outcome) entries.push({ resource: parts.outcome, search: { mode: 'outcome' } });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    id: parts.id ?? randomUUID(),
    meta: { lastUpdated: parts.lastUpdated ?? new Date().toISOString() },
    type: 'searchset',
  };
  if (parts.total !== undefined) bundle.total = parts.total;
  bundle.link = [{ relation: 'self', url: parts.selfUrl }];
  if (entries.length) bundle.entry = entries.map((e) => (e.fullUrl ? e : { resource: e.resource, search: e.search }));
  return bundle;
}
