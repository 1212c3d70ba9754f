/**
 * A small pool of worker threads running the core's eigensolver, so the independent
 * decompositions SEIS issues together (clean and transformed Grams, the actual CCA and each null)
 * run on every core. A CCA is handed over whole (its Gram, eigensolve, back-product and tie
 * alignment): done here, they kept the main thread busy while the pool idled. Each worker multiplies
 * on its own onnxruntime; where it cannot load one, its products come back here and run on
 * `products`. Workers are unref'd: an idle pool never keeps a process alive.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CanonicalPairs, EigenOptions, EigenProducts, SymmetricEigen } from '../seis';
import { ownedBuffer, type FromWorker, type PoolJob, type ProductRequest, type ToWorker } from './eigenProtocol';

interface Pending {
  readonly resolve: (value: SymmetricEigen | CanonicalPairs) => void;
  readonly reject: (error: Error) => void;
}

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
  private readonly queue: PoolJob[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly products: EigenProducts,
    readonly size: number = Math.max(1, availableParallelism()),
  ) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      worker.on('message', (message: FromWorker) => (message.kind === 'product' ? this.serveProduct(worker, message) : this.settle(worker, message)));
      worker.on('error', (error) => this.failWorker(worker, error));
      // After the listeners: attaching a 'message' listener refs the worker's port again.
      worker.unref();
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  symmetricEigen(matrix: Float64Array, n: number, options: EigenOptions): Promise<SymmetricEigen> {
    return this.submit((id) => ({ kind: 'eigen', id, matrix, n, options })) as Promise<SymmetricEigen>;
  }

  canonicalPairs(x: Float64Array, k: number, kT: number): Promise<CanonicalPairs> {
    return this.submit((id) => ({ kind: 'cca', id, x, k, kT })) as Promise<CanonicalPairs>;
  }

  private submit(job: (id: number) => PoolJob): Promise<SymmetricEigen | CanonicalPairs> {
    if (this.closed) return Promise.reject(new Error('The eigensolver pool is closed.'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push(job(id));
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
      const job = this.queue.shift() as PoolJob;
      this.busy.set(worker, job.id);
      worker.ref();
      // Handed over, not copied (the core never reads a matrix it gave the solver again): a copy was
      // a second pass over up to 8 MB on this thread, the busiest, and fresh pages on the worker's.
      handOver(worker, job, job.kind === 'eigen' ? job.matrix : job.x);
    }
  }

  private serveProduct(worker: Worker, request: ProductRequest): void {
    const { op, a, rows, inner, b, cols } = request;
    const product = op === 'times' ? this.products.times(a, rows, inner, b, cols) : this.products.transposeTimes(a, rows, inner, b, cols);
    product.then(
      (result) => {
        const reply: ToWorker = { kind: 'product', id: request.id, ok: true, result };
        // The product is ours alone: hand its buffer over instead of copying it.
        handOver(worker, reply, result);
      },
      (error: unknown) => {
        const reply: ToWorker = { kind: 'product', id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
        worker.postMessage(reply);
      },
    );
  }

  private settle(worker: Worker, reply: Exclude<FromWorker, ProductRequest>): void {
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

/**
 * Posts `message` with `array`'s buffer transferred, not copied. A view of a larger buffer, or a
 * buffer the runtime will not let go of, is copied instead.
 */
function handOver(worker: Worker, message: ToWorker, array: Float64Array): void {
  try {
    worker.postMessage(message, ownedBuffer(array));
  } catch {
    worker.postMessage(message);
  }
}
