/**
 * Turning scores and planned layers into the result document's rows and cells; shared by the
 * score, floor and assemble stages.
 */
import type { ActivationTensor, PairScore } from '../../seis';
import { patternPairs, scoreAgainstBasis, scoreAgainstBasisWithPatterns, type MatMulBackend, type SeisOptions, type SpectralBasis } from '../../seis';
import type { LayerResult, PatternPair, ScoreCell, TransformInfo } from '../../shared/results';
import type { PlannedLayer } from './stageValues';

export function toCell(s: PairScore, exact: boolean, withCorrelations: boolean, patterns?: readonly PatternPair[]): ScoreCell {
  return {
    equivariance: s.equivariance,
    invariance: s.invariance,
    null: { equivariance: s.null.equivariance, invariance: s.null.invariance, permutations: s.null.permutations },
    rankClean: s.rankClean,
    rankTransformed: s.rankTransformed,
    r: s.r,
    observations: s.observations,
    variables: s.variables,
    exact,
    underdetermined: s.underdetermined,
    ...(withCorrelations ? { canonicalCorrelations: s.canonicalCorrelations } : {}),
    ...(patterns ? { patterns } : {}),
    warnings: s.warnings,
  };
}

export function layerBase(p: PlannedLayer, count: number): Omit<LayerResult, 'status' | 'scores'> {
  const positions = p.guess.positions;
  const pooled = p.plan ? p.plan.pooledHeight * p.plan.pooledWidth : (p.pooledTokens as number);
  return {
    name: p.candidate.name,
    node: p.candidate.node.name,
    op: p.candidate.node.op,
    shape: [count, ...p.sampleShape.slice(1)],
    layout: p.guess.layout,
    positions,
    ...(pooled !== positions ? { pooledPositions: pooled } : {}),
  };
}

export function failedLayer(p: PlannedLayer, count: number, message: string): LayerResult {
  return { ...layerBase(p, count), status: 'failed', message, scores: {} };
}

export function scoredLayer(p: PlannedLayer, count: number, scores: Record<string, ScoreCell>): LayerResult {
  return Object.keys(scores).length > 0
    ? { ...layerBase(p, count), status: 'scored', scores }
    : failedLayer(p, count, 'no transform could be scored for this layer; see the warnings');
}

/** Pooling breaks the exactness of shifts that do not move whole pooling bins. */
export function exactAfterPooling(t: TransformInfo, p: PlannedLayer): boolean {
  if (!t.exact) return false;
  if (t.kind === 'shift' && p.plan && (p.plan.pooledHeight !== p.plan.height || p.plan.pooledWidth !== p.plan.width)) return false;
  return true;
}

export function tensorOf(p: PlannedLayer, data: Float32Array, count: number): ActivationTensor {
  return { data, shape: p.storedShape(count), layout: p.storedLayout };
}

export function dumpName(p: PlannedLayer, what: string): string {
  const safe = p.candidate.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
  return `${dumpPrefix(p.index)}${safe}.${what}.npy`;
}

/** Dumps are numbered by the layer's position in the result (graph order); names are only readable. */
function dumpPrefix(index: number): string {
  return `${String(index).padStart(3, '0')}_`;
}

/** The stem (file name before `.clean.npy` / `.<transform>.npy`) of result layer `index` among a dump folder's files. */
export function dumpedLayerStem(files: readonly string[], index: number): string | undefined {
  const prefix = dumpPrefix(index);
  return files.find((f) => f.startsWith(prefix) && f.endsWith('.clean.npy'))?.slice(0, -'.clean.npy'.length);
}

/** The input floor's arrays in a dump folder: `input.clean.npy`, `input.<transform>.npy`. */
export const INPUT_DUMP_STEM = 'input';

/**
 * One score cell from transformed activations and the clean basis: the score, and the top `patterns`
 * canonical patterns when asked for (decomposing the transformed side once for both).
 */
export async function scoreCell(
  clean: { readonly basis: SpectralBasis; readonly warnings: readonly string[] },
  transformed: ActivationTensor,
  exact: boolean,
  options: { readonly seis: SeisOptions; readonly includeCorrelations: boolean; readonly patterns: number },
  backend: MatMulBackend,
): Promise<ScoreCell> {
  if (options.patterns === 0) {
    return toCell(await scoreAgainstBasis(clean.basis, clean.warnings, transformed, options.seis, backend), exact, options.includeCorrelations);
  }
  const { score, grid, patterns } = await scoreAgainstBasisWithPatterns(clean.basis, clean.warnings, transformed, options.patterns, options.seis, backend);
  return toCell(score, exact, options.includeCorrelations, patternPairs(patterns, grid));
}
