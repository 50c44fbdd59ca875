/**
 * Rotas: the tenant's list, and the form to create or edit one, preview the slots it will make,
 * save it and generate its slots. Every rule is the provider's: a rejected rota comes back as an
 * OperationOutcome whose issues are shown in the error summary and beside their fields.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ErrorSummary, SummaryList, Tag, type Problem } from '../components';
import { follow, navigate } from '../router';
import {
  BANK_HOLIDAY_REGIONS,
  CHANNELS,
  WEEKDAYS,
  resourceName,
  type CapacityApi,
  type GenerationReport,
  type Rota,
  type RotaInput,
  type RotaPreview,
  type Weekday,
} from './api';
import type { Directory } from './CapacityArea';
import { Checkboxes, Input, Outcome, Radios, Select, errorFor, problemsOf } from './forms';
import { londonDate, londonTime, longDate, when } from './time';

const BANK_HOLIDAYS: Record<string, string> = {
  open: 'Open on bank holidays',
  'england-and-wales': 'Closed on bank holidays in England and Wales',
  scotland: 'Closed on bank holidays in Scotland',
  'northern-ireland': 'Closed on bank holidays in Northern Ireland',
};

const DAY_NAMES: Record<Weekday, string> = {
  Mon: 'Monday',
  Tue: 'Tuesday',
  Wed: 'Wednesday',
  Thu: 'Thursday',
  Fri: 'Friday',
  Sat: 'Saturday',
  Sun: 'Sunday',
};

export function RotaList({ api, directory }: { api: CapacityApi; directory: Directory }) {
  const [rotas, setRotas] = useState<Rota[]>();
  const [problems, setProblems] = useState<Problem[]>([]);
  useEffect(() => {
    api.rotas().then(
      (r) => setRotas(r.rotas),
      (err) => setProblems(problemsOf(err)),
    );
  }, [api]);
  return (
    <>
      <ErrorSummary errors={problems} />
      <h1>Rotas</h1>
      <p>
        A rota makes a schedule's slots from recurring sessions in UK local time. Generating it again never duplicates a
        slot, and never moves or removes a booked or blocked one.
      </p>
      <a className="nhsuk-button" href="/capacity/rotas/new" onClick={follow} role="button" draggable={false}>
        Create a rota
      </a>
      {rotas && rotas.length === 0 && <p>This tenant has no rotas yet.</p>}
      {rotas && rotas.length > 0 && (
        <table className="nhsuk-table">
          <caption className="nhsuk-table__caption">The tenant's rotas</caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">Rota</th>
              <th scope="col">Schedule</th>
              <th scope="col">Sessions</th>
              <th scope="col">Slots</th>
              <th scope="col">In effect</th>
              <th scope="col">
                <span className="nhsuk-u-visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {rotas.map((r) => (
              <tr key={r.id}>
                <td>{r.id}</td>
                <td>{directory.scheduleLabel(r.scheduleId)}</td>
                <td>
                  {r.days.join(', ')} {r.start}–{r.end}
                  {r.bankHolidays && r.bankHolidays !== 'open' && (
                    <>
                      <br />
                      <span className="sb-muted">{BANK_HOLIDAYS[r.bankHolidays] ?? r.bankHolidays}</span>
                    </>
                  )}
                </td>
                <td>
                  {r.slotMinutes} minutes, {r.deliveryChannel ?? 'channel not given'}
                </td>
                <td>
                  from {r.effectiveFrom}
                  {r.effectiveTo ? ` to ${r.effectiveTo}` : ''}
                </td>
                <td>
                  <a href={`/capacity/rotas/${encodeURIComponent(r.id)}`} onClick={follow}>
                    Edit<span className="nhsuk-u-visually-hidden"> rota {r.id}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

interface RotaFields {
  id: string;
  scheduleId: string;
  days: string[];
  start: string;
  end: string;
  slotMinutes: string;
  deliveryChannel: string;
  effectiveFrom: string;
  effectiveTo: string;
  exceptions: string;
  bankHolidays: string;
  practitionerId: string;
  locationId: string;
  timeZone?: string;
}

const fieldsOf = (r: Rota): RotaFields => ({
  id: r.id,
  scheduleId: r.scheduleId,
  days: r.days,
  start: r.start,
  end: r.end,
  slotMinutes: String(r.slotMinutes),
  deliveryChannel: r.deliveryChannel ?? '',
  effectiveFrom: r.effectiveFrom,
  effectiveTo: r.effectiveTo ?? '',
  exceptions: r.exceptions.join('\n'),
  bankHolidays: r.bankHolidays ?? 'open',
  practitionerId: r.practitionerId ?? '',
  locationId: r.locationId ?? '',
  timeZone: r.timeZone,
});

/** The rota as the admin API takes it; what does not parse is sent as typed, for the provider to name. */
function rotaOf(f: RotaFields): RotaInput {
  return {
    id: f.id.trim(),
    scheduleId: f.scheduleId,
    days: f.days as Weekday[],
    start: f.start.trim(),
    end: f.end.trim(),
    slotMinutes: (/^\d+$/.test(f.slotMinutes.trim()) ? Number(f.slotMinutes.trim()) : f.slotMinutes) as number,
    deliveryChannel: (f.deliveryChannel || null) as RotaInput['deliveryChannel'],
    effectiveFrom: f.effectiveFrom,
    ...(f.effectiveTo ? { effectiveTo: f.effectiveTo } : {}),
    exceptions: f.exceptions.split(/[\s,]+/).filter(Boolean),
    ...(f.timeZone ? { timeZone: f.timeZone } : {}),
    bankHolidays: f.bankHolidays as RotaInput['bankHolidays'],
    ...(f.practitionerId ? { practitionerId: f.practitionerId } : {}),
    ...(f.locationId ? { locationId: f.locationId } : {}),
  };
}

/** An OperationOutcome expression → the id of the field it is about. */
const ROTA_FIELDS: Record<string, string> = {
  id: 'rota-id',
  scheduleId: 'rota-scheduleId',
  days: 'rota-days-0',
  start: 'rota-start',
  'start/end': 'rota-start',
  end: 'rota-end',
  slotMinutes: 'rota-slotMinutes',
  deliveryChannel: 'rota-deliveryChannel-0',
  effectiveFrom: 'rota-effectiveFrom',
  effectiveTo: 'rota-effectiveTo',
  exceptions: 'rota-exceptions',
  bankHolidays: 'rota-bankHolidays-0',
  practitionerId: 'rota-practitionerId',
  locationId: 'rota-locationId',
};

export function RotaForm({ api, directory, rotaId }: { api: CapacityApi; directory: Directory; rotaId?: string }) {
  const [fields, setFields] = useState<RotaFields>(() => ({
    id: '',
    scheduleId: directory.schedules[0]?.id ?? '',
    days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
    start: '08:00',
    end: '12:00',
    slotMinutes: '15',
    deliveryChannel: 'In-person',
    effectiveFrom: londonDate(),
    effectiveTo: '',
    exceptions: '',
    bankHolidays: 'open',
    practitionerId: '',
    locationId: '',
  }));
  /** The rota as last saved (or loaded): generating needs a saved rota. */
  const [saved, setSaved] = useState<Rota>();
  const [loaded, setLoaded] = useState(rotaId === undefined);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [message, setMessage] = useState<string>();
  const [previewDays, setPreviewDays] = useState('14');
  const [preview, setPreview] = useState<RotaPreview>();
  const [horizon, setHorizon] = useState('28');
  const [report, setReport] = useState<GenerationReport>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (rotaId === undefined || saved?.id === rotaId) return;
    api.rotas().then(
      ({ rotas }) => {
        const rota = rotas.find((r) => r.id === rotaId);
        if (!rota) return setProblems([{ message: `There is no rota ${rotaId}.` }]);
        setFields(fieldsOf(rota));
        setSaved(rota);
        setLoaded(true);
      },
      (err) => setProblems(problemsOf(err)),
    );
  }, [api, rotaId]);

  const set =
    <K extends keyof RotaFields>(key: K) =>
    (value: RotaFields[K]) =>
      setFields((f) => ({ ...f, [key]: value }));
  const err = (id: string) => errorFor(problems, id);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await action();
      setProblems([]);
    } catch (e) {
      setProblems(problemsOf(e, ROTA_FIELDS));
    } finally {
      setBusy(false);
    }
  };

  const previewSlots = () =>
    run(async () => {
      const days = Number(previewDays);
      if (!Number.isInteger(days) || days < 1 || days > 366)
        throw new Error('Days to preview must be a whole number from 1 to 366');
      setPreview(await api.previewRota(rotaOf(fields), days));
    });

  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const rota = await api.putRota(rotaOf(fields));
      setSaved(rota);
      setFields(fieldsOf(rota));
      setReport(undefined);
      setMessage(`Rota ${rota.id} saved. Generate its slots to offer them.`);
      if (rotaId !== rota.id) navigate(`/capacity/rotas/${encodeURIComponent(rota.id)}`, { replace: true });
    });
  };

  const generate = () =>
    run(async () => {
      const days = Number(horizon);
      if (!saved) throw new Error('Save the rota first');
      setReport(await api.generate(saved.id, Number.isInteger(days) ? days : (horizon as unknown as number)));
    });

  if (!loaded)
    return (
      <>
        <ErrorSummary errors={problems} />
        <p>Reading rota {rotaId} …</p>
      </>
    );

  const none = { value: '', text: 'Not given' };
  return (
    <>
      <form onSubmit={save} noValidate>
        <ErrorSummary errors={problems} />
        <h1>{rotaId ? `Rota ${rotaId}` : 'Create a rota'}</h1>
        {message && <Outcome>{message}</Outcome>}
        <Input
          id="rota-id"
          label="Rota name"
          hint="Lower-case letters, digits and hyphens, for example minors-am; it names the rota's slots"
          error={err('rota-id')}
          value={fields.id}
          onChange={set('id')}
          width={20}
          disabled={rotaId !== undefined}
        />
        <Select
          id="rota-scheduleId"
          label="Schedule"
          hint="The schedule its slots belong to"
          error={err('rota-scheduleId')}
          value={fields.scheduleId}
          onChange={set('scheduleId')}
          options={directory.schedules.map((s) => ({ value: s.id, text: directory.scheduleLabel(s.id) }))}
        />
        <Checkboxes
          id="rota-days"
          legend="Days of the week"
          error={err('rota-days-0')}
          inline
          options={WEEKDAYS.map((d) => ({ value: d, text: DAY_NAMES[d] }))}
          values={fields.days}
          onChange={set('days')}
        />
        <div className="sb-inline-fields">
          <Input
            id="rota-start"
            label="Session starts"
            hint="HH:MM, UK time"
            error={err('rota-start')}
            value={fields.start}
            onChange={set('start')}
            width={5}
          />
          <Input
            id="rota-end"
            label="Session ends"
            hint="HH:MM, UK time"
            error={err('rota-end')}
            value={fields.end}
            onChange={set('end')}
            width={5}
          />
          <Input
            id="rota-slotMinutes"
            label="Slot length"
            hint="Minutes"
            error={err('rota-slotMinutes')}
            value={fields.slotMinutes}
            onChange={set('slotMinutes')}
            width={3}
            inputMode="numeric"
          />
        </div>
        <Radios
          id="rota-deliveryChannel"
          legend="Delivery channel"
          error={err('rota-deliveryChannel-0')}
          inline
          options={[...CHANNELS.map((c) => ({ value: c, text: c })), { value: '', text: 'Not known' }]}
          value={fields.deliveryChannel}
          onChange={set('deliveryChannel')}
        />
        <div className="sb-inline-fields">
          <Input
            id="rota-effectiveFrom"
            label="In effect from"
            error={err('rota-effectiveFrom')}
            value={fields.effectiveFrom}
            onChange={set('effectiveFrom')}
            type="date"
          />
          <Input
            id="rota-effectiveTo"
            label="Until (optional)"
            hint="The last day, included"
            error={err('rota-effectiveTo')}
            value={fields.effectiveTo}
            onChange={set('effectiveTo')}
            type="date"
          />
        </div>
        <div className="nhsuk-form-group">
          <label className="nhsuk-label" htmlFor="rota-exceptions">
            Closed on these dates (optional)
          </label>
          <div className="nhsuk-hint" id="rota-exceptions-hint">
            One date a line, YYYY-MM-DD: closures and other days without sessions
          </div>
          {err('rota-exceptions') && (
            <span className="nhsuk-error-message" id="rota-exceptions-error">
              <span className="nhsuk-u-visually-hidden">Error:</span> {err('rota-exceptions')}
            </span>
          )}
          <textarea
            className={`nhsuk-textarea${err('rota-exceptions') ? ' nhsuk-textarea--error' : ''}`}
            id="rota-exceptions"
            name="rota-exceptions"
            rows={3}
            value={fields.exceptions}
            onChange={(e) => set('exceptions')(e.target.value)}
            aria-describedby={`rota-exceptions-hint${err('rota-exceptions') ? ' rota-exceptions-error' : ''}`}
          />
        </div>
        <Radios
          id="rota-bankHolidays"
          legend="Bank holidays"
          error={err('rota-bankHolidays-0')}
          options={BANK_HOLIDAY_REGIONS.map((r) => ({ value: r, text: BANK_HOLIDAYS[r]! }))}
          value={fields.bankHolidays}
          onChange={set('bankHolidays')}
        />
        <div className="sb-inline-fields">
          <Select
            id="rota-practitionerId"
            label="Practitioner (optional)"
            error={err('rota-practitionerId')}
            value={fields.practitionerId}
            onChange={set('practitionerId')}
            options={[none, ...directory.practitioners.map((p) => ({ value: p.id, text: resourceName(p) }))]}
          />
          <Select
            id="rota-locationId"
            label="Location (optional)"
            error={err('rota-locationId')}
            value={fields.locationId}
            onChange={set('locationId')}
            options={[none, ...directory.locations.map((l) => ({ value: l.id, text: resourceName(l) }))]}
          />
        </div>
        <div className="sb-actions">
          <Input
            id="preview-days"
            label="Days to preview"
            value={previewDays}
            onChange={setPreviewDays}
            width={3}
            inputMode="numeric"
          />
          <button
            className="nhsuk-button nhsuk-button--secondary"
            type="button"
            disabled={busy}
            onClick={() => void previewSlots()}
          >
            Preview slots
          </button>
          <button className="nhsuk-button" type="submit" disabled={busy}>
            Save rota
          </button>
        </div>
      </form>
      {preview && <PreviewTable preview={preview} />}
      {saved && (
        <section aria-labelledby="generate-heading">
          <h2 id="generate-heading">Generate slots</h2>
          <p>
            Makes rota {saved.id}'s slots from now on, removes its future free slots it no longer makes, and keeps
            booked and blocked ones.
          </p>
          <div className="sb-actions">
            <Input
              id="generate-days"
              label="Days ahead"
              value={horizon}
              onChange={setHorizon}
              width={3}
              inputMode="numeric"
            />
            <button className="nhsuk-button" type="button" disabled={busy} onClick={() => void generate()}>
              Generate slots
            </button>
          </div>
          {report && (
            <Outcome>
              <p>Generated rota {report.rota}'s slots:</p>
              <SummaryList
                rows={[
                  ['Added', String(report.added)],
                  ['Removed', String(report.removed)],
                  ['Kept', report.kept.length ? `${report.kept.length} (booked or blocked, so left in place)` : '0'],
                ]}
              />
              {report.kept.length > 0 && (
                <ul>
                  {report.kept.map((k) => (
                    <li key={k.id}>
                      {when(k.start)}: {k.status}
                    </li>
                  ))}
                </ul>
              )}
            </Outcome>
          )}
        </section>
      )}
    </>
  );
}

/** A preview's first/last: an instant shown in UK time, or already a wall-clock time. */
const clock = (value: string) => (/^\d{2}:\d{2}$/.test(value) ? value : londonTime(value));

function PreviewTable({ preview }: { preview: RotaPreview }) {
  return (
    <section aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview: the slots this rota makes</h2>
      <p id="preview-total">
        <Tag colour="blue">{preview.total} slots</Tag> in the next {preview.horizonDays} days
      </p>
      {preview.days.length > 0 && (
        <table className="nhsuk-table">
          <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">Slots per day</caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Slots</th>
              <th scope="col">First starts</th>
              <th scope="col">Last starts</th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {preview.days.map((d) => (
              <tr key={d.date}>
                <td>{longDate(d.date)}</td>
                <td>{d.count}</td>
                <td>{clock(d.first)}</td>
                <td>{clock(d.last)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
