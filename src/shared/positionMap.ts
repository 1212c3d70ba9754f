/**
 * Transforms that only move whole positions (90° rotations, flips, whole-pixel circular shifts) as
 * index maps: the one home of that arithmetic, used to move probe images (src/analysis/transforms.ts)
 * and to move a layer's canonical pattern by the transform (docs/patterns.md), so the panel can set
 * "the clean pattern, moved like the input" beside the transformed one. Pure; safe for every bundle.
 */
import type { PatternPair, TransformInfo } from './results';

type Movable = Pick<TransformInfo, 'kind' | 'params'>;

/** Source index of every output position for an exact transform on an h×w grid (row-major). */
export function positionSourceIndex(t: Movable, h: number, w: number): Uint32Array {
  const idx = new Uint32Array(h * w);
  const p = t.params;
  const turns = t.kind === 'rotation' ? (((Math.round(p.degrees / 90) % 4) + 4) % 4) : 0;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let si = i;
      let sj = j;
      if (t.kind === 'rotation') {
        if (turns === 1) [si, sj] = [j, w - 1 - i];
        else if (turns === 2) [si, sj] = [h - 1 - i, w - 1 - j];
        else if (turns === 3) [si, sj] = [h - 1 - j, i];
      } else if (t.kind === 'flip') {
        if (p.axis === 1) sj = w - 1 - j;
        else si = h - 1 - i;
      } else if (t.kind === 'shift') {
        si = (((i - Math.round(p.dy)) % h) + h) % h;
        sj = (((j - Math.round(p.dx)) % w) + w) % w;
      }
      idx[i * w + j] = si * w + sj;
    }
  }
  return idx;
}

const WHOLE = 1e-9;

/**
 * The transform as it acts on a layer's grid, when it moves whole positions there; undefined when it
 * does not (interpolating transforms, odd quarter turns of a non-square grid, a shift that is not a
 * whole number of the layer's cells). A shift of dx input pixels moves a layer whose grid is
 * `gridWidth/inputWidth` of the input by dx·gridWidth/inputWidth cells.
 */
export function onGrid(t: TransformInfo, grid: { height: number; width: number }, input: { height: number; width: number }): Movable | undefined {
  if (!t.exact) return undefined;
  if (t.kind === 'identity' || t.kind === 'flip') return t;
  if (t.kind === 'rotation') {
    const odd = Math.abs(Math.round(t.params.degrees / 90)) % 2 === 1;
    return odd && grid.height !== grid.width ? undefined : t;
  }
  if (t.kind === 'shift') {
    const dx = (t.params.dx * grid.width) / input.width;
    const dy = (t.params.dy * grid.height) / input.height;
    if (Math.abs(dx - Math.round(dx)) > WHOLE || Math.abs(dy - Math.round(dy)) > WHOLE) return undefined;
    return { kind: 'shift', params: { dx: Math.round(dx), dy: Math.round(dy) } };
  }
  return undefined;
}

/** g·map on the layer's grid, or undefined when g does not move whole positions there (see onGrid). */
export function movePattern(
  map: ArrayLike<number>,
  grid: { height: number; width: number },
  t: TransformInfo,
  input: { height: number; width: number },
): Float64Array | undefined {
  const moved = onGrid(t, grid, input);
  if (!moved) return undefined;
  const source = positionSourceIndex(moved, grid.height, grid.width);
  return Float64Array.from(source, (s) => map[s]);
}

/**
 * cos(v, g·w) for one pattern pair: 1 when the transformed pattern is the clean one moved like the
 * input (the layer carries g as that motion of its maps), near 0 when the signal went elsewhere.
 * Signed, because the pair's sign convention keeps a merely moved map's colours.
 */
export function movedCosine(pattern: PatternPair, t: TransformInfo, input: { height: number; width: number }): number | undefined {
  const moved = movePattern(pattern.clean, pattern, t, input);
  if (!moved) return undefined;
  let dot = 0;
  let nm = 0;
  let nv = 0;
  for (let i = 0; i < moved.length; i++) {
    dot += moved[i] * pattern.transformed[i];
    nm += moved[i] * moved[i];
    nv += pattern.transformed[i] * pattern.transformed[i];
  }
  const norm = Math.sqrt(nm * nv);
  return norm > 0 ? dot / norm : undefined;
}
