/**
 * The charts the panel shows below the heatmaps, in order. A new view: one file with its ChartSpec
 * (see charts/chart.ts), one line here.
 */
import type { ChartSpec } from './chart';
import { DEPTH_PROFILE } from './profile';
import { READING_SCATTER } from './scatter';

export const CHARTS: readonly ChartSpec[] = [DEPTH_PROFILE, READING_SCATTER];
