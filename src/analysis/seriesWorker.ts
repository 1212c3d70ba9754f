/**
 * Entry point of the series child process (bundled to dist/seriesWorker.js): analyses the checkpoints
 * of one series one after another in ONE process, so the probes and the layer plan (the shape run,
 * the layer selection, the pooling plan) are made once, on the first checkpoint, and handed to the
 * others (the engine's PreparedRun); the onnxruntime matrix backend and its eigensolver threads start
 * once too. A checkpoint the prepared plan does not fit (a missing tensor: a gap) is analysed on its
 * own instead. Each checkpoint's result is exactly runAnalysis's on that file with the same request.
 *
 * Before any checkpoint runs, every graph is parsed and compared here (seriesGraphs.ts), never in the
 * caller, which may be the extension host: different architectures are refused with one `refused`.
 *
 * parent → child: `start` { paths, labels, analysis } once, then possibly `cancel`.
 * child → parent: `ready`, then `refused` (and nothing more) or `graphs`, then per checkpoint
 * `progress`* and one `checkpoint` (result or error) per checkpoint whose graph could be read,
 * then `done`.
 */
import type { PreparedRun } from './engine';
import { AnalysisError, messageOf, reportedError } from './errors';
import { runAnalysisWithIntervals } from './intervalPass';
import { exitWhenParentGoes, sendToParent } from './parentWatch';
import type { AnalysisProgress } from './protocol';
import type { SeriesChildMessage, SeriesParentMessage } from './series';
import { checkSameArchitecture, graphTensorNames } from './seriesGraphs';

const send = (message: SeriesChildMessage): Promise<void> => sendToParent(message);

let cancelled = false;
let started = false;

async function start(message: Extract<SeriesParentMessage, { type: 'start' }>): Promise<void> {
  const graphs = graphTensorNames(message.paths);
  try {
    checkSameArchitecture(message.labels, graphs.names);
  } catch (err) {
    await send({ type: 'refused', error: { code: err instanceof AnalysisError ? err.code : 'internal', message: messageOf(err) } });
    process.exit(0);
  }
  await send({ type: 'graphs', names: graphs.names.map((n) => (n ? [...n] : undefined)), errors: graphs.errors });
  let prepared: PreparedRun | undefined;
  for (const [index, modelPath] of message.paths.entries()) {
    if (cancelled) break;
    // Its graph could not be read: the parent has the message from `graphs`; nothing to run.
    if (!graphs.names[index]) continue;
    let lastSent = 0;
    const hooks = {
      isCancelled: () => cancelled,
      onProgress: (progress: AnalysisProgress) => {
        const now = Date.now();
        if (now - lastSent < 100 && progress.stage === 'scoring') return;
        lastSent = now;
        void send({ type: 'progress', index, progress });
      },
    };
    const request = { ...message.analysis, modelPath };
    try {
      let result;
      try {
        result = await runAnalysisWithIntervals(request, hooks, { prepared, onPrepared: (p) => (prepared ??= p) });
      } catch (err) {
        // The prepared plan names a tensor this checkpoint lacks, or its input differs: analyse it alone.
        if (!prepared || !(err instanceof AnalysisError) || (err.code !== 'bad-option' && err.code !== 'probe-input')) throw err;
        result = await runAnalysisWithIntervals(request, hooks);
      }
      await send({ type: 'checkpoint', index, result });
    } catch (err) {
      const error = reportedError(err);
      await send({ type: 'checkpoint', index, error });
      if (error.code === 'cancelled') break;
    }
  }
  await send({ type: 'done' });
  process.exit(0);
}

process.on('message', (message: unknown) => {
  const m = message as SeriesParentMessage;
  if (m?.type === 'cancel') {
    cancelled = true;
    return;
  }
  if (m?.type !== 'start' || started) return;
  started = true;
  void start(m);
});

exitWhenParentGoes();

void send({ type: 'ready' });
