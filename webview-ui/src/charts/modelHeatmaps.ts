/**
 * The S_E and S_I heatmaps of every shown model, one pair in each model's block. Exports `overview`
 * (both maps of every model), `equivariance` and `invariance`; the export draws every row, not only
 * the rows in view.
 */
import type { PngChart } from '../../../src/shared/webviewProtocol';
import { tableIdOf } from '../table';
import type { ModelView } from '../viewModel';
import { selectedRow, type ChartSelection, type ChartSpec, type ChartState, type SeisChart, type ViewContext } from './chart';
import { HeatmapPair } from './heatmap';
import { canvasesToPng, type PngPart } from './setup';

const NO_HEATMAPS = 'There are no heatmaps to export: no results are shown.';

export const MODEL_HEATMAPS: ChartSpec = {
  id: 'heatmaps',
  place: 'model',
  exports: ['overview', 'equivariance', 'invariance'],
  missing: NO_HEATMAPS,
  applies: (context) => context.models.length > 0,
  create: (context) => new ModelHeatmaps(context),
};

class ModelHeatmaps implements SeisChart {
  private readonly pairs: HeatmapPair[];
  readonly elements: readonly HTMLElement[];

  constructor(private readonly context: ViewContext) {
    const { models, transforms, theme } = context;
    this.pairs = models.map((view) => new HeatmapPair(view, transforms, theme,
      { select: (row) => context.select(view.index, row - 1, false) }, tableIdOf(view.index),
      !(view.index > 0 && sameLayerNames(models[0], view))));
    this.elements = this.pairs.map((p) => p.element);
  }

  mounted(): void {
    for (const p of this.pairs) p.mount();
  }

  /** The maps show every transform; only a new theme redraws them. */
  render({ theme }: ChartState): void {
    for (const p of this.pairs) if (p.theme !== theme) p.setTheme(theme);
  }

  select(selection: ChartSelection | undefined): void {
    if (!selection) return;
    this.pairs.forEach((p, mi) => p.select(selectedRow(this.context.models, selection, mi), !!selection.reveal || mi !== selection.modelIndex));
  }

  png(chart: PngChart, state: ChartState): string {
    const models = this.context.models;
    if (!models.length) throw new Error(NO_HEATMAPS);
    const collect = (i: number, acc: PngPart[]): string => {
      if (i === models.length) return canvasesToPng(acc, state.theme);
      const m = models[i];
      return HeatmapPair.withFullCanvases(m, this.context.transforms, state.theme, true, (canvases) => collect(i + 1, [
        ...acc,
        ...canvases.filter((c) => chart === 'overview' || c.dataset.measure === chart)
          .map((c) => ({ canvas: c, caption: `${m.title} · ${c.dataset.measure === 'equivariance' ? 'S_E' : 'S_I'}` })),
      ]));
    };
    return collect(0, []);
  }

  dispose(): void {
    for (const p of this.pairs) p.destroy();
  }
}

function sameLayerNames(a: ModelView, b: ModelView): boolean {
  return a.rows.length === b.rows.length && a.rows.every((r, i) => r.key === b.rows[i].key);
}
