import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisError } from '../../../src/analysis/errors';
import { expandSweep, expandSweeps, MAX_SWEEP_MEMBERS, mergeTransformIds, runTransformIds } from '../../../src/analysis/sweeps';
import { DEFAULT_TRANSFORMS } from '../../../src/shared/defaults';
import { parseTransform, parseTransforms } from '../../../src/analysis/transforms';

const badOption = (pattern: RegExp) => (e: unknown) => e instanceof AnalysisError && e.code === 'bad-option' && pattern.test(e.message);

describe('transform sweeps', () => {
  it('rot:15 runs 15°…345° and marks exactly the quarter turns exact', () => {
    const ids = expandSweep('rot:15');
    assert.equal(ids.length, 23);
    assert.equal(ids[0], 'rot15');
    assert.equal(ids[22], 'rot345');
    const transforms = parseTransforms(ids);
    assert.deepEqual(transforms.filter((t) => t.exact).map((t) => t.id), ['rot90', 'rot180', 'rot270']);
    assert.ok(transforms.every((t, i) => t.family === 'rot' && t.parameter === 15 * (i + 1)));
  });

  it('non-integer steps give clean ids that parse back to their parameter', () => {
    const ids = expandSweep('rot:22.5');
    assert.equal(ids.length, 15);
    assert.ok(ids.includes('rot67.5') && ids.includes('rot337.5'));
    for (const id of ids) assert.equal(parseTransform(id).parameter, Number(id.slice(3)));
    assert.deepEqual(expandSweep('rot:120'), ['rot120', 'rot240']);
  });

  it('shift-x:MAX[:STEP] runs −MAX…MAX without 0; whole pixels are exact, half pixels interpolated', () => {
    assert.deepEqual(expandSweep('shift-x:3'), ['shift-x-3', 'shift-x-2', 'shift-x-1', 'shift-x1', 'shift-x2', 'shift-x3']);
    const half = parseTransforms(expandSweep('shift-y:1:0.5'));
    assert.deepEqual(half.map((t) => t.id), ['shift-y-1', 'shift-y-0.5', 'shift-y0.5', 'shift-y1']);
    assert.deepEqual(half.map((t) => t.exact), [true, false, false, true]);
    assert.ok(half.every((t) => t.family === 'shift-y' && t.parameter === t.params.dy));
    assert.equal(parseTransform('shift-x-2').family, 'shift-x');
    assert.equal(parseTransform('shift-x-2').parameter, -2);
  });

  it('scale:MIN:MAX:STEP includes both ends; factor 1 is the exact identity', () => {
    const scales = parseTransforms(expandSweep('scale:0.5:2:0.25'));
    assert.deepEqual(scales.map((t) => t.parameter), [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    assert.deepEqual(scales.filter((t) => t.exact).map((t) => t.id), ['scale1']);
    assert.ok(scales.every((t) => t.family === 'scale'));
  });

  it('two-parameter transforms belong to no family', () => {
    assert.equal(parseTransform('shift-x2-y3').family, undefined);
    assert.equal(parseTransform('flip-h').family, undefined);
    assert.equal(parseTransform('affine-s7').parameter, undefined);
  });

  it('several sweeps and explicit transforms merge without repeats', () => {
    assert.deepEqual(expandSweeps('rot:90, rot:180'), ['rot90', 'rot180', 'rot270']);
    assert.deepEqual(mergeTransformIds(['rot90', 'flip-h'], expandSweep('rot:90')), ['rot90', 'flip-h', 'rot180', 'rot270']);
  });

  it('refuses malformed or runaway sweeps, naming the grammar or the fix', () => {
    assert.throws(() => expandSweep('spin:15'), badOption(/unknown sweep 'spin:15'; sweeps are rot:STEP/));
    assert.throws(() => expandSweep('rot:0'), badOption(/the step in degrees must be a positive number, got '0'/));
    assert.throws(() => expandSweep('rot:400'), badOption(/below 360/));
    assert.throws(() => expandSweep('rot'), badOption(/rot takes one step/));
    assert.throws(() => expandSweep('rot:0.5'), badOption(new RegExp(`more than ${MAX_SWEEP_MEMBERS}; use a coarser step`)));
    assert.throws(() => expandSweep('shift-x:2:3'), badOption(/step 3 is larger than the largest shift 2/));
    assert.throws(() => expandSweep('scale:2:1:0.5'), badOption(/MAX 1 is below MIN 2/));
    assert.throws(() => expandSweep('scale:0.5:2'), badOption(/MIN:MAX:STEP/));
    assert.throws(() => parseTransforms(expandSweep('scale:0.05:0.5:0.05')), badOption(/scale factor must be between 0.1 and 10/));
  });
});

describe('the transforms a run scores', () => {
  it('is the default set without transforms or sweeps, only the sweep with a sweep alone, both merged otherwise', () => {
    assert.deepEqual(runTransformIds(undefined, undefined), [...DEFAULT_TRANSFORMS]);
    assert.deepEqual(runTransformIds(undefined, ['rot:90']), ['rot90', 'rot180', 'rot270']);
    assert.deepEqual(runTransformIds(['flip-h', 'rot180'], ['rot:90']), ['flip-h', 'rot180', 'rot90', 'rot270']);
    assert.deepEqual(runTransformIds(['flip-h'], []), ['flip-h']);
  });
});
