/**
 * Generates src/fhir/stu3-model.json, the STU3 model our JSON structure check and XML mapping use.
 *
 * Two pinned sources, each for what it knows:
 *  - `@types/fhir@0.0.44` (r3.d.ts): element order (FHIR definition order) and which elements are
 *    required (non-optional properties);
 *  - `fhirpath@5`'s STU3 model: each element's FHIR type (instant, dateTime, positiveInt, …) and
 *    whether it repeats.
 * Run with `npm run generate:model` after upgrading either package.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const fhirpath = require('fhirpath/fhir-context/stu3') as {
  path2Type: Record<string, string>;
  path2Repeating: Record<string, boolean>;
  pathsDefinedElsewhere: Record<string, string>;
};

interface Property {
  name: string;
  typeName: string;
  keyword: 'string' | 'number' | 'boolean' | undefined;
  array: boolean;
  optional: boolean;
}
interface Interface {
  name: string;
  base?: string;
  properties: Property[];
}

const source = ts.createSourceFile(
  'r3.d.ts',
  readFileSync(require.resolve('@types/fhir/r3.d.ts'), 'utf8'),
  ts.ScriptTarget.Latest,
  false,
);

function describeType(node: ts.TypeNode): Pick<Property, 'typeName' | 'keyword' | 'array'> {
  const members = ts.isUnionTypeNode(node) ? [...node.types] : [node];
  let array = false;
  let first: ts.TypeNode | undefined;
  for (const m of members) {
    let t = m;
    if (ts.isArrayTypeNode(t)) {
      array = true;
      t = t.elementType;
    }
    if (ts.isParenthesizedTypeNode(t)) t = t.type;
    if (t.kind === ts.SyntaxKind.UndefinedKeyword) continue;
    if (ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword) continue;
    first ??= t;
  }
  if (!first) return { typeName: 'unknown', keyword: undefined, array };
  if (first.kind === ts.SyntaxKind.StringKeyword || ts.isLiteralTypeNode(first)) return { typeName: 'string', keyword: 'string', array };
  if (first.kind === ts.SyntaxKind.NumberKeyword) return { typeName: 'number', keyword: 'number', array };
  if (first.kind === ts.SyntaxKind.BooleanKeyword) return { typeName: 'boolean', keyword: 'boolean', array };
  if (ts.isTypeReferenceNode(first)) return { typeName: first.typeName.getText(source), keyword: undefined, array };
  return { typeName: first.getText(source), keyword: undefined, array };
}

const interfaces = new Map<string, Interface>();
source.forEachChild((node) => {
  if (!ts.isInterfaceDeclaration(node)) return;
  const base = node.heritageClauses?.[0]?.types[0]?.expression.getText(source);
  const properties: Property[] = [];
  for (const member of node.members) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    const name = member.name.getText(source).replace(/['"]/g, '');
    if (name.startsWith('_') || name === 'resourceType') continue;
    properties.push({ name, optional: !!member.questionToken, ...describeType(member.type) });
  }
  interfaces.set(node.name.text, { name: node.name.text, base, properties });
});

export interface ModelElement {
  name: string;
  /** FHIR primitive type name, or the model's complex type name (d.ts interface name). */
  type: string;
  array: boolean;
  required: boolean;
  kind: 'primitive' | 'complex' | 'resource' | 'xhtml';
  jsonType?: 'string' | 'number' | 'boolean';
}

const model: Record<string, { base?: string; resource: boolean; elements: ModelElement[] }> = {};
const RESOURCE_ROOTS = new Set(['Resource', 'DomainResource']);

function isResourceInterface(name: string): boolean {
  let current: string | undefined = name;
  while (current) {
    if (current === 'Resource') return true;
    current = interfaces.get(current)?.base;
  }
  return false;
}

/** Ancestors first: Resource, DomainResource, …, the interface itself. */
function lineage(name: string): Interface[] {
  const out: Interface[] = [];
  let current: string | undefined = name;
  while (current && interfaces.has(current)) {
    out.unshift(interfaces.get(current)!);
    current = interfaces.get(current)!.base;
  }
  return out;
}

function fhirPathOf(path: string): string {
  return fhirpath.pathsDefinedElsewhere[path] ?? path;
}

/** Adds `typeName` (reached at FHIR path `path`) and everything it contains to the model. */
function visit(typeName: string, path: string): void {
  if (model[typeName] || !interfaces.has(typeName)) return;
  const resource = isResourceInterface(typeName);
  const entry = { base: interfaces.get(typeName)!.base, resource, elements: [] as ModelElement[] };
  model[typeName] = entry;
  for (const iface of lineage(typeName)) {
    // Inherited elements are typed at their declaring type's path (Element.id, Resource.meta …).
    const ownerPath = iface.name === typeName ? path : iface.name;
    for (const p of iface.properties) {
      const elementPath = fhirPathOf(`${ownerPath}.${p.name}`);
      const fhirType = fhirpath.path2Type[elementPath];
      const repeating = fhirpath.path2Repeating[elementPath];
      const array = repeating ?? p.array;
      let element: ModelElement;
      if (fhirType === 'xhtml') {
        element = { name: p.name, type: 'xhtml', array: false, required: !p.optional, kind: 'xhtml' };
      } else if (p.keyword) {
        const fallback = p.keyword === 'number' ? 'decimal' : p.keyword;
        const type = fhirType && /^[a-z]/.test(fhirType) ? fhirType : fallback;
        element = { name: p.name, type, array, required: !p.optional, kind: 'primitive', jsonType: p.keyword };
      } else if (p.typeName === 'Resource' || p.typeName === 'FhirResource' || fhirType === 'Resource') {
        element = { name: p.name, type: 'Resource', array, required: !p.optional, kind: 'resource' };
      } else {
        element = { name: p.name, type: p.typeName, array, required: !p.optional, kind: 'complex' };
        visit(p.typeName, fhirType && /^[A-Z]/.test(fhirType) && !['BackboneElement', 'Element'].includes(fhirType) ? fhirType : elementPath);
      }
      entry.elements.push(element);
    }
  }
}

// Every resource type and every datatype: the interfaces whose lineage reaches Resource or Element.
const fhirResourceUnion = source.statements.find(
  (s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'FhirResource',
);
const resourceNames = fhirResourceUnion && ts.isUnionTypeNode(fhirResourceUnion.type)
  ? fhirResourceUnion.type.types.map((t) => t.getText(source))
  : [];
for (const name of resourceNames) visit(name, name);
for (const name of RESOURCE_ROOTS) visit(name, name);
for (const [name, iface] of interfaces) {
  if (lineage(name)[0]?.name === 'Element' && /^[A-Z][a-zA-Z]+$/.test(name) && fhirpath.path2Type[`${name}.id`] !== undefined) {
    visit(name, iface.name);
  }
}

const lines = Object.entries(model)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([name, def]) => `  ${JSON.stringify(name)}: ${JSON.stringify(def)}`);
writeFileSync(new URL('../src/fhir/stu3-model.json', import.meta.url), `{\n${lines.join(',\n')}\n}\n`);
console.log(`wrote src/fhir/stu3-model.json: ${lines.length} types (${resourceNames.length} resources)`);
