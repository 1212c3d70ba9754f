// The time left: from the measured batches alone ("at least") until a layer is final, then the
// whole estimate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkClock } from '../../../src/analysis/pipeline/workClock';
import type { PlannedLayer } from '../../../src/analysis/pipeline/stageValues';

// The clock reads a layer's size only (channels, values per probe).
const layer = { channels: 64, perProbe: 64 * 1024 } as PlannedLayer;

describe('time left', () => {
  it('is the forward passes still to run, marked as a lower bound, until a layer is final', () => {
    const clock = new WorkClock({ layers: [layer], count: 32, transforms: 5, batches: 192 });
    assert.equal(clock.progress('reading').etaSeconds, undefined, 'nothing measured yet');
    clock.seedBatchMs(3500);
    assert.deepEqual([clock.progress('clean').etaSeconds, clock.progress('clean').etaIsLowerBound], [672, true]);
    // What the early long-run warning quotes: all passes, and with half the probes or two transforms.
    assert.deepEqual([clock.passesSeconds(), clock.passesSeconds({ count: 16 }), clock.passesSeconds({ transforms: 2 })], [672, 336, 336]);
    clock.passStarted();
    for (let i = 0; i < 32; i++) clock.batchDone(4000);
    clock.passEnded();
    assert.deepEqual([clock.progress('rot90').etaSeconds, clock.progress('rot90').etaIsLowerBound], [640, true]);
    for (let i = 0; i < 160; i++) clock.batchDone(4000);
    clock.jobDone(layer, 2000);
    clock.layerFinal();
    const whole = clock.progress('scored');
    assert.equal(whole.etaIsLowerBound, undefined);
    assert.ok(whole.etaSeconds !== undefined && whole.etaSeconds >= 0, `whole estimate ${whole.etaSeconds}`);
  });
});
