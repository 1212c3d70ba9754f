// The real `seis` command as a child process (bin/seis.js on the TypeScript source) on the
// reference fixtures: what a user sees on stdout/stderr and the exit code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { writeNpyFile } from '../../../src/io/npy';
import { main } from '../../../src/cli/main';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'seis.js');
const REF = join(ROOT, 'test', 'fixtures', 'reference');
const NPY = join(REF, 'npy');
const expected = JSON.parse(readFileSync(join(REF, 'expected.json'), 'utf8')) as {
  cases: { name: string; clean: string; transformed: string; expected: { equivariance: number; invariance: number; rankClean: number; rankTransformed: number; null: { equivariance: number } } }[];
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function seis(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, SEIS_CLI_SOURCE: '1' }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The same dispatcher in this process, for the many error paths (each child process costs
 * seconds of start-up on a loaded 2-core machine). A handful of cases below still spawn bin/seis.js.
 */
async function seisInProcess(...args: string[]): Promise<Run> {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    return { stream, text: () => chunks.join('') };
  };
  const out = sink();
  const err = sink();
  const code = await main(args, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

function ref(name: string) {
  const c = expected.cases.find((x) => x.name === name);
  assert.ok(c, `fixture ${name}`);
  return { ...c, cleanPath: join(REF, c.clean), transformedPath: join(REF, c.transformed) };
}

/** Bad input: exit 2, one line on stderr naming the problem, nothing on stdout, no stack trace. */
function assertUsageFailure(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit code 2, got ${run.code}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, pattern);
  assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:/, 'no stack trace');
}

describe('seis score (bin/seis.js as a child process, error paths in-process)', () => {
  it('--json prints exactly one parseable object with the promised fields, matching the LAPACK reference', async () => {
    const c = ref('rot90_noisy');
    const run = await seis('score', c.cleanPath, c.transformedPath, '--json');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one line of JSON');
    const out = JSON.parse(lines[0]);
    for (const key of ['equivariance', 'invariance', 'rankClean', 'rankTransformed', 'r', 'observations', 'variables', 'null', 'warnings']) {
      assert.ok(key in out, `field ${key}`);
    }
    assert.deepEqual(Object.keys(out.null).sort(), ['equivariance', 'invariance', 'permutations']);
    assert.ok(Array.isArray(out.warnings));
    assert.ok(Math.abs(out.equivariance - c.expected.equivariance) < 1e-6);
    assert.ok(Math.abs(out.invariance - c.expected.invariance) < 1e-6);
    assert.equal(out.rankClean, c.expected.rankClean);
    assert.equal(out.rankTransformed, c.expected.rankTransformed);
    assert.ok(Math.abs(out.null.equivariance - c.expected.null.equivariance) < 1e-6);
    assert.equal(out.backend, 'onnxruntime', 'ort is the default backend');
    assert.equal(out.reading.kind, 're-encoded');
  });

  it('--backend js gives the same scores; options by name reach the core', async () => {
    const c = ref('tokens_cls');
    const [viaOrt, viaJs] = await Promise.all([
      seis('score', c.cleanPath, c.transformedPath, '--json', '--null-perms', '1', '--seed=5', '--keep', '0.95'),
      seis('score', c.cleanPath, c.transformedPath, '--json', '--null-perms', '1', '--seed=5', '--keep', '0.95', '--backend', 'js'),
    ]);
    assert.equal(viaOrt.code, 0, viaOrt.stderr);
    assert.equal(viaJs.code, 0, viaJs.stderr);
    const a = JSON.parse(viaOrt.stdout);
    const b = JSON.parse(viaJs.stdout);
    assert.equal(b.backend, 'js');
    assert.equal(a.null.permutations, 1);
    assert.equal(a.seed, 5);
    assert.equal(a.keep, 0.95);
    assert.ok(a.rankClean < c.expected.rankClean, 'a lower τ keeps fewer directions');
    assert.ok(Math.abs(a.equivariance - b.equivariance) < 1e-9);
    assert.ok(Math.abs(a.invariance - b.invariance) < 1e-9);
    assert.match(a.warnings.join(' '), /class token/);
  });

  it('prints a readable table: scores, nulls, ranks, reading, warnings', async () => {
    const c = ref('underdetermined');
    const run = await seis('score', c.cleanPath, c.transformedPath, '--backend', 'js');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /equivariance S_E\s+1\.0000\s+1\.0000/);
    assert.match(run.stdout, /invariance\s+S_I\s+\d\.\d{4}/);
    assert.match(run.stdout, /null \(3 perms\)/);
    assert.match(run.stdout, /k = 3, k' = 5 \(τ = 0\.99\), r = 3/);
    assert.match(run.stdout, /reading\s+underdetermined/);
    assert.match(run.stdout, /Underdetermined: 6 observations/);
  });

  it('channel orientation is labelled as a diagnostic, not SEIS', async () => {
    const c = ref('random_pair');
    const run = await seisInProcess('score', c.cleanPath, c.transformedPath, '--orientation', 'channel', '--backend', 'js');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /channel diagnostic \(variables = channels; not SEIS\)/);
    assert.match(run.stdout, /n = 432 observations, d = 8 variables/);
  });

  it('refuses bad .npy files with one line naming the file and the problem', async () => {
    const good = ref('random_pair').cleanPath;
    assertUsageFailure(await seis('score', good, join(NPY, 'big_endian_f4.npy')), /big_endian_f4\.npy: big-endian float32/);
    assertUsageFailure(await seisInProcess('score', join(NPY, 'fortran_f4.npy'), good), /fortran_f4\.npy: Fortran-ordered/);
    assertUsageFailure(await seisInProcess('score', join(NPY, 'int32.npy'), good), /int32\.npy: dtype int32/);
    assertUsageFailure(await seisInProcess('score', join(NPY, 'truncated_f4.npy'), good), /truncated_f4\.npy: truncated data/);
    assertUsageFailure(await seisInProcess('score', good, join(REF, 'missing.npy')), /missing\.npy: no such file/);
  });

  it('refuses shape mismatches, rank-2 tensors and non-finite values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seis-cli-'));
    try {
      writeNpyFile(join(dir, 'pooled.npy'), { data: new Float32Array(12), shape: [4, 3] });
      const nan = new Float32Array(4 * 3 * 2 * 2).map((_, i) => i);
      nan[7] = Number.NaN;
      writeNpyFile(join(dir, 'nan.npy'), { data: nan, shape: [4, 3, 2, 2] });
      writeFileSync(join(dir, 'text.npy'), 'not numpy');
      assertUsageFailure(await seisInProcess('score', join(dir, 'pooled.npy'), join(dir, 'pooled.npy')), /pooled\.npy: shape \(4, 3\) has no spatial or token axis/);
      assertUsageFailure(await seisInProcess('score', ref('random_pair').cleanPath, ref('wide').cleanPath), /shapes differ: .*\(12, 8, 6, 6\).*\(4, 6, 8, 8\)/);
      assertUsageFailure(await seisInProcess('score', join(dir, 'nan.npy'), join(dir, 'nan.npy')), /nan\.npy: 1 of 48 values are NaN or Inf/);
      assertUsageFailure(await seisInProcess('score', join(dir, 'text.npy'), join(dir, 'nan.npy')), /text\.npy: not a NumPy \.npy file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad usage: unknown flags (with a suggestion), bad values, wrong argument count', async () => {
    const c = ref('random_pair');
    assertUsageFailure(await seis('score', c.cleanPath, c.transformedPath, '--nul-perms', '2'), /unknown option --nul-perms \(did you mean --null-perms\?\)/);
    assertUsageFailure(await seisInProcess('score', c.cleanPath, c.transformedPath, '--keep', '1.5'), /--keep must be a number > 0 and ≤ 1, got '1\.5'/);
    assertUsageFailure(await seisInProcess('score', c.cleanPath, c.transformedPath, '--null-perms', '2.5'), /--null-perms must be an integer/);
    assertUsageFailure(await seisInProcess('score', c.cleanPath, c.transformedPath, '--orientation', 'diagonal'), /--orientation must be one of spatial\|channel/);
    assertUsageFailure(await seisInProcess('score', c.cleanPath, c.transformedPath, '--seed'), /--seed needs a value/);
    assertUsageFailure(await seisInProcess('score', c.cleanPath), /expected 2 arguments \(CLEAN\.npy TRANSFORMED\.npy\), got 1/);
  });
});

describe('seis (dispatcher)', () => {
  it('--version prints the package version', async () => {
    const run = await seis('--version');
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
  it('--help lists the commands; score --help lists every option', async () => {
    const top = await seisInProcess('--help');
    assert.equal(top.code, 0);
    assert.match(top.stdout, /seis score CLEAN\.npy TRANSFORMED\.npy/);
    assert.match(top.stdout, /seis analyze MODEL\.onnx/);
    const score = await seisInProcess('score', '--help');
    assert.equal(score.code, 0);
    for (const flag of ['--keep', '--null-perms', '--seed', '--orientation', '--backend', '--json', '--layout']) assert.match(score.stdout, new RegExp(flag));
  });
  it('an unknown command exits 2 with the list of commands', async () => {
    assertUsageFailure(await seisInProcess('scroe'), /unknown command 'scroe'; commands: score, analyze/);
  });
});
