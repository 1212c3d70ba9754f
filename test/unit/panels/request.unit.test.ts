/** The extension's sweep and pattern settings as the engine receives them (src/host/engine.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toAnalysisRequest, type EngineRequest } from '../../../src/host/engine';
import { DEFAULT_TRANSFORMS } from '../../../src/shared/defaults';

const base: EngineRequest = {
  modelPath: '/m.onnx', probes: { source: 'builtin', count: 8 }, transforms: [], layers: 'default', batchSize: 8,
  maxPositions: 256, nullPermutations: 2, executionProvider: 'cpu',
};

test('a sweep is scored after the default set (an engine run with only sweeps would score only them)', () => {
  const r = toAnalysisRequest({ ...base, sweeps: ['rot:15'], patterns: 3, intervals: 20 });
  assert.deepEqual(r.transforms, DEFAULT_TRANSFORMS);
  assert.deepEqual(r.intervals, { resamples: 20 });
  assert.deepEqual(r.sweeps, ['rot:15']);
  assert.equal(r.patterns, 3);
});

test('explicit transforms stay as given; no sweep and 0 patterns leave the engine defaults alone', () => {
  const r = toAnalysisRequest({ ...base, transforms: ['rot90'], sweeps: [], patterns: 0, intervals: 0 });
  assert.equal('intervals' in r, false);
  assert.deepEqual(r.transforms, ['rot90']);
  assert.equal('sweeps' in r, false);
  assert.equal('patterns' in r, false);
  assert.equal('transforms' in toAnalysisRequest(base), false);
});

test('the extension asks as vscode, so engine messages name its settings', () => {
  assert.equal(toAnalysisRequest(base).origin, 'vscode');
});
