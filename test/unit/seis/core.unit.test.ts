import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRandom,
  decomposeObservations,
  jsMatMulBackend,
  matricize,
  scoreDecomposed,
  scoreFromMoments,
  scoreMatrices,
  scorePair,
  SeisInputError,
  canonicalPairsHere,
  symmetricEigen,
  transposeTimesSync,
  nullPermutation,
  type MatMulBackend,
  type PairMoments,
} from '../../../src/seis';
import { createOrtMatMulBackend } from '../../../src/analysis/ortMatMulBackend';
import { directSeis } from './directSeis';
import { eigenvectorRows } from './eigenvectorRows';

function gaussian(count: number, seed: number): Float64Array {
  const next = createRandom(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = Math.max(next(), 1e-300);
    const u2 = next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    out[i] = radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Feature maps with spatial smoothness and a decaying spectrum, like real conv activations. */
function smoothMaps(b: number, c: number, h: number, w: number, seed: number): Float64Array {
  const raw = gaussian(b * c * h * w, seed);
  const out = new Float64Array(raw.length);
  for (let m = 0; m < b * c; m++) {
    const base = m * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) acc += raw[base + ((y + dy + h) % h) * w + ((x + dx + w) % w)];
        out[base + y * w + x] = acc / 9 + 0.05 * raw[base + y * w + x];
      }
    }
  }
  return out;
}

/** rot90 of every map (square maps): a pure permutation of the spatial columns. */
function rotateMaps(data: Float64Array, maps: number, side: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let m = 0; m < maps; m++) {
    const base = m * side * side;
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) out[base + (side - 1 - x) * side + y] = data[base + y * side + x];
  }
  return out;
}

const close = (actual: number, expected: number, tolerance: number, label: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: ${actual} vs ${expected} (tolerance ${tolerance})`);

describe('SEIS sanity facts (docs/method.md)', () => {
  const [b, c, side] = [12, 10, 5];
  const clean = smoothMaps(b, c, side, side, 1);
  const shape = [b, c, side, side];

  it('A′ = A gives S_E = 1 and S_I = 1', async () => {
    const score = await scorePair({ data: clean, shape }, { data: clean, shape });
    close(score.equivariance, 1, 1e-9, 'S_E');
    close(score.invariance, 1, 1e-9, 'S_I');
    assert.ok(score.null.equivariance < 0.9, `null S_E ${score.null.equivariance} should be well below 1`);
  });

  it('spatially permuted columns (rot90 of the maps) give S_E = 1 and S_I < 1', async () => {
    const score = await scorePair({ data: clean, shape }, { data: rotateMaps(clean, b * c, side), shape });
    close(score.equivariance, 1, 1e-9, 'S_E');
    assert.ok(score.invariance < 0.9, `S_I ${score.invariance} should drop under a spatial permutation`);
  });

  it('independent A′ scores at the null level, and S_I lower still', async () => {
    const other = smoothMaps(b, c, side, side, 99);
    const score = await scorePair({ data: clean, shape }, { data: other, shape });
    close(score.equivariance, score.null.equivariance, 0.05, 'S_E vs its null');
    assert.ok(score.invariance < score.equivariance, 'S_I below S_E for unrelated data');
  });
});

describe('the fast path agrees with a literal one-sided SVD implementation', () => {
  // Low-rank pairs keep n > k + k′: when the kept subspaces must intersect, canonical pairs with
  // ρ = 1 are not unique and S_I depends on the basis chosen inside that cluster (flagged underdetermined).
  const cases: Array<[string, number, number]> = [
    ['tall (d ≤ n, Gram on the variable side)', 60, 16],
    ['wide (n < d, Gram on the observation side)', 30, 70],
    ['square', 40, 40],
  ];
  const product = (left: Float64Array, right: Float64Array, n: number, rank: number, d: number) => {
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let l = 0; l < rank; l++) for (let j = 0; j < d; j++) out[i * d + j] += left[i * rank + l] * right[l * d + j];
    return out;
  };
  for (const [label, n, d] of cases) {
    it(label, async () => {
      const rank = 7;
      const leftA = gaussian(n * rank, 3 + n);
      // B's left factor is related to A's but spans a different subspace: distinct canonical correlations.
      const extra = gaussian(n * rank, 4 + n);
      const leftB = leftA.map((x, i) => 0.7 * x + 0.6 * extra[i]);
      const a = product(leftA, gaussian(rank * d, 5 + d), n, rank, d);
      const b = product(leftB, gaussian(rank * d, 6 + d), n, rank, d);
      assert.ok(n > 2 * rank, 'case must not be underdetermined');
      const fast = await scoreMatrices({ data: a, n, d }, { data: b, n, d }, { nullPermutations: 0 });
      const direct = directSeis(a, b, n, d);
      assert.equal(fast.rankClean, direct.k);
      assert.equal(fast.rankTransformed, direct.kPrime);
      close(fast.equivariance, direct.equivariance, 1e-9, 'S_E');
      close(fast.invariance, direct.invariance, 1e-9, 'S_I');
      direct.rho.forEach((rho, i) => close(fast.canonicalCorrelations[i], rho, 1e-8, `ρ_${i}`));
    });
  }
});

describe('backends and entry points give the same scores', () => {
  let ort: MatMulBackend;
  before(async () => {
    ort = await createOrtMatMulBackend();
  });
  const [b, c, side] = [16, 12, 8];
  const clean = smoothMaps(b, c, side, side, 11);
  const rotated = rotateMaps(smoothMaps(b, c, side, side, 11).map((x, i) => x + 0.3 * gaussian(b * c * side * side, 12)[i]), b * c, side);
  const shape = [b, c, side, side];

  it('onnxruntime backend = pure-JS backend (actual and null)', async () => {
    const js = await scorePair({ data: clean, shape }, { data: rotated, shape }, {}, jsMatMulBackend);
    const fast = await scorePair({ data: clean, shape }, { data: rotated, shape }, {}, ort);
    assert.equal(fast.rankClean, js.rankClean);
    assert.equal(fast.rankTransformed, js.rankTransformed);
    close(fast.equivariance, js.equivariance, 1e-10, 'S_E');
    close(fast.invariance, js.invariance, 1e-10, 'S_I');
    close(fast.null.equivariance, js.null.equivariance, 1e-10, 'null S_E');
    close(fast.null.invariance, js.null.invariance, 1e-10, 'null S_I');
  });

  it('moments (Gram-accumulated, batch by batch) = full matrices, including the null', async () => {
    const a = matricize({ data: clean, shape }, 'spatial');
    const t = matricize({ data: rotated, shape }, 'spatial');
    const { n, d } = a;
    const permutations = [0, 1, 2].map((i) => nullPermutation(n, 7, i));
    const permuted = permutations.map((perm) => {
      const out = new Float64Array(n * d);
      for (let i = 0; i < n; i++) out.set(t.data.subarray(perm[i] * d, perm[i] * d + d), i * d);
      return out;
    });
    const columnSums = (m: Float64Array) => {
      const s = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) s[j] += m[i * d + j];
      return s;
    };
    // Accumulate in two batches of rows to mirror a batched run.
    const half = Math.floor(n / 2) * d;
    const accumulate = (x: Float64Array, y: Float64Array) => {
      const first = transposeTimesSync(x.subarray(0, half), half / d, d, y.subarray(0, half), d);
      const second = transposeTimesSync(x.subarray(half), n - half / d, d, y.subarray(half), d);
      return first.map((value, i) => value + second[i]);
    };
    const moments: PairMoments = {
      n,
      d,
      gramClean: accumulate(a.data, a.data),
      gramTransformed: accumulate(t.data, t.data),
      cross: accumulate(a.data, t.data),
      nullCross: permuted.map((p) => accumulate(a.data, p)),
      sumClean: columnSums(a.data),
      sumTransformed: columnSums(t.data),
    };
    const fromMoments = await scoreFromMoments(moments);
    const direct = await scoreMatrices(a, t, { permutations });
    assert.equal(fromMoments.rankClean, direct.rankClean);
    close(fromMoments.equivariance, direct.equivariance, 1e-8, 'S_E');
    close(fromMoments.invariance, direct.invariance, 1e-8, 'S_I');
    close(fromMoments.null.equivariance, direct.null.equivariance, 1e-8, 'null S_E');
    close(fromMoments.null.invariance, direct.null.invariance, 1e-8, 'null S_I');
  });

  it('reusing the clean decomposition across transforms changes nothing', async () => {
    const a = matricize({ data: clean, shape }, 'spatial');
    const t = matricize({ data: rotated, shape }, 'spatial');
    const basis = await decomposeObservations(a);
    const reused = await scoreDecomposed(basis, await decomposeObservations(t));
    const fresh = await scoreMatrices(a, t);
    assert.deepEqual(reused.canonicalCorrelations, fresh.canonicalCorrelations);
    assert.equal(reused.null.invariance, fresh.null.invariance);
  });
});

describe('properties', () => {
  const [b, c, side] = [10, 8, 6];
  const shape = [b, c, side, side];
  const a = smoothMaps(b, c, side, side, 21);
  const t = smoothMaps(b, c, side, side, 21).map((x, i) => x + 0.8 * gaussian(b * c * side * side, 22)[i]);

  it('scores and nulls lie in [0, 1]', async () => {
    for (const pair of [[a, t], [a, a], [a, rotateMaps(a, b * c, side)], [a, smoothMaps(b, c, side, side, 5)]]) {
      const s = await scorePair({ data: pair[0], shape }, { data: pair[1], shape });
      for (const value of [s.equivariance, s.invariance, s.null.equivariance, s.null.invariance]) {
        assert.ok(value >= 0 && value <= 1 + 1e-12, `score ${value} out of [0, 1]`);
      }
      assert.ok(s.invariance <= s.equivariance + 1e-12, 'S_I ≤ S_E since |cos| ≤ 1');
    }
  });

  it('is invariant to scaling and shifting the activations', async () => {
    const base = await scorePair({ data: a, shape }, { data: t, shape });
    const scaled = await scorePair({ data: a.map((x) => 1e4 * x + 7), shape }, { data: t.map((x) => 3e-3 * x - 2), shape });
    close(scaled.equivariance, base.equivariance, 1e-9, 'S_E');
    close(scaled.invariance, base.invariance, 1e-9, 'S_I');
    assert.equal(scaled.rankClean, base.rankClean);
  });

  it('is symmetric in the pair', async () => {
    const forward = await scorePair({ data: a, shape }, { data: t, shape }, { nullPermutations: 0 });
    const backward = await scorePair({ data: t, shape }, { data: a, shape }, { nullPermutations: 0 });
    close(forward.equivariance, backward.equivariance, 1e-9, 'S_E');
    close(forward.invariance, backward.invariance, 1e-9, 'S_I');
  });

  it('accepts float32 and float64 alike', async () => {
    const f32 = Float32Array.from(a);
    const s32 = await scorePair({ data: f32, shape }, { data: Float32Array.from(t), shape });
    const s64 = await scorePair({ data: Float64Array.from(f32), shape }, { data: Float64Array.from(Float32Array.from(t)), shape });
    assert.equal(s32.equivariance, s64.equivariance);
  });

  it("never writes into the caller's activation arrays (NCHW and NHWC, float32 and float64)", async () => {
    for (const data of [Float64Array.from(a), Float32Array.from(a)]) {
      for (const layout of ['NCHW', 'NHWC'] as const) {
        const before = data.slice();
        const other = data.slice().reverse();
        await scorePair({ data, shape, layout }, { data: other, shape, layout });
        await scorePair({ data, shape, layout }, { data: other, shape, layout }, { orientation: 'channel' });
        assert.deepEqual(data, before, `${data.constructor.name} ${layout}`);
      }
    }
  });

  it('the null is reproducible for a seed and changes with it', async () => {
    const one = await scorePair({ data: a, shape }, { data: t, shape }, { seed: 1 });
    const again = await scorePair({ data: a, shape }, { data: t, shape }, { seed: 1 });
    const other = await scorePair({ data: a, shape }, { data: t, shape }, { seed: 2 });
    assert.equal(one.null.equivariance, again.null.equivariance);
    assert.notEqual(one.null.equivariance, other.null.equivariance);
    assert.equal(one.null.permutations, 3);
  });
});

describe('layouts', () => {
  it('NHWC is transposed to the same matrix as NCHW', () => {
    const [b, c, h, w] = [2, 3, 4, 5];
    const nchw = gaussian(b * c * h * w, 31);
    const nhwc = new Float64Array(nchw.length);
    for (let s = 0; s < b; s++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) nhwc[(s * h * w + p) * c + ch] = nchw[(s * c + ch) * h * w + p];
    const x = matricize({ data: nchw, shape: [b, c, h, w] });
    const y = matricize({ data: nhwc, shape: [b, h, w, c], layout: 'NHWC' });
    assert.deepEqual(Array.from(y.data), Array.from(x.data));
    assert.equal(x.n, b * c);
    assert.equal(x.d, h * w);
  });

  it('token layers drop a leading class token (t = 1 + g²) and use tokens as variables', () => {
    const [b, t, dim] = [2, 1 + 9, 4];
    const data = gaussian(b * t * dim, 41);
    const m = matricize({ data, shape: [b, t, dim] });
    assert.equal(m.d, 9);
    assert.equal(m.n, b * dim);
    assert.equal(m.droppedClassToken, true);
    // Row (sample 1, dim 2), column token 3 comes from token 4 (after the class token).
    assert.equal(m.data[(1 * dim + 2) * 9 + 3], data[(1 * t + 4) * dim + 2]);
    const noClass = matricize({ data: gaussian(b * 16 * dim, 42), shape: [b, 16, dim] });
    assert.equal(noClass.d, 16);
    assert.equal(noClass.droppedClassToken, false);
  });

  it('channel orientation is the transposed diagnostic and says so', async () => {
    const [b, c, side] = [6, 5, 4];
    const data = smoothMaps(b, c, side, side, 51);
    const m = matricize({ data, shape: [b, c, side, side] }, 'channel');
    assert.equal(m.n, b * side * side);
    assert.equal(m.d, c);
    const s = await scorePair({ data, shape: [b, c, side, side] }, { data, shape: [b, c, side, side] }, { orientation: 'channel' });
    assert.equal(s.orientation, 'channel');
    assert.ok(s.warnings.some((w) => w.includes('diagnostic')));
    close(s.equivariance, 1, 1e-9, 'S_E identity (channel)');
  });
});

describe('edge cases are answered, not crashed', () => {
  const shape = [4, 3, 4, 4];
  const size = 4 * 3 * 16;

  it('constant and all-zero activations: undefined scores with a warning', async () => {
    const zeros = new Float64Array(size);
    const s = await scorePair({ data: zeros, shape }, { data: gaussian(size, 61), shape });
    assert.ok(Number.isNaN(s.equivariance));
    assert.equal(s.rankClean, 0);
    assert.ok(s.warnings.some((w) => w.includes('constant')), s.warnings.join('; '));
    const constant = new Float64Array(size).fill(3.5);
    const both = await scorePair({ data: constant, shape }, { data: constant, shape });
    assert.ok(both.warnings.some((w) => w.includes('clean and transformed')));
  });

  it('NaN or Inf: a SeisInputError that counts them', async () => {
    const bad = gaussian(size, 62);
    bad[5] = Number.NaN;
    bad[9] = Number.POSITIVE_INFINITY;
    await assert.rejects(scorePair({ data: bad, shape }, { data: gaussian(size, 63), shape }), (error: unknown) => {
      assert.ok(error instanceof SeisInputError);
      assert.match((error as Error).message, /2 NaN\/Inf/);
      return true;
    });
  });

  it('one spatial position: scored, with a warning that S_I = S_E', async () => {
    const s = await scorePair({ data: gaussian(20 * 3, 64), shape: [20, 3, 1, 1] }, { data: gaussian(20 * 3, 65), shape: [20, 3, 1, 1] });
    assert.equal(s.r, 1);
    close(s.invariance, s.equivariance, 1e-12, 'S_I = S_E with d = 1');
    assert.ok(s.warnings.some((w) => w.includes('one variable')));
  });

  it('n < k + k′ is flagged underdetermined', async () => {
    const s = await scorePair({ data: gaussian(2 * 2 * 36, 66), shape: [2, 2, 6, 6] }, { data: gaussian(2 * 2 * 36, 67), shape: [2, 2, 6, 6] });
    assert.equal(s.underdetermined, true);
    assert.ok(s.warnings.some((w) => w.startsWith('Underdetermined')));
  });

  it('shapes that disagree, and layers without a spatial axis, are refused with a clear message', async () => {
    await assert.rejects(scorePair({ data: gaussian(size, 1), shape }, { data: gaussian(size, 2), shape: [4, 3, 2, 8] }), /same layer/);
    await assert.rejects(scorePair({ data: gaussian(12, 1), shape: [4, 3] }, { data: gaussian(12, 2), shape: [4, 3] }), /no spatial or token axis/);
    await assert.rejects(scorePair({ data: gaussian(10, 1), shape }, { data: gaussian(10, 2), shape }), /needs 192 values/);
    await assert.rejects(scorePair({ data: gaussian(size, 1), shape }, { data: gaussian(size, 2), shape }, { keep: 1.5 }), /keep/);
  });
});

describe('symmetric eigensolver', () => {
  it('matches A·z = λ·z with orthonormal vectors, descending values', () => {
    const n = 40;
    const x = gaussian(60 * n, 71);
    const gram = transposeTimesSync(x, 60, n, x, n);
    const eig = symmetricEigen(gram, n);
    for (let i = 1; i < n; i++) assert.ok(eig.values[i - 1] >= eig.values[i]);
    const vectorRows = eigenvectorRows(eig);
    for (let i = 0; i < n; i++) {
      const z = vectorRows.subarray(i * n, i * n + n);
      for (let r = 0; r < n; r++) {
        let acc = 0;
        for (let col = 0; col < n; col++) acc += gram[r * n + col] * z[col];
        close(acc, eig.values[i] * z[r], 1e-9, `residual row ${r} of vector ${i}`);
      }
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let col = 0; col < n; col++) dot += z[col] * vectorRows[j * n + col];
        close(dot, i === j ? 1 : 0, 1e-12, `orthonormality ${i},${j}`);
      }
    }
  });

  it('handles repeated eigenvalues and already-diagonal input', () => {
    const n = 6;
    const diag = new Float64Array(n * n);
    [3, 1, 3, 0, 2, 3].forEach((v, i) => (diag[i * n + i] = v));
    const eig = symmetricEigen(diag, n);
    assert.deepEqual(Array.from(eig.values), [3, 3, 3, 2, 1, 0]);
  });
});

describe('tied canonical correlations', () => {
  it('a pure spatial permutation gives the principal-axis pairing, independent of solver rounding', async () => {
    // Maps with distinct singular values; rot90 makes UᵀU′ diagonal (±1), all ρ = 1 tied.
    const [b, c, side] = [30, 6, 4];
    const shape = [b, c, side, side];
    const data = smoothMaps(b, c, side, side, 81).map((x, i) => x * (1 + (i % 16) / 4));
    const rotated = rotateMaps(data, b * c, side);
    const s = await scorePair({ data, shape }, { data: rotated, shape }, { nullPermutations: 0 });
    // Expected: S_I = mean_i |cos(v_i, Πᵀ v_i)| over the clean principal axes v_i (as LAPACK would pair them).
    const a = matricize({ data, shape });
    const basis = await decomposeObservations(a);
    const { d, k } = basis;
    let expected = 0;
    for (let i = 0; i < k; i++) {
      const v = Array.from({ length: d }, (_, j) => basis.v[j * k + i]);
      // Πᵀ v: the rotated map's pixel at the position rot90 sends j to.
      const moved = new Array<number>(d);
      for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) moved[(side - 1 - x) * side + y] = v[y * side + x];
      let dot = 0;
      for (let j = 0; j < d; j++) dot += v[j] * moved[j];
      expected += Math.abs(dot);
    }
    expected /= k;
    close(s.equivariance, 1, 1e-9, 'S_E');
    close(s.invariance, expected, 1e-7, 'S_I with principal-axis pairing');
  });
});

/** Columns of a seeded Gaussian rows×cols matrix made orthonormal (modified Gram–Schmidt, twice). */
function orthonormalColumns(rows: number, cols: number, seed: number): Float64Array {
  const q = gaussian(rows * cols, seed);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < cols; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += q[i * cols + p] * q[i * cols + j];
        for (let i = 0; i < rows; i++) q[i * cols + j] -= dot * q[i * cols + p];
      }
      let length = 0;
      for (let i = 0; i < rows; i++) length += q[i * cols + j] ** 2;
      for (let i = 0; i < rows; i++) q[i * cols + j] /= Math.sqrt(length);
    }
  }
  return q;
}

describe('canonical correlations far below the largest', () => {
  let ort: Awaited<ReturnType<typeof createOrtMatMulBackend>>;
  before(async () => {
    ort = await createOrtMatMulBackend();
  });
  after(() => ort.dispose());
  it('are exact to ~ε, not to the √ε a Gram eigenvalue allows (a null of a 32-observation detector layer had ρ 5.3e-9 and 1.1e-12)', async () => {
    const [k, kT] = [40, 6];
    const sigma = [0.95, 0.6, 2e-5, 5.3e-9, 3e-10, 1.1e-12];
    const p = orthonormalColumns(k, kT, 501);
    const q = orthonormalColumns(kT, kT, 502);
    // X = P·diag(σ)·Qᵀ, so its singular values are σ and its right singular vectors Q's columns.
    const x = new Float64Array(k * kT);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < kT; j++) {
        let sum = 0;
        for (let t = 0; t < kT; t++) sum += p[i * kT + t] * sigma[t] * q[j * kT + t];
        x[i * kT + j] = sum;
      }
    }
    for (const backend of [jsMatMulBackend, ort]) {
      const { m, n, rho } = await canonicalPairsHere(x, k, kT, backend);
      for (let i = 0; i < kT; i++) assert.ok(Math.abs(rho[i] - sigma[i]) <= 1e-15, `ρ_${i + 1} = ${rho[i]}, expected ${sigma[i]} (${backend.name})`);
      // X n_i = ρ_i m_i and the n_i orthonormal: the pairs belong to the refined values.
      for (let i = 0; i < kT; i++) {
        for (let a = 0; a < k; a++) {
          let xn = 0;
          for (let b = 0; b < kT; b++) xn += x[a * kT + b] * n[b * kT + i];
          assert.ok(Math.abs(xn - rho[i] * m[a * kT + i]) <= 1e-15, `X·n_${i + 1} ≠ ρ·m_${i + 1} at row ${a}`);
        }
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let b = 0; b < kT; b++) dot += n[b * kT + i] * n[b * kT + j];
          assert.ok(Math.abs(dot - (i === j ? 1 : 0)) <= 1e-13, `n_${i + 1}·n_${j + 1} = ${dot}`);
        }
      }
    }
  });
});

describe('eigenvector methods agree', () => {
  it('inverse iteration and accumulated QL give the same kept subspace, also with tied eigenvalues', () => {
    const n = 120;
    const x = gaussian(200 * n, 91);
    const gram = transposeTimesSync(x, 200, n, x, n);
    // Add an exactly repeated block: a diagonal matrix with ties embedded.
    for (let i = 0; i < 10; i++) gram[i * n + i] += 500;
    for (const count of [1, 40, n]) {
      const inverse = symmetricEigen(gram, n, { vectors: count, method: 'inverse-iteration' });
      const ql = symmetricEigen(gram, n, { vectors: count, method: 'ql' });
      assert.deepEqual(Array.from(inverse.values), Array.from(ql.values));
      const [inverseRows, qlRows] = [eigenvectorRows(inverse), eigenvectorRows(ql)];
      // Compare projectors onto the first `count` vectors (sign- and tie-rotation-free).
      for (let r = 0; r < n; r += 7) {
        for (let c = 0; c < n; c += 5) {
          let pi = 0;
          let pq = 0;
          for (let i = 0; i < count; i++) {
            pi += inverseRows[i * n + r] * inverseRows[i * n + c];
            pq += qlRows[i * n + r] * qlRows[i * n + c];
          }
          close(pi, pq, 1e-9, `projector entry (${r}, ${c}) with ${count} vectors`);
        }
      }
    }
  });
});
