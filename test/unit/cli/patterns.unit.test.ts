// `seis score --patterns N`: the canonical patterns in the JSON and the table, through the real
// dispatcher on .npy files, checked against the literal one-sided-SVD oracle.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { main } from '../../../src/cli/main';
import { writeNpyFile } from '../../../src/io/npy';
import { createRandom } from '../../../src/seis';
import type { ScoreJson } from '../../../src/cli/score';
import { directSeis } from '../seis/directSeis';

async function seis(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (into: string[]) => new Writable({ write: (chunk, _e, done) => (into.push(String(chunk)), done()) });
  const code = await main(args, { stdout: sink(chunks.out), stderr: sink(chunks.err) });
  return { code, stdout: chunks.out.join(''), stderr: chunks.err.join('') };
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let [dot, na, nb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) [dot, na, nb] = [dot + a[i] * b[i], na + a[i] ** 2, nb + b[i] ** 2];
  return dot / Math.sqrt(na * nb);
};

describe('seis score --patterns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seis-patterns-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const [b, c, h, w] = [30, 6, 5, 7];
  const next = createRandom(5);
  const clean = Float32Array.from({ length: b * c * h * w }, () => next() - 0.5);
  // Each map flipped left-right, plus noise: a re-encoding with distinct canonical correlations.
  const moved = new Float32Array(clean.length);
  for (let p = 0; p < b * c; p++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) moved[(p * h + i) * w + j] = clean[(p * h + i) * w + (w - 1 - j)] + 0.6 * (next() - 0.5);
  const cleanPath = join(dir, 'clean.npy');
  const movedPath = join(dir, 'flip.npy');
  writeNpyFile(cleanPath, { data: clean, shape: [b, c, h, w] });
  writeNpyFile(movedPath, { data: moved, shape: [b, c, h, w] });

  it('adds the top N patterns to the JSON, on the h×w grid, matching the oracle for untied pairs', async () => {
    const run = await seis('score', cleanPath, movedPath, '--patterns', '4', '--json', '--backend', 'js');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as ScoreJson;
    assert.equal(result.patterns?.length, 4);
    const oracle = directSeis(Float64Array.from(clean), Float64Array.from(moved), b * c, h * w);
    for (const [i, p] of (result.patterns ?? []).entries()) {
      assert.equal(p.height, h);
      assert.equal(p.width, w);
      assert.equal(p.clean.length, h * w);
      assert.ok(Math.abs(p.rho - oracle.rho[i]) < 1e-9);
      const untied = (i === 0 || oracle.rho[i - 1] - oracle.rho[i] > 1e-6) && oracle.rho[i] - oracle.rho[i + 1] > 1e-6;
      assert.ok(untied, `pair ${i} is tied in this fixture; pick another seed`);
      assert.equal(p.tied, false);
      assert.ok(Math.abs(cosine(p.clean, oracle.weights[i].clean)) >= 0.999, `pair ${i} clean`);
      assert.ok(Math.abs(cosine(p.transformed, oracle.weights[i].transformed)) >= 0.999, `pair ${i} transformed`);
    }
    // Without the flag the JSON is unchanged: no patterns key.
    const plain = JSON.parse((await seis('score', cleanPath, movedPath, '--json', '--backend', 'js')).stdout) as ScoreJson;
    assert.equal(plain.patterns, undefined);
    assert.equal(plain.equivariance, result.equivariance);
  });

  it('lists the patterns in the table and refuses the channel diagnostic and bad counts', async () => {
    const table = await seis('score', cleanPath, movedPath, '--patterns', '2', '--backend', 'js');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /patterns {5}1\. ρ 0\.\d{4} {2}\|cos\(w, v\)\| 0\.\d{4} {2}on 5×7\n {13}2\. ρ/);
    const channel = await seis('score', cleanPath, movedPath, '--patterns', '2', '--orientation', 'channel', '--backend', 'js');
    assert.equal(channel.code, 2);
    assert.match(channel.stderr, /spatial orientation \(SEIS\) only/);
    const bad = await seis('score', cleanPath, movedPath, '--patterns', '-1');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--patterns must be an integer ≥ 0 and ≤ 64, got '-1'/);
  });
});
