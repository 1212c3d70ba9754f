/**
 * Graph overlay export: one score per layer as "node data" for Google's Model Explorer
 * (docs/graph-overlay.md). Pure (no fs, no vscode): `seis analyze --node-data` and the panel's
 * Export button both call nodeDataJson and write the text themselves.
 *
 * What is produced is Model Explorer's single-graph node data object (its `GraphNodeData`):
 *   { "results": { KEY: { "value": number }, … }, "thresholds": [ { "value": v, "bgColor": c }, … ] }
 * applied to whichever graph is open. Each scored layer appears under two keys that name the same
 * node: its ONNX output tensor name (what Model Explorer matches against a node's output tensor
 * names) and its producing node's name (the node id the ONNX adapter gives a node). Thresholds, not a
 * gradient: a gradient is stretched between the file's own minimum and maximum, which would colour a
 * model whose layers all lose the information as if some kept it.
 */
import { excessOverNull, NULL_MARGIN } from './reading';
import type { AnalysisResult, ScoreCell } from './results';

export const NODE_DATA_MEASURES = ['equivariance', 'invariance', 'equivariance-above-null'] as const;
export type NodeDataMeasure = (typeof NODE_DATA_MEASURES)[number];

export interface NodeDataOptions {
  /** Default `equivariance`. */
  readonly measure?: NodeDataMeasure;
  /** A transform id of the result; default its first transform. */
  readonly transform?: string;
}

export interface NodeDataResult {
  readonly value: number;
}

export interface ThresholdItem {
  /** Nodes whose value is ≤ this (and above the previous item's value) get this colour. */
  readonly value: number;
  readonly bgColor: string;
}

/** Model Explorer's per-graph node data. */
export interface GraphNodeData {
  readonly results: Readonly<Record<string, NodeDataResult>>;
  readonly thresholds: readonly ThresholdItem[];
}

export interface NodeDataExport {
  readonly data: GraphNodeData;
  readonly measure: NodeDataMeasure;
  readonly transform: string;
  /** Layers carried by the export. */
  readonly layers: number;
  /** Layers left out, each with the reason (no score, underdetermined, not scored). */
  readonly skipped: readonly string[];
}

/** Raised for a request the result cannot answer; the message names the option and what to do. */
export class NodeDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeDataError';
  }
}

/** Sequential blues for a score in [0, 1]: darker = more of it. */
const SCORE_THRESHOLDS: readonly ThresholdItem[] = [
  { value: 0.2, bgColor: '#f7fbff' },
  { value: 0.4, bgColor: '#c6dbef' },
  { value: 0.6, bgColor: '#6baed6' },
  { value: 0.8, bgColor: '#2171b5' },
  { value: 1, bgColor: '#08306b' },
];

/** S_E − null: grey up to the project's margin (not signal, docs/method.md "The null"), then greens. */
const EXCESS_THRESHOLDS: readonly ThresholdItem[] = [
  { value: NULL_MARGIN, bgColor: '#bdbdbd' },
  { value: 0.25, bgColor: '#c7e9c0' },
  { value: 0.5, bgColor: '#74c476' },
  { value: 0.75, bgColor: '#238b45' },
  { value: 1, bgColor: '#00441b' },
];

export const NODE_DATA_THRESHOLDS: Readonly<Record<NodeDataMeasure, readonly ThresholdItem[]>> = {
  equivariance: SCORE_THRESHOLDS,
  invariance: SCORE_THRESHOLDS,
  'equivariance-above-null': EXCESS_THRESHOLDS,
};

function valueOf(cell: ScoreCell, measure: NodeDataMeasure): number | undefined {
  const value = measure === 'equivariance-above-null' ? excessOverNull(cell, 'equivariance') : cell[measure];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The node data for one measure of one transform, with what was left out and why. */
export function buildNodeData(result: AnalysisResult, options: NodeDataOptions = {}): NodeDataExport {
  const measure = options.measure ?? 'equivariance';
  if (!NODE_DATA_MEASURES.includes(measure)) {
    throw new NodeDataError(`unknown measure '${String(measure)}'; use one of ${NODE_DATA_MEASURES.join(', ')}`);
  }
  const ids = result.transforms.map((t) => t.id);
  if (ids.length === 0) throw new NodeDataError('the result has no transforms, so there is no score to export');
  const transform = options.transform ?? ids[0];
  if (!ids.includes(transform)) {
    throw new NodeDataError(`transform '${transform}' is not in this result; it has ${ids.join(', ')}`);
  }
  if (measure === 'equivariance-above-null' && result.settings.nullPermutations === 0) {
    throw new NodeDataError('equivariance-above-null needs the null, and this run computed none (0 null permutations); rerun with --null-perms 3 or export --measure equivariance');
  }

  // A node that produces several scored tensors cannot carry one value under its own name.
  const layersPerNode = new Map<string, number>();
  for (const layer of result.layers) if (layer.node) layersPerNode.set(layer.node, (layersPerNode.get(layer.node) ?? 0) + 1);

  const results: Record<string, NodeDataResult> = {};
  const skipped: string[] = [];
  let layers = 0;
  for (const layer of result.layers) {
    const cell = layer.scores[transform];
    if (layer.status !== 'scored' || !cell) {
      skipped.push(`${layer.name}: ${layer.status === 'scored' ? `not scored under ${transform}` : (layer.message ?? layer.status)}`);
      continue;
    }
    if (cell.underdetermined) {
      skipped.push(`${layer.name}: underdetermined (observations < k + k′), its score says nothing`);
      continue;
    }
    const value = valueOf(cell, measure);
    if (value === undefined) {
      skipped.push(`${layer.name}: no ${measure} value under ${transform}`);
      continue;
    }
    results[layer.name] = { value };
    if (layer.node && layer.node !== layer.name && layersPerNode.get(layer.node) === 1) results[layer.node] = { value };
    layers++;
  }
  if (layers === 0) {
    throw new NodeDataError(`no layer has a usable ${measure} score under ${transform} (${skipped.length} skipped: ${skipped.slice(0, 3).join('; ')}${skipped.length > 3 ? '; …' : ''})`);
  }
  return { data: { results, thresholds: NODE_DATA_THRESHOLDS[measure] }, measure, transform, layers, skipped };
}

/** The file text: what `--node-data` writes and the Export button saves. */
export function nodeDataJson(result: AnalysisResult, options: NodeDataOptions = {}): string {
  return `${JSON.stringify(buildNodeData(result, options).data, null, 1)}\n`;
}
