/**
 * Checks a parsed JSON resource against the STU3 model (http://hl7.org/fhir/STU3/json.html and
 * datatypes.html): arrays exactly where the model repeats, the right JSON types, primitive formats
 * (STU3's regular expressions, plus real calendar dates), required elements, no empty strings,
 * objects or arrays, at most one element of a choice, extensions with a url and either a value[x]
 * or nested extensions. Contained resources, Bundle entries and Parameters resources are checked
 * as resources in their own right.
 *
 * Unknown elements are not errors (a server accepts and ignores them): they are left out of the
 * returned copy and their paths listed in `ignored`. It never throws, whatever it is given, and
 * copies only element names the model knows (so `__proto__` and the like never reach the copy).
 */
import { XMLValidator } from 'fast-xml-parser';
import { isResourceType, typeDef, type ModelElement, type TypeDef } from './model.js';
import { narrativeProblem } from './narrative.js';

export interface StructureIssue {
  /** FHIRPath-like location with indexes: `Appointment.contained[0].identifier[0].system`. */
  path: string;
  kind: 'type' | 'array' | 'required' | 'value';
  message: string;
}

export interface StructureResult {
  /** A copy without unknown elements (and without values that failed); undefined when it is not a resource at all. */
  resource: Record<string, unknown> | undefined;
  issues: StructureIssue[];
  ignored: string[];
}

export const MAX_DEPTH = 64;
const MAX_ISSUES = 200;
const MAX_IGNORED = 1000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

// STU3 regular expressions (datatypes.html), anchored.
const DATE = /^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1]))?)?$/;
const DATE_TIME =
  /^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;
const INSTANT =
  /^-?[0-9]{4}-(0[1-9]|1[0-2])-(0[0-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;
const TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?$/;
const CODE = /^[^\s]+(\s[^\s]+)*$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
// STU3 publishes `urn:oid:[0-2](\.[1-9]\d*)+`, which refuses OIDs with a 0 arc (an erratum, fixed in R4): allowed here.
const OID = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// eslint-disable-next-line no-control-regex -- finding control characters is its purpose
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const INT32_MAX = 2147483647;

/** The date part names a real day (STU3's regexes allow 2019-02-31 and day 00). */
function realDate(text: string): boolean {
  const m = /^-?([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?/.exec(text);
  if (!m || !m[3]) return true;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const days = [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][month - 1];
  return day >= 1 && day <= days;
}

function base64(text: string): boolean {
  const compact = text.replace(/\s+/g, '');
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

/**
 * Why a JSON value is not valid for the FHIR primitive type `type`, or undefined when it is.
 * Assumes the JSON type is right (a number for numeric types, and so on); checks the rest.
 */
export function primitiveProblem(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'integer':
      return Number.isInteger(value) && Math.abs(value as number) <= INT32_MAX
        ? undefined
        : 'must be a whole number (32-bit)';
    case 'positiveInt':
      return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= INT32_MAX
        ? undefined
        : 'must be a whole number of 1 or more';
    case 'unsignedInt':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= INT32_MAX
        ? undefined
        : 'must be a whole number of 0 or more';
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
  }
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty (STU3 forbids empty strings: leave the element out)';
  if (CONTROL.test(value)) return 'contains a control character, which FHIR strings may not carry';
  switch (type) {
    case 'code':
      return CODE.test(value) ? undefined : 'is not a code (no leading, trailing or repeated whitespace)';
    case 'id':
      return ID.test(value) ? undefined : 'is not an id (1 to 64 letters, digits, "-" and ".")';
    case 'uri':
      return /^\S+$/.test(value) ? undefined : 'is not a URI (no whitespace)';
    case 'oid':
      return OID.test(value) ? undefined : 'is not an OID (urn:oid:…)';
    case 'uuid':
      return UUID.test(value) ? undefined : 'is not a UUID (urn:uuid: and lower-case hex)';
    case 'date':
      return DATE.test(value) && realDate(value) ? undefined : 'is not a date (YYYY, YYYY-MM or YYYY-MM-DD)';
    case 'dateTime':
      return DATE_TIME.test(value) && realDate(value)
        ? undefined
        : 'is not a dateTime (YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss[.sss] with Z or an offset)';
    case 'instant':
      return INSTANT.test(value) && realDate(value)
        ? undefined
        : 'is not an instant (YYYY-MM-DDThh:mm:ss[.sss] with Z or an offset such as +01:00)';
    case 'time':
      return TIME.test(value) ? undefined : 'is not a time (hh:mm:ss)';
    case 'base64Binary':
      return base64(value) ? undefined : 'is not base64';
  }
  return undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `the ${typeof v} ${String(v)}`;
}

class Walker {
  issues: StructureIssue[] = [];
  ignored: string[] = [];
  /** Issues found, including those beyond MAX_ISSUES. */
  reported = 0;

  issue(path: string, kind: StructureIssue['kind'], message: string): void {
    this.reported++;
    if (this.issues.length < MAX_ISSUES) this.issues.push({ path, kind, message });
  }

  ignore(path: string): void {
    if (this.ignored.length < MAX_IGNORED) this.ignored.push(path);
  }

  /** A resource at `path` ('' at the root, where the path becomes its type). */
  resource(value: unknown, path: string, depth: number, expected?: string): Json | undefined {
    const where = path || expected || 'Resource';
    if (!isObject(value)) {
      this.issue(where, 'type', `must be a FHIR resource (a JSON object), not ${describe(value)}`);
      return undefined;
    }
    const type = has(value, 'resourceType') ? value.resourceType : undefined;
    if (type === undefined) {
      this.issue(where, 'type', 'has no resourceType');
      return undefined;
    }
    if (!isResourceType(type)) {
      this.issue(`${where}.resourceType`, 'type', `${describe(type)} is not an STU3 resource type`);
      return undefined;
    }
    if (expected && type !== expected) {
      this.issue(`${where}.resourceType`, 'type', `must be ${expected}, not ${type}`);
      return undefined;
    }
    const out: Json = { resourceType: type };
    this.object(value, typeDef(type)!, path || type, depth, out);
    return out;
  }

  /** The elements of `value` (a resource or a complex value) into `out`. */
  object(value: Json, def: TypeDef, path: string, depth: number, out: Json): void {
    if (depth > MAX_DEPTH) {
      this.issue(path, 'value', `is nested more than ${MAX_DEPTH} levels deep`);
      return;
    }
    const reportedBefore = this.reported;
    const choices = new Map<string, string>();
    // Elements left out of the copy without an issue: they held nothing but unknown elements.
    let emptied: Set<string> | undefined;
    for (const key of Object.keys(value)) {
      if (key === 'resourceType' && def.resource) continue;
      const at = `${path}.${key}`;
      const v = value[key];
      if (key.charCodeAt(0) === 95 /* _ */) {
        const el = def.byName.get(key.slice(1));
        if (!el || el.kind !== 'primitive') {
          this.ignore(at);
          continue;
        }
        const checked = this.primitiveHolder(v, el, value[el.name], at, depth);
        if (checked !== undefined) out[key] = checked;
        continue;
      }
      const el = def.byName.get(key);
      if (!el) {
        this.ignore(at);
        continue;
      }
      if (el.choice !== undefined) {
        const other = choices.get(el.choice);
        if (other) this.issue(at, 'value', `only one of ${el.choice}[x] may be present (also ${other})`);
        else choices.set(el.choice, key);
      }
      const before = this.reported;
      const checked = this.element(v, el, value[`_${key}`], at, depth);
      if (checked !== undefined) out[key] = checked;
      else if (this.reported === before) (emptied ??= new Set()).add(key);
    }
    for (const el of def.elements) {
      if (!el.required || has(out, el.name) || (el.kind === 'primitive' && has(value, `_${el.name}`))) continue;
      if (!has(value, el.name)) this.issue(`${path}.${el.name}`, 'required', `is required in ${def.name}`);
      else if (emptied?.has(el.name))
        this.issue(`${path}.${el.name}`, 'required', `is required in ${def.name}, and holds only unknown elements`);
    }
    if (def.name === 'Extension' && this.reported === reportedBefore) {
      // ext-1: an extension has either a value[x] or nested extensions, not both. Checked on the copy
      // (a value that held only unknown elements is gone from it), unless a fault was reported already.
      const hasValue = def.elements.some((e) => e.choice === 'value' && has(out, e.name));
      const hasExtensions = has(out, 'extension');
      if (hasValue === hasExtensions) {
        this.issue(
          path,
          'value',
          hasValue
            ? 'an extension has a value[x] or nested extensions, not both'
            : 'an extension needs a value[x] or nested extensions',
        );
      }
    }
  }

  element(v: unknown, el: ModelElement, holder: unknown, at: string, depth: number): unknown {
    if (v === null) {
      this.issue(at, 'value', 'must not be null (leave the element out)');
      return undefined;
    }
    if (!el.array) {
      if (Array.isArray(v)) {
        this.issue(at, 'array', `must be a single ${el.type}, not an array`);
        return undefined;
      }
      return this.single(v, el, at, depth);
    }
    if (!Array.isArray(v)) {
      this.issue(at, 'array', `repeats, so it must be an array (of ${el.type}), not ${describe(v)}`);
      return undefined;
    }
    if (v.length === 0) {
      this.issue(at, 'value', 'must not be an empty array (leave the element out)');
      return undefined;
    }
    const holders = Array.isArray(holder) ? holder : [];
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      const itemAt = `${at}[${i}]`;
      if (item === null && el.kind === 'primitive' && isObject(holders[i])) {
        out.push(null); // the value is absent, its id/extensions are in _name[i]
        continue;
      }
      if (item === null) {
        this.issue(
          itemAt,
          'value',
          el.kind === 'primitive' ? `must not be null (unless _${el.name}[${i}] holds extensions)` : 'must not be null',
        );
        continue;
      }
      const checked = this.single(item, el, itemAt, depth);
      if (checked !== undefined) out.push(checked);
    }
    return out.length ? out : undefined;
  }

  single(v: unknown, el: ModelElement, at: string, depth: number): unknown {
    switch (el.kind) {
      case 'primitive': {
        if (typeof v !== el.jsonType) {
          this.issue(at, 'type', `must be a JSON ${el.jsonType} (${el.type}), not ${describe(v)}`);
          return undefined;
        }
        const problem = primitiveProblem(el.type, v);
        if (problem) {
          this.issue(at, 'value', `${describe(v)} ${problem}`);
          return undefined;
        }
        return v;
      }
      case 'xhtml':
        return this.xhtml(v, at);
      case 'resource':
        return this.resource(v, at, depth + 1);
      case 'complex': {
        if (!isObject(v)) {
          this.issue(at, 'type', `must be a JSON object (${el.type}), not ${describe(v)}`);
          return undefined;
        }
        if (Object.keys(v).length === 0) {
          this.issue(at, 'value', 'must not be an empty object (leave the element out)');
          return undefined;
        }
        const out: Json = {};
        this.object(v, typeDef(el.type)!, at, depth + 1, out);
        // Nothing but unknown elements (listed in `ignored`): left out, as if absent, so the copy has no `{}`.
        return Object.keys(out).length ? out : undefined;
      }
    }
  }

  xhtml(v: unknown, at: string): string | undefined {
    if (typeof v !== 'string') {
      this.issue(at, 'type', `must be a JSON string of XHTML, not ${describe(v)}`);
      return undefined;
    }
    const text = v.trim();
    if (!/^<div[\s>/]/.test(text) || !/(<\/div>|\/>)$/.test(text)) {
      this.issue(at, 'value', 'must be XHTML: one <div> element');
      return undefined;
    }
    if (/<!(?!--)/.test(text) || /&(?!(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)/.test(text)) {
      this.issue(
        at,
        'value',
        'must be XHTML without declarations or entities other than &lt; &gt; &amp; &quot; &apos; and character references',
      );
      return undefined;
    }
    let wellFormed: boolean;
    try {
      wellFormed = XMLValidator.validate(text) === true;
    } catch {
      wellFormed = false;
    }
    if (!wellFormed) {
      this.issue(at, 'value', 'must be well-formed XHTML');
      return undefined;
    }
    const problem = narrativeProblem(text);
    if (problem) {
      this.issue(at, 'value', `${problem} (FHIR narrative rules txt-1, txt-2)`);
      return undefined;
    }
    return v;
  }

  /** `_name`: a primitive's id and extensions; for a repeating primitive an array in step with the values. */
  primitiveHolder(v: unknown, el: ModelElement, values: unknown, at: string, depth: number): unknown {
    const one = (x: unknown, p: string): Json | undefined => {
      if (!isObject(x)) {
        this.issue(p, 'type', `must be an object holding id and extension, not ${describe(x)}`);
        return undefined;
      }
      if (Object.keys(x).length === 0) {
        this.issue(p, 'value', 'must not be an empty object (leave it out)');
        return undefined;
      }
      const out: Json = {};
      this.object(x, typeDef('Element')!, p, depth + 1, out);
      return Object.keys(out).length ? out : undefined;
    };
    if (v === null) {
      this.issue(at, 'value', 'must not be null (leave it out)');
      return undefined;
    }
    if (!el.array) {
      if (Array.isArray(v)) {
        this.issue(at, 'array', `must be a single object (${el.name} does not repeat), not an array`);
        return undefined;
      }
      return one(v, at);
    }
    if (!Array.isArray(v)) {
      this.issue(at, 'array', `must be an array in step with ${el.name}, not ${describe(v)}`);
      return undefined;
    }
    if (Array.isArray(values) && values.length !== v.length) {
      this.issue(at, 'array', `must have as many items as ${el.name} (${v.length} against ${values.length})`);
    }
    if (v.length === 0 || v.every((x) => x === null)) {
      this.issue(at, 'value', 'must not be empty or all null (leave it out)');
      return undefined;
    }
    const valueList = Array.isArray(values) ? values : [];
    const out = v.map((x, i) => {
      if (x === null) {
        if (valueList[i] === null || valueList[i] === undefined)
          this.issue(`${at}[${i}]`, 'value', `is null and so is ${el.name}[${i}]`);
        return null;
      }
      return one(x, `${at}[${i}]`) ?? null;
    });
    return out.some((x) => x !== null) ? out : undefined;
  }
}

/**
 * Checks `input` (parsed JSON) as an STU3 resource, of type `expectedResourceType` when given.
 * Never throws.
 */
export function checkStructure(input: unknown, expectedResourceType?: string): StructureResult {
  const walker = new Walker();
  let resource: Json | undefined;
  try {
    resource = walker.resource(input, '', 0, expectedResourceType);
  } catch (err) {
    // Not expected; a guard so that no input (getters that throw, proxies …) escapes as an exception.
    walker.issue(
      expectedResourceType ?? 'Resource',
      'value',
      `could not be read: ${err instanceof Error ? err.message : String(err)}`,
    );
    resource = undefined;
  }
  return { resource, issues: walker.issues, ignored: walker.ignored };
}
