/**
 * What a view of the panel is to the app: where it goes, when it applies, and a small interface to
 * draw it for the chosen transform, mark the selected layer, export it as PNG and let go of its
 * resources. The app builds every view in VIEWS (charts/index.ts) the same way and knows none of them
 * by name, so a new view is one new file with its ChartSpec and one entry in that list.
 */
import type { SeriesResult, TransformInfo } from '../../../src/shared/results';
import type { PngChart } from '../../../src/shared/webviewProtocol';
import { h } from '../dom';
import type { ModelView } from '../viewModel';
import type { ThemeColors } from './setup';

/** A layer of one shown model (layerIndex −1: the input floor row). */
export interface ChartSelection {
  readonly modelIndex: number;
  readonly layerIndex: number;
  /** The selected layer's tensor name; undefined on the input floor row. */
  readonly layerName?: string;
  /** Scroll the selected row into view (set when the selection comes from a click or the host). */
  readonly reveal?: boolean;
}

export interface ChartState {
  readonly transformId: string;
  readonly theme: ThemeColors;
  readonly selection: ChartSelection | undefined;
}

/** What a view may read and do in the panel. Live: getters reflect the panel as it is now. */
export interface ViewContext {
  /** The shown models (one per result), in order. */
  readonly models: readonly ModelView[];
  /** Every transform of the shown results (the heatmaps' columns). */
  readonly transforms: readonly TransformInfo[];
  readonly theme: ThemeColors;
  /** The checkpoint series shown above the panel, if any; `models` then hold its checkpoint `checkpoint`. */
  readonly series: SeriesResult | undefined;
  readonly checkpoint: number;
  /** Selects a layer of a shown model everywhere (layerIndex −1: the input floor row) and tells the host. */
  select(modelIndex: number, layerIndex: number, reveal?: boolean): void;
  /** Same, by tensor name. */
  selectLayer(modelIndex: number, layerName: string): void;
  /** Opens one checkpoint of the series in the panel, with that layer selected. */
  openCheckpoint(index: number, layerName: string | undefined): void;
}

export interface SeisChart {
  /** What the view puts on the page: for place `model`, one element per shown model (in model order). */
  readonly elements: readonly HTMLElement[];
  /** Called once its elements are in the document (chart.js measures there). */
  mounted?(): void;
  /** (Re)draws for the transform, theme and selection given. */
  render(state: ChartState): void;
  /** Marks the selected layer without a full redraw. */
  select(selection: ChartSelection | undefined): void;
  /** One of its PNG exports (spec.exports) as a data: URL; throws, saying why, when there is nothing to export. */
  png(chart: PngChart, state: ChartState): string;
  dispose(): void;
}

/**
 * Where a view goes: `top` above the panel (across its results), `model` inside each model's block,
 * `models` after the model blocks, `bottom` below the layer details.
 */
export type ViewPlace = 'top' | 'model' | 'models' | 'bottom';

/** How the app places a view and when it builds it. */
export interface ChartSpec {
  /** Names the view (its section's class is `${id}-block` for the charts drawn in chartBlock). */
  readonly id: string;
  readonly place: ViewPlace;
  /** The PNG exports it answers (requestPng's `chart`). */
  readonly exports: readonly PngChart[];
  /** Why there is nothing to export when the view is not shown. */
  readonly missing: string;
  /** Whether the shown results have what the view shows. */
  applies(context: ViewContext): boolean;
  create(context: ViewContext): SeisChart;
  /**
   * When given, a rebuild of the panel keeps the view while this stays the same (e.g. the series,
   * while the user opens its checkpoints one after another), so its own controls keep their state.
   */
  keep?(context: ViewContext): unknown;
}

/** The section a chart.js chart sits in: title, how to read it, and its canvas. */
export function chartBlock(id: string, title: string, description: string, canvas: HTMLCanvasElement, ariaLabel = title): HTMLElement {
  return h('section', { class: `chart-block ${id}-block`, 'aria-label': ariaLabel },
    h('h2', {}, title),
    h('p', { class: 'muted small' }, description),
    h('div', { class: `chart-box ${id}-box` }, canvas));
}

/** The row (0 = input floor) of model `modelIndex` that shows the selected layer; −1 when it has none. */
export function selectedRow(models: readonly ModelView[], selection: ChartSelection, modelIndex: number): number {
  if (modelIndex === selection.modelIndex || selection.layerName === undefined) return selection.layerIndex + 1;
  // The same layer in the other models too: that is the comparison users look for.
  return (models[modelIndex]?.layerIndexByName.get(selection.layerName) ?? -2) + 1;
}
