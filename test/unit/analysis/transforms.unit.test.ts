import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisError } from '../../../src/analysis/errors';
import { extractPooled, poolPlan } from '../../../src/analysis/pooling';
import { applyTransform, parseTransform, parseTransforms, unavailableReason } from '../../../src/analysis/transforms';
import { createRandom } from '../../../src/seis/random';

function randomBatch(shape: number[], seed = 7): Float32Array {
  const next = createRandom(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() - 0.5);
}

/** numpy.rot90(x, 1, axes=(2, 3)) written out independently: out[i][j] = x[j][w-1-i]. */
function npRot90(x: Float32Array, [b, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let p = 0; p < b * c; p++) for (let i = 0; i < w; i++) for (let j = 0; j < h; j++) out[p * h * w + i * h + j] = x[p * h * w + j * w + (w - 1 - i)];
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('transforms', () => {
  const shape = [2, 3, 9, 9];
  const x = randomBatch(shape);

  it('rot90 matches numpy.rot90 and four of them are the identity', () => {
    const r = parseTransform('rot90');
    assert.equal(r.exact, true);
    const once = applyTransform(r, x, shape);
    assert.deepEqual(once, npRot90(x, shape));
    let y = x;
    for (let k = 0; k < 4; k++) y = applyTransform(r, y, shape);
    assert.deepEqual(y, x);
    assert.deepEqual(applyTransform(parseTransform('rot270'), once, shape), x);
  });

  it('the bilinear path agrees with the exact path at multiples of 90° (same rotation convention)', () => {
    const viaBilinear = { ...parseTransform('rot90'), exact: false };
    assert.ok(maxDiff(applyTransform(viaBilinear, x, shape), applyTransform(parseTransform('rot90'), x, shape)) < 1e-5);
    const flipBilinear = { ...parseTransform('flip-h'), exact: false };
    assert.ok(maxDiff(applyTransform(flipBilinear, x, shape), applyTransform(parseTransform('flip-h'), x, shape)) < 1e-6);
  });

  it('flips are involutions and rot180 = flip-h ∘ flip-v', () => {
    const fh = parseTransform('flip-h');
    const fv = parseTransform('flip-v');
    assert.deepEqual(applyTransform(fh, applyTransform(fh, x, shape), shape), x);
    assert.deepEqual(applyTransform(fh, applyTransform(fv, x, shape), shape), applyTransform(parseTransform('rot180'), x, shape));
  });

  it('integer shifts are exact circular shifts; a sub-pixel shift sits between its neighbours', () => {
    const s = parseTransform('shift-x2-y1');
    assert.equal(s.exact, true);
    const y = applyTransform(s, x, shape);
    const [h, w] = [shape[2], shape[3]];
    for (const [i, j] of [[0, 0], [3, 8], [8, 1]]) assert.equal(y[i * w + j], x[((i - 1 + h) % h) * w + ((j - 2 + w) % w)]);
    const half = parseTransform('shift-x0.5');
    assert.equal(half.exact, false);
    const a = applyTransform(parseTransform('shift-x0'), x, shape);
    const b = applyTransform(parseTransform('shift-x1'), x, shape);
    const m = applyTransform(half, x, shape);
    for (let i = 0; i < 20; i++) assert.ok(Math.abs(m[i] - (a[i] + b[i]) / 2) < 1e-6);
  });

  it('interpolated rotations, scale and affine keep the shape, are marked inexact and are deterministic', () => {
    for (const id of ['rot30', 'scale1.25', 'affine-s7']) {
      const t = parseTransform(id);
      assert.equal(t.exact, false, id);
      const y = applyTransform(t, x, shape);
      assert.equal(y.length, x.length);
      assert.ok(maxDiff(y, x) > 0.01, `${id} changes the image`);
      assert.deepEqual(applyTransform(parseTransform(id), x, shape), y);
    }
    assert.notDeepEqual(parseTransform('affine-s7').params, parseTransform('affine-s8').params);
  });

  it('bad ids and duplicates are refused with the grammar', () => {
    assert.throws(() => parseTransform('rotate90'), (e: unknown) => e instanceof AnalysisError && /unknown transform 'rotate90'; use identity, rot<deg>/.test(e.message));
    assert.throws(() => parseTransforms('rot90,rot90'), /listed twice/);
    assert.throws(() => parseTransform('scale0'), /between 0.1 and 10/);
  });

  it('odd quarter turns need a square probe', () => {
    assert.match(unavailableReason(parseTransform('rot90'), 48, 192) ?? '', /48x192 probe into 192x48/);
    assert.equal(unavailableReason(parseTransform('rot180'), 48, 192), undefined);
    assert.equal(unavailableReason(parseTransform('rot90'), 64, 64), undefined);
  });
});

describe('pooling', () => {
  it('caps the positions and keeps the aspect ratio', () => {
    const p = poolPlan(112, 112, 1024);
    assert.deepEqual([p.pooledHeight, p.pooledWidth], [32, 32]);
    const q = poolPlan(24, 96, 1024);
    assert.ok(q.pooledHeight * q.pooledWidth <= 1024 && q.pooledWidth / q.pooledHeight === 4, JSON.stringify(q));
    assert.deepEqual(poolPlan(16, 16, 1024), { height: 16, width: 16, pooledHeight: 16, pooledWidth: 16 });
  });

  it('commutes with rot90 and flips on square maps, so exact transforms stay exact', () => {
    const shape = [1, 2, 50, 50];
    const x = randomBatch(shape, 3);
    const plan = poolPlan(50, 50, 400);
    const pooled = (d: Float32Array) => {
      const out = new Float32Array(2 * plan.pooledHeight * plan.pooledWidth);
      extractPooled(d, 1, 2, plan, false, out, 0);
      return out;
    };
    const ps = [1, 2, plan.pooledHeight, plan.pooledWidth];
    for (const id of ['rot90', 'flip-h', 'flip-v', 'rot180']) {
      const t = parseTransform(id);
      assert.ok(maxDiff(pooled(applyTransform(t, x, shape)), applyTransform(t, pooled(x), ps)) < 1e-6, id);
    }
  });

  it('reads NHWC maps into NCHW storage', () => {
    // (1, 2, 2, 3) NHWC: value = 100·y + 10·x + c
    const src = new Float32Array(12);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) for (let c = 0; c < 3; c++) src[(y * 2 + x) * 3 + c] = 100 * y + 10 * x + c;
    const out = new Float32Array(12);
    extractPooled(src, 1, 3, poolPlan(2, 2, 4), true, out, 0);
    assert.deepEqual(Array.from(out), [0, 10, 100, 110, 1, 11, 101, 111, 2, 12, 102, 112]);
  });
});
