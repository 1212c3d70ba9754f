/**
 * The parts of a checkpoint series (SeriesResult, docs/results-schema.md "Series") that every view
 * reads the same way: a checkpoint as the analysis result the rest of the UI shows, the series'
 * layers, a checkpoint's step, and a layer's trajectory under one transform. Pure; safe for every
 * bundle (the host's series panel and layer inspector, the webview's series view).
 */
import type { AnalysisResult, ScoreCell, SeriesResult } from './results';
import { settledStep, sparkline, type TrajectoryPoint } from './trajectory';

type Measure = 'equivariance' | 'invariance';

/** One checkpoint as a result document: its model and layers with the series' shared settings. */
export function checkpointResult(series: SeriesResult, index: number): AnalysisResult {
  const c = series.checkpoints[index];
  return {
    schemaVersion: series.schemaVersion,
    tool: series.tool,
    createdAt: series.createdAt,
    model: c.model,
    settings: series.settings,
    transforms: series.transforms,
    inputFloor: series.inputFloor,
    layers: c.layers,
    ...(c.timing ? { timing: c.timing } : {}),
    warnings: [...(c.message ? [c.message] : []), ...(c.warnings ?? [])],
  };
}

/** Every layer of the series, in the graph order of the first checkpoint that has it. */
export function seriesLayerNames(series: SeriesResult): string[] {
  const seen = new Set<string>();
  for (const c of series.checkpoints) for (const l of c.layers) seen.add(l.name);
  return [...seen];
}

export function stepOf(series: SeriesResult, index: number): number {
  const step = series.checkpoints[index]?.step;
  return typeof step === 'number' && Number.isFinite(step) ? step : index;
}

export function cellAt(series: SeriesResult, index: number, layerName: string, transformId: string): ScoreCell | undefined {
  return series.checkpoints[index]?.layers.find((l) => l.name === layerName)?.scores?.[transformId];
}

function finite(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** The layer's score (or its excess over the null) at each checkpoint; a gap where it has none. */
export function trajectory(series: SeriesResult, layerName: string, transformId: string, measure: Measure, minusNull = false): TrajectoryPoint[] {
  return series.checkpoints.map((_c, i) => {
    const cell = cellAt(series, i, layerName, transformId);
    const value = finite(cell?.[measure]);
    const nul = finite(cell?.null?.[measure]);
    const shift = minusNull ? nul ?? Number.NaN : 0;
    const interval = cell?.intervals?.[measure];
    const low = finite(interval?.low);
    const high = finite(interval?.high);
    return {
      checkpoint: i,
      step: stepOf(series, i),
      value: value === null || !Number.isFinite(shift) ? null : value - shift,
      null: minusNull ? (nul === null ? null : 0) : nul,
      ...(low !== null && high !== null && Number.isFinite(shift) ? { low: low - shift, high: high - shift } : {}),
    };
  });
}

/**
 * One line for the layer inspector's tooltip: the layer's score across the series as a sparkline,
 * first → last, and the step it settled at (src/shared/trajectory.ts). Undefined when the series
 * never scored the layer under this transform.
 */
export function trajectorySummary(series: SeriesResult, layerName: string, transformId: string, measure: Measure = 'equivariance'): string | undefined {
  const points = trajectory(series, layerName, transformId, measure);
  const scored = points.filter((p) => p.value !== null);
  if (!scored.length) return undefined;
  const settled = settledStep(points);
  const tag = measure === 'equivariance' ? 'S_E' : 'S_I';
  const span = `${(scored[0].value as number).toFixed(2)} → ${(scored.at(-1)?.value as number).toFixed(2)}`;
  const when = settled ? `settled at step ${settled.step} (within ${settled.band === 'interval' ? 'its final interval' : 'the null margin of its final value'})` : '';
  return `${tag} across ${points.length} checkpoints (${transformId}): ${sparkline(points.map((p) => p.value))}  ${span}${when ? ` · ${when}` : ''}`;
}
