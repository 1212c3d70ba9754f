/**
 * Worker-thread entry: runs the SEIS core's blocked symmetric eigensolver. Its large matrix products
 * run on this thread's own single-threaded onnxruntime: sent to the main thread, they queued behind
 * inference and capture there (classifier at 224²: the main thread busy 59 of 73 s while each
 * worker idled half the run; 75 s → 67 s wall with them here). If onnxruntime cannot be loaded
 * here, or SEIS_WORKER_PRODUCTS=main (a benchmark's before/after switch), they go to the main
 * thread's backend as before. Small ones are computed here in JS. (onnxruntime-node before 1.27
 * aborted with several worker threads: one process-wide tensor constructor; package.json pins 1.30.)
 */
import { parentPort } from 'node:worker_threads';
import { canonicalPairsHere, symmetricEigenBlocked, timesSync, transposeTimesSync, type EigenProducts } from '../seis';
import { createOrtMatMulBackend } from './ortMatMulBackend';
import { MIN_WORK_FOR_BACKEND, ownedBuffer, type FromWorker, type ToWorker } from './eigenProtocol';

const port = parentPort;
const waiting = new Map<number, { resolve: (value: Float64Array) => void; reject: (error: Error) => void }>();
let nextProductId = 1;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function remote(op: 'times' | 'transposeTimes', a: Float64Array, rows: number, inner: number, b: Float64Array, cols: number): Promise<Float64Array> {
  const id = nextProductId++;
  // Operands are often views into larger arrays the solver keeps using (posting a view would clone
  // its whole buffer): copy just the view and hand the copy over, so nothing is serialized.
  const aCopy = a.slice();
  const bCopy = b === a ? aCopy : b.slice();
  const transfer = bCopy === aCopy ? [aCopy.buffer] : [aCopy.buffer, bCopy.buffer];
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    post({ kind: 'product', id, op, a: aCopy, rows, inner, b: bCopy, cols }, transfer);
  });
}

const mainThreadProducts: EigenProducts = {
  transposeTimes: (a, m, p, b, q) =>
    m * p * q < MIN_WORK_FOR_BACKEND ? Promise.resolve(transposeTimesSync(a, m, p, b, q)) : remote('transposeTimes', a, m, p, b, q),
  times: (a, m, k, b, n) => (m * k * n < MIN_WORK_FOR_BACKEND ? Promise.resolve(timesSync(a, m, k, b, n)) : remote('times', a, m, k, b, n)),
};

type Products = EigenProducts;
let ownProducts: Promise<Products> | undefined;
/** One intra-op thread: the pool already has a worker per core. */
function workerProducts(): Promise<Products> {
  ownProducts ??=
    process.env.SEIS_WORKER_PRODUCTS === 'main'
      ? Promise.resolve(mainThreadProducts)
      : createOrtMatMulBackend({ eigenThreads: 0, intraOpThreads: 1 }).then(
          (backend): Products => backend,
          (): Products => mainThreadProducts,
        );
  return ownProducts;
}

port?.on('message', (message: ToWorker) => {
  if (message.kind === 'product') {
    const entry = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.ok) entry?.resolve(message.result);
    else entry?.reject(new Error(message.message));
    return;
  }
  const job = message;
  const failed = (error: unknown) => post({ kind: job.kind, id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) });
  if (job.kind === 'cca') {
    // The whole problem here: its Gram, eigensolve, back-product and tie alignment leave the main thread.
    void workerProducts()
      .then((products) => canonicalPairsHere(job.x, job.k, job.kT, { name: 'worker', ...products }))
      .then((result) => post({ kind: 'cca', id: job.id, ok: true, result }, [...ownedBuffer(result.m), ...ownedBuffer(result.n), ...ownedBuffer(result.rho)]), failed);
    return;
  }
  void workerProducts()
    .then((products) => symmetricEigenBlocked(job.matrix, job.n, job.options, products))
    .then((result) => post({ kind: 'eigen', id: job.id, ok: true, result }, [...ownedBuffer(result.values), ...ownedBuffer(result.vectorColumns)]), failed);
});
