// The blocked eigensolver (panel reduction + compact-WY back-transformation through a MatMulBackend)
// against the level-2 solver and against the defining identities A·Z = Z·Λ, ZᵀZ = I.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRandom,
  DEFAULT_BLOCKED_EIGEN_TUNING,
  decomposeObservations,
  jsMatMulBackend,
  symmetricEigen,
  symmetricEigenBlocked,
  transposeTimesSync,
  type BlockedEigenTuning,
  type MatMulBackend,
  type SymmetricEigen,
} from '../../../src/seis';
import { createOrtMatMulBackend, type OrtMatMulBackend } from '../../../src/analysis/ortMatMulBackend';
import { applyReflectors, type Tridiagonal } from '../../../src/seis/linalg/symmetricEigen';
import { eigenvectorRows } from './eigenvectorRows';

const EPS = 2 ** -52;

function uniform(count: number, seed: number): Float64Array {
  const next = createRandom(seed);
  return new Float64Array(count).map(() => next() - 0.5);
}

/** Gram matrix of a rows×n random matrix: rank min(rows, n), positive semi-definite. */
function gram(n: number, rows: number, seed: number): Float64Array {
  const x = uniform(rows * n, seed);
  return transposeTimesSync(x, rows, n, x, n);
}

/** Q·diag(values)·Qᵀ with Q a product of random reflectors: a matrix with exactly the given spectrum. */
function withSpectrum(values: number[], seed: number): Float64Array {
  const n = values.length;
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let h = 0; h < 3; h++) {
    const v = uniform(n, seed + h);
    const vtv = v.reduce((s, x) => s + x * x, 0);
    for (let r = 0; r < n; r++) {
      let dot = 0;
      for (let c = 0; c < n; c++) dot += q[r * n + c] * v[c];
      for (let c = 0; c < n; c++) q[r * n + c] -= (2 * dot * v[c]) / vtv;
    }
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let l = 0; l < n; l++) a[i * n + j] += q[i * n + l] * values[l] * q[j * n + l];
  return a;
}

function frobenius(a: Float64Array): number {
  return Math.sqrt(a.reduce((s, x) => s + x * x, 0));
}

/** ‖A·z − λ·z‖ over the returned vectors and ‖ZZᵀ − I‖, both relative to what rounding allows. */
function assertEigenpairs(a: Float64Array, n: number, eig: SymmetricEigen, label: string): void {
  const scale = Math.max(frobenius(a), Number.MIN_VALUE);
  for (let i = 1; i < n; i++) assert.ok(eig.values[i] <= eig.values[i - 1], `${label}: eigenvalues not descending at ${i}`);
  const vectorRows = eigenvectorRows(eig);
  for (let v = 0; v < eig.count; v++) {
    const z = vectorRows.subarray(v * n, v * n + n);
    let residual = 0;
    for (let r = 0; r < n; r++) {
      let az = 0;
      for (let c = 0; c < n; c++) az += a[r * n + c] * z[c];
      residual += (az - eig.values[v] * z[r]) ** 2;
    }
    assert.ok(Math.sqrt(residual) <= 50 * n * EPS * scale, `${label}: ‖Az − λz‖ = ${Math.sqrt(residual)} for vector ${v} (‖A‖ ${scale})`);
    for (let w = 0; w <= v; w++) {
      let dot = 0;
      for (let c = 0; c < n; c++) dot += z[c] * vectorRows[w * n + c];
      assert.ok(Math.abs(dot - (v === w ? 1 : 0)) <= 50 * n * EPS, `${label}: z${v}·z${w} = ${dot}`);
    }
  }
}

function assertSameValues(blocked: SymmetricEigen, reference: SymmetricEigen, scale: number, label: string): void {
  assert.equal(blocked.count, reference.count, `${label}: vector count`);
  for (let i = 0; i < reference.n; i++) {
    assert.ok(Math.abs(blocked.values[i] - reference.values[i]) <= 20 * reference.n * EPS * scale, `${label}: λ${i} ${blocked.values[i]} vs ${reference.values[i]}`);
  }
}

const SMALL: BlockedEigenTuning = { block: 4, minOrder: 0, backTransformMinOrder: 0, trailingRows: 5 };

describe('blocked symmetric eigensolver', () => {
  let ort: OrtMatMulBackend;
  before(async () => {
    ort = await createOrtMatMulBackend({ eigenThreads: 0 });
  });
  after(async () => {
    await ort.dispose();
  });

  const backends = (): [string, MatMulBackend][] => [
    ['js', jsMatMulBackend],
    ['onnxruntime', ort],
  ];

  it('n = 1, 2, 3 and every panel boundary around a small block agree with the level-2 solver', async () => {
    for (let n = 1; n <= 15; n++) {
      const a = gram(n, n + 3, 100 + n);
      const reference = symmetricEigen(a, n, { vectors: n });
      const blocked = await symmetricEigenBlocked(a, n, { vectors: n }, jsMatMulBackend, SMALL);
      assertSameValues(blocked, reference, frobenius(a), `n=${n}`);
      assertEigenpairs(a, n, blocked, `n=${n}`);
    }
  });

  it('orders with a level-2 reduction and a blocked back-transformation (the defaults between backTransformMinOrder and minOrder), all vectors, on both backends', async () => {
    const { backTransformMinOrder, minOrder } = DEFAULT_BLOCKED_EIGEN_TUNING;
    for (const n of [backTransformMinOrder, 100, minOrder - 1]) {
      const a = gram(n, n + 20, 300 + n);
      const reference = symmetricEigen(a, n, { vectors: n });
      for (const [name, backend] of backends()) {
        const blocked = await symmetricEigenBlocked(a, n, { vectors: n }, backend);
        assertSameValues(blocked, reference, frobenius(a), `n=${n} ${name}`);
        assertEigenpairs(a, n, blocked, `n=${n} ${name}`);
      }
    }
  });

  it('a Gram of order 300 with the default blocking, on both backends, kept vectors only', async () => {
    const n = 300;
    const a = gram(n, 400, 7);
    const reference = symmetricEigen(a, n, { vectors: 40 });
    for (const [name, backend] of backends()) {
      const blocked = await symmetricEigenBlocked(a, n, { vectors: 40 }, backend);
      assertSameValues(blocked, reference, frobenius(a), name);
      assertEigenpairs(a, n, blocked, name);
      // Simple eigenvalues: the same vectors up to sign.
      const [blockedRows, referenceRows] = [eigenvectorRows(blocked), eigenvectorRows(reference)];
      for (let v = 0; v < 40; v++) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += blockedRows[v * n + c] * referenceRows[v * n + c];
        assert.ok(Math.abs(Math.abs(dot) - 1) <= 1e-9, `${name}: vector ${v} differs from the level-2 solver's (|cos| ${Math.abs(dot)})`);
      }
    }
  });

  it('the trailing update in block rows (lower triangle only) gives the bits of one whole product', async () => {
    const n = 420;
    const a = gram(n, 500, 17);
    const whole: BlockedEigenTuning = { ...DEFAULT_BLOCKED_EIGEN_TUNING, trailingRows: n };
    for (const trailingRows of [DEFAULT_BLOCKED_EIGEN_TUNING.trailingRows, 100]) {
      const tuning: BlockedEigenTuning = { ...DEFAULT_BLOCKED_EIGEN_TUNING, trailingRows };
      const [inRows, inOne] = await Promise.all([symmetricEigenBlocked(a, n, { vectors: 60 }, ort, tuning), symmetricEigenBlocked(a, n, { vectors: 60 }, ort, whole)]);
      assert.deepEqual(inRows.values, inOne.values, `eigenvalues, ${trailingRows} rows per product`);
      assert.deepEqual(inRows.vectorColumns, inOne.vectorColumns, `eigenvectors, ${trailingRows} rows per product`);
    }
  });

  it('the energy rule picks the same count as the level-2 solver', async () => {
    const n = 200;
    const a = gram(n, 250, 11);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    const options = { vectors: { energyFraction: 0.9, totalEnergy: trace } };
    const reference = symmetricEigen(a, n, options);
    const blocked = await symmetricEigenBlocked(a, n, options, ort);
    assert.ok(reference.count > 1 && reference.count < n);
    assertSameValues(blocked, reference, frobenius(a), 'energy rule');
    assertEigenpairs(a, n, blocked, 'energy rule');
  });

  it('tied and clustered spectra: orthonormal vectors that solve A·z = λ·z inside each tied block', async () => {
    const values = [5, 5, 5, 3, 3, 1 + 1e-13, 1, 1 - 1e-13, 0.5, 0.5, 0.25, 0.1, 0.1, 0.1, 0.1, 0.05, 0, 0, 0, 0, 0, 0];
    const n = values.length;
    const a = withSpectrum(values, 21);
    const blocked = await symmetricEigenBlocked(a, n, { vectors: n }, jsMatMulBackend, SMALL);
    const sorted = [...values].sort((x, y) => y - x);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(blocked.values[i] - sorted[i]) <= 1e-12, `λ${i} ${blocked.values[i]} vs ${sorted[i]}`);
    assertEigenpairs(a, n, blocked, 'tied');
  });

  it('large tied blocks (order 61 and 201, the SIMD re-orthogonalization and the blocked reduction)', async () => {
    for (const n of [61, 201]) {
      const values = Array.from({ length: n }, (_, i) => (i < n / 3 ? 1 : i < (2 * n) / 3 ? 1 - (i % 3) * 1e-12 : 0.5 / (1 + i)));
      const a = withSpectrum(values, n);
      const blocked = await symmetricEigenBlocked(a, n, { vectors: n }, jsMatMulBackend);
      const sorted = [...values].sort((x, y) => y - x);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(blocked.values[i] - sorted[i]) <= 1e-12, `n=${n} λ${i} ${blocked.values[i]} vs ${sorted[i]}`);
      assertEigenpairs(a, n, blocked, `tied n=${n}`);
    }
  });

  it('zero, diagonal (every column already reduced) and rank-deficient matrices', async () => {
    const n = 23;
    const zero = new Float64Array(n * n);
    const zeroEig = await symmetricEigenBlocked(zero, n, { vectors: 3 }, jsMatMulBackend, SMALL);
    assert.ok(zeroEig.values.every((x) => x === 0));
    assertEigenpairs(zero, n, zeroEig, 'zero');

    const diagonal = new Float64Array(n * n);
    for (let i = 0; i < n; i++) diagonal[i * n + i] = (i * 7) % 5;
    const diagonalEig = await symmetricEigenBlocked(diagonal, n, { vectors: n }, jsMatMulBackend, SMALL);
    assertEigenpairs(diagonal, n, diagonalEig, 'diagonal');

    const lowRank = gram(n, 4, 5);
    const lowEig = await symmetricEigenBlocked(lowRank, n, { vectors: 6 }, jsMatMulBackend, SMALL);
    for (let i = 4; i < n; i++) assert.ok(Math.abs(lowEig.values[i]) <= 1e-13 * lowEig.values[0], `λ${i} = ${lowEig.values[i]} should be 0 (rank 4)`);
    assertEigenpairs(lowRank, n, lowEig, 'rank 4');
  });

  it('reads only the lower triangle, as the level-2 solver does', async () => {
    const n = 40;
    const a = gram(n, 50, 3);
    const lowerOnly = Float64Array.from(a);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) lowerOnly[i * n + j] = Number.NaN;
    const blocked = await symmetricEigenBlocked(lowerOnly, n, { vectors: 5 }, jsMatMulBackend, SMALL);
    assertEigenpairs(a, n, blocked, 'lower triangle');
  });
});

describe('A·Bᵀ products (the Gram of the rows when d > n)', () => {
  it('timesTranspose equals A·Bᵀ on both backends, and a backend without it decomposes the same', async () => {
    const ort = await createOrtMatMulBackend({ eigenThreads: 0 });
    try {
      const [m, k, n] = [70, 90, 60];
      const a = uniform(m * k, 1);
      const b = uniform(n * k, 2);
      const expected = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let l = 0; l < k; l++) expected[i * n + j] += a[i * k + l] * b[j * k + l];
      for (const backend of [jsMatMulBackend, ort]) {
        const product = await backend.timesTranspose!(a, m, k, b, n);
        for (let i = 0; i < m * n; i++) assert.ok(Math.abs(product[i] - expected[i]) <= 1e-12, `${backend.name}: entry ${i}`);
      }
      // Wide matrix (d > n): the decomposition through timesTranspose and through an explicit transpose.
      const rows = 40;
      const cols = 120;
      const data = uniform(rows * cols, 3);
      const { timesTranspose: _omitted, ...withoutTimesTranspose } = jsMatMulBackend;
      const [direct, viaTranspose] = await Promise.all([
        decomposeObservations({ data, n: rows, d: cols }, { keep: 0.9 }, ort),
        decomposeObservations({ data, n: rows, d: cols }, { keep: 0.9 }, withoutTimesTranspose),
      ]);
      assert.equal(direct.k, viaTranspose.k);
      for (let i = 0; i < direct.k; i++) assert.ok(Math.abs(direct.singularValues[i] - viaTranspose.singularValues[i]) <= 1e-10 * direct.singularValues[0]);
    } finally {
      await ort.dispose();
    }
  });
});

describe('Grams from one triangle (gramOfRows)', () => {
  it('equals the full A·Aᵀ bit for bit on both backends, across block boundaries and below the backend threshold', async () => {
    const ort = await createOrtMatMulBackend({ eigenThreads: 0 });
    try {
      // 600 rows: block rows of 75 on onnxruntime, the last one shorter; 20 rows: below its threshold.
      for (const [m, k] of [
        [600, 301],
        [130, 1000],
        [20, 30],
      ]) {
        const a = uniform(m * k, m);
        for (const backend of [jsMatMulBackend, ort]) {
          const gram = await backend.gramOfRows!(a, m, k);
          const full = await backend.timesTranspose!(a, m, k, a, m);
          let differing = 0;
          for (let i = 0; i < m * m; i++) if (gram[i] !== full[i]) differing++;
          assert.equal(differing, 0, `${backend.name} ${m}×${k}: entries differing from timesTranspose`);
          for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) assert.equal(gram[j * m + i], gram[i * m + j], `${backend.name}: symmetric at ${i},${j}`);
        }
      }
    } finally {
      await ort.dispose();
    }
  });

  it('subtractProduct (C − A·B in one onnxruntime call) equals subtracting times() entry by entry, and the solver gives the same bits with or without it', async () => {
    const ort = await createOrtMatMulBackend({ eigenThreads: 0 });
    try {
      for (const [m, k, n] of [
        [300, 32, 250],
        [10, 5, 7],
      ]) {
        const a = uniform(m * k, 21);
        const b = uniform(k * n, 22);
        const c = uniform(m * n, 23);
        const fused = await ort.subtractProduct!(c, a, m, k, b, n);
        const product = await ort.times(a, m, k, b, n);
        let differing = 0;
        for (let i = 0; i < m * n; i++) if (fused[i] !== c[i] - product[i]) differing++;
        assert.equal(differing, 0, `${m}×${k}×${n}: entries differing`);
      }
      const n = 260;
      const matrix = gram(n, 300, 24);
      const { subtractProduct: _fused, ...separate } = ort;
      const [withFused, withoutFused] = await Promise.all([symmetricEigenBlocked(matrix, n, { vectors: n }, ort), symmetricEigenBlocked(matrix, n, { vectors: n }, separate)]);
      assert.deepEqual(withFused.values, withoutFused.values);
      assert.deepEqual(withFused.vectorColumns, withoutFused.vectorColumns);
    } finally {
      await ort.dispose();
    }
  });

  it('decomposes a tall matrix (d ≤ n, Gram of the transposed rows) to the same basis as the full products', async () => {
    const ort = await createOrtMatMulBackend({ eigenThreads: 0 });
    try {
      const [rows, cols] = [400, 250];
      const data = uniform(rows * cols, 9);
      const { gramOfRows: _one, timesTranspose: _two, ...fullProductsOnly } = ort;
      const [triangle, full] = await Promise.all([
        decomposeObservations({ data, n: rows, d: cols }, { keep: 0.9 }, ort),
        decomposeObservations({ data, n: rows, d: cols }, { keep: 0.9 }, fullProductsOnly),
      ]);
      assert.equal(triangle.k, full.k);
      assert.deepEqual(triangle.singularValues, full.singularValues);
      assert.deepEqual(triangle.u, full.u);
      assert.deepEqual(triangle.v, full.v);
    } finally {
      await ort.dispose();
    }
  });
});

/** The level-2 back-transformation one row at a time: each row's dot summed in order, then its update. */
function rowByRowReflectors(tri: Tridiagonal, n: number, rows: Float64Array, count: number): void {
  for (let j = n - 3; j >= 0; j--) {
    const beta = tri.betas[j];
    if (beta === 0) continue;
    const length = n - j - 1;
    const v = tri.reflectors.subarray(tri.reflectorOffsets[j], tri.reflectorOffsets[j] + length);
    for (let row = 0; row < count; row++) {
      const offset = row * n + j + 1;
      let dot = 0;
      for (let i = 0; i < length; i++) dot += v[i] * rows[offset + i];
      if (dot === 0) continue;
      for (let i = 0; i < length; i++) rows[offset + i] -= beta * dot * v[i];
    }
  }
}

describe('level-2 back-transformation, four rows per pass over a reflector', () => {
  it('gives the bits of the row-by-row loop (row counts not a multiple of four, zero βs, rows orthogonal to a reflector)', () => {
    for (const [n, count] of [[7, 1], [20, 5], [37, 36], [64, 7]]) {
      const next = createRandom(13 * n + count);
      const reflectorOffsets = new Int32Array(n);
      let offset = 0;
      for (let j = 0; j < n - 2; j++) {
        reflectorOffsets[j] = offset;
        offset += n - j - 1;
      }
      const reflectors = new Float64Array(offset).map(() => next() - 0.5);
      const betas = new Float64Array(n).map((_, j) => (j % 5 === 3 ? 0 : 2 * next()));
      const tri: Tridiagonal = { diagonal: new Float64Array(n), sub: new Float64Array(n), reflectors, reflectorOffsets, betas };
      const rows = new Float64Array(count * n).map(() => next() - 0.5);
      // A row that is zero where the last reflector acts: its dot is exactly 0 and it must be skipped.
      if (count > 2) rows.fill(0, 2 * n + n - 2, 3 * n);
      const want = rows.slice();
      applyReflectors(tri, n, rows, count);
      rowByRowReflectors(tri, n, want, count);
      assert.deepEqual(rows, want, `n=${n} count=${count}`);
    }
  });
});
