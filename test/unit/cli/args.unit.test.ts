import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpecs } from '../../../src/cli/args';

const SPECS = {
  keep: { type: 'number', default: 0.99, min: 0, minExclusive: true, max: 1, help: 'tau' },
  nullPerms: { type: 'number', default: 3, integer: true, min: 0, help: 'perms' },
  offset: { type: 'number', help: 'may be negative' },
  mode: { type: 'choice', choices: ['a', 'b'], default: 'a', help: 'mode' },
  out: { type: 'string', metavar: 'FILE', help: 'output' },
  json: { type: 'boolean', help: 'json' },
} as const satisfies FlagSpecs;
const TWO = { names: ['X', 'Y'] };

function usage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof UsageError && pattern.test(err.message));
}

describe('parseArgs', () => {
  it('applies defaults and types', () => {
    const { flags, positionals } = parseArgs(['x', 'y'], SPECS, TWO, 'cmd');
    assert.deepEqual(positionals, ['x', 'y']);
    assert.deepEqual(flags, { keep: 0.99, nullPerms: 3, offset: undefined, mode: 'a', out: undefined, json: false });
  });
  it('reads --name value, --name=value, kebab-case names and booleans in any position', () => {
    const { flags, positionals } = parseArgs(['--json', 'x', '--null-perms', '5', 'y', '--keep=0.5', '--mode', 'b', '--out', 'r.json'], SPECS, TWO, 'cmd');
    assert.deepEqual(positionals, ['x', 'y']);
    assert.equal(flags.nullPerms, 5);
    assert.equal(flags.keep, 0.5);
    assert.equal(flags.mode, 'b');
    assert.equal(flags.out, 'r.json');
    assert.equal(flags.json, true);
  });
  it('takes negative numbers as values and "--" to end the flags', () => {
    const { flags, positionals } = parseArgs(['--offset', '-3', '--', '--json', 'y'], SPECS, TWO, 'cmd');
    assert.equal(flags.offset, -3);
    assert.equal(flags.json, false);
    assert.deepEqual(positionals, ['--json', 'y']);
  });
  it('refuses unknown flags with a suggestion and the list of known ones', () => {
    usage(() => parseArgs(['x', 'y', '--jsno'], SPECS, TWO, 'cmd'), /^cmd: unknown option --jsno \(did you mean --json\?\); known options: --keep, --null-perms/);
    usage(() => parseArgs(['x', 'y', '--zzzzzz'], SPECS, TWO, 'cmd'), /unknown option --zzzzzz; known/);
  });
  it('refuses out-of-range, non-integer and non-numeric values, naming the accepted range', () => {
    usage(() => parseArgs(['x', 'y', '--keep', '0'], SPECS, TWO, 'cmd'), /--keep must be a number > 0 and ≤ 1, got '0'/);
    usage(() => parseArgs(['x', 'y', '--null-perms', '-1'], SPECS, TWO, 'cmd'), /--null-perms must be an integer ≥ 0/);
    usage(() => parseArgs(['x', 'y', '--null-perms', '1.5'], SPECS, TWO, 'cmd'), /--null-perms must be an integer/);
    usage(() => parseArgs(['x', 'y', '--keep', 'high'], SPECS, TWO, 'cmd'), /got 'high'/);
    usage(() => parseArgs(['x', 'y', '--keep='], SPECS, TWO, 'cmd'), /got ''/);
    usage(() => parseArgs(['x', 'y', '--mode', 'c'], SPECS, TWO, 'cmd'), /--mode must be one of a\|b, got 'c'/);
  });
  it('refuses missing values, repeated flags and values given to booleans', () => {
    usage(() => parseArgs(['x', 'y', '--out'], SPECS, TWO, 'cmd'), /--out needs a value \(a FILE\)/);
    usage(() => parseArgs(['x', 'y', '--out', '--json'], SPECS, TWO, 'cmd'), /--out needs a value/);
    usage(() => parseArgs(['x', 'y', '--keep', '0.5', '--keep', '0.6'], SPECS, TWO, 'cmd'), /--keep given more than once/);
    usage(() => parseArgs(['x', 'y', '--json=yes'], SPECS, TWO, 'cmd'), /--json takes no value/);
  });
  it('checks the number of positionals', () => {
    usage(() => parseArgs(['x'], SPECS, TWO, 'cmd'), /expected 2 arguments \(X Y\), got 1/);
    usage(() => parseArgs(['x', 'y', 'z'], SPECS, TWO, 'cmd'), /got 3: z/);
    assert.deepEqual(parseArgs([], SPECS, { names: ['FILES...'], min: 0, max: Infinity }, 'cmd').positionals, []);
  });
  it('formats help with defaults', () => {
    const help = formatFlagHelp(SPECS);
    assert.match(help, /--keep N\s+tau \(default 0\.99\)/);
    assert.match(help, /--mode a\|b\s+mode \(default a\)/);
    assert.match(help, /--json\s+json$/m);
  });
});
