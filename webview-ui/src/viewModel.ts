/**
 * What the charts show, computed from AnalysisResult documents without touching the DOM, so it is
 * unit-testable in Node and shared by every chart, the text tables and the PNG export.
 * The reading of a cell (lost / invariant / re-encoded, and the margin over the null) is not decided
 * here: every view imports it from src/shared/reading.ts, so the panel, the tree, hovers and the
 * report cannot disagree.
 */
import { clearlyAboveNull, excessOverNull } from '../../src/shared/reading';
import type { AnalysisResult, LayerResult, ScoreCell, TransformInfo } from '../../src/shared/results';

export const INPUT_ROW_KEY = '\u0000input';

export type Measure = 'equivariance' | 'invariance';

export interface HeatRow {
  /** Unique within a model: the layer name, or INPUT_ROW_KEY for the input floor. */
  readonly key: string;
  readonly label: string;
  /** -1 for the input floor row. */
  readonly layerIndex: number;
  readonly layer?: LayerResult;
  /** One entry per column transform; undefined when the layer has no score for it. */
  readonly cells: readonly (ScoreCell | undefined)[];
}

export interface ModelView {
  readonly index: number;
  readonly result: AnalysisResult;
  readonly title: string;
  readonly rows: readonly HeatRow[];
  /** Transform id of each cell column (the union over all shown results). */
  readonly columns: readonly string[];
  readonly layerIndexByName: ReadonlyMap<string, number>;
}

/** JSON turns NaN/Infinity into null, so every number read from a document is checked. */
export function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

export function scoreOf(cell: ScoreCell | undefined, measure: Measure): number | undefined {
  return cell ? num(cell[measure]) : undefined;
}

export function nullOf(cell: ScoreCell | undefined, measure: Measure): number | undefined {
  return cell && cell.null ? num(cell.null[measure]) : undefined;
}

/** Transforms of all results, in first-seen order, unique by id: the heatmap columns. */
export function unionTransforms(results: readonly AnalysisResult[]): TransformInfo[] {
  const seen = new Map<string, TransformInfo>();
  for (const r of results) for (const t of r.transforms) if (!seen.has(t.id)) seen.set(t.id, t);
  return [...seen.values()];
}

export function modelTitle(result: AnalysisResult, index: number, all: readonly AnalysisResult[]): string {
  const name = result.model?.fileName || `model ${index + 1}`;
  const dup = all.filter((r) => r.model?.fileName === result.model?.fileName).length > 1;
  return dup ? `${name} (${index + 1})` : name;
}

export function buildModelView(result: AnalysisResult, index: number, all: readonly AnalysisResult[], transforms: readonly TransformInfo[]): ModelView {
  const rows: HeatRow[] = [{
    key: INPUT_ROW_KEY,
    label: 'input (floor)',
    layerIndex: -1,
    cells: transforms.map((t) => result.inputFloor?.[t.id]),
  }];
  const layerIndexByName = new Map<string, number>();
  result.layers.forEach((layer, i) => {
    layerIndexByName.set(layer.name, i);
    rows.push({
      key: layer.name,
      label: layer.name,
      layerIndex: i,
      layer,
      cells: transforms.map((t) => layer.scores?.[t.id]),
    });
  });
  return { index, result, title: modelTitle(result, index, all), rows, columns: transforms.map((t) => t.id), layerIndexByName };
}

/** Keeps the informative end of long tensor names (`…/layer4.1/conv2/Conv_output_0`). */
export function shortLabel(name: string, max = 28): string {
  if (name.length <= max) return name;
  return '…' + name.slice(name.length - (max - 1));
}

export function fmt(x: number | undefined, digits = 2): string {
  return x === undefined ? '—' : x.toFixed(digits);
}

export function fmtSigned(x: number | undefined, digits = 2): string {
  if (x === undefined) return '—';
  const text = Math.abs(x).toFixed(digits);
  // No "−0.00": a sign only when the rounded value is not zero.
  return Number(text) === 0 ? `±${text}` : (x > 0 ? '+' : '−') + text;
}

export function fmtShape(shape: readonly number[] | undefined): string {
  return shape && shape.length ? `[${shape.join('×')}]` : '—';
}

/** One-line description of a score cell for tooltips, live regions and table titles. */
export function describeCell(cell: ScoreCell | undefined, measure: Measure): string {
  if (!cell) return 'not scored';
  const tag = measure === 'equivariance' ? 'S_E' : 'S_I';
  const s = scoreOf(cell, measure);
  const n = nullOf(cell, measure);
  const mark = clearlyAboveNull(cell, measure) ? '' : ' (not clearly above null)';
  return `${tag} ${fmt(s)}, null ${fmt(n)}, excess ${fmtSigned(excessOverNull(cell, measure))}${mark}`;
}

/** Viridis, sampled at 9 stops: perceptually ordered and readable on light and dark backgrounds. */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

export function colorFor(value: number | undefined, alpha = 1): string {
  if (value === undefined) return `rgba(128,128,128,${0.25 * alpha})`;
  const t = Math.min(1, Math.max(0, value)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  const c = [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f));
  return `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
}

/** Text colour that stays legible on top of colorFor(value). */
export function inkFor(value: number | undefined): string {
  return value !== undefined && value > 0.62 ? '#111' : '#fff';
}
