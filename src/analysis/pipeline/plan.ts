/**
 * Stage 3, plan the layers: which tensors are scored, how each is pooled and stored, which
 * transforms apply at the probe size, the forward-pass batch, and the groups of layers whose
 * activations fit the memory budget together. Tensors that cannot be scored get their result here.
 */
import type { LayerResult } from '../../shared/results';
import { AnalysisError } from '../errors';
import { guessLayout, selectLayers, type Candidate, type LayoutGuess } from '../layers';
import { poolPlan } from '../pooling';
import { unavailableReason } from '../transforms';
import { optionName } from '../../shared/defaults';
import type { AnalysisContext } from './context';
import { freeBytes } from '../../io/spill';
import { batchOutputBytes, feedingBytes, layerWorkBytes, mib, SPILL_DISK_RESERVE, spillBatchBytes, spillLaneBytes, storedBytes } from './memory';
import type { ProbeSet } from '../probes';
import type { LayerPlan, PlannedLayer, ProbeStage } from './stageValues';

export function planLayers(ctx: AnalysisContext, stage: ProbeStage): LayerPlan {
  const { model, input, options } = ctx;
  const { probes, candidates, shapes, shapeBatch } = stage;
  const warnings: string[] = [];
  const inputHW: [number, number] = [probes.height, probes.width];
  const layouts = new Map<string, LayoutGuess>();
  for (const c of candidates) {
    const s = shapes.get(c.name);
    if (s) layouts.set(c.name, guessLayout(s, shapeBatch, input.layout, inputHW, c.node.op));
  }
  const chosen = selectLayers(model, candidates, options.selection, (n) => layouts.get(n), warnings);
  const planned: PlannedLayer[] = [];
  const unscorable = new Map<number, LayerResult>();
  chosen.forEach((c, index) => {
    const shape = shapes.get(c.name);
    const guess = layouts.get(c.name);
    if (!shape || !guess) {
      unscorable.set(index, { name: c.name, node: c.node.name, op: c.node.op, shape: [], layout: 'none', positions: 0, status: 'no-spatial-axis', message: 'not a floating-point tensor (e.g. a shape or index); nothing to score', scores: {} });
      return;
    }
    if (guess.layout === 'none') {
      unscorable.set(index, { name: c.name, node: c.node.name, op: c.node.op, shape: [probes.count, ...shape.slice(1)], layout: 'none', positions: guess.positions, status: 'no-spatial-axis', message: guess.reason, scores: {} });
      return;
    }
    planned.push(planLayer(index, c, guess, shape, options.maxPositions));
  });
  if (planned.length === 0) {
    throw new AnalysisError('no-image-input', `${model.fileName}: none of the ${chosen.length} selected tensors has a spatial or token axis; choose other layers (--layers all lists every tensor)`);
  }

  // Transforms that cannot keep the probe shape are dropped with the reason.
  const transforms = options.transforms.filter((t) => {
    const why = unavailableReason(t, probes.height, probes.width);
    if (why) warnings.push(`${t.id} skipped: ${why}`);
    return !why;
  });
  if (transforms.length === 0) throw new AnalysisError('bad-option', `none of the transforms can be applied to ${probes.height}x${probes.width} probes; see the warnings`);

  const requestedBatch = input.fixedBatch ?? Math.min(options.batchSize, probes.count);
  const plane = probes.channels * probes.height * probes.width;
  const passes = 1 + transforms.length;
  const inMemory = fitToBudget(ctx, planned, probes, plane, passes, requestedBatch);
  const spilled = inMemory.groups.length > 1 ? fitSpill(ctx, planned, probes, plane, passes, requestedBatch, warnings) : null;
  const { groups, batch, lanes } = spilled ?? inMemory;
  if (batch < requestedBatch) warnings.push(`forward passes of ${batch} probes instead of ${requestedBatch}: a batch's outputs would not fit the ${mib(options.budgetBytes)} memory budget`);
  if (spilled) {
    warnings.push(`activations exceed the ${mib(options.budgetBytes)} memory budget; ${mib(spilled.spill.bytes)} of pooled activations waited on disk under ${spilled.spill.parent} (deleted as they were read) instead of running the probes once per group of layers`);
  } else if (groups.length > 1) {
    warnings.push(`activations exceed the ${mib(options.budgetBytes)} memory budget; layers were processed in ${groups.length} groups (the probes were run once per group)`);
  }
  return { chosenCount: chosen.length, planned, unscorable, transforms, batch, lanes, groups, spill: spilled?.spill ?? null, warnings };
}

/**
 * The plan with every pass spilled to disk: one group, so the probes run once. Memory then holds a
 * batch's outputs of every layer and, per lane, one layer's passes read back. Null (with the reason
 * as a warning when it is the disk) when spilling is off, does not fit the budget, or the disk lacks
 * the room; the run then uses groups.
 */
function fitSpill(
  ctx: AnalysisContext,
  planned: readonly PlannedLayer[],
  probes: ProbeSet,
  plane: number,
  passes: number,
  requestedBatch: number,
  warnings: string[],
): { groups: PlannedLayer[][]; batch: number; lanes: number; spill: { parent: string; bytes: number } } | null {
  const { budgetBytes, spillParent } = ctx.options;
  const count = probes.count;
  if (spillParent === null) return null;
  const work = heaviestWork(planned, count);
  const heaviestLane = Math.max(...planned.map((p) => spillLaneBytes(p, count)));
  const held = (batch: number, lanes: number) =>
    feedingBytes(probes, plane, batch) + work(lanes) + lanes * heaviestLane + planned.reduce((a, p) => a + spillBatchBytes(p, batch), 0);
  const fits = (batch: number, lanes: number) => held(batch, lanes) <= budgetBytes;
  const { batch, lanes } = shrinkToFit(ctx, planned.length, requestedBatch, fits);
  if (!fits(batch, lanes)) return null;
  const bytes = planned.reduce((a, p) => a + storedBytes(p, count, passes), 0);
  const free = freeBytes(spillParent);
  if (free === undefined || free < bytes + SPILL_DISK_RESERVE) {
    warnings.push(`${mib(bytes)} of activations exceed the memory budget, and ${spillParent} ${free === undefined ? 'cannot be checked for free space' : `has only ${mib(free)} free`}; the probes were run once per group of layers instead (${optionName('spill', ctx.options.origin)} DIR chooses another folder)`);
    return null;
  }
  return { groups: [[...planned]], batch, lanes, spill: { parent: spillParent, bytes } };
}

/** Float64 work bytes of the `lanes` heaviest layers: what that many layers scored side by side hold. */
function heaviestWork(planned: readonly PlannedLayer[], count: number): (lanes: number) => number {
  const sorted = planned.map((p) => layerWorkBytes(p, count)).sort((a, b) => b - a);
  return (lanes) => sorted.slice(0, lanes).reduce((a, b) => a + b, 0);
}

/**
 * The lanes and batch a plan gives up first when `fits` fails: fewer layers scored side by side
 * (their float64 copies are the largest item), then a smaller batch (unless the model fixes it).
 * The caller checks `fits` on the answer: it may still fail.
 */
function shrinkToFit(ctx: AnalysisContext, layers: number, requestedBatch: number, fits: (batch: number, lanes: number) => boolean): { batch: number; lanes: number } {
  const fixed = ctx.input.fixedBatch;
  let lanes = Math.min(ctx.options.concurrency, layers);
  while (lanes > 1 && !fits(fixed ?? requestedBatch, lanes)) lanes--;
  let batch = requestedBatch;
  while (fixed === undefined && batch > 1 && !fits(batch, lanes)) batch = Math.max(1, Math.floor(batch / 2));
  return { batch, lanes };
}

function planLayer(index: number, candidate: Candidate, guess: LayoutGuess, shape: readonly number[], maxPositions: number): PlannedLayer {
  if (guess.layout === 'tokens') {
    const [, tokens, dim] = shape;
    const pooledTokens = Math.min(tokens, maxPositions);
    return {
      index,
      candidate,
      guess,
      sampleShape: shape,
      channels: dim,
      pooledTokens,
      perProbe: pooledTokens * dim,
      storedShape: (n) => [n, pooledTokens, dim],
      storedLayout: 'tokens',
    };
  }
  const nhwc = guess.layout === 'NHWC';
  const [c, h, w] = nhwc ? [shape[3], shape[1], shape[2]] : [shape[1], shape[2], shape[3]];
  const plan = poolPlan(h, w, maxPositions);
  return {
    index,
    candidate,
    guess,
    sampleShape: shape,
    channels: c,
    plan,
    perProbe: c * plan.pooledHeight * plan.pooledWidth,
    storedShape: (n) => [n, c, plan.pooledHeight, plan.pooledWidth],
    storedLayout: 'NCHW',
  };
}

/**
 * Splits the layers into groups whose pooled activations (every pass) and one batch of
 * onnxruntime outputs fit what the budget leaves after the probes and the scoring work copies;
 * lowers the batch first when a single layer's outputs would not fit. Refuses, before any pass,
 * a layer that cannot fit even alone.
 */
function fitToBudget(ctx: AnalysisContext, planned: readonly PlannedLayer[], probes: ProbeSet, plane: number, passes: number, requestedBatch: number): { groups: PlannedLayer[][]; batch: number; lanes: number } {
  const { budgetBytes, origin } = ctx.options;
  const count = probes.count;
  const work = heaviestWork(planned, count);
  const cost = (p: PlannedLayer, batch: number) => storedBytes(p, count, passes) + batchOutputBytes(p, batch);
  const available = (batch: number, lanes: number) => budgetBytes - feedingBytes(probes, plane, batch) - work(lanes);
  // The costliest layer depends on the batch (stored activations against one batch's outputs), so
  // every batch tried is checked against the costliest layer at that batch.
  const largestAt = (batch: number) => planned.reduce((a, p) => (cost(p, batch) > cost(a, batch) ? p : a), planned[0]);
  const fits = (batch: number, lanes: number) => cost(largestAt(batch), batch) <= available(batch, lanes);
  // A layer that fits neither way is refused before any pass.
  const { batch, lanes } = shrinkToFit(ctx, planned.length, requestedBatch, fits);
  if (!fits(batch, lanes)) {
    const largest = largestAt(batch);
    const need = cost(largest, batch) + budgetBytes - available(batch, lanes);
    throw new AnalysisError(
      'bad-option',
      `layer '${largest.candidate.name}' (${largest.sampleShape.slice(1).join('×')} per probe) needs ${mib(need)} with ${count} probes and ${passes} passes, more than ${optionName('memoryBudgetMB', origin)} ${mib(budgetBytes)}; ` +
        `use a larger budget, fewer probes (${optionName('probeCount', origin)}), a lower ${optionName('maxPositions', origin)}, or leave the layer out (${optionName('layers', origin)})`,
    );
  }
  const groups: PlannedLayer[][] = [];
  let current: PlannedLayer[] = [];
  let used = 0;
  for (const p of planned) {
    const c = cost(p, batch);
    if (current.length > 0 && used + c > available(batch, lanes)) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(p);
    used += c;
  }
  if (current.length > 0) groups.push(current);
  return { groups, batch, lanes };
}
