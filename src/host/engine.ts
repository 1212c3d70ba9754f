/**
 * The host's only door to the analysis engine (src/analysis/runner.ts, a forked child process).
 * The host never loads onnxruntime: a native crash or a long run must not take the extension host
 * down or freeze the UI. This adapter maps the host's settings onto the engine's request type.
 */
import { AnalysisError, type AnalysisErrorCode } from '../analysis/errors';
import type { AnalysisRequest, AnalysisProgress } from '../analysis/protocol';
import { startAnalysis, type RunnerOptions } from '../analysis/runner';
import { orderCheckpoints } from '../analysis/checkpoints';
import { startSeries } from '../analysis/series';
import { DEFAULT_TRANSFORMS } from '../shared/defaults';
import type { AnalysisResult, AnalysisSettings, SeriesResult } from '../shared/results';

export interface EngineRequest {
  readonly modelPath: string;
  readonly probes: AnalysisSettings['probes'];
  /** Empty: the engine's default set. */
  readonly transforms: readonly string[];
  readonly layers: string;
  readonly batchSize: number;
  readonly maxPositions: number;
  readonly nullPermutations: number;
  readonly executionProvider: string;
  /** Canonical patterns kept per score cell (absent: none). */
  readonly patterns?: number;
  /** Sweeps scored after the transforms (absent or empty: none). */
  readonly sweeps?: readonly string[];
  /** Resamples for an interval beside every score (absent or 0: none). */
  readonly intervals?: number;
  /** The SEIS seed, rank rule and orientation of an earlier run being repeated (absent: the engine's defaults). */
  readonly seed?: number;
  readonly keep?: number;
  readonly orientation?: AnalysisSettings['orientation'];
}

export interface EngineProgress {
  /** One line, e.g. "rot90: scoring layer 12/57 conv2d_5.tmp_0". */
  readonly message: string;
  /** Overall completion in [0, 1]. */
  readonly fraction: number;
  readonly layer?: { readonly index: number; readonly count: number };
  /** Estimated seconds left, once the engine has measured enough to say. */
  readonly etaSeconds?: number;
  /** etaSeconds counts only the forward passes left: the run takes at least that long. */
  readonly etaIsLowerBound?: boolean;
}

export interface EngineRun {
  readonly result: Promise<AnalysisResult>;
  /** The child process, for logs and tests. */
  readonly pid: number | undefined;
  /** Kills the child process at once; `result` then rejects. */
  cancel(): void;
}

export function toAnalysisRequest(r: EngineRequest): AnalysisRequest {
  return {
    modelPath: r.modelPath,
    // Engine messages then name seis.* settings rather than CLI flags.
    origin: 'vscode',
    ...(r.probes.source === 'images' ? { images: r.probes.path, maxImages: r.probes.count } : {}),
    ...(r.probes.source === 'npy' ? { inputs: r.probes.path } : {}),
    ...(r.probes.source === 'builtin' ? { probeCount: r.probes.count } : {}),
    // Alone, a sweep replaces the default set; in the extension it is scored after it (seis.sweep).
    ...(r.transforms.length > 0 ? { transforms: r.transforms } : r.sweeps?.length ? { transforms: DEFAULT_TRANSFORMS } : {}),
    ...(r.sweeps?.length ? { sweeps: r.sweeps } : {}),
    ...(r.patterns ? { patterns: r.patterns } : {}),
    ...(r.intervals ? { intervals: { resamples: r.intervals } } : {}),
    layers: r.layers,
    batchSize: r.batchSize,
    maxPositions: r.maxPositions,
    nullPermutations: r.nullPermutations,
    executionProvider: r.executionProvider,
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(r.keep !== undefined ? { keep: r.keep } : {}),
    ...(r.orientation ? { orientation: r.orientation } : {}),
  };
}

export function toEngineProgress(p: AnalysisProgress): EngineProgress {
  return {
    message: p.message,
    fraction: Number.isFinite(p.fraction) ? Math.min(1, Math.max(0, p.fraction)) : 0,
    layer: p.layer ? { index: p.layer.index, count: p.layer.count } : undefined,
    ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds, ...(p.etaIsLowerBound ? { etaIsLowerBound: true } : {}) } : {}),
  };
}

export interface EngineListeners {
  readonly onProgress: (p: EngineProgress) => void;
  /** The result so far (`incomplete.reason = 'running'`), each time more layers are scored. */
  readonly onPartial?: (result: AnalysisResult) => void;
  readonly onLog?: (text: string) => void;
}

/** Forks the analysis child (dist/analysisWorker.js beside dist/extension.js) and returns at once. */
export function startEngine(request: EngineRequest, listeners: EngineListeners): EngineRun {
  const options: RunnerOptions = {
    onProgress: (p) => listeners.onProgress(toEngineProgress(p)),
    onLog: listeners.onLog,
    onPartial: (result) => {
      if (result.incomplete?.reason === 'running') listeners.onPartial?.(result);
    },
  };
  const handle = startAnalysis(toAnalysisRequest(request), options);
  return { result: handle.result, cancel: () => handle.cancel(), pid: handle.pid };
}

export type { AnalysisErrorCode };

/** The engine's code for why a run failed (e.g. 'no-image-input'), when the error carries one. */
export function analysisErrorCode(err: unknown): AnalysisErrorCode | undefined {
  return err instanceof AnalysisError ? err.code : undefined;
}

export interface SeriesEngineRequest {
  /** The checkpoints' .onnx files, in any order: they are ordered by the step in their names (else by name). */
  readonly files: readonly { readonly path: string; readonly mtimeMs?: number }[];
  /** Everything but the model, as for one analysis (intervals included). */
  readonly analysis: Omit<EngineRequest, 'modelPath'>;
}

export interface SeriesEngineRun {
  readonly result: Promise<SeriesResult>;
  /** Stops the running checkpoint; `result` then resolves with the finished ones, marked incomplete. */
  cancel(): void;
  /** The checkpoints in the order they will run. */
  readonly labels: readonly string[];
}

export interface SeriesEngineListeners {
  /** `message` names the checkpoint and layer ("checkpoint 2/5 epoch_1, layer 3/7: …"); `fraction` is over the whole series. */
  readonly onProgress: (p: EngineProgress & { readonly checkpoint: { readonly index: number; readonly count: number; readonly label: string } }) => void;
  /** The series so far, after each finished checkpoint. */
  readonly onCheckpoint?: (partial: SeriesResult) => void;
}

/**
 * A checkpoint series through the same child-process engine, one checkpoint after another
 * (src/analysis/series.ts). Throws AnalysisError when the files cannot form a series.
 */
export function startSeriesEngine(request: SeriesEngineRequest, listeners: SeriesEngineListeners): SeriesEngineRun {
  const ordering = orderCheckpoints(request.files, 'step');
  const { modelPath: _none, ...analysis } = toAnalysisRequest({ ...request.analysis, modelPath: '' });
  const handle = startSeries({
    checkpoints: ordering.checkpoints,
    order: ordering.order,
    orderNotes: ordering.notes,
    analysis: { ...analysis, origin: 'vscode' },
  }, {
    onProgress: (p) => listeners.onProgress({ ...toEngineProgress(p), checkpoint: p.checkpoint }),
    onCheckpoint: listeners.onCheckpoint,
  });
  return { result: handle.result, cancel: () => handle.cancel(), labels: ordering.checkpoints.map((c) => c.label) };
}
