/**
 * Intervals on a finished analysis (docs/method.md, "Intervals"), from the activations the engine
 * scored: the engine's `dumpActivations` folder holds, per scored layer, the exact (pooled) clean and
 * transformed tensors it decomposed (`NNN_<tensor>.clean.npy`, `NNN_<tensor>.<transformId>.npy`,
 * `input.*.npy`; docs/results-schema.md). Rescoring them image-subset by image-subset gives each
 * score's interval without touching the engine, and the centre of every interval is the score the
 * engine reported.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpyFile } from '../io/npy';
import { jsMatMulBackend, tensorIntervals, DEFAULT_INTERVAL_LEVEL, type ActivationTensor, type MatMulBackend } from '../seis';
import type { AnalysisResult, LayerResult, ScoreCell, ScoreIntervals } from '../shared/results';
import { AnalysisError, messageOf } from './errors';
import { createOrtMatMulBackend } from './ortMatMulBackend';
import { dumpedLayerStem, INPUT_DUMP_STEM } from './pipeline/cells';
import { runAnalysis, type EngineHooks, type RunOptions } from './engine';
import type { AnalysisRequest } from './protocol';

export type IntervalRequest = NonNullable<AnalysisRequest['intervals']>;

export interface IntervalProgress {
  readonly done: number;
  readonly total: number;
  readonly layer: string;
}

/**
 * `result` with `intervals` beside every score it could compute (the input floor included) and
 * `settings.intervals`; cells it could not compute keep no interval and get a run warning.
 */
export async function addIntervals(
  result: AnalysisResult,
  dumpDir: string,
  request: IntervalRequest,
  hooks: { readonly onProgress?: (p: IntervalProgress) => void; readonly isCancelled?: () => boolean; readonly backend?: MatMulBackend } = {},
): Promise<AnalysisResult> {
  const level = request.level ?? DEFAULT_INTERVAL_LEVEL;
  const files = readdirSync(dumpDir);
  const warnings = [...result.warnings];
  const ownBackend = hooks.backend ? undefined : await createOrtMatMulBackend().catch(() => undefined);
  const backend = hooks.backend ?? ownBackend ?? jsMatMulBackend;
  const options = { resamples: request.resamples, level, keep: result.settings.keep, seed: result.settings.seed, orientation: result.settings.orientation };
  const total = result.layers.filter((l) => l.status === 'scored').length + 1;
  let done = 0;
  const failures = new Map<string, number>();

  const withIntervals = async (scores: Readonly<Record<string, ScoreCell>>, load: (what: string) => ActivationTensor | undefined, where: string) => {
    const clean = load('clean');
    if (!clean) {
      warnings.push(`no interval for ${where}: its scored activations were not found in ${dumpDir}`);
      return scores;
    }
    const out: Record<string, ScoreCell> = {};
    for (const [id, cell] of Object.entries(scores)) {
      if (hooks.isCancelled?.()) throw new AnalysisError('cancelled', 'analysis cancelled');
      let intervals: ScoreIntervals | undefined;
      try {
        const moved = load(id);
        if (!moved) throw new Error(`the ${id} activations were not found`);
        const computed = await tensorIntervals(clean, moved, cell, options, backend);
        intervals = { equivariance: { ...computed.equivariance }, invariance: { ...computed.invariance } };
      } catch (err) {
        const reason = messageOf(err);
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
      }
      out[id] = intervals ? { ...cell, intervals } : cell;
    }
    return out;
  };

  try {
    const layers: LayerResult[] = [];
    for (const [index, layer] of result.layers.entries()) {
      if (layer.status !== 'scored') {
        layers.push(layer);
        continue;
      }
      const stem = dumpedLayerStem(files, index);
      const layout = layer.layout === 'tokens' ? 'tokens' : 'NCHW';
      const load = (what: string) => (stem && files.includes(`${stem}.${what}.npy`) ? { ...readNpyFile(join(dumpDir, `${stem}.${what}.npy`)), layout } as ActivationTensor : undefined);
      layers.push({ ...layer, scores: await withIntervals(layer.scores, load, `layer ${layer.name}`) });
      hooks.onProgress?.({ done: ++done, total, layer: layer.name });
    }
    const loadInput = (what: string) => {
      const file = `${INPUT_DUMP_STEM}.${what}.npy`;
      return files.includes(file) ? ({ ...readNpyFile(join(dumpDir, file)), layout: 'NCHW' } as ActivationTensor) : undefined;
    };
    const inputFloor = await withIntervals(result.inputFloor, loadInput, 'the input floor');
    hooks.onProgress?.({ done: ++done, total, layer: '(input floor)' });
    for (const [reason, count] of failures) warnings.push(`no interval for ${count} score cell${count === 1 ? '' : 's'}: ${reason}`);
    return { ...result, settings: { ...result.settings, intervals: { resamples: request.resamples, level } }, inputFloor, layers, warnings };
  } finally {
    await ownBackend?.dispose();
  }
}

/**
 * runAnalysis, then (when the request asks for intervals) the intervals of its scores: the analysis
 * dumps the activations it scores into a temporary folder (or the request's dumpActivations folder),
 * removed afterwards. Runs wherever runAnalysis runs — in the analysis child process (worker.ts), so
 * the resampling never loads the extension host or the CLI's own process.
 */
export async function runAnalysisWithIntervals(request: AnalysisRequest, hooks: EngineHooks = {}, run: RunOptions = {}): Promise<AnalysisResult> {
  const intervals = request.intervals;
  if (!intervals || intervals.resamples <= 0) return runAnalysis(request, hooks, run);
  const temporary = request.dumpActivations ? undefined : mkdtempSync(join(tmpdir(), 'seis-intervals-'));
  const dumpDir = request.dumpActivations ?? (temporary as string);
  try {
    const analysed = await runAnalysis({ ...request, dumpActivations: dumpDir }, hooks, run);
    return await addIntervals(analysed, dumpDir, intervals, {
      isCancelled: hooks.isCancelled,
      backend: hooks.backend,
      onProgress: (p) => hooks.onProgress?.({ stage: 'scoring', message: `intervals: layer ${p.done}/${p.total} ${p.layer}`, fraction: 0.99, layer: { index: p.done, count: p.total, name: p.layer } }),
    });
  } finally {
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
}
