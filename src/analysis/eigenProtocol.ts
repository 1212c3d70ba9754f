/**
 * The one home of the messages between the eigensolver pool (main thread) and its worker threads.
 * A job runs the core's blocked eigensolver, or a whole canonical-pairs problem, in a worker; its
 * matrix products run on the worker's own onnxruntime, or come back to the main thread as product
 * requests where that could not be loaded.
 */
import type { CanonicalPairs, EigenOptions, SymmetricEigen } from '../seis';

/** Main → worker: solve one symmetric eigenproblem. */
export interface EigenJob {
  readonly kind: 'eigen';
  readonly id: number;
  readonly matrix: Float64Array;
  readonly n: number;
  readonly options: EigenOptions;
}

/** Main → worker: the canonical pairs of X (k×k′), computed whole in the worker (core's canonicalPairsHere). */
export interface CcaJob {
  readonly kind: 'cca';
  readonly id: number;
  readonly x: Float64Array;
  readonly k: number;
  readonly kT: number;
}

export type PoolJob = EigenJob | CcaJob;

/** Main → worker: the answer to a ProductRequest. */
export type ProductReply = { readonly kind: 'product'; readonly id: number; readonly ok: true; readonly result: Float64Array } | { readonly kind: 'product'; readonly id: number; readonly ok: false; readonly message: string };

export type ToWorker = PoolJob | ProductReply;

/** Worker → main: one job done (or failed). */
export type JobReply =
  | { readonly kind: 'eigen'; readonly id: number; readonly ok: true; readonly result: SymmetricEigen }
  | { readonly kind: 'cca'; readonly id: number; readonly ok: true; readonly result: CanonicalPairs }
  | { readonly kind: 'eigen' | 'cca'; readonly id: number; readonly ok: false; readonly message: string };

/** Worker → main: compute a product with the main thread's backend (operands as in MatMulBackend). */
export interface ProductRequest {
  readonly kind: 'product';
  readonly id: number;
  readonly op: 'times' | 'transposeTimes';
  readonly a: Float64Array;
  readonly rows: number;
  readonly inner: number;
  readonly b: Float64Array;
  readonly cols: number;
}

export type FromWorker = JobReply | ProductRequest;

/**
 * Products smaller than this many multiply-adds are computed where they are needed: a backend call
 * (onnxruntime session run, or a round trip to the main thread) costs more than the JS loop.
 */
export const MIN_WORK_FOR_BACKEND = 48 * 48 * 48;

/** Transfer list for a typed array whose buffer it owns whole (so the sender loses nothing it still needs). */
export function ownedBuffer(array: Float64Array): ArrayBuffer[] {
  const buffer = array.buffer;
  return buffer instanceof ArrayBuffer && array.byteOffset === 0 && array.byteLength === buffer.byteLength ? [buffer] : [];
}
