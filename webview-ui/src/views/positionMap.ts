/**
 * Where a transform of the input moves each position of a layer's (pooled) grid, for the transforms
 * that are position maps: quarter turns, flips and circular shifts by whole grid cells. Used to draw
 * "the clean pattern moved like the input" beside the transformed pattern (issue 10): if the layer
 * carries the transform as the same motion of its maps, the two look alike.
 *
 * Conventions follow the engine's transforms (docs/method.md, src/analysis/transforms.ts): rotations
 * are counter-clockwise on screen (rot90 = numpy.rot90(x, 1) over the last two axes), `flip-h` mirrors
 * left-right, `shift-x d` moves content d pixels right with wrap-around. A shift of d input pixels is d·w/W
 * cells of a grid w cells wide; it is a position map only when that is a whole number. Pure: unit-tested
 * in Node against the engine's own transform.
 */
import type { TransformInfo } from '../../../src/shared/results';

export type MovedPattern =
  | { readonly ok: true; readonly values: number[] }
  | { readonly ok: false; readonly reason: string };

/** Source index (row-major) of each output cell of an h×w grid, or why the transform is not a position map there. */
export function positionMap(t: Pick<TransformInfo, 'kind' | 'params' | 'exact' | 'id'>, height: number, width: number,
  input?: { readonly height: number; readonly width: number }): { ok: true; source: Uint32Array } | { ok: false; reason: string } {
  const p = t.params ?? {};
  let at: (i: number, j: number) => [number, number];
  switch (t.kind) {
    case 'identity':
      at = (i, j) => [i, j];
      break;
    case 'flip':
      at = p.axis === 1 ? (i, j) => [i, width - 1 - j] : (i, j) => [height - 1 - i, j];
      break;
    case 'rotation': {
      const deg = Number(p.degrees);
      if (!Number.isFinite(deg) || Math.abs(deg / 90 - Math.round(deg / 90)) > 1e-9) {
        return { ok: false, reason: `${t.id} is not a quarter turn, so it moves positions between grid cells (interpolated)` };
      }
      const turns = ((Math.round(deg / 90) % 4) + 4) % 4;
      if (turns % 2 === 1 && height !== width) return { ok: false, reason: `${t.id} does not map a ${height}×${width} grid onto itself` };
      at = turns === 1 ? (i, j) => [j, width - 1 - i]
        : turns === 2 ? (i, j) => [height - 1 - i, width - 1 - j]
          : turns === 3 ? (i, j) => [height - 1 - j, i]
            : (i, j) => [i, j];
      break;
    }
    case 'shift': {
      const cells = (pixels: number, cellsAcross: number, inputAcross: number | undefined): number | undefined => {
        if (!pixels) return 0;
        const moved = inputAcross ? (pixels * cellsAcross) / inputAcross : pixels;
        return Math.abs(moved - Math.round(moved)) < 1e-9 ? Math.round(moved) : undefined;
      };
      const dx = cells(Number(p.dx) || 0, width, input?.width);
      const dy = cells(Number(p.dy) || 0, height, input?.height);
      if (dx === undefined || dy === undefined) {
        return { ok: false, reason: `${t.id} moves this ${height}×${width} grid by a fraction of a cell (the map is pooled from ${input?.height}×${input?.width})` };
      }
      at = (i, j) => [(((i - dy) % height) + height) % height, (((j - dx) % width) + width) % width];
      break;
    }
    default:
      return { ok: false, reason: `${t.id} (${t.kind}) is not a position map on the grid` };
  }
  const source = new Uint32Array(height * width);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const [si, sj] = at(i, j);
      source[i * width + j] = si * width + sj;
    }
  }
  return { ok: true, source };
}

/** The pattern as the transform would move it (values row-major over height×width). */
export function movePattern(t: Pick<TransformInfo, 'kind' | 'params' | 'exact' | 'id'>, values: readonly number[], height: number, width: number,
  input?: { readonly height: number; readonly width: number }): MovedPattern {
  if (values.length !== height * width) return { ok: false, reason: `the pattern has ${values.length} values for a ${height}×${width} grid` };
  const map = positionMap(t, height, width, input);
  if (!map.ok) return map;
  return { ok: true, values: Array.from(map.source, (s) => values[s]) };
}

/** |cos| between two patterns: how alike the moved clean pattern and the transformed one are. */
export function absCosine(a: readonly number[], b: readonly number[]): number | undefined {
  if (a.length !== b.length || a.length === 0) return undefined;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return aa > 0 && bb > 0 ? Math.abs(ab) / Math.sqrt(aa * bb) : undefined;
}
