/** Form controls of the NHS.UK design system for the capacity pages, and turning an OperationOutcome into form problems. */
import { useState, type MouseEvent, type ReactNode } from 'react';
import { Field, describedBy, type Problem } from '../components';
import { CapacityError } from './api';

/**
 * The problems to show for a failed call: each OperationOutcome issue's diagnostics, linked to the
 * form field its expression names (through `fields`: expression → the field's id).
 */
export function problemsOf(err: unknown, fields: Record<string, string> = {}): Problem[] {
  if (err instanceof CapacityError)
    return err.issues.map((i) => ({ message: i.message, field: i.expression ? fields[i.expression] : undefined }));
  return [{ message: (err as Error).message }];
}

export const errorFor = (problems: Problem[], id: string) => problems.find((p) => p.field === id)?.message;

interface InputProps {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'date' | 'password';
  width?: 2 | 3 | 4 | 5 | 10 | 20 | 30;
  inputMode?: 'numeric' | 'text';
  autoComplete?: string;
  disabled?: boolean;
}

export function Input(p: InputProps) {
  return (
    <Field id={p.id} label={p.label} hint={p.hint} error={p.error}>
      <input
        className={`nhsuk-input${p.width ? ` nhsuk-input--width-${p.width}` : ''}${p.error ? ' nhsuk-input--error' : ''}`}
        id={p.id}
        name={p.id}
        type={p.type ?? 'text'}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        inputMode={p.inputMode}
        autoComplete={p.autoComplete ?? 'off'}
        spellCheck={false}
        disabled={p.disabled}
        aria-describedby={describedBy(p.id, p.hint, p.error)}
      />
    </Field>
  );
}

export function Select(p: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; text: string }[];
}) {
  return (
    <Field id={p.id} label={p.label} hint={p.hint} error={p.error}>
      <select
        className={`nhsuk-select${p.error ? ' nhsuk-select--error' : ''}`}
        id={p.id}
        name={p.id}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        aria-describedby={describedBy(p.id, p.hint, p.error)}
      >
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.text}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Radios or checkboxes in a fieldset; each option's input id is `{id}-{index}`, the first being the one an error links to (`{id}-0`). */
function Choices(p: {
  kind: 'radios' | 'checkboxes';
  id: string;
  legend: string;
  hint?: string;
  error?: string;
  inline?: boolean;
  options: { value: string; text: string }[];
  checked: (value: string) => boolean;
  onChange: (value: string, checked: boolean) => void;
  after?: ReactNode;
}) {
  return (
    <div className={`nhsuk-form-group${p.error ? ' nhsuk-form-group--error' : ''}`}>
      <fieldset className="nhsuk-fieldset" aria-describedby={describedBy(p.id, p.hint, p.error)}>
        <legend className="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">{p.legend}</legend>
        {p.hint && (
          <div className="nhsuk-hint" id={`${p.id}-hint`}>
            {p.hint}
          </div>
        )}
        {p.error && (
          <span className="nhsuk-error-message" id={`${p.id}-error`}>
            <span className="nhsuk-u-visually-hidden">Error:</span> {p.error}
          </span>
        )}
        <div className={`nhsuk-${p.kind}${p.inline ? ` nhsuk-${p.kind}--inline` : ''}`}>
          {p.options.map((o, i) => (
            <div className={`nhsuk-${p.kind}__item`} key={o.value}>
              <input
                className={`nhsuk-${p.kind}__input`}
                id={`${p.id}-${i}`}
                name={p.id}
                type={p.kind === 'radios' ? 'radio' : 'checkbox'}
                value={o.value}
                checked={p.checked(o.value)}
                onChange={(e) => p.onChange(o.value, e.target.checked)}
              />
              <label className={`nhsuk-label nhsuk-${p.kind}__label`} htmlFor={`${p.id}-${i}`}>
                {o.text}
              </label>
            </div>
          ))}
        </div>
        {p.after}
      </fieldset>
    </div>
  );
}

export function Radios(p: {
  id: string;
  legend: string;
  hint?: string;
  error?: string;
  inline?: boolean;
  options: { value: string; text: string }[];
  value: string;
  onChange: (value: string) => void;
}) {
  return <Choices kind="radios" {...p} checked={(v) => v === p.value} onChange={(v) => p.onChange(v)} />;
}

export function Checkboxes(p: {
  id: string;
  legend: string;
  hint?: string;
  error?: string;
  inline?: boolean;
  options: { value: string; text: string }[];
  values: string[];
  onChange: (values: string[]) => void;
}) {
  return (
    <Choices
      kind="checkboxes"
      {...p}
      checked={(v) => p.values.includes(v)}
      onChange={(v, on) =>
        p.onChange(
          on
            ? [...p.values, v].sort(
                (a, b) => p.options.findIndex((o) => o.value === a) - p.options.findIndex((o) => o.value === b),
              )
            : p.values.filter((x) => x !== v),
        )
      }
    />
  );
}

/** A message after an action: an inset text that says what happened. */
export function Outcome({ children }: { children: ReactNode }) {
  return (
    <div className="nhsuk-inset-text" role="status">
      <span className="nhsuk-u-visually-hidden">Information: </span>
      {children}
    </div>
  );
}

/** Rows per page of a long table. */
export const PAGE_SIZE = 25;

/** A long list's current page: its rows, and the pagination to move between pages. */
export function usePages<T>(items: T[], size = PAGE_SIZE) {
  const [page, setPage] = useState(1);
  const pages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(page, pages);
  return { rows: items.slice((current - 1) * size, current * size), page: current, pages, setPage };
}

/** The NHS.UK numbered pagination, for a table's pages (nothing when there is one page). */
export function Pagination({
  id,
  label,
  page,
  pages,
  setPage,
}: {
  id: string;
  label: string;
  page: number;
  pages: number;
  setPage: (page: number) => void;
}) {
  if (pages <= 1) return null;
  const go = (n: number) => (e: MouseEvent) => {
    e.preventDefault();
    setPage(n);
  };
  const href = (n: number) => `#${id}-page-${n}`;
  return (
    <nav className="nhsuk-pagination nhsuk-pagination--numbered" id={id} role="navigation" aria-label={label}>
      {page > 1 && (
        <a href={href(page - 1)} className="nhsuk-pagination__previous" rel="prev" onClick={go(page - 1)}>
          <span className="nhsuk-pagination__title">
            Previous<span className="nhsuk-u-visually-hidden"> page</span>
          </span>
        </a>
      )}
      <ul className="nhsuk-pagination__list">
        {Array.from({ length: pages }, (_, i) => i + 1).map((n) => (
          <li key={n} className={`nhsuk-pagination__item${n === page ? ' nhsuk-pagination__item--current' : ''}`}>
            <a
              className="nhsuk-pagination__link"
              href={href(n)}
              aria-label={`Page ${n}`}
              aria-current={n === page ? 'page' : undefined}
              onClick={go(n)}
            >
              {n}
            </a>
          </li>
        ))}
      </ul>
      {page < pages && (
        <a href={href(page + 1)} className="nhsuk-pagination__next" rel="next" onClick={go(page + 1)}>
          <span className="nhsuk-pagination__title">
            Next<span className="nhsuk-u-visually-hidden"> page</span>
          </span>
        </a>
      )}
    </nav>
  );
}
