/**
 * The symmetric matrix–vector product of the Householder reduction, y = B·v with B the trailing
 * block of the working matrix read from its lower triangle. It is the reduction's level-2 half (about
 * n³/3 multiply-adds for order n) and cannot become a matrix product, so it gets its own kernel:
 * a small WebAssembly function using 128-bit SIMD (two doubles per instruction) for the long inner
 * loop, about 2.5× the speed of the same loop in JS here. Where WebAssembly SIMD is unavailable the
 * JS loop is used; both read the same memory in the same order up to the pairing of columns.
 *
 * The module is assembled below from its instructions (no build step, no file): one function,
 * rows4(a, stride, v, out, pairBytes, scratch, v0, v1, v2, v3), that for four consecutive rows
 * r..r+3 of B and the columns c < r (in pairs) accumulates out[c] += Σ_i B[r+i][c]·v_{r+i} and the
 * four dot products Σ_c B[r+i][c]·v[c] into scratch. JS does the 4×4 diagonal block and the tail.
 */

/** A working matrix (n×n, row-major) whose trailing blocks can be multiplied by vectors fast. */
export interface SymvWorkspace {
  readonly matrix: Float64Array;
  /** out[0..m) = B·v for B = matrix[base.., base..] (order m), lower triangle read; v has m entries. */
  symv(base: number, m: number, v: Float64Array, out: Float64Array): void;
}

/** The part of the WebAssembly API used here (the core's type libraries declare no runtime globals). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => { readonly buffer: ArrayBuffer };
}
type WasmModule = object;

/** Below this order the module's memory and instance cost more than they save. */
const MIN_ORDER_FOR_SIMD = 48;

export function symvWorkspace(n: number): SymvWorkspace {
  const compiled = n >= MIN_ORDER_FOR_SIMD ? simdModule() : null;
  return compiled ? simdWorkspace(compiled.wasm, compiled.module, n) : jsWorkspace(n);
}

/** Whether the SIMD kernel runs here (Node ≥ 16.4 has WebAssembly SIMD). */
export function simdSymvAvailable(): boolean {
  return simdModule() !== null;
}

function jsWorkspace(n: number): SymvWorkspace {
  const matrix = new Float64Array(n * n);
  return { matrix, symv: (base, m, v, out) => lowerSymv(matrix, n, base, m, v, out) };
}

type Rows4 = (a: number, stride: number, v: number, out: number, pairBytes: number, scratch: number, v0: number, v1: number, v2: number, v3: number) => void;

function simdWorkspace(wasm: WasmApi, module: WasmModule, n: number): SymvWorkspace {
  // Layout in doubles: matrix, v, out, 4 scratch.
  const vAt = n * n;
  const outAt = vAt + n;
  const scratchAt = outAt + n;
  const pages = Math.ceil(((scratchAt + 4) * 8) / 65536);
  const memory = new wasm.Memory({ initial: pages, maximum: pages });
  const rows4 = new wasm.Instance(module, { env: { memory } }).exports.rows4 as Rows4;
  const heap = new Float64Array(memory.buffer);
  const matrix = heap.subarray(0, n * n);
  const vArea = heap.subarray(vAt, vAt + n);
  const outArea = heap.subarray(outAt, outAt + n);
  const stride = n * 8;
  return {
    matrix,
    symv(base, m, v, out) {
      vArea.set(v.subarray(0, m));
      outArea.fill(0, 0, m);
      let r = 0;
      for (; r + 3 < m; r += 4) {
        const row0 = (base + r) * n + base;
        const pairs = r & ~1;
        rows4(row0 * 8, stride, vAt * 8, outAt * 8, pairs * 8, scratchAt * 8, vArea[r], vArea[r + 1], vArea[r + 2], vArea[r + 3]);
        let d0 = heap[scratchAt];
        let d1 = heap[scratchAt + 1];
        let d2 = heap[scratchAt + 2];
        let d3 = heap[scratchAt + 3];
        if (pairs < r) {
          // The odd column left over from the pairs.
          const c = pairs;
          const x0 = heap[row0 + c];
          const x1 = heap[row0 + n + c];
          const x2 = heap[row0 + 2 * n + c];
          const x3 = heap[row0 + 3 * n + c];
          const vc = vArea[c];
          d0 += x0 * vc;
          d1 += x1 * vc;
          d2 += x2 * vc;
          d3 += x3 * vc;
          outArea[c] += x0 * vArea[r] + x1 * vArea[r + 1] + (x2 * vArea[r + 2] + x3 * vArea[r + 3]);
        }
        diagonalBlock(heap, n, row0, r, 4, vArea, outArea);
        outArea[r] += d0;
        outArea[r + 1] += d1;
        outArea[r + 2] += d2;
        outArea[r + 3] += d3;
      }
      tailRows(heap, n, base, m, r, vArea, outArea);
      out.set(outArea.subarray(0, m));
    },
  };
}

/**
 * out[0..m) = B·v for B = a[base.., base..] (order m, row stride n), reading only B's lower triangle.
 * Four rows at a time: each loaded v[c] and out[c] then serves four rows, which is what bounds this
 * memory-bound loop in JS (about 2× faster than one row at a time, or than whole-row dot products).
 */
export function lowerSymv(a: Float64Array, n: number, base: number, m: number, v: ArrayLike<number>, out: Float64Array): void {
  out.fill(0, 0, m);
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const row0 = (base + r) * n + base;
    const row1 = row0 + n;
    const row2 = row1 + n;
    const row3 = row2 + n;
    const v0 = v[r];
    const v1 = v[r + 1];
    const v2 = v[r + 2];
    const v3 = v[r + 3];
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    for (let c = 0; c < r; c++) {
      const x0 = a[row0 + c];
      const x1 = a[row1 + c];
      const x2 = a[row2 + c];
      const x3 = a[row3 + c];
      const vc = v[c];
      d0 += x0 * vc;
      d1 += x1 * vc;
      d2 += x2 * vc;
      d3 += x3 * vc;
      out[c] += x0 * v0 + x1 * v1 + (x2 * v2 + x3 * v3);
    }
    diagonalBlock(a, n, row0, r, 4, v, out);
    out[r] += d0;
    out[r + 1] += d1;
    out[r + 2] += d2;
    out[r + 3] += d3;
  }
  tailRows(a, n, base, m, r, v, out);
}

/** The rows×rows diagonal block starting at row/column r (row0 = its first row's offset of column 0). */
function diagonalBlock(a: Float64Array, n: number, row0: number, r: number, rows: number, v: ArrayLike<number>, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const row = row0 + i * n;
    const vi = v[r + i];
    let dot = 0;
    for (let c = r; c < r + i; c++) {
      const value = a[row + c];
      dot += value * v[c];
      out[c] += value * vi;
    }
    out[r + i] += dot + a[row + r + i] * vi;
  }
}

/** Rows from..m−1 one at a time. */
function tailRows(a: Float64Array, n: number, base: number, m: number, from: number, v: ArrayLike<number>, out: Float64Array): void {
  for (let r = from; r < m; r++) {
    const row = (base + r) * n + base;
    const vr = v[r];
    let dot = 0;
    for (let c = 0; c < r; c++) {
      const value = a[row + c];
      dot += value * v[c];
      out[c] += value * vr;
    }
    out[r] += dot + a[row + r] * vr;
  }
}

let compiled: { readonly wasm: WasmApi; readonly module: WasmModule } | null | undefined;

/** The compiled module, or null where WebAssembly (with SIMD) is not available. */
function simdModule(): { readonly wasm: WasmApi; readonly module: WasmModule } | null {
  if (compiled === undefined) {
    compiled = null;
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    try {
      const bytes = rows4Module();
      if (wasm && wasm.validate(bytes)) compiled = { wasm, module: new wasm.Module(bytes) };
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

// --- A minimal assembler for the one function (WebAssembly binary format 1, SIMD proposal opcodes). ---

function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (text: string): number[] => [...uleb(text.length), ...Array.from(text, (ch) => ch.charCodeAt(0))];
const get = (local: number): number[] => [0x20, ...uleb(local)];
const set = (local: number): number[] => [0x21, ...uleb(local)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
/** memarg: alignment 2^3 (doubles), offset 0. */
const load128 = [...simd(0x00), 3, 0];
const store128 = [...simd(0x0b), 3, 0];
const f64x2Splat = simd(0x14);
const f64x2Add = simd(0xf0);
const f64x2Mul = simd(0xf2);
const f64x2Lane = (lane: number): number[] => [...simd(0x21), lane];
const i32Add = [0x6a];
const f64Add = [0xa0];

function rows4Module(): Uint8Array {
  // Parameters 0–5 (i32): a, stride, v, out, pairBytes, scratch (byte offsets); 6–9 (f64): v0..v3.
  const [a, stride, v, out, pairBytes, scratch] = [0, 1, 2, 3, 4, 5];
  const coefficient = (i: number) => 6 + i;
  // Locals: 10 j, 11–13 row pointers (i32); 14–17 dots, 18–21 splatted coefficients, 22 v[c..c+1], 23–26 rows (v128).
  const j = 10;
  const rowPointer = [a, 11, 12, 13];
  const dot = (i: number) => 14 + i;
  const splat = (i: number) => 18 + i;
  const vc = 22;
  const x = (i: number) => 23 + i;

  const body: number[] = [];
  for (let i = 1; i < 4; i++) body.push(...get(rowPointer[i - 1]), ...get(stride), ...i32Add, ...set(rowPointer[i]));
  for (let i = 0; i < 4; i++) body.push(...get(coefficient(i)), ...f64x2Splat, ...set(splat(i)));
  body.push(0x02, 0x40, 0x03, 0x40); // block, loop
  body.push(...get(j), ...get(pairBytes), 0x4f, 0x0d, 1); // i32.ge_u; br_if to the block's end
  body.push(...get(v), ...get(j), ...i32Add, ...load128, ...set(vc));
  for (let i = 0; i < 4; i++) body.push(...get(rowPointer[i]), ...get(j), ...i32Add, ...load128, ...set(x(i)));
  for (let i = 0; i < 4; i++) body.push(...get(dot(i)), ...get(x(i)), ...get(vc), ...f64x2Mul, ...f64x2Add, ...set(dot(i)));
  // out[c..c+1] += (x0·s0 + x1·s1) + (x2·s2 + x3·s3)
  body.push(...get(out), ...get(j), ...i32Add);
  body.push(...get(out), ...get(j), ...i32Add, ...load128);
  body.push(...get(x(0)), ...get(splat(0)), ...f64x2Mul, ...get(x(1)), ...get(splat(1)), ...f64x2Mul, ...f64x2Add);
  body.push(...get(x(2)), ...get(splat(2)), ...f64x2Mul, ...get(x(3)), ...get(splat(3)), ...f64x2Mul, ...f64x2Add, ...f64x2Add, ...f64x2Add);
  body.push(...store128);
  body.push(...get(j), 0x41, 16, ...i32Add, ...set(j)); // j += 16 bytes (i32.const 16)
  body.push(0x0c, 0, 0x0b, 0x0b); // br loop; end loop; end block
  for (let i = 0; i < 4; i++) {
    body.push(...get(scratch), ...get(dot(i)), ...f64x2Lane(0), ...get(dot(i)), ...f64x2Lane(1), ...f64Add, 0x39, 3, ...uleb(8 * i)); // f64.store
  }
  body.push(0x0b);
  const locals = vector([
    [4, I32],
    [13, V128],
  ]);
  const code = [...locals, ...body];
  const params = [I32, I32, I32, I32, I32, I32, F64, F64, F64, F64];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector(params.map((t) => [t])), 0]])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name('rows4'), 0x00, 0]])),
    ...section(10, vector([[...uleb(code.length), ...code]])),
  ]);
}
