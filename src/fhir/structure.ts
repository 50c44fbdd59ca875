/**
 * Checks a parsed JSON resource against the STU3 model (json.html rules): arrays where the model
 * repeats, the right JSON types, primitive formats, required elements, no empty values. Unknown
 * elements are not errors (API-8): they are dropped from the returned copy and listed in `ignored`.
 * It never throws, whatever it is given.
 */
import { elementOf, isResourceType, typeDef, type ModelElement } from './model.js';
import { isFhirDate, parseInstant } from './time.js';

export interface StructureIssue {
  path: string;
  kind: 'type' | 'array' | 'required' | 'value';
  message: string;
}

export interface StructureResult {
  resource: Record<string, unknown> | undefined;
  issues: StructureIssue[];
  ignored: string[];
}

const MAX_DEPTH = 64;
const DATE_TIME =
  /^-?\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a primitive value is not valid for its FHIR type, or undefined when it is. */
export function primitiveProblem(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'integer':
      return Number.isInteger(value) && Math.abs(value as number) <= 2147483647 ? undefined : 'must be a whole number';
    case 'positiveInt':
      return Number.isInteger(value) && (value as number) >= 1 ? undefined : 'must be a whole number of 1 or more';
    case 'unsignedInt':
      return Number.isInteger(value) && (value as number) >= 0 ? undefined : 'must be a whole number of 0 or more';
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
  }
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  switch (type) {
    case 'code':
      return /^[^\s]+( [^\s]+)*$/.test(value) ? undefined : 'is not a code (no leading, trailing or double spaces)';
    case 'id':
      return /^[A-Za-z0-9\-.]{1,64}$/.test(value) ? undefined : 'is not an id (1–64 letters, digits, - and .)';
    case 'uri':
      return /^\S+$/.test(value) ? undefined : 'is not a URI (no spaces)';
    case 'oid':
      return /^urn:oid:[0-2](\.(0|[1-9]\d*))+$/.test(value) ? undefined : 'is not an OID (urn:oid:…)';
    case 'uuid':
      return /^urn:uuid:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(value) ? undefined : 'is not a urn:uuid';
    case 'date':
      return isFhirDate(value) ? undefined : 'is not a date (YYYY, YYYY-MM or YYYY-MM-DD)';
    case 'dateTime':
      return DATE_TIME.test(value) && isFhirDate(value.slice(0, 10).replace(/-$/, '')) ? undefined : 'is not a dateTime (a time needs seconds and a zone)';
    case 'instant':
      return parseInstant(value) !== undefined ? undefined : 'is not an instant (YYYY-MM-DDThh:mm:ss[.sss] with Z or an offset)';
    case 'time':
      return TIME.test(value) ? undefined : 'is not a time (hh:mm:ss)';
    case 'base64Binary':
      return /^[A-Za-z0-9+/=\s]+$/.test(value) ? undefined : 'is not base64';
  }
  return undefined;
}

class Walker {
  issues: StructureIssue[] = [];
  ignored: string[] = [];

  issue(path: string, kind: StructureIssue['kind'], message: string) {
    if (this.issues.length < 200) this.issues.push({ path, kind, message });
  }

  resource(value: unknown, path: string, depth: number, expected?: string): Json | undefined {
    if (!isObject(value)) {
      this.issue(path, 'type', `must be a FHIR resource (a JSON object), not ${Array.isArray(value) ? 'an array' : typeof value}`);
      return undefined;
    }
    const type = value.resourceType;
    if (!isResourceType(type)) {
      this.issue(path, 'type', type === undefined ? 'has no resourceType' : `resourceType "${String(type)}" is not an STU3 resource`);
      return undefined;
    }
    if (expected && type !== expected) {
      this.issue(path, 'type', `must be a ${expected}, not a ${type}`);
      return undefined;
    }
    const out = this.complex(value, type, path === '' ? type : path, depth);
    return out ? { resourceType: type, ...out } : undefined;
  }

  complex(value: Json, typeName: string, path: string, depth: number): Json | undefined {
    if (depth > MAX_DEPTH) {
      this.issue(path, 'value', `is nested more than ${MAX_DEPTH} levels deep`);
      return undefined;
    }
    const def = typeDef(typeName);
    if (!def) return undefined;
    const out: Json = {};
    for (const key of Object.keys(value)) {
      if (key === 'resourceType' && def.resource) continue;
      const v = value[key];
      const at = `${path}.${key}`;
      if (key.startsWith('_')) {
        const el = elementOf(typeName, key.slice(1));
        if (!el || el.kind !== 'primitive') {
          this.ignored.push(at);
          continue;
        }
        const ext = this.primitiveExtensions(v, el, at, depth);
        if (ext !== undefined) Object.defineProperty(out, key, { value: ext, enumerable: true, writable: true, configurable: true });
        continue;
      }
      const el = def.byName.get(key);
      if (!el) {
        this.ignored.push(at);
        continue;
      }
      const checked = this.element(v, el, at, depth);
      if (checked !== undefined) out[key] = checked;
    }
    for (const el of def.elements) {
      if (el.required && value[el.name] === undefined && value[`_${el.name}`] === undefined) {
        this.issue(`${path}.${el.name}`, 'required', 'is required');
      }
    }
    if (typeName === 'Extension') {
      const values = Object.keys(out).filter((k) => k.startsWith('value'));
      if (values.length > 1) this.issue(path, 'value', `an extension has at most one value[x] (found ${values.join(', ')})`);
    }
    return out;
  }

  element(v: unknown, el: ModelElement, at: string, depth: number): unknown {
    if (v === null) {
      this.issue(at, 'value', 'must not be null');
      return undefined;
    }
    if (el.array) {
      if (!Array.isArray(v)) {
        this.issue(at, 'array', 'must be an array');
        return undefined;
      }
      if (v.length === 0) {
        this.issue(at, 'value', 'must not be an empty array');
        return undefined;
      }
      const items = v.map((item, i) => this.single(item, el, `${at}[${i}]`, depth));
      return items.filter((x) => x !== undefined);
    }
    if (Array.isArray(v)) {
      this.issue(at, 'array', 'must be a single value, not an array');
      return undefined;
    }
    return this.single(v, el, at, depth);
  }

  single(v: unknown, el: ModelElement, at: string, depth: number): unknown {
    switch (el.kind) {
      case 'primitive': {
        if (v === null || typeof v === 'object' || typeof v !== el.jsonType) {
          this.issue(at, 'type', `must be a JSON ${el.jsonType} (${el.type})`);
          return undefined;
        }
        const problem = primitiveProblem(el.type, v);
        if (problem) {
          this.issue(at, 'value', `"${String(v).slice(0, 80)}" ${problem}`);
          return undefined;
        }
        return v;
      }
      case 'xhtml':
        if (typeof v !== 'string' || !/^\s*<div[\s>]/.test(v)) {
          this.issue(at, 'type', 'must be XHTML text starting with <div>');
          return undefined;
        }
        return v;
      case 'resource':
        return this.resource(v, at, depth + 1);
      case 'complex': {
        if (!isObject(v)) {
          this.issue(at, 'type', `must be a JSON object (${el.type}), not ${Array.isArray(v) ? 'an array' : typeof v}`);
          return undefined;
        }
        if (Object.keys(v).length === 0) {
          this.issue(at, 'value', 'must not be an empty object');
          return undefined;
        }
        return this.complex(v, el.type, at, depth + 1);
      }
    }
  }

  /** `_name`: the id and extensions of a primitive (an array in step with the values when it repeats). */
  primitiveExtensions(v: unknown, el: ModelElement, at: string, depth: number): unknown {
    const one = (x: unknown, p: string) => {
      if (x === null && el.array) return null;
      if (!isObject(x)) {
        this.issue(p, 'type', 'must be an object holding id and extension');
        return undefined;
      }
      return this.complex(x, 'Element', p, depth + 1);
    };
    if (el.array) {
      if (!Array.isArray(v)) {
        this.issue(at, 'array', 'must be an array in step with the values');
        return undefined;
      }
      return v.map((x, i) => one(x, `${at}[${i}]`) ?? null);
    }
    return one(v, at);
  }
}

export function checkStructure(input: unknown, expectedResourceType?: string): StructureResult {
  const walker = new Walker();
  let resource: Json | undefined;
  try {
    resource = walker.resource(input, '', 0, expectedResourceType);
  } catch (err) {
    walker.issue(expectedResourceType ?? 'Resource', 'value', `could not be read: ${(err as Error).message}`);
    resource = undefined;
  }
  return { resource, issues: walker.issues, ignored: walker.ignored };
}
