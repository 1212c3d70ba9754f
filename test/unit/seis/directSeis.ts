/**
 * A deliberately literal SEIS implementation for tests: ml-matrix's SVD (one-sided, no Gram
 * matrices) of the centered matrices, then the spec's formulas evaluated in full dimensions
 * (p_i = U m_i, q_i = U′ n_i, w_i = V S⁻¹ m_i, v_i = V′ S′⁻¹ n_i). Slow, independent of the fast path.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';

export interface DirectScores {
  equivariance: number;
  invariance: number;
  k: number;
  kPrime: number;
  rho: number[];
  /** Spatial weights w_i = V S⁻¹ m_i and v_i = V′ S′⁻¹ n_i, unnormalised, straight from the spec. */
  weights: { clean: number[]; transformed: number[] }[];
}

function centered(data: Float64Array, n: number, d: number): Matrix {
  const m = new Matrix(n, d);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data[i * d + j];
    mean /= n;
    for (let i = 0; i < n; i++) m.set(i, j, data[i * d + j] - mean);
  }
  return m;
}

function truncatedSvd(m: Matrix, keep: number): { u: Matrix; s: number[]; v: Matrix; k: number } {
  const svd = new SingularValueDecomposition(m, { autoTranspose: true });
  const s = svd.diagonal;
  const total = s.reduce((acc, x) => acc + x * x, 0);
  let k = 0;
  let cumulative = 0;
  while (k < s.length && cumulative < keep * total - 1e-10 * total) cumulative += s[k++] ** 2;
  const u = svd.leftSingularVectors.subMatrix(0, m.rows - 1, 0, k - 1);
  const v = svd.rightSingularVectors.subMatrix(0, m.columns - 1, 0, k - 1);
  return { u, s: s.slice(0, k), v, k };
}

/** Plain cosine of two vectors (the oracle's own, shared with the pattern tests). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

export function directSeis(a: Float64Array, b: Float64Array, n: number, d: number, keep = 0.99): DirectScores {
  const x = truncatedSvd(centered(a, n, d), keep);
  const y = truncatedSvd(centered(b, n, d), keep);
  const cross = x.u.transpose().mmul(y.u);
  const svd = new SingularValueDecomposition(cross, { autoTranspose: true });
  const r = Math.min(x.k, y.k);
  const rho = svd.diagonal.slice(0, r);
  const mMat = svd.leftSingularVectors;
  const nMat = svd.rightSingularVectors;
  const sInv = Matrix.diag(x.s.map((s) => 1 / s));
  const sInvPrime = Matrix.diag(y.s.map((s) => 1 / s));
  let sumE = 0;
  let sumI = 0;
  const weights: DirectScores['weights'] = [];
  for (let i = 0; i < r; i++) {
    const mi = mMat.getColumnVector(i);
    const ni = nMat.getColumnVector(i);
    const p = x.u.mmul(mi).to1DArray();
    const q = y.u.mmul(ni).to1DArray();
    const w = x.v.mmul(sInv).mmul(mi).to1DArray();
    const v = y.v.mmul(sInvPrime).mmul(ni).to1DArray();
    weights.push({ clean: w, transformed: v });
    sumE += Math.abs(cosine(p, q));
    sumI += rho[i] * Math.abs(cosine(w, v));
  }
  return { equivariance: sumE / r, invariance: sumI / r, k: x.k, kPrime: y.k, rho, weights };
}
