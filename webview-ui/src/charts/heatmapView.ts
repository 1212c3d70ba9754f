/**
 * What the parts of a heatmap share: its geometry, its cells, and the state of a heatmap pair that the
 * chart configuration and the overlay read (HeatmapView, implemented by HeatmapPair).
 */
import type { TransformInfo } from '../../../src/shared/results';
import type { Measure, ModelView } from '../viewModel';
import type { HeatFocus } from './heatmapKeys';
import type { ThemeColors } from './setup';

export const ROW_HEIGHT = 18;
export const LABEL_WIDTH = 160;
export const AXIS_HEIGHT = 34;

/** Narrower columns when there are many transforms, so two models still fit side by side. */
export function columnWidth(transforms: number): number {
  return transforms > 4 ? 40 : 46;
}

export interface CellPoint {
  x: number;
  y: number;
  v: number | undefined;
  hatched: boolean;
}


export const MEASURE_TITLE: Record<Measure, string> = {
  equivariance: 'S_E · equivariance',
  invariance: 'S_I · invariance',
};

/** What the configuration and the overlay read from a heatmap pair. */
export interface HeatmapView {
  readonly model: ModelView;
  readonly transforms: readonly TransformInfo[];
  readonly theme: ThemeColors;
  readonly showLabels: boolean;
  readonly visibleRows: number;
  /** First row in view. */
  readonly start: number;
  readonly selectedRow: number;
  readonly focus: HeatFocus;
  readonly focusVisible: boolean;
  windowPoints(measure: Measure): CellPoint[];
  clickCell(measure: Measure, point: CellPoint): void;
}

