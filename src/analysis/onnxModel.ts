/**
 * Reading an ONNX file into a normalised view model.
 *
 * Decoding is done by the `onnx-proto` schema package (protobufjs generated from onnx.proto); this
 * file only sniffs the bytes first (so a PyTorch checkpoint or a PNG gets a message naming what it
 * is instead of a protobuf error), normalises what the rest of the analysis needs, and checks the
 * things that would otherwise fail deep inside onnxruntime: truncation, dangling references,
 * external data outside the model's folder, custom-op domains.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { onnx } from 'onnx-proto';
import { InputFileError, readRange, readRegularFile, withRegularFile } from '../io/files';
import { AnalysisError, messageOf } from './errors';

/** ONNX TensorProto.DataType values this project meets. */
export const ElemType = { FLOAT: 1, UINT8: 2, INT8: 3, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;

export type Dim = number | string | null;

export interface TensorInfo {
  readonly name: string;
  /** TensorProto.DataType, when declared. */
  readonly elemType?: number;
  /** Declared dims: numbers, named dynamic dims, or null for anonymous ones; undefined when no shape is declared. */
  readonly dims?: readonly Dim[];
}

export interface NodeView {
  readonly index: number;
  readonly name: string;
  readonly op: string;
  /** '' is the default ONNX domain. */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface ModelView {
  readonly path: string;
  readonly fileName: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly irVersion: number;
  readonly producer?: string;
  readonly opsets: Readonly<Record<string, number>>;
  /** Graph inputs that are not initializers (IR < 4 lists weights as inputs too). */
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly nodes: readonly NodeView[];
  /** Names of constant tensors: initializers and Constant node outputs. */
  readonly weights: ReadonlySet<string>;
  readonly valueInfo: ReadonlyMap<string, TensorInfo>;
  /** Tensor name → index of the producing node. */
  readonly producers: ReadonlyMap<string, number>;
  /** The decoded protobuf with external data already inlined; used to build instrumented copies. */
  readonly proto: onnx.ModelProto;
  readonly warnings: readonly string[];
}

/** Domains onnxruntime's CPU build implements without extra libraries. */
const RUNNABLE_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft', 'com.microsoft.nchwc', 'ai.onnx.preview.training']);

/** protobufjs gives int64 as Long objects when `long` is installed, as numbers otherwise. */
type Int64 = number | { toNumber(): number } | null | undefined;
export function int64(v: Int64): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

const MAX_MODEL_BYTES = 2 ** 31 - 1;
/** Per external data file; the weights are inlined in memory, so this bounds what one file may add. */
const MAX_EXTERNAL_DATA_BYTES = 2 ** 32;

/** Reads, sniffs, decodes and validates a model file. Throws AnalysisError with a user-facing message. */
export function loadModel(path: string): ModelView {
  const bytes = readModelBytes(path);
  const proto = decodeModel(bytes, path);
  const warnings: string[] = [];
  inlineExternalData(proto, path, warnings);
  const view = normalise(proto, path, bytes, warnings);
  checkOperators(view);
  return view;
}

function readModelBytes(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path, { maxBytes: MAX_MODEL_BYTES, what: 'an .onnx model file' });
  } catch (err) {
    if (!(err instanceof InputFileError)) throw err;
    if (err.problem === 'directory') throw new AnalysisError('model-unreadable', `${path} is a folder; pass the .onnx file inside it`);
    if (err.problem === 'too-large') {
      throw new AnalysisError('model-unsupported', `${err.message}: ONNX files above 2 GiB must keep their weights as external data; re-export with external data`);
    }
    throw new AnalysisError('model-unreadable', err.problem === 'missing' ? `${path}: no such file; check the model path` : err.message);
  }
  if (bytes.length === 0) throw new AnalysisError('model-empty', `${path} is empty (0 bytes); the export or download did not finish: export the model again`);
  return bytes;
}

/** Names common non-ONNX formats from their first bytes, so users learn what they passed. */
export function sniffFormat(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a ZIP archive (a PyTorch .pt/.pth checkpoint or a zipped model)';
  if (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'a Python pickle (a PyTorch or scikit-learn checkpoint)';
  if (starts(0x89, 0x48, 0x44, 0x46)) return 'an HDF5 file (a Keras .h5 model)';
  if (ascii(4, 8) === 'TFL3') return 'a TensorFlow Lite model';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'a NumPy .npy array';
  const head = ascii(0, Math.min(bytes.length, 64)).trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return 'a JSON text file';
  if (head.startsWith('ir_version') || head.startsWith('<')) return 'a text file (ONNX must be the binary protobuf)';
  return undefined;
}

/** First-tag check: a ModelProto starts with one of its own fields (onnx.proto field numbers). */
function looksLikeModelProto(bytes: Uint8Array): boolean {
  const first = bytes[0];
  // varint fields 1 (ir_version) and 5 (model_version); length-delimited 2,3,4,6,7,8,14
  if ([0x08, 0x28, 0x12, 0x1a, 0x22, 0x32, 0x3a, 0x42, 0x72].includes(first)) return true;
  // two-byte tags: 20 (metadata_props... training_info) and 25 (functions)
  if ((first === 0xa2 || first === 0xca) && bytes[1] === 0x01) return true;
  return false;
}

function decodeModel(bytes: Uint8Array, path: string): onnx.ModelProto {
  const name = basename(path);
  const known = sniffFormat(bytes);
  if (known) throw new AnalysisError('model-not-onnx', `${name} is ${known}, not an ONNX model; export the network to ONNX (e.g. torch.onnx.export) and pass the .onnx file`);
  if (!looksLikeModelProto(bytes)) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new AnalysisError('model-not-onnx', `${name} is not an ONNX model (it starts with bytes ${hex}, which no ONNX ModelProto does); pass a .onnx file`);
  }
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new AnalysisError(
      'model-corrupt',
      `${name} is truncated or corrupt (${bytes.length} bytes; the protobuf decoder stopped with: ${messageOf(err)}); download or export the model again`,
    );
  }
  if (!proto.graph || !proto.graph.node || proto.graph.node.length === 0) {
    throw new AnalysisError('model-corrupt', `${name} holds no graph (or a graph without nodes); it is truncated or not a model: export it again`);
  }
  return proto;
}

/** Tensors that may carry external data: initializers and Constant-node attribute tensors. */
function* tensorsOf(graph: onnx.IGraphProto): Generator<onnx.ITensorProto> {
  for (const t of graph.initializer ?? []) yield t;
  for (const n of graph.node ?? []) {
    for (const a of n.attribute ?? []) if (a.t) yield a.t;
  }
}

/**
 * Replaces external-data references by the bytes they point to, so the instrumented copy can be
 * handed to onnxruntime from memory. Only files inside the model's own folder are read; any path
 * that leaves it (absolute, `..`, or a symlink out) is refused before anything is opened.
 */
function inlineExternalData(proto: onnx.ModelProto, modelPath: string, warnings: string[]): void {
  const graph = proto.graph as onnx.IGraphProto;
  const external = [...tensorsOf(graph)].filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  if (external.length === 0) return;
  const folder = resolve(dirname(modelPath));
  let realFolder: string;
  try {
    realFolder = realpathSync(folder);
  } catch {
    realFolder = folder;
  }
  const name = basename(modelPath);
  const files = new Set<string>();
  for (const t of external) {
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entries.get('location');
    if (!location) throw new AnalysisError('external-data', `${name}: tensor '${t.name}' is marked as external data but names no file; re-export the model`);
    const target = resolve(folder, location);
    const rel = relative(folder, target);
    if (isAbsolute(location) || rel.startsWith('..') || isAbsolute(rel)) {
      throw new AnalysisError(
        'external-data',
        `${name}: tensor '${t.name}' keeps its weights in '${location}', outside the model's folder; refused (nothing was read there). Put the data file next to the model and re-save it with a relative location`,
      );
    }
    let realTarget: string;
    try {
      realTarget = realpathSync(target);
    } catch {
      throw new AnalysisError('external-data', `${name}: external data file '${location}' for tensor '${t.name}' is missing; copy it next to the model`);
    }
    if (realTarget !== realFolder && !realTarget.startsWith(realFolder + sep)) {
      throw new AnalysisError('external-data', `${name}: external data '${location}' is a link that leads outside the model's folder; refused (nothing was read there). Copy the file into the folder`);
    }
    const offset = Number(entries.get('offset') ?? '0');
    const lengthText = entries.get('length');
    let buf: Buffer;
    try {
      buf = withRegularFile(realTarget, { maxBytes: MAX_EXTERNAL_DATA_BYTES, what: 'an external data file' }, (fd, fileSize) => {
        const length = lengthText === undefined ? fileSize - offset : Number(lengthText);
        if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > fileSize) {
          throw new AnalysisError('external-data', `${name}: external data of tensor '${t.name}' asks for bytes ${offset}..${offset + length} of '${location}', which has ${fileSize}; the data file does not match the model`);
        }
        return readRange(fd, length, offset);
      });
    } catch (err) {
      if (!(err instanceof InputFileError)) throw err;
      throw new AnalysisError('external-data', `${name}: external data '${location}' of tensor '${t.name}' cannot be used: ${err.message}. Re-save the model so its location names the data file`);
    }
    t.rawData = buf;
    t.externalData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    files.add(location);
  }
  warnings.push(`weights of ${external.length} tensors were read from external data (${[...files].join(', ')})`);
}

function tensorInfo(v: onnx.IValueInfoProto): TensorInfo {
  const tt = v.type?.tensorType;
  const name = v.name ?? '';
  if (!tt) return { name };
  const dims = tt.shape ? (tt.shape.dim ?? []).map((d): Dim => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined && int64(d.dimValue) > 0 ? int64(d.dimValue) : null)) : undefined;
  return { name, elemType: tt.elemType ?? undefined, dims };
}

/** Tensors a subgraph (If/Loop/Scan body) takes from the enclosing scope: read inside, defined nowhere inside. */
function outerScopeNames(graph: onnx.IGraphProto, out: Set<string>): void {
  const defined = new Set<string>();
  for (const t of graph.initializer ?? []) if (t.name) defined.add(t.name);
  for (const i of graph.input ?? []) if (i.name) defined.add(i.name);
  for (const n of graph.node ?? []) for (const o of n.output ?? []) defined.add(o);
  const used = new Set<string>();
  for (const n of graph.node ?? []) {
    for (const i of n.input ?? []) if (i) used.add(i);
    for (const a of n.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) outerScopeNames(g, used);
  }
  for (const o of graph.output ?? []) if (o.name) used.add(o.name);
  for (const u of used) if (!defined.has(u)) out.add(u);
}

/**
 * Puts the graph's nodes in topological order, keeping the file's order wherever it already is one
 * (Kahn's algorithm, always taking the earliest ready node), so a sorted graph is left untouched.
 * ONNX asks for sorted nodes, but exporters do not always comply (an ISNet export has its input Cast
 * at node 643 of 734) and onnxruntime sorts them itself. What is really broken is refused: a tensor
 * no node, weight or input provides (a truncated or hand-edited file) and a cycle.
 */
function sortTopologically(graph: onnx.IGraphProto, available: ReadonlySet<string>, modelName: string): onnx.INodeProto[] {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  const describe = (index: number) => `node ${index} (${nodes[index].opType ?? ''}${nodes[index].name ? ` '${nodes[index].name}'` : ''})`;
  nodes.forEach((n, index) => {
    for (const o of n.output ?? []) {
      if (!o) continue;
      const other = producer.get(o);
      // Each tensor has one producer (ONNX is in SSA form); two make the graph ambiguous, not just unsorted.
      if (other !== undefined) {
        throw new AnalysisError('model-corrupt', `${modelName}: tensor '${o}' is produced by both ${describe(other)} and ${describe(index)}; the file is inconsistent: export it again`);
      }
      producer.set(o, index);
    }
  });
  const waitingOn = new Array<number>(nodes.length).fill(0);
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, index) => {
    const needs = new Set<number>();
    for (const i of n.input ?? []) {
      if (i === '' || available.has(i)) continue;
      const from = producer.get(i);
      if (from === undefined) {
        throw new AnalysisError(
          'model-corrupt',
          `${modelName}: ${describe(index)} reads tensor '${i}', which no node, weight or input provides; the file is truncated or inconsistent: export it again`,
        );
      }
      needs.add(from);
    }
    const outer = new Set<string>();
    for (const a of n.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) outerScopeNames(g, outer);
    for (const name of outer) {
      const from = producer.get(name);
      if (from !== undefined && !available.has(name)) needs.add(from);
    }
    waitingOn[index] = needs.size;
    for (const from of needs) consumers[from].push(index);
  });
  const ready = new MinHeap();
  waitingOn.forEach((w, index) => {
    if (w === 0) ready.push(index);
  });
  const order: onnx.INodeProto[] = [];
  for (let index = ready.pop(); index !== undefined; index = ready.pop()) {
    order.push(nodes[index]);
    for (const c of consumers[index]) if (--waitingOn[c] === 0) ready.push(c);
  }
  if (order.length < nodes.length) {
    const stuck = waitingOn.findIndex((w) => w > 0);
    throw new AnalysisError(
      'model-corrupt',
      `${modelName}: the graph has a cycle (${describe(stuck)} depends on its own output through ${nodes.length - order.length} nodes); the file is inconsistent: export it again`,
    );
  }
  return order;
}

/** Smallest node index first, so Kahn's algorithm keeps the file's order where it can. */
class MinHeap {
  private readonly items: number[] = [];

  push(value: number): void {
    const a = this.items;
    a.push(value);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

function normalise(proto: onnx.ModelProto, path: string, bytes: Uint8Array, warnings: string[]): ModelView {
  const graph = proto.graph as onnx.IGraphProto;
  const name = basename(path);
  const weights = new Set<string>();
  for (const t of graph.initializer ?? []) if (t.name) weights.add(t.name);
  // Everything downstream (layer order, the instrumented copy) sees the sorted graph.
  graph.node = sortTopologically(graph, new Set([...weights, ...(graph.input ?? []).map((i) => i.name ?? '')]), name);
  const nodes: NodeView[] = graph.node.map((n, index) => {
    const op = n.opType ?? '';
    const outputs = (n.output ?? []).filter((o) => o !== '');
    if (op === 'Constant' && (n.domain ?? '') === '') for (const o of outputs) weights.add(o);
    return { index, name: n.name ?? '', op, domain: n.domain ?? '', inputs: [...(n.input ?? [])], outputs };
  });
  const inputs = (graph.input ?? []).filter((i) => !weights.has(i.name ?? '')).map(tensorInfo);
  const outputs = (graph.output ?? []).map(tensorInfo);
  const valueInfo = new Map<string, TensorInfo>();
  for (const v of graph.valueInfo ?? []) if (v.name) valueInfo.set(v.name, tensorInfo(v));

  const known = new Set<string>([...weights, ...inputs.map((i) => i.name)]);
  const producers = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.outputs) {
      known.add(o);
      producers.set(o, n.index);
    }
  }
  for (const o of outputs) {
    if (!known.has(o.name)) throw new AnalysisError('model-corrupt', `${name}: graph output '${o.name}' is produced by no node; the file is truncated or inconsistent: export it again`);
  }
  const opsets: Record<string, number> = {};
  for (const o of proto.opsetImport ?? []) opsets[o.domain || 'ai.onnx'] = int64(o.version);
  return {
    path: resolve(path),
    fileName: name,
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    irVersion: int64(proto.irVersion),
    producer: proto.producerName ? `${proto.producerName}${proto.producerVersion ? ` ${proto.producerVersion}` : ''}` : undefined,
    opsets,
    inputs,
    outputs,
    nodes,
    weights,
    valueInfo,
    producers,
    proto,
    warnings,
  };
}

/** Refuses operators from domains onnxruntime cannot run by itself, unless the model defines them as functions. */
function checkOperators(view: ModelView): void {
  const local = new Set((view.proto.functions ?? []).map((f) => `${f.domain ?? ''}::${f.name ?? ''}`));
  const custom = new Map<string, Set<string>>();
  for (const n of view.nodes) {
    if (RUNNABLE_DOMAINS.has(n.domain) || local.has(`${n.domain}::${n.op}`)) continue;
    const ops = custom.get(n.domain) ?? new Set<string>();
    ops.add(n.op);
    custom.set(n.domain, ops);
  }
  if (custom.size === 0) return;
  const list = [...custom].map(([d, ops]) => `'${d}' (${[...ops].join(', ')})`).join('; ');
  throw new AnalysisError(
    'custom-op',
    `${view.fileName} uses custom operators from ${list}; onnxruntime cannot run them without their native library. Export the model with standard ONNX operators only`,
  );
}

/** Cheap check used by the extension to decide whether a file is worth opening as a model (never blocks on a FIFO). */
export function isProbablyOnnx(path: string): boolean {
  try {
    const head = withRegularFile(path, { maxBytes: MAX_MODEL_BYTES, what: 'an .onnx model file' }, (fd, size) => readRange(fd, Math.min(16, size), 0));
    return head.length > 1 && !sniffFormat(head) && looksLikeModelProto(head);
  } catch {
    return false;
  }
}

/** Ops whose output has the broadcast shape of their inputs: scalars in, a scalar out. */
const ELEMENTWISE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Cast', 'Identity', 'Floor', 'Ceil', 'Round', 'Clip', 'Relu', 'Sigmoid', 'Tanh']);

/**
 * Tensors that are scalars by the ONNX operator definitions: DynamicQuantizeLinear's scale and
 * zero point, rank-0 weights, and elementwise results of scalars only. onnxruntime reports an
 * unknown shape and a scalar's alike (an empty shape), so this is what tells them apart without a
 * run (ISNet, dynamically quantized: 357 of its 1,322 tensors).
 */
export function scalarTensors(model: ModelView): Set<string> {
  const graph = model.proto.graph as onnx.IGraphProto;
  const scalars = new Set<string>();
  for (const t of graph.initializer ?? []) if (t.name && (t.dims ?? []).length === 0) scalars.add(t.name);
  for (const n of graph.node ?? []) {
    const op = n.opType ?? '';
    const outputs = n.output ?? [];
    if ((n.domain ?? '') !== '') continue;
    if (op === 'Constant') {
      const value = (n.attribute ?? []).find((a) => a.name === 'value' || a.name === 'value_float' || a.name === 'value_int');
      if (value && (value.name !== 'value' || (value.t?.dims ?? []).length === 0)) scalars.add(outputs[0]);
    } else if (op === 'DynamicQuantizeLinear') {
      for (const o of outputs.slice(1, 3)) if (o) scalars.add(o);
    } else if (ELEMENTWISE_OPS.has(op)) {
      const inputs = (n.input ?? []).filter((i) => i !== '');
      // Clip's bounds are scalars by definition; only its data input decides the output's shape.
      const shaping = op === 'Clip' ? inputs.slice(0, 1) : inputs;
      if (shaping.length > 0 && shaping.every((i) => scalars.has(i))) for (const o of outputs) if (o) scalars.add(o);
    }
  }
  return scalars;
}
