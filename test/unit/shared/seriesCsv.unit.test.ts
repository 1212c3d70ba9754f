/**
 * The series CSV and HTML on a hand-built series document: one row per checkpoint × layer × transform,
 * gaps and failures as rows of their own, intervals in their columns, and the HTML calls a change only
 * where the first and last intervals are disjoint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedBeyondIntervals, seriesReportHtml } from '../../../src/report/seriesHtml';
import type { LayerResult, ScoreCell, SeriesCheckpoint, SeriesResult } from '../../../src/shared/results';
import { seriesToCsv } from '../../../src/shared/seriesCsv';

const interval = (low: number, high: number) => ({ low, high, level: 0.95, method: 'jackknife-delete-d-images', resamples: 10 });
const cell = (e: number, i: number, width?: number): ScoreCell => ({
  equivariance: e,
  invariance: i,
  null: { equivariance: 0.2, invariance: 0.05, permutations: 3 },
  rankClean: 3,
  rankTransformed: 3,
  r: 3,
  observations: 64,
  variables: 49,
  exact: true,
  underdetermined: false,
  warnings: [],
  ...(width !== undefined ? { intervals: { equivariance: interval(e - width, e + width), invariance: interval(i - width, i + width) } } : {}),
});
const layer = (name: string, c: ScoreCell): LayerResult => ({ name, node: name, op: 'Conv', shape: [64, 8, 7, 7], layout: 'NCHW', positions: 49, status: 'scored', scores: { rot90: c } });
const model = (file: string) => ({ path: `/runs/${file}`, fileName: file, sha256: 'ab'.repeat(32), sizeBytes: 1, opsets: {}, nodeCount: 1, inputName: 'x', declaredInputShape: [], probeInputShape: [64, 1, 28, 28], inputLayout: 'NCHW' as const });
const checkpoint = (label: string, step: number, layers: LayerResult[], extra: Partial<SeriesCheckpoint> = {}): SeriesCheckpoint => ({ label, step, model: model(`${label}.onnx`), layers, warnings: [], ...extra });

function series(checkpoints: SeriesCheckpoint[]): SeriesResult {
  return {
    schemaVersion: 1,
    kind: 'series',
    tool: { name: 'seis-lens', version: '0' },
    createdAt: '2026-01-01T00:00:00Z',
    settings: { keep: 0.99, nullPermutations: 3, seed: 1, orientation: 'spatial', probes: { source: 'npy', count: 64 }, transforms: ['rot90'], layerSelection: 'all', batchSize: 8, maxPositions: 1024, executionProvider: 'cpu', intervals: { resamples: 10, level: 0.95 } },
    transforms: [{ id: 'rot90', label: 'Rotate 90°', kind: 'rotation', exact: true, params: { degrees: 90 } }],
    inputFloor: {},
    order: 'step',
    checkpoints,
    warnings: [],
  };
}

describe('seriesToCsv', () => {
  it('rows per checkpoint × layer × transform, with gaps, failures and interval columns', () => {
    const doc = series([
      checkpoint('epoch_0', 0, [layer('a', cell(0.5, 0.1, 0.02)), layer('=b', cell(0.4, 0.1, 0.02))]),
      checkpoint('epoch_1', 1, [layer('a', cell(0.7, 0.2, 0.02))], { missingLayers: ['=b'], message: 'no result for 1 layer' }),
      checkpoint('epoch_2', 2, [], { failed: true, message: 'could not be analysed: broken' }),
    ]);
    const rows = seriesToCsv(doc).trim().split('\r\n');
    assert.equal(rows.length, 1 + 2 + 1 + 1 + 1);
    assert.equal(rows[1], `epoch_0,0,epoch_0.onnx,${'ab'.repeat(32)},a,Conv,scored,rot90,true,0.5,0.1,0.2,0.05,0.48,0.52,0.08,0.12000000000000001,false,`);
    // A layer name that a spreadsheet would run as a formula is defused by the shared cell rule.
    assert.match(rows[2], /^epoch_0,0,epoch_0\.onnx,[0-9a-f]+,'=b,Conv,scored,/);
    assert.match(rows[4], /^epoch_1,1,epoch_1\.onnx,[0-9a-f]+,'=b,,missing,,,,,,,,,,,,no result for 1 layer$/);
    assert.match(rows[5], /^epoch_2,2,epoch_2\.onnx,[0-9a-f]+,,,failed,.*could not be analysed: broken$/);
  });
});

describe('series HTML: changes only beyond the intervals', () => {
  it('disjoint first/last intervals are a change; overlapping ones are not; no intervals are not judged', () => {
    assert.equal(changedBeyondIntervals([cell(0.5, 0.1, 0.02), cell(0.7, 0.1, 0.02)], 'equivariance'), 'up');
    assert.equal(changedBeyondIntervals([cell(0.5, 0.1, 0.02), cell(0.3, 0.1, 0.02)], 'equivariance'), 'down');
    assert.equal(changedBeyondIntervals([cell(0.5, 0.1, 0.2), cell(0.7, 0.1, 0.2)], 'equivariance'), 'overlap');
    assert.equal(changedBeyondIntervals([cell(0.5, 0.1), cell(0.9, 0.1)], 'equivariance'), 'unknown');
    assert.equal(changedBeyondIntervals([cell(0.5, 0.1, 0.02), undefined, cell(0.7, 0.1, 0.02)], 'invariance'), 'overlap');
  });

  it('escapes model text, marks the baseline and gaps, allows no script', () => {
    const html = seriesReportHtml(series([checkpoint('epoch_0', 0, [layer('<img src=x>', cell(0.5, 0.1, 0.02))]), checkpoint('epoch_1', 1, [])]));
    assert.ok(!html.includes('<img src=x>'));
    assert.ok(html.includes('&lt;img src=x&gt;'));
    assert.ok(html.includes('baseline'));
    assert.ok(html.includes('class="gap"'));
    assert.ok(!/<script/i.test(html));
  });
});
