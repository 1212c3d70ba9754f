// The reduction's symmetric matrix–vector kernel: the WebAssembly SIMD path against the JS loop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../../src/seis';
import { lowerSymv, simdSymvAvailable, symvWorkspace } from '../../../src/seis/linalg/symv';

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
