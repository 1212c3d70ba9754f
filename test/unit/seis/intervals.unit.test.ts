/**
 * Intervals by delete-d jackknife over probe images (src/seis/intervals.ts). The coverage test draws
 * many independent probe sets of b images from one fixed generative model, so the sampling
 * distribution of the score at b images is known empirically; the intervals computed from single
 * draws must cover its centre at about the nominal rate and their standard errors must match its spread.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createRandom,
  deletedImages,
  jackknifeInterval,
  keptImages,
  normalQuantile,
  pairIntervals,
  scoreMatrices,
  SeisInputError,
  tensorIntervals,
  type ObservationMatrix,
} from '../../../src/seis';

function gaussians(next: () => number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const u1 = Math.max(next(), 1e-300);
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/**
 * One probe set of `images` images, `channels` rows each, over `positions` positions. Rows of one image
 * share an image-level factor (so they are dependent, as channels of one image are); the transformed
 * side sees the same latent signal, spatially reversed and partly replaced, plus its own noise.
 */
function drawProbeSet(seed: number, images: number, channels = 4, positions = 12, latent = 3) {
  const fixed = createRandom(7);
  const basis = gaussians(fixed, latent * positions); // fixed across draws: the generative model
  const next = createRandom(seed);
  const n = images * channels;
  const clean = new Float64Array(n * positions);
  const moved = new Float64Array(n * positions);
  for (let img = 0; img < images; img++) {
    const shared = gaussians(next, latent);
    for (let ch = 0; ch < channels; ch++) {
      const z = gaussians(next, latent).map((v, q) => 0.6 * v + 0.8 * shared[q]);
      const zMoved = gaussians(next, latent).map((v, q) => 0.7 * z[q] + 0.71 * v);
      const noise = gaussians(next, 2 * positions);
      const row = (img * channels + ch) * positions;
      for (let p = 0; p < positions; p++) {
        let a = 0;
        let b = 0;
        for (let q = 0; q < latent; q++) {
          a += z[q] * basis[q * positions + p];
          b += zMoved[q] * basis[q * positions + (positions - 1 - p)];
        }
        clean[row + p] = a + 0.5 * noise[p];
        moved[row + p] = b + 0.5 * noise[positions + p];
      }
    }
  }
  const m = (data: Float64Array): ObservationMatrix => ({ data, n, d: positions });
  return { clean: m(clean), moved: m(moved) };
}

describe('interval helpers', () => {
  it('normalQuantile matches known quantiles', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.95) - 1.644853627) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.005) + 2.575829304) < 1e-8);
  });

  it('d satisfies √b < d < b and refuses too few images with a clear message', () => {
    for (const b of [8, 12, 32, 64, 500]) {
      const d = deletedImages(b);
      assert.ok(d > Math.sqrt(b) && d < b - 1, `b=${b} d=${d}`);
    }
    assert.equal(deletedImages(32), 16);
    assert.equal(deletedImages(9), 4);
    assert.throws(() => deletedImages(5), (e: unknown) => e instanceof SeisInputError && /at least 8 probe images/.test(e.message));
  });

  it('subsets are seeded, sorted, of size b − d, and differ between resamples', () => {
    const a = keptImages(32, 16, 1, 0);
    assert.equal(a.length, 16);
    assert.deepEqual([...a], [...a].sort((x, y) => x - y));
    assert.deepEqual([...keptImages(32, 16, 1, 0)], [...a]);
    assert.notDeepEqual([...keptImages(32, 16, 1, 1)], [...a]);
    assert.notDeepEqual([...keptImages(32, 16, 2, 0)], [...a]);
  });

  it('the jackknife variance formula: (b−d)/(d·N)·Σ(θ_s−θ̄)²', () => {
    const iv = jackknifeInterval([0.4, 0.5, 0.6], 0.5, 20, 5, 0.9);
    const se = Math.sqrt((15 / (5 * 3)) * 0.02);
    assert.ok(Math.abs(iv.standardError - se) < 1e-12);
    assert.ok(Math.abs(iv.high - (0.5 + 1.644853627 * se)) < 1e-8);
    assert.ok(Math.abs(iv.low - (0.5 - 1.644853627 * se)) < 1e-8);
    assert.equal(jackknifeInterval([0.9, 1, 1.1], 0.99, 20, 5, 0.9).high, 1);
  });
});

describe('interval coverage on data with a known sampling distribution', () => {
  it('covers the centre of the sampling distribution at about the nominal rate, se ≈ its spread', async () => {
    const images = 24;
    const draws = 160;
    const level = 0.9;
    const estimates: { e: number; i: number }[] = [];
    const intervals: Awaited<ReturnType<typeof pairIntervals>>[] = [];
    for (let s = 0; s < draws; s++) {
      const { clean, moved } = drawProbeSet(1000 + s, images);
      const score = await scoreMatrices(clean, moved, { nullPermutations: 0 });
      estimates.push({ e: score.equivariance, i: score.invariance });
      intervals.push(await pairIntervals(clean, moved, images, score, { resamples: 30, level, seed: 99 }));
    }
    const check = (pick: (x: { e: number; i: number }) => number, side: 'equivariance' | 'invariance') => {
      const values = estimates.map(pick);
      const centre = values.reduce((a, b) => a + b, 0) / draws;
      const spread = Math.sqrt(values.reduce((a, v) => a + (v - centre) ** 2, 0) / (draws - 1));
      const covered = intervals.filter((iv) => iv[side].low <= centre && centre <= iv[side].high).length / draws;
      const meanSe = intervals.reduce((a, iv) => a + iv[side].standardError, 0) / draws;
      // A binomial proportion over 160 draws has sd ≈ 0.024 at 0.9; the band allows the jackknife's
      // known slight conservatism.
      assert.ok(covered >= 0.8 && covered <= 0.99, `${side}: coverage ${covered} at nominal ${level}`);
      assert.ok(meanSe / spread > 0.7 && meanSe / spread < 1.5, `${side}: mean se ${meanSe} vs spread of draws ${spread}`);
      return { covered, ratio: meanSe / spread, spread };
    };
    const e = check((x) => x.e, 'equivariance');
    const i = check((x) => x.i, 'invariance');
    // The scores genuinely vary between probe sets, so the test is not passing on zero-width intervals.
    assert.ok(e.spread > 0.005 && i.spread > 0.005, JSON.stringify({ e, i }));
  });

  it('is reproducible and identical from tensors and from matrices', async () => {
    const { clean, moved } = drawProbeSet(5, 16);
    const score = await scoreMatrices(clean, moved, { nullPermutations: 0 });
    const a = await pairIntervals(clean, moved, 16, score, { resamples: 10 });
    const b = await pairIntervals(clean, moved, 16, score, { resamples: 10 });
    assert.deepEqual(a, b);
    // The same matrix as a (b, c, h, w) tensor: 16 images × 4 channels × 3 × 4 positions.
    const tensor = (m: ObservationMatrix) => ({ data: m.data, shape: [16, 4, 3, 4], layout: 'NCHW' as const });
    const c = await tensorIntervals(tensor(clean), tensor(moved), score, { resamples: 10 });
    assert.deepEqual(c, a);
    assert.equal(a.equivariance.method, 'jackknife-delete-d-images');
    assert.equal(a.equivariance.resamples, 10);
    assert.equal(a.equivariance.level, 0.95);
    assert.ok(a.equivariance.low <= score.equivariance && score.equivariance <= a.equivariance.high);
  });
});
