/**
 * The SEIS core: pure TypeScript on typed arrays. No vscode, no file system; matrix products go
 * through a MatMulBackend parameter (pure JS by default; src/analysis supplies an onnxruntime one).
 *
 * Entry points, from the most convenient to the most controllable:
 * - scorePair(cleanTensor, transformedTensor, options?, backend?) — one layer, one transform.
 * - scoreMatrices(cleanMatrix, transformedMatrix, …) — already matricized (observations × variables).
 * - decomposeObservations(matrix) once per layer + scoreDecomposed(clean, transformed) per transform:
 *   reuses the clean decomposition across transforms.
 * - decomposeGram / scoreFromMoments — from batch-accumulated AᵀA, A′ᵀA′, AᵀA′, AᵀPA′ and column sums.
 * - canonicalPatterns(clean, transformed, count) / scorePairWithPatterns — the canonical pairs' spatial
 *   weights as unit maps over the positions (src/seis/patterns.ts).
 * Null permutations: nullPermutation(n, seed, index) is the index-th shuffle; options.permutations
 * overrides them (perm[i] = the source row of row i).
 */
export * from './types';
export { matricize, resolveLayout, type MatricizedActivations } from './matricize';
export {
  scorePair,
  scoreMatrices,
  scoreDecomposed,
  scoreAgainstBasis,
  scoreFromMoments,
  decomposeObservations,
  decomposeTensor,
  decomposeCleanTensor,
  decomposeGram,
  canonicalScores,
  canonicalPairsHere,
  centerColumns,
  countNonFinite,
  keptRank,
  resolveOptions,
  type ScoreOptions,
  type SpectralBasis,
  type PairMoments,
} from './score';
export {
  canonicalPatterns,
  patternPairs,
  PATTERN_DECIMALS,
  positionGrid,
  scorePairWithPatterns,
  scoreAgainstBasisWithPatterns,
  type CanonicalPattern,
  type PositionGrid,
  type ScoreWithPatterns,
} from './patterns';
export { gramOfRowsSync, jsMatMulBackend, mirrorLower, subtractProductSync, transposeTimesSync, timesSync, timesTransposeSync } from './linalg/jsBackend';
export {
  symmetricEigen,
  symmetricEigenBlocked,
  energyRank,
  DEFAULT_BLOCKED_EIGEN_TUNING,
  type BlockedEigenTuning,
  type SymmetricEigen,
  type EigenOptions,
  type EigenProducts,
} from './linalg/symmetricEigen';
export { nullPermutation, seededPermutation, createRandom } from './random';
export { pairIntervals, tensorIntervals, jackknifeInterval, deletedImages, keptImages, normalQuantile, INTERVAL_METHOD, MIN_INTERVAL_IMAGES, type ScoreInterval, type PairIntervals, type IntervalOptions } from './intervals';
