/** The tenant's admin audit trail: who changed what, when, with the before and after. */
import { useEffect, useState } from 'react';
import { ErrorSummary, type Problem } from '../components';
import type { AuditEntry, CapacityApi } from './api';
import { Pagination, problemsOf, usePages } from './forms';
import { when } from './time';

/** Audit actions in words. */
const ACTION_NAMES: Record<string, string> = {
  'rota.create': 'Rota created',
  'rota.update': 'Rota changed',
  'rota.generate': 'Rota slots generated',
  'slots.block': 'Slots blocked',
  'slots.release': 'Slots released',
  'slot.extra': 'Extra slot added',
  'release.set': 'Release rule set',
  'release.remove': 'Release rule removed',
  'organisation.type': 'Organisation type set',
  'appointment.status': 'Appointment status changed',
  'mapping.add': 'Service mapped to a schedule',
  'mapping.remove': 'Service unmapped from a schedule',
  'admin.refused': 'Call refused',
  'admin.refused.summary': 'Calls refused (summary)',
};
/** `{type}.put`: a directory entry saved. */
const actionName = (action: string) =>
  ACTION_NAMES[action] ?? (/^[A-Z][A-Za-z]+\.put$/.test(action) ? `${action.slice(0, -4)} saved` : action);

/** Instants in an entry's before and after (UTC in the store), shown in UK time. */
const ukTimes = (value: unknown): string =>
  JSON.stringify(value, null, 2).replace(
    /"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))"/g,
    (m, iso: string) => (Number.isNaN(Date.parse(iso)) ? m : `"${when(iso)} (UK time)"`),
  );

export function AuditPage({ api }: { api: CapacityApi }) {
  const [entries, setEntries] = useState<AuditEntry[]>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const { rows, page, pages, setPage } = usePages(entries ?? []);
  useEffect(() => {
    api.audit().then(
      (a) => setEntries(a.entries),
      (err) => setProblems(problemsOf(err)),
    );
  }, [api]);
  return (
    <>
      <ErrorSummary errors={problems} />
      <h1>Audit trail</h1>
      <p>
        Every change to this tenant's capacity, newest first (the latest 200), with who made it: the name of the admin
        token used.
      </p>
      {entries && entries.length === 0 && <p>No changes yet.</p>}
      {entries && entries.length > 0 && (
        <table className="nhsuk-table">
          <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">
            Changes, newest first{pages > 1 ? `, page ${page} of ${pages}` : ''}
          </caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">When (UK time)</th>
              <th scope="col">Who</th>
              <th scope="col">From</th>
              <th scope="col">What</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {rows.map((e) => (
              <tr key={e.seq}>
                <td>{when(e.at)}</td>
                <td>{e.actor}</td>
                <td>{e.peer ?? ''}</td>
                <td data-action={e.action}>
                  {actionName(e.action)}
                  <br />
                  <span className="sb-muted">{e.target}</span>
                </td>
                <td>
                  {e.before !== null || e.after !== null ? (
                    <details className="nhsuk-details">
                      <summary className="nhsuk-details__summary">
                        <span className="nhsuk-details__summary-text">
                          Before and after
                          <span className="nhsuk-u-visually-hidden">
                            {' '}
                            ({actionName(e.action)} {e.target})
                          </span>
                        </span>
                      </summary>
                      <div className="nhsuk-details__text">
                        {e.before !== null && (
                          <>
                            <p className="nhsuk-body-s">Before</p>
                            <pre className="sb-json">{ukTimes(e.before)}</pre>
                          </>
                        )}
                        {e.after !== null && (
                          <>
                            <p className="nhsuk-body-s">After</p>
                            <pre className="sb-json">{ukTimes(e.after)}</pre>
                          </>
                        )}
                      </div>
                    </details>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination id="audit-pages" label="Audit pages" page={page} pages={pages} setPage={setPage} />
    </>
  );
}
