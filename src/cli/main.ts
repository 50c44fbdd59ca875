/** `slotbridge <command>`: the command line (decisions.md fixes its contract). */
import { AUDIT_USAGE, auditCommand } from './audit.js';
import { TOKEN_USAGE, tokenCommand } from './token.js';
import { UsageError, parse, print, say, storeFrom, storeOptions } from './io.js';
import { PROVIDER_USAGE, announce, providerCommand, startProvider, untilSignalled } from './provider.js';
import { seedDemo } from '../capacity/demo.js';
import { openStore } from '../store/store.js';

const USAGE = `usage:
slotbridge start [--port N] [--data DIR]      the demo network on the embedded store (what npm start runs)
${PROVIDER_USAGE}
slotbridge seed demo [--data DIR | --database-url URL] [--json]
${AUDIT_USAGE}
${TOKEN_USAGE}
Every command takes --json (one JSON document on stdout).`;

async function startCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { ...storeOptions, port: { type: 'string' }, host: { type: 'string' }, 'public-url': { type: 'string' } });
  const running = await startProvider({ ...values, seed: 'demo' });
  announce(values, running);
  say('ready: press Ctrl+C to stop');
  await untilSignalled(running.close);
  return 0;
}

async function seedCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...storeOptions });
  if (positionals[0] !== 'demo') throw new UsageError('only "slotbridge seed demo" is known');
  const store = await openStore(storeFrom(values));
  try {
    const reports = await seedDemo(store);
    print(values, reports, reports.map((r) => `${r.tenant}: ${r.services} services, ${r.schedules} schedules, ${r.slotsAdded} new slots (${store.location})`));
  } finally {
    await store.close();
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await startCommand(rest);
      case 'provider':
        return await providerCommand(rest);
      case 'seed':
        return await seedCommand(rest);
      case 'audit':
        return await auditCommand(rest);
      case 'token':
        return await tokenCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      say(`slotbridge: ${err.message}`);
      if (!err.message.includes('usage')) say(`run "slotbridge help" for usage`);
      return 2;
    }
    say(`slotbridge: ${(err as Error).message}`);
    return 1;
  }
}
