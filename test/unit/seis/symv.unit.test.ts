// The reduction's symmetric matrix–vector kernel: the WebAssembly SIMD path against the JS loop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../../src/seis';
import { lowerSymv, reductionWorkspace, simdSymvAvailable, symvWorkspace, upperTriangularTimesInPlace } from '../../../src/seis/linalg/symv';

describe('symmetric matrix–vector kernel', () => {
  it('runs the SIMD kernel on this machine', () => {
    assert.equal(simdSymvAvailable(), true);
  });

  it('SIMD and JS give B·v to rounding for every trailing block, odd and even orders, reading only the lower triangle', () => {
    for (const n of [48, 49, 50, 51, 97]) {
      const next = createRandom(n);
      const work = symvWorkspace(n);
      const reference = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          const value = next() - 0.5;
          work.matrix[i * n + j] = value;
          reference[i * n + j] = value;
        }
        // The upper triangle is never read: poison it in the workspace.
        for (let j = i + 1; j < n; j++) work.matrix[i * n + j] = Number.NaN;
      }
      for (const base of [0, 1, 2, 3, 5, n - 9, n - 4, n - 3, n - 2, n - 1]) {
        const m = n - base;
        const v = new Float64Array(m).map(() => next() - 0.5);
        const fast = new Float64Array(m);
        const plain = new Float64Array(m);
        work.symv(base, m, v, fast);
        lowerSymv(reference, n, base, m, v, plain);
        // Against the definition too: B[r][c] = B[c][r] from the lower triangle.
        for (let r = 0; r < m; r++) {
          let exact = 0;
          for (let c = 0; c < m; c++) {
            const [i, j] = r >= c ? [base + r, base + c] : [base + c, base + r];
            exact += reference[i * n + j] * v[c];
          }
          assert.ok(Math.abs(fast[r] - exact) <= 1e-13 * m, `n=${n} base=${base} row ${r}: SIMD ${fast[r]} vs ${exact}`);
          assert.ok(Math.abs(plain[r] - exact) <= 1e-13 * m, `n=${n} base=${base} row ${r}: JS ${plain[r]} vs ${exact}`);
        }
      }
    }
  });
});

/**
 * The order the SIMD kernel promises (symv.ts): rows in blocks of four, columns c < r in pairs with
 * even columns in one lane and odd ones in the other, then the diagonal block, then each row's dot.
 */
function pairedLowerSymv(a: Float64Array, n: number, base: number, m: number, v: Float64Array): Float64Array {
  const out = new Float64Array(m);
  const at = (i: number, j: number) => a[(base + i) * n + base + j];
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const lanes = [0, 1, 2, 3].map(() => [0, 0]);
    for (let c = 0; c < r; c += 2) {
      for (let lane = 0; lane < 2; lane++) {
        const col = c + lane;
        const x = [0, 1, 2, 3].map((i) => at(r + i, col));
        for (let i = 0; i < 4; i++) lanes[i][lane] += x[i] * v[col];
        out[col] += x[0] * v[r] + x[1] * v[r + 1] + (x[2] * v[r + 2] + x[3] * v[r + 3]);
      }
    }
    for (let i = 0; i < 4; i++) {
      let dot = 0;
      for (let c = r; c < r + i; c++) {
        dot += at(r + i, c) * v[c];
        out[c] += at(r + i, c) * v[r + i];
      }
      out[r + i] += dot + at(r + i, r + i) * v[r + i];
    }
    for (let i = 0; i < 4; i++) out[r + i] += lanes[i][0] + lanes[i][1];
  }
  for (; r < m; r++) {
    let dot = 0;
    for (let c = 0; c < r; c++) {
      dot += at(r, c) * v[c];
      out[c] += at(r, c) * v[r];
    }
    out[r] += dot + at(r, r) * v[r];
  }
  return out;
}

describe('the SIMD symmetric product, one call per product', () => {
  it('gives the bits of its documented order for every trailing block (so the solver\'s numbers do not depend on how it is called)', () => {
    for (const n of [48, 53, 130]) {
      const next = createRandom(7 * n);
      const work = symvWorkspace(n);
      for (let i = 0; i < n * n; i++) work.matrix[i] = next() - 0.5;
      for (const base of [0, 1, 2, 3, 6, n - 37, n - 5, n - 4, n - 1]) {
        const m = n - base;
        const v = new Float64Array(m).map(() => next() - 0.5);
        const fast = new Float64Array(m);
        work.symv(base, m, v, fast);
        assert.deepEqual(fast, pairedLowerSymv(work.matrix, n, base, m, v), `n=${n} base=${base}`);
      }
    }
  });
});

describe('x ← T·x for an upper-triangular T (the back-transformation\'s block factor)', () => {
  it('gives the bits of the literal loop, odd and even row lengths, zero entries skipped, on the SIMD path too', () => {
    assert.ok(simdSymvAvailable(), 'WebAssembly SIMD is available on Node 20');
    const next = createRandom(31);
    for (const [width, count] of [
      [32, 401],
      [17, 64],
      [5, 7],
    ]) {
      const t = new Float64Array(width * width);
      for (let i = 0; i < width; i++) for (let l = i; l < width; l++) t[i * width + l] = (i + l) % 5 === 0 ? 0 : next() - 0.5;
      const x = new Float64Array(width * count).map(() => next() - 0.5);
      const expected = Float64Array.from(x);
      for (let i = 0; i < width; i++) {
        for (let c = 0; c < count; c++) expected[i * count + c] *= t[i * width + i];
        for (let l = i + 1; l < width; l++) {
          if (t[i * width + l] === 0) continue;
          for (let c = 0; c < count; c++) expected[i * count + c] += t[i * width + l] * expected[l * count + c];
        }
      }
      upperTriangularTimesInPlace(t, width, x, count);
      assert.deepEqual(x, expected, `${width}×${count}`);
    }
  });
});

/**
 * The panel's pending updates in the SIMD kernels' documented order: reflectors in pairs (an odd last
 * one paired with itself at coefficient 0), each entry −= (v·c0 + w·c1) + (v′·c2 + w′·c3); each dot
 * sums even entries and odd entries separately (the two lanes) from 0, adds them, then the odd last entry.
 */
function pairedSubtractPending(target: Float64Array, shift: number, from: number, to: number, vs: Float64Array, ws: Float64Array, n: number, count: number, cv: Float64Array, cw: Float64Array): void {
  for (let l = 0; l < count; l += 2) {
    const second = l + 1 < count ? l + 1 : l;
    const [c0, c1, c2, c3] = [cv[l], cw[l], l + 1 < count ? cv[l + 1] : 0, l + 1 < count ? cw[l + 1] : 0];
    for (let r = from; r < to; r++) target[r - shift] -= vs[l * n + r] * c0 + ws[l * n + r] * c1 + (vs[second * n + r] * c2 + ws[second * n + r] * c3);
  }
}

function pairedPendingDots(v: Float64Array, base: number, m: number, vs: Float64Array, ws: Float64Array, n: number, count: number, cw: Float64Array, cv: Float64Array): void {
  const even = m & ~1;
  const dot = (rows: Float64Array, row: number): number => {
    let lane0 = 0;
    let lane1 = 0;
    for (let i = 0; i < even; i += 2) {
      lane0 += rows[row * n + base + i] * v[i];
      lane1 += rows[row * n + base + i + 1] * v[i + 1];
    }
    let sum = lane0 + lane1;
    if (even < m) sum += rows[row * n + base + even] * v[even];
    return sum;
  };
  for (let l = 0; l < count; l += 2) {
    const second = l + 1 < count ? l + 1 : l;
    cw[l] = dot(ws, l);
    cv[l] = dot(vs, l);
    if (l + 1 < count) {
      cw[l + 1] = dot(ws, second);
      cv[l + 1] = dot(vs, second);
    }
  }
}

describe('the panel kernels, one call for all the pending reflectors', () => {
  it('give the bits of their documented order (odd and even lengths and reflector counts)', () => {
    for (const n of [48, 53, 130]) {
      const panelRows = 32;
      const next = createRandom(11 * n);
      const work = reductionWorkspace(n, panelRows);
      for (let i = 0; i < n * n; i++) work.matrix[i] = next() - 0.5;
      for (let i = 0; i < panelRows * n; i++) {
        work.panelV[i] = next() - 0.5;
        work.panelW[i] = next() - 0.5;
      }
      for (const count of [1, 2, 5, 32]) {
        for (const [from, to, shift] of [[0, n, 0], [3, n, 0], [7, n, 7], [n - 5, n, n - 5], [n - 2, n, 0]]) {
          const cv = new Float64Array(count).map(() => next() - 0.5);
          const cw = new Float64Array(count).map(() => next() - 0.5);
          for (const target of ['column', 'y'] as const) {
            const start = new Float64Array(n).map(() => next() - 0.5);
            work[target].set(start);
            const want = start.slice();
            work.subtractPending(target, shift, from, to, count, cv, cw);
            pairedSubtractPending(want, shift, from, to, work.panelV, work.panelW, n, count, cv, cw);
            assert.deepEqual(work[target], want, `subtractPending n=${n} count=${count} [${from}, ${to}) shift ${shift} into ${target}`);
          }
          const m = to - from;
          const v = new Float64Array(m).map(() => next() - 0.5);
          work.symv(from, m, v, new Float64Array(m));
          const [gotW, gotV, wantW, wantV] = [0, 0, 0, 0].map(() => new Float64Array(count));
          work.pendingDots(from, m, count, gotW, gotV);
          pairedPendingDots(v, from, m, work.panelV, work.panelW, n, count, wantW, wantV);
          assert.deepEqual([gotW, gotV], [wantW, wantV], `pendingDots n=${n} count=${count} base ${from} length ${m}`);
        }
      }
    }
  });
});
