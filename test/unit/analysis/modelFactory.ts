/**
 * Small ONNX models built with the onnx-proto schema, for tests: a two-conv CNN with its weights in
 * initializers or Constant nodes, and deliberately broken variants (custom op, no image input,
 * external data inside and outside the model's folder).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
type DimSpec = number | string;

export function tempDir(prefix = 'seis-analysis-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function valueInfo(name: string, dims: DimSpec[], elemType = FLOAT): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/** Deterministic small weights (a sine pattern, so filters differ from each other). */
function weights(name: string, dims: number[], seed: number): onnx.ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  const floatData = Array.from({ length: n }, (_, i) => 0.3 * Math.sin(seed * 12.9898 + i * 78.233));
  return { name, dims, dataType: FLOAT, floatData };
}

export interface ConvModelOptions {
  readonly inputDims?: DimSpec[];
  /** Take (N,H,W,C) and transpose to NCHW first, as TensorFlow exports do. */
  readonly nhwc?: boolean;
  /** Input channels (default 3). */
  readonly channels?: number;
  readonly weightsAs?: 'initializer' | 'constant';
  /** Extra graph outputs besides `y` (e.g. 'c1' so tests can read a layer directly). */
  readonly extraOutputs?: string[];
  readonly customOp?: boolean;
  /** Log instead of Relu: NaN wherever the first conv is negative. */
  readonly nanActivation?: boolean;
}

/** x (N,3,H,W) → Conv 8×3×3×3 → c1 → Relu → r1 → Conv 8×8×3×3 stride 2 → c2 → GlobalAveragePool → g → Flatten → y. */
export function convModel(options: ConvModelOptions = {}): Uint8Array {
  const channels = options.channels ?? 3;
  const inputDims = options.inputDims ?? (options.nhwc ? ['batch', 'height', 'width', channels] : ['batch', channels, 'height', 'width']);
  const w1 = weights('w1', [8, channels, 3, 3], 1);
  const w2 = weights('w2', [8, 8, 3, 3], 2);
  const asConstant = options.weightsAs === 'constant';
  const constNode = (t: onnx.ITensorProto): onnx.INodeProto => ({ opType: 'Constant', output: [t.name as string], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }] });
  const ints = (name: string, v: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const nodes: onnx.INodeProto[] = [
    ...(asConstant ? [constNode(w1), constNode(w2)] : []),
    ...(options.nhwc ? [{ name: 'to_nchw', opType: 'Transpose', input: ['x'], output: ['xt'], attribute: [ints('perm', [0, 3, 1, 2])] }] : []),
    { name: 'conv1', opType: 'Conv', input: [options.nhwc ? 'xt' : 'x', 'w1'], output: ['c1'], attribute: [ints('pads', [1, 1, 1, 1]), ints('kernel_shape', [3, 3])] },
    options.customOp
      ? { name: 'act1', opType: 'FancyActivation', domain: 'com.example.custom', input: ['c1'], output: ['r1'] }
      : { name: 'relu1', opType: options.nanActivation ? 'Log' : 'Relu', input: ['c1'], output: ['r1'] },
    { name: 'conv2', opType: 'Conv', input: ['r1', 'w2'], output: ['c2'], attribute: [ints('pads', [1, 1, 1, 1]), ints('kernel_shape', [3, 3]), ints('strides', [2, 2])] },
    { name: 'gap', opType: 'GlobalAveragePool', input: ['c2'], output: ['g'] },
    { name: 'flat', opType: 'Flatten', input: ['g'], output: ['y'] },
  ];
  const outputs = [valueInfo('y', [inputDims[0], 8]), ...(options.extraOutputs ?? []).map((name) => ({ name }))];
  const model: onnx.IModelProto = {
    irVersion: 7,
    producerName: 'seis-lens-tests',
    opsetImport: [{ domain: '', version: 13 }, ...(options.customOp ? [{ domain: 'com.example.custom', version: 1 }] : [])],
    graph: {
      name: 'tiny-cnn',
      node: nodes,
      initializer: asConstant ? [] : [w1, w2],
      input: [valueInfo('x', inputDims)],
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/**
 * The conv model behind onnxruntime's dynamic quantisation of its input, as quantised exports are:
 * x → DynamicQuantizeLinear → (xq, x_scale, x_zero) ; x_scale × 0.5 → x_half ; DequantizeLinear →
 * xd → the two convs. x_scale and x_half are float scalars, x_zero a uint8 scalar.
 */
export function quantizedInputModel(): Uint8Array {
  const decoded = onnx.ModelProto.decode(convModel());
  const graph = decoded.graph as onnx.GraphProto;
  const conv1 = graph.node.find((n) => n.name === 'conv1') as onnx.NodeProto;
  conv1.input[0] = 'xd';
  graph.initializer.push(onnx.TensorProto.create({ name: 'half', dims: [], dataType: FLOAT, floatData: [0.5] }));
  graph.node.unshift(
    onnx.NodeProto.create({ name: 'quant', opType: 'DynamicQuantizeLinear', input: ['x'], output: ['xq', 'x_scale', 'x_zero'] }),
    onnx.NodeProto.create({ name: 'halve', opType: 'Mul', input: ['x_scale', 'half'], output: ['x_half'] }),
    onnx.NodeProto.create({ name: 'dequant', opType: 'DequantizeLinear', input: ['xq', 'x_scale', 'x_zero'], output: ['xd'] }),
  );
  return onnx.ModelProto.encode(decoded).finish();
}

/** A model on a (N, 10) vector: no image input. */
export function vectorModel(): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mlp',
      node: [{ opType: 'Relu', input: ['v'], output: ['y'] }],
      input: [valueInfo('v', ['batch', 10])],
      output: [valueInfo('y', ['batch', 10])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** The conv model with w1 stored as external data at `location` (relative to the model file). */
export function externalDataModel(location: string): { model: Uint8Array; data: Uint8Array } {
  const decoded = onnx.ModelProto.decode(convModel());
  const w1 = (decoded.graph as onnx.GraphProto).initializer.find((t) => t.name === 'w1') as onnx.TensorProto;
  const data = new Uint8Array(Float32Array.from(w1.floatData).buffer);
  w1.floatData = [];
  w1.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  w1.externalData = [
    onnx.StringStringEntryProto.create({ key: 'location', value: location }),
    onnx.StringStringEntryProto.create({ key: 'offset', value: '0' }),
    onnx.StringStringEntryProto.create({ key: 'length', value: String(data.length) }),
  ];
  return { model: onnx.ModelProto.encode(decoded).finish(), data };
}

export function writeModel(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

export const OCR_ASSETS = join(__dirname, '..', '..', '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');
export const CLS_MODEL = join(OCR_ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
export const DET_MODEL = join(OCR_ASSETS, 'ch_PP-OCRv4_det_infer.onnx');
export const WORD_CROPS_DIR = '/usr/share/doc/opencv-doc/examples/text';
