/**
 * Stage 5, score: for each group of layers, capture the clean probes and decompose each layer once,
 * then per transform capture the transformed probes and score every layer against its clean basis
 * (scoreCell → scoreAgainstBasis: the same numbers as scorePair on the two tensors; with patterns too).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpyFile } from '../../io/npy';
import { decomposeObservations, matricize, type SpectralBasis } from '../../seis';
import type { LayerResult, ScoreCell } from '../../shared/results';
import { messageOf } from '../errors';
import { capture, openCaptureSession } from './capture';
import { countNonFinite, dumpName, exactAfterPooling, failedLayer, scoreCell, scoredLayer, tensorOf } from './cells';
import type { AnalysisContext } from './context';
import type { PreparedRun } from './prepared';
import type { PlannedLayer } from './plan';

/** Scores every planned layer; returns each chosen tensor's row, in selection order. */
export async function scoreLayers(ctx: AnalysisContext, prepared: PreparedRun): Promise<LayerResult[]> {
  const { probes } = prepared.probes;
  const { planned, groups, transforms, batch, unscorable } = prepared.plan;
  const { seis, dumpDir, concurrency } = ctx.options;
  const rows: (LayerResult | undefined)[] = [];
  for (const [index, row] of unscorable) rows[index] = row;
  if (dumpDir) mkdirSync(dumpDir, { recursive: true });

  const session = await openCaptureSession(ctx, ctx.model, planned.map((p) => p.candidate.name), probes, batch);
  const totalSteps = groups.length * (transforms.length + 1) + 1;
  let step = 0;
  const fraction = (inner: number) => 0.05 + (0.93 * (step + inner)) / totalSteps;
  const count = probes.count;

  try {
    for (const group of groups) {
      const live = group.filter((p) => !session.missing.has(p.candidate.name));
      for (const p of group) {
        if (session.missing.has(p.candidate.name)) rows[p.index] = failedLayer(p, count, `onnxruntime did not return this tensor even with graph optimisations off; it cannot be captured`);
      }
      ctx.progress({ stage: 'clean', message: `clean probes through ${live.length} layers`, fraction: fraction(0) });
      const clean = await capture(ctx, { session, probes, batch, transform: null, layers: live });
      const cleanStart = performance.now();
      const bases = new Map<PlannedLayer, { basis: SpectralBasis; warnings: string[] }>();
      await forEachLimited(live, concurrency, async (p) => {
        const data = clean.get(p) as Float32Array;
        const bad = countNonFinite(data);
        if (bad > 0) {
          rows[p.index] = failedLayer(p, count, `${bad} NaN/Inf activation values on the clean probes; the model overflows on them or the input normalisation is wrong (try --normalize)`);
          return;
        }
        if (dumpDir) writeNpyFile(join(dumpDir, dumpName(p, 'clean')), { data, shape: p.storedShape(count) });
        try {
          const m = matricize(tensorOf(p, data, count), seis.orientation);
          bases.set(p, { basis: await decomposeObservations(m, seis, ctx.backend, 'clean activations'), warnings: m.warnings });
        } catch (err) {
          rows[p.index] = failedLayer(p, count, `could not be scored: ${messageOf(err)}`);
        }
      });
      ctx.times.scoring += performance.now() - cleanStart;
      clean.clear();
      step++;
      const cells = new Map<PlannedLayer, Record<string, ScoreCell>>();
      for (const [position, t] of transforms.entries()) {
        ctx.checkCancel();
        // Which member of a sweep is running (the angle, the shift) and how many are left.
        const which = `${t.id} (${t.label}, ${position + 1}/${transforms.length})`;
        ctx.progress({ stage: 'transform', message: `${which}: running the transformed probes`, fraction: fraction(0), transform: t.id });
        const moved = await capture(ctx, { session, probes, batch, transform: t, layers: [...bases.keys()] });
        let done = 0;
        const scoringStart = performance.now();
        // Ordered by layer so results stay in graph order; a few in flight keep both cores busy.
        const ordered = [...bases].sort((a, b) => a[0].index - b[0].index);
        await forEachLimited(ordered, concurrency, async ([p, { basis, warnings: baseWarnings }]) => {
          ctx.checkCancel();
          const data = moved.get(p) as Float32Array;
          moved.delete(p);
          const bad = countNonFinite(data);
          if (bad > 0) {
            ctx.warnings.push(`${p.candidate.name} under ${t.id}: ${bad} NaN/Inf activation values; this transform was not scored for the layer`);
            return;
          }
          if (dumpDir) writeNpyFile(join(dumpDir, dumpName(p, t.id)), { data, shape: p.storedShape(count) });
          try {
            const row = cells.get(p) ?? {};
            row[t.id] = await scoreCell({ basis, warnings: baseWarnings }, tensorOf(p, data, count), exactAfterPooling(t, p), ctx.options, ctx.backend);
            cells.set(p, row);
          } catch (err) {
            ctx.warnings.push(`${p.candidate.name} under ${t.id} could not be scored: ${messageOf(err)}`);
          }
          done++;
          ctx.progress({ stage: 'scoring', message: `${t.id}: scored layer ${done}/${bases.size} ${p.candidate.name}`, fraction: fraction(done / bases.size), transform: t.id, layer: { index: done, count: bases.size, name: p.candidate.name } });
        });
        ctx.times.scoring += performance.now() - scoringStart;
        step++;
      }
      for (const p of bases.keys()) rows[p.index] = scoredLayer(p, count, cells.get(p) ?? {});
    }
  } finally {
    await session.inst.session.release();
  }
  return rows.filter((l): l is LayerResult => l !== undefined);
}

/** Runs `fn` over `items` with at most `limit` in flight; the first failure rejects. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
