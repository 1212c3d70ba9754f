/**
 * Probe images, NCHW float32 (count, channels, height, width) already normalised the way the model
 * expects, read a batch at a time. Held as one array when they are small next to the memory budget;
 * otherwise made again for each batch that needs them (ISNet at 1024²: 32 probes are 384 MiB of a
 * 448 MiB budget, one batch 12 MiB), which gives the very same values. Three sources:
 *   - builtin: deterministic synthetic "natural-looking" images by seed (dead-leaves occlusion with
 *     power-law disc sizes, smooth illumination gradients and oriented texture), so a user with
 *     only a model gets a result;
 *   - images: PNG/JPEG files from a folder, decoded in pure JS, resized and normalised;
 *   - npy: a ready tensor fed exactly as is.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputFileError } from '../io/files';
import { decodeImageFile, ImageFileError, type DecodedImage } from '../io/images';
import { NpyFormatError, readNpyFile } from '../io/npy';
import { createRandom } from '../seis/random';
import { AnalysisError, messageOf } from './errors';
import type { ImageInput, ProbeSize } from './imageInput';

export interface ProbeSet {
  /** Probes start … start+n−1, NCHW float32, normalised; a view of the held array when there is one (do not write to it). */
  batch(start: number, n: number): Float32Array;
  /** Whether all probes are held in memory (count × plane floats) rather than made per batch. */
  readonly resident: boolean;
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly source: 'builtin' | 'images' | 'npy';
  readonly path?: string;
  readonly warnings: string[];
}

export type NormalizePreset = 'imagenet' | 'symmetric' | 'unit' | 'raw255';

export interface Normalization {
  /** Per-channel mean and std in the RGB order, applied to pixels scaled to [0, 1] (raw255: [0, 255]). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly scale255?: boolean;
}

export const NORMALIZATION_PRESETS: Readonly<Record<NormalizePreset, Normalization>> = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  symmetric: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  unit: { mean: [0, 0, 0], std: [1, 1, 1] },
  raw255: { mean: [0, 0, 0], std: [1, 1, 1], scale255: true },
};

export interface PixelOptions {
  readonly normalization: Normalization;
  /** Feed channels in BGR order (OpenCV-trained models). */
  readonly bgr: boolean;
}

/** Turns RGB planes in [0,1] (3, h, w) into the model's channels, normalised. */
function toModelChannels(rgb: Float32Array, h: number, w: number, channels: number, px: PixelOptions, out: Float32Array, offset: number): void {
  const hw = h * w;
  const { mean, std, scale255 } = px.normalization;
  const k = scale255 ? 255 : 1;
  if (channels === 1) {
    const m = (mean[0] + mean[1] + mean[2]) / 3;
    const s = (std[0] + std[1] + std[2]) / 3;
    for (let i = 0; i < hw; i++) {
      const y = 0.299 * rgb[i] + 0.587 * rgb[hw + i] + 0.114 * rgb[2 * hw + i];
      out[offset + i] = (y * k - m) / s;
    }
    return;
  }
  for (let c = 0; c < channels; c++) {
    const src = c < 3 ? (px.bgr ? 2 - c : c) : -1;
    for (let i = 0; i < hw; i++) {
      // A fourth channel is taken as opaque alpha.
      out[offset + c * hw + i] = src < 0 ? k : (rgb[src * hw + i] * k - mean[src]) / std[src];
    }
  }
}

/** Deterministic synthetic RGB image in [0,1], planes (3, h, w). */
export function syntheticImage(seed: number, h: number, w: number): Float32Array {
  const rnd = createRandom(seed);
  const img = new Float32Array(3 * h * w);
  const hw = h * w;
  // background: smooth illumination gradient
  const g0 = [rnd(), rnd(), rnd()];
  const gx = (rnd() - 0.5) * 0.6;
  const gy = (rnd() - 0.5) * 0.6;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = gx * (x / w - 0.5) + gy * (y / h - 0.5);
      for (let c = 0; c < 3; c++) img[c * hw + y * w + x] = g0[c] * 0.6 + 0.2 + t;
    }
  }
  // dead leaves: discs and ellipses painted back to front, radii power-law distributed
  const side = Math.min(h, w);
  const leaves = 40 + Math.floor(rnd() * 40);
  for (let l = 0; l < leaves; l++) {
    const rMin = side * 0.02;
    const rMax = side * 0.35;
    const r = rMin / Math.pow(1 - rnd() * (1 - Math.pow(rMin / rMax, 2)), 0.5);
    const cx = rnd() * w;
    const cy = rnd() * h;
    const ax = r * (0.5 + rnd());
    const ay = r * (0.5 + rnd());
    const th = rnd() * Math.PI;
    const [ct, st] = [Math.cos(th), Math.sin(th)];
    const col = [rnd(), rnd(), rnd()];
    // oriented stripes on some leaves: texture with a direction, which rotations visibly move
    const stripes = rnd() < 0.4;
    const freq = (2 * Math.PI) / (3 + rnd() * 10);
    const phi = rnd() * Math.PI;
    const [cp, sp] = [Math.cos(phi), Math.sin(phi)];
    const x0 = Math.max(0, Math.floor(cx - Math.max(ax, ay)));
    const x1 = Math.min(w - 1, Math.ceil(cx + Math.max(ax, ay)));
    const y0 = Math.max(0, Math.floor(cy - Math.max(ax, ay)));
    const y1 = Math.min(h - 1, Math.ceil(cy + Math.max(ax, ay)));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = x - cx;
        const dy = y - cy;
        const u = (dx * ct + dy * st) / ax;
        const v = (-dx * st + dy * ct) / ay;
        if (u * u + v * v > 1) continue;
        const shade = 0.85 + 0.15 * (1 - (u * u + v * v));
        const tex = stripes ? 0.75 + 0.25 * Math.sin(freq * (dx * cp + dy * sp)) : 1;
        for (let c = 0; c < 3; c++) img[c * hw + y * w + x] = col[c] * shade * tex;
      }
    }
  }
  // mild sensor noise so no region is perfectly flat
  for (let i = 0; i < img.length; i++) img[i] = Math.min(1, Math.max(0, img[i] + (rnd() - 0.5) * 0.03));
  return img;
}

/** Probes from a maker of probe i (writing its plane at an offset): held at once, or made per batch. */
function probeBatches(count: number, plane: number, resident: boolean, make: (i: number, out: Float32Array, offset: number) => void): Pick<ProbeSet, 'batch' | 'resident'> {
  const makeRange = (start: number, n: number) => {
    const out = new Float32Array(n * plane);
    for (let i = 0; i < n; i++) make(start + i, out, i * plane);
    return out;
  };
  return resident ? heldBatches(makeRange(0, count), plane) : { resident, batch: makeRange };
}

/** Batches as views of one held array of planes. */
function heldBatches(all: Float32Array, plane: number): Pick<ProbeSet, 'batch' | 'resident'> {
  return { resident: true, batch: (start, n) => all.subarray(start * plane, (start + n) * plane) };
}

export function builtinProbes(count: number, seed: number, input: ImageInput, size: ProbeSize, px: PixelOptions, resident = true): ProbeSet {
  const { height, width } = size;
  const plane = input.channels * height * width;
  const make = (i: number, out: Float32Array, offset: number) =>
    toModelChannels(syntheticImage((seed + Math.imul(i + 1, 0x9e3779b1)) >>> 0, height, width), height, width, input.channels, px, out, offset);
  return { ...probeBatches(count, plane, resident, make), count, channels: input.channels, height, width, source: 'builtin', warnings: [] };
}

/** Resamples RGBA8 pixels to RGB planes in [0,1] of (h, w), covering the target then centre-cropping (or stretching). */
function resizeRgba(px: Uint8Array, sw: number, sh: number, h: number, w: number, fit: 'crop' | 'stretch'): Float32Array {
  let cropW = sw;
  let cropH = sh;
  if (fit === 'crop') {
    const scale = Math.min(sw / w, sh / h);
    cropW = w * scale;
    cropH = h * scale;
  }
  const ox = (sw - cropW) / 2;
  const oy = (sh - cropH) / 2;
  const fx = cropW / w;
  const fy = cropH / h;
  // supersample when shrinking so fine detail averages instead of aliasing
  const nx = Math.max(1, Math.ceil(fx));
  const ny = Math.max(1, Math.ceil(fy));
  const out = new Float32Array(3 * h * w);
  const hw = h * w;
  const sample = (x: number, y: number, c: number): number => {
    const cxp = Math.min(sw - 1, Math.max(0, x));
    const cyp = Math.min(sh - 1, Math.max(0, y));
    const x0 = Math.floor(cxp);
    const y0 = Math.floor(cyp);
    const x1 = Math.min(sw - 1, x0 + 1);
    const y1 = Math.min(sh - 1, y0 + 1);
    const ax = cxp - x0;
    const ay = cyp - y0;
    const at = (xx: number, yy: number) => px[(yy * sw + xx) * 4 + c];
    return (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x1, y0)) + ay * ((1 - ax) * at(x0, y1) + ax * at(x1, y1));
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            acc += sample(ox + (x + (i + 0.5) / nx) * fx - 0.5, oy + (y + (j + 0.5) / ny) * fy - 0.5, c);
          }
        }
        out[c * hw + y * w + x] = acc / (nx * ny * 255);
      }
    }
  }
  return out;
}

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export function imageProbes(dir: string, maxImages: number, input: ImageInput, size: ProbeSize, px: PixelOptions, fit: 'crop' | 'stretch', resident = true): ProbeSet {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new AnalysisError('probe-input', `--images ${dir} is a file; pass the folder that holds the images`);
    names = readdirSync(dir).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
  } catch (err) {
    if (err instanceof AnalysisError) throw err;
    throw new AnalysisError('probe-input', `--images ${dir}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path`);
  }
  if (names.length === 0) throw new AnalysisError('probe-input', `--images ${dir} holds no .png, .jpg or .jpeg files; add images or leave out --images to use the built-in probes`);
  const warnings: string[] = [];
  if (names.length > maxImages) {
    warnings.push(`${names.length} images in ${dir}; the first ${maxImages} (sorted by name) were used (raise --max-images for more)`);
    names = names.slice(0, maxImages);
  }
  const { height, width } = size;
  const plane = input.channels * height * width;
  const probe = (decoded: DecodedImage, out: Float32Array, offset: number) =>
    toModelChannels(resizeRgba(decoded.data, decoded.width, decoded.height, height, width, fit), height, width, input.channels, px, out, offset);
  // Every file is decoded here, so the ones that cannot be are named now; held probes keep the result.
  const usable: string[] = [];
  const held: Float32Array[] = [];
  for (const n of names) {
    const path = join(dir, n);
    let decoded;
    try {
      decoded = decodeImageFile(path);
    } catch (err) {
      // Refused files and images are named with the reason; the rest of the folder is still used.
      if (err instanceof InputFileError || err instanceof ImageFileError) warnings.push(`${n} skipped: ${err.message}`);
      else warnings.push(`${n} skipped: not a readable ${extname(n).slice(1).toUpperCase()} image (${err instanceof Error ? err.message : String(err)})`);
      continue;
    }
    usable.push(path);
    if (resident) {
      const one = new Float32Array(plane);
      probe(decoded, one, 0);
      held.push(one);
    }
  }
  if (usable.length === 0) throw new AnalysisError('probe-input', `--images ${dir}: none of the ${names.length} images could be decoded; see the warnings`);
  const make = (i: number, out: Float32Array, offset: number) => (resident ? out.set(held[i], offset) : probe(decodeAgain(usable[i]), out, offset));
  const batches = probeBatches(usable.length, plane, resident, make);
  held.length = 0;
  return { ...batches, count: usable.length, channels: input.channels, height, width, source: 'images', path: dir, warnings };
}

/** An image of a set made per batch, read again for a later pass: it must not have changed or gone. */
function decodeAgain(path: string): DecodedImage {
  try {
    return decodeImageFile(path);
  } catch (err) {
    throw new AnalysisError('probe-input', `${path} could not be read again for a later pass (${messageOf(err)}); the probe images are read once per pass when they are too large to hold, so keep the folder unchanged while an analysis runs`);
  }
}

/** A ready tensor in the model's own layout; converted to NCHW internally, fed back exactly. */
export function npyProbes(path: string, input: ImageInput): ProbeSet {
  let arr;
  try {
    arr = readNpyFile(path);
  } catch (err) {
    if (err instanceof NpyFormatError) throw new AnalysisError('probe-input', `--inputs ${err.message}`);
    throw err;
  }
  const s = arr.shape;
  const expected = input.layout === 'NCHW' ? '(N, C, H, W)' : '(N, H, W, C)';
  if (s.length !== 4) throw new AnalysisError('probe-input', `--inputs ${path} has shape (${s.join(', ')}); the model's image input '${input.name}' takes ${expected}: save a rank-4 array`);
  const [n, c, h, w] = input.layout === 'NCHW' ? s : [s[0], s[3], s[1], s[2]];
  const mismatch = (what: string, got: number, want: number | undefined) => {
    if (want !== undefined && got !== want) {
      throw new AnalysisError('probe-input', `--inputs ${path} has shape (${s.join(', ')}) in ${expected} order: ${what} ${got}, but the model's input '${input.name}' fixes it to ${want}; save the array in the model's layout and size`);
    }
  };
  mismatch('channels', c, input.channels);
  mismatch('height', h, input.fixedHeight);
  mismatch('width', w, input.fixedWidth);
  if (n < 2) throw new AnalysisError('probe-input', `--inputs ${path} holds ${n} image; SEIS needs several probes (at least 2, better 16 or more)`);
  const data = new Float32Array(n * c * h * w);
  if (input.layout === 'NCHW') data.set(arr.data);
  else {
    for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) data[((b * c + ch) * h + y) * w + x] = arr.data[((b * h + y) * w + x) * c + ch];
  }
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
  if (bad > 0) throw new AnalysisError('probe-input', `--inputs ${path} contains ${bad} NaN or infinite values; clean the array before probing`);
  // The array is read whole anyway: it stays held.
  return { ...heldBatches(data, c * h * w), count: n, channels: c, height: h, width: w, source: 'npy', path, warnings: [] };
}

/** NCHW probes → the model's layout, for feeding. */
export function toInputLayout(data: Float32Array, shape: readonly number[], layout: 'NCHW' | 'NHWC'): Float32Array {
  if (layout === 'NCHW') return data;
  const [b, c, h, w] = shape;
  const out = new Float32Array(data.length);
  for (let n = 0; n < b; n++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((n * h + y) * w + x) * c + ch] = data[((n * c + ch) * h + y) * w + x];
  return out;
}
