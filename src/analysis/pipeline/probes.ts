/**
 * Stage 2, probes: build the probe set at the size the model takes, and learn every tensor's shape
 * (from onnxruntime's shape inference, and forward passes for what it leaves open). A model with
 * dynamic sides that rejects the size (e.g. an FPN needing multiples of 32) is retried at rounded
 * sizes, with a warning.
 */
import { readdirSync } from 'node:fs';
import { extname } from 'node:path';
import { AnalysisError, messageOf } from '../errors';
import { chooseProbeSize, feedShape, roundedSizes, type ImageInput, type ProbeSize } from '../imageInput';
import { candidateTensors, type Candidate, type LayerSelection } from '../layers';
import { poolPlan } from '../pooling';
import { builtinProbes, IMAGE_EXTENSIONS, imageProbes, npyProbes, toInputLayout, type ProbeSet } from '../probes';
import { inferShapes, openSession, runBatch, type InstrumentedSession, type TensorShape } from '../session';
import type { AnalysisContext } from './context';
import { checkProbesFit, mib, probesHeld, shapePassTake, shapeRunBytes, tensorBytes } from './memory';
import type { ProbeStage } from './stageValues';

export async function prepareProbes(ctx: AnalysisContext): Promise<ProbeStage> {
  const { model, input } = ctx;
  const source = ctx.options.probeSource;
  const warnings: string[] = [];
  let size: ProbeSize | undefined = source.kind === 'npy' ? undefined : chooseProbeSize(input, ctx.options.request.size, warnings);
  let probes = makeProbes(ctx, size);
  warnings.push(...probes.warnings);
  if (input.fixedBatch !== undefined && probes.count % input.fixedBatch !== 0) {
    throw new AnalysisError('probe-input', `${model.fileName} fixes its batch to ${input.fixedBatch}, and ${probes.count} probes do not split into such batches; use a multiple of ${input.fixedBatch} probes`);
  }
  const candidates = candidateTensors(model);
  // Shapes are learned for a batch of 2, the smallest that still tells the batch axis apart (a run
  // holds every output it is asked for at once), and an explicit selection (names, operators, a
  // pattern) learns only the shapes it can pick (learnShapes).
  const shapeOutputs = selectable(candidates, ctx.options.selection).map((c) => c.name);
  const shapeBatch = input.fixedBatch ?? Math.min(2, probes.count);
  ctx.progress({ stage: 'shapes', message: `learning tensor shapes (${shapeOutputs.length} tensors)`, fraction: 0.02 });

  let learned: LearnedShapes = { shapes: new Map(), longestMs: 0, runs: 0, open: 0 };
  // Nothing selectable: no shape run; the plan stage says what the selection missed.
  for (let attempt = 0; shapeOutputs.length > 0; attempt++) {
    try {
      learned = await learnShapes(ctx, shapeOutputs, probes, shapeBatch);
      break;
    } catch (err) {
      const retry = size && err instanceof AnalysisError && err.code === 'runtime' ? roundedSizes(input, size)[0] : undefined;
      if (!retry || attempt >= 2) throw err;
      warnings.push(`${model.fileName} rejected the ${size?.height}x${size?.width} probe size (${messageOf(err)}); retried at ${retry.height}x${retry.width}`);
      size = retry;
      probes = makeProbes(ctx, size);
    }
  }
  ctx.checkCancel();
  if (learned.runs > 1) warnings.push(`${learned.open} tensor shapes that onnxruntime's shape inference left open were learned in ${learned.runs} forward passes, each holding only as many of them as the ${mib(ctx.options.budgetBytes)} memory budget allows`);
  return { probes, candidates, shapes: learned.shapes, shapeBatch, shapeRunMs: learned.longestMs, shapeRuns: learned.runs, warnings };
}

/** Builds the probes, checking first that they fit the memory budget (a .npy is checked once read). */
function makeProbes(ctx: AnalysisContext, size: ProbeSize | undefined): ProbeSet {
  const source = ctx.options.probeSource;
  const { input } = ctx;
  const fits = (count: number, height: number, width: number, countOption?: 'probeCount' | 'maxImages') => {
    const plan = poolPlan(height, width, ctx.options.maxPositions);
    const sizeAdjustable = input.fixedHeight === undefined || input.fixedWidth === undefined;
    checkProbesFit({ count, channels: input.channels, height, width, floorPositions: plan.pooledHeight * plan.pooledWidth, sizeAdjustable, countOption }, ctx.options.budgetBytes, ctx.options.origin);
    return probesHeld(count, input.channels * height * width, ctx.options.budgetBytes);
  };
  switch (source.kind) {
    case 'npy': {
      const probes = npyProbes(source.path, input);
      fits(probes.count, probes.height, probes.width);
      return probes;
    }
    case 'images': {
      const s = size as ProbeSize;
      const held = fits(Math.min(source.maxImages, imageFileCount(source.folder) ?? source.maxImages), s.height, s.width, 'maxImages');
      return imageProbes(source.folder, source.maxImages, input, s, source.pixels, source.fit, held);
    }
    case 'builtin': {
      const s = size as ProbeSize;
      const held = fits(source.count, s.height, s.width, 'probeCount');
      return builtinProbes(source.count, source.seed, input, s, source.pixels, held);
    }
  }
}

/** Images the folder offers (undefined when it cannot be listed: imageProbes then says why). */
function imageFileCount(folder: string): number | undefined {
  try {
    return readdirSync(folder).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase())).length;
  } catch {
    return undefined;
  }
}

/** The candidates a selection can pick (selectLayers picks among these for names, ops and patterns). */
function selectable(candidates: readonly Candidate[], selection: LayerSelection): readonly Candidate[] {
  switch (selection.kind) {
    case 'names': {
      const wanted = new Set(selection.names);
      return candidates.filter((c) => wanted.has(c.name));
    }
    case 'op':
      return candidates.filter((c) => selection.ops?.has(c.node.op));
    case 'pattern':
      // A global or sticky pattern remembers its last match: testing it twice could pick differently.
      if (selection.pattern?.global || selection.pattern?.sticky) return candidates;
      return candidates.filter((c) => selection.pattern?.test(c.name) || selection.pattern?.test(c.node.name));
    default:
      return candidates;
  }
}

interface LearnedShapes {
  readonly shapes: Map<string, readonly number[]>;
  readonly longestMs: number;
  readonly runs: number;
  /** Tensors shape inference left to the runs. */
  readonly open: number;
}

/**
 * The shapes of `names` for a batch of `batch` probes. onnxruntime's shape inference gives most of
 * them without running (inferShapes); the rest are learned from forward passes of the first batch,
 * each declaring as outputs only as many tensors as the budget holds. onnxruntime keeps every
 * declared graph output of a run until it returns, fetched or not (PP-OCRv4 detector at 512², batch
 * 2: 330 outputs declared, 1.8 GB peak; fetching 10 of them from that session, still 0.94 GB; a
 * session declaring only those 10, 0.33 GB), so each pass is its own session, sized by
 * shapePassTake. One pass runs even when inference knew everything, on the smallest tensor: it is
 * what proves the size runs (a rejected one is retried by the caller at a rounded size) and what the
 * first estimate of a batch's cost is measured on.
 */
async function learnShapes(ctx: AnalysisContext, names: readonly string[], probes: ProbeSet, batch: number): Promise<LearnedShapes> {
  const { input, model } = ctx;
  // Inference only spares runs: should onnxruntime refuse to load the model with its input's dims
  // declared, every tensor is learned by running, and a size the model rejects fails there.
  const inferred = await inferShapes(model, names, input.name, feedShape(input, batch, probes), ctx.options.executionProvider).catch(() => ({ known: new Map<string, TensorShape>(), unknown: [...names] }));
  ctx.checkCancel();
  const shapes = new Map<string, readonly number[]>([...inferred.known].map(([name, t]) => [name, t.dims]));
  const smallestKnown = [...inferred.known].sort((a, b) => tensorBytes(a[1].dims, a[1].type) - tensorBytes(b[1].dims, b[1].type))[0]?.[0];
  const toRun = inferred.unknown.length > 0 ? inferred.unknown : smallestKnown === undefined ? [] : [smallestKnown];
  const plane = probes.channels * probes.height * probes.width;
  const shape = [batch, probes.channels, probes.height, probes.width];
  const feed = toFeed(input, toInputLayout(probes.batch(0, batch), shape, input.layout));
  const available = shapeRunBytes(ctx.options.budgetBytes, probes, plane, batch);
  const fedBatchBytes = batch * plane * 4;
  let largestSeen = 0;
  let take = 0;
  let longestMs = 0;
  let runs = 0;
  for (let start = 0; start < toRun.length; ) {
    take = shapePassTake(available, largestSeen, fedBatchBytes, take, toRun.length - start);
    const chunk = toRun.slice(start, start + take);
    if (start > 0) ctx.progress({ stage: 'shapes', message: `learning tensor shapes (${start}/${toRun.length} tensors that shape inference left open)`, fraction: 0.02 });
    const inst: InstrumentedSession = await openSession(model, chunk, 'all', ctx.options.executionProvider);
    try {
      const t0 = performance.now();
      const out = await runBatch(inst, input.name, feed, feedShape(input, batch, probes), chunk);
      longestMs = Math.max(longestMs, performance.now() - t0);
      for (const [name, t] of out) {
        // What a run returns is the truth, should inference ever have said otherwise.
        shapes.set(name, t.dims);
        largestSeen = Math.max(largestSeen, tensorBytes(t.dims, t.type));
      }
    } finally {
      await inst.session.release();
    }
    runs++;
    start += take;
    ctx.checkCancel();
  }
  return { shapes, longestMs, runs, open: inferred.unknown.length };
}

/** The model's input element type: float64 models get a widened copy. */
export function toFeed(input: ImageInput, data: Float32Array): Float32Array | Float64Array {
  return input.elemType === 11 ? Float64Array.from(data) : data;
}
