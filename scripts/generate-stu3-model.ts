/**
 * Generates src/fhir/stu3-model.json, the STU3 model that the JSON structure check
 * (src/fhir/structure.ts) and the XML mapping (src/fhir/xml.ts) walk.
 *
 * Source: `node_modules/@types/fhir/r3.d.ts` (pinned by package-lock.json: @types/fhir@0.0.44,
 * generated from hl7.fhir.r3.core 3.0.2), read with the TypeScript compiler API. From it:
 *  - every interface (resources, datatypes, backbone elements, and Element, BackboneElement,
 *    Resource, DomainResource themselves), with inherited elements flattened ancestors first
 *    (Resource → DomainResource → own; Element → BackboneElement → own; Element → Quantity → Age …);
 *  - element order (the d.ts lists properties in FHIR definition order);
 *  - required (a non-optional property), array (any `T[]` member of the property's union);
 *  - choice elements under their JSON names (`valueString`, `effectiveDateTime` …), each with its own
 *    type; they are recognised as two or more single-valued properties of one interface sharing a
 *    stem, ending in type names and carrying the same doc comment (one `[x]` definition), which tells
 *    `valueString`/`valueCode` (a choice) from `reasonCode`/`reasonReference` (two elements);
 *  - `_x` siblings are skipped: they are the holder of a primitive's id and extensions, not elements.
 *
 * The d.ts types every primitive as string/number/boolean, so the FHIR primitive type name is
 * decided here, first rule that applies:
 *  1. a choice element: its type suffix (`valueDateTime` → dateTime, `valuePositiveInt` → positiveInt);
 *  2. PRIMITIVE_TYPES below, keyed `Interface.element` (the d.ts interface name): a hand table of the
 *     elements that matter for validating Booking Standard traffic (Appointment, Slot, Schedule,
 *     Patient, Practitioner(Role), Organization, Location, HealthcareService, DocumentReference,
 *     Bundle, OperationOutcome, Parameters and the datatypes they use), every one checked against
 *     the STU3 definitions (see test/fhir/model.test.ts);
 *  3. NAME_TYPES below, keyed by element name alone, for names with one STU3 type nearly everywhere
 *     (or a superset of it: `date` → dateTime): `*.start`/`*.end` dateTime, `created`, `date`,
 *     `issued`, `instant`, `lastUpdated`, `indexed`, `birthDate`, `status`/`gender`/`use` code, `rank`
 *     positiveInt, `total` unsignedInt …; the exceptions are entries in PRIMITIVE_TYPES;
 *  4. the doc comment: a first line listing codes (`busy | free | busy-unavailable …`) marks a `code`;
 *  5. otherwise the generic type: `string`, `decimal` (numbers), `boolean`. Those checks are the
 *     loosest STU3 allows for the JSON type, so an element this file does not know is never refused
 *     for a value STU3 allows (a rule only applies when its type has the d.ts's JSON type).
 * test/fhir/model.test.ts compares the result with fhirpath's STU3 tables: every array flag matches,
 * no primitive type is stricter than STU3's, and the Booking Standard's types match exactly.
 * Narrative.div is kind 'xhtml'; elements typed Resource (DomainResource.contained,
 * Bundle.entry.resource, Bundle.entry.response.outcome, Parameters.parameter.resource) are kind
 * 'resource'.
 *
 * Run with `npm run generate:model` after upgrading @types/fhir; the output is checked in
 * (`npm run generate:model -- /some/other/file.json` writes elsewhere).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface ModelElement {
  name: string;
  /** FHIR primitive type (`instant`, `code` …), `xhtml`, `Resource`, or the name of a complex type in this model. */
  type: string;
  array: boolean;
  required: boolean;
  kind: 'primitive' | 'complex' | 'resource' | 'xhtml';
  jsonType?: 'string' | 'number' | 'boolean';
  /** For a choice element (`valueString`): the choice's stem (`value`). At most one per stem may be present. */
  choice?: string;
}

export interface ModelType {
  /** The type this one extends (flattened into `elements` already). */
  base?: string;
  /** A resource type (including the abstract Resource and DomainResource). */
  resource: boolean;
  elements: ModelElement[];
}

/** Hand table: `Interface.element` → STU3 primitive type (rule 2 above). */
const PRIMITIVE_TYPES: Record<string, string> = {
  // Resource, DomainResource, Element, Extension, Meta, Narrative
  'Resource.id': 'id',
  'Resource.implicitRules': 'uri',
  'Resource.language': 'code',
  'Element.id': 'string',
  'Extension.url': 'uri',
  'Meta.versionId': 'id',
  'Meta.lastUpdated': 'instant',
  'Meta.profile': 'uri',
  'Narrative.status': 'code',
  // Datatypes used by the Booking Standard
  'Attachment.contentType': 'code',
  'Attachment.language': 'code',
  'Attachment.data': 'base64Binary',
  'Attachment.url': 'uri',
  'Attachment.size': 'unsignedInt',
  'Attachment.hash': 'base64Binary',
  'Attachment.creation': 'dateTime',
  'Coding.system': 'uri',
  'Coding.code': 'code',
  'Coding.userSelected': 'boolean',
  'Identifier.use': 'code',
  'Identifier.system': 'uri',
  'HumanName.use': 'code',
  'ContactPoint.system': 'code',
  'ContactPoint.use': 'code',
  'ContactPoint.rank': 'positiveInt',
  'Address.use': 'code',
  'Address.type': 'code',
  'Period.start': 'dateTime',
  'Period.end': 'dateTime',
  'Quantity.comparator': 'code',
  'Quantity.system': 'uri',
  'Quantity.code': 'code',
  'Annotation.time': 'dateTime',
  'Signature.when': 'instant',
  'Signature.contentType': 'code',
  'Signature.blob': 'base64Binary',
  // Appointment
  'Appointment.status': 'code',
  'Appointment.priority': 'unsignedInt',
  'Appointment.start': 'instant',
  'Appointment.end': 'instant',
  'Appointment.minutesDuration': 'positiveInt',
  'Appointment.created': 'dateTime',
  'AppointmentParticipant.required': 'code',
  'AppointmentParticipant.status': 'code',
  'AppointmentResponse.start': 'instant',
  'AppointmentResponse.end': 'instant',
  // Slot, Schedule
  'Slot.status': 'code',
  'Slot.start': 'instant',
  'Slot.end': 'instant',
  'Schedule.active': 'boolean',
  // Patient
  'Patient.gender': 'code',
  'Patient.birthDate': 'date',
  'PatientContact.gender': 'code',
  'PatientLink.type': 'code',
  // Practitioner, PractitionerRole
  'Practitioner.gender': 'code',
  'Practitioner.birthDate': 'date',
  'PractitionerRoleAvailableTime.daysOfWeek': 'code',
  'PractitionerRoleAvailableTime.availableStartTime': 'time',
  'PractitionerRoleAvailableTime.availableEndTime': 'time',
  // Location, HealthcareService
  'Location.status': 'code',
  'Location.mode': 'code',
  'LocationPosition.longitude': 'decimal',
  'LocationPosition.latitude': 'decimal',
  'LocationPosition.altitude': 'decimal',
  'HealthcareServiceAvailableTime.daysOfWeek': 'code',
  'HealthcareServiceAvailableTime.availableStartTime': 'time',
  'HealthcareServiceAvailableTime.availableEndTime': 'time',
  // DocumentReference
  'DocumentReference.status': 'code',
  'DocumentReference.docStatus': 'code',
  'DocumentReference.created': 'dateTime',
  'DocumentReference.indexed': 'instant',
  'DocumentReferenceRelatesTo.code': 'code',
  // Bundle
  'Bundle.type': 'code',
  'Bundle.total': 'unsignedInt',
  'BundleLink.url': 'uri',
  'BundleEntry.fullUrl': 'uri',
  'BundleEntrySearch.mode': 'code',
  'BundleEntrySearch.score': 'decimal',
  'BundleEntryRequest.method': 'code',
  'BundleEntryRequest.url': 'uri',
  'BundleEntryRequest.ifModifiedSince': 'instant',
  'BundleEntryResponse.location': 'uri',
  'BundleEntryResponse.lastModified': 'instant',
  // OperationOutcome, Parameters
  'OperationOutcomeIssue.severity': 'code',
  'OperationOutcomeIssue.code': 'code',
  // CapabilityStatement (the provider's own statement round-trips through XML)
  'CapabilityStatement.url': 'uri',
  'CapabilityStatement.date': 'dateTime',
  'CapabilityStatement.fhirVersion': 'id',
  'CapabilityStatement.format': 'code',
  'CapabilityStatement.patchFormat': 'code',
  'CapabilityStatement.implementationGuide': 'uri',
  'CapabilityStatementSoftware.releaseDate': 'dateTime',
  'CapabilityStatementImplementation.url': 'uri',
  'CapabilityStatementRestResource.type': 'code',
  'CapabilityStatementRestResourceSearchParam.definition': 'uri',
  'CapabilityStatementRestResourceSearchParam.type': 'code',
  'CapabilityStatementRestResourceInteraction.code': 'code',
  'CapabilityStatementRestInteraction.code': 'code',
  'CapabilityStatementRestSecurityCertificate.type': 'code',
  'CapabilityStatementRestSecurityCertificate.blob': 'base64Binary',
  // Exceptions to NAME_TYPES: same name, another STU3 type
  'BundleEntryResponse.status': 'string', // "201 Created"
  'GraphDefinition.start': 'code', // a resource type
  'Contract.issued': 'dateTime',
  'ContractTerm.issued': 'dateTime',
  'TestReport.issued': 'dateTime',
  'Task.lastModified': 'dateTime',
  'ValueSetExpansion.total': 'integer',
};

/** Hand table: element name → STU3 primitive type wherever the name occurs (rule 3 above). */
const NAME_TYPES: Record<string, string> = {
  start: 'dateTime', // Period.start; Appointment/Slot override to instant above
  end: 'dateTime',
  created: 'dateTime',
  date: 'dateTime', // some `date` elements are FHIR `date`: dateTime is the superset
  issued: 'instant',
  instant: 'instant',
  lastUpdated: 'instant',
  lastModified: 'instant',
  indexed: 'instant',
  recorded: 'instant',
  birthDate: 'date',
  rank: 'positiveInt',
  total: 'unsignedInt',
  status: 'code',
  gender: 'code',
  use: 'code',
  contentType: 'code',
};

const PRIMITIVES = [
  'base64Binary',
  'boolean',
  'code',
  'date',
  'dateTime',
  'decimal',
  'id',
  'instant',
  'integer',
  'markdown',
  'oid',
  'positiveInt',
  'string',
  'time',
  'unsignedInt',
  'uri',
  'uuid',
];
/** JSON representation of each primitive (json.html: integers and decimals are numbers). */
const JSON_TYPE: Record<string, 'string' | 'number' | 'boolean'> = Object.fromEntries(
  PRIMITIVES.map((p) => [
    p,
    p === 'boolean'
      ? 'boolean'
      : ['decimal', 'integer', 'positiveInt', 'unsignedInt'].includes(p)
        ? 'number'
        : 'string',
  ]),
);
const GENERIC: Record<string, string> = { string: 'string', number: 'decimal', boolean: 'boolean' };

// ---------------------------------------------------------------------------------------------
// Reading the d.ts

interface Property {
  name: string;
  /** `string` | `number` | `boolean` for primitives, else the referenced type's name. */
  typeName: string;
  keyword?: 'string' | 'number' | 'boolean';
  array: boolean;
  optional: boolean;
  /** The doc comment, and its first line (the element's short description). */
  comment: string;
  summary: string;
}
interface Interface {
  name: string;
  base?: string;
  properties: Property[];
}

const require = createRequire(import.meta.url);
const dtsPath = require.resolve('@types/fhir/r3.d.ts');
const source = ts.createSourceFile(dtsPath, readFileSync(dtsPath, 'utf8'), ts.ScriptTarget.Latest, true);
const text = source.getFullText();

/** The property's doc comment, as lines of text. */
function docOf(node: ts.Node): string[] {
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  const last = ranges[ranges.length - 1];
  if (!last) return [];
  return text
    .slice(last.pos, last.end)
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trim())
    .filter(Boolean);
}

function describeType(
  node: ts.TypeNode,
  typeParams: Map<string, string>,
): Pick<Property, 'typeName' | 'keyword' | 'array'> {
  const members = ts.isUnionTypeNode(node) ? [...node.types] : [node];
  let array = false;
  let chosen: ts.TypeNode | undefined;
  for (let t of members) {
    if (ts.isParenthesizedTypeNode(t)) t = t.type;
    if (ts.isArrayTypeNode(t)) {
      array = true;
      t = t.elementType;
    }
    if (t.kind === ts.SyntaxKind.UndefinedKeyword) continue;
    if (ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword) continue;
    chosen ??= t;
  }
  if (!chosen) throw new Error(`no type in ${node.getText(source)}`);
  if (chosen.kind === ts.SyntaxKind.StringKeyword || ts.isLiteralTypeNode(chosen))
    return { typeName: 'string', keyword: 'string', array };
  if (chosen.kind === ts.SyntaxKind.NumberKeyword) return { typeName: 'number', keyword: 'number', array };
  if (chosen.kind === ts.SyntaxKind.BooleanKeyword) return { typeName: 'boolean', keyword: 'boolean', array };
  if (ts.isTypeReferenceNode(chosen)) {
    const name = chosen.typeName.getText(source);
    return { typeName: typeParams.get(name) ?? name, array };
  }
  throw new Error(`unexpected type ${chosen.getText(source)}`);
}

const interfaces = new Map<string, Interface>();
for (const node of source.statements) {
  if (!ts.isInterfaceDeclaration(node)) continue;
  // `Bundle<T extends Resource = Resource>`: a type parameter stands for its default (or constraint).
  const typeParams = new Map<string, string>();
  for (const p of node.typeParameters ?? []) {
    const bound = p.default ?? p.constraint;
    if (bound && ts.isTypeReferenceNode(bound)) typeParams.set(p.name.text, bound.typeName.getText(source));
  }
  const base = node.heritageClauses?.[0]?.types[0]?.expression.getText(source);
  const properties: Property[] = [];
  for (const member of node.members) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    const name = member.name.getText(source).replace(/['"]/g, '');
    if (name.startsWith('_') || name === 'resourceType') continue;
    const doc = docOf(member);
    properties.push({
      name,
      optional: !!member.questionToken,
      comment: doc.join('\n'),
      summary: doc[0] ?? '',
      ...describeType(member.type, typeParams),
    });
  }
  interfaces.set(node.name.text, { name: node.name.text, base, properties });
}

/** Ancestors first: e.g. Resource, DomainResource, Appointment. */
function lineage(name: string): Interface[] {
  const out: Interface[] = [];
  for (let current: string | undefined = name; current; current = interfaces.get(current)?.base) {
    const iface = interfaces.get(current);
    if (!iface) throw new Error(`${name}: unknown base ${current}`);
    out.unshift(iface);
  }
  return out;
}
const isResource = (name: string) => lineage(name)[0]?.name === 'Resource';

// ---------------------------------------------------------------------------------------------
// Choice elements and primitive types

const capitalise = (s: string) => s[0].toUpperCase() + s.slice(1);
/** Type-name suffixes a choice element can end in, longest first (`DateTime` before `Time`). */
const SUFFIXES = [
  ...PRIMITIVES.map((p) => ({ suffix: capitalise(p), primitive: p as string | undefined })),
  ...[...interfaces.keys()].map((n) => ({ suffix: n, primitive: undefined as string | undefined })),
].sort((a, b) => b.suffix.length - a.suffix.length);

function splitChoice(name: string): { stem: string; primitive?: string } | undefined {
  for (const { suffix, primitive } of SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix) && /[a-z]$/.test(name.slice(0, -suffix.length))) {
      return { stem: name.slice(0, -suffix.length), primitive };
    }
  }
  return undefined;
}

/**
 * The choice elements of an interface: two or more single-valued properties with one stem, ending in
 * type names and carrying the same doc comment (they come from one `[x]` definition). The comment
 * tells `reasonCode`/`reasonReference` (two elements) from `valueString`/`valueCode` (one choice).
 */
function choiceElements(iface: Interface): Map<string, { stem: string; primitive?: string }> {
  const groups = new Map<string, Property[]>();
  for (const p of iface.properties) {
    const split = p.array ? undefined : splitChoice(p.name);
    if (!split) continue;
    const key = `${split.stem}\u0000${p.comment}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const out = new Map<string, { stem: string; primitive?: string }>();
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    for (const p of members) out.set(p.name, splitChoice(p.name)!);
  }
  return out;
}

const CODE_LIST = /^[\w.:-]+( \| [\w.:-]+)+( \|? ?\+)?$/;

function primitiveType(
  owner: Interface,
  p: Property,
  choice: { stem: string; primitive?: string } | undefined,
): string {
  const keyword = p.keyword!;
  const candidates = [
    choice?.primitive,
    PRIMITIVE_TYPES[`${owner.name}.${p.name}`],
    NAME_TYPES[p.name],
    keyword === 'string' && CODE_LIST.test(p.summary) ? 'code' : undefined,
  ];
  for (const type of candidates) {
    // A rule only applies when the d.ts agrees on the JSON type (`start` is a number in Sequence).
    if (type && JSON_TYPE[type] === keyword) return type;
  }
  return GENERIC[keyword];
}

// ---------------------------------------------------------------------------------------------
// The model

const model: Record<string, ModelType> = {};
for (const [name, iface] of interfaces) {
  const elements: ModelElement[] = [];
  const seen = new Set<string>();
  for (const owner of lineage(name)) {
    const choices = choiceElements(owner);
    for (const p of owner.properties) {
      if (seen.has(p.name)) continue;
      seen.add(p.name);
      const choice = choices.get(p.name);
      const common = { array: p.array, required: !p.optional };
      let element: ModelElement;
      if (owner.name === 'Narrative' && p.name === 'div') {
        element = { name: p.name, type: 'xhtml', ...common, kind: 'xhtml' };
      } else if (p.keyword) {
        const type = primitiveType(owner, p, choice);
        element = { name: p.name, type, ...common, kind: 'primitive', jsonType: JSON_TYPE[type] };
      } else if (
        p.typeName === 'Resource' ||
        p.typeName === 'FhirResource' ||
        (interfaces.has(p.typeName) && isResource(p.typeName))
      ) {
        element = { name: p.name, type: 'Resource', ...common, kind: 'resource' };
      } else {
        if (!interfaces.has(p.typeName)) throw new Error(`${name}.${p.name}: unknown type ${p.typeName}`);
        element = { name: p.name, type: p.typeName, ...common, kind: 'complex' };
      }
      if (choice) element.choice = choice.stem;
      elements.push(element);
    }
  }
  model[name] = { ...(iface.base ? { base: iface.base } : {}), resource: isResource(name), elements };
}

const lines = Object.keys(model)
  .sort()
  .map((name) => `  ${JSON.stringify(name)}: ${JSON.stringify(model[name])}`);
// An optional argument writes elsewhere (the tests check the checked-in file is up to date that way).
const out = process.argv[2] ?? fileURLToPath(new URL('../src/fhir/stu3-model.json', import.meta.url));
writeFileSync(out, `{\n${lines.join(',\n')}\n}\n`);
const resources = Object.values(model).filter((t) => t.resource).length;
console.log(`wrote ${out}: ${lines.length} types (${resources} resource types)`);
