/**
 * Public types of the SEIS core. The core is pure: no vscode, no node:fs, no DOM.
 * See ../../README.md and docs/method.md (Lin, Farrahi & Cai, arXiv 2602.04054).
 */
import type { EigenOptions, SymmetricEigen } from './linalg/eigenTypes';

/** `spatial` is SEIS proper (observations = batch·channels, variables = positions).
 *  `channel` is the transposed diagnostic (observations = batch·positions, variables = channels);
 *  it is reported under its own label and never as SEIS. */
export type Orientation = 'spatial' | 'channel';

/** Memory layout of an activation tensor. NCHW/NHWC are (b,c,h,w)/(b,h,w,c); `tokens` is (b,t,dim). */
export type ActivationLayout = 'NCHW' | 'NHWC' | 'tokens';

export interface ActivationTensor {
  /** Row-major (C order) values. float16 sources are widened to Float32Array by the reader. */
  readonly data: Float32Array | Float64Array;
  readonly shape: readonly number[];
  /** Defaults: rank 4 → NCHW, rank 3 → tokens. Rank 2 or less has no spatial axis. */
  readonly layout?: ActivationLayout;
}

export interface SeisOptions {
  /** τ: keep the smallest k singular directions whose cumulative energy reaches this fraction. */
  readonly keep: number;
  /** Number of row permutations of the transformed activations whose mean is the null. */
  readonly nullPermutations: number;
  /** Seed of the permutations; fixed by default so reruns give identical nulls. */
  readonly seed: number;
  readonly orientation: Orientation;
}

export const DEFAULT_SEIS_OPTIONS: SeisOptions = Object.freeze({
  keep: 0.99,
  nullPermutations: 3,
  seed: 2602_04054,
  orientation: 'spatial' as Orientation,
});

/** Nominal coverage of score intervals (src/seis/intervals.ts). */
export const DEFAULT_INTERVAL_LEVEL = 0.95;

/**
 * Matrix products the core needs, on row-major Float64Array matrices.
 * The pure-JS default lives in src/seis; an onnxruntime-backed one is supplied from outside.
 * Both must return the same numbers up to floating-point summation order.
 */
export interface MatMulBackend {
  readonly name: string;
  /** C = Aᵀ·B for A (m×p) and B (m×q); returns p×q. With b === a this is the Gram matrix. */
  transposeTimes(a: Float64Array, m: number, p: number, b: Float64Array, q: number): Promise<Float64Array>;
  /** C = A·B for A (m×k) and B (k×n); returns m×n. */
  times(a: Float64Array, m: number, k: number, b: Float64Array, n: number): Promise<Float64Array>;
  /**
   * Optional: C = A·Bᵀ for A (m×k) and B (n×k); returns m×n. With b === a this is the Gram of the
   * rows, which the core otherwise forms from an explicit transposed copy of A.
   */
  timesTranspose?(a: Float64Array, m: number, k: number, b: Float64Array, n: number): Promise<Float64Array>;
  /**
   * Optional: G = A·Aᵀ for A (m×k), returned whole (m×m, symmetric) but computed from its lower
   * triangle only: about half the multiply-adds of timesTranspose(a, m, k, a, m), the same numbers.
   */
  gramOfRows?(a: Float64Array, m: number, k: number): Promise<Float64Array>;
  /**
   * Optional: C − A·B for C (m×n), A (m×k), B (k×n), as a new array: the same numbers as
   * subtracting times(a, m, k, b, n) entry by entry, without that pass over C.
   */
  subtractProduct?(c: Float64Array, a: Float64Array, m: number, k: number, b: Float64Array, n: number): Promise<Float64Array>;
  /**
   * Optional: the symmetric eigensolver, e.g. the core's own solver run on a pool of worker threads
   * so independent decompositions use every core. Absent → solved in the calling thread. The
   * backend may take `matrix` over (hand its memory to another thread): callers never read it again.
   */
  symmetricEigen?(matrix: Float64Array, n: number, options: EigenOptions): Promise<SymmetricEigen>;
  /**
   * Optional: the core's canonicalPairs (SVD of a k×k′ matrix from its smaller Gram, tied blocks
   * aligned) run elsewhere, e.g. whole on a worker thread with its products and eigensolver, so the
   * calling thread only hands over X. Absent → computed in the calling thread. The backend may take
   * `x` over, as `matrix` above.
   */
  canonicalPairs?(x: Float64Array, k: number, kT: number): Promise<CanonicalPairs>;
}

/** The canonical pairs of X = UᵀU′ (k×k′): m (k×r) and n (k′×r) row-major, ρ descending. */
export interface CanonicalPairs {
  readonly m: Float64Array;
  readonly n: Float64Array;
  readonly rho: Float64Array;
}

/** Observations × variables matrix, row-major, column-centered or not as stated by its producer. */
export interface ObservationMatrix {
  readonly data: Float64Array;
  /** observations */
  readonly n: number;
  /** variables */
  readonly d: number;
}

export interface NullScores {
  readonly equivariance: number;
  readonly invariance: number;
  readonly permutations: number;
}

export interface PairScore {
  /** S_E: mean canonical correlation between the kept subspaces. */
  readonly equivariance: number;
  /** S_I: mean of ρ_i·|cos(w_i, v_i)| over the canonical pairs, projections in variable space. */
  readonly invariance: number;
  /** k and k': kept ranks of the clean and transformed activations. */
  readonly rankClean: number;
  readonly rankTransformed: number;
  /** r = min(k, k'). */
  readonly r: number;
  readonly observations: number;
  readonly variables: number;
  readonly orientation: Orientation;
  /** Canonical correlations ρ_1 ≥ … ≥ ρ_r. */
  readonly canonicalCorrelations: number[];
  readonly null: NullScores;
  /** n < k + k': canonical correlations approach 1 for any data; the score is not informative. */
  readonly underdetermined: boolean;
  /** Human-readable notes (what was dropped, clamped or degenerate). */
  readonly warnings: string[];
}

/** Raised for inputs the core cannot score; the message names the problem and what to do. */
export class SeisInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeisInputError';
  }
}
