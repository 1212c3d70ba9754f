/**
 * Which tensors are layers worth scoring, and what layout each one has.
 *
 * Candidates are the outputs of every non-Constant node, in graph order. Their shapes are learned
 * by running the model (real exports often declare none). The default selection keeps what a
 * reader of a 500-node model wants: outputs of convolutions, pooling, resizing, concatenation and
 * residual additions (an Add of two computed tensors, not the `x + 3` inside a hard-swish), token
 * layers from matrix products and normalisation, and the graph outputs. `all`, `op:Conv,Relu`,
 * `/regex/` and explicit comma-separated names select otherwise.
 */
import type { LayerLayout } from '../shared/results';
import { AnalysisError } from './errors';
import type { ModelView, NodeView } from './onnxModel';

export interface Candidate {
  readonly name: string;
  readonly node: NodeView;
  readonly isGraphOutput: boolean;
}

export function candidateTensors(model: ModelView): Candidate[] {
  const outputs = new Set(model.outputs.map((o) => o.name));
  const out: Candidate[] = [];
  for (const node of model.nodes) {
    if (node.op === 'Constant' && node.domain === '') continue;
    for (const name of node.outputs) out.push({ name, node, isGraphOutput: outputs.has(name) });
  }
  return out;
}

const DEFAULT_SPATIAL_OPS = new Set(['Conv', 'ConvTranspose', 'QLinearConv', 'ConvInteger', 'MaxPool', 'AveragePool', 'LpPool', 'Resize', 'Upsample', 'Concat', 'DepthToSpace', 'SpaceToDepth']);
const DEFAULT_TOKEN_OPS = new Set(['MatMul', 'Gemm', 'LayerNormalization', 'Attention', 'MultiHeadAttention']);
const RESIDUAL_OPS = new Set(['Add', 'Sum']);

export interface LayerSelection {
  readonly kind: 'default' | 'all' | 'op' | 'pattern' | 'names';
  readonly ops?: ReadonlySet<string>;
  readonly pattern?: RegExp;
  readonly names?: readonly string[];
  readonly text: string;
  /** The option as the caller knows it (`--layers`, or the VS Code setting), for messages. */
  readonly option: string;
}

/** `default` | `all` | `op:Conv,Add` | `/regex/flags` | `name1,name2`; `option` names the option in messages. */
export function parseLayerSelection(text: string | undefined, option = '--layers'): LayerSelection {
  const t = (text ?? 'default').trim();
  if (t === '' || t === 'default') return { kind: 'default', text: 'default', option };
  if (t === 'all') return { kind: 'all', text: t, option };
  if (t.startsWith('op:')) {
    const ops = t.slice(3).split(',').map((s) => s.trim()).filter(Boolean);
    if (ops.length === 0) throw new AnalysisError('bad-option', `${option} ${t}: name at least one operator, e.g. op:Conv,Add`);
    return { kind: 'op', ops: new Set(ops), text: t, option };
  }
  const re = t.match(/^\/(.+)\/([a-z]*)$/);
  if (re) {
    try {
      return { kind: 'pattern', pattern: new RegExp(re[1], re[2]), text: t, option };
    } catch (err) {
      throw new AnalysisError('bad-option', `${option} ${t}: not a valid regular expression (${(err as Error).message})`);
    }
  }
  return { kind: 'names', names: t.split(',').map((s) => s.trim()).filter(Boolean), text: t, option };
}

export interface LayoutGuess {
  readonly layout: LayerLayout;
  /** Why it is not scorable, when layout is 'none'. */
  readonly reason?: string;
  readonly positions: number;
}

/**
 * Layout of an activation captured for `batch` probes. Rank 4 is NCHW unless the model takes NHWC
 * images and only the (1,2) reading keeps the input's aspect ratio; rank 3 is tokens (b, t, dim).
 */
export function guessLayout(shape: readonly number[], batch: number, inputLayout: 'NCHW' | 'NHWC', inputHW: readonly [number, number], op: string): LayoutGuess {
  if (shape.length <= 2) return { layout: 'none', positions: 0, reason: `rank ${shape.length}: no spatial or token axis (e.g. after global pooling or a classifier head); SEIS is not defined for it` };
  if (shape.length > 4) return { layout: 'none', positions: 0, reason: `rank-${shape.length} tensor (${shape.join(', ')}); SEIS reads (b, c, h, w) or (b, tokens, dim)` };
  if (shape[0] !== batch) {
    return { layout: 'none', positions: 0, reason: `its first axis (${shape[0]} in a batch of ${batch} probes) is not the batch axis, so rows cannot be paired image by image; not scored` };
  }
  if (shape.length === 3) {
    if (shape[1] < 2) return { layout: 'none', positions: shape[1], reason: 'a single token; nothing spatial to score' };
    return { layout: 'tokens', positions: shape[1] };
  }
  let layout: 'NCHW' | 'NHWC' = 'NCHW';
  if (inputLayout === 'NHWC' && !['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool'].includes(op)) {
    const ratio = inputHW[0] / inputHW[1];
    const nchw = Math.abs(shape[2] / shape[3] - ratio);
    const nhwc = Math.abs(shape[1] / shape[2] - ratio);
    if (nhwc < nchw - 1e-9) layout = 'NHWC';
  }
  const [h, w] = layout === 'NCHW' ? [shape[2], shape[3]] : [shape[1], shape[2]];
  if (h * w < 2) return { layout: 'none', positions: h * w, reason: 'a 1×1 map (e.g. a squeeze-excitation branch); nothing spatial to score' };
  return { layout, positions: h * w };
}

function isResidual(model: ModelView, node: NodeView): boolean {
  if (!RESIDUAL_OPS.has(node.op)) return false;
  return node.inputs.filter((i) => i !== '' && !model.weights.has(i)).length >= 2;
}

/** Picks candidates; `layoutOf` is consulted for the default selection's token rule. */
export function selectLayers(model: ModelView, candidates: readonly Candidate[], selection: LayerSelection, layoutOf: (name: string) => LayoutGuess | undefined, warnings: string[]): Candidate[] {
  switch (selection.kind) {
    case 'all':
      return candidates.filter((c) => layoutOf(c.name) !== undefined);
    case 'op': {
      const picked = candidates.filter((c) => selection.ops?.has(c.node.op));
      if (picked.length === 0) {
        const ops = [...new Set(candidates.map((c) => c.node.op))].sort().join(', ');
        throw new AnalysisError('bad-option', `${selection.option} ${selection.text}: the model has no such operator; its operators are ${ops}`);
      }
      return picked;
    }
    case 'pattern': {
      const picked = candidates.filter((c) => selection.pattern?.test(c.name) || selection.pattern?.test(c.node.name));
      if (picked.length === 0) throw new AnalysisError('bad-option', `${selection.option} ${selection.text}: no tensor or node name matches; try 'all' to see every name`);
      return picked;
    }
    case 'names': {
      const byName = new Map(candidates.map((c) => [c.name, c]));
      const missing = (selection.names ?? []).filter((n) => !byName.has(n));
      if (missing.length > 0) throw new AnalysisError('bad-option', `${selection.option}: no tensor named ${missing.map((m) => `'${m}'`).join(', ')} in the model; names are tensor (node output) names`);
      const wanted = new Set(selection.names);
      return candidates.filter((c) => wanted.has(c.name));
    }
    case 'default': {
      const picked = candidates.filter((c) => {
        const g = layoutOf(c.name);
        if (!g) return false;
        if (c.isGraphOutput) return true;
        if (DEFAULT_SPATIAL_OPS.has(c.node.op) || isResidual(model, c.node)) return g.layout !== 'tokens';
        if (DEFAULT_TOKEN_OPS.has(c.node.op)) return g.layout === 'tokens';
        return false;
      });
      const scorable = picked.filter((c) => layoutOf(c.name)?.layout !== 'none');
      if (scorable.length < 3) {
        // An unusual model: fall back to every spatial tensor rather than reporting almost nothing.
        warnings.push(`the default layer choice found only ${scorable.length} scorable layers; every tensor with a spatial or token axis was used instead`);
        return candidates.filter((c) => {
          const g = layoutOf(c.name);
          return g !== undefined && (g.layout !== 'none' || c.isGraphOutput);
        });
      }
      return spreadDefault(picked, layoutOf, warnings);
    }
  }
}

/** Rows in a default report: enough to see a trend through depth, few enough to score quickly. */
export const DEFAULT_MAX_LAYERS = 24;

/**
 * Keeps the graph outputs and at most DEFAULT_MAX_LAYERS scorable layers spread evenly through the
 * graph; 1×1 maps and other unscorable picks are left out of the default view (they are listed
 * with `--layers all`).
 */
function spreadDefault(picked: Candidate[], layoutOf: (name: string) => LayoutGuess | undefined, warnings: string[]): Candidate[] {
  const scorable = picked.filter((c) => layoutOf(c.name)?.layout !== 'none');
  let kept: Set<Candidate>;
  if (scorable.length <= DEFAULT_MAX_LAYERS) kept = new Set(scorable);
  else {
    kept = new Set<Candidate>();
    for (let i = 0; i < DEFAULT_MAX_LAYERS; i++) kept.add(scorable[Math.round((i * (scorable.length - 1)) / (DEFAULT_MAX_LAYERS - 1))]);
    warnings.push(`default layer choice: ${kept.size} of ${scorable.length} candidate layers (convolution, pooling, resize, concat, residual outputs), spread evenly through the graph; use --layers all, op:… or a pattern for others`);
  }
  return picked.filter((c) => kept.has(c) || c.isGraphOutput);
}
