/**
 * Pure helpers shared by the host's views: score labels, tiny text bars, layer grouping by stage.
 * No vscode import, so they are unit-tested in plain Node (test/unit/host).
 */
import { READING_TEXT, readingOf } from '../shared/reading';
import type { AnalysisResult, LayerResult, ScoreCell } from '../shared/results';

export function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '–';
}

/** `E 0.82 · I 0.11` as shown in the tree and decorations. */
export function scoreLabel(cell: ScoreCell): string {
  return `E ${fmt(cell.equivariance)} · I ${fmt(cell.invariance)}`;
}

/** Eight-step bar from block characters, so it survives any font and needs no images. */
export function textBar(value: number, width = 8): string {
  const v = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
  const eighths = Math.round(v * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  const partial = rest > 0 ? String.fromCodePoint(0x2590 - rest) : '';
  return ('█'.repeat(full) + partial).padEnd(width, '·');
}

export function cellFor(layer: LayerResult, transformId: string | undefined): ScoreCell | undefined {
  if (!transformId || layer.status !== 'scored') return undefined;
  return layer.scores[transformId];
}

export function defaultTransformId(result: AnalysisResult): string | undefined {
  return result.transforms[0]?.id;
}

/** Multi-line hover/tooltip text for one layer (plain text; callers may wrap it in Markdown). */
export function layerDetails(result: AnalysisResult, layer: LayerResult, transformId: string | undefined): string[] {
  const lines = [`${layer.name}`, `${layer.op} · shape [${layer.shape.join(', ')}] · ${layer.layout}`];
  if (layer.node && layer.node !== layer.name) lines.push(`node ${layer.node}`);
  if (layer.status !== 'scored') {
    lines.push(layer.message ?? `not scored (${layer.status})`);
    return lines;
  }
  lines.push(`positions ${layer.positions}${layer.pooledPositions ? ` (pooled to ${layer.pooledPositions})` : ''}`);
  const cell = cellFor(layer, transformId);
  const transform = result.transforms.find((t) => t.id === transformId);
  if (cell && transform) {
    lines.push(`${transform.label}${transform.exact ? '' : ' (interpolated)'}: S_E ${fmt(cell.equivariance)} (null ${fmt(cell.null.equivariance)}), S_I ${fmt(cell.invariance)} (null ${fmt(cell.null.invariance)})`);
    lines.push(`ranks k=${cell.rankClean}, k'=${cell.rankTransformed}, r=${cell.r}, n=${cell.observations}, d=${cell.variables}`);
    lines.push(`reading: ${READING_TEXT[readingOf(cell)]}`);
    for (const w of cell.warnings) lines.push(`⚠ ${w}`);
  }
  return lines;
}

export interface LayerGroup {
  /** Stage name, e.g. `layer1` or `backbone.stage2`; '' for layers outside any recognisable stage. */
  readonly stage: string;
  readonly layers: readonly LayerResult[];
}

/**
 * Stage of a layer from its node/tensor name. PyTorch exports look like `/layer1/layer1.0/conv1/Conv`
 * (stage = first path segment); Paddle exports like `conv2d_12.tmp_0` have no stage.
 * Returns '' when the name gives none, so the tree shows such layers flat.
 */
export function stageOf(layer: LayerResult): string {
  const name = layer.node || layer.name;
  const parts = name.split('/').filter((p) => p !== '');
  if (parts.length >= 3) return parts[0]!;
  const dotted = name.split('.');
  if (dotted.length >= 3 && !/tmp_\d+$/.test(name)) return dotted[0]!;
  return '';
}

/**
 * Groups consecutive layers of the same stage, keeping graph order. Only groups when at least two
 * stages with two or more layers exist; otherwise a single flat group is clearer.
 */
export function groupByStage(layers: readonly LayerResult[]): LayerGroup[] {
  const groups: { stage: string; layers: LayerResult[] }[] = [];
  for (const layer of layers) {
    const stage = stageOf(layer);
    const last = groups[groups.length - 1];
    if (last && last.stage === stage) last.layers.push(layer);
    else groups.push({ stage, layers: [layer] });
  }
  const meaningful = groups.filter((g) => g.stage !== '' && g.layers.length >= 2).length;
  if (meaningful < 2) return [{ stage: '', layers: [...layers] }];
  return groups;
}

/** Case-insensitive filter over layer name, node name and op. */
export function matchesFilter(layer: LayerResult, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (f === '') return true;
  return layer.name.toLowerCase().includes(f) || layer.node.toLowerCase().includes(f) || layer.op.toLowerCase().includes(f);
}

/** One-line summary for the status bar and badges' tooltips. */
export function resultSummary(result: AnalysisResult, transformId = defaultTransformId(result)): string {
  const scored = result.layers.filter((l) => l.status === 'scored');
  let lost = 0;
  for (const l of scored) {
    const c = cellFor(l, transformId);
    if (c && readingOf(c) === 'lost') lost++;
  }
  const t = result.transforms.find((x) => x.id === transformId);
  return `${scored.length}/${result.layers.length} layers scored${t ? `, ${t.label}: ${lost} near the null` : ''}`;
}
