/**
 * Release rules (which consumer sees which slot, per schedule) and the organisation types the tenant
 * gives consumer organisations. The matching table is in docs/capacity.md; the provider applies it.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ErrorSummary, SummaryList, Tag, type Problem } from '../components';
import { ORGANISATION_TYPES, organisationTypeName, type CapacityApi, type ReleaseRule } from './api';
import type { Directory } from './CapacityArea';
import { Checkboxes, Input, Outcome, Select, errorFor, problemsOf } from './forms';

interface RuleFields {
  bookable: boolean;
  organisations: string;
  organisationTypes: string[];
  capPerDay: string;
  capPerSession: string;
  bookingWindowDays: string;
  embargoMinutes: string;
}

const NUMBERS = ['capPerDay', 'capPerSession', 'bookingWindowDays', 'embargoMinutes'] as const;

const RULE_FIELDS: Record<string, string> = {
  bookable: 'rule-bookable',
  organisations: 'rule-organisations',
  organisationTypes: 'rule-organisationTypes-0',
  capPerDay: 'rule-capPerDay',
  capPerSession: 'rule-capPerSession',
  bookingWindowDays: 'rule-bookingWindowDays',
  embargoMinutes: 'rule-embargoMinutes',
};

const fieldsOf = (r?: ReleaseRule): RuleFields => ({
  bookable: r?.bookable ?? true,
  organisations: (r?.organisations ?? []).join(', '),
  organisationTypes: r?.organisationTypes ?? [],
  capPerDay: r?.capPerDay === undefined ? '' : String(r.capPerDay),
  capPerSession: r?.capPerSession === undefined ? '' : String(r.capPerSession),
  bookingWindowDays: r?.bookingWindowDays === undefined ? '' : String(r.bookingWindowDays),
  embargoMinutes: r?.embargoMinutes === undefined ? '' : String(r.embargoMinutes),
});

/** The rule as the admin API takes it; a number that does not parse is sent as typed, for the provider to name. */
function ruleOf(f: RuleFields): Omit<ReleaseRule, 'scheduleId'> {
  const rule: Omit<ReleaseRule, 'scheduleId'> = {
    bookable: f.bookable,
    organisations: f.organisations.split(/[\s,]+/).filter(Boolean),
    organisationTypes: f.organisationTypes,
  };
  for (const key of NUMBERS) {
    const text = f[key].trim();
    if (text) rule[key] = (/^\d+$/.test(text) ? Number(text) : text) as number;
  }
  return rule;
}

function ruleRows(rule: ReleaseRule): [string, string][] {
  const rows: [string, string][] = [
    ['Bookable by consumers', rule.bookable ? 'Yes' : 'No: no external consumer sees or books these slots'],
  ];
  rows.push(['Organisations', rule.organisations.length ? rule.organisations.join(', ') : 'Any']);
  rows.push([
    'Organisation types',
    rule.organisationTypes.length ? rule.organisationTypes.map(organisationTypeName).join(', ') : 'Any',
  ]);
  if (rule.capPerDay !== undefined) rows.push(['Bookings a day at most', String(rule.capPerDay)]);
  if (rule.capPerSession !== undefined) rows.push(['Bookings a session at most', String(rule.capPerSession)]);
  if (rule.bookingWindowDays !== undefined) rows.push(['Booking window', `${rule.bookingWindowDays} days ahead`]);
  if (rule.embargoMinutes !== undefined)
    rows.push(['Embargo', `not within ${rule.embargoMinutes} minutes of the start`]);
  return rows;
}

export function ReleasePage({ api, directory }: { api: CapacityApi; directory: Directory }) {
  const [rules, setRules] = useState<ReleaseRule[]>();
  const [types, setTypes] = useState<{ ods_code: string; type: string }[]>([]);
  const [editing, setEditing] = useState<{ scheduleId: string; fields: RuleFields }>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [message, setMessage] = useState<string>();
  const [orgForm, setOrgForm] = useState({ ods: '', type: 'nhs-111' });
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const release = await api.release();
    setRules(release.rules);
    setTypes(release.organisationTypes);
  }, [api]);
  useEffect(() => {
    load().catch((err) => setProblems(problemsOf(err)));
  }, [load]);

  const run = async (action: () => Promise<string>, fields: Record<string, string> = RULE_FIELDS) => {
    setBusy(true);
    setMessage(undefined);
    try {
      setMessage(await action());
      setProblems([]);
      await load();
    } catch (err) {
      setProblems(problemsOf(err, fields));
    } finally {
      setBusy(false);
    }
  };

  const saveRule = (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    void run(async () => {
      await api.putRelease(editing.scheduleId, ruleOf(editing.fields));
      setEditing(undefined);
      return `The release rule of ${editing.scheduleId} is saved; consumers' searches follow it at once.`;
    });
  };

  const setType = (e: FormEvent) => {
    e.preventDefault();
    const ods = orgForm.ods.trim().toUpperCase();
    if (!/^[A-Z0-9]{1,12}$/.test(ods))
      return setProblems([{ field: 'org-ods', message: 'Enter the organisation’s ODS code, for example A1001' }]);
    void run(
      async () => {
        const result = await api.organisationType(ods, orgForm.type === 'none' ? null : orgForm.type);
        return result.type
          ? `${result.ods} is now of type ${organisationTypeName(result.type)}.`
          : `${result.ods} no longer has a type.`;
      },
      { type: 'org-type' },
    );
  };

  const set =
    <K extends keyof RuleFields>(key: K) =>
    (value: RuleFields[K]) =>
      setEditing((e) => e && { ...e, fields: { ...e.fields, [key]: value } });
  const err = (id: string) => errorFor(problems, id);

  return (
    <>
      <ErrorSummary errors={problems} />
      <h1>Release rules</h1>
      <p>
        A schedule without a rule is released to every consumer. A rule can keep a schedule's slots from consumers,
        release them only to some organisations or organisation types, cap the bookings a day or a session, and limit
        how far ahead or how soon before the start they can be booked.
      </p>
      {message && <Outcome>{message}</Outcome>}
      {!rules ? (
        <p>Reading the rules …</p>
      ) : (
        directory.schedules.map((s) => {
          const rule = rules.find((r) => r.scheduleId === s.id);
          const open = editing?.scheduleId === s.id;
          return (
            <section className="nhsuk-card" key={s.id} aria-labelledby={`rule-heading-${s.id}`}>
              <div className="nhsuk-card__content">
                <h2 className="nhsuk-card__heading nhsuk-heading-m" id={`rule-heading-${s.id}`}>
                  {directory.scheduleLabel(s.id)}{' '}
                  {rule ? (
                    <Tag colour={rule.bookable ? 'orange' : 'red'}>{rule.bookable ? 'Restricted' : 'Not bookable'}</Tag>
                  ) : (
                    <Tag colour="green">Released to all</Tag>
                  )}
                </h2>
                {rule ? (
                  <SummaryList rows={ruleRows(rule)} />
                ) : (
                  <p>No rule: every consumer sees and can book its free slots.</p>
                )}
                {open ? (
                  <form onSubmit={saveRule} noValidate>
                    <div className="nhsuk-form-group">
                      <div className="nhsuk-checkboxes">
                        <div className="nhsuk-checkboxes__item">
                          <input
                            className="nhsuk-checkboxes__input"
                            id="rule-bookable"
                            type="checkbox"
                            checked={editing.fields.bookable}
                            onChange={(e) => set('bookable')(e.target.checked)}
                          />
                          <label className="nhsuk-label nhsuk-checkboxes__label" htmlFor="rule-bookable">
                            Bookable by external consumers
                          </label>
                        </div>
                      </div>
                    </div>
                    <Input
                      id="rule-organisations"
                      label="Released only to these organisations (optional)"
                      hint="ODS codes, separated by commas; empty: any organisation"
                      error={err('rule-organisations')}
                      value={editing.fields.organisations}
                      onChange={set('organisations')}
                      width={30}
                    />
                    <Checkboxes
                      id="rule-organisationTypes"
                      legend="Released only to these organisation types (optional)"
                      hint="None ticked: any type"
                      error={err('rule-organisationTypes-0')}
                      options={ORGANISATION_TYPES.map((t) => ({ value: t, text: organisationTypeName(t) }))}
                      values={editing.fields.organisationTypes}
                      onChange={set('organisationTypes')}
                    />
                    <div className="sb-inline-fields">
                      <Input
                        id="rule-capPerDay"
                        label="Bookings a day at most"
                        hint="Optional"
                        error={err('rule-capPerDay')}
                        value={editing.fields.capPerDay}
                        onChange={set('capPerDay')}
                        width={4}
                        inputMode="numeric"
                      />
                      <Input
                        id="rule-capPerSession"
                        label="Bookings a session at most"
                        hint="Optional"
                        error={err('rule-capPerSession')}
                        value={editing.fields.capPerSession}
                        onChange={set('capPerSession')}
                        width={4}
                        inputMode="numeric"
                      />
                      <Input
                        id="rule-bookingWindowDays"
                        label="Booking window (days)"
                        hint="Optional"
                        error={err('rule-bookingWindowDays')}
                        value={editing.fields.bookingWindowDays}
                        onChange={set('bookingWindowDays')}
                        width={4}
                        inputMode="numeric"
                      />
                      <Input
                        id="rule-embargoMinutes"
                        label="Embargo (minutes)"
                        hint="Optional"
                        error={err('rule-embargoMinutes')}
                        value={editing.fields.embargoMinutes}
                        onChange={set('embargoMinutes')}
                        width={4}
                        inputMode="numeric"
                      />
                    </div>
                    <div className="sb-actions">
                      <button className="nhsuk-button" type="submit" disabled={busy}>
                        Save rule<span className="nhsuk-u-visually-hidden"> for {s.id}</span>
                      </button>
                      <button
                        className="nhsuk-button nhsuk-button--secondary"
                        type="button"
                        onClick={() => (setEditing(undefined), setProblems([]))}
                      >
                        Cancel<span className="nhsuk-u-visually-hidden"> changing the rule for {s.id}</span>
                      </button>
                    </div>
                  </form>
                ) : (
                  <div className="sb-actions">
                    <button
                      className="nhsuk-button nhsuk-button--secondary"
                      type="button"
                      disabled={busy}
                      onClick={() => (setEditing({ scheduleId: s.id, fields: fieldsOf(rule) }), setProblems([]))}
                    >
                      {rule ? 'Change rule' : 'Add a rule'}
                      <span className="nhsuk-u-visually-hidden"> for {s.id}</span>
                    </button>
                    {rule && (
                      <button
                        className="nhsuk-button nhsuk-button--warning"
                        type="button"
                        disabled={busy}
                        onClick={() =>
                          void run(
                            async () => (
                              await api.deleteRelease(s.id),
                              `${s.id} has no rule now: it is released to every consumer.`
                            ),
                          )
                        }
                      >
                        Remove rule<span className="nhsuk-u-visually-hidden"> for {s.id}</span>
                      </button>
                    )}
                  </div>
                )}
              </div>
            </section>
          );
        })
      )}

      <h2>Organisation types</h2>
      <p>
        A consumer organisation's type is the tenant's to give; rules released to organisation types match only
        organisations given a type here.
      </p>
      {types.length > 0 && (
        <table className="nhsuk-table">
          <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">
            Consumer organisations and their types
          </caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">ODS code</th>
              <th scope="col">Type</th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {types.map((t) => (
              <tr key={t.ods_code}>
                <td>{t.ods_code}</td>
                <td>{organisationTypeName(t.type)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={setType} noValidate>
        <div className="sb-inline-fields">
          <Input
            id="org-ods"
            label="Consumer organisation's ODS code"
            error={err('org-ods')}
            value={orgForm.ods}
            onChange={(ods) => setOrgForm({ ...orgForm, ods })}
            width={10}
          />
          <Select
            id="org-type"
            label="Type"
            error={err('org-type')}
            value={orgForm.type}
            onChange={(type) => setOrgForm({ ...orgForm, type })}
            options={[
              ...ORGANISATION_TYPES.map((t) => ({ value: t, text: organisationTypeName(t) })),
              { value: 'none', text: 'No type (remove it)' },
            ]}
          />
        </div>
        <button className="nhsuk-button nhsuk-button--secondary" type="submit" disabled={busy}>
          Set the type
        </button>
      </form>
    </>
  );
}
