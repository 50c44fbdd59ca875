/** What went wrong with the last call to the consumer's API, at the top of the step. */
export function ErrorBox({ error }: { error: string | undefined }) {
  return (
    error && (
      <div className="nhsuk-error-summary" role="alert" tabIndex={-1} aria-labelledby="problem-title">
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
