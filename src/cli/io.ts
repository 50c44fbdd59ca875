/**
 * The command line's contract (docs/decisions.md): with `--json` exactly one JSON document on stdout and
 * messages on stderr; without it, lines for people. Failures exit non-zero with the reason on stderr.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { StoreOptions } from '../store/store.js';

/** A mistake in the command line (exit 2): the usage to show beside the message, or the command whose --help has it. */
export class UsageError extends Error {
  command?: string;
  constructor(
    message: string,
    public usage?: string,
  ) {
    super(message);
  }
}

export type Options = Record<string, string | boolean | string[] | undefined>;

export function parse(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Options; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Options, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const storeOptions = {
  data: { type: 'string' },
  'database-url': { type: 'string' },
} as const;

/** `--data DIR` or `--database-url`/`DATABASE_URL` (postgres://…); the default is ./data. */
export function storeFrom(values: Options): StoreOptions {
  const url = (values['database-url'] as string | undefined) ?? process.env.DATABASE_URL;
  return {
    dataDir: (values.data as string | undefined) ?? process.env.SLOTBRIDGE_DATA ?? './data',
    databaseUrl: values.data ? undefined : url,
  };
}

export function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Prints the command's result: JSON with --json, else the given lines. */
export function print(values: Options, json: unknown, lines: string[]): void {
  if (values.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
}

export function requireString(values: Options, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

/** A date or instant option as UTC text; dates are whole UK days. */
export function instantOption(values: Options, name: string, fallback: string): string {
  const v = values[name];
  if (v === undefined) return fallback;
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`--${name} ${String(v)} is not a date (use YYYY-MM-DD or an ISO instant)`);
  return d.toISOString();
}
