/**
 * The panel's views, in page order within each place (see charts/chart.ts). A new view: one file with
 * its ChartSpec, one entry here.
 */
import { DIFFERENCE_VIEW } from '../views/difference';
import { SERIES_VIEW } from '../views/series';
import { SWEEP_VIEW } from '../views/sweep';
import type { ChartSpec } from './chart';
import { MODEL_HEATMAPS } from './modelHeatmaps';
import { DEPTH_PROFILE } from './profile';
import { READING_SCATTER } from './scatter';

export const VIEWS: readonly ChartSpec[] = [MODEL_HEATMAPS, SERIES_VIEW, DIFFERENCE_VIEW, SWEEP_VIEW, DEPTH_PROFILE, READING_SCATTER];
