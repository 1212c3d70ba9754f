/**
 * Canonical patterns computed on demand for one layer and transform of a shown result (issue 10:
 * "computed on demand for the selected layer if not stored"). The small run repeats the shown run's
 * settings restricted to that layer and transform, so its scores must equal the shown ones; that is
 * checked before its patterns are merged, which catches a model file or probe file that changed since.
 * No vscode here: the run goes through RunService like any other.
 */
import type { AnalysisResult, LayerResult } from '../shared/results';
import type { EngineRequest } from './engine';

/**
 * How far the small run's scores may be from the shown ones. Same probes, same settings, same
 * onnxruntime: the scores come out bit for bit equal in practice; the slack only absorbs a
 * different summation order, far below any digit the views show.
 */
export const SAME_SCORE_TOLERANCE = 1e-9;

/** An exact, anchored selection of one tensor: a plain name list would split a name holding a comma. */
export function exactLayerSelection(tensorName: string): string {
  return `/^${tensorName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$/`;
}

/** The shown run's request, restricted to one layer and transform, keeping `patterns` pairs. */
export function patternsRequest(shown: AnalysisResult, layerName: string, transformId: string, patterns: number): EngineRequest {
  const s = shown.settings;
  return {
    modelPath: shown.model.path,
    probes: s.probes,
    transforms: [transformId],
    layers: exactLayerSelection(layerName),
    batchSize: s.batchSize,
    maxPositions: s.maxPositions,
    nullPermutations: s.nullPermutations,
    executionProvider: s.executionProvider,
    seed: s.seed,
    keep: s.keep,
    orientation: s.orientation,
    patterns,
    // Intervals are left out: they change neither the scores nor the patterns, only cost time.
  };
}

/** Why patterns cannot be computed for this cell of the shown result; undefined when they can. */
export function patternsRefusal(shown: AnalysisResult, layerName: string, transformId: string): string | undefined {
  if (shown.incomplete) return 'these results are incomplete (a run is going or stopped early); compute patterns once a run has finished.';
  const layer = shown.layers.find((l) => l.name === layerName);
  if (!layer) return `the shown results have no layer '${layerName}'.`;
  if (layer.status !== 'scored' || !layer.scores[transformId]) return `layer '${layerName}' has no score under ${transformId}, so there are no patterns to compute.`;
  if (!shown.transforms.some((t) => t.id === transformId)) return `the shown results have no transform '${transformId}'.`;
  return undefined;
}

/**
 * The shown result with the small run's patterns in the one cell, or what stops the merge. The
 * result keeps its identity fields (createdAt, settings): it is the same run, completed.
 */
export function mergePatterns(shown: AnalysisResult, computed: AnalysisResult, layerName: string, transformId: string): { readonly result: AnalysisResult } | { readonly problem: string } {
  const before = shown.layers.find((l) => l.name === layerName)?.scores[transformId];
  const computedLayer = computed.layers.find((l) => l.name === layerName);
  const after = computedLayer?.scores[transformId];
  if (!before) return { problem: `the shown results have no ${transformId} score for layer '${layerName}'.` };
  if (!after) return { problem: `the analysis did not score layer '${layerName}' under ${transformId}${computedLayer?.message ? `: ${computedLayer.message}` : ''}.` };
  const drift = Math.max(Math.abs(after.equivariance - before.equivariance), Math.abs(after.invariance - before.invariance));
  if (!(drift <= SAME_SCORE_TOLERANCE)) {
    return {
      problem: `layer '${layerName}' scores differently now (S_E ${before.equivariance.toFixed(6)} → ${after.equivariance.toFixed(6)}, `
        + `S_I ${before.invariance.toFixed(6)} → ${after.invariance.toFixed(6)}), so the model or its probes changed since these results were computed. `
        + 'Patterns from the changed model would not belong to the shown scores: run Analyze SEIS again.',
    };
  }
  if (!after.patterns?.length) return { problem: `the analysis found no canonical patterns for layer '${layerName}' under ${transformId} (${after.warnings.join('; ') || 'no canonical pairs'}).` };
  const layers = shown.layers.map((l): LayerResult => (l.name !== layerName ? l : { ...l, scores: { ...l.scores, [transformId]: { ...before, patterns: after.patterns } } }));
  return { result: { ...shown, layers } };
}
