/**
 * The eigensolver's WebAssembly memories are handed back and reused by the next problem in the
 * thread: a reused memory holds the previous problem's numbers, so a problem must give the same bits
 * whether it runs on a fresh memory or after another problem left its numbers there (the padding of
 * odd orders, which the kernels read, included).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsMatMulBackend } from '../../../src/seis/linalg/jsBackend';
import { inverseIterationVectors } from '../../../src/seis/linalg/inverseIteration';
import { symmetricEigen, symmetricEigenBlocked } from '../../../src/seis/linalg/symmetricEigen';

function random(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
}

function symmetric(n: number, seed: number): Float64Array {
  const next = random(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = next();
  return a;
}

/** A tridiagonal of odd order whose top 20 eigenvalues are tied: every vector there is re-orthogonalized. */
function clusteredTridiagonal(n: number): { d: Float64Array; e: Float64Array; values: Float64Array } {
  const d = Float64Array.from({ length: n }, (_, i) => (i < 20 ? 2 : 1 - i / n));
  const e = Float64Array.from({ length: n }, (_, i) => (i < 19 ? 1e-17 : i < n - 1 ? 1e-3 * Math.cos(i) : 0));
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    dense[i * n + i] = d[i];
    if (i < n - 1) dense[(i + 1) * n + i] = dense[i * n + i + 1] = e[i];
  }
  return { d, e, values: symmetricEigen(dense, n, { vectors: 0 }).values };
}

const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('reused kernel memories', () => {
  it('inverse iteration of odd order gives the same bits on a fresh memory and after a larger problem', () => {
    const { d, e, values } = clusteredTridiagonal(49);
    const fresh = inverseIterationVectors(d, e, 49, values, 49);
    assert.ok(fresh);
    // Fills the memory the next call reuses with nonzero numbers, padding positions included.
    const other = clusteredTridiagonal(201);
    assert.ok(inverseIterationVectors(other.d, other.e, 201, other.values, 201));
    const again = inverseIterationVectors(d, e, 49, values, 49);
    assert.ok(again);
    assert.equal(bits(again), bits(fresh));
  });

  it('the blocked solver (reduction workspace and inverse iteration) gives the same bits after a larger problem', async () => {
    const a = symmetric(171, 5);
    const fresh = await symmetricEigenBlocked(a, 171, { vectors: 171 }, jsMatMulBackend);
    await symmetricEigenBlocked(symmetric(230, 9), 230, { vectors: 230 }, jsMatMulBackend);
    const again = await symmetricEigenBlocked(a, 171, { vectors: 171 }, jsMatMulBackend);
    assert.equal(bits(again.values), bits(fresh.values));
    assert.equal(bits(again.vectorColumns), bits(fresh.vectorColumns));
  });

  it('two reductions in flight at once in one thread each get their own memory', async () => {
    const a = symmetric(181, 3);
    const b = symmetric(190, 4);
    const aloneA = await symmetricEigenBlocked(a, 181, { vectors: 10 }, jsMatMulBackend);
    const aloneB = await symmetricEigenBlocked(b, 190, { vectors: 10 }, jsMatMulBackend);
    const [togetherA, togetherB] = await Promise.all([
      symmetricEigenBlocked(a, 181, { vectors: 10 }, jsMatMulBackend),
      symmetricEigenBlocked(b, 190, { vectors: 10 }, jsMatMulBackend),
    ]);
    assert.equal(bits(togetherA.vectorColumns), bits(aloneA.vectorColumns));
    assert.equal(bits(togetherB.vectorColumns), bits(aloneB.vectorColumns));
  });
});
