/**
 * Eigenvectors of a symmetric tridiagonal matrix for given eigenvalues, by inverse iteration (as
 * LAPACK's dstein): LU with partial pivoting of T − λI, two or more solves from a random start, each
 * followed by re-orthogonalization against the earlier vectors of its cluster.
 *
 * Every step of a solve waits on the one before (a division in the back substitution, a pivot in
 * the factorization), so one vector's solves leave the core mostly idle. Only the
 * re-orthogonalization ties a vector to the ones before it; the factorization and the first solve of
 * vector v + 1 depend on nothing but its eigenvalue. They are therefore run in the same loops as the
 * second solve of vector v, two independent chains the processor overlaps. Each vector still gets
 * exactly the operations, in the same order, it got when the vectors were computed one at a time,
 * so the results are the same bits.
 */
import { orthogonalizationSpace, type OrthogonalizationSpace } from './symv';

/** LU with partial pivoting of T − λI: U's diagonal u0 and superdiagonals u1, u2; multipliers and row swaps. */
interface ShiftedFactors {
  readonly u0: Float64Array;
  readonly u1: Float64Array;
  readonly u2: Float64Array;
  readonly multiplier: Float64Array;
  readonly swapped: Uint8Array;
}

function shiftedFactors(n: number): ShiftedFactors {
  return { u0: new Float64Array(n), u1: new Float64Array(n), u2: new Float64Array(n), multiplier: new Float64Array(n), swapped: new Uint8Array(n) };
}

/**
 * Factors T − λI into `f` and applies its row operations to `start` as they are produced (the forward
 * half of the first solve); when `pending` is given, the same loop applies another factorization's
 * row operations to another vector (the forward half of a later solve of the previous eigenvalue).
 * The entry carried from one step to the next stays in a register: re-reading what the previous step
 * had just stored put a store-to-load forwarding delay on the serial chain.
 */
function factorAndEliminate(
  d: Float64Array,
  e: Float64Array,
  n: number,
  lambda: number,
  tiny: number,
  f: ShiftedFactors,
  start: Float64Array,
  pending: { readonly f: ShiftedFactors; readonly x: Float64Array } | null,
): void {
  const { u0, u1, u2, multiplier, swapped } = f;
  const other = pending?.f ?? f;
  const y = pending?.x ?? start;
  const both = pending !== null;
  let diag = d[0] - lambda;
  let sup = n > 1 ? e[0] : 0;
  let carried = start[0];
  let carriedOther = y[0];
  for (let k = 0; k < n - 1; k++) {
    const below = e[k];
    const nextDiag = d[k + 1] - lambda;
    const nextSup = k + 1 < n - 1 ? e[k + 1] : 0;
    const next = start[k + 1];
    if (Math.abs(diag) >= Math.abs(below)) {
      swapped[k] = 0;
      const l = diag === 0 ? 0 : below / diag;
      multiplier[k] = l;
      u0[k] = diag;
      u1[k] = sup;
      u2[k] = 0;
      diag = nextDiag - l * sup;
      sup = nextSup;
      start[k] = carried;
      carried = next - l * carried;
    } else {
      swapped[k] = 1;
      const l = diag / below;
      multiplier[k] = l;
      u0[k] = below;
      u1[k] = nextDiag;
      u2[k] = nextSup;
      diag = sup - l * nextDiag;
      sup = -l * nextSup;
      start[k] = next;
      carried = carried - l * next;
    }
    if (both) {
      const nextOther = y[k + 1];
      if (other.swapped[k]) {
        y[k] = nextOther;
        carriedOther = carriedOther - other.multiplier[k] * nextOther;
      } else {
        y[k] = carriedOther;
        carriedOther = nextOther - other.multiplier[k] * carriedOther;
      }
    }
  }
  u0[n - 1] = diag;
  start[n - 1] = carried;
  if (both) y[n - 1] = carriedOther;
  for (let k = 0; k < n; k++) if (Math.abs(u0[k]) < tiny) u0[k] = u0[k] < 0 ? -tiny : tiny;
}

/** The forward half of a solve alone (a third or later solve of one eigenvalue, or the last vector's second). */
function eliminate(f: ShiftedFactors, n: number, x: Float64Array): void {
  const { multiplier, swapped } = f;
  let carried = x[0];
  for (let k = 0; k < n - 1; k++) {
    const next = x[k + 1];
    if (swapped[k]) {
      x[k] = next;
      carried = carried - multiplier[k] * next;
    } else {
      x[k] = carried;
      carried = next - multiplier[k] * carried;
    }
  }
  x[n - 1] = carried;
}

/**
 * Back substitution with the three-diagonal U of `f` on `x`, and in the same loop with `g` on `y` when
 * given (two independent division chains overlap). The two entries each step reads are carried in registers.
 */
function substitute(n: number, f: ShiftedFactors, x: Float64Array, g: ShiftedFactors | null, y: Float64Array | null): void {
  const { u0, u1, u2 } = f;
  const other = g ?? f;
  const z = y ?? x;
  const both = g !== null && y !== null;
  let next = x[n - 1] / u0[n - 1];
  x[n - 1] = next;
  let nextOther = both ? z[n - 1] / other.u0[n - 1] : 0;
  if (both) z[n - 1] = nextOther;
  let afterNext = 0;
  let afterNextOther = 0;
  if (n >= 2) {
    afterNext = next;
    next = (x[n - 2] - u1[n - 2] * afterNext) / u0[n - 2];
    x[n - 2] = next;
    if (both) {
      afterNextOther = nextOther;
      nextOther = (z[n - 2] - other.u1[n - 2] * afterNextOther) / other.u0[n - 2];
      z[n - 2] = nextOther;
    }
  }
  for (let k = n - 3; k >= 0; k--) {
    const value = (x[k] - u1[k] * next - u2[k] * afterNext) / u0[k];
    x[k] = value;
    afterNext = next;
    next = value;
    if (both) {
      const valueOther = (z[k] - other.u1[k] * nextOther - other.u2[k] * afterNextOther) / other.u0[k];
      z[k] = valueOther;
      afterNextOther = nextOther;
      nextOther = valueOther;
    }
  }
}

/**
 * Eigenvectors of the tridiagonal (d, e) for the given eigenvalues (descending) by inverse iteration,
 * as rows (count×n), or with layout 'columns' as the columns of an n×count matrix. Each vector costs
 * O(n) per solve; a vector is re-orthogonalized only against earlier vectors whose eigenvalue lies
 * within 1e-3·‖T‖ of its own (farther ones are orthogonal to working precision already, since the
 * error along eigenvector j is ~ε‖T‖/|λ_i − λ_j|). Returns null if a vector fails to converge, so
 * the caller can fall back to QL with accumulated rotations.
 */
export function inverseIterationVectors(
  d: Float64Array,
  e: Float64Array,
  n: number,
  eigenvalues: Float64Array,
  count: number,
  layout: 'rows' | 'columns' = 'rows',
): Float64Array | null {
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0));
  if (norm === 0) {
    const identity = new Float64Array(count * n);
    for (let i = 0; i < count; i++) identity[layout === 'rows' ? i * n + i : i * count + i] = 1;
    return identity;
  }
  if (count === 0) return new Float64Array(0);
  // The vectors are iterated where the re-orthogonalization kernel reads them, in a memory the
  // thread reuses from one call to the next.
  const space = orthogonalizationSpace(count, n);
  try {
    return solveAll(d, e, n, eigenvalues, count, norm, space, layout);
  } finally {
    space.release();
  }
}

function solveAll(
  d: Float64Array,
  e: Float64Array,
  n: number,
  eigenvalues: Float64Array,
  count: number,
  norm: number,
  space: OrthogonalizationSpace,
  layout: 'rows' | 'columns',
): Float64Array | null {
  const eps = 2 ** -52;
  const window = 1e-3 * norm;
  const tiny = eps * norm;
  const { rows, stride } = space;
  const factors = [shiftedFactors(n), shiftedFactors(n)];
  // Each vector is iterated in its own row (where the re-orthogonalization kernel reads it), so
  // nothing is copied in or out; the next vector's row is one solve ahead of the current one's.
  const rowOf = (v: number): Float64Array => rows.subarray(v * stride, v * stride + n);

  // Separate exactly tied eigenvalues slightly so the solves differ (as LAPACK's dstein does).
  const shifts = new Float64Array(count);
  let previous = Number.POSITIVE_INFINITY;
  for (let v = 0; v < count; v++) {
    let lambda = eigenvalues[v];
    if (previous - lambda < 10 * eps * Math.abs(lambda)) lambda = previous - 10 * eps * Math.max(Math.abs(lambda), tiny);
    shifts[v] = lambda;
    previous = lambda;
  }

  let seed = 0x2545f491;
  const fillStart = (start: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      start[i] = ((seed >>> 0) / 4294967296 - 0.5) * norm;
    }
  };

  /**
   * After a solve of vector v (in x, its row): re-orthogonalize within the window, normalize, and
   * decide. Not converged: x is rescaled to norm ‖T‖ for the next solve.
   */
  const finishSolve = (v: number, x: Float64Array, iteration: number): 'converged' | 'again' | 'failed' => {
    let growth = 0;
    for (let i = 0; i < n; i++) growth += x[i] * x[i];
    growth = Math.sqrt(growth);
    let first = v;
    while (first > 0 && eigenvalues[first - 1] - eigenvalues[v] <= window) first--;
    // Unchanged by an empty re-orthogonalization, the length is the growth just summed.
    let length = growth;
    if (first < v) {
      space.orthogonalize(first, v);
      length = 0;
      for (let i = 0; i < n; i++) length += x[i] * x[i];
      length = Math.sqrt(length);
    }
    if (!(length > 0) || !Number.isFinite(length)) return 'failed';
    for (let i = 0; i < n; i++) x[i] /= length;
    // One solve amplified the start vector (norm ‖T‖ from the second pass on) by ≥
    // 1/(√n·(ε‖T‖ + δ))-ish, δ the separation added above to tied eigenvalues: the
    // eigen-direction dominates. The amplification is measured relative to the start vector so
    // the test does not depend on the matrix's scale (measured absolutely, it failed every
    // vector of a matrix with ‖T‖ ≈ 0.03, a null CCA's, and sent it to QL with accumulated
    // rotations). δ belongs in the bound because the amplification never exceeds ~1/δ: inside a
    // run of m exactly tied eigenvalues (the pairs of a rot90 or flip cell, ρ = 1) δ grows to 10mε,
    // and without it every run longer than ~12 failed the same way. The accepted vector's residual
    // stays within ~ε‖T‖ + δ of its eigenvalue. A second pass polishes it (as dstein's extra
    // iterations).
    const separation = Math.abs(shifts[v] - eigenvalues[v]);
    if ((growth / norm) * (tiny + separation) * Math.sqrt(n) > 0.1 && iteration >= 1) return 'converged';
    for (let i = 0; i < n; i++) x[i] *= norm;
    return 'again';
  };

  // Vector 0's factorization and first solve, alone; every later vector's ride along with the
  // second solve of the vector before it.
  let ahead = rowOf(0);
  fillStart(ahead);
  factorAndEliminate(d, e, n, shifts[0], tiny, factors[0], ahead, null);
  substitute(n, factors[0], ahead, null, null);
  for (let v = 0; v < count; v++) {
    const f = factors[v & 1];
    const x = ahead;
    if (finishSolve(v, x, 0) === 'failed') return null;
    if (v + 1 < count) {
      ahead = rowOf(v + 1);
      fillStart(ahead);
      factorAndEliminate(d, e, n, shifts[v + 1], tiny, factors[(v + 1) & 1], ahead, { f, x });
      substitute(n, f, x, factors[(v + 1) & 1], ahead);
    } else {
      eliminate(f, n, x);
      substitute(n, f, x, null, null);
    }
    let outcome = finishSolve(v, x, 1);
    for (let iteration = 2; iteration < 5 && outcome === 'again'; iteration++) {
      eliminate(f, n, x);
      substitute(n, f, x, null, null);
      outcome = finishSolve(v, x, iteration);
    }
    if (outcome !== 'converged') return null;
  }
  // The result leaves the kernel's memory (reused by the next call) in the layout the caller works in.
  const out = new Float64Array(count * n);
  if (layout === 'rows') {
    for (let v = 0; v < count; v++) out.set(rows.subarray(v * stride, v * stride + n), v * n);
  } else {
    // Eight vectors at a time: each output row then gets a contiguous run, not a write per cache line.
    for (let v0 = 0; v0 < count; v0 += 8) {
      const v1 = Math.min(count, v0 + 8);
      for (let i = 0; i < n; i++) {
        const row = i * count;
        for (let v = v0; v < v1; v++) out[row + v] = rows[v * stride + i];
      }
    }
  }
  return out;
}
