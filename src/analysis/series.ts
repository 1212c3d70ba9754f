/**
 * A checkpoint series: one analysis request applied to every checkpoint of a training run, so the
 * probes, transforms, layer selection and null permutations are the same everywhere and differences
 * are the model's. The checkpoints run one after another, each within the request's memory budget,
 * in one child process (seriesWorker.ts) that makes the probes and the layer plan once and reuses them;
 * each checkpoint's result is exactly what `seis analyze` gives on that file alone (tested), and is
 * copied into the series unchanged.
 *
 * Before any run the child compares the graphs (seriesGraphs.ts): layers are matched by output tensor
 * name; a checkpoint lacking some of the series' layers keeps a gap and a message; checkpoints of
 * different architectures are refused with the tensor names that differ. This module only forks the
 * child and assembles what it reports: it runs in the extension host, where no model is parsed.
 * Cancel keeps the finished checkpoints. */
import { analysisChildEnv } from './childEnv';
import { ChildStderr } from './childStderr';
import type { AnalysisResult, LayerResult, SeriesCheckpoint, SeriesResult } from '../shared/results';
import { RESULTS_SCHEMA_VERSION } from '../shared/results';
import type { CheckpointOrder, OrderedCheckpoint } from './checkpoints';
import { AnalysisError, messageOf, type AnalysisErrorCode } from './errors';
import type { AnalysisProgress, AnalysisRequest } from './protocol';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerOptions } from './runner';

export interface SeriesRequest {
  readonly checkpoints: readonly OrderedCheckpoint[];
  readonly order: CheckpointOrder;
  /** Notes from ordering (e.g. the fallback to name order). */
  readonly orderNotes?: readonly string[];
  /** Everything but the model: what `seis analyze` would be given (intervals included). */
  readonly analysis: Omit<AnalysisRequest, 'modelPath'>;
}

export interface SeriesProgress extends AnalysisProgress {
  readonly checkpoint: { readonly index: number; readonly count: number; readonly label: string };
}

export interface SeriesHooks {
  readonly onProgress?: (progress: SeriesProgress) => void;
  /** After each checkpoint: the series so far (`incomplete.reason = 'running'` until the last). */
  readonly onCheckpoint?: (partial: SeriesResult) => void;
  readonly runner?: Omit<RunnerOptions, 'onProgress'>;
}

/** Messages of the series child process (seriesWorker.ts). */
export type SeriesParentMessage =
  | { readonly type: 'start'; readonly paths: readonly string[]; readonly labels: readonly string[]; readonly analysis: Omit<AnalysisRequest, 'modelPath'> }
  | { readonly type: 'cancel' };
type ChildError = { readonly code: AnalysisErrorCode | 'internal'; readonly message: string };
export type SeriesChildMessage =
  | { readonly type: 'ready' }
  /** Each checkpoint's tensor names, or why its graph could not be read. */
  | { readonly type: 'graphs'; readonly names: readonly (readonly string[] | undefined)[]; readonly errors: readonly (string | undefined)[] }
  /** The checkpoints cannot form a series (different architectures); nothing was run. */
  | { readonly type: 'refused'; readonly error: ChildError }
  | { readonly type: 'progress'; readonly index: number; readonly progress: AnalysisProgress }
  | { readonly type: 'checkpoint'; readonly index: number; readonly result?: AnalysisResult; readonly error?: ChildError }
  | { readonly type: 'done' };

type Graphs = { readonly names: readonly (ReadonlySet<string> | undefined)[]; readonly errors: readonly (string | undefined)[] };

interface SeriesWorker {
  /** The child's graph comparison; rejects with its refusal (different architectures) or its end. */
  readonly graphs: Promise<Graphs>;
  /** One per checkpoint; only those whose graph could be read ever resolve. */
  readonly results: readonly Promise<AnalysisResult>[];
  cancel(): void;
}

function deferred<T>(): { promise: Promise<T>; settle(fn: (resolve: (value: T) => void, reject: (err: Error) => void) => void): void } {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  let done = false;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  // The caller may never await a checkpoint the series stopped before.
  promise.catch(() => undefined);
  return {
    promise,
    settle(fn) {
      if (done) return;
      done = true;
      fn(resolve, reject);
    },
  };
}

/** The child's own error as the caller's: an internal error stays a runtime failure. */
function fromChild(error: { readonly code: AnalysisErrorCode | 'internal'; readonly message: string } | undefined): AnalysisError {
  return new AnalysisError(error?.code === 'internal' || !error ? 'runtime' : error.code, error?.message ?? 'no result');
}

/**
 * The one child process of the series (seriesWorker.ts): it compares the graphs, then analyses the
 * checkpoints with the probes and plan made once. Forking is all this does on the caller's thread.
 */
function startSeriesWorker(paths: readonly string[], labels: readonly string[], analysis: Omit<AnalysisRequest, 'modelPath'>, onProgress: (index: number, p: AnalysisProgress) => void, options: Omit<RunnerOptions, 'onProgress'> = {}): SeriesWorker {
  const bundled = join(__dirname, 'seriesWorker.js');
  const source = join(__dirname, 'seriesWorker.ts');
  const entry = existsSync(bundled) ? { path: bundled, execArgv: [] } : existsSync(source) ? { path: source, execArgv: ['--import', 'tsx'] } : undefined;
  if (!entry) throw new AnalysisError('runtime', `the series process script is missing (no ${bundled}); reinstall or rebuild SEIS Lens`);
  const graphs = deferred<Graphs>();
  const results = paths.map(() => deferred<AnalysisResult>());
  let cancelled = false;
  let child: ChildProcess;
  try {
    child = fork(entry.path, [], { execArgv: entry.execArgv, execPath: options.execPath ?? process.execPath, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced', env: analysisChildEnv() });
  } catch (err) {
    throw new AnalysisError('runtime', `could not start the series process: ${messageOf(err)}`);
  }
  const stderr = new ChildStderr();
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr.add(text);
    options.onLog?.(text);
  });
  child.stdout?.on('data', (chunk: Buffer) => options.onLog?.(chunk.toString()));
  child.on('message', (raw: unknown) => {
    const m = raw as SeriesChildMessage;
    if (m?.type === 'ready') child.send({ type: 'start', paths, labels, analysis } satisfies SeriesParentMessage);
    else if (m?.type === 'graphs') graphs.settle((ok) => ok({ names: m.names.map((n) => (n ? new Set(n) : undefined)), errors: m.errors }));
    else if (m?.type === 'refused') graphs.settle((_, fail) => fail(fromChild(m.error)));
    else if (m?.type === 'progress' && !cancelled) onProgress(m.index, m.progress);
    else if (m?.type === 'checkpoint') {
      const { result, error } = m;
      results[m.index]?.settle((ok, fail) => (result ? ok(result) : fail(fromChild(error))));
    }
  });
  child.on('exit', (code, signal) => {
    const ended = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const summary = stderr.summary(2);
    const tail = summary ? `: ${summary}` : '';
    const why = (before: string) => (cancelled ? new AnalysisError('cancelled', 'analysis cancelled') : new AnalysisError('runtime', `the series process ${ended} before ${before}${tail}`));
    graphs.settle((_, fail) => fail(why("comparing the checkpoints' graphs")));
    for (const r of results) r.settle((_, fail) => fail(why('reporting every checkpoint')));
  });
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    if (child.connected) child.send({ type: 'cancel' } satisfies SeriesParentMessage);
    // Native inference cannot be interrupted mid-call: end the process rather than wait for it.
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 300).unref();
  };
  return { graphs: graphs.promise, results: results.map((r) => r.promise), cancel };
}

export interface SeriesHandle {
  /** Resolves with the series; after a cancel, with the finished checkpoints and `incomplete`. */
  readonly result: Promise<SeriesResult>;
  cancel(): void;
}

/** Returns at once: the graphs are read, compared and analysed in the series child process. */
export function startSeries(request: SeriesRequest, hooks: SeriesHooks = {}): SeriesHandle {
  let cancelled = false;
  let worker: SeriesWorker | undefined;
  const result = runSeries(request, hooks, () => cancelled, (w) => (worker = w));
  return {
    result,
    cancel() {
      cancelled = true;
      worker?.cancel();
    },
  };
}

async function runSeries(request: SeriesRequest, hooks: SeriesHooks, isCancelled: () => boolean, setWorker: (w: SeriesWorker) => void): Promise<SeriesResult> {
  const started = performance.now();
  const createdAt = new Date().toISOString();
  const count = request.checkpoints.length;
  if (count === 0) throw new AnalysisError('bad-option', 'a series needs at least one checkpoint (.onnx file)');
  const labels = request.checkpoints.map((c) => c.label);
  const tell = (i: number, p: AnalysisProgress) => {
    const { label } = request.checkpoints[i];
    const layer = p.layer ? `, layer ${p.layer.index}/${p.layer.count}` : '';
    hooks.onProgress?.({ ...p, fraction: (i + p.fraction) / count, message: `checkpoint ${i + 1}/${count} ${label}${layer}: ${p.message}`, checkpoint: { index: i + 1, count, label } });
  };
  const worker = startSeriesWorker(request.checkpoints.map((c) => c.path), labels, request.analysis, tell, hooks.runner);
  setWorker(worker);
  let graphs: Graphs;
  try {
    graphs = await worker.graphs;
  } catch (err) {
    worker.cancel();
    if (err instanceof AnalysisError && err.code === 'cancelled') throw new AnalysisError('cancelled', 'series cancelled before any checkpoint finished');
    throw err;
  }

  const finished: { checkpoint: OrderedCheckpoint; result?: AnalysisResult; error?: string; graph?: ReadonlySet<string> }[] = [];
  let stopped: { reason: 'cancelled' | 'failed'; message: string } | undefined;

  for (const [i, checkpoint] of request.checkpoints.entries()) {
    if (isCancelled()) {
      stopped = { reason: 'cancelled', message: `cancelled before ${checkpoint.label}` };
      break;
    }
    const graph = graphs.names[i];
    if (!graph) {
      finished.push({ checkpoint, error: graphs.errors[i], graph });
      continue;
    }
    try {
      const analysed = await worker.results[i];
      finished.push({ checkpoint, result: analysed, graph });
    } catch (err) {
      if (err instanceof AnalysisError && err.code === 'cancelled') {
        stopped = { reason: 'cancelled', message: `cancelled during ${checkpoint.label}` };
        break;
      }
      finished.push({ checkpoint, error: messageOf(err), graph });
    }
    if (i + 1 < count && finished.some((f) => f.result)) hooks.onCheckpoint?.(assemble(false));
  }
  worker.cancel();
  if (!finished.some((f) => f.result)) {
    if (stopped) throw new AnalysisError('cancelled', 'series cancelled before any checkpoint finished');
    const first = finished.find((f) => f.error);
    throw new AnalysisError('runtime', `no checkpoint could be analysed; ${first?.checkpoint.label}: ${first?.error}`);
  }
  return assemble(true);

  function assemble(final: boolean): SeriesResult {
    const analysed = finished.filter((f) => f.result).map((f) => f.result as AnalysisResult);
    const reference = analysed[0];
    // The series' layers: every layer any checkpoint scored, in the order they first appear.
    const seriesLayers: string[] = [];
    for (const r of analysed) for (const l of r.layers) if (!seriesLayers.includes(l.name)) seriesLayers.push(l.name);
    const warnings = [...(request.orderNotes ?? [])];
    if (reference) for (const w of reference.warnings) if (!warnings.includes(w)) warnings.push(w);
    const checkpoints: SeriesCheckpoint[] = finished.map(({ checkpoint, result, error, graph }) => {
      if (!result) {
        return { label: checkpoint.label, step: checkpoint.step, model: unreadModel(checkpoint.path), layers: [], failed: true, message: `could not be analysed: ${error}`, warnings: [] };
      }
      const own = new Set(result.layers.map((l) => l.name));
      const missing = seriesLayers.filter((n) => !own.has(n));
      const notInGraph = missing.filter((n) => !graph?.has(n));
      const settingsDiffer = reference && JSON.stringify({ ...result.settings }) !== JSON.stringify({ ...reference.settings });
      if (settingsDiffer) warnings.push(`${checkpoint.label} was analysed with different settings from ${finished.find((f) => f.result === reference)?.checkpoint.label} (e.g. another probe size); compare its scores with care`);
      const message = missing.length === 0 ? undefined : gapMessage(missing, notInGraph);
      return {
        label: checkpoint.label,
        step: checkpoint.step,
        model: result.model,
        layers: result.layers as LayerResult[],
        ...(missing.length ? { missingLayers: missing, message } : {}),
        ...(result.timing ? { timing: result.timing } : {}),
        // The first analysed checkpoint's warnings are the series' (same probes, same transforms); each keeps only its own.
        warnings: result.warnings.filter((w) => !reference?.warnings.includes(w)),
      };
    });
    const incomplete = stopped
      ? { reason: stopped.reason, message: stopped.message, checkpointsDone: finished.length, checkpointsPlanned: count }
      : final
        ? undefined
        : { reason: 'running' as const, checkpointsDone: finished.length, checkpointsPlanned: count };
    return {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      kind: 'series',
      tool: reference?.tool ?? { name: 'seis-lens', version: '' },
      createdAt,
      settings: reference.settings,
      transforms: reference.transforms,
      inputFloor: reference.inputFloor,
      order: request.order,
      checkpoints,
      timing: { totalMs: performance.now() - started },
      warnings,
      ...(incomplete ? { incomplete } : {}),
    };
  }
}

function gapMessage(missing: readonly string[], notInGraph: readonly string[]): string {
  const names = (xs: readonly string[]) => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ` and ${xs.length - 5} more` : ''}`;
  const why = notInGraph.length === missing.length ? 'its graph has no tensor of that name' : notInGraph.length === 0 ? 'they were not selected or scored here (see this checkpoint\'s warnings)' : `${notInGraph.length} are not in its graph`;
  return `no result for ${missing.length} of the series' layers (${names(missing)}): ${why}; they are gaps in the series`;
}

function unreadModel(path: string): SeriesCheckpoint['model'] {
  const fileName = path.split(/[\\/]/).pop() ?? path;
  return { path, fileName, sha256: '', sizeBytes: 0, opsets: {}, nodeCount: 0, inputName: '', declaredInputShape: [], probeInputShape: [], inputLayout: 'NCHW' };
}
