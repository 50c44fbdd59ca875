/**
 * The command table: every command's words, usage, options and handler in one entry, so `--help`,
 * the usage shown after a mistake and the options parsed all come from the same place. Handlers
 * import what they need when they run: `slotbridge --help` loads no web server, store or bundler.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, parse, type Options } from './io.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** The words after `slotbridge`: `provider rota put`; `provider` alone is the provider's server. */
  name: string;
  /** What follows the words in the usage line: `--tenant ID --file ROTA.json`. */
  usage: string;
  /** One line on what it does, printed under the usage. */
  summary?: string;
  /** A note shared by a family of commands, printed once after them. */
  note?: string;
  /** The options it takes besides --json and --help. */
  options: OptionSpecs;
  run(values: Options): Promise<number>;
}

const JSON_NOTE =
  'Every command takes --json (one JSON document on stdout) and --help (its usage, doing nothing else).';

const words = (name: string) => (name ? name.split(' ') : []);

function usageLine(command: Command): string {
  return ['slotbridge', command.name, command.usage].filter(Boolean).join(' ');
}

/** The usage lines of some commands, each with its summary, and each family's note once after it. */
export function usageOf(commands: Command[]): string {
  const lines: string[] = [];
  commands.forEach((command, i) => {
    lines.push(usageLine(command));
    if (command.summary) lines.push(`    ${command.summary}`);
    if (command.note && commands[i + 1]?.note !== command.note) lines.push(`  ${command.note}`);
  });
  return lines.join('\n');
}

export function helpText(commands: Command[]): string {
  return `usage:\n${usageOf(commands)}\n${JSON_NOTE}\n`;
}

/** The commands whose words start with `prefix`. */
function family(table: Command[], prefix: string[]): Command[] {
  return table.filter((c) => prefix.every((w, i) => words(c.name)[i] === w));
}

/** The leading words of `args` that name commands in the table (`provider rota` of `provider rota put`). */
function knownPrefix(table: Command[], args: string[]): string[] {
  const prefix: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('-') || family(table, [...prefix, arg]).length === 0) break;
    prefix.push(arg);
  }
  return prefix;
}

/** Whether --help or -h is among the options, and the words left, read with the command's own option types. */
function readLeniently(args: string[], options: OptionSpecs): { help: boolean; words: string[] } {
  const { values, positionals } = parseArgs({
    args,
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: false,
  });
  return { help: values.help === true, words: positionals };
}

/** The first option the command does not know, as typed (`--nope`, `-x`). */
function unknownOption(args: string[], options: OptionSpecs): string | undefined {
  const known = { ...options, json: { type: 'boolean' as const }, help: { type: 'boolean' as const, short: 'h' } };
  const { tokens } = parseArgs({ args, options: known, allowPositionals: true, strict: false, tokens: true });
  // A known short option comes back under its long name; an unknown one under its own letter.
  for (const token of tokens) if (token.kind === 'option' && !(token.name in known)) return token.rawName;
  return undefined;
}

/**
 * Runs the command that `args` names, or prints the usage it asks for. A mistake (an unknown
 * command, option or word, a missing value) is a UsageError carrying the usage to show with it.
 */
export async function runCommand(table: Command[], args: string[]): Promise<number> {
  const prefix = knownPrefix(table, args);
  const named = table.find((c) => c.name === prefix.join(' '));
  const rest = args.slice(prefix.length);
  // --help answers only when every word is known: `slotbridge frob --help` is a mistake, not a request.
  const { help, words: unknownWords } = readLeniently(rest, named?.options ?? {});
  if (!named) {
    const commands = family(table, prefix);
    const next = unknownWords[0];
    if (help && next === undefined) {
      process.stdout.write(helpText(commands));
      return 0;
    }
    // An unknown first word gets a pointer to `slotbridge help`, not every command's usage.
    throw new UsageError(
      next === undefined ? `which ${prefix.join(' ')} command?` : `unknown command "${[...prefix, next].join(' ')}"`,
      prefix.length ? usageOf(commands) : undefined,
    );
  }
  const others = family(table, prefix).filter((c) => c !== named);
  if (help && unknownWords.length === 0) {
    // `slotbridge provider --help`: the server and every provider command; `… rota put --help`: that one.
    process.stdout.write(helpText([named, ...others]));
    return 0;
  }
  const unknown = unknownOption(rest, named.options);
  if (unknown) throw new UsageError(`unknown option ${unknown} for "slotbridge ${named.name}"`, usageOf([named]));
  try {
    const { values, positionals } = parse(rest, named.options);
    if (positionals.length) {
      throw others.length
        ? new UsageError(`unknown command "${[...prefix, positionals[0]].join(' ')}"`, usageOf([named, ...others]))
        : new UsageError(`unexpected argument "${positionals[0]}" for "slotbridge ${named.name}"`);
    }
    return await named.run(values);
  } catch (err) {
    if (err instanceof UsageError) err.command ??= named.name;
    throw err;
  }
}
