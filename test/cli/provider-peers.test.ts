/** `slotbridge provider --allow-from CIDR` and `--proxy-cert-cn NAME` (issue 11, finding 6; docs/provider.md). */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { call } from '../helpers/consumer.js';
import { runCli, startCliServer } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-peers-'));
let server: ChildProcess | undefined;
after(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('slotbridge provider: only the proxy may call', () => {
  it('--allow-from: a caller outside the listed blocks gets a 403 OperationOutcome', async () => {
    const started = await startCliServer([
      'provider',
      '--port',
      '0',
      '--seed',
      'demo',
      '--data',
      dir,
      '--allow-from',
      '192.0.2.0/24',
      '--allow-from',
      '2001:db8::/32,198.51.100.7',
    ]);
    server = started.child;
    const root = started.json.tenants[0].serviceRoot as string;
    const res = await call(root, '/metadata');
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.resourceType, 'OperationOutcome');
    assert.match(res.json.issue[0].diagnostics, /only from the booking network's proxy/);
  });

  it('an --allow-from that is not an address or block, or --proxy-cert-cn without --tls, is a usage error', async () => {
    const bad = await runCli(['provider', '--port', '0', '--data', dir, '--allow-from', '10.0.0.0/40']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--allow-from "10\.0\.0\.0\/40" is not an IP address or CIDR block/);
    const noTls = await runCli(['provider', '--port', '0', '--data', dir, '--proxy-cert-cn', 'spine']);
    assert.equal(noTls.code, 2, noTls.stderr);
    assert.match(noTls.stderr, /--proxy-cert-cn needs --tls/);
  });
});
