/**
 * Layer details, "How space is re-encoded": the selected layer's top canonical pairs under the chosen
 * transform as small maps with a diverging colour scale (issue 10). Per pair: the clean pattern w_i, the
 * same pattern moved like the input (when the transform is a position map on the layer's grid) and the
 * transformed pattern v_i, so the eye checks "moved like the input" at a glance; the |cos| between the
 * moved and the transformed map says the same in a number. Patterns come from the run (`--patterns N`,
 * setting seis.patterns); without them, in VS Code, a button asks the host to compute them for the
 * selected layer (src/host/patternsOnDemand.ts); the standalone report says how to get them.
 */
import type { AnalysisResult, LayerResult, PatternPair, TransformInfo } from '../../../src/shared/results';
import { h } from '../dom';
import { divergingRgb, symmetricLimit } from './diverging';
import { absCosine, moveOnGrid } from '../../../src/shared/positionMap';

const COMPUTE_LABEL = 'Compute patterns for this layer';

/** On-screen size of the longer side of each map, in CSS pixels. */
const MAP_SIZE = 76;

export type PatternMapKind = 'clean' | 'moved' | 'transformed';

/** Draws values (row-major, height×width) as square cells on a canvas, scaled to the symmetric limit. */
export function drawPattern(values: readonly number[], height: number, width: number, limit: number, label: string, kind: PatternMapKind): HTMLCanvasElement {
  const cell = Math.max(1, Math.floor(MAP_SIZE / Math.max(height, width)));
  const canvas = h('canvas', { class: `pattern-map pattern-${kind}`, role: 'img', 'aria-label': label, title: label, 'data-kind': kind, width: width * cell, height: height * cell });
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const image = ctx.createImageData(width * cell, height * cell);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const [r, g, b] = divergingRgb(values[i * width + j] ?? 0, limit);
      for (let y = i * cell; y < (i + 1) * cell; y++) {
        for (let x = j * cell; x < (j + 1) * cell; x++) {
          const o = (y * width * cell + x) * 4;
          image.data[o] = r; image.data[o + 1] = g; image.data[o + 2] = b; image.data[o + 3] = 255;
        }
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** The probe's spatial size, which a shift in input pixels is converted from. */
export function inputGrid(result: AnalysisResult | undefined): { height: number; width: number } | undefined {
  const shape = result?.model?.probeInputShape;
  if (!shape || shape.length !== 4) return undefined;
  return result.model.inputLayout === 'NHWC' ? { height: shape[1], width: shape[2] } : { height: shape[2], width: shape[3] };
}

/** Asks the host for the patterns of one layer under one transform (a `requestPatterns` message). */
export type PatternsRequester = (layerName: string, transformId: string) => void;

export class PatternsView {
  readonly element = h('section', { class: 'patterns', 'aria-label': 'Canonical patterns' });
  /** The button pressed and its run not ended yet: shown busy until results or the run's end arrive. */
  private pending: HTMLButtonElement | undefined;

  constructor(private readonly requestPatterns?: PatternsRequester) {}

  /** A run ended without new results (failed, cancelled, refused): the button can be pressed again. */
  runEnded(): void {
    if (!this.pending) return;
    this.pending.disabled = false;
    this.pending.textContent = COMPUTE_LABEL;
    this.pending = undefined;
  }

  clear(): void {
    this.element.replaceChildren();
  }

  show(result: AnalysisResult | undefined, layer: LayerResult | undefined, transform: TransformInfo | undefined, host: 'vscode' | 'standalone'): void {
    if (!layer || !transform) { this.clear(); return; }
    const cell = layer.scores?.[transform.id];
    const title = h('h3', {}, `Canonical patterns (${transform.id})`);
    if (!cell) { this.clear(); return; }
    const pairs = (cell.patterns ?? []).filter((p) => p && Array.isArray(p.clean) && Array.isArray(p.transformed));
    this.pending = undefined;
    if (!pairs.length) {
      if (host === 'vscode' && this.requestPatterns) {
        const ask = this.requestPatterns;
        const button = h('button', { type: 'button', class: 'patterns-compute', 'data-layer': layer.name, 'data-transform': transform.id }, COMPUTE_LABEL);
        button.addEventListener('click', () => {
          button.disabled = true;
          button.textContent = 'Computing patterns…';
          this.pending = button;
          ask(layer.name, transform.id);
        });
        this.element.replaceChildren(title, h('p', { class: 'muted small patterns-none' },
          'This run stored no canonical patterns. Compute them for this layer: the layer alone is analysed again with the same settings.'), button);
        return;
      }
      this.element.replaceChildren(title, h('p', { class: 'muted small patterns-none' }, 'This run stored no canonical patterns. Run seis analyze with --patterns 3 to see how this layer re-encodes space.'));
      return;
    }
    const input = inputGrid(result);
    const rows = pairs.map((pair, i) => this.pairRow(pair, i, transform, input));
    this.element.replaceChildren(title,
      h('p', { class: 'muted small' }, 'Red positive, blue negative, white zero; each pair on its own symmetric scale. '
        + 'If the layer carries the transform as the same motion of its maps, "moved like the input" looks like "transformed".'),
      ...rows);
  }

  private pairRow(pair: PatternPair, index: number, transform: TransformInfo, input: { height: number; width: number } | undefined): HTMLElement {
    const { height, width } = pair;
    const moved = moveOnGrid(pair.clean, pair, transform, input);
    const limit = symmetricLimit([...pair.clean, ...pair.transformed]);
    const agreement = moved.ok ? absCosine(moved.values, pair.transformed) : undefined;
    const fig = (canvas: HTMLElement | null, caption: string): HTMLElement => h('figure', { class: 'pattern-fig' }, canvas, h('figcaption', {}, caption));
    const n = index + 1;
    const facts = [`ρ ${pair.rho.toFixed(3)}`, `|cos(w, v)| ${pair.cosine.toFixed(2)}`];
    if (agreement !== undefined) facts.push(`moved vs transformed |cos| ${agreement.toFixed(2)}`);
    if (pair.tied) facts.push('tied (one valid choice within its block)');
    return h('div', { class: 'pattern-row', 'data-pair': index, 'data-moved-cosine': agreement === undefined ? undefined : agreement.toFixed(4) },
      h('div', { class: 'pattern-caption small' }, h('strong', {}, `Pair ${n}`), ` · ${facts.join(' · ')}`),
      h('div', { class: 'pattern-maps' },
        fig(drawPattern(pair.clean, height, width, limit, `pair ${n}: clean pattern w, ${height}×${width}`, 'clean'), 'clean w'),
        moved.ok
          ? fig(drawPattern(Array.from(moved.values), height, width, limit, `pair ${n}: clean pattern moved by ${transform.id}`, 'moved'), `w moved by ${transform.id}`)
          : h('figure', { class: 'pattern-fig pattern-no-move', title: moved.reason }, h('div', { class: 'pattern-placeholder small muted' }, 'not a position map'), h('figcaption', {}, moved.reason)),
        fig(drawPattern(pair.transformed, height, width, limit, `pair ${n}: transformed pattern v`, 'transformed'), 'transformed v')));
  }
}
