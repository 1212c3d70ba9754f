import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createOrtMatMulBackend } from '../../../src/analysis/ortMatMulBackend';
import { canonicalPairsHere, createRandom, type CanonicalPairs } from '../../../src/seis';

describe('onnxruntime backend lifecycle', () => {
  it('a process that used the eigensolver pool exits on its own without dispose()', () => {
    const backendModule = join(__dirname, '../../../src/analysis/ortMatMulBackend.ts');
    const script = `
      const { createOrtMatMulBackend } = require(${JSON.stringify(backendModule)});
      createOrtMatMulBackend().then(async (backend) => {
        const matrix = new Float64Array([2, 1, 1, 2]);
        const result = await backend.symmetricEigen(matrix, 2, {});
        console.log(result.values.join(','));
      });`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.error, undefined, 'the process did not exit within 60 s: an idle pool kept it alive');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), '3,1');
  });
});

describe('eigensolver threads multiply on their own onnxruntime', () => {
  // Each worker loads a single-threaded onnxruntime for its products; SEIS_WORKER_PRODUCTS=main
  // sends them to the main thread instead (the route a worker falls back to when it cannot load it).
  const solve = (route: 'worker' | 'main'): { values: number[]; vectors: number[] } => {
    const backendModule = join(__dirname, '../../../src/analysis/ortMatMulBackend.ts');
    const script = `
      const { createOrtMatMulBackend } = require(${JSON.stringify(backendModule)});
      const n = 320;
      let seed = 7;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rand() + (i === j ? 0.01 * i : 0);
      createOrtMatMulBackend().then(async (backend) => {
        const r = await backend.symmetricEigen(a, n, { vectors: 40 });
        await backend.dispose();
        console.log(JSON.stringify({ values: Array.from(r.values), vectors: Array.from(r.vectorColumns) }));
      });`;
    const env = { ...process.env, ...(route === 'main' ? { SEIS_WORKER_PRODUCTS: 'main' } : {}) };
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 120_000, env });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout) as { values: number[]; vectors: number[] };
  };

  it('gives the decomposition the main-thread route gives, to rounding', () => {
    const own = solve('worker');
    const main = solve('main');
    assert.equal(own.values.length, 320);
    assert.equal(own.vectors.length, 40 * 320);
    const worst = (a: number[], b: number[], sign = (_i: number) => 1) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - sign(i) * b[i])), 0);
    assert.ok(worst(own.values, main.values) < 1e-10, `eigenvalues differ by ${worst(own.values, main.values)}`);
    // A vector's sign is arbitrary: compare each up to its sign (vector v is column v of 320×40).
    const signs = Array.from({ length: 40 }, (_, v) => Math.sign(own.vectors[v] * main.vectors[v]) || 1);
    const vectorGap = worst(own.vectors, main.vectors, (i) => signs[i % 40]);
    assert.ok(vectorGap < 1e-8, `eigenvectors differ by ${vectorGap}`);
  });
});

describe('canonical pairs solved whole on an eigensolver thread', () => {
  it('give the same bits as the calling thread computing them, with ties aligned the same way, from a matrix handed over', async () => {
    const pooled = await createOrtMatMulBackend();
    const inThread = await createOrtMatMulBackend({ eigenThreads: 0 });
    try {
      const solveInPool = pooled.canonicalPairs;
      assert.ok(solveInPool, 'the pooled backend offers canonicalPairs');
      const next = createRandom(41);
      // A 260×200 block with orthonormal columns (every ρ = 1: one tied block of 200, aligned by the
      // project's rule), and a wide random 180×230 one (solved on its transposed side).
      const tied = new Float64Array(260 * 200);
      for (let c = 0; c < 200; c++) {
        const v = Array.from({ length: 260 }, () => next() - 0.5);
        for (let p = 0; p < c; p++) {
          let dot = 0;
          for (let i = 0; i < 260; i++) dot += v[i] * tied[i * 200 + p];
          for (let i = 0; i < 260; i++) v[i] -= dot * tied[i * 200 + p];
        }
        const norm = Math.hypot(...v);
        for (let i = 0; i < 260; i++) tied[i * 200 + c] = v[i] / norm;
      }
      const wide = new Float64Array(180 * 230).map(() => next() - 0.5);
      for (const [x, k, kT] of [
        [tied, 260, 200],
        [wide, 180, 230],
      ] as const) {
        // The pool takes the matrix over (its buffer moves to the worker, not a copy of it).
        const given = x.slice();
        const there: CanonicalPairs = await solveInPool(given, k, kT);
        assert.equal(given.byteLength, 0, 'the pool took the matrix over');
        const here: CanonicalPairs = await canonicalPairsHere(x, k, kT, inThread);
        assert.equal(there.rho.length, Math.min(k, kT));
        assert.deepEqual(there.rho, here.rho, `${k}×${kT}: ρ`);
        assert.deepEqual(there.m, here.m, `${k}×${kT}: m`);
        assert.deepEqual(there.n, here.n, `${k}×${kT}: n`);
      }
    } finally {
      await Promise.all([pooled.dispose(), inThread.dispose()]);
    }
  });
});
