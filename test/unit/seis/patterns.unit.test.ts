import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalPatterns,
  createRandom,
  decomposeObservations,
  jsMatMulBackend,
  matricize,
  positionGrid,
  scorePair,
  scorePairWithPatterns,
  SeisInputError,
  type CanonicalPattern,
} from '../../../src/seis';
import { cosine, directSeis } from './directSeis';

/** Maps (b·c planes of h×w) with neighbouring pixels correlated, like conv activations. */
function smoothPlanes(planes: number, h: number, w: number, seed: number): Float64Array {
  const next = createRandom(seed);
  const raw = Float64Array.from({ length: planes * h * w }, () => next() - 0.5);
  const out = new Float64Array(raw.length);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let sum = 0;
        for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [0, -1], [-1, 0]]) {
          const y = (i + di + h) % h;
          const x = (j + dj + w) % w;
          sum += raw[base + y * w + x];
        }
        out[base + i * w + j] = sum * (1 + (p % 5));
      }
    }
  }
  return out;
}

/** Counter-clockwise quarter turn of every h×h plane: out(i, j) = in(j, h−1−i). */
function rot90Planes(data: Float64Array, planes: number, h: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let p = 0; p < planes; p++) {
    const base = p * h * h;
    for (let i = 0; i < h; i++) for (let j = 0; j < h; j++) out[base + i * h + j] = data[base + j * h + (h - 1 - i)];
  }
  return out;
}

function rot90Map(map: ArrayLike<number>, h: number): Float64Array {
  return rot90Planes(Float64Array.from(map), 1, h);
}

function withNoise(data: Float64Array, scale: number, seed: number): Float64Array {
  const next = createRandom(seed);
  return data.map((x) => x + scale * (next() - 0.5));
}

async function patternsOf(a: Float64Array, b: Float64Array, n: number, d: number, count: number): Promise<CanonicalPattern[]> {
  const [clean, moved] = await Promise.all([
    decomposeObservations({ data: a, n, d }),
    decomposeObservations({ data: b, n, d }),
  ]);
  return canonicalPatterns(clean, moved, count, jsMatMulBackend);
}

/** Patterns of untied pairs point along the literal spec computation's w_i and v_i. */
async function compareWithOracle(a: Float64Array, b: Float64Array, n: number, d: number): Promise<number> {
  const oracle = directSeis(a, b, n, d);
  const ours = await patternsOf(a, b, n, d, oracle.rho.length);
  let compared = 0;
  ours.forEach((pattern, i) => {
    assert.ok(Math.abs(pattern.rho - oracle.rho[i]) < 1e-9, `ρ_${i}: ${pattern.rho} vs oracle ${oracle.rho[i]}`);
    const gapBefore = i > 0 ? oracle.rho[i - 1] - oracle.rho[i] : Infinity;
    const gapAfter = i + 1 < oracle.rho.length ? oracle.rho[i] - oracle.rho[i + 1] : Infinity;
    if (Math.min(gapBefore, gapAfter) < 1e-6) return;
    const { clean, transformed } = oracle.weights[i];
    assert.ok(Math.abs(cosine(pattern.clean, clean)) >= 0.999, `pair ${i}: clean pattern |cos| ${Math.abs(cosine(pattern.clean, clean))}`);
    assert.ok(Math.abs(cosine(pattern.transformed, transformed)) >= 0.999, `pair ${i}: transformed pattern |cos| ${Math.abs(cosine(pattern.transformed, transformed))}`);
    assert.ok(Math.abs(pattern.cosine - Math.abs(cosine(clean, transformed))) < 1e-6, `pair ${i}: |cos(w, v)| ${pattern.cosine} vs oracle`);
    // The oracle's pair has one joint sign; ours may be flipped, but flipped together.
    assert.ok(cosine(pattern.clean, clean) * cosine(pattern.transformed, transformed) > 0, `pair ${i}: the two sides were flipped separately`);
    compared++;
  });
  return compared;
}

describe('canonical spatial patterns', () => {
  it('match the one-sided-SVD oracle for untied pairs when positions ≤ observations', async () => {
    const [b, c, h] = [12, 8, 6];
    const n = b * c;
    const d = h * h;
    const a = smoothPlanes(n, h, h, 11);
    const moved = withNoise(rot90Planes(a, n, h), 0.8, 12);
    const compared = await compareWithOracle(a, moved, n, d);
    assert.ok(compared >= 10, `only ${compared} untied pairs were compared`);
  });

  it('match the oracle when positions outnumber observations (the other Gram side)', async () => {
    const n = 40;
    const h = 8;
    const d = h * h;
    const a = smoothPlanes(n, h, h, 21);
    const moved = withNoise(a, 1.5, 22);
    const compared = await compareWithOracle(a, moved, n, d);
    assert.ok(compared >= 5, `only ${compared} untied pairs were compared`);
  });

  it('are unit vectors, ordered by ρ, sign-fixed on the clean side, and respect the count', async () => {
    const [n, h] = [96, 6];
    const a = smoothPlanes(n, h, h, 31);
    const moved = withNoise(rot90Planes(a, n, h), 0.5, 32);
    const patterns = await patternsOf(a, moved, n, h * h, 5);
    assert.equal(patterns.length, 5);
    for (const [i, p] of patterns.entries()) {
      assert.ok(Math.abs(Math.hypot(...p.clean) - 1) < 1e-12 && Math.abs(Math.hypot(...p.transformed) - 1) < 1e-12, `pair ${i} not unit length`);
      const largest = p.clean.reduce((best, x) => (Math.abs(x) > Math.abs(best) ? x : best), 0);
      assert.ok(largest > 0, `pair ${i}: the clean pattern's largest component is ${largest}`);
      if (i > 0) assert.ok(patterns[i - 1].rho >= p.rho, 'ρ not descending');
    }
    assert.deepEqual(await patternsOf(a, moved, n, h * h, 0), []);
  });

  it('show an exact rot90 of the maps as the clean pattern rotated, with the same colours (tied block)', async () => {
    const [n, h] = [60, 5];
    const a = smoothPlanes(n, h, h, 41);
    const patterns = await patternsOf(a, rot90Planes(a, n, h), n, h * h, 8);
    assert.equal(patterns.length, 8);
    for (const [i, p] of patterns.entries()) {
      assert.ok(p.rho > 1 - 1e-9, `pair ${i}: ρ ${p.rho}`);
      assert.ok(p.tied, `pair ${i} of an all-ρ=1 spectrum is not flagged tied`);
      const signed = cosine(p.transformed, rot90Map(p.clean, h));
      assert.ok(signed > 0.999, `pair ${i}: transformed vs rot90(clean) cos ${signed}`);
    }
    // A rot90 is not the identity on these maps, so the patterns moved: |cos(w, v)| < 1 for some pair.
    assert.ok(patterns.some((p) => p.cosine < 0.9), 'no pattern moved under rot90');
  });

  it('are flagged untied where ρ is distinct', async () => {
    const [n, h] = [96, 6];
    const a = smoothPlanes(n, h, h, 51);
    const patterns = await patternsOf(a, withNoise(a, 2, 52), n, h * h, 4);
    assert.ok(patterns.every((p) => !p.tied));
  });

  it('scorePairWithPatterns scores exactly like scorePair and carries the map grid', async () => {
    const [b, c, h, w] = [6, 5, 4, 6];
    const a = smoothPlanes(b * c, h, w, 61);
    const moved = withNoise(a, 0.7, 62);
    const shape = [b, c, h, w];
    const plain = await scorePair({ data: a, shape }, { data: moved, shape });
    const { score, grid, patterns } = await scorePairWithPatterns({ data: a, shape }, { data: moved, shape }, 3);
    assert.equal(score.equivariance, plain.equivariance);
    assert.equal(score.invariance, plain.invariance);
    assert.deepEqual(score.null, plain.null);
    assert.deepEqual(grid, { height: 4, width: 6 });
    assert.equal(patterns.length, 3);
    assert.equal(patterns[0].clean.length, 24);
  });

  it('lay token layers on their patch grid and refuse the channel diagnostic', async () => {
    assert.deepEqual(positionGrid([2, 17, 8], 'tokens', 16), { height: 4, width: 4 });
    assert.deepEqual(positionGrid([2, 6, 8], 'tokens', 6), { height: 1, width: 6 });
    assert.deepEqual(positionGrid([2, 3, 5, 7], 'NHWC', 15), { height: 3, width: 5 });
    const [b, tokens, dim] = [4, 17, 6];
    const data = smoothPlanes(b, tokens, dim, 71);
    const tensor = { data, shape: [b, tokens, dim] };
    const { grid, patterns } = await scorePairWithPatterns(tensor, { data: withNoise(data, 0.5, 72), shape: [b, tokens, dim] }, 2);
    assert.deepEqual(grid, { height: 4, width: 4 });
    assert.equal(patterns[0].clean.length, 16);
    await assert.rejects(scorePairWithPatterns(tensor, tensor, 2, { orientation: 'channel' }), (err: unknown) => err instanceof SeisInputError && /spatial orientation/.test(err.message));
    const basis = await decomposeObservations(matricize({ data, shape: [b, tokens, dim] }));
    await assert.rejects(canonicalPatterns(basis, basis, -1), SeisInputError);
  });
});
