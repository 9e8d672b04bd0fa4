/**
 * The command-line parser of every `stride` command, on top of Node's `util.parseArgs`:
 * `--name value`, `--name=value`, boolean `--flag`, `--` to end the options, and positional
 * arguments. Each option is declared once in an {@link OptionSpec} record: its type, help line,
 * allowed values, range and default. Parsing applies the defaults, so the help text and the code
 * read the same value. Unknown options and malformed values are {@link UsageError}s that name the
 * option in command-line words and what it expects (with "did you mean --epochs?" for typos).
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { closest } from './did-you-mean.js';

/** Declaration of one option. */
export interface OptionSpec {
  /**
   * 'string', 'int', 'number', 'boolean' (a flag: false unless given) or 'list' (comma-separated
   * strings, e.g. `--augment flip,crop`, parsed to a string array).
   */
  type: 'string' | 'int' | 'number' | 'boolean' | 'list';
  /** One line of help. */
  help: string;
  /** Allowed values of a string option, or of each item of a list. */
  choices?: readonly string[];
  /** The value when the option is not given; parsing fills it in and the help shows it. */
  default?: string | number | boolean | readonly string[];
  /** Smallest allowed value of a number option (inclusive). */
  min?: number;
  /** Largest allowed value of a number option (inclusive). */
  max?: number;
  /** The value's name in help, e.g. `FOLDER` (default: the choices, `N` for numbers, `VALUE`). */
  valueName?: string;
}

/** A usage error: the CLI prints it in one line and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type OptionValue = string | number | boolean | string[];

/** The parsed value of an option type; distributes over a union (a spec typed as plain `OptionSpec`). */
type ValueOfType<T> = T extends 'boolean'
  ? boolean
  : T extends 'int' | 'number'
    ? number
    : T extends 'list'
      ? string[]
      : string;

type ValueOf<S extends OptionSpec> = ValueOfType<S['type']>;

/**
 * The parsed options of a spec record, typed from it: flags are booleans, options with a default
 * are always present, the others may be undefined.
 */
export type OptionValues<S extends Readonly<Record<string, OptionSpec>>> = {
  [K in keyof S]: S[K] extends { default: unknown } | { type: 'boolean' }
    ? ValueOf<S[K]>
    : ValueOf<S[K]> | undefined;
};

/** Parsed arguments. */
export interface ParsedArgs<O = Record<string, OptionValue>> {
  positional: string[];
  options: O;
  /** Names of the options the command line gave (the others hold their defaults). */
  given: ReadonlySet<string>;
}

/**
 * Parse `argv` against `specs` (keys are option names without dashes, in kebab-case). Options
 * not given get their spec's default (flags: false).
 */
export function parseArgs<S extends Readonly<Record<string, OptionSpec>>>(
  argv: readonly string[],
  specs: S,
): ParsedArgs<OptionValues<S>> {
  const config: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [name, spec] of Object.entries(specs))
    config[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
  // Non-strict mode hands back every token; the checks below word the errors for the command line.
  const { tokens } = nodeParseArgs({
    args: [...argv],
    options: config,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const positional: string[] = [];
  const options: Record<string, OptionValue> = {};
  const given = new Set<string>();
  for (const token of tokens) {
    if (token.kind === 'positional') positional.push(token.value);
    if (token.kind !== 'option') continue;
    const name = token.name;
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(unknownOption(token.rawName, Object.keys(specs)));
    given.add(name);
    if (spec.type === 'boolean') {
      if (token.value !== undefined)
        throw new UsageError(`--${name} is a flag and takes no value; got '${token.rawName}=${token.value}'`);
      options[name] = true;
      continue;
    }
    // `--epochs --lr 1` (a forgotten value) is an error; `--shift -1` and `--shift=-1` are values.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))
      throw new UsageError(`--${name} needs a value: ${spec.help}`);
    options[name] = convert(name, token.value, spec);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (options[name] !== undefined) continue;
    if (spec.default !== undefined)
      options[name] = Array.isArray(spec.default)
        ? [...(spec.default as string[])]
        : (spec.default as OptionValue);
    else if (spec.type === 'boolean') options[name] = false;
  }
  return { positional, options: options as OptionValues<S>, given };
}

function unknownOption(raw: string, known: readonly string[]): string {
  const flags = known.map((k) => `--${k}`);
  const guess = closest(raw.startsWith('--') ? raw : `-${raw}`, flags);
  if (guess) return `unknown option ${raw}; did you mean ${guess}?`;
  return `unknown option ${raw}${flags.length > 0 ? ` (options: ${flags.join(', ')})` : ' (this command takes no options)'}`;
}

function checkChoice(name: string, value: string, spec: OptionSpec): void {
  if (!spec.choices || spec.choices.includes(value)) return;
  const guess = closest(value, spec.choices);
  throw new UsageError(
    `--${name} must be one of ${spec.choices.join(', ')}; got '${value}'${guess ? ` (did you mean ${guess}?)` : ''}`,
  );
}

function convert(name: string, raw: string, spec: OptionSpec): OptionValue {
  if (spec.type === 'string') {
    checkChoice(name, raw, spec);
    return raw;
  }
  if (spec.type === 'list') {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (items.length === 0) throw new UsageError(`--${name} needs at least one value: ${spec.help}`);
    for (const item of items) checkChoice(name, item, spec);
    return items;
  }
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--${name} must be a number; got '${raw}'`);
  if (spec.type === 'int' && !Number.isInteger(v))
    throw new UsageError(`--${name} must be an integer; got '${raw}'`);
  if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))
    throw new UsageError(`--${name} must be ${rangeText(spec)}; got ${raw}`);
  return v;
}

function rangeText(spec: OptionSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return `from ${spec.min} to ${spec.max}`;
  return spec.min !== undefined ? `at least ${spec.min}` : `at most ${spec.max}`;
}

/** Help text for a command's options: one line each, with allowed values, range and default. */
export function formatOptions(specs: Readonly<Record<string, OptionSpec>>): string {
  const rows = Object.entries(specs).map(([k, s]) => {
    const valueName =
      s.type === 'boolean'
        ? ''
        : s.valueName !== undefined
          ? ` ${s.valueName}`
          : s.type === 'list'
            ? ` ${s.choices ? s.choices.join(',') : 'A,B,...'}`
            : ` ${s.choices ? s.choices.join('|') : s.type === 'string' ? 'VALUE' : 'N'}`;
    const range =
      (s.type === 'int' || s.type === 'number') && (s.min !== undefined || s.max !== undefined)
        ? `; ${rangeText(s)}`
        : '';
    const def =
      s.default !== undefined
        ? ` (default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)}${range})`
        : range
          ? ` (${range.slice(2)})`
          : '';
    return [`--${k}${valueName}`, s.help + def] as const;
  });
  const w = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`).join('\n');
}
