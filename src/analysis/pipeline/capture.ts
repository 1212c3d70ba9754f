/**
 * Stage 4, capture: run the probes (clean or transformed) through an instrumented session and keep
 * each planned layer pooled, as float32 NCHW (or tokens), for the score stage.
 */
import type { TransformInfo } from '../../shared/results';
import { optionName } from '../../shared/defaults';
import type { SpillStore, SpillWriter } from '../../io/spill';
import { AnalysisError, messageOf } from '../errors';
import { feedShape } from '../imageInput';
import type { ModelView } from '../onnxModel';
import { extractPooled, extractTokens, type PoolPlan } from '../pooling';
import { toInputLayout, type ProbeSet } from '../probes';
import { openSession, runBatch, type InstrumentedSession } from '../session';
import { applyTransform } from '../transforms';
import type { AnalysisContext } from './context';
import type { PlannedLayer } from './stageValues';
import { toFeed } from './probes';

export interface CaptureSession {
  readonly inst: InstrumentedSession;
  /** Requested tensors onnxruntime does not return even with optimisations off. */
  readonly missing: ReadonlySet<string>;
}

/** Opens the scoring session and checks on one batch that every requested tensor comes back. */
export async function openCaptureSession(ctx: AnalysisContext, model: ModelView, outputs: readonly string[], probes: ProbeSet, batch: number): Promise<CaptureSession> {
  const { input } = ctx;
  const ep = ctx.options.executionProvider;
  let inst = await openSession(model, [...outputs], 'all', ep);
  const missingFrom = async (s: InstrumentedSession) => {
    const shape = [batch, probes.channels, probes.height, probes.width];
    const feed = toFeed(input, toInputLayout(probes.batch(0, batch), shape, input.layout));
    const out = await runBatch(s, input.name, feed, feedShape(input, batch, probes), outputs);
    return outputs.filter((n) => !out.has(n));
  };
  let missing = await missingFrom(inst);
  if (missing.length > 0) {
    await inst.session.release();
    inst = await openSession(model, [...outputs], 'disabled', ep);
    const before = missing.length;
    missing = await missingFrom(inst);
    ctx.warnings.push(`with graph optimisations on, onnxruntime did not return ${before} requested tensors; ran with optimisations off${missing.length ? ` (still missing: ${missing.join(', ')})` : ''}`);
  }
  return { inst, missing: new Set(missing) };
}

export interface CaptureRequest {
  readonly session: CaptureSession;
  readonly probes: ProbeSet;
  readonly batch: number;
  /** null: the clean probes. */
  readonly transform: TransformInfo | null;
  readonly layers: readonly PlannedLayer[];
  /** Told each batch's inference time, for the time-left estimate. */
  readonly onBatch?: (ms: number) => void;
  /** Write each layer's pooled rows to this store (as pass `pass`) instead of keeping them. */
  readonly spill?: { readonly store: SpillStore; readonly pass: number };
}

/** Runs all probes (optionally transformed) through the session and stores each layer pooled. */
export async function capture(ctx: AnalysisContext, req: CaptureRequest): Promise<Map<PlannedLayer, Float32Array>> {
  const { probes, batch, layers } = req;
  const store = new Map<PlannedLayer, Float32Array>();
  if (layers.length === 0) return store;
  const spill = req.spill;
  // Spilled: one batch of rows per layer, written out at its offset, so memory holds one batch.
  for (const p of layers) store.set(p, new Float32Array(p.perProbe * (spill ? batch : probes.count)));
  const writers = spill ? new Map(layers.map((p) => [p, spill.store.writer(spill.pass, p.index)])) : null;
  try {
    await captureBatches(ctx, req, store, writers);
  } finally {
    await Promise.all([...(writers?.values() ?? [])].map((w) => w.close()));
  }
  return spill ? new Map() : store;
}

async function captureBatches(ctx: AnalysisContext, req: CaptureRequest, store: Map<PlannedLayer, Float32Array>, writers: Map<PlannedLayer, SpillWriter> | null): Promise<void> {
  const { input } = ctx;
  const { probes, batch, transform, layers } = req;
  const fetches = layers.map((p) => p.candidate.name);
  // The previous batch's writes run while this batch's forward pass does; its rows are reused after.
  let writing: Promise<void>[] = [];
  const finishWrites = async () => {
    const settled = await Promise.allSettled(writing);
    writing = [];
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      throw new AnalysisError(
        'runtime',
        `writing activations to the temporary folder ${req.spill?.store.dir} failed (${messageOf(failed.reason)}); free some disk space there, choose another folder (${optionName('spill', ctx.options.origin)} DIR), or raise ${optionName('memoryBudgetMB', ctx.options.origin)}`,
      );
    }
  };
  for (let start = 0; start < probes.count; start += batch) {
    ctx.checkCancel();
    const b = Math.min(batch, probes.count - start);
    const shape = [b, probes.channels, probes.height, probes.width];
    let data = probes.batch(start, b);
    if (transform) data = applyTransform(transform, data, shape);
    const feed = toFeed(input, toInputLayout(data, shape, input.layout));
    const t0 = performance.now();
    const out = await runBatch(req.session.inst, input.name, feed, feedShape(input, b, probes), fetches);
    const ms = performance.now() - t0;
    ctx.times.inference += ms;
    req.onBatch?.(ms);
    await finishWrites();
    const c0 = performance.now();
    for (const p of layers) {
      const t = out.get(p.candidate.name);
      if (!t) throw new AnalysisError('runtime', `onnxruntime stopped returning tensor '${p.candidate.name}' mid-run`);
      const expected = [b, ...p.sampleShape.slice(1)];
      if (t.dims.length !== expected.length || t.dims.some((d, i) => d !== expected[i])) {
        throw new AnalysisError('runtime', `tensor '${p.candidate.name}' changed shape from (${expected.join(', ')}) to (${t.dims.join(', ')})${transform ? ` under ${transform.id}` : ''}; the model's layers depend on the input content, which SEIS cannot pair`);
      }
      const dst = store.get(p) as Float32Array;
      const writer = writers?.get(p);
      const offset = writer ? 0 : start * p.perProbe;
      if (p.storedLayout === 'tokens') extractTokens(t.data, b, p.sampleShape[1], p.sampleShape[2], p.pooledTokens as number, dst, offset);
      else extractPooled(t.data, b, p.channels, p.plan as PoolPlan, p.guess.layout === 'NHWC', dst, offset);
      if (writer) writing.push(writer.write(dst.subarray(0, b * p.perProbe), start * p.perProbe));
    }
    ctx.times.capture += performance.now() - c0;
  }
  await finishWrites();
}
