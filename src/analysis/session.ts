/**
 * Instrumented onnxruntime sessions: the model with chosen intermediate tensors added as graph
 * outputs (name-only ValueInfo entries, which onnxruntime accepts and fills in).
 *
 * onnxruntime's graph optimisations may fuse or drop intermediates (onnxruntime issues #4110,
 * #13425). Declared graph outputs are normally kept, but every run is checked: a session that does
 * not return a requested tensor is rebuilt with optimisations off before the layer is given up.
 */
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { AnalysisError, messageOf } from './errors';
import { WITHOUT_SPINNING } from './ortThreads';
import { scalarTensors, type ModelView } from './onnxModel';

export type OptimizationLevel = 'all' | 'disabled';

export function instrumentedBytes(model: ModelView, extraOutputs: readonly string[], graph: onnx.IGraphProto = model.proto.graph as onnx.GraphProto): Uint8Array {
  const proto = model.proto;
  const declared = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const added = extraOutputs.filter((n) => !declared.has(n)).map((name) => onnx.ValueInfoProto.create({ name }));
  const newGraph = onnx.GraphProto.create({ ...graph, output: [...(graph.output ?? []), ...added] });
  const newModel = onnx.ModelProto.create({ ...proto, graph: newGraph });
  return onnx.ModelProto.encode(newModel).finish();
}

/** A tensor's element type and dims as onnxruntime reports them. */
export interface TensorShape {
  readonly dims: readonly number[];
  readonly type: string;
}

/** Element types runBatch returns (as float32 or float64); other outputs are shapes and indices. */
const FLOAT_TYPES = new Set(['float32', 'float64', 'float16']);

/**
 * What onnxruntime's shape inference says of `outputs` once the input is declared with `inputDims`,
 * read from a session's output metadata: loading infers every tensor, nothing runs, so this costs
 * no forward pass and no activation memory (ISNet at 1024²: 1,317 of 1,322 shapes in 0.2 s, where
 * running the model for them needed hundreds of passes within the memory budget).
 * `known` holds the float tensors whose every dim is a number; `unknown` the names left (a dynamic
 * dim, or no shape: onnxruntime reports an unknown rank as [], like a scalar), which only a run can
 * tell, unless the graph proves it a scalar (scalarTensors). Non-float tensors are in neither, as
 * runBatch skips them too.
 */
export async function inferShapes(model: ModelView, outputs: readonly string[], inputName: string, inputDims: readonly number[], executionProvider: string): Promise<{ known: Map<string, TensorShape>; unknown: string[] }> {
  const graph = model.proto.graph as onnx.GraphProto;
  const input = (graph.input ?? []).map((v) => (v.name === inputName ? withDims(v, inputDims) : v));
  let inst: InstrumentedSession;
  try {
    inst = await createSession(model, outputs, 'disabled', executionProvider, { ...graph, input });
  } catch (err) {
    // Loading with the input's dims declared is where a size the model cannot take shows first.
    throw new AnalysisError('runtime', `onnxruntime's shape inference rejected input (${inputDims.join(', ')}) for ${model.fileName}: ${firstLine(messageOf(err))}`);
  }
  try {
    const known = new Map<string, TensorShape>();
    const unknown: string[] = [];
    const metadata = new Map(inst.session.outputMetadata.map((m) => [m.name, m]));
    const scalars = scalarTensors(model);
    for (const name of outputs) {
      const m = metadata.get(name);
      if (!m?.isTensor) {
        unknown.push(name);
        continue;
      }
      const dims = m.shape;
      const numeric = (dims.length > 0 || scalars.has(name)) && dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0);
      if (!numeric) unknown.push(name);
      else if (FLOAT_TYPES.has(m.type)) known.set(name, { dims: dims as number[], type: m.type });
    }
    return { known, unknown };
  } finally {
    await inst.session.release();
  }
}

function withDims(v: onnx.IValueInfoProto, dims: readonly number[]): onnx.IValueInfoProto {
  const tensorType = v.type?.tensorType;
  const shape = onnx.TensorShapeProto.create({ dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })) });
  return onnx.ValueInfoProto.create({ ...v, type: onnx.TypeProto.create({ ...v.type, tensorType: onnx.TypeProto.Tensor.create({ ...tensorType, shape }) }) });
}

export interface InstrumentedSession {
  readonly session: ort.InferenceSession;
  readonly optimization: OptimizationLevel;
  readonly outputs: readonly string[];
}

export async function openSession(model: ModelView, extraOutputs: readonly string[], optimization: OptimizationLevel, executionProvider: string): Promise<InstrumentedSession> {
  try {
    return await createSession(model, extraOutputs, optimization, executionProvider);
  } catch (err) {
    throw new AnalysisError('runtime', `onnxruntime could not load ${model.fileName}: ${firstLine(messageOf(err))}. Check that the model runs in onnxruntime (opset ${Object.entries(model.opsets).map(([d, v]) => `${d} ${v}`).join(', ')})`);
  }
}

/** `graph` replaces the model's graph (e.g. with the input's dims declared) before outputs are added. */
async function createSession(model: ModelView, extraOutputs: readonly string[], optimization: OptimizationLevel, executionProvider: string, graph?: onnx.IGraphProto): Promise<InstrumentedSession> {
  const session = await ort.InferenceSession.create(instrumentedBytes(model, extraOutputs, graph), {
    graphOptimizationLevel: optimization,
    executionProviders: [executionProvider],
    logSeverityLevel: 3,
    // The arena keeps its peak (every captured output of a batch) for the session's life, outside
    // the memory budget; without it each run's buffers go back when the run's outputs are released.
    enableCpuMemArena: false,
    ...WITHOUT_SPINNING,
  });
  return { session, optimization, outputs: extraOutputs };
}

export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

export interface FetchedTensor {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: Float32Array | Float64Array;
}

/** float16 arrives as raw uint16 bits; widen so the rest of the pipeline sees float32. */
function widenHalf(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    out[i] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return out;
}

/** Runs one batch and returns the float outputs by name; non-float outputs (shapes, indices) are skipped. */
export async function runBatch(inst: InstrumentedSession, inputName: string, input: Float32Array | Float64Array, dims: readonly number[], fetches: readonly string[]): Promise<Map<string, FetchedTensor>> {
  const tensor = new ort.Tensor(input instanceof Float64Array ? 'float64' : 'float32', input, dims);
  let out: ort.InferenceSession.ReturnType;
  try {
    out = await inst.session.run({ [inputName]: tensor }, fetches);
  } catch (err) {
    throw new AnalysisError('runtime', `onnxruntime failed to run the model on input (${dims.join(', ')}): ${firstLine(messageOf(err))}`);
  }
  const result = new Map<string, FetchedTensor>();
  for (const [name, t] of Object.entries(out)) {
    if (!FLOAT_TYPES.has(t.type)) continue;
    result.set(name, { dims: t.dims, type: t.type, data: t.type === 'float16' ? widenHalf(t.data as Uint16Array) : (t.data as Float32Array | Float64Array) });
  }
  return result;
}
