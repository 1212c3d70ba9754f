/**
 * Input transforms g, applied to a probe batch held as NCHW float32 (b, c, h, w).
 *
 * Ids are stable because they key every score map in the results:
 *   identity · rot<deg> (rot90/rot180/rot270 exact, others bilinear) · flip-h · flip-v ·
 *   shift-x<px>, shift-y<px>, shift-x<px>-y<px> (circular: exact for whole pixels, bilinear with
 *   wrap-around otherwise) · scale<f> (zoom about the centre) · affine-s<seed> (seeded random affine).
 * Rotations are counter-clockwise as seen on screen, so rot90 equals numpy.rot90(x, 1, axes=(2, 3)).
 * Interpolated transforms sample bilinearly and fill pixels that come from outside the image with
 * `fill` (0, which is the mean pixel after the usual normalisations).
 */
import type { TransformInfo, TransformKind } from '../shared/results';
import { AnalysisError } from './errors';
import { createRandom } from '../seis/random';
import { familyOf } from './sweeps';
import { positionSourceIndex } from '../shared/positionMap';

// The default list lives with every other default; re-exported for existing importers.
export { DEFAULT_TRANSFORMS } from '../shared/defaults';

const num = '(-?\\d+(?:\\.\\d+)?)';
const isWhole = (v: number) => Math.abs(v - Math.round(v)) < 1e-9;

function info(id: string, label: string, kind: TransformKind, exact: boolean, params: Record<string, number>): TransformInfo {
  return { id, label, kind, exact, params, ...familyOf(kind, params) };
}

/** Parameters beyond this (pixels, degrees, seeds) are typing accidents, and past ~1e308 they become Infinity. */
const MAX_PARAMETER = 0xffffffff;

/** Parses one transform id; throws AnalysisError('bad-option') naming the id and the grammar. */
export function parseTransform(id: string): TransformInfo {
  const s = id.trim();
  const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  for (const digits of s.match(/\d+(?:\.\d+)?/g) ?? []) {
    if (!(Math.abs(Number(digits)) <= MAX_PARAMETER)) {
      throw new AnalysisError('bad-option', `transform '${shown}': the number ${digits.length > 12 ? `${digits.slice(0, 12)}… (${digits.length} digits)` : digits} is out of range (at most ${MAX_PARAMETER})`);
    }
  }
  let m: RegExpMatchArray | null;
  if (s === 'identity') return info(s, 'identity (sanity check)', 'identity', true, {});
  if (s === 'flip-h') return info(s, 'horizontal flip', 'flip', true, { axis: 1 });
  if (s === 'flip-v') return info(s, 'vertical flip', 'flip', true, { axis: 0 });
  if ((m = s.match(new RegExp(`^rot${num}$`)))) {
    const deg = Number(m[1]);
    const exact = isWhole(deg / 90);
    return info(s, `rotation ${deg}°`, 'rotation', exact, { degrees: deg });
  }
  if ((m = s.match(new RegExp(`^shift(?:-x${num})?(?:-y${num})?$`))) && (m[1] !== undefined || m[2] !== undefined)) {
    const dx = m[1] === undefined ? 0 : Number(m[1]);
    const dy = m[2] === undefined ? 0 : Number(m[2]);
    const exact = isWhole(dx) && isWhole(dy);
    const parts = [dx ? `${dx} px right` : '', dy ? `${dy} px down` : ''].filter(Boolean).join(', ');
    return info(s, `circular shift ${parts || '0 px'}`, 'shift', exact, { dx, dy });
  }
  if ((m = s.match(new RegExp(`^scale${num}$`)))) {
    const f = Number(m[1]);
    if (!(f > 0.1 && f < 10)) throw new AnalysisError('bad-option', `transform '${s}': the scale factor must be between 0.1 and 10`);
    return info(s, `scale ×${f}`, 'scale', f === 1, { factor: f });
  }
  if ((m = s.match(/^affine-s(\d+)$/))) {
    const seed = Number(m[1]);
    const next = createRandom(seed ^ 0x5eed_aff1);
    const u = (lo: number, hi: number) => lo + (hi - lo) * next();
    const p = { seed, degrees: u(-20, 20), scale: u(0.9, 1.1), shearDegrees: u(-10, 10), translateX: u(-0.1, 0.1), translateY: u(-0.1, 0.1) };
    return info(s, `random affine (seed ${seed})`, 'affine', false, p);
  }
  throw new AnalysisError(
    'bad-option',
    `unknown transform '${shown}'; use identity, rot<deg> (rot90, rot180, rot270, rot30…), flip-h, flip-v, shift-x<px>, shift-y<px>, shift-x<px>-y<px>, scale<f> (scale1.25) or affine-s<seed>`,
  );
}

/** Parses a comma-separated list, refusing duplicates so score maps keep one entry per id. */
export function parseTransforms(list: string | readonly string[]): TransformInfo[] {
  const ids = (typeof list === 'string' ? list.split(',') : [...list]).map((x) => x.trim()).filter(Boolean);
  if (ids.length === 0) throw new AnalysisError('bad-option', 'no transforms given; e.g. --transforms rot90,flip-h,shift-x4');
  const seen = new Set<string>();
  return ids.map((id) => {
    if (seen.has(id)) throw new AnalysisError('bad-option', `transform '${id}' is listed twice`);
    seen.add(id);
    return parseTransform(id);
  });
}

/** Why a transform cannot keep the probe shape, or undefined when it can. */
export function unavailableReason(t: TransformInfo, height: number, width: number): string | undefined {
  const quarterTurns = Math.round(t.params.degrees / 90);
  if (t.kind === 'rotation' && t.exact && height !== width && Math.abs(quarterTurns % 2) === 1) {
    return `${t.id} turns the ${height}x${width} probe into ${width}x${height}, so the activations cannot be paired position by position; use a square probe size (--size ${Math.max(height, width)}) or rot180`;
  }
  return undefined;
}

/** 2×3 inverse map: output pixel (x, y) samples the source at (a·x + b·y + c, d·x + e·y + f). */
type Affine = [number, number, number, number, number, number];

function inverseMap(t: TransformInfo, h: number, w: number): { map: Affine; wrap: boolean } {
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  // Source = centre + M⁻¹ (p − centre − translation), expressed as an affine of p.
  const around = (inv: [number, number, number, number], tx = 0, ty = 0): Affine => {
    const [a, b, d, e] = inv;
    const px = cx + tx;
    const py = cy + ty;
    return [a, b, cx - a * px - b * py, d, e, cy - d * px - e * py];
  };
  const p = t.params;
  switch (t.kind) {
    case 'identity':
      return { map: [1, 0, 0, 0, 1, 0], wrap: false };
    case 'flip':
      return { map: p.axis === 1 ? [-1, 0, w - 1, 0, 1, 0] : [1, 0, 0, 0, -1, h - 1], wrap: false };
    case 'rotation': {
      const r = (p.degrees * Math.PI) / 180;
      const c = Math.cos(r);
      const s = Math.sin(r);
      return { map: around([c, -s, s, c]), wrap: false };
    }
    case 'shift':
      return { map: [1, 0, -p.dx, 0, 1, -p.dy], wrap: true };
    case 'scale':
      return { map: around([1 / p.factor, 0, 0, 1 / p.factor]), wrap: false };
    case 'affine': {
      // Forward M = R(θ)·Shear·S; the inverse is taken numerically.
      const r = (p.degrees * Math.PI) / 180;
      const sh = Math.tan((p.shearDegrees * Math.PI) / 180);
      const [c, s] = [Math.cos(r), Math.sin(r)];
      // forward on screen coords (y down), counter-clockwise as for rotations
      const fa = c * p.scale;
      const fb = (c * sh + s) * p.scale;
      const fd = -s * p.scale;
      const fe = (-s * sh + c) * p.scale;
      const det = fa * fe - fb * fd;
      return { map: around([fe / det, -fb / det, -fd / det, fa / det], p.translateX * w, p.translateY * h), wrap: false };
    }
  }
}

/** Applies g to every image and channel of an NCHW batch; returns a new array of the same shape. */
export function applyTransform(t: TransformInfo, data: Float32Array, shape: readonly number[], fill = 0): Float32Array {
  const [b, c, h, w] = shape;
  const out = new Float32Array(data.length);
  const planes = b * c;
  const hw = h * w;
  if (t.exact && (t.kind === 'rotation' || t.kind === 'shift' || t.kind === 'flip' || t.kind === 'identity' || t.kind === 'scale')) {
    const src = positionSourceIndex(t, h, w);
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * hw;
      for (let i = 0; i < hw; i++) out[base + i] = data[base + src[i]];
    }
    return out;
  }
  // The sampling pattern is the same for every plane: four source taps and weights per output pixel
  // (tap −1 = outside the image, which reads `fill`).
  const { map, wrap } = inverseMap(t, h, w);
  const [a, bb, cc, d, e, f] = map;
  const taps = new Int32Array(4 * hw);
  const weights = new Float64Array(4 * hw);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sx = a * x + bb * y + cc;
      let sy = d * x + e * y + f;
      if (wrap) {
        sx = ((sx % w) + w) % w;
        sy = ((sy % h) + h) % h;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = 4 * (y * w + x);
      const corners: [number, number, number][] = [
        [y0, x0, (1 - fy) * (1 - fx)],
        [y0, x0 + 1, (1 - fy) * fx],
        [y0 + 1, x0, fy * (1 - fx)],
        [y0 + 1, x0 + 1, fy * fx],
      ];
      corners.forEach(([yy, xx, wt], k) => {
        if (wrap) taps[o + k] = (yy % h) * w + (xx % w);
        else taps[o + k] = yy >= 0 && yy < h && xx >= 0 && xx < w ? yy * w + xx : -1;
        weights[o + k] = wt;
      });
    }
  }
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * hw;
    for (let i = 0; i < hw; i++) {
      let acc = 0;
      for (let k = 4 * i; k < 4 * i + 4; k++) acc += weights[k] * (taps[k] < 0 ? fill : data[base + taps[k]]);
      out[base + i] = acc;
    }
  }
  return out;
}
