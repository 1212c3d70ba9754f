/**
 * Transforms that only move whole positions (90° rotations, flips, whole-pixel circular shifts) as
 * index maps: the one home of that arithmetic, used to move probe images (src/analysis/transforms.ts)
 * and to move a layer's canonical pattern by the transform (docs/patterns.md), so the panel can set
 * "the clean pattern, moved like the input" beside the transformed one (the webview's patterns view
 * imports it too). Conventions are the engine's (docs/method.md): rotations counter-clockwise on
 * screen (rot90 = numpy.rot90(x, 1) over the last two axes), flip-h mirrors left-right, shift-x d moves
 * content d pixels right with wrap-around. Pure; safe for every bundle.
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

type Grid = { readonly height: number; readonly width: number };
type Placed = Pick<TransformInfo, 'kind' | 'params' | 'exact' | 'id'>;

/** How a transform acts on a layer's grid, or, when it does not move whole positions there, why. */
export type GridMotion = { readonly ok: true; readonly motion: Movable } | { readonly ok: false; readonly reason: string };

/**
 * The transform as it acts on a layer's grid, when it moves whole positions there; otherwise the
 * reason it does not (interpolating transforms, odd quarter turns of a non-square grid, a shift that
 * is not a whole number of the layer's cells). A shift of dx input pixels moves a layer whose grid is
 * `gridWidth/inputWidth` of the input by dx·gridWidth/inputWidth cells; without the input's size the
 * grid is taken to be the input.
 */
export function gridMotion(t: Placed, grid: Grid, input: Grid = grid): GridMotion {
  const { height, width } = grid;
  if (t.kind === 'identity' || t.kind === 'flip') return { ok: true, motion: t };
  if (t.kind === 'rotation') {
    if (!t.exact) return { ok: false, reason: `${t.id} is not a quarter turn, so it moves positions between grid cells (interpolated)` };
    const odd = Math.abs(Math.round(t.params.degrees / 90)) % 2 === 1;
    if (odd && height !== width) return { ok: false, reason: `${t.id} does not map a ${height}×${width} grid onto itself` };
    return { ok: true, motion: t };
  }
  if (t.kind === 'shift') {
    if (!t.exact) return { ok: false, reason: `${t.id} is not a whole-pixel shift, so it moves positions between grid cells (interpolated)` };
    const dx = ((t.params.dx || 0) * width) / input.width;
    const dy = ((t.params.dy || 0) * height) / input.height;
    if (Math.abs(dx - Math.round(dx)) > WHOLE || Math.abs(dy - Math.round(dy)) > WHOLE) {
      return { ok: false, reason: `${t.id} moves this ${height}×${width} grid by a fraction of a cell (the map is pooled from ${input.height}×${input.width})` };
    }
    return { ok: true, motion: { kind: 'shift', params: { dx: Math.round(dx), dy: Math.round(dy) } } };
  }
  return { ok: false, reason: `${t.id} (${t.kind}) is not a position map on the grid` };
}

/** g·map on the layer's grid (row-major values), or why g does not move whole positions there (see gridMotion). */
export type MovedMap = { readonly ok: true; readonly values: Float64Array } | { readonly ok: false; readonly reason: string };

/** g·map on the layer's grid with the reason when it cannot be drawn: what the panel shows. */
export function moveOnGrid(map: ArrayLike<number>, grid: Grid, t: Placed, input: Grid = grid): MovedMap {
  if (map.length !== grid.height * grid.width) {
    return { ok: false, reason: `the pattern has ${map.length} values for a ${grid.height}×${grid.width} grid` };
  }
  const moved = gridMotion(t, grid, input);
  if (!moved.ok) return moved;
  const source = positionSourceIndex(moved.motion, grid.height, grid.width);
  return { ok: true, values: Float64Array.from(source, (s) => map[s]) };
}

/** g·map on the layer's grid, or undefined when g does not move whole positions there (see gridMotion). */
export function movePattern(map: ArrayLike<number>, grid: Grid, t: Placed, input: Grid): Float64Array | undefined {
  const moved = moveOnGrid(map, grid, t, input);
  return moved.ok ? moved.values : undefined;
}

/** cos(a, b), or undefined when the lengths differ, are empty, or either is all zeros. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number | undefined {
  if (a.length !== b.length || a.length === 0) return undefined;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : undefined;
}

/** |cos(a, b)|: how alike two maps are whatever their sign convention (the panel's agreement figure). */
export function absCosine(a: ArrayLike<number>, b: ArrayLike<number>): number | undefined {
  const c = cosine(a, b);
  return c === undefined ? undefined : Math.abs(c);
}

/**
 * cos(v, g·w) for one pattern pair: 1 when the transformed pattern is the clean one moved like the
 * input (the layer carries g as that motion of its maps), near 0 when the signal went elsewhere.
 * Signed, because the pair's sign convention keeps a merely moved map's colours.
 */
export function movedCosine(pattern: PatternPair, t: TransformInfo, input: Grid): number | undefined {
  const moved = movePattern(pattern.clean, pattern, t, input);
  return moved ? cosine(moved, pattern.transformed) : undefined;
}
