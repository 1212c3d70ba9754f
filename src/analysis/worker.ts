/**
 * Entry point of the analysis child process (bundled to dist/analysisWorker.js). It waits for one
 * `start` message, runs the analysis, reports progress, and sends exactly one `result` or `error`.
 * A child process rather than a worker thread: onnxruntime-node has failed inside worker_threads,
 * and a native crash here cannot take the extension host down.
 */
import { Worker } from 'node:worker_threads';
import { AnalysisError, messageOf } from './errors';
import type { runAnalysis } from './engine';
import { runAnalysisWithIntervals } from './intervalPass';
import { isParentMessage, type ChildMessage } from './protocol';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

/** How often the watchdog looks for the parent. */
const PARENT_POLL_MS = 250;

let cancelled = false;
let started = false;

async function start(request: Parameters<typeof runAnalysis>[0]): Promise<void> {
  // Progress is throttled: a message per scored layer is plenty for a bar, and IPC is not free.
  let lastSent = 0;
  try {
    const result = await runAnalysisWithIntervals(request, {
      isCancelled: () => cancelled,
      onProgress: (progress) => {
        const now = Date.now();
        if (now - lastSent < 100 && progress.stage === 'scoring') return;
        lastSent = now;
        void send({ type: 'progress', progress });
      },
      onPartialResult: (result) => void send({ type: 'partial', result }),
    });
    await send({ type: 'result', result });
  } catch (err) {
    const code = err instanceof AnalysisError ? err.code : 'internal';
    const message = err instanceof AnalysisError ? err.message : `internal error: ${messageOf(err)} (please report it with the model)`;
    await send({ type: 'error', code, message });
  }
  // Sessions and eigensolver threads may hold the event loop; the answer is sent, so leave now.
  process.exit(0);
}

process.on('message', (message: unknown) => {
  if (!isParentMessage(message)) return;
  if (message.type === 'cancel') {
    cancelled = true;
    return;
  }
  if (started) return;
  started = true;
  void start(message.request);
});

// Parent gone (extension host closed, CLI killed, even by SIGKILL): nothing left to report to,
// so leave at once whatever is running; sessions and eigensolver threads go with the process.
process.on('disconnect', () => process.exit(0));
watchParent();

/**
 * The disconnect event needs this thread's event loop, which a long synchronous step (building
 * probes, encoding a large model) can hold for seconds. A watchdog thread sees the parent go
 * (re-parented, or no such process) and ends the process regardless.
 */
function watchParent(): void {
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { readFileSync } = require('node:fs');
     const parentNow = () => { try { return Number(readFileSync('/proc/self/stat', 'utf8').replace(/^.*\\) /s, '').split(' ')[1]); } catch { return workerData.parent; } };
     const gone = () => { try { process.kill(workerData.parent, 0); return parentNow() !== workerData.parent; } catch { return true; } };
     setInterval(() => { if (gone()) process.kill(workerData.self, 'SIGKILL'); }, ${PARENT_POLL_MS});`,
    { eval: true, workerData: { parent: process.ppid, self: process.pid } },
  );
  watchdog.unref();
}

void send({ type: 'ready' });
