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
import type { ModelView } from './onnxModel';

export type OptimizationLevel = 'all' | 'disabled';

export function instrumentedBytes(model: ModelView, extraOutputs: readonly string[]): Uint8Array {
  const proto = model.proto;
  const graph = proto.graph as onnx.GraphProto;
  const declared = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const added = extraOutputs.filter((n) => !declared.has(n)).map((name) => onnx.ValueInfoProto.create({ name }));
  const newGraph = onnx.GraphProto.create({ ...graph, output: [...(graph.output ?? []), ...added] });
  const newModel = onnx.ModelProto.create({ ...proto, graph: newGraph });
  return onnx.ModelProto.encode(newModel).finish();
}

export interface InstrumentedSession {
  readonly session: ort.InferenceSession;
  readonly optimization: OptimizationLevel;
  readonly outputs: readonly string[];
}

export async function openSession(model: ModelView, extraOutputs: readonly string[], optimization: OptimizationLevel, executionProvider: string): Promise<InstrumentedSession> {
  const bytes = instrumentedBytes(model, extraOutputs);
  try {
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: optimization,
      executionProviders: [executionProvider],
      logSeverityLevel: 3,
      // The arena keeps its peak (every captured output of a batch) for the session's life, outside
      // the memory budget; without it each run's buffers go back when the run's outputs are released.
      enableCpuMemArena: false,
    });
    return { session, optimization, outputs: extraOutputs };
  } catch (err) {
    throw new AnalysisError('runtime', `onnxruntime could not load ${model.fileName}: ${firstLine(messageOf(err))}. Check that the model runs in onnxruntime (opset ${Object.entries(model.opsets).map(([d, v]) => `${d} ${v}`).join(', ')})`);
  }
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
    if (t.type === 'float32' || t.type === 'float64') result.set(name, { dims: t.dims, type: t.type, data: t.data as Float32Array | Float64Array });
    else if (t.type === 'float16') result.set(name, { dims: t.dims, type: t.type, data: widenHalf(t.data as Uint16Array) });
  }
  return result;
}
