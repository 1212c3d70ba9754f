/**
 * Stage 6, the input floor: SEIS of the raw (pooled) probe tensor under each transform, the level a
 * layer that merely passes its input through would reach.
 */
import { decomposeCleanTensor } from '../../seis';
import type { ScoreCell, TransformInfo } from '../../shared/results';
import { AnalysisError, messageOf } from '../errors';
import { extractPooled, poolPlan } from '../pooling';
import { applyTransform } from '../transforms';
import { INPUT_DUMP_STEM, scoreCell } from './cells';
import type { AnalysisContext } from './context';
import { dumpArray } from './dump';
import type { PreparedRun } from './prepared';

export async function scoreInputFloor(ctx: AnalysisContext, prepared: PreparedRun): Promise<Record<string, ScoreCell>> {
  const { probes } = prepared.probes;
  const { transforms } = prepared.plan;
  const { seis, maxPositions } = ctx.options;
  const plan = poolPlan(probes.height, probes.width, maxPositions);
  const pooledShape = [probes.count, probes.channels, plan.pooledHeight, plan.pooledWidth];
  const perProbe = probes.channels * plan.pooledHeight * plan.pooledWidth;
  const { batch } = prepared.plan;
  // Batch by batch, as the passes read the probes, each batch once for every transform: a set too
  // large to hold is made per batch (ISNet at 1024²: made once per transform, the floor took 40 s
  // before the first pass), and a transform acts on each image alone, so this is the whole set
  // transformed and pooled.
  const variants: readonly (TransformInfo | null)[] = [null, ...transforms];
  const floor: Record<string, ScoreCell> = {};
  const end = ctx.scoringClock.start();
  try {
    const pooledAll = variants.map(() => new Float32Array(probes.count * perProbe));
    for (let start = 0; start < probes.count; start += batch) {
      const b = Math.min(batch, probes.count - start);
      const data = probes.batch(start, b);
      variants.forEach((t, i) => extractPooled(t ? applyTransform(t, data, [b, probes.channels, probes.height, probes.width]) : data, b, probes.channels, plan, false, pooledAll[i], start * perProbe));
    }
    const cleanData = pooledAll[0];
    dumpArray(ctx, `${INPUT_DUMP_STEM}.clean.npy`, { data: cleanData, shape: pooledShape });
    const { basis, matrix: m } = await decomposeCleanTensor({ data: cleanData, shape: pooledShape, layout: 'NCHW' }, seis, ctx.backend, 'clean input');
    const wasPooled = plan.pooledHeight !== plan.height || plan.pooledWidth !== plan.width;
    for (const [i, t] of transforms.entries()) {
      const moved = pooledAll[i + 1];
      dumpArray(ctx, `${INPUT_DUMP_STEM}.${t.id}.npy`, { data: moved, shape: pooledShape });
      floor[t.id] = await scoreCell({ basis, warnings: m.warnings }, { data: moved, shape: pooledShape, layout: 'NCHW' }, t.exact && !(t.kind === 'shift' && wasPooled), ctx.options, ctx.backend);
    }
  } catch (err) {
    // A refused dump write or a cancel ends the run; only the floor's own scoring may fail alone.
    if (err instanceof AnalysisError) throw err;
    ctx.warnings.push(`the input floor could not be scored: ${messageOf(err)}`);
  } finally {
    end();
  }
  return floor;
}
