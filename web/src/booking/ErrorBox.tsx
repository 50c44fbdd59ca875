/**
 * What went wrong with the last call to the consumer's API, at the top of the step: the NHS.UK error
 * summary, announced (role=alert) and given the focus when it appears, so that a refusal is never a
 * page that silently does nothing.
 */
import { useEffect, useRef } from 'react';

export function ErrorBox({ error }: { error: string | undefined }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (error) ref.current?.focus();
  }, [error]);
  return (
    error && (
      <div className="nhsuk-error-summary" role="alert" tabIndex={-1} aria-labelledby="problem-title" ref={ref}>
        <h2 className="nhsuk-error-summary__title" id="problem-title">
          There is a problem
        </h2>
        <div className="nhsuk-error-summary__body">
          <p>{error}</p>
        </div>
      </div>
    )
  );
}
