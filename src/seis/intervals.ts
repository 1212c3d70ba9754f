/**
 * How much a score would move with other probe images: an interval per score (docs/method.md,
 * "Intervals").
 *
 * Method: delete-d jackknife over probe IMAGES. The rows of one image (its channels) are dependent,
 * so images, never rows, are the unit that is left out. Each resample drops d of the b images (a
 * seeded random subset, the same subsets for every layer, transform and checkpoint of a run) and
 * rescoring means decomposing the kept rows again — no null per resample. With N resamples θ_s:
 *
 *   var = (b − d) / (d · N) · Σ_s (θ_s − θ̄)²,   interval = θ̂ ± z_{(1+level)/2} · √var, clipped to [0, 1]
 *
 * d = ⌊b/2⌋ (half-sampling). It satisfies √b < d < b, the range in which the delete-d jackknife
 * variance stays consistent for statistics that are not smooth means (Shao & Wu 1989, Ann. Statist.) —
 * SEIS is not smooth: the kept ranks k, k′ jump between subsets. On synthetic data with a known
 * sampling distribution (test/unit/seis/intervals.unit.test.ts) d = b/4 overstated the standard error
 * by about 1.5× and d = b/10 by about 2×, while d = b/2 came within 0.9–1.3× of the true spread.
 *
 * Why not a bootstrap: a resample that repeats an image repeats its rows, and canonical correlations
 * depend on the number of distinct observations against the kept ranks; duplicated rows lower the
 * effective n and bias every resampled score upwards. Deleting images changes n too (b − d images), but
 * the jackknife uses only the spread of the θ_s, rescaled by (b − d)/d, not their level.
 *
 * Assumptions, stated so they can be checked: the b probe images are independent draws from the
 * probe distribution; the score is a smooth enough function of them (no rank jump between subsets
 * dominating the spread); the interval describes the score AT THIS NUMBER OF PROBES (S_E and S_I drift
 * with n against k + k′, so compare intervals only between runs with the same probes — a checkpoint
 * series guarantees that). The normal interval is symmetric; near 0 or 1 it is clipped.
 */
import { resolveOptions, scoreMatrices } from './score';
import { matricize } from './matricize';
import { nullPermutation } from './random';
import { jsMatMulBackend } from './linalg/jsBackend';
import { DEFAULT_INTERVAL_LEVEL, SeisInputError, type ActivationTensor, type MatMulBackend, type ObservationMatrix, type SeisOptions } from './types';

export const INTERVAL_METHOD = 'jackknife-delete-d-images' as const;
/** Below this many probe images the subsets are too small to say anything. */
export const MIN_INTERVAL_IMAGES = 8;

export interface ScoreInterval {
  readonly low: number;
  readonly high: number;
  /** Nominal coverage, e.g. 0.95. */
  readonly level: number;
  readonly method: typeof INTERVAL_METHOD;
  /** Resamples that produced a score (degenerate subsets are left out). */
  readonly resamples: number;
  /** Images left out of each resample (d). */
  readonly deleted: number;
  /** The jackknife standard error behind the interval. */
  readonly standardError: number;
}

export interface PairIntervals {
  readonly equivariance: ScoreInterval;
  readonly invariance: ScoreInterval;
}

export interface IntervalOptions {
  /** N, the number of delete-d subsets. */
  readonly resamples: number;
  readonly level?: number;
  /** Seed of the subsets; the SEIS seed by default so reruns give identical intervals. */
  readonly seed?: number;
}

/** Salt so the image subsets never coincide with the null's row permutations under the same seed. */
const SUBSET_SALT = 0x5eed_1a7e;

/** d for b images, or why there is no interval. */
export function deletedImages(images: number): number {
  if (!Number.isInteger(images) || images < MIN_INTERVAL_IMAGES) {
    throw new SeisInputError(`Intervals need at least ${MIN_INTERVAL_IMAGES} probe images (got ${images}): the resampled subsets would be too small. Use more probes.`);
  }
  return Math.floor(images / 2);
}

/** The images kept by resample `index` (sorted, so rows keep their order). */
export function keptImages(images: number, deleted: number, seed: number, index: number): Uint32Array {
  const order = nullPermutation(images, (seed ^ SUBSET_SALT) >>> 0, index);
  return order.slice(deleted).sort();
}

/** Rows of the kept images; the rows of image i are the consecutive block i·(n/b) … (i+1)·(n/b) − 1. */
function subsetRows(matrix: ObservationMatrix, images: number, kept: Uint32Array): ObservationMatrix {
  const rowsPerImage = matrix.n / images;
  const block = rowsPerImage * matrix.d;
  const data = new Float64Array(kept.length * block);
  kept.forEach((image, i) => data.set(matrix.data.subarray(image * block, (image + 1) * block), i * block));
  return { data, n: kept.length * rowsPerImage, d: matrix.d };
}

/**
 * Intervals for S_E and S_I of one clean/transformed pair given as matrices (observations × variables,
 * rows grouped by image as `matricize` produces them). `estimate` is the full-sample score the interval
 * is centred on.
 */
export async function pairIntervals(
  clean: ObservationMatrix,
  transformed: ObservationMatrix,
  images: number,
  estimate: { readonly equivariance: number; readonly invariance: number },
  options: Partial<SeisOptions> & IntervalOptions,
  backend: MatMulBackend = jsMatMulBackend,
): Promise<PairIntervals> {
  const seis = resolveOptions({ keep: options.keep, seed: options.seed, orientation: options.orientation });
  const level = options.level ?? DEFAULT_INTERVAL_LEVEL;
  if (!(level > 0 && level < 1)) throw new SeisInputError(`The interval level must be in (0, 1), got ${level}.`);
  if (!Number.isInteger(options.resamples) || options.resamples < 2) throw new SeisInputError(`Intervals need at least 2 resamples, got ${options.resamples}.`);
  if (clean.n % images !== 0 || clean.n !== transformed.n) {
    throw new SeisInputError(`${clean.n} observations do not split into ${images} images of equal size; intervals resample whole images.`);
  }
  const deleted = deletedImages(images);
  const resampledE: number[] = [];
  const resampledI: number[] = [];
  for (let s = 0; s < options.resamples; s++) {
    const kept = keptImages(images, deleted, seis.seed, s);
    const score = await scoreMatrices(subsetRows(clean, images, kept), subsetRows(transformed, images, kept), { ...seis, nullPermutations: 0 }, backend);
    if (!Number.isFinite(score.equivariance) || !Number.isFinite(score.invariance)) continue;
    resampledE.push(score.equivariance);
    resampledI.push(score.invariance);
  }
  if (resampledE.length < Math.max(2, options.resamples / 2)) {
    throw new SeisInputError(`Only ${resampledE.length} of ${options.resamples} image subsets could be scored (constant activations on the rest); no interval.`);
  }
  const make = (values: number[], centre: number) => jackknifeInterval(values, centre, images, deleted, level);
  return { equivariance: make(resampledE, estimate.equivariance), invariance: make(resampledI, estimate.invariance) };
}

/** The same from activation tensors (images = first axis). */
export function tensorIntervals(
  clean: ActivationTensor,
  transformed: ActivationTensor,
  estimate: { readonly equivariance: number; readonly invariance: number },
  options: Partial<SeisOptions> & IntervalOptions,
  backend: MatMulBackend = jsMatMulBackend,
): Promise<PairIntervals> {
  const orientation = options.orientation ?? 'spatial';
  const a = matricize(clean, orientation);
  const b = matricize({ ...transformed, layout: transformed.layout ?? a.layout }, orientation);
  return pairIntervals(a, b, clean.shape[0], estimate, options, backend);
}

export function jackknifeInterval(values: readonly number[], centre: number, images: number, deleted: number, level: number): ScoreInterval {
  const count = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / count;
  const squares = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  const standardError = Math.sqrt(((images - deleted) / (deleted * count)) * squares);
  const half = normalQuantile((1 + level) / 2) * standardError;
  return {
    low: Math.max(0, centre - half),
    high: Math.min(1, centre + half),
    level,
    method: INTERVAL_METHOD,
    resamples: count,
    deleted,
    standardError,
  };
}

/** Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2e-9), enough for interval widths. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new SeisInputError(`normalQuantile needs p in (0, 1), got ${p}.`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
