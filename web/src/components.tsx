/** NHS.UK design system pieces shared by both areas: error summary, form group, summary list, tag, sub-navigation. */
import { useEffect, useRef, type ReactNode } from 'react';
import { follow } from './router';

export interface Problem {
  /** The id of the form field it belongs to, when it belongs to one. */
  field?: string;
  message: string;
}

/** "There is a problem": focused when it appears, each problem linking to its field. */
export function ErrorSummary({ errors, title = 'There is a problem' }: { errors: Problem[]; title?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), [errors]);
  if (!errors.length) return null;
  return (
    <div className="nhsuk-error-summary" aria-labelledby="error-summary-title" role="alert" tabIndex={-1} ref={ref}>
      <h2 className="nhsuk-error-summary__title" id="error-summary-title">
        {title}
      </h2>
      <div className="nhsuk-error-summary__body">
        <ul className="nhsuk-list nhsuk-error-summary__list">
          {errors.map((e, i) => (
            <li key={`${i}:${e.message}`}>{e.field ? <a href={`#${e.field}`}>{e.message}</a> : e.message}</li>
          ))}
        </ul>
      </div>
    </div>
  );
}

export function Field(props: { id: string; label: string; hint?: string; error?: string; children: ReactNode }) {
  return (
    <div className={`nhsuk-form-group${props.error ? ' nhsuk-form-group--error' : ''}`}>
      <label className="nhsuk-label" htmlFor={props.id}>
        {props.label}
      </label>
      {props.hint && (
        <div className="nhsuk-hint" id={`${props.id}-hint`}>
          {props.hint}
        </div>
      )}
      {props.error && (
        <span className="nhsuk-error-message" id={`${props.id}-error`}>
          <span className="nhsuk-u-visually-hidden">Error:</span> {props.error}
        </span>
      )}
      {props.children}
    </div>
  );
}

/** aria-describedby for an input inside a Field. */
export const describedBy = (id: string, hint?: string, error?: string) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

export function SummaryList({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="nhsuk-summary-list">
      {rows.map(([k, v]) => (
        <div className="nhsuk-summary-list__row" key={k}>
          <dt className="nhsuk-summary-list__key">{k}</dt>
          <dd className="nhsuk-summary-list__value">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export type TagColour =
  'white' | 'grey' | 'green' | 'aqua-green' | 'blue' | 'purple' | 'pink' | 'red' | 'orange' | 'yellow';

export function Tag({ colour, children }: { colour: TagColour; children: ReactNode }) {
  return <strong className={`nhsuk-tag nhsuk-tag--${colour}`}>{children}</strong>;
}

/** The pages of an area, below the header's navigation between areas. */
export function SubNavigation({
  label,
  items,
  current,
}: {
  label: string;
  items: { href: string; text: string }[];
  current: string;
}) {
  return (
    <nav className="sb-subnav" aria-label={label}>
      <ul className="sb-subnav__list">
        {items.map((item) => (
          <li className="sb-subnav__item" key={item.href}>
            <a
              className="sb-subnav__link"
              href={item.href}
              aria-current={item.href === current ? 'page' : undefined}
              onClick={follow}
            >
              {item.text}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
