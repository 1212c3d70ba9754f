/**
 * What the sweep view plots, without the DOM: the transform families a result swept (≥ 3 members of
 * one `family`, e.g. rot15 … rot345 from `--sweep rot:15`), ordered by their parameter, and for a layer
 * (or the input floor) its S_E, S_I and nulls at each member, exact members flagged. Pure: unit-tested.
 */
import type { AnalysisResult, ScoreCell, TransformFamily, TransformInfo } from '../../../src/shared/results';

/** Fewer members than this make a comparison, not a curve. */
export const MIN_SWEEP_MEMBERS = 3;

export interface SweepFamily {
  readonly family: TransformFamily;
  /** Ordered by parameter. */
  readonly members: readonly TransformInfo[];
}

export const FAMILY_AXIS: Readonly<Record<TransformFamily, string>> = {
  rot: 'rotation angle (degrees)',
  'shift-x': 'horizontal shift (pixels)',
  'shift-y': 'vertical shift (pixels)',
  scale: 'scale factor',
};

export function sweepFamilies(transforms: readonly TransformInfo[]): SweepFamily[] {
  const byFamily = new Map<TransformFamily, TransformInfo[]>();
  for (const t of transforms) {
    if (!t.family || typeof t.parameter !== 'number' || !Number.isFinite(t.parameter)) continue;
    const list = byFamily.get(t.family) ?? [];
    list.push(t);
    byFamily.set(t.family, list);
  }
  return [...byFamily.entries()]
    .filter(([, members]) => members.length >= MIN_SWEEP_MEMBERS)
    .map(([family, members]) => ({ family, members: [...members].sort((x, y) => (x.parameter ?? 0) - (y.parameter ?? 0)) }));
}

export interface SweepPoint {
  readonly parameter: number;
  readonly transformId: string;
  readonly exact: boolean;
  readonly equivariance: number | null;
  readonly invariance: number | null;
  readonly nullEquivariance: number | null;
  readonly nullInvariance: number | null;
}

function finite(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** One point per family member from a map of cells (a layer's scores, or the result's input floor). */
export function sweepPoints(family: SweepFamily, cells: Readonly<Record<string, ScoreCell>> | undefined): SweepPoint[] {
  return family.members.map((t) => {
    const c = cells?.[t.id];
    return {
      parameter: t.parameter as number,
      transformId: t.id,
      // A cell may be inexact where its transform is exact (a shift after pooling): the cell decides.
      exact: c ? c.exact !== false && t.exact : t.exact,
      equivariance: finite(c?.equivariance),
      invariance: finite(c?.invariance),
      nullEquivariance: finite(c?.null?.equivariance),
      nullInvariance: finite(c?.null?.invariance),
    };
  });
}

export function layerSweep(result: AnalysisResult, family: SweepFamily, layerName: string): SweepPoint[] | undefined {
  const layer = result.layers.find((l) => l.name === layerName);
  return layer ? sweepPoints(family, layer.scores) : undefined;
}
