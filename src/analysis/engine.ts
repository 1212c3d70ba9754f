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
import type { AnalysisResult } from '../shared/results';
import { messageOf } from './errors';
import { findImageInput } from './imageInput';
import { loadModel } from './onnxModel';
import { createOrtMatMulBackend } from './ortMatMulBackend';
import { assembleResult } from './pipeline/assemble';
import { createContext, type EngineHooks } from './pipeline/context';
import { scoreInputFloor } from './pipeline/floor';
import { prepareRun, reusePrepared, type PreparedRun } from './pipeline/prepared';
import { resolveRequest } from './pipeline/resolve';
import { scoreLayers } from './pipeline/score';
import type { AnalysisRequest } from './protocol';

export { TOOL_VERSION } from './pipeline/assemble';
export type { EngineHooks } from './pipeline/context';
export type { PreparedRun } from './pipeline/prepared';

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
  try {
    const ctx = createContext({ startedAt, options, model, input, backend, warnings }, hooks);
    const prepared = run.prepared ? reusePrepared(ctx, run.prepared) : await prepareRun(ctx);
    run.onPrepared?.(prepared);
    const layers = await scoreLayers(ctx, prepared);
    ctx.progress({ stage: 'floor', message: 'input floor', fraction: 0.97 });
    const inputFloor = await scoreInputFloor(ctx, prepared);
    ctx.progress({ stage: 'finishing', message: 'assembling the result', fraction: 0.99 });
    return assembleResult(ctx, prepared, layers, inputFloor);
  } finally {
    await (ownBackend as { dispose?: () => Promise<void> } | undefined)?.dispose?.();
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
