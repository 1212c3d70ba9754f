/**
 * A diverging colour scale for signed values (pattern weights, differences B − A): blue for
 * negative, near-white for zero, red for positive (ColorBrewer RdBu, reversed), symmetric around 0 so
 * equal magnitudes look equally strong whatever their sign. Pure: unit-tested in Node.
 */
const RDBU: readonly (readonly [number, number, number])[] = [
  [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43],
];

/** RGB of `value / limit` clamped to [−1, 1]; `limit` ≤ 0 or a non-finite value gives the neutral colour. */
export function divergingRgb(value: number, limit: number): [number, number, number] {
  const t = limit > 0 && Number.isFinite(value) ? Math.max(-1, Math.min(1, value / limit)) : 0;
  const pos = ((t + 1) / 2) * (RDBU.length - 1);
  const i = Math.min(RDBU.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = RDBU[i];
  const b = RDBU[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

export function divergingColor(value: number, limit: number, alpha = 1): string {
  const [r, g, b] = divergingRgb(value, limit);
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Largest |x| over finite values, for a symmetric scale; 0 when there is none. */
export function symmetricLimit(values: Iterable<number | undefined>): number {
  let limit = 0;
  for (const v of values) if (v !== undefined && Number.isFinite(v)) limit = Math.max(limit, Math.abs(v));
  return limit;
}
