// ESLint: JavaScript's and typescript-eslint's recommended rules (without type information, so a
// run takes seconds), 140 columns, and the layering of docs/architecture.md as import boundaries.
// Prettier owns formatting (`npm run lint` runs both); eslint-config-prettier turns off what it owns.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/**
 * What each folder of src may import besides itself. Everything else in src is out of bounds; so
 * are test/ and bench/ from any production code. test/lint/boundaries.test.ts proves each rule.
 */
export const LAYERS = {
  fhir: [],
  store: [],
  validation: [],
  diary: ['fhir', 'store'],
  provider: ['diary', 'fhir', 'store'],
  capacity: ['diary', 'validation', 'fhir', 'store'],
  spine: ['validation', 'fhir', 'store'],
  consumer: ['validation', 'fhir', 'store'],
  reports: ['diary', 'fhir', 'store'],
  web: ['fhir'],
  server: ['provider', 'capacity', 'diary', 'validation', 'fhir', 'store'],
  cli: [
    'server',
    'provider',
    'capacity',
    'diary',
    'spine',
    'consumer',
    'reports',
    'web',
    'validation',
    'fhir',
    'store',
  ],
};

const SOURCE = '{ts,tsx,js,mjs,cjs}';
const PRODUCTION = [`src/**/*.${SOURCE}`, `web/src/**/*.${SOURCE}`, `bin/**/*.${SOURCE}`];

/** A relative import specifier that climbs into one of `folders` (`../capacity/admin.js`, `../../src/cli/x.js`). */
const into = (folders, below = '') => `^(?:\\.\\./)+${below}(?:${folders.join('|')})/`;

const NO_TESTS = { regex: into(['test', 'bench']), message: 'Production code never imports test/ or bench/.' };

/**
 * The same boundaries for dynamic `import()`, which no-restricted-imports does not see. esquery's
 * regular expressions cannot hold a slash, so each is written \x2F.
 */
const noDynamic = (patterns) => [
  'error',
  ...patterns.map(({ regex, message }) => ({
    selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\x2F')}/]`,
    message,
  })),
];

function boundaries(patterns, paths = []) {
  return {
    'no-restricted-imports': ['error', { paths, patterns }],
    'no-restricted-syntax': noDynamic(patterns),
  };
}

const layerBlocks = Object.entries(LAYERS).map(([folder, allowed]) => {
  const others = Object.keys(LAYERS).filter((f) => f !== folder && !allowed.includes(f));
  const may = allowed.length ? `only src/${allowed.join(', src/')}` : 'nothing else in src';
  return {
    name: `layering/src/${folder}`,
    files: [`src/${folder}/**/*.${SOURCE}`],
    rules: boundaries([
      {
        regex: into(others),
        message: `src/${folder} may import ${may} (the layering in docs/architecture.md).`,
      },
      NO_TESTS,
    ]),
  };
});

const NODE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));

export default defineConfig([
  globalIgnores(['**/node_modules/', 'dist/', 'web/dist/', 'bench/tmp/', 'test-artifacts/', 'data/', 'coverage/']),
  {
    name: 'recommended',
    files: [`**/*.${SOURCE}`],
    extends: [js.configs.recommended, tseslint.configs.recommended, prettier],
    languageOptions: { globals: globals.node },
    rules: {
      // Prettier wraps at 120; what it cannot wrap (a long string, template or comment) stops at 140. A URL
      // is not split, nor a regular expression, which stays whole so it can be compared with its source.
      'max-len': ['error', { code: 140, comments: 140, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // A test reads the parts of a JSON answer it checks; typing whole answers would hide what it checks.
    name: 'tests',
    files: [`test/**/*.${SOURCE}`, `bench/**/*.${SOURCE}`],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // A migration runs against the schema as it was then, not src/store/schema.ts: Kysely<any>, as Kysely's docs say.
    name: 'migrations',
    files: [`src/store/migrations/*.${SOURCE}`],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    name: 'production',
    files: PRODUCTION,
    rules: boundaries([NO_TESTS]),
  },
  ...layerBlocks,
  {
    name: 'layering/web/src',
    files: [`web/src/**/*.${SOURCE}`],
    languageOptions: { globals: globals.browser },
    rules: boundaries(
      [
        {
          regex: into(['test', 'bench', 'bin', 'scripts']),
          message: 'Browser code never imports test/, bench/, bin/ or scripts/.',
        },
        {
          regex: '^(?:\\.\\./)+src/(?!fhir/)',
          allowTypeImports: true,
          message: 'Browser code may import only web/src and src/fhir; from the rest of src, only types (import type).',
        },
        { regex: '^node:', message: 'Browser code cannot use Node built-in modules.' },
      ],
      NODE_BUILTINS.map((name) => ({ name, message: 'Browser code cannot use Node built-in modules.' })),
    ),
  },
]);
