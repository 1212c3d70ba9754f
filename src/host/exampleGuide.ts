/**
 * The bundled example tour, the part without vscode: which files it needs (also what the VSIX must
 * carry, checked by scripts/checkVsix.ts) and the "what to look for" paragraph written from the
 * run's own figures, so it stays true whatever the engine computes.
 */
import { NULL_MARGIN, excessOverNull } from '../shared/reading';
import type { AnalysisResult, LayerResult, ScoreCell } from '../shared/results';

/** Relative to the extension root: the same CNN without and with rotation augmentation (examples/README.md). */
export const EXAMPLE_MODELS = ['examples/models/cnn-plain.onnx', 'examples/models/cnn-rotaug.onnx'] as const;
/** 64 Fashion-MNIST test images, normalised as in training, NCHW (1, 28, 28). */
export const EXAMPLE_PROBES = 'examples/probes/fashion-probe.npy';
export const EXAMPLE_FILES: readonly string[] = [...EXAMPLE_MODELS, EXAMPLE_PROBES];
/** Exact on the pixel grid and the rotation the augmentation was trained on. */
export const GUIDE_TRANSFORM = 'rot90';

export interface LastConvFigures {
  readonly model: string;
  readonly layer: string;
  readonly cell: ScoreCell;
}

/** The deepest scored Conv output and its cell for the guide's transform, or undefined. */
export function lastConvFigures(result: AnalysisResult, transformId = GUIDE_TRANSFORM): LastConvFigures | undefined {
  const layer: LayerResult | undefined = [...result.layers].reverse().find((l) => l.status === 'scored' && l.op === 'Conv' && l.scores[transformId]);
  const cell = layer?.scores[transformId];
  if (!layer || !cell) return undefined;
  return { model: result.model.fileName, layer: layer.node || layer.name, cell };
}

function two(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '—';
}

function signed(x: number | undefined): string {
  return x === undefined ? '—' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
}

/** Where the two models start: alike near the input, so the gap is built by the later layers. */
function firstConvSentence(plain: AnalysisResult, augmented: AnalysisResult, transformId: string): string {
  const first = (r: AnalysisResult) => r.layers.find((l) => l.status === 'scored' && l.op === 'Conv' && l.scores[transformId])?.scores[transformId];
  const p = first(plain);
  const a = first(augmented);
  if (!p || !a || Math.abs(p.equivariance - a.equivariance) > NULL_MARGIN) return '';
  return `The first conv layer scores alike in both (S_E ${two(p.equivariance)} and ${two(a.equivariance)}): the difference builds with depth. `;
}

/**
 * One paragraph for the panel above the heatmaps, or undefined when either run lacks the figures
 * (e.g. the transform was not scored): no paragraph is better than one with made-up numbers.
 */
export function exampleGuide(plain: AnalysisResult, augmented: AnalysisResult, transformId = GUIDE_TRANSFORM): string | undefined {
  const p = lastConvFigures(plain, transformId);
  const a = lastConvFigures(augmented, transformId);
  if (!p || !a) return undefined;
  const pe = excessOverNull(p.cell, 'equivariance');
  const ae = excessOverNull(a.cell, 'equivariance');
  let verdict: string;
  if (pe === undefined || ae === undefined) verdict = 'one of the nulls is missing, so the two cannot be compared here';
  else if (ae - pe > NULL_MARGIN) verdict = 'with augmentation, much more of a rotated image\'s spatial information survives to the top of the network';
  else if (pe - ae > NULL_MARGIN) verdict = 'in this run the plain model keeps more of it than the augmented one';
  else verdict = `the two are within ${NULL_MARGIN} of each other in this run`;
  const probes = plain.settings.probes.count;
  return `The same 4-conv CNN trained without (${p.model}) and with rotation augmentation (${a.model}), `
    + `scored on ${probes} Fashion-MNIST probe images. Pick ${transformId} and look at the last conv layer, ${p.layer}: `
    + `S_E is ${two(p.cell.equivariance)} over a null of ${two(p.cell.null.equivariance)} (${signed(pe)}) without augmentation `
    + `and ${two(a.cell.equivariance)} over ${two(a.cell.null.equivariance)} (${signed(ae)}) with it — ${verdict}. `
    + `S_I moves from ${two(p.cell.invariance)} to ${two(a.cell.invariance)} (nulls ${two(p.cell.null.invariance)} and ${two(a.cell.null.invariance)}). `
    + firstConvSentence(plain, augmented, transformId)
    + `Read every cell as its distance above its own null; hatched cells are within ${NULL_MARGIN} of it.`;
}
