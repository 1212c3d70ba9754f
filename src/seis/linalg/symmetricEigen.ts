/**
 * Symmetric eigendecomposition A = Z Λ Zᵀ for the Gram matrices SEIS works on.
 *
 * Method: Householder reduction to tridiagonal form (lower triangle only, 4/3·n³ flops),
 * implicit QL with Wilkinson-style shifts on the tridiagonal, rotations accumulated into the
 * tridiagonal's eigenvectors, then the Householder reflectors applied back — only to the
 * eigenvectors the caller asked for (SEIS keeps the top-k of a Gram and throws the rest away).
 *
 * Layout: eigenvectors are built as rows of `zt` (zt[i·n + c] = component c of vector i) so that
 * every rotation and every reflector touches contiguous memory.
 *
 * Accuracy: backward stable; eigenvalues to ~n·ε·‖A‖ absolute, vectors to ε·‖A‖/gap.
 */
import type { MatMulBackend } from '../types';
import { inverseIterationVectors } from './inverseIteration';
import { reductionWorkspace, symvWorkspace, upperTriangularTimesInPlace, type ReductionWorkspace, type SymvWorkspace } from './symv';

import type { EigenOptions, SymmetricEigen } from './eigenTypes';

export type { EigenOptions, SymmetricEigen };

/** The products the blocked solver runs through a backend (subtractProduct where the backend has it). */
export type EigenProducts = Pick<MatMulBackend, 'times' | 'transposeTimes' | 'subtractProduct'>;

/** Smallest k whose cumulative (non-negative) eigenvalues reach fraction·total, with 1e-10 relative slack. */
export function energyRank(sortedValues: ArrayLike<number>, fraction: number, totalEnergy: number): number {
  if (!(totalEnergy > 0)) return 0;
  const target = fraction * totalEnergy - 1e-10 * totalEnergy;
  let cumulative = 0;
  for (let i = 0; i < sortedValues.length; i++) {
    cumulative += Math.max(0, sortedValues[i]);
    if (cumulative >= target) return i + 1;
  }
  return sortedValues.length;
}

export interface Tridiagonal {
  readonly diagonal: Float64Array;
  /** sub[i] couples i and i+1; sub[n-1] = 0. */
  readonly sub: Float64Array;
  /** Householder vector j (length n−j−1, v[0] = 1) at reflectorOffsets[j], contiguous for the back-transform. */
  readonly reflectors: Float64Array;
  readonly reflectorOffsets: Int32Array;
  readonly betas: Float64Array;
}

/** Storage for a reduction: every Householder vector at its fixed offset, so blocked and unblocked steps can share it. */
function emptyTridiagonal(n: number): Tridiagonal {
  const reflectorOffsets = new Int32Array(Math.max(n, 1));
  let offset = 0;
  for (let j = 0; j < n - 2; j++) {
    reflectorOffsets[j] = offset;
    offset += n - j - 1;
  }
  return {
    diagonal: new Float64Array(n),
    sub: new Float64Array(n),
    reflectors: new Float64Array((n * (n - 1)) / 2),
    reflectorOffsets,
    betas: new Float64Array(n),
  };
}

/** Reduces a copy of the symmetric matrix (lower triangle read) to tridiagonal form. */
function tridiagonalize(matrix: Float64Array, n: number): Tridiagonal {
  const tri = emptyTridiagonal(n);
  const work = symvWorkspace(n);
  work.matrix.set(matrix);
  reduceUnblocked(work, n, 0, tri);
  work.release();
  return tri;
}

/**
 * Level-2 Householder reduction of columns from..n−3 of `a` (in place, lower triangle read and
 * updated), then the final diagonal and subdiagonal entries.
 */
function reduceUnblocked(work: SymvWorkspace, n: number, from: number, tri: Tridiagonal): void {
  const { diagonal, sub, reflectors, reflectorOffsets, betas } = tri;
  const a = work.matrix;
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let j = from; j < n - 2; j++) {
    const m = n - j - 1;
    const base = j + 1;
    const x0 = a[base * n + j];
    let tail = 0;
    for (let i = 1; i < m; i++) {
      const x = a[(base + i) * n + j];
      tail += x * x;
    }
    if (tail === 0) {
      // Column already reduced: the reflector is the identity.
      sub[j] = x0;
      betas[j] = 0;
      continue;
    }
    const norm = Math.sqrt(x0 * x0 + tail);
    const alpha = x0 > 0 ? -norm : norm;
    const v0 = x0 - alpha;
    // Scale so v[0] = 1; β = 2 / vᵀv.
    v[0] = 1;
    let vtv = 1;
    for (let i = 1; i < m; i++) {
      const vi = a[(base + i) * n + j] / v0;
      v[i] = vi;
      vtv += vi * vi;
    }
    const beta = 2 / vtv;
    sub[j] = alpha;
    betas[j] = beta;
    reflectors.set(v.subarray(0, m), reflectorOffsets[j]);

    // p = β·B·v with B the trailing block.
    work.symv(base, m, v, p);
    let ptv = 0;
    for (let i = 0; i < m; i++) {
      p[i] *= beta;
      ptv += p[i] * v[i];
    }
    const halfK = 0.5 * beta * ptv;
    // w = p − (β/2)(pᵀv)·v, then B ← B − v·wᵀ − w·vᵀ (lower triangle only).
    for (let i = 0; i < m; i++) p[i] -= halfK * v[i];
    for (let r = 0; r < m; r++) {
      const row = (base + r) * n + base;
      const vr = v[r];
      const wr = p[r];
      for (let c = 0; c <= r; c++) a[row + c] -= vr * p[c] + wr * v[c];
    }
  }
  for (let i = from; i < n; i++) diagonal[i] = a[i * n + i];
  if (n >= 2) sub[n - 2] = a[(n - 1) * n + (n - 2)];
  sub[n - 1] = 0;
}

/**
 * √(x² + y²). Math.hypot guards against overflow in a way that costs several times the plain formula
 * in V8, and the QL sweeps call it once per rotation; the plain formula is as accurate (a few ulps)
 * whenever the squares cannot overflow or underflow, which is checked.
 */
function hypot(x: number, y: number): number {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const larger = ax > ay ? ax : ay;
  return larger < 1e150 && larger > 1e-150 ? Math.sqrt(x * x + y * y) : Math.hypot(x, y);
}

/**
 * Implicit QL on the tridiagonal (d, e); eigenvalues land in d, unsorted. When `zt` is given
 * (n×n, rows = vectors, initially the identity), every rotation is applied to it.
 */
function qlImplicit(d: Float64Array, e: Float64Array, n: number, zt: Float64Array | null): void {
  const eps = 2 ** -52;
  let shiftTotal = 0;
  let scale = 0;
  for (let l = 0; l < n; l++) {
    scale = Math.max(scale, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * scale) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 60) throw new Error('Symmetric eigensolver did not converge (60 QL sweeps on one eigenvalue).');
        const g0 = d[l];
        let p = (d[l + 1] - g0) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g0 - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        shiftTotal += h;

        p = d[m];
        let c = 1;
        let c2 = 1;
        let c3 = 1;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (zt !== null) {
            const rowI = i * n;
            const rowJ = rowI + n;
            for (let k = 0; k < n; k++) {
              const zj = zt[rowJ + k];
              const zi = zt[rowI + k];
              zt[rowJ + k] = s * zi + c * zj;
              zt[rowI + k] = c * zi - s * zj;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * scale);
    }
    d[l] += shiftTotal;
    e[l] = 0;
  }
}

/**
 * Applies Q = H_0·H_1·…·H_{n-3} to each row vector y (in place): y ← Q·y. Each row's dot with a
 * reflector is one chain of dependent additions; four rows share a pass over the reflector so four
 * independent chains run at once (each summed in the same order as alone: the same bits).
 */
export function applyReflectors(tri: Tridiagonal, n: number, rows: Float64Array, count: number): void {
  const { reflectors, reflectorOffsets, betas } = tri;
  for (let j = n - 3; j >= 0; j--) {
    const beta = betas[j];
    if (beta === 0) continue;
    const base = j + 1;
    const length = n - base;
    const v = reflectors.subarray(reflectorOffsets[j], reflectorOffsets[j] + length);
    let row = 0;
    for (; row + 4 <= count; row += 4) {
      const o0 = row * n + base;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let i = 0; i < length; i++) {
        const vi = v[i];
        d0 += vi * rows[o0 + i];
        d1 += vi * rows[o1 + i];
        d2 += vi * rows[o2 + i];
        d3 += vi * rows[o3 + i];
      }
      if (d0 !== 0) subtractMultiple(rows, o0, beta * d0, v, length);
      if (d1 !== 0) subtractMultiple(rows, o1, beta * d1, v, length);
      if (d2 !== 0) subtractMultiple(rows, o2, beta * d2, v, length);
      if (d3 !== 0) subtractMultiple(rows, o3, beta * d3, v, length);
    }
    for (; row < count; row++) {
      const offset = row * n + base;
      let dot = 0;
      for (let i = 0; i < length; i++) dot += v[i] * rows[offset + i];
      if (dot !== 0) subtractMultiple(rows, offset, beta * dot, v, length);
    }
  }
}

/** rows[offset + i] −= factor·v[i] for i < length. */
function subtractMultiple(rows: Float64Array, offset: number, factor: number, v: Float64Array, length: number): void {
  for (let i = 0; i < length; i++) rows[offset + i] -= factor * v[i];
}

/**
 * Eigendecomposition of a symmetric n×n row-major matrix (only its lower triangle is read).
 * Eigenvalues: implicit QL. Eigenvectors: inverse iteration on the tridiagonal for just the
 * requested ones (QL with accumulated rotations as the fallback), then the Householder back-transform.
 */
export function symmetricEigen(matrix: Float64Array, n: number, options: EigenOptions = {}): SymmetricEigen {
  if (matrix.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n}×${n} = ${n * n} values, got ${matrix.length}.`);
  if (n === 0) return { values: new Float64Array(0), vectorColumns: new Float64Array(0), count: 0, n };
  const tri = tridiagonalize(matrix, n);
  const { values, vectors: vectorRows, count } = tridiagonalEigen(tri, n, options, 'rows');
  if (count > 0) applyReflectors(tri, n, vectorRows, count);
  return { values, vectorColumns: transposeRect(vectorRows, count, n), count, n };
}

/**
 * Eigenvalues of the tridiagonal (all, descending) and the requested eigenvectors of the tridiagonal
 * (not yet back-transformed), as rows or as the columns of an n×count matrix.
 */
function tridiagonalEigen(tri: Tridiagonal, n: number, options: EigenOptions, layout: 'rows' | 'columns'): { values: Float64Array; vectors: Float64Array; count: number } {
  const wantVectors = options.vectors ?? n;
  const d = Float64Array.from(tri.diagonal);
  const e = Float64Array.from(tri.sub);
  qlImplicit(d, e, n, null);
  const values = d.sort().reverse();
  const requested = typeof wantVectors === 'number' ? wantVectors : energyRank(values, wantVectors.energyFraction, wantVectors.totalEnergy);
  const count = Math.max(0, Math.min(n, requested));
  if (count === 0) return { values, vectors: new Float64Array(0), count };
  const method = options.method ?? (reorthogonalizationWork(values, count, n) > 3 * n * n * n ? 'ql' : 'inverse-iteration');
  const vectors = method === 'ql' ? null : inverseIterationVectors(tri.diagonal, tri.sub, n, values, count, layout);
  if (vectors !== null) return { values, vectors, count };
  const rows = qlVectors(tri, n, count);
  return { values, vectors: layout === 'rows' ? rows : transposeRect(rows, count, n), count };
}

/**
 * Shape of the blocked solver's work. `block`: columns per panel of the reduction and reflectors per
 * block of the back-transformation — each backend product then has an inner dimension of 2·block or
 * block, big enough to amortize a backend call. `minOrder`: below it the reduction is level 2 (its
 * products would be too small to pay for a call), and the last minOrder/2 columns of a blocked
 * reduction are finished by the level-2 code for the same reason. `backTransformMinOrder`: from this
 * order on the back-transformation is blocked even when the reduction is not: with all vectors (the
 * CCA's problems) its level-2 loops cost 2n³ flops at under 1 GFLOP/s in JS, and the blocked form
 * paid for its calls from order ~80 (paired, 80 alternations, onnxruntime with one thread as on the
 * eigensolver threads: order 96 3.4 → 2.8 ms median, 128 7.2 → 4.7, 150 20 → 10; 56: 1.4 → 1.7).
 * Below it everything is level 2. `trailingRows`: the most rows of the trailing update one product
 * forms (blockRowFactors); 128 keeps a product's rows × 2·block × columns well above what a call costs.
 */
export interface BlockedEigenTuning {
  readonly block: number;
  readonly minOrder: number;
  readonly backTransformMinOrder: number;
  readonly trailingRows: number;
}
export const DEFAULT_BLOCKED_EIGEN_TUNING: BlockedEigenTuning = Object.freeze({ block: 32, minOrder: 160, backTransformMinOrder: 80, trailingRows: 128 });

/**
 * The same decomposition as symmetricEigen (same reflectors, same tridiagonal eigen-solver, same
 * outputs up to rounding), with its O(n³) parts as matrix products through `backend`:
 * - reduction to tridiagonal form in panels of `block` columns (LAPACK's dsytrd/dlatrd, lower): inside
 *   a panel each column only sees the earlier panel columns' updates as pending rank-2 terms, and the
 *   trailing matrix gets them all at once as one product [V W]·[W V]ᵀ;
 * - back-transformation of only the kept eigenvectors, `block` reflectors at a time in the compact
 *   WY form H_j⋯H_{j+b−1} = I − V·T·Vᵀ (dlarft/dlarfb): two products per block.
 * What stays level 2 is the symmetric matrix–vector product of each column with the not-yet-updated
 * trailing matrix (half of the reduction's flops, as in LAPACK) and the panel's pending terms: those
 * run on a small WebAssembly SIMD kernel (./symv.ts). The eigenvalues and the tridiagonal's
 * eigenvectors are computed as in symmetricEigen, so the tie handling (inverse iteration
 * re-orthogonalized inside each cluster) is the same.
 */
export async function symmetricEigenBlocked(
  matrix: Float64Array,
  n: number,
  options: EigenOptions,
  backend: EigenProducts,
  tuning: BlockedEigenTuning = DEFAULT_BLOCKED_EIGEN_TUNING,
): Promise<SymmetricEigen> {
  if (matrix.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n}×${n} = ${n * n} values, got ${matrix.length}.`);
  const block = Math.max(1, Math.floor(tuning.block));
  if (n < tuning.backTransformMinOrder || n < block + 2) return symmetricEigen(matrix, n, options);
  // Between the two thresholds: a level-2 reduction under the blocked back-transformation.
  const tri = n < tuning.minOrder ? tridiagonalize(matrix, n) : await tridiagonalizeBlocked(matrix, n, block, Math.floor(tuning.minOrder / 2), Math.max(1, Math.floor(tuning.trailingRows)), backend);
  // Back-transform as an n×count matrix (vectors as columns), so each block's rows are contiguous.
  const { values, vectors: columns, count } = tridiagonalEigen(tri, n, options, 'columns');
  if (count === 0) return { values, vectorColumns: columns, count, n };
  await applyReflectorsBlocked(tri, n, columns, count, block, backend);
  return { values, vectorColumns: columns, count, n };
}

/** The transpose (cols×rows) of a row-major rows×cols matrix, as a new array. */
export function transposeRect(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) t[j * rows + i] = a[row + j];
  }
  return t;
}

async function tridiagonalizeBlocked(
  matrix: Float64Array,
  n: number,
  block: number,
  unblockedTail: number,
  trailingRows: number,
  backend: EigenProducts,
): Promise<Tridiagonal> {
  const tri = emptyTridiagonal(n);
  // Only the lower triangle is read and kept up to date (the only part callers promise).
  const matrixWork = reductionWorkspace(n, block);
  matrixWork.matrix.set(matrix);
  // The factors' scratch serves every panel, sized for the first (the largest).
  const firstSize = Math.max(0, n - block);
  const work: PanelWork = {
    t1: new Float64Array(block),
    t2: new Float64Array(block),
    vw: new Float64Array(2 * block * firstSize),
    wv: new Float64Array(2 * block * firstSize),
    // A block row is at most trailingRows high (see the trailing update below).
    left: new Float64Array(2 * block * Math.min(trailingRows, firstSize)),
    right: new Float64Array(2 * block * firstSize),
  };
  let start = 0;
  // Every panel column j has a reflector (j ≤ n−3); the last unblockedTail columns go to the level-2 code.
  // The loops live in synchronous helpers: locals of an async function that live across an await
  // are kept in its context object, which makes hot loops over them several times slower.
  while (n - start - block >= Math.max(2, unblockedTail)) {
    reducePanel(matrixWork, n, start, block, tri, work);
    // Trailing update A₂₂ ← A₂₂ − V·Wᵀ − W·Vᵀ = [V W]·[W V]ᵀ, lower triangle only.
    const next = start + block;
    const size = n - next;
    const { vw, wv } = trailingFactors(matrixWork, n, next, block, work);
    // Block rows of equal height, so none is so thin that the backend hands it to its JS fallback.
    const height = Math.ceil(size / Math.ceil(size / trailingRows));
    for (let first = 0; first < size; first += height) {
      const rows = Math.min(height, size - first);
      const { left, right } = blockRowFactors(vw, wv, 2 * block, size, first, rows, work);
      const update = await backend.transposeTimes(left, 2 * block, rows, right, first + rows);
      subtractLowerBlockRow(matrixWork.matrix, n, next + first, rows, next, update);
    }
    start = next;
  }
  reduceUnblocked(matrixWork, n, start, tri);
  // (A product that fails leaves the memory to the garbage collector instead.)
  matrixWork.release();
  return tri;
}

/** Scratch of the panels: coefficients and the trailing update's factors (the pending reflectors live in the workspace). */
interface PanelWork {
  readonly t1: Float64Array;
  readonly t2: Float64Array;
  readonly vw: Float64Array;
  readonly wv: Float64Array;
  /** One block row's factors: columns first..first+rows of vw, and the first first+rows columns of wv. */
  readonly left: Float64Array;
  readonly right: Float64Array;
}

/** Reduces columns start..start+block−1 (dlatrd, lower), leaving the trailing update to the caller. */
function reducePanel(matrixWork: ReductionWorkspace, n: number, start: number, block: number, tri: Tridiagonal, work: PanelWork): void {
  const { diagonal, sub, reflectors, reflectorOffsets, betas } = tri;
  const { matrix: a, panelV: vs, panelW: ws, y, column } = matrixWork;
  const { t1, t2 } = work;
  vs.fill(0);
  ws.fill(0);
  for (let i = 0; i < block; i++) {
    const j = start + i;
    // Column j (rows j..n−1) with the panel's earlier rank-2 updates applied.
    for (let r = j; r < n; r++) column[r] = a[r * n + j];
    for (let l = 0; l < i; l++) {
      t1[l] = ws[l * n + j];
      t2[l] = vs[l * n + j];
    }
    matrixWork.subtractPending('column', 0, j, n, i, t1, t2);
    // (Column j is not written back: nothing reads it again.)
    diagonal[j] = column[j];
    const m = n - j - 1;
    const base = j + 1;
    const x0 = column[base];
    let tail = 0;
    for (let r = base + 1; r < n; r++) tail += column[r] * column[r];
    if (tail === 0) {
      // Already reduced: identity reflector, nothing pending from this column.
      sub[j] = x0;
      betas[j] = 0;
      continue;
    }
    const norm = Math.sqrt(x0 * x0 + tail);
    const alpha = x0 > 0 ? -norm : norm;
    const v0 = x0 - alpha;
    const offset = reflectorOffsets[j];
    const vi = i * n;
    reflectors[offset] = 1;
    vs[vi + base] = 1;
    let vtv = 1;
    for (let r = 1; r < m; r++) {
      const value = column[base + r] / v0;
      reflectors[offset + r] = value;
      vs[vi + base + r] = value;
      vtv += value * value;
    }
    const beta = 2 / vtv;
    sub[j] = alpha;
    betas[j] = beta;
    const v = reflectors.subarray(offset, offset + m);

    // y = B·v with B the trailing block as it was at the panel's start …
    matrixWork.symv(base, m, v, y);
    // … minus the panel's pending terms: y −= V·(Wᵀv) + W·(Vᵀv).
    matrixWork.pendingDots(base, m, i, t1, t2);
    matrixWork.subtractPending('y', base, base, n, i, t1, t2);
    // w = β·y − (β²/2)(yᵀv)·v: B − v·wᵀ − w·vᵀ is the reflected trailing block.
    let ytv = 0;
    for (let r = 0; r < m; r++) {
      y[r] *= beta;
      ytv += y[r] * v[r];
    }
    const halfK = 0.5 * beta * ytv;
    for (let r = 0; r < m; r++) ws[vi + base + r] = y[r] - halfK * v[r];
  }
}

/** [V W]ᵀ and [W V]ᵀ (2·block × (n − next)) for the rows from `next` on: the trailing update is vwᵀ·wv. */
function trailingFactors(work: ReductionWorkspace, n: number, next: number, block: number, scratch: PanelWork): { vw: Float64Array; wv: Float64Array } {
  const { panelV: v, panelW: w } = work;
  const size = n - next;
  // Every entry is written below: no clearing needed.
  const vw = scratch.vw.subarray(0, 2 * block * size);
  const wv = scratch.wv.subarray(0, 2 * block * size);
  for (let l = 0; l < block; l++) {
    const from = l * n + next;
    const vRow = v.subarray(from, from + size);
    const wRow = w.subarray(from, from + size);
    vw.set(vRow, l * size);
    vw.set(wRow, (block + l) * size);
    wv.set(wRow, l * size);
    wv.set(vRow, (block + l) * size);
  }
  return { vw, wv };
}

/**
 * The operands of one block row of the trailing update (rows first..first+rows−1 of A₂₂ against its
 * columns up to the diagonal): the lower triangle is all the reduction reads, so the products skip
 * the square above it, and with it that share of their flops and of the fresh arrays onnxruntime
 * returns (a new one per product, whose first writes fault page by page). Each entry is the same
 * inner sum over the 2·block factors as in one whole product.
 */
function blockRowFactors(vw: Float64Array, wv: Float64Array, inner: number, size: number, first: number, rows: number, work: PanelWork): { left: Float64Array; right: Float64Array } {
  const width = first + rows;
  if (first === 0 && rows === size) return { left: vw.subarray(0, inner * size), right: wv.subarray(0, inner * size) };
  const left = work.left.subarray(0, inner * rows);
  const right = work.right.subarray(0, inner * width);
  for (let l = 0; l < inner; l++) {
    left.set(vw.subarray(l * size + first, l * size + width), l * rows);
    right.set(wv.subarray(l * size, l * size + width), l * width);
  }
  return { left, right };
}

/** Rows from..from+rows−1 of a, columns next..(its diagonal): −= update (rows × (from + rows − next)). */
function subtractLowerBlockRow(a: Float64Array, n: number, from: number, rows: number, next: number, update: Float64Array): void {
  const width = from + rows - next;
  for (let r = 0; r < rows; r++) {
    const row = (from + r) * n + next;
    const urow = r * width;
    const last = from + r - next;
    for (let c = 0; c <= last; c++) a[row + c] -= update[urow + c];
  }
}

/**
 * Y ← Q·Y for Y (n×count, row-major) with Q = H_0⋯H_{n−3}: blocks of reflectors from the last to
 * the first, each as Y ← Y − V·(T·(Vᵀ·Y)) on the rows it touches.
 */
async function applyReflectorsBlocked(
  tri: Tridiagonal,
  n: number,
  y: Float64Array,
  count: number,
  block: number,
  backend: EigenProducts,
): Promise<void> {
  const { betas } = tri;
  const last = n - 3;
  const blockStarts: number[] = [];
  for (let j = 0; j <= last; j += block) blockStarts.push(j);
  // The loops live in synchronous helpers (see tridiagonalizeBlocked): here they were 40 % of an
  // order-400 all-vectors back-transformation, twice the time of its two products.
  // The reflectors' scratch serves every block, sized for the first (the largest).
  const reflectorScratch = new Float64Array((n - 1) * block);
  for (let b = blockStarts.length - 1; b >= 0; b--) {
    const first = blockStarts[b];
    const width = Math.min(block, last - first + 1);
    const base = first + 1;
    const m = n - base;
    const v = blockReflectors(tri, n, first, width, reflectorScratch);
    if (!v) continue;
    const t = await blockReflectorFactor(v, m, width, betas.subarray(first, first + width), backend);
    const rows = y.subarray(base * count, n * count);
    const vty = await backend.transposeTimes(v, m, width, rows, count); // width×count
    upperTriangularTimesInPlace(t, width, vty, count);
    if (backend.subtractProduct) rows.set(await backend.subtractProduct(rows, v, m, width, vty, count));
    else subtractInPlace(rows, await backend.times(v, m, width, vty, count));
  }
}

/**
 * V ((n − first − 1)×width, in `scratch`): reflector first+i starts at row i with its implicit
 * leading 1; null if all are identities.
 */
function blockReflectors(tri: Tridiagonal, n: number, first: number, width: number, scratch: Float64Array): Float64Array | null {
  const { reflectors, reflectorOffsets, betas } = tri;
  const m = n - first - 1;
  const v = scratch.subarray(0, m * width).fill(0);
  let any = false;
  for (let i = 0; i < width; i++) {
    const j = first + i;
    if (betas[j] === 0) continue;
    any = true;
    const offset = reflectorOffsets[j];
    const length = n - j - 1;
    for (let r = 0; r < length; r++) v[(i + r) * width + i] = reflectors[offset + r];
  }
  return any ? v : null;
}

function subtractInPlace(target: Float64Array, amount: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] -= amount[i];
}

/** Upper-triangular T with H_0⋯H_{w−1} = I − V·T·Vᵀ (forward, columnwise, as LAPACK's dlarft). */
async function blockReflectorFactor(
  v: Float64Array,
  m: number,
  width: number,
  betas: Float64Array,
  backend: EigenProducts,
): Promise<Float64Array> {
  return triangularFactor(await backend.transposeTimes(v, m, width, v, width), width, betas);
}

/** T from VᵀV and the β's, column by column (a synchronous helper, as the loops above). */
function triangularFactor(gram: Float64Array, width: number, betas: Float64Array): Float64Array {
  const t = new Float64Array(width * width);
  const z = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const beta = betas[i];
    t[i * width + i] = beta;
    if (beta === 0) continue;
    // T[0:i, i] = −β_i · T[0:i, 0:i] · (V[:, 0:i]ᵀ v_i)
    for (let r = 0; r < i; r++) {
      let s = 0;
      for (let l = r; l < i; l++) s += t[r * width + l] * gram[l * width + i];
      z[r] = s;
    }
    for (let r = 0; r < i; r++) t[r * width + i] = -beta * z[r];
  }
  return t;
}

/**
 * Flops inverse iteration would spend re-orthogonalizing: each vector against the earlier ones in its
 * 1e-3·‖T‖ window, ~3 passes of 4n flops each. Tightly clustered spectra (canonical correlations
 * near 1 of a strongly equivariant layer) make this exceed QL's accumulated rotations (~3n³).
 */
function reorthogonalizationWork(sortedValues: Float64Array, count: number, n: number): number {
  let spread = 0;
  for (let i = 0; i < sortedValues.length; i++) spread = Math.max(spread, Math.abs(sortedValues[i]));
  const window = 1e-3 * spread;
  let pairs = 0;
  let first = 0;
  for (let v = 0; v < count; v++) {
    while (sortedValues[first] - sortedValues[v] > window) first++;
    pairs += v - first;
  }
  return pairs * 12 * n;
}

/** The top-`count` tridiagonal eigenvectors (rows) from QL with every rotation accumulated. */
function qlVectors(tri: Tridiagonal, n: number, count: number): Float64Array {
  const d = Float64Array.from(tri.diagonal);
  const e = Float64Array.from(tri.sub);
  const zt = identity(n);
  qlImplicit(d, e, n, zt);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const rows = new Float64Array(count * n);
  for (let i = 0; i < count; i++) rows.set(zt.subarray(order[i] * n, order[i] * n + n), i * n);
  return rows;
}

function identity(n: number): Float64Array {
  const z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i * n + i] = 1;
  return z;
}
