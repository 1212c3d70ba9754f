/**
 * The pure parts of the panels' views: the position map the patterns view moves a map with (checked
 * against the engine's own transform), the sweep families, the difference rule and the B − A model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTransform, parseTransform } from '../../../src/analysis/transforms';
import { compareScores } from '../../../src/shared/difference';
import { NULL_MARGIN } from '../../../src/shared/reading';
import type { AnalysisResult, ScoreCell, ScoreInterval, SeriesResult } from '../../../src/shared/results';
import { settledStep, sparkline } from '../../../src/shared/trajectory';
import { checkpointResult, seriesLayerNames, trajectory, trajectorySummary } from '../../../src/shared/seriesParts';
import { changeFromPrevious } from '../../../webview-ui/src/views/seriesModel';
import { divergingRgb, symmetricLimit } from '../../../webview-ui/src/views/diverging';
import { buildDifference } from '../../../webview-ui/src/views/differenceModel';
import { absCosine, moveOnGrid } from '../../../src/shared/positionMap';
import { sweepFamilies, sweepPoints } from '../../../webview-ui/src/views/sweepModel';

test('positionMap moves a map exactly as the engine transforms an image, for every position map', () => {
  for (const [h, w] of [[5, 5], [4, 6]]) {
    const values = Array.from({ length: h * w }, (_v, i) => Math.sin(i * 1.7) + i / 10);
    for (const id of ['identity', 'rot90', 'rot180', 'rot270', 'rot-90', 'flip-h', 'flip-v', 'shift-x2', 'shift-y3', 'shift-x1-y2', 'shift-x7']) {
      const t = parseTransform(id);
      const moved = moveOnGrid(values, { height: h, width: w }, t);
      if (h !== w && (id === 'rot90' || id === 'rot270' || id === 'rot-90')) {
        assert.equal(moved.ok, false, `${id} on ${h}×${w}`);
        continue;
      }
      assert.ok(moved.ok, `${id}: ${moved.ok ? '' : moved.reason}`);
      const engine = Array.from(applyTransform(t, Float32Array.from(values), [1, 1, h, w]));
      assert.deepEqual(Array.from(moved.values, Math.fround), engine, `${id} on ${h}×${w}`);
    }
  }
});

test('positionMap on a pooled grid: whole-cell shifts only, interpolated rotations refused with the reason', () => {
  const values = Array.from({ length: 16 }, (_v, i) => i);
  const input = { height: 8, width: 8 };
  const two = moveOnGrid(values, { height: 4, width: 4 }, parseTransform('shift-x2'), input);
  assert.ok(two.ok);
  assert.deepEqual(Array.from(two.values.slice(0, 4)), [3, 0, 1, 2], 'two input pixels are one cell of a 4-wide grid pooled from 8');
  const one = moveOnGrid(values, { height: 4, width: 4 }, parseTransform('shift-x1'), input);
  assert.equal(one.ok, false);
  assert.match(one.ok ? '' : one.reason, /fraction of a cell \(the map is pooled from 8×8\)/);
  const rot = moveOnGrid(values, { height: 4, width: 4 }, parseTransform('rot30'), input);
  assert.match(rot.ok ? '' : rot.reason, /rot30 is not a quarter turn/);
  assert.match((moveOnGrid(values, { height: 4, width: 4 }, parseTransform('scale1.25'), input) as { reason: string }).reason, /not a position map/);
  assert.equal(moveOnGrid([1, 2, 3], { height: 4, width: 4 }, parseTransform('rot90')).ok, false);
  assert.match((moveOnGrid(values, { height: 4, width: 4 }, parseTransform('shift-x0.5')) as { reason: string }).reason, /not a whole-pixel shift/);
  assert.equal(absCosine([1, 0], [-2, 0]), 1);
  assert.equal(absCosine([0, 0], [1, 0]), undefined);
});

test('diverging scale: symmetric, neutral at zero, clamped', () => {
  assert.deepEqual(divergingRgb(0, 1), [247, 247, 247]);
  const [r1, , b1] = divergingRgb(0.5, 1);
  const [r2, , b2] = divergingRgb(-0.5, 1);
  assert.ok(r1 > b1 && b2 > r2);
  assert.deepEqual(divergingRgb(5, 1), divergingRgb(1, 1));
  assert.deepEqual(divergingRgb(Number.NaN, 1), [247, 247, 247]);
  assert.equal(symmetricLimit([0.2, -0.7, undefined, Number.NaN]), 0.7);
});

test('sweepFamilies: families with at least 3 members, in parameter order; the cell decides exactness', () => {
  const ids = ['rot270', 'rot45', 'flip-h', 'rot90', 'shift-x4', 'shift-x2', 'rot135'];
  const transforms = ids.map(parseTransform);
  const families = sweepFamilies(transforms);
  assert.deepEqual(families.map((f) => f.family), ['rot']);
  assert.deepEqual(families[0].members.map((t) => t.parameter), [45, 90, 135, 270]);
  const cell = (e: number, exact: boolean): ScoreCell => ({ equivariance: e, invariance: e / 2, null: { equivariance: 0.3, invariance: 0.1, permutations: 3 }, rankClean: 1, rankTransformed: 1, r: 1, observations: 10, variables: 4, exact, underdetermined: false, warnings: [] });
  const points = sweepPoints(families[0], { rot45: cell(0.5, false), rot90: cell(0.9, false), rot270: cell(0.8, true) });
  assert.deepEqual(points.map((p) => [p.parameter, p.exact, p.equivariance]), [[45, false, 0.5], [90, false, 0.9], [135, false, null], [270, true, 0.8]]);
});

function cellOf(e: number, nullE: number, interval?: [number, number]): ScoreCell {
  const iv = (low: number, high: number): ScoreInterval => ({ low, high, level: 0.95, method: 'jackknife-delete-d-images', resamples: 20 });
  return {
    equivariance: e, invariance: 0.1, null: { equivariance: nullE, invariance: 0.1, permutations: 3 },
    ...(interval ? { intervals: { equivariance: iv(...interval), invariance: iv(0, 0.2) } } : {}),
    rankClean: 4, rankTransformed: 4, r: 4, observations: 100, variables: 16, exact: true, underdetermined: false, warnings: [],
  };
}

test('compareScores: overlapping intervals, the null margin and two chance levels are never a difference', () => {
  assert.deepEqual(compareScores(cellOf(0.5, 0.2), cellOf(0.8, 0.2), 'equivariance'), { delta: 0.30000000000000004, verdict: 'different' });
  assert.equal(compareScores(cellOf(0.5, 0.2, [0.4, 0.7]), cellOf(0.8, 0.2, [0.65, 0.9]), 'equivariance').verdict, 'overlapping-intervals');
  assert.equal(compareScores(cellOf(0.5, 0.2, [0.45, 0.55]), cellOf(0.8, 0.2, [0.7, 0.9]), 'equivariance').verdict, 'different');
  assert.equal(compareScores(cellOf(0.5, 0.2), cellOf(0.5 + NULL_MARGIN * 0.9, 0.2), 'equivariance').verdict, 'within-margin');
  assert.equal(compareScores(cellOf(0.2, 0.3), cellOf(0.35, 0.4), 'equivariance').verdict, 'both-at-null');
  assert.equal(compareScores(undefined, cellOf(0.3, 0.1), 'equivariance').verdict, 'missing');
  assert.equal(compareScores({ ...cellOf(0.3, 0.1), equivariance: Number.NaN }, cellOf(0.3, 0.1), 'equivariance').verdict, 'missing');
});

test('buildDifference matches layers by tensor name, lists the unmatched ones, keeps shared transforms', () => {
  const layer = (name: string, e: number) => ({ name, node: name, op: 'Conv', shape: [1, 4, 4, 4], layout: 'NCHW' as const, positions: 16, status: 'scored' as const, scores: { rot90: cellOf(e, 0.1), flip: cellOf(e, 0.1) } });
  const base = { transforms: [parseTransform('rot90'), parseTransform('flip-h')], inputFloor: {}, warnings: [] } as unknown as AnalysisResult;
  const a = { ...base, layers: [layer('x', 0.9), layer('y', 0.9), layer('onlyA', 0.5)] } as AnalysisResult;
  const b = { ...base, transforms: [parseTransform('rot90')], layers: [layer('onlyB', 0.5), layer('y', 0.4), layer('x', 0.92)] } as AnalysisResult;
  const d = buildDifference(a, b);
  assert.deepEqual(d.columns, ['rot90']);
  assert.deepEqual(d.rows.map((r) => [r.layerName, r.indexA, r.indexB, r.equivariance[0].verdict]), [['y', 1, 1, 'different'], ['x', 0, 2, 'within-margin']]);
  assert.deepEqual(d.onlyInA, ['onlyA']);
  assert.deepEqual(d.onlyInB, ['onlyB']);
});

test('settledStep: the first step from which every later score stays in the final interval (else ± the margin)', () => {
  const pt = (checkpoint: number, value: number | null, low?: number, high?: number) => ({ checkpoint, step: checkpoint * 10, value, null: 0.3, ...(low !== undefined ? { low, high } : {}) });
  assert.deepEqual(settledStep([pt(0, 0.2), pt(1, 0.6), pt(2, 0.8, 0.7, 0.9), pt(3, 0.82, 0.75, 0.88)]), { step: 20, checkpoint: 2, band: 'interval' });
  // Back out of the band after entering it: settles only from the last entry.
  assert.deepEqual(settledStep([pt(0, 0.8), pt(1, 0.5), pt(2, 0.79), pt(3, 0.8)]), { step: 20, checkpoint: 2, band: 'margin' });
  // A gap does not break it; no score at all gives nothing.
  assert.equal(settledStep([pt(0, 0.1), pt(1, null), pt(2, 0.12)])?.step, 0);
  assert.equal(settledStep([pt(0, null)]), undefined);
  assert.equal(sparkline([0, 0.5, 0.99, 1, null]), '▁▅██ ');
});

test('series model: a checkpoint as a result, trajectories minus the null, changes judged by the shared rule', () => {
  const layer = (e: number, iv?: [number, number]) => ({ name: 'L', node: 'L', op: 'Conv', shape: [1, 4, 4, 4], layout: 'NCHW' as const, positions: 16, status: 'scored' as const, scores: { rot90: cellOf(e, 0.2, iv) } });
  const model = (i: number) => ({ path: `/r/e${i}.onnx`, fileName: `e${i}.onnx`, sha256: '', sizeBytes: 1, opsets: {}, nodeCount: 1, inputName: 'x', declaredInputShape: [1, 3, 8, 8], probeInputShape: [8, 3, 8, 8], inputLayout: 'NCHW' as const });
  const series = {
    schemaVersion: 1, kind: 'series', tool: { name: 'seis-lens', version: '0' }, createdAt: '', settings: {} as never, transforms: [parseTransform('rot90')],
    inputFloor: {}, order: 'step', warnings: [],
    checkpoints: [
      { label: 'e0', step: null, model: model(0), layers: [layer(0.3, [0.25, 0.35])], warnings: [] },
      { label: 'e5', step: 5, model: model(5), layers: [], missingLayers: ['L'], message: 'e5 lacks L', warnings: [] },
      { label: 'e9', step: 9, model: model(9), layers: [layer(0.5, [0.45, 0.55])], warnings: [] },
    ],
  } as SeriesResult;
  const r = checkpointResult(series, 1);
  assert.equal(r.model.fileName, 'e5.onnx');
  assert.deepEqual(r.warnings, ['e5 lacks L']);
  assert.deepEqual(seriesLayerNames(series), ['L']);
  const t = trajectory(series, 'L', 'rot90', 'equivariance', true);
  assert.deepEqual(t.map((p) => [p.step, p.value === null ? null : Number(p.value.toFixed(6)), p.null]), [[0, 0.1, 0], [5, null, null], [9, 0.3, 0]]);
  assert.deepEqual([t[2].low, t[2].high].map((x) => Number(x!.toFixed(6))), [0.25, 0.35]);
  assert.equal(changeFromPrevious(series, 2, 'L', 'rot90', 'equivariance')?.verdict, 'missing');
  assert.equal(changeFromPrevious(series, 0, 'L', 'rot90', 'equivariance'), undefined);
  assert.equal(trajectorySummary(series, 'L', 'rot90'), 'S_E across 3 checkpoints (rot90): ▃ ▅  0.30 → 0.50 · settled at step 9 (within its final interval)');
  assert.equal(trajectorySummary(series, 'nope', 'rot90'), undefined);
});
