/**
 * A checkpoint series: one analysis request applied to every checkpoint of a training run, so the
 * probes, transforms, layer selection and null permutations are the same everywhere and differences
 * are the model's. The checkpoints run one after another, each within the request's memory budget,
 * in one child process (seriesWorker.ts) that makes the probes and the layer plan once and reuses them;
 * each checkpoint's result is exactly what `seis analyze` gives on that file alone (tested), and is
 * copied into the series unchanged. Without the worker script (a bundle built without it) each
 * checkpoint gets its own analysis child instead, with the same results.
 *
 * Before any run the graphs are compared: layers are matched by output tensor name; a checkpoint
 * lacking some of the series' layers keeps a gap and a message; checkpoints of different
 * architectures are refused with the tensor names that differ. Cancel keeps the finished checkpoints. */
import type { AnalysisResult, LayerResult, SeriesCheckpoint, SeriesResult } from '../shared/results';
import { RESULTS_SCHEMA_VERSION } from '../shared/results';
import type { CheckpointOrder, OrderedCheckpoint } from './checkpoints';
import { AnalysisError, messageOf } from './errors';
import { candidateTensors } from './layers';
import { loadModel } from './onnxModel';
import type { AnalysisProgress, AnalysisRequest } from './protocol';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisErrorCode } from './errors';
import { startAnalysis, type AnalysisHandle, type RunnerOptions } from './runner';

/** Below this share of common tensor names two graphs are different architectures, not one model's checkpoints. */
export const SAME_ARCHITECTURE_SHARE = 0.5;

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
export type SeriesParentMessage = { readonly type: 'start'; readonly paths: readonly string[]; readonly analysis: Omit<AnalysisRequest, 'modelPath'> } | { readonly type: 'cancel' };
export type SeriesChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly index: number; readonly progress: AnalysisProgress }
  | { readonly type: 'checkpoint'; readonly index: number; readonly result?: AnalysisResult; readonly error?: { readonly code: AnalysisErrorCode | 'internal'; readonly message: string } }
  | { readonly type: 'done' };

/**
 * One child process for the whole series (seriesWorker.ts: probes and plan made once), exposed as one
 * AnalysisHandle per checkpoint. Undefined when the worker script is not there (a bundle built without
 * it): the caller then runs one analysis child per checkpoint, with the same results.
 */
function startSeriesWorker(paths: readonly string[], analysis: Omit<AnalysisRequest, 'modelPath'>, onProgress: (index: number, p: AnalysisProgress) => void, options: Omit<RunnerOptions, 'onProgress'> = {}): { handles: AnalysisHandle[]; cancel(): void } | undefined {
  const bundled = join(__dirname, 'seriesWorker.js');
  const source = join(__dirname, 'seriesWorker.ts');
  const entry = existsSync(bundled) ? { path: bundled, execArgv: [] } : existsSync(source) ? { path: source, execArgv: ['--import', 'tsx'] } : undefined;
  if (!entry || paths.length === 0) return undefined;
  const settle = paths.map(() => ({ resolve: (_: AnalysisResult) => undefined as void, reject: (_: Error) => undefined as void, done: false }));
  const handles: AnalysisHandle[] = [];
  let cancelled = false;
  let child: ChildProcess;
  try {
    child = fork(entry.path, [], { execArgv: entry.execArgv, execPath: options.execPath ?? process.execPath, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  } catch {
    return undefined;
  }
  paths.forEach((_, i) => {
    const result = new Promise<AnalysisResult>((resolve, reject) => {
      settle[i].resolve = resolve;
      settle[i].reject = reject;
    });
    result.catch(() => undefined);
    handles.push({ result, pid: child.pid, cancel: () => cancel() });
  });
  const finish = (i: number, fn: () => void) => {
    if (settle[i].done) return;
    settle[i].done = true;
    fn();
  };
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    options.onLog?.(chunk.toString());
  });
  child.stdout?.on('data', (chunk: Buffer) => options.onLog?.(chunk.toString()));
  child.on('message', (raw: unknown) => {
    const m = raw as SeriesChildMessage;
    if (m?.type === 'ready') child.send({ type: 'start', paths, analysis } satisfies SeriesParentMessage);
    else if (m?.type === 'progress' && !cancelled) onProgress(m.index, m.progress);
    else if (m?.type === 'checkpoint') {
      const { result, error } = m;
      if (result) finish(m.index, () => settle[m.index].resolve(result));
      else finish(m.index, () => settle[m.index].reject(new AnalysisError(error?.code === 'internal' || !error ? 'runtime' : error.code, error?.message ?? 'no result')));
    }
  });
  child.on('exit', (code, signal) => {
    const why = cancelled ? new AnalysisError('cancelled', 'analysis cancelled') : new AnalysisError('runtime', `the series process ${signal ? `was killed by ${signal}` : `exited with code ${code}`} before reporting every checkpoint${stderrTail.trim() ? `: ${stderrTail.trim().split('\n').slice(-2).join(' | ')}` : ''}`);
    paths.forEach((_, i) => finish(i, () => settle[i].reject(why)));
  });
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    if (child.connected) child.send({ type: 'cancel' } satisfies SeriesParentMessage);
    // Native inference cannot be interrupted mid-call: end the process rather than wait for it.
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 300).unref();
  };
  return { handles, cancel };
}

export interface SeriesHandle {
  /** Resolves with the series; after a cancel, with the finished checkpoints and `incomplete`. */
  readonly result: Promise<SeriesResult>;
  cancel(): void;
}

/** The tensor names of each loadable checkpoint's graph; unreadable checkpoints get their message. */
export function graphTensorNames(paths: readonly string[]): { names: (ReadonlySet<string> | undefined)[]; errors: (string | undefined)[] } {
  const names: (ReadonlySet<string> | undefined)[] = [];
  const errors: (string | undefined)[] = [];
  for (const path of paths) {
    try {
      names.push(new Set(candidateTensors(loadModel(path)).map((c) => c.name)));
      errors.push(undefined);
    } catch (err) {
      names.push(undefined);
      errors.push(messageOf(err));
    }
  }
  return { names, errors };
}

/** Refuses checkpoints whose graphs share too few tensor names with the first readable one. */
export function checkSameArchitecture(labels: readonly string[], names: readonly (ReadonlySet<string> | undefined)[]): void {
  const ref = names.findIndex((n) => n !== undefined);
  if (ref < 0) return;
  const reference = names[ref] as ReadonlySet<string>;
  names.forEach((mine, i) => {
    if (!mine || i === ref) return;
    const shared = [...mine].filter((n) => reference.has(n)).length;
    const union = reference.size + mine.size - shared;
    if (union > 0 && shared / union >= SAME_ARCHITECTURE_SHARE) return;
    const onlyRef = [...reference].filter((n) => !mine.has(n));
    const onlyMine = [...mine].filter((n) => !reference.has(n));
    const list = (xs: string[]) => `${xs.slice(0, 6).join(', ')}${xs.length > 6 ? ` and ${xs.length - 6} more` : ''}`;
    throw new AnalysisError(
      'bad-option',
      `${labels[i]} and ${labels[ref]} are different architectures (${shared} of ${union} tensor names in common): only in ${labels[ref]}: ${list(onlyRef) || 'none'}; only in ${labels[i]}: ${list(onlyMine) || 'none'}. A series compares checkpoints of one model; analyse the others separately`,
    );
  });
}

export function startSeries(request: SeriesRequest, hooks: SeriesHooks = {}): SeriesHandle {
  let cancelled = false;
  let current: AnalysisHandle | undefined;
  const result = runSeries(request, hooks, () => cancelled, (h) => (current = h));
  return {
    result,
    cancel() {
      cancelled = true;
      current?.cancel();
    },
  };
}

async function runSeries(request: SeriesRequest, hooks: SeriesHooks, isCancelled: () => boolean, setCurrent: (h: AnalysisHandle | undefined) => void): Promise<SeriesResult> {
  const started = performance.now();
  const createdAt = new Date().toISOString();
  const count = request.checkpoints.length;
  if (count === 0) throw new AnalysisError('bad-option', 'a series needs at least one checkpoint (.onnx file)');
  const labels = request.checkpoints.map((c) => c.label);
  const graphs = graphTensorNames(request.checkpoints.map((c) => c.path));
  checkSameArchitecture(labels, graphs.names);

  const finished: { checkpoint: OrderedCheckpoint; result?: AnalysisResult; error?: string; graph?: ReadonlySet<string> }[] = [];
  const tellers: ((p: AnalysisProgress) => void)[] = [];
  const loadable = request.checkpoints.map((_, i) => i).filter((i) => graphs.names[i] !== undefined);
  const worker = startSeriesWorker(loadable.map((i) => request.checkpoints[i].path), request.analysis, (k, p) => tellers[loadable[k]]?.(p), hooks.runner);
  const workerHandle = (i: number) => (worker ? worker.handles[loadable.indexOf(i)] : undefined);
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
    const tell = (tellers[i] = (p: AnalysisProgress) => {
      const layer = p.layer ? `, layer ${p.layer.index}/${p.layer.count}` : '';
      hooks.onProgress?.({ ...p, fraction: (i + p.fraction) / count, message: `checkpoint ${i + 1}/${count} ${checkpoint.label}${layer}: ${p.message}`, checkpoint: { index: i + 1, count, label: checkpoint.label } });
    });
    try {
      const handle = workerHandle(i) ?? startAnalysis({ ...request.analysis, modelPath: checkpoint.path }, { ...hooks.runner, onProgress: tell });
      setCurrent(handle);
      const analysed = await handle.result;
      finished.push({ checkpoint, result: analysed, graph });
    } catch (err) {
      if (err instanceof AnalysisError && err.code === 'cancelled') {
        stopped = { reason: 'cancelled', message: `cancelled during ${checkpoint.label}` };
        break;
      }
      finished.push({ checkpoint, error: messageOf(err), graph });
    } finally {
      setCurrent(undefined);
    }
    if (i + 1 < count && finished.some((f) => f.result)) hooks.onCheckpoint?.(assemble(false));
  }
  worker?.cancel();
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
