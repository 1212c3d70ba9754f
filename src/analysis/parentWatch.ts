/**
 * The child's side of its link to the parent, shared by the analysis child processes (worker.ts,
 * seriesWorker.ts): how it sends a message, and how it ends when its parent is gone (extension
 * host closed, CLI killed, even by SIGKILL): there is nothing left to report to, so it leaves at once
 * whatever is running; sessions and eigensolver threads go with the process.
 */
import { Worker } from 'node:worker_threads';

/** How often the watchdog looks for the parent. */
const PARENT_POLL_MS = 250;

export function exitWhenParentGoes(): void {
  process.on('disconnect', () => process.exit(0));
  // The disconnect event needs this thread's event loop, which a long synchronous step (building
  // probes, encoding or parsing a large model) can hold for seconds. A watchdog thread sees the
  // parent go (re-parented, or no such process) and ends the process regardless.
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

/** Sends one message to the parent; resolves once it is handed over (or at once without a parent). */
export function sendToParent<Message>(message: Message): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}
