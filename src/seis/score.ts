/**
 * SEIS scores (Lin, Farrahi & Cai, arXiv 2602.04054; definitions fixed in docs/method.md).
 *
 * For a clean matrix A and a transformed matrix A′ (n observations × d variables, same row order):
 *   center columns;  thin SVD A = U S Vᵀ truncated to the smallest k with Σ_{i≤k} s_i² ≥ τ·Σ s_i²
 *   (same for A′ → k′);  SVD of Uᵀ U′ = M diag(ρ) Nᵀ, r = min(k, k′);
 *   S_E = (1/r) Σ ρ_i                                   (= mean |cos(U m_i, U′ n_i)|)
 *   S_I = (1/r) Σ ρ_i · |cos(V S⁻¹ m_i, V′ S′⁻¹ n_i)|
 *
 * How it is computed (numerical notes):
 * - The thin SVD comes from the eigendecomposition of the Gram matrix on the smaller side
 *   (AᵀA when d ≤ n, AAᵀ otherwise); the other factor is one matrix product away. Exact: both Grams
 *   have the same non-zero eigenvalues s_i², and U = A V S⁻¹ (or V = Aᵀ U S⁻¹) by definition of the
 *   SVD, so the larger Gram is never formed. A Gram is symmetric: a backend with gramOfRows multiplies
 *   out its lower triangle only (the tall side is centered straight into its transposed layout, so
 *   AᵀA is the Gram of rows there too). The products go through the MatMulBackend parameter, so
 *   a BLAS-speed backend can be supplied from outside; so do the eigensolver's own O(n³) parts
 *   (symmetricEigenBlocked: blocked reduction and back-transformation, linalg/symmetricEigen.ts).
 * - Eigenvalues first, all of them (the rank rule needs the sorted spectrum; the trace gives the total
 *   energy), then eigenvectors only for the k kept ones: the others never enter a score.
 * - float32 activations are centered straight into the one float64 copy the products need (every
 *   float32 is exactly a float64; the centering and Gram accumulate in float64).
 * - The SVD of the k×k′ matrix X = UᵀU′ comes from the eigendecomposition of its smaller Gram.
 * - |cos(w_i, v_i)| needs only k-dimensional algebra: w_iᵀv_i = m_iᵀ S⁻¹ (VᵀV′) S′⁻¹ n_i and
 *   ‖w_i‖ = ‖S⁻¹ m_i‖ because V has orthonormal columns.
 * - The null permutes the rows of A′. That leaves S′, V′ and hence VᵀV′ unchanged and turns U′
 *   into P·U′, so each permutation costs one k×n×k′ product and one small CCA — nothing else
 *   is recomputed. The products are plain ones, Uᵀ·U′ with Uᵀ laid out once per clean basis:
 *   onnxruntime runs them faster than transposed-A ones (7680×557 by 557: 4 products 334 → 252 ms
 *   on one thread, 180 → 147 ms on two).
 * - Rank rule: k is the smallest count whose cumulative energy reaches τ·total − 1e-10·total (the
 *   slack keeps spectra with exactly tied energies from flipping k on rounding).
 */
import { energyRank, symmetricEigenBlocked, transposeRect, type EigenOptions, type SymmetricEigen } from './linalg/symmetricEigen';
import { jsMatMulBackend } from './linalg/jsBackend';
import { matricizeView, type MatricizedView } from './matricize';
import { nullPermutation } from './random';
import { scratch } from './linalg/scratch';
import {
  DEFAULT_SEIS_OPTIONS,
  SeisInputError,
  type ActivationTensor,
  type CanonicalPairs,
  type MatMulBackend,
  type ObservationMatrix,
  type PairScore,
  type SeisOptions,
} from './types';

export interface ScoreOptions extends Partial<SeisOptions> {
  /**
   * Use these row permutations for the null instead of the seeded ones (perm[i] = source row of
   * row i). For reproducing a reference computed elsewhere.
   */
  readonly permutations?: readonly ArrayLike<number>[];
}

/** The kept part of a thin SVD of a column-centered matrix. */
export interface SpectralBasis {
  readonly n: number;
  readonly d: number;
  /** Kept rank. */
  readonly k: number;
  /** s_1 ≥ … ≥ s_k. */
  readonly singularValues: Float64Array;
  /**
   * n×k row-major left singular vectors; null when built from moments (no rows available) or when
   * only their transpose is kept (uTransposed).
   */
  readonly u: Float64Array | null;
  /** d×k row-major right singular vectors. */
  readonly v: Float64Array;
  /** Σ s_i² over all directions (the squared Frobenius norm after centering). */
  readonly totalEnergy: number;
  /** Uᵀ (k×n row-major) instead of U, for the transforms scored against this basis (decomposeCleanTensor). */
  readonly uTransposed?: Float64Array;
}

/** Sums over observations that determine SEIS exactly: what a batched run accumulates. */
export interface PairMoments {
  readonly n: number;
  readonly d: number;
  /** AᵀA of the uncentered clean matrix (d×d). */
  readonly gramClean: Float64Array;
  /** A′ᵀA′ (d×d). */
  readonly gramTransformed: Float64Array;
  /** AᵀA′ (d×d). */
  readonly cross: Float64Array;
  /** AᵀPA′ for each null permutation P (d×d each). */
  readonly nullCross: readonly Float64Array[];
  /** Column sums of A and A′ (length d). */
  readonly sumClean: Float64Array;
  readonly sumTransformed: Float64Array;
}

/** Canonical correlations below this carry no direction worth measuring (ρ·|cos| ≈ 0 anyway). */
export const RHO_FLOOR = 1e-12;

export function resolveOptions(options: Partial<SeisOptions> = {}): SeisOptions {
  const resolved = { ...DEFAULT_SEIS_OPTIONS, ...stripUndefined(options) };
  if (!(resolved.keep > 0 && resolved.keep <= 1)) throw new SeisInputError(`keep (τ) must be in (0, 1], got ${resolved.keep}.`);
  if (!Number.isInteger(resolved.nullPermutations) || resolved.nullPermutations < 0) {
    throw new SeisInputError(`nullPermutations must be a non-negative integer, got ${resolved.nullPermutations}.`);
  }
  if (!Number.isFinite(resolved.seed)) throw new SeisInputError(`seed must be a finite number, got ${resolved.seed}.`);
  if (resolved.orientation !== 'spatial' && resolved.orientation !== 'channel') {
    throw new SeisInputError(`orientation must be "spatial" or "channel", got "${String(resolved.orientation)}".`);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Smallest k whose cumulative energy reaches keep·total (eigenvalues sorted descending). */
export function keptRank(sortedEnergies: ArrayLike<number>, keep: number, totalEnergy: number): number {
  return energyRank(sortedEnergies, keep, totalEnergy);
}

/** Observations × variables in either precision: float32 activations are centered straight into float64. */
interface AnyObservationMatrix {
  readonly data: Float32Array | Float64Array;
  readonly n: number;
  readonly d: number;
}

/**
 * How many entries are NaN or ±Inf. Any of them makes the float64 sum non-finite, and finite float32
 * values cannot overflow it (≤ 2^128 each, far fewer than 2^896 of them): one add per entry decides
 * the usual case. (A float64 sum that overflows from finite values is counted, and finds none.)
 */
export function countNonFinite(data: Float32Array | Float64Array): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < data.length; i += 2) {
    s0 += data[i];
    s1 += data[i + 1];
  }
  if (i < data.length) s0 += data[i];
  if (Number.isFinite(s0 + s1)) return 0;
  let bad = 0;
  for (let j = 0; j < data.length; j++) if (!Number.isFinite(data[j])) bad++;
  return bad;
}

/**
 * Column means of a matrix, refusing NaN/Inf with a message that counts them. Non-finite entries
 * make their column's sum non-finite, so the sums are checked instead of every entry, and the
 * entries are counted only when some sum is off.
 */
function columnMeans(matrix: AnyObservationMatrix, label: string): Float64Array {
  const { data, n, d } = matrix;
  const means = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) means[j] += data[row + j];
  }
  if (!means.every(Number.isFinite)) {
    const nonFinite = countNonFinite(data);
    if (nonFinite > 0) {
      throw new SeisInputError(
        `The ${label} contain ${nonFinite} NaN/Inf value(s) out of ${n * d}: SEIS cannot score them. ` +
          'Check the model for overflow (e.g. float16 activations) or the probe inputs for invalid pixels.',
      );
    }
  }
  for (let j = 0; j < d; j++) means[j] /= n;
  return means;
}

/**
 * Column-centers into float64 (a copy, or the matrix's own float64 data when inPlace); rejects
 * NaN/Inf. The copy is written in the same pass that subtracts the means, so float32 activations
 * are read twice and never held in float64 uncentered.
 */
export function centerColumns(matrix: AnyObservationMatrix, label = 'activations', inPlace = false): Float64Array {
  const { data, n, d } = matrix;
  const means = columnMeans(matrix, label);
  const centered = inPlace && data instanceof Float64Array ? data : new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) centered[row + j] = data[row + j] - means[j];
  }
  return centered;
}

/** Rows read together by centerColumnsTransposed: each output row then gets a contiguous run. */
const TRANSPOSE_TILE = 16;

/**
 * The centered matrix written transposed (d×n, a row per variable): then AᵀA is the Gram of its
 * rows, which a backend forms from one triangle. Same means and checks as centerColumns.
 */
export function centerColumnsTransposed(matrix: AnyObservationMatrix, label = 'activations'): Float64Array {
  const { data, n, d } = matrix;
  const means = columnMeans(matrix, label);
  // Every entry is written below; the copy is dead once the Gram and U are formed (decomposeTall).
  const centered = scratch.take(d * n);
  for (let i0 = 0; i0 < n; i0 += TRANSPOSE_TILE) {
    const i1 = Math.min(n, i0 + TRANSPOSE_TILE);
    for (let j = 0; j < d; j++) {
      const mean = means[j];
      const out = j * n;
      for (let i = i0; i < i1; i++) centered[out + i] = data[i * d + j] - mean;
    }
  }
  return centered;
}

function traceOf(a: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += a[i * n + i];
  return t;
}

function scaleColumns(a: Float64Array, rows: number, cols: number, factors: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) a[row + j] *= factors[j];
  }
}

function reciprocal(values: Float64Array): Float64Array {
  return values.map((x) => 1 / x);
}

/** The backend's eigensolver (e.g. a worker pool using both cores) or the in-thread one, its products on the backend. */
function eigen(backend: MatMulBackend, matrix: Float64Array, n: number, options: EigenOptions): Promise<SymmetricEigen> {
  return backend.symmetricEigen ? backend.symmetricEigen(matrix, n, options) : symmetricEigenBlocked(matrix, n, options, backend);
}

/** Eigendecomposition of a Gram matrix, keeping the top-k vectors as columns (size×k). */
async function keptEigenvectors(
  gram: Float64Array,
  size: number,
  keep: number,
  backend: MatMulBackend,
): Promise<{ columns: Float64Array; singularValues: Float64Array; k: number; total: number }> {
  const total = Math.max(0, traceOf(gram, size));
  const eig = await eigen(backend, gram, size, { vectors: { energyFraction: keep, totalEnergy: total } });
  const k = eig.count;
  const singularValues = new Float64Array(k);
  for (let i = 0; i < k; i++) singularValues[i] = Math.sqrt(Math.max(0, eig.values[i]));
  return { columns: eig.vectorColumns, singularValues, k, total };
}

/** G = A·Aᵀ of a row-major rows×cols matrix, by the cheapest product the backend offers. */
function gramOfRows(backend: MatMulBackend, a: Float64Array, rows: number, cols: number): Promise<Float64Array> {
  if (backend.gramOfRows) return backend.gramOfRows(a, rows, cols);
  if (backend.timesTranspose) return backend.timesTranspose(a, rows, cols, a, rows);
  const t = transposeRect(a, rows, cols);
  return backend.transposeTimes(t, cols, rows, t, rows);
}

/**
 * Thin SVD truncated at energy fraction `keep`, from the centered matrix transposed (d×n) when
 * d ≤ n: AᵀA is the Gram of its rows and U = A·V S⁻¹ is a product with its transpose.
 */
async function decomposeTall(centeredT: Float64Array, n: number, d: number, keep: number, backend: MatMulBackend): Promise<SpectralBasis> {
  const gram = await gramOfRows(backend, centeredT, d, n);
  const { columns: v, singularValues, k, total } = await keptEigenvectors(gram, d, keep, backend);
  if (k === 0) {
    scratch.give(centeredT);
    return { n, d, k, singularValues, u: new Float64Array(0), v, totalEnergy: total };
  }
  const u = await backend.transposeTimes(centeredT, d, n, v, k);
  scratch.give(centeredT);
  scaleColumns(u, n, k, reciprocal(singularValues));
  return { n, d, k, singularValues, u, v, totalEnergy: total };
}

/** The same from the centered matrix itself (n×d) when d > n: A·Aᵀ, then V = Aᵀ·U S⁻¹. */
async function decomposeWide(centered: Float64Array, n: number, d: number, keep: number, backend: MatMulBackend): Promise<SpectralBasis> {
  const gram = await gramOfRows(backend, centered, n, d);
  const { columns: u, singularValues, k, total } = await keptEigenvectors(gram, n, keep, backend);
  if (k === 0) return { n, d, k, singularValues, u, v: new Float64Array(0), totalEnergy: total };
  const v = await backend.transposeTimes(centered, n, d, u, k);
  scaleColumns(v, d, k, reciprocal(singularValues));
  return { n, d, k, singularValues, u, v, totalEnergy: total };
}

export async function decomposeObservations(
  matrix: ObservationMatrix | AnyObservationMatrix,
  options: Partial<SeisOptions> = {},
  backend: MatMulBackend = jsMatMulBackend,
  label = 'activations',
  /** Center the matrix's own data instead of a copy (when the caller hands it over). */
  inPlace = false,
): Promise<SpectralBasis> {
  const { keep } = resolveOptions(options);
  const { n, d } = matrix;
  // The smaller Gram: both have the non-zero eigenvalues s_i², and the other factor is one product away.
  if (d <= n) return decomposeTall(centerColumnsTransposed(matrix, label), n, d, keep, backend);
  return decomposeWide(centerColumns(matrix, label, inPlace), n, d, keep, backend);
}

/**
 * Decomposes a tensor's matricization: read where the tensor already is the matrix (NCHW, spatial),
 * and a rearranged copy is the function's own to center in place. The caller's data is never written.
 */
export async function decomposeTensor(
  tensor: ActivationTensor,
  options: Partial<SeisOptions>,
  backend: MatMulBackend,
  label: string,
): Promise<{ basis: SpectralBasis; matrix: MatricizedView }> {
  const { orientation } = resolveOptions(options);
  const matrix = matricizeView(tensor, orientation);
  const basis = await decomposeObservations(matrix, options, backend, label, matrix.data !== tensor.data);
  return { basis, matrix };
}

/** decomposeTensor for a clean side several transforms are scored against: its Uᵀ laid out once. */
export async function decomposeCleanTensor(
  tensor: ActivationTensor,
  options: ScoreOptions,
  backend: MatMulBackend,
  label: string,
): Promise<{ basis: SpectralBasis; matrix: MatricizedView }> {
  const { basis, matrix } = await decomposeTensor(tensor, options, backend, label);
  return { basis: withTransposedU(basis), matrix };
}

/** The same basis from AᵀA and the column sums (no rows needed): for batch-accumulated runs. */
export async function decomposeGram(
  gram: Float64Array,
  columnSums: Float64Array,
  n: number,
  d: number,
  options: Partial<SeisOptions> = {},
  backend: MatMulBackend = jsMatMulBackend,
): Promise<SpectralBasis> {
  const { keep } = resolveOptions(options);
  assertFinite(gram, 'Gram matrix');
  const centeredGram = centerGram(gram, columnSums, columnSums, n, d);
  const { columns: v, singularValues, k, total } = await keptEigenvectors(centeredGram, d, keep, backend);
  return { n, d, k, singularValues, u: null, v, totalEnergy: total };
}

/** AᵀB − (1/n)·sum_A·sum_Bᵀ: the product of the column-centered matrices. */
function centerGram(product: Float64Array, sumA: Float64Array, sumB: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const si = sumA[i] / n;
    for (let j = 0; j < d; j++) out[i * d + j] = product[i * d + j] - si * sumB[j];
  }
  return out;
}

function assertFinite(values: Float64Array, label: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new SeisInputError(`The ${label} contains NaN/Inf: the activations it was accumulated from are not finite.`);
    }
  }
}

interface SingularTriples {
  /** rows×r, unit columns (zero where ρ_i is below RHO_FLOOR). */
  readonly left: Float64Array;
  /** cols×r, unit columns. */
  readonly right: Float64Array;
  readonly rho: Float64Array;
}

/**
 * Eigenvalues of XᵀX below this fraction of the largest are refined by an SVD of their own block
 * (svdFromGram). An eigenvalue of the Gram is only accurate to ~ε·ρ_max², so √λ is only accurate to
 * ~√ε·ρ_max ≈ 1.5e-8 in absolute terms: a null of a 32-observation sigmoid layer of the PP-OCRv4
 * detector has true ρ 5.3e-9 and 1.1e-12 where √λ gave 3.2e-9 and 0 (S_E off by 1.05e-9).
 */
const GRAM_TAIL = 2 ** -26;

/** Thin SVD of a rows×cols matrix with rows ≥ cols, from the eigendecomposition of XᵀX. */
async function svdFromGram(x: Float64Array, rows: number, cols: number, backend: MatMulBackend): Promise<SingularTriples> {
  const gram = await backend.transposeTimes(x, rows, cols, x, cols);
  const eig = await eigen(backend, gram, cols, { vectors: cols });
  const right = eig.vectorColumns;
  const left = await backend.times(x, rows, cols, right, cols);
  const rho = new Float64Array(cols);
  for (let i = 0; i < cols; i++) rho[i] = Math.min(1, Math.sqrt(Math.max(0, eig.values[i])));
  let tail = cols;
  while (tail > 1 && eig.values[tail - 1] < GRAM_TAIL * eig.values[0]) tail--;
  if (tail < cols) await refineTail(left, right, rho, rows, cols, tail, backend);
  scaleColumns(left, rows, cols, rho.map((p) => (p > RHO_FLOOR ? 1 / p : 0)));
  return { left, right, rho };
}

/**
 * The small singular values of X, accurate to ~ε‖X‖ instead of ~√ε‖X‖: the Gram's eigenvectors for
 * them still span the right subspace (it is separated from the rest by far more than the Gram's
 * rounding) but mix inside it, and their eigenvalues are rounding. B = X·N_tail (already in `left`)
 * is that block of X at its own scale, so the eigendecomposition of BᵀB, whose rounding is relative
 * to ‖B‖², turns N_tail and B into singular vectors; ρ is then the length of each column of B.
 * Pairs stay in descending order of ρ (the block's own eigenvalues are descending; the length of a
 * column can cross its neighbour's only by rounding).
 */
async function refineTail(left: Float64Array, right: Float64Array, rho: Float64Array, rows: number, cols: number, tail: number, backend: MatMulBackend): Promise<void> {
  const size = cols - tail;
  const block = takeColumns(left, rows, cols, tail, size);
  let rotatedLeft = block;
  if (size > 1) {
    const eig = await eigen(backend, await backend.transposeTimes(block, rows, size, block, size), size, { vectors: size });
    rotatedLeft = await backend.times(block, rows, size, eig.vectorColumns, size);
    const rotatedRight = await backend.times(takeColumns(right, cols, cols, tail, size), cols, size, eig.vectorColumns, size);
    putColumns(right, cols, cols, tail, size, rotatedRight);
    putColumns(left, rows, cols, tail, size, rotatedLeft);
  }
  const lengths = new Float64Array(size);
  for (let i = 0; i < rows; i++) {
    const row = i * size;
    for (let j = 0; j < size; j++) lengths[j] += rotatedLeft[row + j] ** 2;
  }
  // tail ≥ 1 (the largest is never refined), so every ρ has a predecessor, itself ≤ 1.
  for (let j = 0; j < size; j++) rho[tail + j] = Math.min(rho[tail + j - 1], Math.sqrt(lengths[j]));
}

/** Columns from..from+count of a row-major rows×cols matrix, as a rows×count matrix. */
function takeColumns(a: Float64Array, rows: number, cols: number, from: number, count: number): Float64Array {
  const out = new Float64Array(rows * count);
  for (let i = 0; i < rows; i++) out.set(a.subarray(i * cols + from, i * cols + from + count), i * count);
  return out;
}

function putColumns(a: Float64Array, rows: number, cols: number, from: number, count: number, columns: Float64Array): void {
  for (let i = 0; i < rows; i++) a.set(columns.subarray(i * count, (i + 1) * count), i * cols + from);
}

function swapSides(triples: SingularTriples): SingularTriples {
  return { left: triples.right, right: triples.left, rho: triples.rho };
}

interface CcaResult {
  readonly rho: Float64Array;
  readonly equivariance: number;
  readonly invariance: number;
}

/**
 * The canonical pairs of X = UᵀU′ (k×k′): m (k×r) and n (k′×r) row-major, ρ descending, tied blocks
 * already in the project's basis (docs/method.md "Ties"). Shared by the scores and the patterns.
 */
export function canonicalPairs(x: Float64Array, k: number, kT: number, backend: MatMulBackend): Promise<CanonicalPairs> {
  return backend.canonicalPairs ? backend.canonicalPairs(x, k, kT) : canonicalPairsHere(x, k, kT, backend);
}

/** canonicalPairs computed in this thread (products and eigensolver through `backend`). */
export async function canonicalPairsHere(x: Float64Array, k: number, kT: number, backend: MatMulBackend): Promise<CanonicalPairs> {
  // Solve on the smaller side: the SVD of Xᵀ is the SVD of X with the singular vectors swapped.
  const { left: m, right: n, rho } =
    kT <= k ? await svdFromGram(x, k, kT, backend) : swapSides(await svdFromGram(transposeRect(x, k, kT), kT, k, backend));
  await alignTiedPairs(m, n, k, kT, rho, backend);
  return { m, n, rho };
}

/**
 * CCA between two kept subspaces given X = UᵀU′ (k×k′) and Y = VᵀV′ (k×k′).
 */
export async function canonicalScores(
  x: Float64Array,
  y: Float64Array,
  clean: Pick<SpectralBasis, 'k' | 'singularValues'>,
  transformed: Pick<SpectralBasis, 'k' | 'singularValues'>,
  backend: MatMulBackend,
): Promise<CcaResult> {
  const k = clean.k;
  const kT = transformed.k;
  const r = Math.min(k, kT);
  const { m, n: nMat, rho } = await canonicalPairs(x, k, kT, backend);

  // w̃_i = S⁻¹ m_i and ṽ_i = S′⁻¹ n_i, in the kept coordinates.
  const mTilde = m;
  const nTilde = nMat;
  for (let a = 0; a < k; a++) {
    const inv = 1 / clean.singularValues[a];
    for (let i = 0; i < r; i++) mTilde[a * r + i] *= inv;
  }
  for (let b = 0; b < kT; b++) {
    const inv = 1 / transformed.singularValues[b];
    for (let i = 0; i < r; i++) nTilde[b * r + i] *= inv;
  }
  const yn = await backend.times(y, k, kT, nTilde, r); // k×r
  // Every pair's sums run over the rows in order, but all pairs advance together row by row: the
  // matrices are read along their rows (a column walk missed the cache on every entry) and the
  // r running sums are independent, so they do not wait on each other's additions.
  const dots = new Float64Array(r);
  const normsW = new Float64Array(r);
  const normsV = new Float64Array(r);
  for (let a = 0; a < k; a++) {
    const row = a * r;
    for (let i = 0; i < r; i++) {
      const mw = mTilde[row + i];
      dots[i] += mw * yn[row + i];
      normsW[i] += mw * mw;
    }
  }
  for (let b = 0; b < kT; b++) {
    const row = b * r;
    for (let i = 0; i < r; i++) normsV[i] += nTilde[row + i] ** 2;
  }
  let sumRho = 0;
  let sumInvariance = 0;
  for (let i = 0; i < r; i++) {
    sumRho += rho[i];
    if (rho[i] <= RHO_FLOOR) continue;
    const denominator = Math.sqrt(normsW[i] * normsV[i]);
    if (denominator > 0) sumInvariance += rho[i] * Math.min(1, Math.abs(dots[i]) / denominator);
  }
  return { rho, equivariance: r > 0 ? sumRho / r : Number.NaN, invariance: r > 0 ? sumInvariance / r : Number.NaN };
}

/**
 * Canonical pairs with tied ρ are not unique: any orthonormal recombination of a tied block of
 * (m_i, n_i) is equally valid, and |cos(w_i, v_i)| — hence S_I — depends on that choice. This happens
 * for exact transforms of the maps themselves (a rot90 or flip of every map gives ρ = 1 throughout,
 * e.g. the input floor) and for underdetermined layers. The paper is silent and a plain SVD returns
 * whatever basis its rounding produces (numpy gave S_I 0.223 where this rule gives 0.331 on one
 * exact-rot90 fixture). Our convention, so the number is reproducible: inside each tied block take the
 * basis aligned with the clean activations' principal axes in order (Gram–Schmidt of e_1, e_2, …
 * projected onto the block). The reference fixtures re-implement this rule independently.
 */
export const TIE_TOLERANCE = 1e-9;
/** Tied blocks of canonical correlations at or below this are left as they are (ρ·|cos| ≈ 0 there). */
export const TIE_MIN_RHO = 1e-6;
async function alignTiedPairs(m: Float64Array, nMat: Float64Array, k: number, kT: number, rho: Float64Array, backend: MatMulBackend): Promise<void> {
  const r = rho.length;
  let start = 0;
  while (start < r) {
    let end = start + 1;
    while (end < r && rho[end - 1] - rho[end] <= TIE_TOLERANCE) end++;
    const size = end - start;
    if (size > 1 && rho[start] > TIE_MIN_RHO) {
      // Coefficients (in the block's own orthonormal basis) of the new directions, one per row.
      const chosen = new Float64Array(size * size);
      const t = new Float64Array(size);
      let count = 0;
      for (let axis = 0; axis < k && count < size; axis++) {
        const row = axis * r + start;
        for (let c = 0; c < size; c++) t[c] = m[row + c];
        for (let q = 0; q < count; q++) {
          const qRow = q * size;
          let dot = 0;
          for (let c = 0; c < size; c++) dot += chosen[qRow + c] * t[c];
          for (let c = 0; c < size; c++) t[c] -= dot * chosen[qRow + c];
        }
        let norm = 0;
        for (let c = 0; c < size; c++) norm += t[c] * t[c];
        if (norm < 1e-8) continue;
        norm = Math.sqrt(norm);
        const out = count * size;
        for (let c = 0; c < size; c++) chosen[out + c] = t[c] / norm;
        count++;
      }
      if (count === size) {
        await recombineColumns(m, k, r, start, chosen, size, backend);
        await recombineColumns(nMat, kT, r, start, chosen, size, backend);
      }
    }
    start = end;
  }
}

/**
 * Columns start..start+size of `a` (rows×r) ← the block times each coefficient row of `coefficients`
 * (size×size): block·coefficientsᵀ, one backend product (a whole tied block of an exact cell, ρ = 1
 * throughout, is k×k′ and cost a k·k′² loop in JS).
 */
async function recombineColumns(a: Float64Array, rows: number, r: number, start: number, coefficients: Float64Array, size: number, backend: MatMulBackend): Promise<void> {
  const block = takeColumns(a, rows, r, start, size);
  const combined = backend.timesTranspose
    ? await backend.timesTranspose(block, rows, size, coefficients, size)
    : await backend.times(block, rows, size, transposeRect(coefficients, size, size), size);
  putColumns(a, rows, r, start, size, combined);
}

/**
 * P·U′ (row i is row perm[i] of U′) written into a reused array: dead once its product is formed.
 */
function permuteRows(a: Float64Array, rows: number, cols: number, permutation: ArrayLike<number>): Float64Array {
  if (permutation.length !== rows) throw new SeisInputError(`A null permutation has ${permutation.length} entries but there are ${rows} observations.`);
  const out = scratch.take(rows * cols);
  for (let i = 0; i < rows; i++) {
    const source = permutation[i];
    out.set(a.subarray(source * cols, source * cols + cols), i * cols);
  }
  return out;
}

/** The clean basis with Uᵀ in place of U (the same memory), for scoring several transforms against it. */
function withTransposedU(basis: SpectralBasis): SpectralBasis {
  if (!basis.u || basis.k === 0 || basis.uTransposed) return basis;
  return { ...basis, u: null, uTransposed: transposeRect(basis.u, basis.n, basis.k) };
}

/**
 * Uᵀ·U′ (k×k′), the product every score and pattern starts from, always as a plain product of Uᵀ
 * (transposed here when the basis has only U), so a clean basis scores the same bits either way.
 */
export function cleanTimesTransformed(clean: SpectralBasis, transformedU: Float64Array, kT: number, backend: MatMulBackend): Promise<Float64Array> {
  const { uTransposed } = withTransposedU(clean);
  if (!uTransposed) throw new SeisInputError('This clean basis has no left singular vectors (it was built from moments).');
  return backend.times(uTransposed, clean.k, clean.n, transformedU, kT);
}

/** Whether a basis carries its rows' singular vectors (U or Uᵀ), as scores and patterns need. */
export function hasLeftVectors(basis: SpectralBasis): boolean {
  return basis.u !== null || basis.uTransposed !== undefined;
}

function degenerateScore(
  clean: SpectralBasis,
  transformed: SpectralBasis,
  options: SeisOptions,
  warnings: string[],
): PairScore {
  return {
    equivariance: Number.NaN,
    invariance: Number.NaN,
    rankClean: clean.k,
    rankTransformed: transformed.k,
    r: 0,
    observations: clean.n,
    variables: clean.d,
    orientation: options.orientation,
    canonicalCorrelations: [],
    null: { equivariance: Number.NaN, invariance: Number.NaN, permutations: 0 },
    underdetermined: false,
    warnings,
  };
}

function assertSameSize(clean: { n: number; d: number }, transformed: { n: number; d: number }): void {
  if (clean.n !== transformed.n || clean.d !== transformed.d) {
    throw new SeisInputError(
      `The clean and transformed activations disagree in shape: ${clean.n}×${clean.d} vs ${transformed.n}×${transformed.d} ` +
        '(observations × variables). Score activations of the same layer on the same probe images.',
    );
  }
}

function preflight(clean: SpectralBasis, transformed: SpectralBasis, options: SeisOptions, warnings: string[]): PairScore | null {
  assertSameSize(clean, transformed);
  const constant: string[] = [];
  if (clean.k === 0) constant.push('clean');
  if (transformed.k === 0) constant.push('transformed');
  if (constant.length > 0) {
    warnings.push(
      `The ${constant.join(' and ')} activations are constant across observations (zero variance after centering): ` +
        'SEIS is undefined for this layer. A dead layer (all zeros) or a saturated one gives this.',
    );
    return degenerateScore(clean, transformed, options, warnings);
  }
  if (clean.d === 1) warnings.push('Only one variable (spatial position): S_I equals S_E by construction; neither says anything about geometry.');
  return null;
}

/** Scores a pair from bases that carry their left singular vectors (rows available). */
export async function scoreDecomposed(
  clean: SpectralBasis,
  transformed: SpectralBasis,
  options: ScoreOptions = {},
  backend: MatMulBackend = jsMatMulBackend,
  baseWarnings: readonly string[] = [],
): Promise<PairScore> {
  const resolved = resolveOptions(options);
  const warnings = [...baseWarnings];
  const early = preflight(clean, transformed, resolved, warnings);
  if (early) return early;
  if (!hasLeftVectors(clean) || !transformed.u) {
    throw new SeisInputError('scoreDecomposed needs bases with left singular vectors; use scoreFromMoments for Gram-accumulated runs.');
  }
  const { n, d } = clean;
  const k = clean.k;
  const kT = transformed.k;
  const y = await backend.transposeTimes(clean.v, d, k, transformed.v, kT);
  const permutations = options.permutations ?? Array.from({ length: resolved.nullPermutations }, (_, i) => nullPermutation(n, resolved.seed, i));
  const transformedU = transformed.u;
  const cleanSide = withTransposedU(clean);
  const x = await cleanTimesTransformed(cleanSide, transformedU, kT, backend);
  // Independent problems: issued together so a parallel backend can keep every core busy.
  const [actual, ...nulls] = await Promise.all([
    canonicalScores(x, y, clean, transformed, backend),
    ...permutations.map(async (permutation) => {
      const permuted = permuteRows(transformedU, n, kT, permutation);
      const xNull = await cleanTimesTransformed(cleanSide, permuted, kT, backend);
      scratch.give(permuted);
      return canonicalScores(xNull, y, clean, transformed, backend);
    }),
  ]);
  const nullE = nulls.reduce((sum, result) => sum + result.equivariance, 0);
  const nullI = nulls.reduce((sum, result) => sum + result.invariance, 0);
  return finish(clean, transformed, resolved, actual, permutations.length, nullE, nullI, warnings);
}

function finish(
  clean: SpectralBasis,
  transformed: SpectralBasis,
  options: SeisOptions,
  actual: CcaResult,
  permutationCount: number,
  nullE: number,
  nullI: number,
  warnings: string[],
): PairScore {
  const underdetermined = clean.n < clean.k + transformed.k;
  if (underdetermined) {
    warnings.push(
      `Underdetermined: ${clean.n} observations < k + k′ = ${clean.k} + ${transformed.k}; canonical correlations approach 1 for any data. ` +
        'Use more probe images (or fewer positions) before reading this score.',
    );
  }
  return {
    equivariance: actual.equivariance,
    invariance: actual.invariance,
    rankClean: clean.k,
    rankTransformed: transformed.k,
    r: actual.rho.length,
    observations: clean.n,
    variables: clean.d,
    orientation: options.orientation,
    canonicalCorrelations: Array.from(actual.rho),
    null: {
      equivariance: permutationCount > 0 ? nullE / permutationCount : Number.NaN,
      invariance: permutationCount > 0 ? nullI / permutationCount : Number.NaN,
      permutations: permutationCount,
    },
    underdetermined,
    warnings,
  };
}

/** Scores two observation matrices (same row order). */
export function scoreMatrices(
  clean: ObservationMatrix,
  transformed: ObservationMatrix,
  options: ScoreOptions = {},
  backend: MatMulBackend = jsMatMulBackend,
  baseWarnings: readonly string[] = [],
): Promise<PairScore> {
  return scoreMatricesWithOwnership(clean, transformed, options, backend, baseWarnings, false);
}

async function scoreMatricesWithOwnership(
  clean: AnyObservationMatrix,
  transformed: AnyObservationMatrix,
  options: ScoreOptions,
  backend: MatMulBackend,
  baseWarnings: readonly string[],
  ownsData: boolean,
): Promise<PairScore> {
  const resolved = resolveOptions(options);
  // Checked before decomposing, not only in preflight: a mismatch should not cost two SVDs.
  assertSameSize(clean, transformed);
  const [cleanBasis, transformedBasis] = await Promise.all([
    decomposeObservations(clean, resolved, backend, 'clean activations', ownsData),
    decomposeObservations(transformed, resolved, backend, 'transformed activations', ownsData),
  ]);
  return scoreDecomposed(cleanBasis, transformedBasis, options, backend, baseWarnings);
}

/** The clean and transformed tensors of one layer must match in shape before anything is computed. */
export function assertSameTensorShape(clean: ActivationTensor, transformed: ActivationTensor): void {
  if (clean.shape.length !== transformed.shape.length || clean.shape.some((dim, i) => dim !== transformed.shape[i])) {
    throw new SeisInputError(
      `The clean activations have shape (${clean.shape.join(', ')}) but the transformed ones (${transformed.shape.join(', ')}). ` +
        'Both must come from the same layer and the same number of probe images.',
    );
  }
}

/** Scores one layer: clean activations and the activations of the transformed probes. */
export async function scorePair(
  clean: ActivationTensor,
  transformed: ActivationTensor,
  options: ScoreOptions = {},
  backend: MatMulBackend = jsMatMulBackend,
): Promise<PairScore> {
  const resolved = resolveOptions(options);
  assertSameTensorShape(clean, transformed);
  // Views where the tensors already are the matrices: centering then writes the one float64 copy.
  const a = matricizeView(clean, resolved.orientation);
  const b = matricizeView({ ...transformed, layout: transformed.layout ?? a.layout }, resolved.orientation);
  const warnings = [...a.warnings];
  if (resolved.orientation === 'channel') {
    warnings.push('Channel orientation (observations = samples·positions, variables = channels): a diagnostic, not SEIS.');
  }
  // Rearranged copies are ours to center in place; the caller's own tensor data is never written.
  return scoreMatricesWithOwnership(a, b, options, backend, warnings, a.data !== clean.data && b.data !== transformed.data);
}

/** Scores a pair from accumulated moments (exact, the same numbers as scoreMatrices). */
export async function scoreFromMoments(
  moments: PairMoments,
  options: Partial<SeisOptions> = {},
  backend: MatMulBackend = jsMatMulBackend,
  cleanBasis?: SpectralBasis,
): Promise<PairScore> {
  const resolved = resolveOptions(options);
  const { n, d } = moments;
  const [clean, transformed] = await Promise.all([
    cleanBasis ?? decomposeGram(moments.gramClean, moments.sumClean, n, d, resolved, backend),
    decomposeGram(moments.gramTransformed, moments.sumTransformed, n, d, resolved, backend),
  ]);
  const warnings: string[] = [];
  const early = preflight(clean, transformed, resolved, warnings);
  if (early) return early;
  const k = clean.k;
  const kT = transformed.k;
  const y = await backend.transposeTimes(clean.v, d, k, transformed.v, kT);
  const invS = reciprocal(clean.singularValues);
  const invST = reciprocal(transformed.singularValues);
  const crossToX = async (cross: Float64Array): Promise<Float64Array> => {
    assertFinite(cross, 'cross-Gram matrix');
    const centered = centerGram(cross, moments.sumClean, moments.sumTransformed, n, d);
    const left = await backend.transposeTimes(clean.v, d, k, centered, d); // k×d
    const x = await backend.times(left, k, d, transformed.v, kT); // k×k′
    for (let a = 0; a < k; a++) for (let b = 0; b < kT; b++) x[a * kT + b] *= invS[a] * invST[b];
    return x;
  };
  const [actual, ...nulls] = await Promise.all(
    [moments.cross, ...moments.nullCross].map(async (cross) => canonicalScores(await crossToX(cross), y, clean, transformed, backend)),
  );
  const nullE = nulls.reduce((sum, result) => sum + result.equivariance, 0);
  const nullI = nulls.reduce((sum, result) => sum + result.invariance, 0);
  return finish(clean, transformed, resolved, actual, moments.nullCross.length, nullE, nullI, warnings);
}

/**
 * Scores transformed activations against a clean basis decomposed once and shared by several
 * transforms: the same steps, and so the same numbers, as scorePair on the two tensors.
 */
export async function scoreAgainstBasis(
  cleanBasis: SpectralBasis,
  cleanWarnings: readonly string[],
  transformed: ActivationTensor,
  options: ScoreOptions = {},
  backend: MatMulBackend = jsMatMulBackend,
): Promise<PairScore> {
  const resolved = resolveOptions(options);
  const warnings = [...cleanWarnings];
  if (resolved.orientation === 'channel') {
    warnings.push('Channel orientation (observations = samples·positions, variables = channels): a diagnostic, not SEIS.');
  }
  const { basis } = await decomposeTensor(transformed, resolved, backend, 'transformed activations');
  return scoreDecomposed(cleanBasis, basis, options, backend, warnings);
}
