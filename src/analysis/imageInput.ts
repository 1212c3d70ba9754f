/**
 * Finding the image input of a model and the probe size to feed it.
 *
 * An image input is a rank-4 float tensor whose channel axis (1 for NCHW, 3 for NHWC) holds 1–4
 * channels, or is dynamic. Dynamic spatial dims (named like `p2o.DynamicDimension.0` or anonymous)
 * get the probe size the user asked for, 224 by default.
 */
import { DEFAULTS } from '../shared/defaults';
import { AnalysisError } from './errors';
import { Dim, ElemType, ModelView, TensorInfo } from './onnxModel';

export type InputLayout = 'NCHW' | 'NHWC';

export interface ImageInput {
  readonly name: string;
  readonly layout: InputLayout;
  readonly elemType: number;
  readonly declared: readonly Dim[];
  readonly channels: number;
  /** Fixed batch size, or undefined when the batch dim is dynamic. */
  readonly fixedBatch?: number;
  readonly fixedHeight?: number;
  readonly fixedWidth?: number;
}

/** Sides beyond this are a broken export, not an image model. */
export const MAX_SIDE = 8192;
const MAX_CHANNELS = 4;
const SUPPORTED_TYPES = new Map<number, string>([
  [ElemType.FLOAT, 'float32'],
  [ElemType.DOUBLE, 'float64'],
]);
const TYPE_NAMES = new Map<number, string>([
  [ElemType.UINT8, 'uint8'],
  [ElemType.INT8, 'int8'],
  [ElemType.INT64, 'int64'],
  [ElemType.FLOAT16, 'float16'],
]);

const fixed = (d: Dim | undefined): number | undefined => (typeof d === 'number' ? d : undefined);
const describeDims = (dims: readonly Dim[] | undefined) => (dims ? `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : 'no declared shape');

function checkDims(model: ModelView, input: TensorInfo): void {
  for (const d of input.dims ?? []) {
    if (typeof d === 'number' && (d < 0 || d > 1_000_000)) {
      throw new AnalysisError('absurd-dims', `${model.fileName}: input '${input.name}' declares a dimension of ${d} ${describeDims(input.dims)}; the export is broken: re-export with the real input shape`);
    }
  }
}

function classify(input: TensorInfo): InputLayout | undefined {
  const dims = input.dims;
  if (!dims || dims.length !== 4) return undefined;
  const c1 = fixed(dims[1]);
  const c3 = fixed(dims[3]);
  const small = (c: number | undefined) => c !== undefined && c >= 1 && c <= MAX_CHANNELS;
  if (small(c1)) return 'NCHW';
  if (small(c3)) return 'NHWC';
  if (c1 === undefined && c3 === undefined) return 'NCHW';
  return undefined;
}

/** Picks the image input; every problem becomes an AnalysisError naming the input and what to do. */
export function findImageInput(model: ModelView, warnings: string[]): ImageInput {
  if (model.inputs.length === 0) {
    throw new AnalysisError('no-image-input', `${model.fileName} has no inputs (everything is a constant); there is nothing to probe`);
  }
  for (const input of model.inputs) checkDims(model, input);
  const candidates = model.inputs.filter((i) => classify(i) !== undefined);
  if (candidates.length === 0) {
    const list = model.inputs.map((i) => `'${i.name}' ${describeDims(i.dims)}`).join(', ');
    throw new AnalysisError(
      'no-image-input',
      `${model.fileName} has no image input: SEIS Lens needs a rank-4 tensor (N,C,H,W) or (N,H,W,C) with 1–4 channels, and the model takes ${list}. Models on text, tabular or sequence inputs cannot be probed with images`,
    );
  }
  const input = candidates[0];
  const others = model.inputs.filter((i) => i !== input);
  if (others.length > 0) {
    throw new AnalysisError(
      'model-unsupported',
      `${model.fileName} needs inputs besides the image '${input.name}': ${others.map((i) => `'${i.name}' ${describeDims(i.dims)}`).join(', ')}; SEIS Lens feeds one image tensor. Export a model whose only input is the image`,
    );
  }
  const layout = classify(input) as InputLayout;
  const dims = input.dims as Dim[];
  const elemType = input.elemType ?? ElemType.FLOAT;
  if (!SUPPORTED_TYPES.has(elemType)) {
    const t = TYPE_NAMES.get(elemType) ?? `type ${elemType}`;
    throw new AnalysisError('model-unsupported', `${model.fileName}: image input '${input.name}' is ${t}; SEIS Lens feeds float32 or float64 images. Export the model with a float input (put any cast inside the graph)`);
  }
  const [b, c, h, w] = layout === 'NCHW' ? dims : [dims[0], dims[3], dims[1], dims[2]];
  let channels = fixed(c);
  if (channels === undefined) {
    channels = 3;
    warnings.push(`input '${input.name}' does not declare its channel count; assuming 3 (RGB)`);
  }
  for (const [side, label] of [[h, 'height'], [w, 'width']] as const) {
    const v = fixed(side);
    if (v !== undefined && v > MAX_SIDE) {
      throw new AnalysisError('absurd-dims', `${model.fileName}: input '${input.name}' declares a ${label} of ${v} ${describeDims(dims)}, beyond ${MAX_SIDE}; re-export with a realistic input size`);
    }
  }
  return { name: input.name, layout, elemType, declared: dims, channels, fixedBatch: fixed(b), fixedHeight: fixed(h), fixedWidth: fixed(w) };
}

export interface ProbeSize {
  readonly height: number;
  readonly width: number;
}

/** Fixed sides win; dynamic ones take the requested size (default 224). */
export function chooseProbeSize(input: ImageInput, requested: ProbeSize | undefined, warnings: string[]): ProbeSize {
  const want = requested ?? { height: DEFAULTS.size, width: DEFAULTS.size };
  for (const v of [want.height, want.width]) {
    if (!Number.isInteger(v) || v < 4 || v > MAX_SIDE) {
      throw new AnalysisError('bad-option', `probe size ${want.height}x${want.width} is out of range; use sides between 4 and ${MAX_SIDE}`);
    }
  }
  const height = input.fixedHeight ?? want.height;
  const width = input.fixedWidth ?? want.width;
  if (requested && (height !== requested.height || width !== requested.width)) {
    warnings.push(`the model fixes its input to ${height}x${width}; the requested probe size ${requested.height}x${requested.width} was not used`);
  }
  return { height, width };
}

/** The next sizes to try when the model rejects a dynamic size (e.g. an FPN needing multiples of 32). */
export function roundedSizes(input: ImageInput, size: ProbeSize): ProbeSize[] {
  const out: ProbeSize[] = [];
  for (const m of [32, 64, 128]) {
    const round = (v: number) => Math.max(m, Math.round(v / m) * m);
    const next = { height: input.fixedHeight ?? round(size.height), width: input.fixedWidth ?? round(size.width) };
    if (!out.some((s) => s.height === next.height && s.width === next.width) && (next.height !== size.height || next.width !== size.width)) out.push(next);
  }
  return out;
}

/** Shape fed to the model for `batch` probes. */
export function feedShape(input: ImageInput, batch: number, size: ProbeSize): number[] {
  return input.layout === 'NCHW' ? [batch, input.channels, size.height, size.width] : [batch, size.height, size.width, input.channels];
}
