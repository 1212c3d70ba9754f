/**
 * Checkpoint ordering from file names: steps and epochs with every supported prefix, bare numbers,
 * natural sort as the fallback, and the explicit orders.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { naturalCompare, orderCheckpoints, stepFromName, uniqueLabels } from '../../../src/analysis/checkpoints';

const labels = (paths: string[], order?: Parameters<typeof orderCheckpoints>[1]) => orderCheckpoints(paths.map((path) => ({ path })), order).checkpoints.map((c) => c.label);

describe('stepFromName', () => {
  const cases: [string, number | null][] = [
    ['epoch_2.onnx', 2],
    ['epoch10.onnx', 10],
    ['model-epoch-7.onnx', 7],
    ['ckpt-step1200.onnx', 1200],
    ['ckpt_step_300.onnx', 300],
    ['checkpoint-42.onnx', 42],
    ['global_step=900.onnx', 900],
    ['step000150.onnx', 150],
    ['iter500.onnx', 500],
    ['iteration_12.onnx', 12],
    ['it_3.onnx', 3],
    ['ep4.onnx', 4],
    ['e3.onnx', 3],
    ['resnet_e5.onnx', 5],
    ['1200.onnx', 1200],
    ['/runs/a/0007.ONNX', 7],
    ['epoch3_step1200.onnx', 1200],
    ['resnet18.onnx', null],
    ['base10.onnx', null],
    ['final.onnx', null],
    ['v2-model.onnx', null],
  ];
  for (const [name, step] of cases) it(`${name} → ${step}`, () => assert.equal(stepFromName(name), step));
});

describe('naturalCompare', () => {
  it('compares digit runs as numbers and the rest case-insensitively', () => {
    const names = ['b10', 'a2', 'B3', 'a10', 'a1', 'a01'];
    assert.deepEqual([...names].sort(naturalCompare), ['a1', 'a01', 'a2', 'a10', 'B3', 'b10']);
  });
  it('is a total order (antisymmetric on distinct strings)', () => {
    for (const [x, y] of [['a1', 'a01'], ['x', 'X'], ['a', 'a0']]) {
      assert.ok(naturalCompare(x, y) !== 0);
      assert.equal(Math.sign(naturalCompare(x, y)), -Math.sign(naturalCompare(y, x)));
    }
  });
});

describe('orderCheckpoints', () => {
  it('orders by epoch, not by text (epoch_2 before epoch_10)', () => {
    const result = orderCheckpoints(['/r/epoch_10.onnx', '/r/epoch_2.onnx', '/r/epoch_1.onnx'].map((path) => ({ path })));
    assert.deepEqual(result.checkpoints.map((c) => c.label), ['epoch_1', 'epoch_2', 'epoch_10']);
    assert.deepEqual(result.checkpoints.map((c) => c.step), [1, 2, 10]);
    assert.equal(result.order, 'step');
    assert.deepEqual(result.notes, []);
  });

  it('orders by step across different spellings', () => {
    assert.deepEqual(labels(['/r/ckpt-step1200.onnx', '/r/step300.onnx', '/r/iter50.onnx']), ['iter50', 'step300', 'ckpt-step1200']);
  });

  it('falls back to natural sort and says why when a name has no step', () => {
    const result = orderCheckpoints(['/r/final.onnx', '/r/epoch_10.onnx', '/r/epoch_9.onnx'].map((path) => ({ path })));
    assert.deepEqual(result.checkpoints.map((c) => c.label), ['epoch_9', 'epoch_10', 'final']);
    assert.equal(result.order, 'name');
    assert.match(result.notes[0], /no step or epoch in the name of final/);
    assert.deepEqual(result.checkpoints.map((c) => c.step), [9, 10, null]);
  });

  it('falls back when two checkpoints share a step', () => {
    const result = orderCheckpoints(['/r/b_epoch_1.onnx', '/r/a_epoch_1.onnx'].map((path) => ({ path })));
    assert.equal(result.order, 'name');
    assert.deepEqual(result.checkpoints.map((c) => c.label), ['a_epoch_1', 'b_epoch_1']);
    assert.match(result.notes[0], /share step 1/);
  });

  it('--order name, mtime and given', () => {
    const files = [
      { path: '/r/epoch_2.onnx', mtimeMs: 30 },
      { path: '/r/epoch_10.onnx', mtimeMs: 10 },
      { path: '/r/epoch_1.onnx', mtimeMs: 20 },
    ];
    assert.deepEqual(orderCheckpoints(files, 'name').checkpoints.map((c) => c.label), ['epoch_1', 'epoch_2', 'epoch_10']);
    assert.deepEqual(orderCheckpoints(files, 'mtime').checkpoints.map((c) => c.label), ['epoch_10', 'epoch_1', 'epoch_2']);
    assert.deepEqual(orderCheckpoints(files, 'given').checkpoints.map((c) => c.label), ['epoch_2', 'epoch_10', 'epoch_1']);
    assert.equal(orderCheckpoints(files, 'given').checkpoints[0].step, 2);
  });

  it('labels repeated file names with their run folder', () => {
    assert.deepEqual(uniqueLabels(['/x/plain/epoch_1.onnx', '/x/rotaug/epoch_1.onnx', '/x/plain/epoch_2.onnx']), ['plain/epoch_1', 'rotaug/epoch_1', 'epoch_2']);
    const result = orderCheckpoints(['/x/rotaug/epoch_1.onnx', '/x/plain/epoch_1.onnx'].map((path) => ({ path })));
    assert.deepEqual(result.checkpoints.map((c) => c.label), ['plain/epoch_1', 'rotaug/epoch_1']);
  });
});
