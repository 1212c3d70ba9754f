import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INVARIANT_SHARE, NULL_MARGIN, readingOf, type ReadableCell } from '../../../src/shared/reading';

const cell = (e: number, i: number, nullE = 0.1, nullI = 0.05, extra: Partial<ReadableCell> = {}): ReadableCell => ({
  equivariance: e,
  invariance: i,
  null: { equivariance: nullE, invariance: nullI, permutations: 3 },
  underdetermined: false,
  ...extra,
});

describe('readingOf (the one reading every view uses)', () => {
  it('calls S_E within the margin of its null lost, whatever S_I', () => {
    assert.equal(readingOf(cell(0.1 + NULL_MARGIN * 0.9, 0.9)), 'lost');
    assert.equal(readingOf(cell(0.1 + NULL_MARGIN * 1.1, 0.0)), 're-encoded');
  });
  it('calls a cell invariant only when S_I clears its null and reaches the share of S_E', () => {
    assert.equal(readingOf(cell(0.9, 0.9 * INVARIANT_SHARE)), 'invariant');
    assert.equal(readingOf(cell(0.9, 0.9 * INVARIANT_SHARE - 0.01)), 're-encoded');
    // E 0.9 / I 0.5 — the case where the host and the panel used to disagree.
    assert.equal(readingOf(cell(0.9, 0.5)), 'invariant');
    assert.equal(readingOf(cell(0.9, 0.5, 0.1, 0.48)), 're-encoded');
  });
  it('reads nothing into underdetermined, null-less or missing cells', () => {
    assert.equal(readingOf(cell(0.99, 0.9, 0.1, 0.05, { underdetermined: true })), 'underdetermined');
    assert.equal(readingOf(cell(0.9, 0.1, Number.NaN, Number.NaN, { null: { equivariance: Number.NaN, invariance: Number.NaN, permutations: 0 } })), 'no-null');
    assert.equal(readingOf({ equivariance: null, invariance: null, null: null }), 'undefined');
    assert.equal(readingOf(undefined), 'undefined');
  });
});
