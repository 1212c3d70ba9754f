/**
 * Seeded randomness for the null permutations. A fixed seed makes every null reproducible
 * run to run, which users rely on when they compare two models' reports.
 */

/** splitmix32-style generator: small state, good enough mixing for shuffles. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}

/** Fisher–Yates shuffle of 0..n-1. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const next = createRandom(seed);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** The index-th null permutation for a given seed; distinct indices give independent shuffles. */
export function nullPermutation(n: number, seed: number, index: number): Uint32Array {
  return seededPermutation(n, (seed + Math.imul(index + 1, 0x27d4eb2d)) >>> 0);
}
