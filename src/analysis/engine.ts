/**
 * The analysis: model file → per-layer SEIS scores under each input transform, as a pipeline of
 * named stages over one context (src/analysis/pipeline/, one file per stage):
 *
 *   resolve the request → probes (+ the shape run) → plan the layers → capture and score each
 *   group of layers → the input floor → assemble the result document.
 *
 * Probes and plan form one value (PreparedRun) that later analyses of the same architecture can be
 * handed instead of preparing their own. Scores are exactly scorePair's on the same (pooled)
 * activations (docs/method.md). Runs in whatever process calls it; callers that must stay
 * responsive use runner.ts, which puts it in a child process.
 */
import { jsMatMulBackend, type MatMulBackend } from '../seis';
import { optionName } from '../shared/defaults';
import type { AnalysisResult, LayerResult, ScoreCell } from '../shared/results';
import { messageOf } from './errors';
import { findImageInput } from './imageInput';
import { loadModel } from './onnxModel';
import { createOrtMatMulBackend } from './ortMatMulBackend';
import { assembleResult } from './pipeline/assemble';
import { createContext, type AnalysisContext, type EngineHooks } from './pipeline/context';
import { openDumpFolder } from './pipeline/dump';
import { scoreInputFloor } from './pipeline/floor';
import { prepareRun, reusePrepared, type PreparedRun } from './pipeline/prepared';
import { resolveRequest } from './pipeline/resolve';
import { scoreLayers } from './pipeline/score';
import { WorkClock, type SettingsChange } from './pipeline/workClock';
import type { AnalysisRequest } from './protocol';

export { TOOL_VERSION } from './pipeline/assemble';
export type { EngineHooks } from './pipeline/context';
export type { PreparedRun } from './pipeline/prepared';

/** Partial results at most this often (the first one at once). */
export const PARTIAL_INTERVAL_MS = 300;
/** Estimates from here on are announced at the start with cheaper settings. */
const LONG_RUN_SECONDS = 120;

export interface RunOptions {
  /** Probes and layer plan from an earlier run on the same architecture; skips those stages. */
  readonly prepared?: PreparedRun;
  /** Receives the probes and plan once prepared, for reuse by later runs. */
  readonly onPrepared?: (prepared: PreparedRun) => void;
}

export async function runAnalysis(request: AnalysisRequest, hooks: EngineHooks = {}, run: RunOptions = {}): Promise<AnalysisResult> {
  const startedAt = performance.now();
  const options = resolveRequest(request);
  hooks.onProgress?.({ stage: 'loading', message: 'reading the model', fraction: 0 });
  const model = loadModel(request.modelPath);
  const warnings = [...model.warnings];
  const input = findImageInput(model, warnings);
  const ownBackend = hooks.backend ? undefined : await defaultBackend(warnings, options.jobs);
  const backend: MatMulBackend = hooks.backend ?? (ownBackend as MatMulBackend);
  const ctx = createContext({ startedAt, options, model, input, backend, warnings }, hooks);
  let partials: PartialResults | undefined;
  try {
    const prepared = run.prepared ? reusePrepared(ctx, run.prepared) : await prepareRun(ctx);
    run.onPrepared?.(prepared);
    openDumpFolder(ctx);
    const clock = new WorkClock(workTotals(prepared));
    clock.seedBatchMs((prepared.probes.shapeRunMs * prepared.plan.batch) / prepared.probes.shapeBatch);
    // The floor first: it is small, and partial results can carry it.
    ctx.progress({ stage: 'floor', message: 'input floor', fraction: 0.04 });
    const floor = await scoreInputFloor(ctx, prepared);
    partials = new PartialResults(ctx, prepared, floor, hooks.onPartialResult);
    let estimated = false;
    let passesChecked = false;
    const onRow = (index: number, row: LayerResult) => {
      partials?.add(index, row, clock);
      // From the first final layer on, once jobs timed without a forward pass beside them exist.
      if (!estimated && row.status === 'scored' && clock.settled()) {
        estimated = true;
        warnIfLong(ctx, prepared, clock, 'whole');
      }
    };
    // The first batch measured tells whether the passes alone are long (a 1024² model: minutes).
    const onBatch = () => {
      if (passesChecked) return;
      passesChecked = true;
      estimated = warnIfLong(ctx, prepared, clock, 'passes');
    };
    await scoreLayers(ctx, prepared, { clock, onRow, onBatch });
    ctx.progress({ stage: 'finishing', message: 'assembling the result', fraction: 0.99 });
    return assembleResult(ctx, prepared, partials.rows(), floor);
  } finally {
    partials?.close();
    await (ownBackend as { dispose?: () => Promise<void> } | undefined)?.dispose?.();
  }
}

/** Results as they arrive: rows in selection order, sent when more are final, throttled. */
class PartialResults {
  private readonly byIndex: (LayerResult | undefined)[] = [];
  private scored = 0;
  private lastSent = 0;
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: AnalysisContext,
    private readonly prepared: PreparedRun,
    private readonly floor: Record<string, ScoreCell>,
    private readonly send: ((result: AnalysisResult) => void) | undefined,
  ) {
    for (const [index, row] of prepared.plan.unscorable) this.byIndex[index] = row;
  }

  rows(): LayerResult[] {
    return this.byIndex.filter((l): l is LayerResult => l !== undefined);
  }

  add(index: number, row: LayerResult, clock: WorkClock): void {
    this.byIndex[index] = row;
    clock.layerFinal();
    if (row.status === 'scored') this.ctx.times.firstLayer ??= performance.now() - this.ctx.startedAt;
    if (!this.send) return;
    // The first scored layer goes out at once, whatever went before it.
    const first = row.status === 'scored' && this.scored++ === 0;
    const wait = first || this.lastSent === 0 ? 0 : PARTIAL_INTERVAL_MS - (Date.now() - this.lastSent);
    if (wait <= 0) {
      this.close();
      this.flush();
    }
    else this.pending ??= setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.pending = undefined;
    this.lastSent = Date.now();
    const rows = this.rows();
    this.send?.(
      assembleResult(this.ctx, this.prepared, rows, this.floor, {
        reason: 'running',
        layersDone: rows.length,
        layersPlanned: this.prepared.plan.chosenCount,
      }),
    );
  }

  close(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
  }
}

function workTotals(prepared: PreparedRun) {
  const { plan, probes } = prepared;
  const batchesPerPass = Math.ceil(probes.probes.count / plan.batch);
  return { layers: plan.planned, count: probes.probes.count, transforms: plan.transforms.length, batches: plan.groups.length * (1 + plan.transforms.length) * batchesPerPass };
}

/**
 * Runs estimated at minutes get a warning naming cheaper settings: from the first measured batch
 * when the forward passes alone take that long ('passes', a lower bound), else once the first
 * layer is scored ('whole'). Says whether it warned.
 */
function warnIfLong(ctx: AnalysisContext, prepared: PreparedRun, clock: WorkClock, basis: 'passes' | 'whole'): boolean {
  const estimate = (change?: SettingsChange) => (basis === 'whole' ? clock.estimateSeconds(change) : clock.passesSeconds(change));
  const total = estimate();
  if (total === undefined || total < LONG_RUN_SECONDS) return false;
  const { origin } = ctx.options;
  const count = prepared.probes.probes.count;
  const transforms = prepared.plan.transforms.length;
  const minutes = (s: number | undefined) => (s === undefined ? '?' : s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);
  const about = basis === 'whole' ? 'about' : 'passes about';
  const cheaper: string[] = [];
  if (ctx.options.probeSource.kind === 'builtin' && count >= 8) {
    const fewer = Math.max(4, Math.floor(count / 2));
    cheaper.push(`${optionName('probeCount', origin)} ${fewer} (${about} ${minutes(estimate({ count: fewer }))})`);
  }
  if (transforms > 2) cheaper.push(`two transforms in ${optionName('transforms', origin)} (${about} ${minutes(estimate({ transforms: 2 }))})`);
  cheaper.push(`fewer layers with ${optionName('layers', origin)} (time falls with the layers left out)`);
  const what = `(${prepared.plan.planned.length} layers × ${transforms} transforms, ${count} probes)`;
  const head = basis === 'whole' ? `this analysis is estimated at about ${minutes(total)} ${what}` : `the forward passes alone take about ${minutes(total)} ${what}, and the scoring comes on top`;
  const message = `${head}; cheaper: ${cheaper.join('; ')}`;
  ctx.warnings.push(message);
  ctx.progress({ stage: 'floor', message, fraction: 0.05, etaSeconds: Math.round(total), ...(basis === 'passes' ? { etaIsLowerBound: true } : {}) });
  return true;
}

async function defaultBackend(warnings: string[], jobs: number | undefined): Promise<MatMulBackend> {
  try {
    return await createOrtMatMulBackend(jobs === undefined ? {} : { eigenThreads: jobs });
  } catch (err) {
    warnings.push(`the onnxruntime matrix backend could not start (${messageOf(err)}); scored with the slower pure-JS backend`);
    return jsMatMulBackend;
  }
}
