/**
 * Stage 5, capture and score, as a pipeline. Per group of layers (groups exist only when the
 * activations exceed the memory budget):
 *
 *   forward passes, one after another: clean probes, then each transform's probes (onnxruntime runs
 *   them on its own threads, the event loop stays free);
 *   meanwhile a few layer lanes, in graph order: decompose the layer's clean activations once the
 *   clean pass is in, then score it under each transform as soon as that pass is in
 *   (scoreCell → scoreAgainstBasis: the same numbers as scorePair on the two tensors; with patterns too).
 *
 * So the eigensolver threads work on the first passes while onnxruntime computes the next ones,
 * and a layer's row is final the moment its last transform is scored: it is handed to `onRow`
 * then, in graph order within the group, for results as they arrive.
 */
import { countNonFinite, decomposeCleanTensor, type SpectralBasis } from '../../seis';
import type { LayerResult, ScoreCell, TransformInfo } from '../../shared/results';
import { SpillStore } from '../../io/spill';
import { messageOf } from '../errors';
import { capture, openCaptureSession } from './capture';
import { dumpName, exactAfterPooling, failedLayer, scoreCell, scoredLayer, tensorOf } from './cells';
import type { AnalysisContext } from './context';
import { dumpArray } from './dump';
import type { PlannedLayer } from './stageValues';
import type { PreparedRun } from './prepared';
import type { WorkClock } from './workClock';

export interface ScoreSinks {
  /** A row is final (scored under every transform, or failed). */
  readonly onRow: (index: number, row: LayerResult) => void;
  readonly clock: WorkClock;
  /** A forward-pass batch was measured (after the clock has it). */
  readonly onBatch?: () => void;
}

/** One pass's pooled activations; each layer takes its own once (from memory, or read back from disk). */
interface Captured {
  take(p: PlannedLayer): Promise<Float32Array>;
  /** The layer failed before it needed this pass. */
  drop(p: PlannedLayer): void;
}

function inMemory(store: Map<PlannedLayer, Float32Array>): Captured {
  return {
    take: async (p) => {
      const data = store.get(p) as Float32Array;
      store.delete(p);
      return data;
    },
    drop: (p) => void store.delete(p),
  };
}

function onDisk(spill: SpillStore, pass: number, count: number): Captured {
  return {
    take: (p) => spill.take(pass, p.index, p.perProbe * count),
    drop: (p) => spill.drop(pass, p.index),
  };
}

/** Scores every planned layer; rows of unscorable tensors come from the plan. */
export async function scoreLayers(ctx: AnalysisContext, prepared: PreparedRun, sinks: ScoreSinks): Promise<void> {
  const { probes } = prepared.probes;
  const { planned, groups, transforms, batch } = prepared.plan;
  const { seis } = ctx.options;
  const count = probes.count;

  const session = await openCaptureSession(ctx, ctx.model, planned.map((p) => p.candidate.name), probes, batch);
  const spill = prepared.plan.spill ? SpillStore.create(prepared.plan.spill.parent) : null;
  try {
    for (const group of groups) {
      const live = group.filter((p) => !session.missing.has(p.candidate.name));
      for (const p of group) {
        if (session.missing.has(p.candidate.name)) {
          sinks.onRow(p.index, failedLayer(p, count, `onnxruntime did not return this tensor even with graph optimisations off; it cannot be captured`));
          sinks.clock.skipLayer(p);
        }
      }
      const passes = startPasses(ctx, { session, probes, batch, layers: live, transforms, clock: sinks.clock, onBatch: sinks.onBatch, spill });
      try {
        await forEachLimited(live, prepared.plan.lanes, async (p) => {
          const row = await scoreLayer(p, passes);
          sinks.onRow(p.index, row);
        });
      } finally {
        // A failed or cancelled lane must not leave passes running or their rejections unobserved.
        await Promise.allSettled(passes);
      }
    }
  } finally {
    await session.inst.session.release();
    await spill?.dispose();
  }

  async function scoreLayer(p: PlannedLayer, passes: readonly Promise<Captured>[]): Promise<LayerResult> {
    const dropFromLaterPasses = () => passes.slice(1).forEach((pass) => void pass.then((m) => m.drop(p), () => undefined));
    const cleanPass = await passes[0];
    ctx.checkCancel();
    const data = await cleanPass.take(p);
    const bad = countNonFinite(data);
    if (bad > 0) {
      dropFromLaterPasses();
      sinks.clock.skipLayer(p);
      return failedLayer(p, count, `${bad} NaN/Inf activation values on the clean probes; the model overflows on them or the input normalisation is wrong (try --normalize)`);
    }
    dumpArray(ctx, dumpName(p, 'clean'), { data, shape: p.storedShape(count) });
    let basis;
    let baseWarnings: readonly string[];
    const cleanStart = performance.now();
    const endClean = ctx.scoringClock.start();
    try {
      ({ basis, matrix: { warnings: baseWarnings } } = await decomposeCleanTensor(tensorOf(p, data, count), seis, ctx.backend, 'clean activations'));
    } catch (err) {
      dropFromLaterPasses();
      sinks.clock.skipLayer(p);
      return failedLayer(p, count, `could not be scored: ${messageOf(err)}`);
    } finally {
      endClean();
    }
    sinks.clock.jobDone(p, performance.now() - cleanStart);

    const cells: Record<string, ScoreCell> = {};
    for (const [i, t] of transforms.entries()) {
      const pass = await passes[i + 1];
      ctx.checkCancel();
      const moved = await pass.take(p);
      const start = performance.now();
      const end = ctx.scoringClock.start();
      const cell = await scoreMoved(p, t, moved, basis, baseWarnings).finally(end);
      if (cell) cells[t.id] = cell;
      sinks.clock.jobDone(p, performance.now() - start);
      ctx.progress(sinks.clock.progress(`${t.id}: scored ${p.candidate.name}`, t.id, p.candidate.name));
    }
    return scoredLayer(p, count, cells);
  }

  async function scoreMoved(p: PlannedLayer, t: TransformInfo, data: Float32Array, basis: SpectralBasis, baseWarnings: readonly string[]): Promise<ScoreCell | undefined> {
    const bad = countNonFinite(data);
    if (bad > 0) {
      ctx.warnings.push(`${p.candidate.name} under ${t.id}: ${bad} NaN/Inf activation values; this transform was not scored for the layer`);
      return undefined;
    }
    dumpArray(ctx, dumpName(p, t.id), { data, shape: p.storedShape(count) });
    try {
      return await scoreCell({ basis, warnings: baseWarnings }, tensorOf(p, data, count), exactAfterPooling(t, p), ctx.options, ctx.backend);
    } catch (err) {
      ctx.warnings.push(`${p.candidate.name} under ${t.id} could not be scored: ${messageOf(err)}`);
      return undefined;
    }
  }
}

interface PassPlan {
  readonly session: Parameters<typeof capture>[1]['session'];
  readonly probes: PreparedRun['probes']['probes'];
  readonly batch: number;
  readonly layers: readonly PlannedLayer[];
  readonly transforms: readonly TransformInfo[];
  readonly clock: WorkClock;
  readonly onBatch?: () => void;
  readonly spill: SpillStore | null;
}

/** Progress from inside a forward pass at most this often. */
const PASS_PROGRESS_INTERVAL_MS = 1000;

/** The clean pass then one pass per transform, run one after another; one promise per pass. */
function startPasses(ctx: AnalysisContext, plan: PassPlan): Promise<Captured>[] {
  const passes: Promise<Captured>[] = [];
  let previous: Promise<unknown> = Promise.resolve();
  for (const [position, transform] of [null, ...plan.transforms].entries()) {
    const pass = previous.then(async () => {
      // Which member of a sweep is running (the angle, the shift) and how many are left.
      const which = transform ? `${transform.id} (${transform.label}, ${position}/${plan.transforms.length})` : '';
      ctx.progress(
        transform
          ? plan.clock.progress(`${which}: running the transformed probes`, transform.id, undefined, 'transform')
          : plan.clock.progress(`clean probes through ${plan.layers.length} layers`, undefined, undefined, 'clean'),
      );
      const spill = plan.spill ? { store: plan.spill, pass: position } : undefined;
      const batches = Math.ceil(plan.probes.count / plan.batch);
      let done = 0;
      let told = performance.now();
      const onBatch = (ms: number) => {
        plan.clock.batchDone(ms);
        plan.onBatch?.();
        done++;
        // A pass of large inputs takes minutes (ISNet at 1024²: 32 batches of 3.5 s): its batches
        // keep the progress and the time left moving, at most once a second.
        const now = performance.now();
        if (now - told < PASS_PROGRESS_INTERVAL_MS || done === batches) return;
        told = now;
        const message = `${transform ? transform.id : 'clean probes'}: batch ${done}/${batches} run`;
        ctx.progress(plan.clock.progress(message, transform?.id, undefined, transform ? 'transform' : 'clean'));
      };
      plan.clock.passStarted();
      try {
        const store = await capture(ctx, { session: plan.session, probes: plan.probes, batch: plan.batch, transform, layers: plan.layers, onBatch, spill });
        return plan.spill ? onDisk(plan.spill, position, plan.probes.count) : inMemory(store);
      } finally {
        plan.clock.passEnded();
      }
    });
    // Observed here so a pass that fails after a lane stopped waiting is not an unhandled rejection.
    pass.catch(() => undefined);
    passes.push(pass);
    previous = pass;
  }
  return passes;
}

/** Runs `fn` over `items` with at most `limit` in flight; the first failure rejects. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failed) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  await Promise.all(lanes);
}
