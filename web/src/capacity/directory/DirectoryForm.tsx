/**
 * Adds or changes one resource of the tenant's directory: simple fields for the common types
 * (TypeFields.tsx), FHIR JSON for the rest, and either for any of them. The provider checks every
 * resource and every reference it makes: a rejected one comes back as an OperationOutcome shown in
 * the error summary and at its field, and nothing is saved.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ErrorSummary, type Problem } from '../../components';
import { follow, navigate } from '../../router';
import { DIRECTORY_TYPES, type CapacityApi, type DirectoryResource, type DirectoryType } from '../api';
import type { Directory } from '../CapacityArea';
import { Input, Outcome, Radios, errorFor } from '../forms';
import { TYPE_TEXT, WITH_FORM, exampleId, isDirectoryType, listOf } from './resources';
import { fieldsOf, jsonOf, placed, resourceOf, template, withoutMeta, type Fields, type Json } from './resource-fields';
import { TypeFields } from './TypeFields';

export function DirectoryForm({
  api,
  directory,
  route,
}: {
  api: CapacityApi;
  directory: Directory;
  route: { type: DirectoryType; id?: string };
}) {
  const init = (r: { type: DirectoryType; id?: string }) => {
    const existing = r.id === undefined ? undefined : listOf(directory, r.type).find((x) => x.id === r.id);
    return {
      type: r.type,
      id: r.id ?? '',
      existing,
      mode: WITH_FORM.includes(r.type) ? ('form' as const) : ('json' as const),
      fields: fieldsOf(existing, directory),
      json: jsonOf(existing ? withoutMeta(existing) : template(r.type, directory)),
      problems: r.id !== undefined && !existing ? [{ message: `This tenant has no ${r.type} ${r.id}.` }] : [],
    };
  };
  const [state, setState] = useState(() => init(route));
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  /** The route the form shows: after a save the page moves to the saved resource's route without starting again. */
  const shown = useRef(`${route.type}/${route.id ?? ''}`);
  useEffect(() => {
    const key = `${route.type}/${route.id ?? ''}`;
    if (key === shown.current) return;
    shown.current = key;
    setState(init(route));
    setMessage(undefined);
  }, [route.type, route.id]);

  const { type, id, existing, mode, fields, json, problems } = state;
  const editing = route.id !== undefined;
  const setProblems = (p: Problem[]) => setState((s) => ({ ...s, problems: p }));
  const setField = (key: keyof Fields) => (value: string) =>
    setState((s) => ({ ...s, fields: { ...s.fields, [key]: value } }));
  const err = (field: string) => errorFor(problems, field);

  const chooseType = (value: string) => {
    if (!isDirectoryType(value)) return;
    setState((s) => ({
      ...s,
      type: value,
      mode: WITH_FORM.includes(value) ? 'form' : 'json',
      json: jsonOf(template(value, directory)),
      problems: [],
    }));
    setMessage(undefined);
  };

  const toJson = () =>
    setState((s) => ({
      ...s,
      mode: 'json',
      json: jsonOf({
        ...resourceOf(s.type, s.fields, s.existing).resource,
        ...(s.id.trim() ? { id: s.id.trim() } : {}),
      }),
      problems: [],
    }));
  const toForm = () => {
    try {
      const parsed = JSON.parse(json) as DirectoryResource;
      setState((s) => ({
        ...s,
        mode: 'form',
        existing: { ...parsed, meta: s.existing?.meta },
        fields: fieldsOf(parsed, directory),
        problems: [],
      }));
    } catch (e) {
      setProblems([{ field: 'dir-json', message: `The resource is not valid JSON: ${(e as Error).message}` }]);
    }
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    setMessage(undefined);
    const resourceId = id.trim();
    const found: Problem[] = [];
    if (!resourceId)
      found.push({
        field: 'dir-id',
        message: `Enter the ${TYPE_TEXT[type].toLowerCase()}'s id, for example ${exampleId(type)}`,
      });
    let body: unknown;
    let fieldOf: [string, string][] = [];
    if (mode === 'json') {
      try {
        body = JSON.parse(json);
      } catch (e) {
        found.push({ field: 'dir-json', message: `The resource is not valid JSON: ${(e as Error).message}` });
      }
    } else {
      ({ resource: body, fields: fieldOf } = resourceOf(type, fields, existing));
    }
    if (found.length) return setProblems(found);
    setBusy(true);
    void (async () => {
      try {
        const { status, body: saved } = await api.putResource(type, resourceId, body);
        const before = existing?.meta?.versionId;
        const stored = {
          ...(body as Json),
          resourceType: type,
          id: resourceId,
          meta: { versionId: saved.versionId },
        } as DirectoryResource;
        shown.current = `${type}/${resourceId}`;
        setState((s) => ({
          ...s,
          id: resourceId,
          existing: stored,
          json: mode === 'json' ? jsonOf(withoutMeta(stored)) : s.json,
          problems: [],
        }));
        // Every page's choices (the rota form's schedules, say) follow the change; it is saved even if this read fails.
        await directory.reload().catch(() => undefined);
        if (route.type !== type || route.id !== resourceId)
          navigate(`/capacity/directory/${type}/${encodeURIComponent(resourceId)}`, { replace: true });
        setMessage(
          status === 201
            ? `${TYPE_TEXT[type]} ${resourceId} created.`
            : before !== undefined && before === saved.versionId && existing?.id === resourceId
              ? `${TYPE_TEXT[type]} ${resourceId} is unchanged: still version ${saved.versionId}.`
              : `${TYPE_TEXT[type]} ${resourceId} updated to version ${saved.versionId}.`,
        );
      } catch (e) {
        setProblems(placed(e, mode === 'json' ? [] : fieldOf, mode === 'json'));
      } finally {
        setBusy(false);
      }
    })();
  };

  return (
    <form onSubmit={save} noValidate>
      <ErrorSummary errors={problems} />
      <a className="nhsuk-back-link" href="/capacity/directory" onClick={follow}>
        Back to the directory
      </a>
      <h1>{editing ? `${TYPE_TEXT[type]} ${route.id}` : 'Add a resource'}</h1>
      {message && <Outcome>{message}</Outcome>}
      {!editing && (
        <Radios
          id="dir-type"
          legend="Type of resource"
          error={err('dir-type-0')}
          options={DIRECTORY_TYPES.map((t) => ({
            value: t,
            text: `${TYPE_TEXT[t]}${WITH_FORM.includes(t) ? '' : ' (as JSON)'}`,
          }))}
          value={type}
          onChange={chooseType}
        />
      )}
      <Input
        id="dir-id"
        label="Id"
        hint="Its FHIR id: letters, digits, hyphens and dots, up to 64; for a healthcare service, usually its directory service ID"
        error={err('dir-id')}
        value={id}
        onChange={(value) => setState((s) => ({ ...s, id: value }))}
        width={20}
        disabled={editing}
      />
      {mode === 'json' ? (
        <div className={`nhsuk-form-group${err('dir-json') ? ' nhsuk-form-group--error' : ''}`}>
          <label className="nhsuk-label" htmlFor="dir-json">
            The {TYPE_TEXT[type].toLowerCase()} as FHIR STU3 JSON
          </label>
          <div className="nhsuk-hint" id="dir-json-hint">
            References name resources of this tenant, for example {'{"reference": "Practitioner/PR1"}'}; the id comes
            from the Id field
          </div>
          {err('dir-json') && (
            <span className="nhsuk-error-message" id="dir-json-error">
              <span className="nhsuk-u-visually-hidden">Error:</span> {err('dir-json')}
            </span>
          )}
          <textarea
            className={`nhsuk-textarea${err('dir-json') ? ' nhsuk-textarea--error' : ''}`}
            id="dir-json"
            name="dir-json"
            rows={14}
            spellCheck={false}
            style={{ fontFamily: 'monospace', fontSize: '16px' }}
            value={json}
            onChange={(e) => setState((s) => ({ ...s, json: e.target.value }))}
            aria-describedby={`dir-json-hint${err('dir-json') ? ' dir-json-error' : ''}`}
          />
        </div>
      ) : (
        <TypeFields type={type} fields={fields} setField={setField} err={err} directory={directory} />
      )}
      <div className="sb-actions">
        <button className="nhsuk-button" type="submit" disabled={busy}>
          Save {TYPE_TEXT[type].toLowerCase()}
        </button>
        {WITH_FORM.includes(type) && (
          <button
            className="nhsuk-button nhsuk-button--secondary"
            type="button"
            disabled={busy}
            onClick={mode === 'json' ? toForm : toJson}
          >
            {mode === 'json' ? 'Use the form' : 'Edit as JSON'}
          </button>
        )}
      </div>
    </form>
  );
}
