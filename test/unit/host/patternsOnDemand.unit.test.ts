/**
 * Patterns on demand (src/host/patternsOnDemand.ts): the small run's request repeats the shown run's
 * settings, its layer selection picks exactly the one tensor, and the merge refuses scores that moved.
 * The real run through the analysis child is in test/vscode/patterns.vscode.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseLayerSelection } from '../../../src/analysis/layers';
import { toAnalysisRequest } from '../../../src/host/engine';
import { exactLayerSelection, mergePatterns, patternsRefusal, patternsRequest, SAME_SCORE_TOLERANCE } from '../../../src/host/patternsOnDemand';
import type { AnalysisResult, PatternPair } from '../../../src/shared/results';

const shown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'webview', 'fixtures', 'cnn-rotaug.result.json'), 'utf8')) as AnalysisResult;
const layerName = '/encoder/conv3/Conv_output_0';
const pair: PatternPair = { rho: 0.9, cosine: 0.5, height: 1, width: 2, clean: [1, 0], transformed: [0, 1], tied: false };

/** The small run's answer: the same layer and cell, moved by `shift` and carrying one pattern pair. */
function computed(shift: number): AnalysisResult {
  const layer = shown.layers.find((l) => l.name === layerName)!;
  const cell = layer.scores.rot90!;
  return { ...shown, layers: [{ ...layer, scores: { rot90: { ...cell, equivariance: cell.equivariance + shift, patterns: [pair] } } }] };
}

describe('patterns on demand', () => {
  it('repeats the shown run\'s settings for one layer and transform', () => {
    const request = toAnalysisRequest(patternsRequest(shown, layerName, 'rot90', 3));
    const s = shown.settings;
    assert.deepEqual(
      { seed: request.seed, keep: request.keep, orientation: request.orientation, nulls: request.nullPermutations, maxPositions: request.maxPositions, batch: request.batchSize, inputs: request.inputs, transforms: request.transforms, patterns: request.patterns },
      { seed: s.seed, keep: s.keep, orientation: s.orientation, nulls: s.nullPermutations, maxPositions: s.maxPositions, batch: s.batchSize, inputs: s.probes.path, transforms: ['rot90'], patterns: 3 },
    );
  });

  it('selects exactly the one tensor, whatever characters its name holds', () => {
    for (const name of [layerName, 'a,b', 'x.y+z', '/odd/name/', 'default']) {
      const selection = parseLayerSelection(exactLayerSelection(name));
      assert.equal(selection.kind, 'pattern');
      assert.ok(selection.pattern!.test(name), name);
      assert.ok(!selection.pattern!.test(`${name}_1`) && !selection.pattern!.test(`p${name}`), `${name}: nothing longer`);
    }
  });

  it('merges the patterns into the one cell when the scores agree, and refuses when they moved', () => {
    const merged = mergePatterns(shown, computed(SAME_SCORE_TOLERANCE / 2), layerName, 'rot90');
    assert.ok('result' in merged);
    const layer = merged.result.layers.find((l) => l.name === layerName)!;
    assert.deepEqual(layer.scores.rot90!.patterns, [pair]);
    assert.equal(layer.scores.rot90!.equivariance, shown.layers.find((l) => l.name === layerName)!.scores.rot90!.equivariance, 'the shown score is kept');
    assert.equal(layer.scores.rot180, shown.layers.find((l) => l.name === layerName)!.scores.rot180);
    assert.equal(merged.result.createdAt, shown.createdAt);
    assert.equal(shown.layers.find((l) => l.name === layerName)!.scores.rot90!.patterns, undefined, 'the shown result is not modified');

    const moved = mergePatterns(shown, computed(1e-6), layerName, 'rot90');
    assert.ok('problem' in moved);
    assert.match(moved.problem, /scores differently now .*model or its probes changed.*Analyze SEIS again/);
  });

  it('says why a cell cannot get patterns', () => {
    assert.match(patternsRefusal(shown, 'nope', 'rot90')!, /no layer 'nope'/);
    assert.match(patternsRefusal(shown, layerName, 'rot45')!, /no score under rot45/);
    assert.match(patternsRefusal({ ...shown, incomplete: { reason: 'running', layersDone: 1, layersPlanned: 3 } }, layerName, 'rot90')!, /incomplete/);
    assert.equal(patternsRefusal(shown, layerName, 'rot90'), undefined);
  });
});
