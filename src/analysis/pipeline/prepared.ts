/**
 * Probes + plan as one value: what several analyses of the same architecture (a checkpoint series,
 * a sweep) can share. The first run prepares it; later runs pass it back in and skip both stages,
 * after a check that the model still has the same input and every planned tensor.
 */
import { AnalysisError } from '../errors';
import { candidateTensors } from '../layers';
import type { AnalysisContext } from './context';
import { planLayers } from './plan';
import { prepareProbes } from './probes';
import type { LayerPlan, ProbeStage } from './stageValues';

export interface PreparedRun {
  readonly probes: ProbeStage;
  readonly plan: LayerPlan;
}

export async function prepareRun(ctx: AnalysisContext): Promise<PreparedRun> {
  const probes = await prepareProbes(ctx);
  ctx.warnings.push(...probes.warnings);
  const plan = planLayers(ctx, probes);
  ctx.warnings.push(...plan.warnings);
  return { probes, plan };
}

/** Adopts a run prepared on another model, refusing it when this model cannot take it. */
export function reusePrepared(ctx: AnalysisContext, prepared: PreparedRun): PreparedRun {
  const { input, model } = ctx;
  const { probes } = prepared.probes;
  const mismatch =
    input.channels !== probes.channels
      ? `${input.channels} input channels, the prepared probes have ${probes.channels}`
      : input.fixedHeight !== undefined && input.fixedHeight !== probes.height
        ? `a fixed input height ${input.fixedHeight}, the prepared probes are ${probes.height} high`
        : input.fixedWidth !== undefined && input.fixedWidth !== probes.width
          ? `a fixed input width ${input.fixedWidth}, the prepared probes are ${probes.width} wide`
          : undefined;
  if (mismatch) throw new AnalysisError('probe-input', `${model.fileName} has ${mismatch}; analyse it on its own rather than with another model's probes`);
  const names = new Set(candidateTensors(model).map((c) => c.name));
  const absent = prepared.plan.planned.filter((p) => !names.has(p.candidate.name)).map((p) => p.candidate.name);
  if (absent.length > 0) {
    throw new AnalysisError('bad-option', `${model.fileName} has no tensor ${absent.slice(0, 3).map((n) => `'${n}'`).join(', ')}${absent.length > 3 ? ` (and ${absent.length - 3} more)` : ''} of the prepared layer plan; it is not the same architecture`);
  }
  ctx.warnings.push(...prepared.probes.warnings, ...prepared.plan.warnings);
  return prepared;
}
