/**
 * The series view's judgement of a change between consecutive checkpoints (the shared rule of
 * src/shared/difference.ts); the series' parts themselves are in src/shared/seriesParts.ts. Pure.
 */
import { compareScores, type Measure, type ScoreDifference } from '../../../src/shared/difference';
import type { SeriesResult } from '../../../src/shared/results';
import { cellAt } from '../../../src/shared/seriesParts';

/** The change from the previous checkpoint with the shared verdict (overlapping intervals are never "different"). */
export function changeFromPrevious(series: SeriesResult, index: number, layerName: string, transformId: string, measure: Measure): ScoreDifference | undefined {
  if (index === 0) return undefined;
  return compareScores(cellAt(series, index - 1, layerName, transformId), cellAt(series, index, layerName, transformId), measure);
}
