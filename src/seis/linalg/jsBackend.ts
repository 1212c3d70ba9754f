/**
 * The pure-JS matrix-multiply backend: the default, and the one the fast onnxruntime backend
 * is checked against. Kernels are laid out so the innermost loop walks contiguous memory and the
 * output block being accumulated stays in cache.
 */
import type { MatMulBackend } from '../types';

/** Rows of C updated together; 48 rows × 1024 doubles ≈ 384 KB stays in L2. */
const ROW_BLOCK = 48;

export function transposeTimesSync(a: Float64Array, m: number, p: number, b: Float64Array, q: number): Float64Array {
  const c = new Float64Array(p * q);
  for (let i0 = 0; i0 < p; i0 += ROW_BLOCK) {
    const i1 = Math.min(p, i0 + ROW_BLOCK);
    for (let r = 0; r < m; r++) {
      const aRow = r * p;
      const bRow = r * q;
      for (let i = i0; i < i1; i++) {
        const ari = a[aRow + i];
        if (ari === 0) continue;
        const cRow = i * q;
        let j = 0;
        for (; j + 3 < q; j += 4) {
          c[cRow + j] += ari * b[bRow + j];
          c[cRow + j + 1] += ari * b[bRow + j + 1];
          c[cRow + j + 2] += ari * b[bRow + j + 2];
          c[cRow + j + 3] += ari * b[bRow + j + 3];
        }
        for (; j < q; j++) c[cRow + j] += ari * b[bRow + j];
      }
    }
  }
  return c;
}

export function timesSync(a: Float64Array, m: number, k: number, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    const aRow = i * k;
    for (let l = 0; l < k; l++) {
      const ail = a[aRow + l];
      if (ail === 0) continue;
      const bRow = l * n;
      let j = 0;
      for (; j + 3 < n; j += 4) {
        c[cRow + j] += ail * b[bRow + j];
        c[cRow + j + 1] += ail * b[bRow + j + 1];
        c[cRow + j + 2] += ail * b[bRow + j + 2];
        c[cRow + j + 3] += ail * b[bRow + j + 3];
      }
      for (; j < n; j++) c[cRow + j] += ail * b[bRow + j];
    }
  }
  return c;
}

/** Σ_l a[aRow + l]·b[bRow + l] over k entries, in two interleaved partial sums. */
function dotRows(a: Float64Array, aRow: number, b: Float64Array, bRow: number, k: number): number {
  let d0 = 0;
  let d1 = 0;
  let l = 0;
  for (; l + 1 < k; l += 2) {
    d0 += a[aRow + l] * b[bRow + l];
    d1 += a[aRow + l + 1] * b[bRow + l + 1];
  }
  if (l < k) d0 += a[aRow + l] * b[bRow + l];
  return d0 + d1;
}

/** C = A·Bᵀ for A (m×k), B (n×k): dot products of contiguous rows. */
export function timesTransposeSync(a: Float64Array, m: number, k: number, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] = dotRows(a, i * k, b, j * k, k);
  return c;
}

/**
 * G = A·Aᵀ for A (m×k): the dot products of the lower triangle, mirrored (half the work of
 * timesTransposeSync, and the same summation, so the same bits).
 */
export function gramOfRowsSync(a: Float64Array, m: number, k: number): Float64Array {
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) g[i * m + j] = dotRows(a, i * k, a, j * k, k);
  mirrorLower(g, m);
  return g;
}

/**
 * C − A·B entry by entry after timesSync, so the same numbers as subtracting its result (for a
 * backend's small products; the JS backend itself has no subtractProduct: it would save nothing).
 */
export function subtractProductSync(c: Float64Array, a: Float64Array, m: number, k: number, b: Float64Array, n: number): Float64Array {
  const product = timesSync(a, m, k, b, n);
  for (let i = 0; i < product.length; i++) product[i] = c[i] - product[i];
  return product;
}

/** Copies the lower triangle of a symmetric m×m matrix onto its upper one. */
export function mirrorLower(g: Float64Array, m: number): void {
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) g[j * m + i] = g[i * m + j];
}

export const jsMatMulBackend: MatMulBackend = Object.freeze({
  name: 'js',
  transposeTimes: (a: Float64Array, m: number, p: number, b: Float64Array, q: number) =>
    Promise.resolve(transposeTimesSync(a, m, p, b, q)),
  times: (a: Float64Array, m: number, k: number, b: Float64Array, n: number) =>
    Promise.resolve(timesSync(a, m, k, b, n)),
  timesTranspose: (a: Float64Array, m: number, k: number, b: Float64Array, n: number) =>
    Promise.resolve(timesTransposeSync(a, m, k, b, n)),
  gramOfRows: (a: Float64Array, m: number, k: number) => Promise.resolve(gramOfRowsSync(a, m, k)),
});
