/**
 * Worker-thread entry: runs the SEIS core's blocked symmetric eigensolver. Its large matrix products
 * are sent to the main thread's backend (onnxruntime is never loaded in worker threads: it has failed
 * there); small ones are computed here in JS.
 */
import { parentPort } from 'node:worker_threads';
import { symmetricEigenBlocked, timesSync, transposeTimesSync, type MatMulBackend } from '../seis';
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

const mainThreadProducts: Pick<MatMulBackend, 'times' | 'transposeTimes'> = {
  transposeTimes: (a, m, p, b, q) =>
    m * p * q < MIN_WORK_FOR_BACKEND ? Promise.resolve(transposeTimesSync(a, m, p, b, q)) : remote('transposeTimes', a, m, p, b, q),
  times: (a, m, k, b, n) => (m * k * n < MIN_WORK_FOR_BACKEND ? Promise.resolve(timesSync(a, m, k, b, n)) : remote('times', a, m, k, b, n)),
};

port?.on('message', (message: ToWorker) => {
  if (message.kind === 'product') {
    const entry = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.ok) entry?.resolve(message.result);
    else entry?.reject(new Error(message.message));
    return;
  }
  const job = message;
  symmetricEigenBlocked(job.matrix, job.n, job.options, mainThreadProducts).then(
    (result) => post({ kind: 'eigen', id: job.id, ok: true, result }, [...ownedBuffer(result.values), ...ownedBuffer(result.vectorRows)]),
    (error: unknown) => post({ kind: 'eigen', id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
