// The one wording of progress: percent, message, and the time left once the engine estimates it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressLine, timeLeft } from '../../../src/shared/progressLine';

describe('progress line', () => {
  it('says the time left in seconds, minutes, then hours', () => {
    assert.equal(timeLeft(0.4), 'about 1 s left');
    assert.equal(timeLeft(42), 'about 40 s left');
    assert.equal(timeLeft(89), 'about 90 s left');
    assert.equal(timeLeft(400), 'about 7 min left');
    assert.equal(timeLeft(3 * 3600 + 7 * 60), 'about 3 h 7 min left');
    assert.equal(timeLeft(960, true), 'at least 16 min left');
  });

  it('adds the estimate only when there is one', () => {
    assert.equal(progressLine({ fraction: 0.053, message: 'clean probes through 32 layers' }), '5% clean probes through 32 layers');
    assert.equal(progressLine({ fraction: 0.5, message: 'rot90: scored conv1', etaSeconds: 600 }), '50% rot90: scored conv1 (about 10 min left)');
    assert.equal(progressLine({ fraction: 1, message: 'done', etaSeconds: 0 }), '100% done');
    assert.equal(progressLine({ fraction: 0.06, message: 'clean probes through 32 layers', etaSeconds: 950, etaIsLowerBound: true }), '6% clean probes through 32 layers (at least 16 min left)');
    assert.equal(progressLine({ fraction: 0.07, message: 'm', etaSeconds: NaN }, true), '  7% m');
  });
});
