import type * as ort from 'onnxruntime-node';

/**
 * Session options every onnxruntime session of an analysis uses (inference and the products):
 * onnxruntime's pool threads otherwise spin between runs and between operators, on the cores the
 * eigensolver threads' JS and WebAssembly loops are waiting for. Measured on the 2-core machine: 10
 * 1024³ and 100 1024×96×1024 products interleaved with JS loops, CPU 0.82–0.85 s without spinning vs
 * 1.22–1.58 s with it, and less wall time too; the classifier at 224², inference sessions without
 * spinning as well, paired (3 pairs): CPU 0.95, wall 0.97, the same numbers.
 */
export const WITHOUT_SPINNING: Pick<ort.InferenceSession.SessionOptions, 'extra'> = Object.freeze({
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
});
