/**
 * A small, strict command-line parser: `--name value`, `--name=value`, boolean `--flag`, and
 * positional arguments. Unknown options and malformed values are errors that name the option and
 * what it expects.
 */

/** Declaration of one option. */
export interface OptionSpec {
  /** 'string', 'int', 'number' or 'boolean'. */
  type: 'string' | 'int' | 'number' | 'boolean';
  /** One line of help. */
  help: string;
  /** Allowed values for a string option. */
  choices?: readonly string[];
  /** Shown in help as the default. */
  default?: string | number | boolean;
}

/** A usage error: the CLI prints it with the command's help and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parsed arguments. */
export interface ParsedArgs {
  positional: string[];
  options: Record<string, string | number | boolean>;
}

/** Parse `argv` against `specs` (keys are option names without dashes, in kebab-case). */
export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  const positional: string[] = [];
  const options: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq >= 0 ? eq : undefined);
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`);
      throw new UsageError(
        `unknown option --${name}${known.length ? ` (options: ${known.join(', ')})` : ''}`,
      );
    }
    if (spec.type === 'boolean') {
      options[name] = eq >= 0 ? a.slice(eq + 1) !== 'false' : true;
      continue;
    }
    const raw = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (raw === undefined || (eq < 0 && raw.startsWith('--')))
      throw new UsageError(`--${name} needs a value (${spec.help})`);
    options[name] = convert(name, raw, spec);
  }
  return { positional, options };
}

function convert(name: string, raw: string, spec: OptionSpec): string | number {
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}; got '${raw}'`);
    }
    return raw;
  }
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--${name} must be a number; got '${raw}'`);
  if (spec.type === 'int' && !Number.isInteger(v))
    throw new UsageError(`--${name} must be an integer; got '${raw}'`);
  return v;
}

/** Help text for a command's options. */
export function formatOptions(specs: Readonly<Record<string, OptionSpec>>): string {
  const rows = Object.entries(specs).map(([k, s]) => {
    const arg =
      s.type === 'boolean'
        ? `--${k}`
        : `--${k} ${s.choices ? s.choices.join('|') : s.type === 'string' ? 'VALUE' : 'N'}`;
    const def = s.default !== undefined ? ` (default: ${String(s.default)})` : '';
    return [arg, s.help + def] as const;
  });
  const w = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`).join('\n');
}
