/**
 * Stage 6, the input floor: SEIS of the raw (pooled) probe tensor under each transform, the level a
 * layer that merely passes its input through would reach.
 */
import { decomposeObservations, matricize } from '../../seis';
import type { ScoreCell } from '../../shared/results';
import { AnalysisError, messageOf } from '../errors';
import { extractPooled, poolPlan } from '../pooling';
import { applyTransform } from '../transforms';
import { scoreCell } from './cells';
import type { AnalysisContext } from './context';
import { dumpArray } from './dump';
import type { PreparedRun } from './prepared';

export async function scoreInputFloor(ctx: AnalysisContext, prepared: PreparedRun): Promise<Record<string, ScoreCell>> {
  const { probes } = prepared.probes;
  const { transforms } = prepared.plan;
  const { seis, maxPositions } = ctx.options;
  const plan = poolPlan(probes.height, probes.width, maxPositions);
  const shape = [probes.count, probes.channels, probes.height, probes.width];
  const pooledShape = [probes.count, probes.channels, plan.pooledHeight, plan.pooledWidth];
  const pooled = (data: Float32Array) => {
    const out = new Float32Array(probes.count * probes.channels * plan.pooledHeight * plan.pooledWidth);
    extractPooled(data, probes.count, probes.channels, plan, false, out, 0);
    return out;
  };
  const floor: Record<string, ScoreCell> = {};
  const end = ctx.scoringClock.start();
  try {
    const cleanData = pooled(probes.data);
    dumpArray(ctx, 'input.clean.npy', { data: cleanData, shape: pooledShape });
    const m = matricize({ data: cleanData, shape: pooledShape, layout: 'NCHW' }, seis.orientation);
    const basis = await decomposeObservations(m, seis, ctx.backend, 'clean input');
    const wasPooled = plan.pooledHeight !== plan.height || plan.pooledWidth !== plan.width;
    for (const t of transforms) {
      const moved = pooled(applyTransform(t, probes.data, shape));
      dumpArray(ctx, `input.${t.id}.npy`, { data: moved, shape: pooledShape });
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
