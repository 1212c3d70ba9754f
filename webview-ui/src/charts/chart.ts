/**
 * What a chart of the panel is to the app: it draws the shown models for the chosen transform, marks
 * the selected layer, gives its canvas for PNG export and lets go of its resources. The app builds
 * every chart in CHARTS (charts/index.ts) the same way, so a new view is one new file and one line there.
 */
import type { PngChart } from '../../../src/shared/webviewProtocol';
import type { ModelView } from '../viewModel';
import type { PngPart, ThemeColors } from './setup';

/** A layer of one shown model (layerIndex −1: none). */
export interface ChartSelection {
  readonly modelIndex: number;
  readonly layerIndex: number;
}

export interface ChartState {
  readonly transformId: string;
  readonly theme: ThemeColors;
  readonly selection: ChartSelection | undefined;
}

export interface SeisChart {
  readonly canvas: HTMLCanvasElement;
  /** (Re)draws for the transform, theme and selection given. */
  render(state: ChartState): void;
  /** Marks the selected layer without a full redraw. */
  select(selection: ChartSelection | undefined): void;
  /** The canvases to export, with their captions. */
  png(state: ChartState): PngPart[];
  dispose(): void;
}

/** How the app places a chart: its section, words, and the factory. */
export interface ChartSpec {
  /** Also the PNG export name of this chart (requestPng's `chart`). */
  readonly id: PngChart;
  readonly title: string;
  readonly ariaLabel: string;
  /** What the chart shows and how to read it, under its title. */
  describe(): string;
  create(models: readonly ModelView[], onSelect: (modelIndex: number, layerIndex: number) => void): SeisChart;
}
