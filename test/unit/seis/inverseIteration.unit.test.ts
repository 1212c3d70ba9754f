/**
 * Inverse iteration on tridiagonals where it used to give up and hand the work to QL with accumulated
 * rotations: a long run of exactly tied eigenvalues (the ρ = 1 pairs of a rot90 or flip cell) and a
 * matrix of small norm (a null CCA's). Each vector must come back, accurate and orthogonal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inverseIterationVectors } from '../../../src/seis/linalg/inverseIteration';
import { symmetricEigen } from '../../../src/seis/linalg/symmetricEigen';

function eigenvaluesOf(d: number[], e: number[]): Float64Array {
  const n = d.length;
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    dense[i * n + i] = d[i];
    if (i < n - 1) dense[(i + 1) * n + i] = dense[i * n + i + 1] = e[i];
  }
  return symmetricEigen(dense, n, { vectors: 0 }).values;
}

function check(d: number[], e: number[], count = d.length): void {
  const n = d.length;
  const values = eigenvaluesOf(d, e);
  const rows = inverseIterationVectors(Float64Array.from(d), Float64Array.from([...e, 0]), n, values, count);
  assert.ok(rows, 'inverse iteration returned every vector');
  assert.equal(rows.length, count * n);
  const norm = Math.max(...values.map(Math.abs));
  for (let v = 0; v < count; v++) {
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

  // The next vector's factorization and first solve run inside the current vector's second solve:
  // the edges of that pipeline (one vector, the last vector alone, orders with no inner steps).
  it('orders 1 to 3, and one vector of several', () => {
    check([2], []);
    check([2, -1], [0.5]);
    check([1, 1], [0]);
    check([3, 1, 2], [0.25, -0.5]);
    check([3, 1, 2, 0.5, 4], [0.25, -0.5, 1, 0.1], 1);
    check([3, 1, 2, 0.5, 4], [0.25, -0.5, 1, 0.1], 2);
  });
});
