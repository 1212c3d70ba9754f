/**
 * Stage 7, assemble: the result document from the scored rows, the floor and the run's settings.
 */
import { RESULTS_SCHEMA_VERSION, type AnalysisResult, type IncompleteInfo, type LayerResult, type ScoreCell } from '../../shared/results';
import { feedShape } from '../imageInput';
import type { AnalysisContext } from './context';
import type { PreparedRun } from './prepared';

export const TOOL_VERSION = '0.1.0';

/**
 * The result document. With `incomplete`, a partial result: the layers final so far (in graph
 * order, the rest absent) and no end-of-run warnings.
 */
export function assembleResult(
  ctx: AnalysisContext,
  prepared: PreparedRun,
  layers: readonly LayerResult[],
  inputFloor: Record<string, ScoreCell>,
  incomplete?: IncompleteInfo,
): AnalysisResult {
  const { model, input, options, times } = ctx;
  const { probes } = prepared.probes;
  const { transforms, batch } = prepared.plan;
  const { seis } = options;
  const totalMs = performance.now() - ctx.startedAt;
  const warnings = incomplete ? [...ctx.warnings] : ctx.warnings;
  if (!incomplete) {
    const scored = layers.filter((l) => l.status === 'scored');
    if (scored.length === 0) warnings.push('no layer could be scored; see each layer\'s message');
    const underdetermined = scored.filter((l) => Object.values(l.scores).some((c) => c.underdetermined)).length;
    if (underdetermined > 0) warnings.push(`${underdetermined} layers are underdetermined (observations < k + k′): their scores sit near 1 for any data; use more probes (--probes or more images)`);
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'seis-lens', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    model: {
      path: model.path,
      fileName: model.fileName,
      sha256: model.sha256,
      sizeBytes: model.sizeBytes,
      opsets: model.opsets,
      nodeCount: model.nodes.length,
      producer: model.producer,
      inputName: input.name,
      declaredInputShape: input.declared,
      probeInputShape: feedShape(input, probes.count, { height: probes.height, width: probes.width }),
      inputLayout: input.layout,
    },
    settings: {
      keep: seis.keep,
      nullPermutations: seis.nullPermutations,
      seed: seis.seed,
      orientation: seis.orientation,
      probes: { source: probes.source, ...(probes.path ? { path: probes.path } : {}), count: probes.count },
      transforms: transforms.map((t) => t.id),
      layerSelection: options.selection.text,
      batchSize: batch,
      maxPositions: options.maxPositions,
      executionProvider: options.executionProvider,
      ...(options.sweeps.length > 0 ? { sweeps: [...options.sweeps] } : {}),
      ...(options.patterns > 0 ? { patterns: options.patterns } : {}),
    },
    transforms: [...transforms],
    inputFloor,
    layers: [...layers],
    timing: {
      totalMs,
      inferenceMs: times.inference,
      scoringMs: times.scoring,
      otherMs: Math.max(0, totalMs - times.inference - times.scoring - times.capture),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      captureMs: times.capture,
      ...(times.firstLayer !== undefined ? { firstLayerMs: times.firstLayer } : {}),
    },
    warnings,
    ...(incomplete ? { incomplete } : {}),
  };
}
