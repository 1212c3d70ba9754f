/**
 * Canonical spatial patterns: how a layer re-encodes space, shown as maps (docs/method.md step 5,
 * docs/patterns.md).
 *
 * Each canonical pair i of a clean/transformed pair of activations has weights over the positions:
 *   w_i = V S⁻¹ m_i (clean)   and   v_i = V′ S′⁻¹ n_i (transformed),
 * with its canonical correlation ρ_i and |cos(w_i, v_i)|, the factor it contributes to S_I. Drawn on
 * the position grid, w_i is "what the clean layer looks at" and v_i "where the same signal sits after
 * the transform": a layer that carries a rot90 as a rotation of its maps has v_i ≈ rot90(w_i).
 *
 * Conventions (so two runs draw the same pictures):
 * - Order: ρ descending; the top `count` pairs with ρ above the floor are returned.
 * - Ties: inside a block of tied ρ the pairs are the project's tie basis (docs/method.md "Ties"),
 *   the same basis S_I is computed in; such pairs are flagged `tied` because any rotation of the
 *   block would be equally valid.
 * - Scale: both vectors have unit Euclidean length (the S⁻¹ scaling only sets their shape).
 * - Sign: a canonical pair is defined up to flipping m_i and n_i together. The clean pattern's
 *   largest-magnitude component (the first one on exact ties) is made positive and the transformed
 *   pattern flips with it, so the pair keeps its positive correlation p_iᵀq_i = ρ_i. With that rule a
 *   map that is merely moved by the transform keeps its colours: v_i ≈ g·w_i, not −g·w_i.
 */
import { jsMatMulBackend } from './linalg/jsBackend';
import { resolveLayout } from './matricize';
import { assertSameTensorShape, canonicalPairs, cleanTimesTransformed, decomposeTensor, hasLeftVectors, resolveOptions, RHO_FLOOR, scoreDecomposed, TIE_TOLERANCE, type ScoreOptions, type SpectralBasis } from './score';
import { SeisInputError, type ActivationLayout, type ActivationTensor, type MatMulBackend, type PairScore } from './types';
import type { PatternPair } from '../shared/results';

/** The grid the variables (positions) are laid out on, row-major. */
export interface PositionGrid {
  readonly height: number;
  readonly width: number;
}

export interface CanonicalPattern {
  /** ρ_i. */
  readonly rho: number;
  /** |cos(w_i, v_i)|: 1 when the pair uses the same positions on both sides. */
  readonly cosine: number;
  /** Unit w_i over the positions (length d), sign-fixed as documented above. */
  readonly clean: Float64Array;
  /** Unit v_i, with the sign that keeps the pair's correlation positive. */
  readonly transformed: Float64Array;
  /** ρ_i is tied with a neighbour: the pair is one valid choice within its block. */
  readonly tied: boolean;
}

/**
 * The top `count` canonical patterns of two decomposed sides (bases with left singular vectors, as
 * decomposeObservations gives). Costs one k×n×k′ product and one small CCA beyond the bases.
 */
export async function canonicalPatterns(
  clean: SpectralBasis,
  transformed: SpectralBasis,
  count: number,
  backend: MatMulBackend = jsMatMulBackend,
): Promise<CanonicalPattern[]> {
  if (!Number.isInteger(count) || count < 0) throw new SeisInputError(`The number of patterns must be a non-negative integer, got ${count}.`);
  if (!hasLeftVectors(clean) || !transformed.u) {
    throw new SeisInputError('Canonical patterns need bases with left singular vectors (decomposeObservations), not Gram-accumulated ones.');
  }
  if (clean.n !== transformed.n || clean.d !== transformed.d) {
    throw new SeisInputError(`The clean and transformed bases disagree in shape: ${clean.n}×${clean.d} vs ${transformed.n}×${transformed.d}.`);
  }
  const { d } = clean;
  const k = clean.k;
  const kT = transformed.k;
  if (count === 0 || k === 0 || kT === 0) return [];
  const x = await cleanTimesTransformed(clean, transformed.u, kT, backend);
  const { m, n, rho } = await canonicalPairs(x, k, kT, backend);
  const r = rho.length;
  const patterns: CanonicalPattern[] = [];
  for (let i = 0; i < r && patterns.length < count; i++) {
    if (rho[i] <= RHO_FLOOR) break;
    const w = spatialWeights(clean, m, r, i, d);
    const v = spatialWeights(transformed, n, r, i, d);
    if (!normalise(w) || !normalise(v)) continue;
    if (w[largestMagnitudeIndex(w)] < 0) {
      for (let j = 0; j < d; j++) {
        w[j] = -w[j];
        v[j] = -v[j];
      }
    }
    let dot = 0;
    for (let j = 0; j < d; j++) dot += w[j] * v[j];
    const tied = (i > 0 && rho[i - 1] - rho[i] <= TIE_TOLERANCE) || (i + 1 < r && rho[i] - rho[i + 1] <= TIE_TOLERANCE);
    patterns.push({ rho: rho[i], cosine: Math.min(1, Math.abs(dot)), clean: w, transformed: v, tied });
  }
  return patterns;
}

/** V S⁻¹ c_i for column i of the k×r coefficient matrix c: a d-vector. */
function spatialWeights(basis: SpectralBasis, coefficients: Float64Array, r: number, i: number, d: number): Float64Array {
  const k = basis.k;
  const scaled = new Float64Array(k);
  for (let a = 0; a < k; a++) scaled[a] = coefficients[a * r + i] / basis.singularValues[a];
  const out = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const row = j * k;
    let value = 0;
    for (let a = 0; a < k; a++) value += basis.v[row + a] * scaled[a];
    out[j] = value;
  }
  return out;
}

function normalise(vector: Float64Array): boolean {
  let norm = 0;
  for (let j = 0; j < vector.length; j++) norm += vector[j] * vector[j];
  norm = Math.sqrt(norm);
  if (!(norm > 0) || !Number.isFinite(norm)) return false;
  for (let j = 0; j < vector.length; j++) vector[j] /= norm;
  return true;
}

function largestMagnitudeIndex(vector: Float64Array): number {
  let best = 0;
  for (let j = 1; j < vector.length; j++) if (Math.abs(vector[j]) > Math.abs(vector[best])) best = j;
  return best;
}

/**
 * The grid the d scored positions lie on: (h, w) of a map; for token layers the square patch grid
 * (after a dropped class token) or, when the token count is not a square, one row of tokens.
 */
export function positionGrid(shape: readonly number[], layout: ActivationLayout, positions: number): PositionGrid {
  if (layout === 'NCHW' || layout === 'NHWC') {
    const [height, width] = layout === 'NCHW' ? [shape[2], shape[3]] : [shape[1], shape[2]];
    if (height * width !== positions) throw new SeisInputError(`A ${height}×${width} map has ${height * width} positions, not ${positions}.`);
    return { height, width };
  }
  const side = Math.round(Math.sqrt(positions));
  return side * side === positions ? { height: side, width: side } : { height: 1, width: positions };
}

export interface ScoreWithPatterns {
  readonly score: PairScore;
  readonly grid: PositionGrid;
  readonly patterns: CanonicalPattern[];
}

const SPATIAL_ONLY = 'Canonical patterns are maps over positions; they exist for the spatial orientation (SEIS) only, not the channel diagnostic.';

/**
 * scoreAgainstBasis plus the top `count` canonical patterns: scores transformed activations against a
 * clean basis decomposed once (and shared by several transforms), decomposing the transformed side
 * once for both. Spatial orientation only: in the channel diagnostic the variables are channels,
 * which have no grid to draw.
 */
export async function scoreAgainstBasisWithPatterns(
  cleanBasis: SpectralBasis,
  cleanWarnings: readonly string[],
  transformed: ActivationTensor,
  count: number,
  options: ScoreOptions = {},
  backend: MatMulBackend = jsMatMulBackend,
): Promise<ScoreWithPatterns> {
  const resolved = resolveOptions(options);
  if (resolved.orientation !== 'spatial') throw new SeisInputError(SPATIAL_ONLY);
  const { basis, matrix } = await decomposeTensor(transformed, resolved, backend, 'transformed activations');
  const [score, patterns] = await Promise.all([
    scoreDecomposed(cleanBasis, basis, options, backend, cleanWarnings),
    canonicalPatterns(cleanBasis, basis, count, backend),
  ]);
  return { score, grid: positionGrid(transformed.shape, resolveLayout(transformed), matrix.d), patterns };
}

/** scorePair plus the top `count` canonical patterns, decomposing each side once. */
export async function scorePairWithPatterns(
  clean: ActivationTensor,
  transformed: ActivationTensor,
  count: number,
  options: ScoreOptions = {},
  backend: MatMulBackend = jsMatMulBackend,
): Promise<ScoreWithPatterns> {
  const resolved = resolveOptions(options);
  if (resolved.orientation !== 'spatial') throw new SeisInputError(SPATIAL_ONLY);
  assertSameTensorShape(clean, transformed);
  const { basis: cleanBasis, matrix: a } = await decomposeTensor(clean, resolved, backend, 'clean activations');
  return scoreAgainstBasisWithPatterns(cleanBasis, a.warnings, { ...transformed, layout: transformed.layout ?? a.layout }, count, options, backend);
}

/** Decimals kept per map entry in result documents: unit maps of ≤ 1,024 entries keep ~4 significant digits. */
export const PATTERN_DECIMALS = 6;

/** The result-document form of patterns (docs/results-schema.md): plain arrays on their grid. */
export function patternPairs(patterns: readonly CanonicalPattern[], grid: PositionGrid): PatternPair[] {
  const round = (x: number) => Number(x.toFixed(PATTERN_DECIMALS));
  return patterns.map((p) => ({
    rho: p.rho,
    cosine: p.cosine,
    height: grid.height,
    width: grid.width,
    clean: Array.from(p.clean, round),
    transformed: Array.from(p.transformed, round),
    tied: p.tied,
  }));
}
