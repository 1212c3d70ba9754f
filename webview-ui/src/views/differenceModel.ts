/**
 * The B − A view of two results of the same architecture, without the DOM: layers matched by tensor
 * name, one signed change per (layer, transform, measure), each with the shared verdict of whether it
 * may be called a difference (src/shared/difference.ts). Pure: unit-tested in Node.
 */
import { compareScores, type Measure, type ScoreDifference } from '../../../src/shared/difference';
import type { AnalysisResult, TransformInfo } from '../../../src/shared/results';

export interface DifferenceRow {
  readonly layerName: string;
  /** Index of the layer in A's and in B's `layers`. */
  readonly indexA: number;
  readonly indexB: number;
  /** Per column transform. */
  readonly equivariance: readonly ScoreDifference[];
  readonly invariance: readonly ScoreDifference[];
}

export interface DifferenceModel {
  /** Transform ids both results scored, in A's order. */
  readonly columns: readonly string[];
  /** Layers both results have, in B's graph order. */
  readonly rows: readonly DifferenceRow[];
  readonly onlyInA: readonly string[];
  readonly onlyInB: readonly string[];
}

export function buildDifference(a: AnalysisResult, b: AnalysisResult): DifferenceModel {
  const bIds = new Set(b.transforms.map((t) => t.id));
  const columns = a.transforms.map((t: TransformInfo) => t.id).filter((id) => bIds.has(id));
  const indexInA = new Map(a.layers.map((l, i) => [l.name, i] as const));
  const namesInB = new Set(b.layers.map((l) => l.name));
  const rows: DifferenceRow[] = [];
  b.layers.forEach((lb, ib) => {
    const ia = indexInA.get(lb.name);
    if (ia === undefined) return;
    const la = a.layers[ia];
    const per = (measure: Measure): ScoreDifference[] => columns.map((id) => compareScores(la.scores?.[id], lb.scores?.[id], measure));
    rows.push({ layerName: lb.name, indexA: ia, indexB: ib, equivariance: per('equivariance'), invariance: per('invariance') });
  });
  return {
    columns,
    rows,
    onlyInA: a.layers.filter((l) => !namesInB.has(l.name)).map((l) => l.name),
    onlyInB: b.layers.filter((l) => !indexInA.has(l.name)).map((l) => l.name),
  };
}
