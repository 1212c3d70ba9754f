/**
 * Entry point of the analysis child process (bundled to dist/analysisWorker.js). It waits for one
 * `start` message, runs the analysis, reports progress, and sends exactly one `result` or `error`.
 * A child process rather than a worker thread of the extension host: a native crash here cannot take
 * the extension host down.
 */
import { reportedError } from './errors';
import type { runAnalysis } from './engine';
import { runAnalysisWithIntervals } from './intervalPass';
import { exitWhenParentGoes, sendToParent } from './parentWatch';
import { isParentMessage, type ChildMessage } from './protocol';

const send = (message: ChildMessage): Promise<void> => sendToParent(message);

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
    await send({ type: 'error', ...reportedError(err) });
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

exitWhenParentGoes();

void send({ type: 'ready' });
