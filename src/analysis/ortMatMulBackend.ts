/**
 * A MatMulBackend that runs the SEIS core's large products through onnxruntime's MatMul on float64
 * tensors. On this class of machine it forms a 1024×1024 Gram from a 2048×1024 matrix ~75× faster
 * than a plain JS loop (BLAS-grade kernels, all cores), and gives the same numbers up to summation
 * order. Lives outside src/seis so the core stays free of native dependencies.
 */
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { gramOfRowsSync, mirrorLower, subtractProductSync, timesSync, timesTransposeSync, transposeTimesSync, type MatMulBackend } from '../seis';
import { EigenWorkerPool } from './eigenWorkerPool';
import { MIN_WORK_FOR_BACKEND } from './eigenProtocol';
import { WITHOUT_SPINNING } from './ortThreads';

function valueInfo(name: string, dims: string[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.DOUBLE, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } },
  };
}

type Product = 'transpose_times' | 'times' | 'times_transpose' | 'subtract_product';

/**
 * Y = Aᵀ·B, A·B or A·Bᵀ as a one-node ONNX graph with symbolic dims. The transposed products are
 * Gemm with transA / transB, which the kernel reads in place: a Transpose node before a MatMul
 * copied the whole operand first (a 16384×1024 float64 layer: 128 MiB more, outside the budget)
 * and was a quarter slower on the CCA's 6400×434ᵀ·6400×435 products.
 */
function productModel(product: Product): Uint8Array {
  const gemm = (transposed: 'transA' | 'transB'): onnx.INodeProto => ({
    opType: 'Gemm',
    input: ['A', 'B'],
    output: ['Y'],
    attribute: [{ name: transposed, type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
  });
  // C − A·B as Gemm(alpha −1, beta 1): the kernel adds −(A·B) to a copy of C, the same numbers as
  // subtracting MatMul's result (checked bit for bit on 100×17×90 to 1000×32×1000).
  const subtract: onnx.INodeProto = {
    opType: 'Gemm',
    input: ['A', 'B', 'C'],
    output: ['Y'],
    attribute: [
      { name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: -1 },
      { name: 'beta', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
    ],
  };
  const nodes: onnx.INodeProto[] =
    product === 'transpose_times'
      ? [gemm('transA')]
      : product === 'times_transpose'
        ? [gemm('transB')]
        : product === 'subtract_product'
          ? [subtract]
          : [{ opType: 'MatMul', input: ['A', 'B'], output: ['Y'] }];
  const inputs: Record<Product, string[][]> = {
    transpose_times: [['m', 'p'], ['m', 'q']],
    times: [['m', 'k'], ['k', 'n']],
    times_transpose: [['m', 'k'], ['n', 'k']],
    subtract_product: [['m', 'k'], ['k', 'n'], ['m', 'n']],
  };
  const model: onnx.IModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'seis-lens',
    graph: {
      name: product,
      node: nodes,
      input: inputs[product].map((dims, i) => valueInfo('ABC'[i], dims)),
      output: [valueInfo('Y', ['rows', 'cols'])],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/**
 * A Gram's lower triangle in block rows: with 8 of them the products cover 9/16 of the square
 * (2048×1024 → 1024²: 0.51–0.64 of the full product's time, 8192×990: 0.40–0.53), and a block is
 * never so thin that a call costs more than its work.
 */
const GRAM_BLOCKS = 8;
const GRAM_MIN_BLOCK_ROWS = 64;

export interface OrtBackendOptions {
  readonly intraOpThreads?: number;
  /** Worker threads for the eigensolver; 0 solves in the calling thread. Default: one per core. */
  readonly eigenThreads?: number;
}

export interface OrtMatMulBackend extends MatMulBackend {
  /** Stops the eigensolver threads (they are unref'd, so forgetting this never hangs a process). */
  dispose(): Promise<void>;
}

export async function createOrtMatMulBackend(options: OrtBackendOptions = {}): Promise<OrtMatMulBackend> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...WITHOUT_SPINNING,
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
  };
  const [transposeTimesSession, timesSession, timesTransposeSession, subtractProductSession] = await Promise.all([
    ort.InferenceSession.create(productModel('transpose_times'), sessionOptions),
    ort.InferenceSession.create(productModel('times'), sessionOptions),
    ort.InferenceSession.create(productModel('times_transpose'), sessionOptions),
    ort.InferenceSession.create(productModel('subtract_product'), sessionOptions),
  ]);
  const run = async (session: ort.InferenceSession, a: Float64Array, aDims: number[], b: Float64Array, bDims: number[], c?: Float64Array): Promise<Float64Array> => {
    const feeds: Record<string, ort.Tensor> = { A: new ort.Tensor('float64', a, aDims), B: new ort.Tensor('float64', b, bDims) };
    if (c) feeds.C = new ort.Tensor('float64', c, [aDims[0], bDims[1]]);
    // (A pre-allocated output would not save the copy: onnxruntime-node 1.30 still returns the
    // result in a new array, copied from the one it filled.)
    const outputs = await session.run(feeds);
    const y = outputs.Y;
    const data = y.data as Float64Array;
    y.dispose?.();
    return data;
  };
  const belowBackend = (m: number, k: number, n: number) => m * k * n < MIN_WORK_FOR_BACKEND || m === 0 || k === 0 || n === 0;
  const products: Required<Pick<MatMulBackend, 'times' | 'transposeTimes' | 'timesTranspose' | 'subtractProduct'>> = {
    subtractProduct: (c, a, m, k, b, n) =>
      belowBackend(m, k, n) ? Promise.resolve(subtractProductSync(c, a, m, k, b, n)) : run(subtractProductSession, a, [m, k], b, [k, n], c),
    transposeTimes: (a, m, p, b, q) => (belowBackend(m, p, q) ? Promise.resolve(transposeTimesSync(a, m, p, b, q)) : run(transposeTimesSession, a, [m, p], b, [m, q])),
    times: (a, m, k, b, n) => (belowBackend(m, k, n) ? Promise.resolve(timesSync(a, m, k, b, n)) : run(timesSession, a, [m, k], b, [k, n])),
    timesTranspose: (a, m, k, b, n) => (belowBackend(m, k, n) ? Promise.resolve(timesTransposeSync(a, m, k, b, n)) : run(timesTransposeSession, a, [m, k], b, [n, k])),
  };
  const gramOfRows = async (a: Float64Array, m: number, k: number): Promise<Float64Array> => {
    // Decided on the whole product, as timesTranspose would: every entry then comes from the same
    // kernel as before, bit for bit (checked for 512×1024 to 8192×990: the kernel's summation order
    // over k does not depend on how many rows a call has).
    if (belowBackend(m, k, m)) return gramOfRowsSync(a, m, k);
    const g = new Float64Array(m * m);
    const height = Math.max(GRAM_MIN_BLOCK_ROWS, Math.ceil(m / GRAM_BLOCKS));
    for (let start = 0; start < m; start += height) {
      const rows = Math.min(height, m - start);
      const width = start + rows;
      // Rows start..start+rows against every row up to them: the block row of the lower triangle.
      const block = await run(timesTransposeSession, a.subarray(start * k, width * k), [rows, k], a.subarray(0, width * k), [width, k]);
      for (let r = 0; r < rows; r++) g.set(block.subarray(r * width, (r + 1) * width), (start + r) * m);
    }
    mirrorLower(g, m);
    return g;
  };
  const pool = options.eigenThreads === 0 ? null : new EigenWorkerPool(products, options.eigenThreads);
  return {
    name: 'onnxruntime',
    ...products,
    gramOfRows,
    ...(pool
      ? {
          symmetricEigen: (matrix, n, eigenOptions) => pool.symmetricEigen(matrix, n, eigenOptions),
          canonicalPairs: (x, k, kT) => pool.canonicalPairs(x, k, kT),
        }
      : {}),
    dispose: async () => {
      await pool?.close();
      await Promise.all([transposeTimesSession, timesSession, timesTransposeSession, subtractProductSession].map((session) => session.release()));
    },
  };
}
