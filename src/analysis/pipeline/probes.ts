/**
 * Stage 2, probes: build the probe set at the size the model takes, and learn every tensor's shape
 * from one forward pass. A model with dynamic sides that rejects the size (e.g. an FPN needing
 * multiples of 32) is retried at rounded sizes, with a warning.
 */
import { AnalysisError, messageOf } from '../errors';
import { chooseProbeSize, feedShape, roundedSizes, type ImageInput, type ProbeSize } from '../imageInput';
import { candidateTensors, type Candidate } from '../layers';
import { builtinProbes, imageProbes, npyProbes, toInputLayout, type ProbeSet } from '../probes';
import { openSession, runBatch, type InstrumentedSession } from '../session';
import type { AnalysisContext } from './context';

export interface ProbeStage {
  readonly probes: ProbeSet;
  /** Every candidate tensor of the model, in graph order. */
  readonly candidates: readonly Candidate[];
  /** Each tensor's shape for a batch of `shapeBatch` probes. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly shapeBatch: number;
  /** Warnings this stage raised (kept with the value so a reuse can repeat them). */
  readonly warnings: readonly string[];
}

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
  // Every tensor is an output of the shape run, so it uses the smallest batch that still tells the
  // batch axis apart (2), not the full one.
  const shapeBatch = input.fixedBatch ?? Math.min(2, probes.count);
  ctx.progress({ stage: 'shapes', message: `learning tensor shapes (${candidates.length} tensors)`, fraction: 0.02 });

  let shapes: Map<string, readonly number[]>;
  let shapeSession: InstrumentedSession | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      shapeSession = await openSession(model, candidates.map((c) => c.name), 'all', ctx.options.executionProvider);
      shapes = await learnShapes(shapeSession, input, probes, shapeBatch);
      break;
    } catch (err) {
      const retry = size && err instanceof AnalysisError && err.code === 'runtime' ? roundedSizes(input, size)[0] : undefined;
      if (!retry || attempt >= 2) throw err;
      warnings.push(`${model.fileName} rejected the ${size?.height}x${size?.width} probe size (${messageOf(err)}); retried at ${retry.height}x${retry.width}`);
      size = retry;
      probes = makeProbes(ctx, size);
    } finally {
      await shapeSession?.session.release();
      shapeSession = undefined;
    }
  }
  ctx.checkCancel();
  return { probes, candidates, shapes, shapeBatch, warnings };
}

function makeProbes(ctx: AnalysisContext, size: ProbeSize | undefined): ProbeSet {
  const source = ctx.options.probeSource;
  switch (source.kind) {
    case 'npy':
      return npyProbes(source.path, ctx.input);
    case 'images':
      return imageProbes(source.folder, source.maxImages, ctx.input, size as ProbeSize, source.pixels, source.fit);
    case 'builtin':
      return builtinProbes(source.count, source.seed, ctx.input, size as ProbeSize, source.pixels);
  }
}

/** One forward pass of the first batch with every candidate as an output: the shapes of all tensors. */
async function learnShapes(inst: InstrumentedSession, input: ImageInput, probes: ProbeSet, batch: number): Promise<Map<string, readonly number[]>> {
  const shape = [batch, probes.channels, probes.height, probes.width];
  const data = probes.data.subarray(0, shape.reduce((a, b) => a * b, 1));
  const feed = toFeed(input, toInputLayout(data, shape, input.layout));
  const out = await runBatch(inst, input.name, feed, feedShape(input, batch, probes), inst.outputs);
  const shapes = new Map<string, readonly number[]>();
  for (const [name, t] of out) shapes.set(name, t.dims);
  return shapes;
}

/** The model's input element type: float64 models get a widened copy. */
export function toFeed(input: ImageInput, data: Float32Array): Float32Array | Float64Array {
  return input.elemType === 11 ? Float64Array.from(data) : data;
}
