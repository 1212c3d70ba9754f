/**
 * Moving a pattern by the transform on the layer's own grid: the same index arithmetic that moves
 * probe images, shifts scaled to the layer's cells, and, on the example CNNs, the number that tells a
 * layer carrying rot90 as a rotation of its maps from one that does not.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runAnalysis } from '../../../src/analysis/engine';
import { applyTransform, parseTransform } from '../../../src/analysis/transforms';
import { createRandom } from '../../../src/seis';
import { movedCosine, movePattern } from '../../../src/shared/positionMap';

const ROOT = join(__dirname, '..', '..', '..');
const map = (h: number, w: number, seed = 3) => {
  const next = createRandom(seed);
  return Float64Array.from({ length: h * w }, () => next() - 0.5);
};

describe('moving a pattern on its grid', () => {
  it('moves like the probe images for every exact transform when the grid is the input', () => {
    const [h, w] = [6, 6];
    const m = map(h, w);
    for (const id of ['identity', 'rot90', 'rot180', 'rot270', 'flip-h', 'flip-v', 'shift-x3', 'shift-y-2', 'shift-x1-y4']) {
      const t = parseTransform(id);
      const moved = movePattern(m, { height: h, width: w }, t, { height: h, width: w });
      assert.ok(moved, id);
      assert.deepEqual(Array.from(moved, Math.fround), Array.from(applyTransform(t, Float32Array.from(m), [1, 1, h, w])), id);
    }
  });

  it('scales shifts to the layer\'s cells and refuses what does not move whole positions', () => {
    const grid = { height: 7, width: 7 };
    const input = { height: 28, width: 28 };
    const m = map(7, 7, 5);
    assert.deepEqual(movePattern(m, grid, parseTransform('shift-x4'), input), movePattern(m, grid, parseTransform('shift-x1'), grid));
    assert.equal(movePattern(m, grid, parseTransform('shift-x2'), input), undefined, 'half a cell is not a position map');
    assert.equal(movePattern(m, grid, parseTransform('rot30'), input), undefined);
    assert.equal(movePattern(m, grid, parseTransform('shift-x0.5'), input), undefined);
    const wide = { height: 4, width: 6 };
    assert.equal(movePattern(map(4, 6), wide, parseTransform('rot90'), wide), undefined, 'a quarter turn of a 4×6 grid');
    assert.ok(movePattern(map(4, 6), wide, parseTransform('rot180'), wide));
  });

  it('tells the rotation-trained CNN (its maps turn with the input) from the plain one, on their last conv layer', async () => {
    const meanMoved: Record<string, number> = {};
    for (const model of ['cnn-rotaug', 'cnn-plain']) {
      const result = await runAnalysis({
        modelPath: join(ROOT, 'examples', 'models', `${model}.onnx`),
        inputs: join(ROOT, 'examples', 'probes', 'fashion-probe.npy'),
        transforms: ['rot90'],
        layers: '/encoder/conv4/Conv_output_0',
        patterns: 4,
      });
      const [, , height, width] = result.model.probeInputShape;
      const t = result.transforms[0];
      const patterns = result.layers[0].scores.rot90.patterns ?? [];
      assert.equal(patterns.length, 4);
      const values = patterns.map((p) => movedCosine(p, t, { height, width }) as number);
      meanMoved[model] = values.reduce((a, b) => a + b, 0) / values.length;
    }
    assert.ok(meanMoved['cnn-rotaug'] > 0.9, `cnn-rotaug: mean cos(v, rot90·w) ${meanMoved['cnn-rotaug']}`);
    assert.ok(Math.abs(meanMoved['cnn-plain']) < 0.3, `cnn-plain: mean cos(v, rot90·w) ${meanMoved['cnn-plain']}`);
  });
});
