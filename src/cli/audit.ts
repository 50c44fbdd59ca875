/** `slotbridge audit`: read the provider's append-only audit trail. */
import type { Command } from './command.js';
import { UsageError, print, storeOptions } from './io.js';
import { withStore } from './with-store.js';

export const auditCommands: Command[] = [
  {
    name: 'audit',
    usage:
      '[--tenant ID] [--since ISO] [--request-id ID] [--consumer-faults] [--limit N] [--data DIR | --database-url URL]',
    summary: "the provider's append-only audit trail, oldest first",
    options: {
      ...storeOptions,
      tenant: { type: 'string' },
      since: { type: 'string' },
      'request-id': { type: 'string' },
      'consumer-faults': { type: 'boolean' },
      limit: { type: 'string' },
    },
    async run(values) {
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit <= 0)
        throw new UsageError(`--limit ${String(values.limit)} is not a positive whole number`);
      const rows = await withStore(values, async (store) => {
        let query = store.db.selectFrom('audit_event').selectAll();
        if (values.tenant) query = query.where('tenant_id', '=', values.tenant as string);
        if (values.since) query = query.where('at', '>=', new Date(values.since as string).toISOString());
        if (values['request-id']) {
          const id = values['request-id'] as string;
          query = query.where((eb) => eb.or([eb('request_id', '=', id), eb('correlation_id', '=', id)]));
        }
        if (values['consumer-faults']) query = query.where('consumer_fault', '=', 1);
        return (await query.orderBy('seq', 'desc').limit(limit).execute()).reverse();
      });
      print(
        values,
        rows,
        rows.map((r) =>
          [
            r.at,
            r.tenant_id ?? '-',
            `${r.method} ${r.path}`,
            r.status,
            r.interaction ?? '-',
            `org=${r.organisation_ods ?? '-'}`,
            `user=${r.practitioner_id ?? '-'}`,
            `x-request-id=${r.request_id}`,
            r.correlation_id ? `correlation=${r.correlation_id}` : '',
            r.ssp_trace_id ? `trace=${r.ssp_trace_id}` : '',
            r.peer_address ? `peer=${r.peer_address}` : '',
            r.via_proxy === 1 ? 'via-proxy' : r.via_proxy === 0 ? 'NOT-THE-PROXY' : '',
            r.forwarded ? `forwarded="${r.forwarded}"` : '',
            r.consumer_fault ? 'CONSUMER-FAULT' : '',
            r.diagnostics ? `"${r.diagnostics}"` : '',
          ]
            .filter((x) => x !== '')
            .join('  '),
        ),
      );
      return 0;
    },
  },
];
