/** The tenant's admin audit trail: who changed what, when, with the before and after. */
import { useEffect, useState } from 'react';
import { ErrorSummary, type Problem } from '../components';
import type { AuditEntry, CapacityApi } from './api';
import { problemsOf } from './forms';
import { when } from './time';

export function AuditPage({ api }: { api: CapacityApi }) {
  const [entries, setEntries] = useState<AuditEntry[]>();
  const [problems, setProblems] = useState<Problem[]>([]);
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
          <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">Changes, newest first</caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">From</th>
              <th scope="col">What</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {entries.map((e) => (
              <tr key={e.seq}>
                <td>{when(e.at)}</td>
                <td>{e.actor}</td>
                <td>{e.peer ?? ''}</td>
                <td>
                  {e.action}
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
                            ({e.action} {e.target})
                          </span>
                        </span>
                      </summary>
                      <div className="nhsuk-details__text">
                        {e.before !== null && (
                          <>
                            <p className="nhsuk-body-s">Before</p>
                            <pre className="sb-json">{JSON.stringify(e.before, null, 2)}</pre>
                          </>
                        )}
                        {e.after !== null && (
                          <>
                            <p className="nhsuk-body-s">After</p>
                            <pre className="sb-json">{JSON.stringify(e.after, null, 2)}</pre>
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
    </>
  );
}
