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
import { Checkboxes, Input, Outcome, Pagination, Radios, Select, errorFor, problemsOf, usePages } from './forms';
import { isDate, isTime, londonDate, londonTime, longDate, normaliseTime, when } from './time';

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
  const { rows, page, pages, setPage } = usePages(rotas ?? []);
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
            {rows.map((r) => (
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
      <Pagination id="rota-pages" label="Rota pages" page={page} pages={pages} setPage={setPage} />
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
    start: normaliseTime(f.start),
    end: normaliseTime(f.end),
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

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Every problem with the form at once, in its own words, each against its field: the page checks
 * before it sends anything (an empty name would otherwise make a request to the wrong address). The
 * provider checks again (the schedule exists, sessions of a schedule do not overlap, …).
 */
export function rotaProblems(f: RotaFields, today = londonDate()): Problem[] {
  const found: Problem[] = [];
  const id = f.id.trim();
  if (!id) found.push({ field: 'rota-id', message: 'Enter a name for the rota, for example minors-am' });
  else if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(id))
    found.push({
      field: 'rota-id',
      message: 'The rota name must be 1 to 40 lower-case letters, digits or hyphens, for example minors-am',
    });
  if (!f.scheduleId) found.push({ field: 'rota-scheduleId', message: 'Choose the schedule its slots belong to' });
  if (!f.days.length) found.push({ field: 'rota-days-0', message: 'Choose at least one day of the week' });
  const start = isTime(f.start) ? normaliseTime(f.start) : undefined;
  const end = isTime(f.end) ? normaliseTime(f.end) : undefined;
  if (!start)
    found.push({ field: 'rota-start', message: 'Enter the time the session starts, for example 8:00 or 08:00' });
  if (!end) found.push({ field: 'rota-end', message: 'Enter the time the session ends, for example 12:00' });
  if (start && end && minutesOf(end) <= minutesOf(start))
    found.push({ field: 'rota-end', message: `The session must end after it starts (${start})` });
  const slot = f.slotMinutes.trim();
  if (!/^\d+$/.test(slot) || Number(slot) < 5 || Number(slot) > 480)
    found.push({ field: 'rota-slotMinutes', message: 'Enter the slot length in whole minutes, from 5 to 480' });
  else if (start && end && minutesOf(end) > minutesOf(start) && Number(slot) > minutesOf(end) - minutesOf(start))
    found.push({ field: 'rota-slotMinutes', message: 'The slot length must fit in the session' });
  if (!isDate(f.effectiveFrom))
    found.push({
      field: 'rota-effectiveFrom',
      message: 'Enter the first day the rota is in effect, for example 2026-12-01',
    });
  if (f.effectiveTo) {
    if (!isDate(f.effectiveTo))
      found.push({ field: 'rota-effectiveTo', message: 'Enter the last day as a date, for example 2027-03-31' });
    else if (isDate(f.effectiveFrom) && f.effectiveTo < f.effectiveFrom)
      found.push({ field: 'rota-effectiveTo', message: 'The last day must be on or after the first day' });
    else if (f.effectiveTo < today)
      found.push({
        field: 'rota-effectiveTo',
        message:
          `This rota is wholly in the past: it ended on ${longDate(f.effectiveTo)}, before today, ` +
          'so it would make no slots. Check the dates',
      });
  }
  const bad = f.exceptions.split(/[\s,]+/).filter((d) => d && !isDate(d));
  if (bad.length)
    found.push({
      field: 'rota-exceptions',
      message: `Closed dates must be dates written YYYY-MM-DD, one a line (not ${bad.slice(0, 3).join(', ')})`,
    });
  return found;
}

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

  /** The form's problems (all of them), shown instead of sending; true when there are none. */
  const checked = (extra: Problem[] = []) => {
    const found = [...rotaProblems(fields), ...extra];
    if (found.length) {
      setMessage(undefined);
      setProblems(found);
    }
    return found.length === 0;
  };

  const previewSlots = () => {
    const days = Number(previewDays);
    const extra =
      !/^\d+$/.test(previewDays.trim()) || days < 1 || days > 366
        ? [{ field: 'preview-days', message: 'Enter the days to preview as a whole number from 1 to 366' }]
        : [];
    // A rota wholly in the past may be previewed: the preview says so.
    const found = [...rotaProblems(fields).filter((p) => !p.message.startsWith('This rota is wholly')), ...extra];
    if (found.length) {
      setMessage(undefined);
      return setProblems(found);
    }
    return run(async () => {
      setPreview(await api.previewRota(rotaOf(fields), days));
    });
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!checked()) return;
    void run(async () => {
      const rota = await api.putRota(rotaOf(fields));
      setSaved(rota);
      setFields(fieldsOf(rota));
      setReport(undefined);
      setMessage(`Rota ${rota.id} saved. Generate its slots to offer them.`);
      if (rotaId !== rota.id) navigate(`/capacity/rotas/${encodeURIComponent(rota.id)}`, { replace: true });
    });
  };

  const generate = () => {
    const days = Number(horizon);
    if (!/^\d+$/.test(horizon.trim()) || days < 1 || days > 366)
      return setProblems([{ field: 'generate-days', message: 'Enter the days ahead as a whole number from 1 to 366' }]);
    return run(async () => {
      if (!saved) throw new Error('Save the rota first');
      setReport(await api.generate(saved.id, days));
    });
  };

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
            hint="For example 8:00 or 08:00, UK time"
            error={err('rota-start')}
            value={fields.start}
            onChange={set('start')}
            width={5}
          />
          <Input
            id="rota-end"
            label="Session ends"
            hint="For example 12:00, UK time"
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
            error={err('preview-days')}
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
              error={err('generate-days')}
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
                  [
                    'Skipped',
                    report.skipped.count
                      ? `${report.skipped.count} (another slot of the schedule is already there: a rota never doubles a slot)`
                      : '0',
                  ],
                ]}
              />
              <SkipDetails skipped={report.skipped} />
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

/** Why slots were (or would be) skipped: counts per reason, and the first few with what they overlap. */
function SkipDetails({ skipped }: { skipped: RotaPreview['skipped'] }) {
  if (!skipped.count) return null;
  return (
    <div id="skipped">
      <ul>
        {skipped.reasons.map((r) => (
          <li key={r.reason}>
            {r.count} {r.count === 1 ? 'slot' : 'slots'} not added: {r.text}
          </li>
        ))}
      </ul>
      <p className="nhsuk-body-s">For example:</p>
      <ul className="nhsuk-body-s">
        {skipped.examples.map((x) => (
          <li key={x.start}>
            {when(x.start)}–{londonTime(x.end)} overlaps {slotKind(x.overlaps.id)} {londonTime(x.overlaps.start)}–
            {londonTime(x.overlaps.end)} ({STATUS_NAMES[x.overlaps.status] ?? x.overlaps.status})
          </li>
        ))}
      </ul>
    </div>
  );
}

const STATUS_NAMES: Record<string, string> = { free: 'free', busy: 'booked', 'busy-unavailable': 'blocked' };
/** What made a slot, from its id: a rota, an extra slot, or something else. */
const slotKind = (id: string) =>
  id.startsWith('rota.') ? `rota ${id.split('.')[1]}'s slot` : id.startsWith('extra.') ? 'an extra slot' : 'the slot';

function PreviewTable({ preview }: { preview: RotaPreview }) {
  const { rows, page, pages, setPage } = usePages(preview.days);
  const adding = preview.total - preview.existing - preview.skipped.count;
  return (
    <section aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview: the slots this rota makes</h2>
      {preview.past && (
        <div className="nhsuk-warning-callout" id="preview-past">
          <h3 className="nhsuk-warning-callout__label">
            <span role="text">
              <span className="nhsuk-u-visually-hidden">Important: </span>
              This rota is wholly in the past
            </span>
          </h3>
          <p>It ended on {longDate(preview.rota.effectiveTo!)}, before today, so it makes no slots. Check the dates.</p>
        </div>
      )}
      <p id="preview-total">
        <Tag colour="blue">{preview.total} slots</Tag> in the next {preview.horizonDays} days
      </p>
      {preview.total > 0 && (
        <p id="preview-breakdown">
          Generating now would add {adding}
          {preview.existing > 0 && `; ${preview.existing} are already there`}
          {preview.skipped.count > 0 &&
            `; ${preview.skipped.count} would be skipped, because another slot of the schedule is there at that time`}
          .
        </p>
      )}
      <SkipDetails skipped={preview.skipped} />
      {preview.days.length > 0 && (
        <>
          <table className="nhsuk-table" id="preview-days-table">
            <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">
              Slots per day{pages > 1 ? `, page ${page} of ${pages}` : ''}
            </caption>
            <thead className="nhsuk-table__head">
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Slots</th>
                <th scope="col">First starts</th>
                <th scope="col">Last starts</th>
              </tr>
            </thead>
            <tbody className="nhsuk-table__body">
              {rows.map((d) => (
                <tr key={d.date}>
                  <td>{longDate(d.date)}</td>
                  <td>{d.count}</td>
                  <td>{clock(d.first)}</td>
                  <td>{clock(d.last)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination id="preview-pages" label="Preview pages" page={page} pages={pages} setPage={setPage} />
        </>
      )}
    </section>
  );
}
