/**
 * The analysis: model file → per-layer SEIS scores under each input transform.
 *
 *   load + check the model → find the image input → build probes → learn every tensor's shape by
 *   running once → choose layers → for each group of layers that fits the memory budget:
 *   run the clean probes, decompose each layer once; then per transform run the transformed probes
 *   and score every layer against its clean decomposition → the input floor → the result document.
 *
 * Scores are computed exactly as scorePair would on the same (pooled) activations: matricize, the
 * clean and transformed decompositions, then scoreDecomposed with the seeded null. Memory stays
 * bounded by processing layers in groups (each group re-runs the forward passes) and by pooling
 * maps above `maxPositions`. Runs in whatever process calls it; callers that must stay responsive
 * use runner.ts, which puts it in a child process.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpyFile } from '../io/npy';
import {
  decomposeObservations,
  jsMatMulBackend,
  matricize,
  resolveOptions,
  scoreDecomposed,
  type ActivationTensor,
  type MatMulBackend,
  type PairScore,
  type SeisOptions,
  type SpectralBasis,
} from '../seis';
import { ANALYSIS_OPTIONS, DEFAULTS, DEFAULT_TRANSFORMS, optionName, type IntegerOptionKey, type RequestOrigin } from '../shared/defaults';
import { RESULTS_SCHEMA_VERSION, type AnalysisResult, type LayerResult, type ScoreCell, type TransformInfo } from '../shared/results';
import { AnalysisError, messageOf } from './errors';
import { chooseProbeSize, feedShape, findImageInput, roundedSizes, type ImageInput, type ProbeSize } from './imageInput';
import { candidateTensors, guessLayout, parseLayerSelection, selectLayers, type Candidate, type LayoutGuess } from './layers';
import { loadModel, type ModelView } from './onnxModel';
import { extractPooled, extractTokens, poolPlan, type PoolPlan } from './pooling';
import { builtinProbes, imageProbes, npyProbes, NORMALIZATION_PRESETS, toInputLayout, type Normalization, type ProbeSet } from './probes';
import type { AnalysisProgress, AnalysisRequest } from './protocol';
import { createOrtMatMulBackend } from './ortMatMulBackend';
import { openSession, runBatch, type InstrumentedSession } from './session';
import { applyTransform, parseTransforms, unavailableReason } from './transforms';

export const TOOL_VERSION = '0.1.0';

export interface EngineHooks {
  readonly onProgress?: (progress: AnalysisProgress) => void;
  /** Checked between batches and layers. */
  readonly isCancelled?: () => boolean;
  /** Matrix products for the SEIS core; the onnxruntime backend by default. */
  readonly backend?: MatMulBackend;
}

/** Layers scored at once: enough to keep the backend's eigensolver threads busy, few enough to bound memory. */
const SCORING_CONCURRENCY = 3;

/** A layer that will be captured: its plan for pooling and its storage size per probe. */
interface PlannedLayer {
  readonly index: number;
  readonly candidate: Candidate;
  readonly guess: LayoutGuess;
  /** Shape for one probe batch of size `shapeBatch` as returned by the shape run. */
  readonly sampleShape: readonly number[];
  readonly channels: number;
  readonly plan?: PoolPlan;
  readonly pooledTokens?: number;
  /** Values stored per probe image after pooling. */
  readonly perProbe: number;
  readonly storedShape: (count: number) => number[];
  readonly storedLayout: 'NCHW' | 'tokens';
}

interface Timer {
  inference: number;
  scoring: number;
}

export async function runAnalysis(request: AnalysisRequest, hooks: EngineHooks = {}): Promise<AnalysisResult> {
  const started = performance.now();
  const timer: Timer = { inference: 0, scoring: 0 };
  const warnings: string[] = [];
  const progress = (p: AnalysisProgress) => hooks.onProgress?.(p);
  const checkCancel = () => {
    if (hooks.isCancelled?.()) throw new AnalysisError('cancelled', 'analysis cancelled');
  };

  const seis = validateSeisOptions(request);
  const origin = request.origin ?? 'cli';
  const int = (key: IntegerOptionKey, value: number) => checkedInt(key, value, origin);
  const batchSize = int('batchSize', request.batchSize ?? DEFAULTS.batchSize);
  const maxPositions = int('maxPositions', request.maxPositions ?? DEFAULTS.maxPositions);
  const budgetBytes = int('memoryBudgetMB', request.memoryBudgetMB ?? DEFAULTS.memoryBudgetMB) * 2 ** 20;
  const executionProvider = request.executionProvider ?? DEFAULTS.executionProvider;
  if (request.inputs && request.images) throw new AnalysisError('bad-option', `give either ${optionName('inputs', origin)} (a .npy tensor) or ${optionName('images', origin)} (a folder), not both`);
  const transforms = parseTransforms(request.transforms ?? DEFAULT_TRANSFORMS);
  const selection = parseLayerSelection(request.layers);

  progress({ stage: 'loading', message: 'reading the model', fraction: 0 });
  const model = loadModel(request.modelPath);
  warnings.push(...model.warnings);
  const input = findImageInput(model, warnings);
  const jobs = request.jobs === undefined ? undefined : int('jobs', request.jobs);
  const concurrency = jobs === undefined ? SCORING_CONCURRENCY : jobs + 1;
  const ownBackend = hooks.backend ? undefined : await defaultBackend(warnings, jobs);
  const backend: MatMulBackend = hooks.backend ?? (ownBackend as MatMulBackend);
  try {
    return await analyse();
  } finally {
    await (ownBackend as { dispose?: () => Promise<void> } | undefined)?.dispose?.();
  }

  async function analyse(): Promise<AnalysisResult> {
    // Probes, then the shape run; a dynamic-size model that rejects the size gets rounded sizes.
    let size: ProbeSize | undefined = request.inputs ? undefined : chooseProbeSize(input, request.size, warnings);
    const makeProbes = (s: ProbeSize | undefined): ProbeSet => {
      if (request.inputs) return npyProbes(request.inputs, input);
      const px = { normalization: normalization(request), bgr: request.bgr ?? false };
      if (request.images) return imageProbes(request.images, int('maxImages', request.maxImages ?? DEFAULTS.maxImages), input, s as ProbeSize, px, request.fit ?? DEFAULTS.fit);
      return builtinProbes(int('probeCount', request.probeCount ?? DEFAULTS.probeCount), request.probeSeed ?? seis.seed, input, s as ProbeSize, px);
    };
    let probes = makeProbes(size);
    warnings.push(...probes.warnings);
    if (input.fixedBatch !== undefined && probes.count % input.fixedBatch !== 0) {
      throw new AnalysisError('probe-input', `${model.fileName} fixes its batch to ${input.fixedBatch}, and ${probes.count} probes do not split into such batches; use a multiple of ${input.fixedBatch} probes`);
    }
    const batch = input.fixedBatch ?? Math.min(batchSize, probes.count);
    const candidates = candidateTensors(model);
    // Every tensor is an output of the shape run, so it uses the smallest batch that still tells the
    // batch axis apart (2), not the full one.
    const shapeBatch = input.fixedBatch ?? Math.min(2, probes.count);
    progress({ stage: 'shapes', message: `learning tensor shapes (${candidates.length} tensors)`, fraction: 0.02 });

    let shapes: Map<string, readonly number[]>;
    let shapeSession: InstrumentedSession | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        shapeSession = await openSession(model, candidates.map((c) => c.name), 'all', executionProvider);
        shapes = await learnShapes(shapeSession, input, probes, shapeBatch);
        break;
      } catch (err) {
        const retry = size && !request.inputs && err instanceof AnalysisError && err.code === 'runtime' ? roundedSizes(input, size)[0] : undefined;
        if (!retry || attempt >= 2) throw err;
        warnings.push(`${model.fileName} rejected the ${size?.height}x${size?.width} probe size (${messageOf(err)}); retried at ${retry.height}x${retry.width}`);
        size = retry;
        probes = makeProbes(size);
      } finally {
        await shapeSession?.session.release();
        shapeSession = undefined;
      }
    }
    checkCancel();

    const inputHW: [number, number] = [probes.height, probes.width];
    const layouts = new Map<string, LayoutGuess>();
    for (const c of candidates) {
      const s = shapes.get(c.name);
      if (s) layouts.set(c.name, guessLayout(s, shapeBatch, input.layout, inputHW, c.node.op));
    }
    const chosen = selectLayers(model, candidates, selection, (n) => layouts.get(n), warnings);
    const planned: PlannedLayer[] = [];
    const layerResults: (LayerResult | undefined)[] = [];
    chosen.forEach((c, index) => {
      const shape = shapes.get(c.name);
      const guess = layouts.get(c.name);
      if (!shape || !guess) {
        layerResults[index] = { name: c.name, node: c.node.name, op: c.node.op, shape: [], layout: 'none', positions: 0, status: 'no-spatial-axis', message: 'not a floating-point tensor (e.g. a shape or index); nothing to score', scores: {} };
        return;
      }
      const full = [probes.count, ...shape.slice(1)];
      if (guess.layout === 'none') {
        layerResults[index] = { name: c.name, node: c.node.name, op: c.node.op, shape: full, layout: 'none', positions: guess.positions, status: 'no-spatial-axis', message: guess.reason, scores: {} };
        return;
      }
      planned.push(planLayer(index, c, guess, shape, maxPositions));
    });
    if (planned.length === 0) {
      throw new AnalysisError('no-image-input', `${model.fileName}: none of the ${chosen.length} selected tensors has a spatial or token axis; choose other layers (--layers all lists every tensor)`);
    }

    // Transforms that cannot keep the probe shape are dropped with the reason.
    const usable = transforms.filter((t) => {
      const why = unavailableReason(t, probes.height, probes.width);
      if (why) warnings.push(`${t.id} skipped: ${why}`);
      return !why;
    });
    if (usable.length === 0) throw new AnalysisError('bad-option', `none of the transforms can be applied to ${probes.height}x${probes.width} probes; see the warnings`);

    const dumpDir = request.dumpActivations;
    if (dumpDir) mkdirSync(dumpDir, { recursive: true });

    // Groups of layers whose clean + one transformed copy (and the float64 work copies) fit the budget.
    const groups = groupByBudget(planned, probes.count, budgetBytes);
    if (groups.length > 1) warnings.push(`activations exceed the ${Math.round(budgetBytes / 2 ** 20)} MiB budget; layers were processed in ${groups.length} groups (the probes were run once per group)`);

    const scoredOutputs = planned.map((p) => p.candidate.name);
    const runSession = await openVerified(model, scoredOutputs, input, probes, batch, executionProvider, warnings);
    const missing = new Set(runSession.missing);
    const totalSteps = groups.length * (usable.length + 1) + 1;
    let step = 0;
    const fraction = (inner: number) => 0.05 + (0.93 * (step + inner)) / totalSteps;

    try {
      for (const group of groups) {
        const live = group.filter((p) => !missing.has(p.candidate.name));
        for (const p of group) {
          if (missing.has(p.candidate.name)) layerResults[p.index] = failedLayer(p, probes.count, `onnxruntime did not return this tensor even with graph optimisations off; it cannot be captured`);
        }
        progress({ stage: 'clean', message: `clean probes through ${live.length} layers`, fraction: fraction(0) });
        const clean = await capture(runSession.inst, input, probes, batch, null, live, timer, checkCancel);
        const cleanStart = performance.now();
        const bases = new Map<PlannedLayer, { basis: SpectralBasis; warnings: string[] }>();
        await forEachLimited(live, concurrency, async (p) => {
          const data = clean.get(p) as Float32Array;
          const bad = countNonFinite(data);
          if (bad > 0) {
            layerResults[p.index] = failedLayer(p, probes.count, `${bad} NaN/Inf activation values on the clean probes; the model overflows on them or the input normalisation is wrong (try --normalize)`);
            return;
          }
          if (dumpDir) writeNpyFile(join(dumpDir, dumpName(p, 'clean')), { data, shape: p.storedShape(probes.count) });
          try {
            const m = matricize(tensorOf(p, data, probes.count), seis.orientation);
            bases.set(p, { basis: await decomposeObservations(m, seis, backend, 'clean activations'), warnings: m.warnings });
          } catch (err) {
            layerResults[p.index] = failedLayer(p, probes.count, `could not be scored: ${messageOf(err)}`);
          }
        });
        timer.scoring += performance.now() - cleanStart;
        clean.clear();
        step++;
        const cells = new Map<PlannedLayer, Record<string, ScoreCell>>();
        for (const t of usable) {
          checkCancel();
          progress({ stage: 'transform', message: `${t.id}: running the transformed probes`, fraction: fraction(0), transform: t.id });
          const moved = await capture(runSession.inst, input, probes, batch, t, [...bases.keys()], timer, checkCancel);
          let i = 0;
          const scoringStart = performance.now();
          // Ordered by layer so results stay in graph order; a few in flight keep both cores busy.
          const ordered = [...bases].sort((a, b) => a[0].index - b[0].index);
          await forEachLimited(ordered, concurrency, async ([p, { basis, warnings: baseWarnings }]) => {
            checkCancel();
            const data = moved.get(p) as Float32Array;
            moved.delete(p);
            const bad = countNonFinite(data);
            if (bad > 0) {
              warnings.push(`${p.candidate.name} under ${t.id}: ${bad} NaN/Inf activation values; this transform was not scored for the layer`);
              return;
            }
            if (dumpDir) writeNpyFile(join(dumpDir, dumpName(p, t.id)), { data, shape: p.storedShape(probes.count) });
            try {
              const score = await scoreAgainst(basis, baseWarnings, tensorOf(p, data, probes.count), seis, backend);
              const row = cells.get(p) ?? {};
              row[t.id] = toCell(score, exactAfterPooling(t, p), request.includeCorrelations ?? false);
              cells.set(p, row);
            } catch (err) {
              warnings.push(`${p.candidate.name} under ${t.id} could not be scored: ${messageOf(err)}`);
            }
            i++;
            progress({ stage: 'scoring', message: `${t.id}: scored layer ${i}/${bases.size} ${p.candidate.name}`, fraction: fraction(i / bases.size), transform: t.id, layer: { index: i, count: bases.size, name: p.candidate.name } });
          });
          timer.scoring += performance.now() - scoringStart;
          step++;
        }
        for (const p of bases.keys()) {
          const scores = cells.get(p) ?? {};
          layerResults[p.index] =
            Object.keys(scores).length > 0
              ? { ...layerBase(p, probes.count), status: 'scored', scores }
              : failedLayer(p, probes.count, 'no transform could be scored for this layer; see the warnings');
        }
      }
    } finally {
      await runSession.inst.session.release();
    }

    progress({ stage: 'floor', message: 'input floor', fraction: fraction(0) });
    const inputFloor = await scoreInputFloor(probes, usable, maxPositions, seis, backend, timer, dumpDir, request.includeCorrelations ?? false, warnings);
    progress({ stage: 'finishing', message: 'assembling the result', fraction: 0.99 });

    const totalMs = performance.now() - started;
    const layers = layerResults.filter((l): l is LayerResult => l !== undefined);
    const scored = layers.filter((l) => l.status === 'scored');
    if (scored.length === 0) warnings.push('no layer could be scored; see each layer\'s message');
    const underdetermined = scored.filter((l) => Object.values(l.scores).some((c) => c.underdetermined)).length;
    if (underdetermined > 0) warnings.push(`${underdetermined} layers are underdetermined (observations < k + k′): their scores sit near 1 for any data; use more probes (--probes or more images)`);
    return {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      tool: { name: 'seis-lens', version: TOOL_VERSION },
      createdAt: new Date().toISOString(),
      model: {
        path: model.path,
        fileName: model.fileName,
        sha256: model.sha256,
        sizeBytes: model.sizeBytes,
        opsets: model.opsets,
        nodeCount: model.nodes.length,
        producer: model.producer,
        inputName: input.name,
        declaredInputShape: input.declared,
        probeInputShape: feedShape(input, probes.count, { height: probes.height, width: probes.width }),
        inputLayout: input.layout,
      },
      settings: {
        keep: seis.keep,
        nullPermutations: seis.nullPermutations,
        seed: seis.seed,
        orientation: seis.orientation,
        probes: { source: probes.source, ...(probes.path ? { path: probes.path } : {}), count: probes.count },
        transforms: usable.map((t) => t.id),
        layerSelection: selection.text,
        batchSize: batch,
        maxPositions,
        executionProvider,
      },
      transforms: usable,
      inputFloor,
      layers,
      timing: {
        totalMs,
        inferenceMs: timer.inference,
        scoringMs: timer.scoring,
        otherMs: Math.max(0, totalMs - timer.inference - timer.scoring),
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
      },
      warnings,
    };
  }
}

async function defaultBackend(warnings: string[], jobs: number | undefined): Promise<MatMulBackend> {
  try {
    return await createOrtMatMulBackend(jobs === undefined ? {} : { eigenThreads: jobs });
  } catch (err) {
    warnings.push(`the onnxruntime matrix backend could not start (${messageOf(err)}); scored with the slower pure-JS backend`);
    return jsMatMulBackend;
  }
}

function validateSeisOptions(request: AnalysisRequest): SeisOptions {
  try {
    return resolveOptions({ keep: request.keep, nullPermutations: request.nullPermutations, seed: request.seed, orientation: request.orientation });
  } catch (err) {
    throw new AnalysisError('bad-option', messageOf(err));
  }
}

function checkedInt(key: IntegerOptionKey, value: number, origin: RequestOrigin): number {
  const { min, max } = ANALYSIS_OPTIONS[key];
  if (!Number.isInteger(value) || value < min || value > max) throw new AnalysisError('bad-option', `${optionName(key, origin)} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function normalization(request: AnalysisRequest): Normalization {
  const n = request.normalize ?? DEFAULTS.normalize;
  if (typeof n === 'string') {
    const preset = NORMALIZATION_PRESETS[n];
    if (!preset) throw new AnalysisError('bad-option', `unknown normalisation '${n}'; use ${Object.keys(NORMALIZATION_PRESETS).join(', ')} or mean/std values`);
    return preset;
  }
  const ok = (v: readonly number[]) => v.length === 3 && v.every(Number.isFinite);
  if (!ok(n.mean) || !ok(n.std) || n.std.some((s) => s <= 0)) throw new AnalysisError('bad-option', 'mean and std need three finite values each (RGB, pixels in [0,1]) and std > 0');
  return { mean: n.mean, std: n.std };
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

function toFeed(input: ImageInput, data: Float32Array): Float32Array | Float64Array {
  return input.elemType === 11 ? Float64Array.from(data) : data;
}

/** Opens the scoring session and checks on one batch that every requested tensor comes back. */
async function openVerified(
  model: ModelView,
  outputs: string[],
  input: ImageInput,
  probes: ProbeSet,
  batch: number,
  ep: string,
  warnings: string[],
): Promise<{ inst: InstrumentedSession; missing: string[] }> {
  let inst = await openSession(model, outputs, 'all', ep);
  const probe = async (s: InstrumentedSession) => {
    const shape = [batch, probes.channels, probes.height, probes.width];
    const feed = toFeed(input, toInputLayout(probes.data.subarray(0, shape.reduce((a, b) => a * b, 1)), shape, input.layout));
    const out = await runBatch(s, input.name, feed, feedShape(input, batch, probes), outputs);
    return outputs.filter((n) => !out.has(n));
  };
  let missing = await probe(inst);
  if (missing.length > 0) {
    await inst.session.release();
    inst = await openSession(model, outputs, 'disabled', ep);
    const before = missing.length;
    missing = await probe(inst);
    warnings.push(`with graph optimisations on, onnxruntime did not return ${before} requested tensors; ran with optimisations off${missing.length ? ` (still missing: ${missing.join(', ')})` : ''}`);
  }
  return { inst, missing };
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

/** Bytes a layer costs while scored: stored float32 for clean + transformed, plus float64 work copies. */
function layerCost(p: PlannedLayer, count: number): number {
  return p.perProbe * count * (4 * 2 + 8 * 3);
}

function groupByBudget(planned: PlannedLayer[], count: number, budget: number): PlannedLayer[][] {
  const groups: PlannedLayer[][] = [];
  let current: PlannedLayer[] = [];
  let used = 0;
  for (const p of planned) {
    const cost = layerCost(p, count);
    if (current.length > 0 && used + cost > budget) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(p);
    used += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Runs all probes (optionally transformed) through the session and stores each layer pooled, NCHW. */
async function capture(
  inst: InstrumentedSession,
  input: ImageInput,
  probes: ProbeSet,
  batch: number,
  transform: TransformInfo | null,
  layers: readonly PlannedLayer[],
  timer: Timer,
  checkCancel: () => void,
): Promise<Map<PlannedLayer, Float32Array>> {
  const store = new Map<PlannedLayer, Float32Array>();
  if (layers.length === 0) return store;
  for (const p of layers) store.set(p, new Float32Array(p.perProbe * probes.count));
  const plane = probes.channels * probes.height * probes.width;
  const fetches = layers.map((p) => p.candidate.name);
  for (let start = 0; start < probes.count; start += batch) {
    checkCancel();
    const b = Math.min(batch, probes.count - start);
    const shape = [b, probes.channels, probes.height, probes.width];
    let data = probes.data.subarray(start * plane, (start + b) * plane);
    if (transform) data = applyTransform(transform, data, shape);
    const feed = toFeed(input, toInputLayout(data, shape, input.layout));
    const t0 = performance.now();
    const out = await runBatch(inst, input.name, feed, feedShape(input, b, probes), fetches);
    timer.inference += performance.now() - t0;
    for (const p of layers) {
      const t = out.get(p.candidate.name);
      if (!t) throw new AnalysisError('runtime', `onnxruntime stopped returning tensor '${p.candidate.name}' mid-run`);
      const expected = [b, ...p.sampleShape.slice(1)];
      if (t.dims.length !== expected.length || t.dims.some((d, i) => d !== expected[i])) {
        throw new AnalysisError('runtime', `tensor '${p.candidate.name}' changed shape from (${expected.join(', ')}) to (${t.dims.join(', ')})${transform ? ` under ${transform.id}` : ''}; the model's layers depend on the input content, which SEIS cannot pair`);
      }
      const dst = store.get(p) as Float32Array;
      if (p.storedLayout === 'tokens') extractTokens(t.data, b, p.sampleShape[1], p.sampleShape[2], p.pooledTokens as number, dst, start * p.perProbe);
      else extractPooled(t.data, b, p.channels, p.plan as PoolPlan, p.guess.layout === 'NHWC', dst, start * p.perProbe);
    }
  }
  return store;
}

function tensorOf(p: PlannedLayer, data: Float32Array, count: number): ActivationTensor {
  return { data, shape: p.storedShape(count), layout: p.storedLayout };
}

/** The same steps as scorePair, reusing the clean decomposition. */
async function scoreAgainst(clean: SpectralBasis, cleanWarnings: readonly string[], moved: ActivationTensor, seis: SeisOptions, backend: MatMulBackend): Promise<PairScore> {
  const m = matricize(moved, seis.orientation);
  const basis = await decomposeObservations(m, seis, backend, 'transformed activations');
  const warnings = [...cleanWarnings];
  if (seis.orientation === 'channel') warnings.push('Channel orientation (observations = samples·positions, variables = channels): a diagnostic, not SEIS.');
  return scoreDecomposed(clean, basis, seis, backend, warnings);
}

function countNonFinite(data: Float32Array): number {
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
  return bad;
}

/** Pooling breaks the exactness of shifts that do not move whole pooling bins. */
function exactAfterPooling(t: TransformInfo, p: PlannedLayer): boolean {
  if (!t.exact) return false;
  if (t.kind === 'shift' && p.plan && (p.plan.pooledHeight !== p.plan.height || p.plan.pooledWidth !== p.plan.width)) return false;
  return true;
}

function toCell(s: PairScore, exact: boolean, withCorrelations: boolean): ScoreCell {
  return {
    equivariance: s.equivariance,
    invariance: s.invariance,
    null: { equivariance: s.null.equivariance, invariance: s.null.invariance, permutations: s.null.permutations },
    rankClean: s.rankClean,
    rankTransformed: s.rankTransformed,
    r: s.r,
    observations: s.observations,
    variables: s.variables,
    exact,
    underdetermined: s.underdetermined,
    ...(withCorrelations ? { canonicalCorrelations: s.canonicalCorrelations } : {}),
    warnings: s.warnings,
  };
}

function layerBase(p: PlannedLayer, count: number): Omit<LayerResult, 'status' | 'scores'> {
  const positions = p.guess.positions;
  const pooled = p.plan ? p.plan.pooledHeight * p.plan.pooledWidth : (p.pooledTokens as number);
  return {
    name: p.candidate.name,
    node: p.candidate.node.name,
    op: p.candidate.node.op,
    shape: [count, ...p.sampleShape.slice(1)],
    layout: p.guess.layout,
    positions,
    ...(pooled !== positions ? { pooledPositions: pooled } : {}),
  };
}

function failedLayer(p: PlannedLayer, count: number, message: string): LayerResult {
  return { ...layerBase(p, count), status: 'failed', message, scores: {} };
}

function dumpName(p: PlannedLayer, what: string): string {
  const safe = p.candidate.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
  return `${String(p.index).padStart(3, '0')}_${safe}.${what}.npy`;
}

/** SEIS of the raw (pooled) input tensor under each transform. */
async function scoreInputFloor(
  probes: ProbeSet,
  transforms: readonly TransformInfo[],
  maxPositions: number,
  seis: SeisOptions,
  backend: MatMulBackend,
  timer: Timer,
  dumpDir: string | undefined,
  withCorrelations: boolean,
  warnings: string[],
): Promise<Record<string, ScoreCell>> {
  const plan = poolPlan(probes.height, probes.width, maxPositions);
  const shape = [probes.count, probes.channels, probes.height, probes.width];
  const pooledShape = [probes.count, probes.channels, plan.pooledHeight, plan.pooledWidth];
  const pooled = (data: Float32Array) => {
    const out = new Float32Array(probes.count * probes.channels * plan.pooledHeight * plan.pooledWidth);
    extractPooled(data, probes.count, probes.channels, plan, false, out, 0);
    return out;
  };
  const floor: Record<string, ScoreCell> = {};
  const t0 = performance.now();
  try {
    const cleanData = pooled(probes.data);
    if (dumpDir) writeNpyFile(join(dumpDir, 'input.clean.npy'), { data: cleanData, shape: pooledShape });
    const m = matricize({ data: cleanData, shape: pooledShape, layout: 'NCHW' }, seis.orientation);
    const basis = await decomposeObservations(m, seis, backend, 'clean input');
    const wasPooled = plan.pooledHeight !== plan.height || plan.pooledWidth !== plan.width;
    for (const t of transforms) {
      const moved = pooled(applyTransform(t, probes.data, shape));
      if (dumpDir) writeNpyFile(join(dumpDir, `input.${t.id}.npy`), { data: moved, shape: pooledShape });
      const score = await scoreAgainst(basis, m.warnings, { data: moved, shape: pooledShape, layout: 'NCHW' }, seis, backend);
      floor[t.id] = toCell(score, t.exact && !(t.kind === 'shift' && wasPooled), withCorrelations);
    }
  } catch (err) {
    warnings.push(`the input floor could not be scored: ${messageOf(err)}`);
  }
  timer.scoring += performance.now() - t0;
  return floor;
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
