/**
 * The layering of docs/architecture.md, as `npm run lint` enforces it: each import that crosses a
 * boundary is linted as if it were written in a file of that folder and must be refused, and the
 * imports the layering allows must pass.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

let eslint: ESLint;

/** The boundary errors ESLint reports for `code` written in `file` (a path from the repository root). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath: join(root, file) });
  const fatal = result!.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${file} did not parse`);
  return result!.messages.filter((m) => BOUNDARY_RULES.has(m.ruleId ?? '')).map((m) => m.message);
}

async function refused(file: string, code: string, because: RegExp): Promise<void> {
  const errors = await boundaryErrors(file, code);
  assert.equal(errors.length, 1, `${file}: \`${code}\` should be refused once, got ${JSON.stringify(errors)}`);
  assert.match(errors[0]!, because);
}

async function allowed(file: string, code: string): Promise<void> {
  assert.deepEqual(await boundaryErrors(file, code), [], `${file}: \`${code}\` should be allowed`);
}

describe('import boundaries (npm run lint)', () => {
  before(() => {
    eslint = new ESLint({ cwd: root });
  });

  it('src/fhir and src/store import nothing above them', async () => {
    for (const above of ['diary', 'provider', 'capacity', 'spine', 'consumer', 'reports', 'web', 'cli', 'server']) {
      await refused('src/fhir/probe.ts', `import { x } from '../${above}/x.js';`, /src\/fhir may import nothing else/);
      await refused(
        'src/store/probe.ts',
        `import { x } from '../${above}/x.js';`,
        /src\/store may import nothing else/,
      );
    }
    await refused('src/store/migrations/probe.ts', "import { x } from '../../diary/x.js';", /src\/store may import/);
    await allowed('src/fhir/probe.ts', "import { x } from './outcome.js';");
    await allowed('src/store/migrations/probe.ts', "import { x } from '../dialect.js';");
  });

  it('the diary, below the FHIR API and capacity management, imports neither', async () => {
    for (const above of ['provider', 'capacity', 'spine', 'consumer', 'cli', 'server']) {
      await refused('src/diary/probe.ts', `import { x } from '../${above}/x.js';`, /src\/diary may import only/);
    }
    await allowed('src/diary/probe.ts', "import { x } from '../fhir/time.js';\nimport { y } from '../store/store.js';");
  });

  it('the provider never imports the consumer, the spine, capacity, reports, web, cli or the server', async () => {
    for (const other of ['consumer', 'spine', 'capacity', 'reports', 'web', 'cli', 'server']) {
      await refused(
        'src/provider/slot/probe.ts',
        `import { x } from '../../${other}/x.js';`,
        /src\/provider may import only/,
      );
    }
    await allowed(
      'src/provider/slot/probe.ts',
      "import { x } from '../../diary/release.js';\nimport { y } from '../../fhir/outcome.js';\nimport { z } from '../http/wire.js';",
    );
  });

  it('capacity management never imports the provider (their shared needs are in the diary)', async () => {
    await refused('src/capacity/probe.ts', "import { x } from '../provider/app.js';", /src\/capacity may import only/);
    await refused('src/capacity/probe.ts', "import type { X } from '../provider/auth/jwt.js';", /src\/capacity/);
    await allowed('src/capacity/probe.ts', "import { ReleaseView } from '../diary/release.js';");
  });

  it('the spine never imports the consumer; the consumer never imports the provider or the spine', async () => {
    await refused('src/spine/probe.ts', "import { x } from '../consumer/token.js';", /src\/spine may import only/);
    await refused('src/spine/proxy/probe.ts', "import { x } from '../../provider/app.js';", /src\/spine/);
    await refused('src/consumer/probe.ts', "import { x } from '../provider/app.js';", /src\/consumer may import only/);
    await refused('src/consumer/probe.ts', "import { x } from '../spine/app.js';", /src\/consumer may import only/);
    await allowed('src/spine/probe.ts', "import { consumerToken } from '../fhir/token.js';");
    await allowed('src/consumer/probe.ts', "import { consumerToken } from '../fhir/token.js';");
  });

  it('re-exports and dynamic imports are held to the same boundaries', async () => {
    await refused('src/provider/probe.ts', "export { adminRoutes } from '../capacity/admin.js';", /src\/provider/);
    await refused('src/provider/probe.ts', "export * from '../consumer/token.js';", /src\/provider/);
    await refused('src/spine/probe.ts', "const m = await import('../consumer/token.js');", /src\/spine/);
  });

  it('production code never imports test/ or bench/; tests and the bench may', async () => {
    await refused(
      'src/cli/probe.ts',
      "import { x } from '../../test/helpers/store.js';",
      /never imports test\/ or bench\//,
    );
    await refused(
      'src/provider/slot/probe.ts',
      "import { x } from '../../../bench/lib.js';",
      /never imports test\/ or bench/,
    );
    await refused(
      'bin/probe.js',
      "const { x } = await import('../test/helpers/cli.js');",
      /never imports test\/ or bench/,
    );
    await refused(
      'web/src/probe.tsx',
      "import { x } from '../../test/helpers/browser.js';",
      /Browser code never imports/,
    );
    await allowed(
      'src/cli/probe.ts',
      "import { x } from '../server/provider.js';\nimport { y } from '../spine/app.js';",
    );
    await allowed('test/provider/probe.test.ts', "import { x } from '../../src/diary/release.js';");
  });

  it('browser code imports web/src and src/fhir, and from the rest of src only types', async () => {
    await refused(
      'web/src/capacity/probe.ts',
      "import { checkRota } from '../../../src/capacity/rota.js';",
      /only types/,
    );
    await refused('web/src/probe.tsx', "import { x } from '../../src/consumer/web.js';", /only types/);
    await refused('web/src/capacity/probe.ts', "import { readFileSync } from 'node:fs';", /Node built-in/);
    await refused('web/src/capacity/probe.ts', "import { createHash } from 'crypto';", /Node built-in/);
    await allowed('web/src/capacity/probe.ts', "import type { Rota } from '../../../src/capacity/rota.js';");
    await allowed('web/src/capacity/probe.ts', "import { wallClockToUtc } from '../../../src/fhir/time.js';");
    await allowed('web/src/capacity/probe.ts', "import { api } from './api';\nimport { App } from '../App';");
  });
});
