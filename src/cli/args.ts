/**
 * A small typed command-line parser for the `seis` subcommands. Every problem (unknown flag,
 * missing or malformed value, wrong number of positionals) becomes a UsageError whose message
 * names the flag and what is accepted, so the CLI can print one line and exit 2.
 */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface FlagBase {
  /** One line for --help. */
  readonly help: string;
}
export interface BooleanFlag extends FlagBase {
  readonly type: 'boolean';
}
export interface StringFlag extends FlagBase {
  readonly type: 'string';
  readonly default?: string;
  readonly metavar?: string;
}
export interface ChoiceFlag<C extends string = string> extends FlagBase {
  readonly type: 'choice';
  readonly choices: readonly C[];
  readonly default?: C;
}
export interface NumberFlag extends FlagBase {
  readonly type: 'number';
  readonly default?: number;
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Whether `min` itself is excluded (e.g. τ must be > 0). */
  readonly minExclusive?: boolean;
  readonly metavar?: string;
}
export type FlagSpec = BooleanFlag | StringFlag | ChoiceFlag | NumberFlag;
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type ValueOf<F extends FlagSpec> = F extends BooleanFlag
  ? boolean
  : F extends ChoiceFlag<infer C>
    ? F extends { default: C } ? C : C | undefined
    : F extends NumberFlag
      ? F extends { default: number } ? number : number | undefined
      : F extends { default: string } ? string : string | undefined;

export type ParsedFlags<S extends FlagSpecs> = { -readonly [K in keyof S]: ValueOf<S[K]> };

export interface Parsed<S extends FlagSpecs> {
  readonly flags: ParsedFlags<S>;
  readonly positionals: string[];
}

export interface PositionalSpec {
  /** Names shown in messages, e.g. ['CLEAN.npy', 'TRANSFORMED.npy']. */
  readonly names: readonly string[];
  /** Defaults to names.length. */
  readonly min?: number;
  /** Defaults to names.length; Infinity allows any number. */
  readonly max?: number;
}

/**
 * Parses `--name value`, `--name=value` and bare `--flag` booleans; `--` ends the flags.
 * Flag names are camel-cased from their kebab spelling (`--null-perms` ↔ key `nullPerms`)
 * unless the spec key is itself the kebab spelling.
 */
export function parseArgs<S extends FlagSpecs>(argv: readonly string[], specs: S, positional: PositionalSpec, command: string): Parsed<S> {
  const byFlag = new Map<string, string>();
  for (const key of Object.keys(specs)) byFlag.set(`--${toKebab(key)}`, key);
  const flags: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    flags[key] = spec.type === 'boolean' ? false : (spec as { default?: unknown }).default;
  }
  const seen = new Set<string>();
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositionals || !arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const key = byFlag.get(name);
    if (key === undefined) {
      const known = [...byFlag.keys()].join(', ');
      const hint = suggest(name, [...byFlag.keys()]);
      throw new UsageError(`${command}: unknown option ${name}${hint ? ` (did you mean ${hint}?)` : ''}; known options: ${known}`);
    }
    if (seen.has(key)) throw new UsageError(`${command}: ${name} given more than once`);
    seen.add(key);
    const spec = specs[key];
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${command}: ${name} takes no value (write just ${name})`);
      flags[key] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`${command}: ${name} needs a value (${describe(spec)})`);
      }
      raw = next;
      i++;
    }
    flags[key] = convert(raw, name, spec, command);
  }
  const min = positional.min ?? positional.names.length;
  const max = positional.max ?? positional.names.length;
  if (positionals.length < min || positionals.length > max) {
    const usage = positional.names.join(' ');
    throw new UsageError(
      `${command}: expected ${min === max ? min : max === Infinity ? `at least ${min}` : `${min} to ${max}`} argument${(max === Infinity ? min : max) === 1 ? '' : 's'} (${usage}), got ${positionals.length}` +
        (positionals.length > max ? `: ${positionals.slice(max).join(' ')}` : ''),
    );
  }
  return { flags: flags as ParsedFlags<S>, positionals };
}

/** `--help` text for a flag set, one aligned line per flag. */
export function formatFlagHelp(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([key, spec]) => {
    const meta = spec.type === 'boolean' ? '' : ` ${metavar(spec)}`;
    const def = spec.type !== 'boolean' && spec.default !== undefined ? ` (default ${spec.default})` : '';
    return [`--${toKebab(key)}${meta}`, `${spec.help}${def}`];
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}

function convert(raw: string, name: string, spec: StringFlag | ChoiceFlag | NumberFlag, command: string): unknown {
  if (spec.type === 'string') {
    if (raw === '') throw new UsageError(`${command}: ${name} needs a non-empty value`);
    return raw;
  }
  if (spec.type === 'choice') {
    if (!spec.choices.includes(raw)) {
      throw new UsageError(`${command}: ${name} must be one of ${spec.choices.join('|')}, got '${raw}'`);
    }
    return raw;
  }
  const value = raw.trim() === '' ? NaN : Number(raw);
  const bad = (): never => {
    throw new UsageError(`${command}: ${name} must be ${describe(spec)}, got '${raw}'`);
  };
  if (!Number.isFinite(value)) bad();
  if (spec.integer && !Number.isInteger(value)) bad();
  if (spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min)) bad();
  if (spec.max !== undefined && value > spec.max) bad();
  return value;
}

function describe(spec: StringFlag | ChoiceFlag | NumberFlag): string {
  if (spec.type === 'string') return `a ${metavar(spec)}`;
  if (spec.type === 'choice') return `one of ${spec.choices.join('|')}`;
  const kind = spec.integer ? 'an integer' : 'a number';
  const lo = spec.min === undefined ? '' : `${spec.minExclusive ? '>' : '≥'} ${spec.min}`;
  const hi = spec.max === undefined ? '' : `≤ ${spec.max}`;
  const range = [lo, hi].filter(Boolean).join(' and ');
  return range ? `${kind} ${range}` : kind;
}

function metavar(spec: StringFlag | ChoiceFlag | NumberFlag): string {
  if (spec.type === 'choice') return spec.choices.join('|');
  return spec.metavar ?? (spec.type === 'number' ? 'N' : 'VALUE');
}

function toKebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function suggest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
