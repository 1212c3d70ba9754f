// The time left: from the measured batches alone ("at least") until a layer is final and jobs timed
// with no forward pass beside them fix the cost model (WorkClock.settled), then the whole estimate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkClock } from '../../../src/analysis/pipeline/workClock';
import type { PlannedLayer } from '../../../src/analysis/pipeline/stageValues';

// The clock reads a layer's size only (channels, values per probe).
const layer = { channels: 64, perProbe: 64 * 1024 } as PlannedLayer;
const larger = { channels: 64, perProbe: 64 * 4096 } as PlannedLayer;

describe('time left', () => {
  it('is the forward passes still to run, marked as a lower bound, until a layer is final and jobs timed with no pass beside them fix the cost model', () => {
    const clock = new WorkClock({ layers: [layer, larger], count: 32, transforms: 5, batches: 192 });
    assert.equal(clock.progress('reading').etaSeconds, undefined, 'nothing measured yet');
    clock.seedBatchMs(3500);
    // What the early long-run warning quotes: all passes, and with half the probes or two transforms.
    assert.deepEqual([clock.passesSeconds(), clock.passesSeconds({ count: 16 }), clock.passesSeconds({ transforms: 2 })], [672, 336, 336]);
    assert.equal(clock.progress('clean').etaSeconds, undefined, 'a first run (the shape run\'s, or the first batch) is no lower bound');
    clock.passStarted();
    clock.batchDone(4000);
    assert.equal(clock.progress('clean').etaSeconds, undefined);
    for (let i = 1; i < 32; i++) clock.batchDone(4000);
    clock.passEnded();
    assert.deepEqual([clock.progress('rot90').etaSeconds, clock.progress('rot90').etaIsLowerBound], [640, true]);
    clock.passStarted();
    // A job timed beside a forward pass: a layer is final, but no whole estimate rests on it.
    clock.jobDone(layer, 2000);
    clock.layerFinal();
    assert.deepEqual([clock.progress('scored').etaSeconds, clock.progress('scored').etaIsLowerBound], [640, true]);
    for (let i = 0; i < 160; i++) clock.batchDone(4000);
    clock.passEnded();
    const passesOver = performance.now();
    while (performance.now() - passesOver < 10); // the next jobs start after the last pass ended
    clock.jobDone(layer, 2);
    assert.equal(clock.progress('scored').etaSeconds, undefined, 'jobs of one size fix no slope: no whole estimate from them');
    clock.jobDone(larger, 8);
    const whole = clock.progress('scored');
    assert.equal(whole.etaIsLowerBound, undefined);
    assert.ok(whole.etaSeconds !== undefined && whole.etaSeconds >= 0, `whole estimate ${whole.etaSeconds}`);
  });

  it('says "at least" only of what the remaining passes cannot beat: ISNet\'s batches as measured', () => {
    // Batch milliseconds of ISNet at 1024² (4 probes, 6 passes, batch 1) in the order they ran.
    const measured = [3200, 1781, 2388, 1524, 1856, 3081, 1498, 3294, 1569, 2404, 1547, 3074, 2147, 1458, 2465, 2074, 2264, 1478, 2361, 1643, 2400, 2109, 1662, 1558];
    const clock = new WorkClock({ layers: [layer], count: 4, transforms: 5, batches: measured.length });
    measured.forEach((ms, i) => {
      clock.batchDone(ms);
      const left = clock.progress('pass');
      const actual = measured.slice(i + 1).reduce((a, b) => a + b, 0) / 1000;
      if (left.etaSeconds === undefined) return;
      assert.equal(left.etaIsLowerBound, true);
      assert.ok(left.etaSeconds <= Math.round(actual), `after batch ${i + 1}: at least ${left.etaSeconds} s, but ${actual.toFixed(1)} s were left`);
    });
    // The mean of the first batches (what it used to quote) overstates what was left.
    assert.ok(((measured.length - 1) * measured[0]) / 1000 > measured.slice(1).reduce((a, b) => a + b, 0) / 1000);
  });

  it('estimates the whole run from one size of job when every layer left is of that size', () => {
    const clock = new WorkClock({ layers: [layer, { ...layer }], count: 32, transforms: 5, batches: 24 });
    clock.passStarted();
    for (let i = 0; i < 24; i++) clock.batchDone(100);
    clock.passEnded();
    const passesOver = performance.now();
    while (performance.now() - passesOver < 10);
    clock.jobDone(layer, 5);
    clock.layerFinal();
    const left = clock.progress('scored');
    assert.equal(left.etaIsLowerBound, undefined);
    assert.ok(left.etaSeconds !== undefined, 'nothing to extrapolate: an estimate');
  });
});
