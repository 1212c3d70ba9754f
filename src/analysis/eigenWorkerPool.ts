/**
 * A small pool of worker threads running the core's eigensolver, so the independent
 * decompositions SEIS issues together (clean and transformed Grams, the actual CCA and each null)
 * run on every core. Workers are unref'd: an idle pool never keeps a process alive.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EigenOptions, SymmetricEigen } from '../seis';

interface Pending {
  readonly resolve: (value: SymmetricEigen) => void;
  readonly reject: (error: Error) => void;
}

interface QueuedJob {
  readonly id: number;
  readonly matrix: Float64Array;
  readonly n: number;
  readonly options: EigenOptions;
}

type WorkerReply = { id: number; ok: true; result: SymmetricEigen } | { id: number; ok: false; message: string };

/** The worker script: the bundled file next to this bundle, or (from source) the TS file via tsx's require hook. */
function startWorker(): Worker {
  if (__filename.endsWith('.ts')) {
    const source = join(__dirname, 'eigenWorker.ts');
    const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(source)});`;
    return new Worker(bootstrap, { eval: true });
  }
  return new Worker(join(__dirname, 'eigenWorker.js'));
}

export class EigenWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: QueuedJob[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      worker.on('message', (reply: WorkerReply) => this.settle(worker, reply));
      worker.on('error', (error) => this.failWorker(worker, error));
      // After the listeners: attaching a 'message' listener refs the worker's port again.
      worker.unref();
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  symmetricEigen(matrix: Float64Array, n: number, options: EigenOptions): Promise<SymmetricEigen> {
    if (this.closed) return Promise.reject(new Error('The eigensolver pool is closed.'));
    const id = this.nextId++;
    return new Promise<SymmetricEigen>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, matrix, n, options });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { reject } of this.pending.values()) reject(new Error('The eigensolver pool was closed before the job finished.'));
    this.pending.clear();
    await Promise.all(this.all.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as QueuedJob;
      this.busy.set(worker, job.id);
      worker.ref();
      // Copied, not transferred: callers may still hold the matrix.
      worker.postMessage(job);
    }
  }

  private settle(worker: Worker, reply: WorkerReply): void {
    this.busy.delete(worker);
    worker.unref();
    this.idle.push(worker);
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (pending) {
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(reply.message));
    }
    this.dispatch();
  }

  private failWorker(worker: Worker, error: Error): void {
    const id = this.busy.get(worker);
    this.busy.delete(worker);
    if (id !== undefined) {
      this.pending.get(id)?.reject(error);
      this.pending.delete(id);
    }
  }
}
