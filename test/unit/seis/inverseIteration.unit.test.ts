/**
 * Inverse iteration on tridiagonals where it used to give up and hand the work to QL with accumulated
 * rotations: a long run of exactly tied eigenvalues (the ρ = 1 pairs of a rot90 or flip cell) and a
 * matrix of small norm (a null CCA's). Each vector must come back, accurate and orthogonal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inverseIterationVectors, symmetricEigen } from '../../../src/seis/linalg/symmetricEigen';
import { orthogonalizationSpace } from '../../../src/seis/linalg/symv';

function eigenvaluesOf(d: number[], e: number[]): Float64Array {
  const n = d.length;
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    dense[i * n + i] = d[i];
    if (i < n - 1) dense[(i + 1) * n + i] = dense[i * n + i + 1] = e[i];
  }
  return symmetricEigen(dense, n, { vectors: 0 }).values;
}

function check(d: number[], e: number[]): void {
  const n = d.length;
  const values = eigenvaluesOf(d, e);
  const rows = inverseIterationVectors(Float64Array.from(d), Float64Array.from([...e, 0]), n, values, n);
  assert.ok(rows, 'inverse iteration returned every vector');
  const norm = Math.max(...values.map(Math.abs));
  for (let v = 0; v < n; v++) {
    const x = rows.subarray(v * n, v * n + n);
    let residual = 0;
    for (let i = 0; i < n; i++) {
      const tx = d[i] * x[i] + (i > 0 ? e[i - 1] * x[i - 1] : 0) + (i < n - 1 ? e[i] * x[i + 1] : 0);
      residual += (tx - values[v] * x[i]) ** 2;
    }
    assert.ok(Math.sqrt(residual) <= 1e-12 * norm, `vector ${v}: residual ${Math.sqrt(residual)}`);
    for (let w = 0; w < v; w++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += x[i] * rows[w * n + i];
      assert.ok(Math.abs(dot) <= 1e-12, `vectors ${w} and ${v}: cosine ${dot}`);
    }
  }
}

describe('inverse iteration where it used to fall back to QL', () => {
  it('a run of 50 exactly tied eigenvalues', () => {
    const d = [...Array<number>(50).fill(1), ...Array.from({ length: 30 }, (_, i) => 0.9 - 0.02 * i)];
    const e = Array.from({ length: d.length - 1 }, (_, i) => (i < 49 ? 1e-17 : 1e-3 * Math.sin(i)));
    check(d, e);
  });

  it('a matrix of norm 0.03', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const d = Array.from({ length: 40 }, () => 0.03 * rand());
    const e = Array.from({ length: 39 }, () => 0.003 * (rand() - 0.5));
    check(d, e);
  });
});

/**
 * Inverse iteration one vector at a time, as the solver ran before it kept two vectors in flight:
 * factorize, random start, then solve / re-orthogonalize / normalize until converged. The pipelined
 * solver must return exactly these bits (same operations in the same order for every vector).
 */
function sequentialInverseIteration(d: Float64Array, e: Float64Array, n: number, eigenvalues: Float64Array, count: number): Float64Array | null {
  const eps = 2 ** -52;
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0));
  const window = 1e-3 * norm;
  const tiny = eps * norm;
  const space = orthogonalizationSpace(count, n);
  const { rows, stride } = space;
  const x = space.iterates[0];
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  const u2 = new Float64Array(n);
  const multiplier = new Float64Array(n);
  const swapped = new Uint8Array(n);
  let seed = 0x2545f491;
  let previous = Number.POSITIVE_INFINITY;
  for (let v = 0; v < count; v++) {
    let lambda = eigenvalues[v];
    if (previous - lambda < 10 * eps * Math.abs(lambda)) lambda = previous - 10 * eps * Math.max(Math.abs(lambda), tiny);
    previous = lambda;
    const separation = Math.abs(lambda - eigenvalues[v]);
    let diag = d[0] - lambda;
    let sup = n > 1 ? e[0] : 0;
    for (let k = 0; k < n - 1; k++) {
      const below = e[k];
      const nextDiag = d[k + 1] - lambda;
      const nextSup = k + 1 < n - 1 ? e[k + 1] : 0;
      if (Math.abs(diag) >= Math.abs(below)) {
        swapped[k] = 0;
        const l = diag === 0 ? 0 : below / diag;
        multiplier[k] = l;
        u0[k] = diag;
        u1[k] = sup;
        u2[k] = 0;
        diag = nextDiag - l * sup;
        sup = nextSup;
      } else {
        swapped[k] = 1;
        const l = diag / below;
        multiplier[k] = l;
        u0[k] = below;
        u1[k] = nextDiag;
        u2[k] = nextSup;
        diag = sup - l * nextDiag;
        sup = -l * nextSup;
      }
    }
    u0[n - 1] = diag;
    for (let k = 0; k < n; k++) if (Math.abs(u0[k]) < tiny) u0[k] = u0[k] < 0 ? -tiny : tiny;
    for (let i = 0; i < n; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      x[i] = ((seed >>> 0) / 4294967296 - 0.5) * norm;
    }
    let converged = false;
    for (let iteration = 0; iteration < 5 && !converged; iteration++) {
      for (let k = 0; k < n - 1; k++) {
        if (swapped[k]) {
          const t = x[k];
          x[k] = x[k + 1];
          x[k + 1] = t - multiplier[k] * x[k + 1];
        } else {
          x[k + 1] -= multiplier[k] * x[k];
        }
      }
      x[n - 1] /= u0[n - 1];
      if (n >= 2) x[n - 2] = (x[n - 2] - u1[n - 2] * x[n - 1]) / u0[n - 2];
      for (let k = n - 3; k >= 0; k--) x[k] = (x[k] - u1[k] * x[k + 1] - u2[k] * x[k + 2]) / u0[k];
      let growth = 0;
      for (let i = 0; i < n; i++) growth += x[i] * x[i];
      growth = Math.sqrt(growth);
      let first = v;
      while (first > 0 && eigenvalues[first - 1] - eigenvalues[v] <= window) first--;
      let length = growth;
      if (first < v) {
        space.orthogonalize(0, first, v);
        length = 0;
        for (let i = 0; i < n; i++) length += x[i] * x[i];
        length = Math.sqrt(length);
      }
      if (!(length > 0) || !Number.isFinite(length)) return null;
      for (let i = 0; i < n; i++) x[i] /= length;
      if ((growth / norm) * (tiny + separation) * Math.sqrt(n) > 0.1 && iteration >= 1) converged = true;
      if (!converged) for (let i = 0; i < n; i++) x[i] *= norm;
    }
    if (!converged) return null;
    rows.set(x.subarray(0, n), v * stride);
  }
  const compact = new Float64Array(count * n);
  for (let v = 0; v < count; v++) compact.set(rows.subarray(v * stride, v * stride + n), v * n);
  return compact;
}

describe('inverse iteration with two vectors in flight', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const cases: { name: string; d: number[]; e: number[]; count?: number }[] = [
    { name: 'random, order 1', d: [0.4], e: [] },
    { name: 'random, order 2', d: [0.4, -1.2], e: [0.3] },
    { name: 'random, order 37 (JS re-orthogonalization)', d: Array.from({ length: 37 }, rand), e: Array.from({ length: 36 }, () => rand() - 0.5) },
    { name: 'random, order 130 (SIMD re-orthogonalization)', d: Array.from({ length: 130 }, rand), e: Array.from({ length: 129 }, () => rand() - 0.5) },
    { name: 'top 17 of order 90', d: Array.from({ length: 90 }, rand), e: Array.from({ length: 89 }, () => rand() - 0.5), count: 17 },
    {
      name: 'a run of 50 exactly tied eigenvalues and a cluster',
      d: [...Array<number>(50).fill(1), ...Array.from({ length: 30 }, (_, i) => 0.9 - 1e-5 * i)],
      e: Array.from({ length: 79 }, (_, i) => (i < 49 ? 1e-17 : 1e-3 * Math.sin(i))),
    },
    { name: 'a matrix of norm 0.03', d: Array.from({ length: 60 }, () => 0.03 * rand()), e: Array.from({ length: 59 }, () => 0.003 * (rand() - 0.5)) },
  ];
  for (const { name, d, e, count } of cases) {
    it(`${name}: the same bits as one vector at a time`, () => {
      const n = d.length;
      const values = eigenvaluesOf(d, e);
      const want = count ?? n;
      const pipelined = inverseIterationVectors(Float64Array.from(d), Float64Array.from([...e, 0]), n, values, want);
      const sequential = sequentialInverseIteration(Float64Array.from(d), Float64Array.from([...e, 0]), n, values, want);
      assert.ok(pipelined && sequential, 'both returned every vector');
      assert.deepEqual(pipelined, sequential);
    });
  }
});
