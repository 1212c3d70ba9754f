/**
 * When two scores of the same layer and transform (two models, two checkpoints of a series, or two
 * settings) may be called different. One rule for the difference view, the series view and the layer
 * inspector; pure, safe for every bundle.
 *
 * A change B − A is read as a difference only when none of these holds:
 * - `overlapping-intervals`: both scores carry an interval (docs/method.md, "Intervals") and the two
 *   intervals overlap: other probe images could reverse the order, so the UI never calls them different.
 * - `within-margin`: |B − A| ≤ NULL_MARGIN, the margin a score needs over its null to count as signal
 *   (src/shared/reading.ts); a smaller change is below the resolution the reading works at.
 * - `both-at-null`: neither score is clearly above its own null: both are chance levels, and the
 *   difference between two chance levels says nothing about the layer.
 */
import { clearlyAboveNull, NULL_MARGIN, type ReadableCell } from './reading';
import type { ScoreInterval } from './results';

export type Measure = 'equivariance' | 'invariance';

export type DifferenceVerdict = 'different' | 'overlapping-intervals' | 'within-margin' | 'both-at-null' | 'missing';

/** What a difference needs of a score cell: its value, its null and, when computed, its interval. */
export interface ComparableCell extends ReadableCell {
  readonly intervals?: { readonly equivariance?: ScoreInterval; readonly invariance?: ScoreInterval };
}

export interface ScoreDifference {
  /** B − A; undefined when either score is missing. */
  readonly delta: number | undefined;
  readonly verdict: DifferenceVerdict;
}

function finite(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

export function intervalsOverlap(a: ScoreInterval | undefined, b: ScoreInterval | undefined): boolean | undefined {
  const [al, ah, bl, bh] = [finite(a?.low), finite(a?.high), finite(b?.low), finite(b?.high)];
  if (al === undefined || ah === undefined || bl === undefined || bh === undefined) return undefined;
  return al <= bh && bl <= ah;
}

export function compareScores(a: ComparableCell | undefined, b: ComparableCell | undefined, measure: Measure): ScoreDifference {
  const sa = finite(a?.[measure]);
  const sb = finite(b?.[measure]);
  if (sa === undefined || sb === undefined) return { delta: undefined, verdict: 'missing' };
  const delta = sb - sa;
  if (intervalsOverlap(a?.intervals?.[measure], b?.intervals?.[measure])) return { delta, verdict: 'overlapping-intervals' };
  if (Math.abs(delta) <= NULL_MARGIN) return { delta, verdict: 'within-margin' };
  if (!clearlyAboveNull(a, measure) && !clearlyAboveNull(b, measure)) return { delta, verdict: 'both-at-null' };
  return { delta, verdict: 'different' };
}

export const DIFFERENCE_TEXT: Readonly<Record<DifferenceVerdict, string>> = {
  different: 'a difference: outside both the margin and any overlap of intervals',
  'overlapping-intervals': 'indistinguishable: the two intervals overlap',
  'within-margin': `indistinguishable: the change is within ${NULL_MARGIN}, the margin a score needs over its null`,
  'both-at-null': 'indistinguishable: neither score is clearly above its null',
  missing: 'no score on one side',
};
