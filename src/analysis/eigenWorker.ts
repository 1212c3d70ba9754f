/**
 * Worker-thread entry: runs the SEIS core's pure-JS symmetric eigensolver. Pure JS only —
 * onnxruntime-node is never loaded in worker threads (it has failed there).
 */
import { parentPort } from 'node:worker_threads';
import { symmetricEigen, type EigenOptions } from '../seis';

interface EigenJob {
  readonly id: number;
  readonly matrix: Float64Array;
  readonly n: number;
  readonly options: EigenOptions;
}

parentPort?.on('message', (job: EigenJob) => {
  try {
    const result = symmetricEigen(job.matrix, job.n, job.options);
    parentPort?.postMessage({ id: job.id, ok: true, result }, [result.values.buffer as ArrayBuffer, result.vectorRows.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort?.postMessage({ id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
