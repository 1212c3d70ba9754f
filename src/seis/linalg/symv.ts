/**
 * The symmetric matrix–vector product of the Householder reduction, y = B·v with B the trailing
 * block of the working matrix read from its lower triangle. It is the reduction's level-2 half (about
 * n³/3 multiply-adds for order n) and cannot become a matrix product, so it gets its own kernel:
 * a small WebAssembly function using 128-bit SIMD (two doubles per instruction) for the long inner
 * loop, about 2.5× the speed of the same loop in JS here. Where WebAssembly SIMD is unavailable the
 * JS loop is used; both read the same memory in the same order up to the pairing of columns.
 *
 * The module is assembled below from its instructions (no build step, no file). Its symv function
 * runs a whole product in one call: for four consecutive rows r..r+3 of B and the columns c < r (in
 * pairs, two pairs per step) it accumulates out[c] += Σ_i B[r+i][c]·v_{r+i} and the four dot products
 * Σ_c B[r+i][c]·v[c], then the 4×4 diagonal block, then the rows left over one at a time. (It used to
 * be called once per four rows with the rest in JS: the calls and the JS were a third of its time.)
 */

/** A working matrix (n×n, row-major) whose trailing blocks can be multiplied by vectors fast. */
export interface SymvWorkspace {
  readonly matrix: Float64Array;
  /** out[0..m) = B·v for B = matrix[base.., base..] (order m), lower triangle read; v has m entries. */
  symv(base: number, m: number, v: Float64Array, out: Float64Array): void;
  /** Done with the workspace: its memory may serve the next one in this thread (nothing of it is read again). */
  release(): void;
}

/**
 * The blocked reduction's workspace: the matrix plus one panel's pending reflectors (row l of `panelV`
 * is reflector l, row l of `panelW` its w, both n long with global row indices) and two vectors, with
 * the panel's level-2 loops on the same kernels.
 */
export interface ReductionWorkspace extends SymvWorkspace {
  readonly panelV: Float64Array;
  readonly panelW: Float64Array;
  readonly column: Float64Array;
  readonly y: Float64Array;
  /** target[r − shift] −= Σ_{l<count} (panelV[l][r]·cv[l] + panelW[l][r]·cw[l]) for r in [from, to). */
  subtractPending(target: 'column' | 'y', shift: number, from: number, to: number, count: number, cv: Float64Array, cw: Float64Array): void;
  /** cw[l] = panelW[l][base..base+m)·v and cv[l] = panelV[l][base..)·v, with v the last symv's vector. */
  pendingDots(base: number, m: number, count: number, cw: Float64Array, cv: Float64Array): void;
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
  return reductionWorkspace(n, 0);
}

export function reductionWorkspace(n: number, panelRows: number): ReductionWorkspace {
  const compiled = n >= MIN_ORDER_FOR_SIMD ? simdModule() : null;
  return compiled ? simdWorkspace(compiled.wasm, compiled.module, n, panelRows) : jsWorkspace(n, panelRows);
}

/**
 * Eigenvectors under construction for inverse iteration: `rows` (count × stride, stride = n rounded up
 * to even, the padding kept zero). Each vector is iterated in its own row, and row `last` is
 * re-orthogonalized against the finished rows first..last−1 by modified Gram–Schmidt, last row first.
 */
export interface OrthogonalizationSpace {
  readonly rows: Float64Array;
  readonly stride: number;
  orthogonalize(first: number, last: number): void;
  /** Done with the space: its memory may serve the next one in this thread (nothing of it is read again). */
  release(): void;
}

export function orthogonalizationSpace(count: number, n: number): OrthogonalizationSpace {
  const stride = n + (n & 1);
  const compiled = n >= MIN_ORDER_FOR_SIMD ? simdModule() : null;
  if (!compiled) {
    const rows = new Float64Array(count * stride);
    return {
      rows,
      stride,
      orthogonalize(first, last) {
        const x = last * stride;
        for (let j = last - 1; j >= first; j--) {
          const other = j * stride;
          let dot = 0;
          for (let i = 0; i < n; i++) dot += rows[other + i] * rows[x + i];
          for (let i = 0; i < n; i++) rows[x + i] -= dot * rows[other + i];
        }
      },
      release() {},
    };
  }
  const size = count * stride;
  const memory = takeKernelMemory(compiled, size * 8);
  const mgs = memory.exports.mgs as (x: number, rows: number, first: number, last: number, strideBytes: number) => void;
  const rows = memory.heap.subarray(0, size);
  // A reused memory holds the last user's numbers: the padding the kernel reads must be zero.
  if (stride > n) for (let at = n; at < size; at += stride) rows[at] = 0;
  return {
    rows,
    stride,
    orthogonalize: (first, last) => mgs(last * stride * 8, 0, first, last, stride * 8),
    release: () => giveKernelMemory(memory),
  };
}

type TriangularTimes = (t: number, x: number, width: number, count: number) => void;

/**
 * x ← T·x for T (width×width, upper triangular, row-major) and x (width×count, row-major), in place,
 * from the top row down: row i ← t_ii·row i, then + t_il·row l for each l > i in order (a zero t_il
 * adds nothing). The SIMD kernel does the whole product in one call with the same operations in the
 * same order per entry, so both paths give the same numbers.
 */
export function upperTriangularTimesInPlace(t: Float64Array, width: number, x: Float64Array, count: number): void {
  const size = width * count;
  const compiled = count >= MIN_ORDER_FOR_SIMD ? simdModule() : null;
  if (compiled) {
    const memory = takeKernelMemory(compiled, (size + width * width) * 8);
    const { heap } = memory;
    heap.set(x.subarray(0, size));
    heap.set(t.subarray(0, width * width), size);
    (memory.exports.triangularTimes as TriangularTimes)(size * 8, 0, width, count);
    x.set(heap.subarray(0, size));
    giveKernelMemory(memory);
    return;
  }
  for (let i = 0; i < width; i++) {
    const out = i * count;
    const tii = t[i * width + i];
    for (let c = 0; c < count; c++) x[out + c] *= tii;
    for (let l = i + 1; l < width; l++) {
      const til = t[i * width + l];
      if (til === 0) continue;
      const src = l * count;
      for (let c = 0; c < count; c++) x[out + c] += til * x[src + c];
    }
  }
}

/** Whether the SIMD kernel runs here (Node ≥ 16.4 has WebAssembly SIMD). */
export function simdSymvAvailable(): boolean {
  return simdModule() !== null;
}

function jsWorkspace(n: number, panelRows: number): ReductionWorkspace {
  const matrix = new Float64Array(n * n);
  const panelV = new Float64Array(panelRows * n);
  const panelW = new Float64Array(panelRows * n);
  const column = new Float64Array(n);
  const y = new Float64Array(n);
  let lastV: Float64Array = new Float64Array(0);
  return {
    matrix,
    panelV,
    panelW,
    column,
    y,
    symv(base, m, v, out) {
      lastV = v;
      lowerSymv(matrix, n, base, m, v, out);
    },
    release() {},
    subtractPending: (target, shift, from, to, count, cv, cw) => subtractPendingJs(target === 'y' ? y : column, shift, from, to, panelV, panelW, n, count, cv, cw),
    pendingDots: (base, m, count, cw, cv) => pendingDotsJs(lastV, base, m, panelV, panelW, n, count, cw, cv),
  };
}

type SymvKernel = (a: number, strideBytes: number, v: number, out: number, m: number) => void;
type Axpy4Table = (dst: number, bytes: number, table: number, pairs: number) => void;
type Dot4Table = (x: number, bytes: number, table: number, pairs: number, out: number) => void;

/** Bytes of one entry of axpy4Table's table (four f64 coefficients, four i32 pointers) and of dot4Table's (four i32 pointers). */
const AXPY_ENTRY_BYTES = 48;
const DOT_ENTRY_BYTES = 16;

function simdWorkspace(wasm: WasmApi, module: WasmModule, n: number, panelRows: number): ReductionWorkspace {
  // Layout in doubles: matrix, v, out, the kernels' tables and dot sums (one entry per pair of
  // reflectors), panel V, panel W, column, y.
  const pairsMax = (panelRows + 1) >> 1;
  const vAt = n * n;
  const outAt = vAt + n;
  const axpyTableAt = outAt + n;
  const dotTableAt = axpyTableAt + (pairsMax * AXPY_ENTRY_BYTES) / 8;
  const dotSumsAt = dotTableAt + (pairsMax * DOT_ENTRY_BYTES) / 8;
  const panelVAt = dotSumsAt + 4 * pairsMax;
  const panelWAt = panelVAt + panelRows * n;
  const columnAt = panelWAt + panelRows * n;
  const yAt = columnAt + n;
  // Every area is written before it is read (the matrix is the caller's copy, the panels are cleared
  // per panel, the tables filled per call), so a reused memory needs no clearing.
  const memory = takeKernelMemory({ wasm, module }, (yAt + n) * 8);
  const { exports, heap } = memory;
  const symvKernel = exports.symv as SymvKernel;
  const axpy4Table = exports.axpy4Table as Axpy4Table;
  const dot4Table = exports.dot4Table as Dot4Table;
  const pointers = new Int32Array(heap.buffer);
  const matrix = heap.subarray(0, n * n);
  const vArea = heap.subarray(vAt, vAt + n);
  const outArea = heap.subarray(outAt, outAt + n);
  const panelV = heap.subarray(panelVAt, panelVAt + panelRows * n);
  const panelW = heap.subarray(panelWAt, panelWAt + panelRows * n);
  const column = heap.subarray(columnAt, columnAt + n);
  const y = heap.subarray(yAt, yAt + n);
  const stride = n * 8;
  return {
    matrix,
    panelV,
    panelW,
    column,
    y,
    release: () => giveKernelMemory(memory),
    symv(base, m, v, out) {
      vArea.set(v.subarray(0, m));
      outArea.fill(0, 0, m);
      symvKernel((base * n + base) * 8, stride, vAt * 8, outAt * 8, m);
      if (out !== outArea) out.set(outArea.subarray(0, m));
    },
    subtractPending(target, shift, from, to, count, cv, cw) {
      const dst = target === 'y' ? y : column;
      const dstAt = target === 'y' ? yAt : columnAt;
      const length = Math.max(0, to - from);
      const even = length & ~1;
      // One kernel call for all the pairs of reflectors (a call per pair cost more than its work):
      // the pairs' pointers and coefficients go into the kernel's table, in the order they apply.
      // An odd last entry (not a whole v128) is done here, pair by pair in the same order.
      let pairs = 0;
      for (let l = 0; l < count; l += 2, pairs++) {
        // An odd last reflector is paired with itself at coefficient 0 (adds exact zeros).
        const second = l + 1 < count ? l + 1 : l;
        const c0 = cv[l];
        const c1 = cw[l];
        const c2 = l + 1 < count ? cv[l + 1] : 0;
        const c3 = l + 1 < count ? cw[l + 1] : 0;
        const v0 = panelVAt + l * n + from;
        const w0 = panelWAt + l * n + from;
        const v1 = panelVAt + second * n + from;
        const w1 = panelWAt + second * n + from;
        const entry = axpyTableAt + pairs * (AXPY_ENTRY_BYTES / 8);
        heap[entry] = c0;
        heap[entry + 1] = c1;
        heap[entry + 2] = c2;
        heap[entry + 3] = c3;
        const at = entry * 2 + 8;
        pointers[at] = v0 * 8;
        pointers[at + 1] = w0 * 8;
        pointers[at + 2] = v1 * 8;
        pointers[at + 3] = w1 * 8;
        if (even < length) {
          const i = even;
          dst[from - shift + i] -= heap[v0 + i] * c0 + heap[w0 + i] * c1 + (heap[v1 + i] * c2 + heap[w1 + i] * c3);
        }
      }
      if (even > 0) axpy4Table((dstAt + from - shift) * 8, even * 8, axpyTableAt * 8, pairs);
    },
    pendingDots(base, m, count, cw, cv) {
      const even = m & ~1;
      let pairs = 0;
      for (let l = 0; l < count; l += 2, pairs++) {
        const second = l + 1 < count ? l + 1 : l;
        const at = (dotTableAt + pairs * (DOT_ENTRY_BYTES / 8)) * 2;
        pointers[at] = (panelWAt + l * n + base) * 8;
        pointers[at + 1] = (panelVAt + l * n + base) * 8;
        pointers[at + 2] = (panelWAt + second * n + base) * 8;
        pointers[at + 3] = (panelVAt + second * n + base) * 8;
      }
      // Every pair's four sums in one call (each the sum of its two lanes), then the odd last entry.
      dot4Table(vAt * 8, even * 8, dotTableAt * 8, pairs, dotSumsAt * 8);
      for (let l = 0, pair = 0; l < count; l += 2, pair++) {
        const second = l + 1 < count ? l + 1 : l;
        const sums = dotSumsAt + 4 * pair;
        let s0 = heap[sums];
        let s1 = heap[sums + 1];
        let s2 = heap[sums + 2];
        let s3 = heap[sums + 3];
        if (even < m) {
          const x = vArea[even];
          s0 += heap[panelWAt + l * n + base + even] * x;
          s1 += heap[panelVAt + l * n + base + even] * x;
          s2 += heap[panelWAt + second * n + base + even] * x;
          s3 += heap[panelVAt + second * n + base + even] * x;
        }
        cw[l] = s0;
        cv[l] = s1;
        if (l + 1 < count) {
          cw[l + 1] = s2;
          cv[l + 1] = s3;
        }
      }
    },
  };
}

/**
 * dst[r − shift] −= Σ_{l<count} (vs[l][r]·cv[l] + ws[l][r]·cw[l]) for r in [from, to), rows of vs/ws
 * of length n. Two reflectors per pass, so each dst element is loaded and stored half as often.
 */
function subtractPendingJs(
  dst: Float64Array,
  shift: number,
  from: number,
  to: number,
  vs: Float64Array,
  ws: Float64Array,
  n: number,
  count: number,
  cv: Float64Array,
  cw: Float64Array,
): void {
  let l = 0;
  for (; l + 1 < count; l += 2) {
    const row0 = l * n;
    const row1 = row0 + n;
    const v0 = cv[l];
    const w0 = cw[l];
    const v1 = cv[l + 1];
    const w1 = cw[l + 1];
    for (let r = from; r < to; r++) dst[r - shift] -= vs[row0 + r] * v0 + ws[row0 + r] * w0 + (vs[row1 + r] * v1 + ws[row1 + r] * w1);
  }
  if (l < count) {
    const row = l * n;
    const v0 = cv[l];
    const w0 = cw[l];
    for (let r = from; r < to; r++) dst[r - shift] -= vs[row + r] * v0 + ws[row + r] * w0;
  }
}

/** cw[l] = ws[l][base..]·v and cv[l] = vs[l][base..]·v (v of length m), two reflectors per pass. */
function pendingDotsJs(v: Float64Array, base: number, m: number, vs: Float64Array, ws: Float64Array, n: number, count: number, cw: Float64Array, cv: Float64Array): void {
  let l = 0;
  for (; l + 1 < count; l += 2) {
    const row0 = l * n + base;
    const row1 = row0 + n;
    let w0 = 0;
    let v0 = 0;
    let w1 = 0;
    let v1 = 0;
    for (let r = 0; r < m; r++) {
      const x = v[r];
      w0 += ws[row0 + r] * x;
      v0 += vs[row0 + r] * x;
      w1 += ws[row1 + r] * x;
      v1 += vs[row1 + r] * x;
    }
    cw[l] = w0;
    cv[l] = v0;
    cw[l + 1] = w1;
    cv[l + 1] = v1;
  }
  if (l < count) {
    const row = l * n + base;
    let w0 = 0;
    let v0 = 0;
    for (let r = 0; r < m; r++) {
      w0 += ws[row + r] * v[r];
      v0 += vs[row + r] * v[r];
    }
    cw[l] = w0;
    cv[l] = v0;
  }
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

/** A memory of the kernel module with its own instance (an instance is bound to one memory). */
interface KernelMemory {
  readonly heap: Float64Array;
  readonly exports: Record<string, unknown>;
}

/**
 * Kernel memories given back in this thread, for the next reduction, inverse iteration or
 * triangular product. A new WebAssembly memory and instance cost more than a small call's work, and
 * the memory is a fresh mapping whose every 4 KiB page faults when first written (~5 µs each on the
 * 2-core VM, scratch.ts): with a memory per call, the eigensolver threads' order-1000 problems
 * faulted on 16 MB each. At most two wait here, as in the scratch pool.
 */
const freeKernelMemories: KernelMemory[] = [];
const KEPT_KERNEL_MEMORIES = 2;

/** A memory of at least `bytes` (contents unspecified): the smallest free one that fits, or a new one. */
function takeKernelMemory(compiled: { readonly wasm: WasmApi; readonly module: WasmModule }, bytes: number): KernelMemory {
  let best = -1;
  for (let i = 0; i < freeKernelMemories.length; i++) {
    const length = freeKernelMemories[i].heap.byteLength;
    if (length >= bytes && (best < 0 || length < freeKernelMemories[best].heap.byteLength)) best = i;
  }
  if (best >= 0) return freeKernelMemories.splice(best, 1)[0];
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const memory = new compiled.wasm.Memory({ initial: pages, maximum: pages });
  const exports = new compiled.wasm.Instance(compiled.module, { env: { memory } }).exports;
  return { heap: new Float64Array(memory.buffer), exports };
}

function giveKernelMemory(memory: KernelMemory): void {
  if (freeKernelMemories.includes(memory)) return;
  freeKernelMemories.push(memory);
  if (freeKernelMemories.length > KEPT_KERNEL_MEMORIES) {
    let smallest = 0;
    for (let i = 1; i < freeKernelMemories.length; i++) if (freeKernelMemories[i].heap.byteLength < freeKernelMemories[smallest].heap.byteLength) smallest = i;
    freeKernelMemories.splice(smallest, 1);
  }
}

let compiled: { readonly wasm: WasmApi; readonly module: WasmModule } | null | undefined;

/** The compiled module, or null where WebAssembly (with SIMD) is not available. */
function simdModule(): { readonly wasm: WasmApi; readonly module: WasmModule } | null {
  if (compiled === undefined) {
    compiled = null;
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    try {
      const bytes = kernelModule();
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
const f64x2Sub = simd(0xf1);
const f64x2Mul = simd(0xf2);
const f64x2Lane = (lane: number): number[] => [...simd(0x21), lane];
const i32Add = [0x6a];
const f64Add = [0xa0];

/** The kernels' one loop shape: block { loop { leave when `exit` (an i32 condition) holds; body; repeat } }. */
const whileNot = (exit: number[], body: number[]): number[] => [0x02, 0x40, 0x03, 0x40, ...exit, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];

/** whileNot(counter ≥ limit, bytes unsigned) over body then counter += 16 (one v128); the counter starts where the caller left it. */
function loopBy16Bytes(counter: number, limit: number, body: number[]): number[] {
  return whileNot([...get(counter), ...get(limit), 0x4f], [...body, ...get(counter), 0x41, 16, ...i32Add, ...set(counter)]);
}

/** i32.const with a small signed immediate (one to five bytes of signed LEB128). */
function i32Const(value: number): number[] {
  const out: number[] = [0x41];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
const f64Load = (offset: number): number[] => [0x2b, 3, ...uleb(offset)];
const i32Load = (offset: number): number[] => [0x28, 2, ...uleb(offset)];
const f64Store = (offset: number): number[] => [0x39, 3, ...uleb(offset)];
const v128Load = (offset: number): number[] => [...simd(0x00), 3, ...uleb(offset)];
const v128Store = (offset: number): number[] => [...simd(0x0b), 3, ...uleb(offset)];
const f64Mul = [0xa2];
const i32Mul = [0x6c];
const i32Shl = [0x74];
/** f64.const 0 and v128.const 0. */
const f64Zero = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
const v128Zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const tee = (local: number): number[] => [0x22, ...uleb(local)];

/**
 * symv(a, strideBytes, v, out, m): out[0..m) += B·v for B the order-m block whose row i starts at
 * byte a + i·strideBytes, lower triangle read (out is zeroed by the caller). Every sum is formed in
 * the order of the four-row JS loop in `lowerSymv` but with columns in pairs: lane 0 of a row's dot
 * accumulates the even columns, lane 1 the odd ones, added at the end of the row block.
 */
function symvBody(): number[] {
  const [a, stride, v, out, m] = [0, 1, 2, 3, 4];
  // i32 locals: r (a multiple of 4 while in blocks), its byte offset, four row pointers, j (bytes), c, row.
  const [r, rBytes, j, c, row] = [5, 6, 7, 8, 9];
  const rowPointer = (i: number) => 10 + i;
  // f64 locals: v_{r+i}, the rows' dots, one entry, one running dot.
  const coefficient = (i: number) => 14 + i;
  const rowDot = (i: number) => 18 + i;
  const [value, dot] = [22, 23];
  // v128 locals: dots, splatted coefficients, v[c..c+1], rows.
  const dots = (i: number) => 24 + i;
  const splat = (i: number) => 28 + i;
  const vc = 32;
  const x = (i: number) => 33 + i;

  // One pair of columns (bytes j + offset) for the four rows.
  const pair = (offset: number): number[] => {
    const code: number[] = [...get(v), ...get(j), ...i32Add, ...v128Load(offset), ...set(vc)];
    for (let i = 0; i < 4; i++) code.push(...get(rowPointer(i)), ...get(j), ...i32Add, ...v128Load(offset), ...set(x(i)));
    for (let i = 0; i < 4; i++) code.push(...get(dots(i)), ...get(x(i)), ...get(vc), ...f64x2Mul, ...f64x2Add, ...set(dots(i)));
    // out[c..c+1] += (x0·s0 + x1·s1) + (x2·s2 + x3·s3)
    code.push(...get(out), ...get(j), ...i32Add, ...get(out), ...get(j), ...i32Add, ...v128Load(offset));
    code.push(...get(x(0)), ...get(splat(0)), ...f64x2Mul, ...get(x(1)), ...get(splat(1)), ...f64x2Mul, ...f64x2Add);
    code.push(...get(x(2)), ...get(splat(2)), ...f64x2Mul, ...get(x(3)), ...get(splat(3)), ...f64x2Mul, ...f64x2Add, ...f64x2Add, ...f64x2Add);
    code.push(...v128Store(offset));
    return code;
  };
  // out[c] += value·coefficient and dot += value·v[c] for value = B[row][c] (c in bytes, at rowStart + c).
  const entry = (rowStart: number[], cBytes: number[], offset: number, coefficientLocal: number): number[] => [
    ...rowStart, ...cBytes, ...i32Add, ...f64Load(offset), ...set(value),
    ...get(dot), ...get(value), ...get(v), ...cBytes, ...i32Add, ...f64Load(offset), ...f64Mul, ...f64Add, ...set(dot),
    ...get(out), ...cBytes, ...i32Add, ...get(out), ...cBytes, ...i32Add, ...f64Load(offset), ...get(value), ...get(coefficientLocal), ...f64Mul, ...f64Add, ...f64Store(offset),
  ];
  // out[diagonal] += dot + B[row][diagonal]·coefficient (diagonal in bytes).
  const closeRow = (rowStart: number[], diagonalBytes: number[], offset: number, coefficientLocal: number): number[] => [
    ...get(out), ...diagonalBytes, ...i32Add,
    ...get(out), ...diagonalBytes, ...i32Add, ...f64Load(offset),
    ...get(dot), ...rowStart, ...diagonalBytes, ...i32Add, ...f64Load(offset), ...get(coefficientLocal), ...f64Mul, ...f64Add,
    ...f64Add, ...f64Store(offset),
  ];

  const block: number[] = [];
  block.push(...get(a), ...get(r), ...get(stride), ...i32Mul, ...i32Add, ...set(rowPointer(0)));
  for (let i = 1; i < 4; i++) block.push(...get(rowPointer(i - 1)), ...get(stride), ...i32Add, ...set(rowPointer(i)));
  block.push(...get(r), ...i32Const(3), ...i32Shl, ...set(rBytes)); // rBytes = r << 3
  for (let i = 0; i < 4; i++) {
    block.push(...get(v), ...get(rBytes), ...i32Add, ...f64Load(8 * i), ...tee(coefficient(i)), ...f64x2Splat, ...set(splat(i)));
    block.push(...v128Zero, ...set(dots(i)));
  }
  // Columns 0..r−1 (r is even): two pairs per step, then the pair left over.
  block.push(...i32Const(0), ...set(j));
  block.push(...whileNot([...get(j), ...i32Const(32), ...i32Add, ...get(rBytes), 0x4a], [...pair(0), ...pair(16), ...get(j), ...i32Const(32), ...i32Add, ...set(j)]));
  block.push(...whileNot([...get(j), ...get(rBytes), 0x4e], [...pair(0), ...get(j), ...i32Const(16), ...i32Add, ...set(j)]));
  for (let i = 0; i < 4; i++) block.push(...get(dots(i)), ...f64x2Lane(0), ...get(dots(i)), ...f64x2Lane(1), ...f64Add, ...set(rowDot(i)));
  // The 4×4 diagonal block, row by row, then each row's dot.
  for (let i = 0; i < 4; i++) {
    block.push(...f64Zero, ...set(dot));
    for (let l = 0; l < i; l++) block.push(...entry(get(rowPointer(i)), get(rBytes), 8 * l, coefficient(i)));
    block.push(...closeRow(get(rowPointer(i)), get(rBytes), 8 * i, coefficient(i)));
  }
  for (let i = 0; i < 4; i++) {
    block.push(...get(out), ...get(rBytes), ...i32Add, ...get(out), ...get(rBytes), ...i32Add, ...f64Load(8 * i), ...get(rowDot(i)), ...f64Add, ...f64Store(8 * i));
  }
  block.push(...get(r), ...i32Const(4), ...i32Add, ...set(r));

  // The rows after the last whole block, one at a time.
  const tail: number[] = [];
  tail.push(...get(a), ...get(r), ...get(stride), ...i32Mul, ...i32Add, ...set(row));
  tail.push(...get(r), ...i32Const(3), ...i32Shl, ...set(rBytes));
  tail.push(...get(v), ...get(rBytes), ...i32Add, ...f64Load(0), ...set(coefficient(0)));
  tail.push(...f64Zero, ...set(dot), ...i32Const(0), ...set(c));
  tail.push(...whileNot([...get(c), ...get(rBytes), 0x4e], [...entry(get(row), get(c), 0, coefficient(0)), ...get(c), ...i32Const(8), ...i32Add, ...set(c)]));
  tail.push(...closeRow(get(row), get(rBytes), 0, coefficient(0)));
  tail.push(...get(r), ...i32Const(1), ...i32Add, ...set(r));

  const body: number[] = [
    ...i32Const(0), ...set(r),
    ...whileNot([...get(r), ...i32Const(3), ...i32Add, ...get(m), 0x4e], block),
    ...whileNot([...get(r), ...get(m), 0x4e], tail),
    0x0b,
  ];
  const locals = vector([
    [9, I32],
    [10, F64],
    [13, V128],
  ]);
  return [...locals, ...body];
}

function kernelModule(): Uint8Array {
  const symvCode = symvBody();
  const axpy4Code = axpy4TableBody();
  const dot4Code = dot4TableBody();
  const mgsCode = mgsBody();
  const triangularCode = triangularTimesBody();
  const axpy4Params = [I32, I32, I32, I32];
  const symvParams = [I32, I32, I32, I32, I32];
  const dot4Params = [I32, I32, I32, I32, I32];
  const mgsParams = [I32, I32, I32, I32, I32];
  const triangularParams = [I32, I32, I32, I32];
  const functionType = (params: number[]): number[] => [0x60, ...vector(params.map((t) => [t])), 0];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([functionType(axpy4Params), functionType(dot4Params), functionType(mgsParams), functionType(triangularParams), functionType(symvParams)])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vector([[4], [0], [1], [2], [3]])),
    ...section(
      7,
      vector([
        [...name('symv'), 0x00, 0],
        [...name('axpy4Table'), 0x00, 1],
        [...name('dot4Table'), 0x00, 2],
        [...name('mgs'), 0x00, 3],
        [...name('triangularTimes'), 0x00, 4],
      ]),
    ),
    ...section(10, vector([symvCode, axpy4Code, dot4Code, mgsCode, triangularCode].map((code) => [...uleb(code.length), ...code]))),
  ]);
}

/**
 * mgs(x, rows, first, last, strideBytes): for j = last−1 down to first, x −= (row_j·x)·row_j, rows of
 * strideBytes bytes (a multiple of 16) from `rows` on: modified Gram–Schmidt against a run of rows.
 */
function mgsBody(): number[] {
  const [x, rows, first, last, stride] = [0, 1, 2, 3, 4];
  const [j, row, i] = [5, 6, 7];
  const [acc, dotv] = [8, 9];
  const body: number[] = [];
  body.push(...get(last), ...set(j));
  body.push(0x02, 0x40, 0x03, 0x40); // block, loop over rows
  body.push(...get(j), ...get(first), 0x4c, 0x0d, 1); // i32.le_s: done when j ≤ first
  body.push(...get(j), 0x41, 1, 0x6b, ...set(j)); // j −= 1
  body.push(...get(rows), ...get(j), ...get(stride), 0x6c, ...i32Add, ...set(row));
  body.push(...v128Zero, ...set(acc), 0x41, 0, ...set(i));
  body.push(...loopBy16Bytes(i, stride, [...get(acc), ...get(row), ...get(i), ...i32Add, ...load128, ...get(x), ...get(i), ...i32Add, ...load128, ...f64x2Mul, ...f64x2Add, ...set(acc)]));
  body.push(...get(acc), ...f64x2Lane(0), ...get(acc), ...f64x2Lane(1), ...f64Add, ...f64x2Splat, ...set(dotv), 0x41, 0, ...set(i));
  body.push(
    ...loopBy16Bytes(i, stride, [...get(x), ...get(i), ...i32Add, ...get(x), ...get(i), ...i32Add, ...load128, ...get(row), ...get(i), ...i32Add, ...load128, ...get(dotv), ...f64x2Mul, ...f64x2Sub, ...store128]),
  );
  body.push(0x0c, 0, 0x0b, 0x0b); // next row; end loop; end block
  body.push(0x0b);
  return [
    ...vector([
      [3, I32],
      [2, V128],
    ]),
    ...body,
  ];
}

/**
 * axpy4Table(dst, bytes, table, pairs): for each of `pairs` entries of the table in order (48 bytes:
 * f64 c0..c3, then i32 pointers p0..p3), dst[i] −= (p0[i]·c0 + p1[i]·c1) + (p2[i]·c2 + p3[i]·c3) over
 * `bytes` bytes (a multiple of 16).
 */
function axpy4TableBody(): number[] {
  const [dst, bytes, table, pairs] = [0, 1, 2, 3];
  const [pair, entry, j] = [4, 5, 6];
  const pointer = (i: number) => 7 + i;
  const splat = (i: number) => 11 + i;
  const perPair: number[] = [];
  for (let i = 0; i < 4; i++) perPair.push(...get(entry), ...f64Load(8 * i), ...f64x2Splat, ...set(splat(i)));
  for (let i = 0; i < 4; i++) perPair.push(...get(entry), ...i32Load(32 + 4 * i), ...set(pointer(i)));
  const term = (i: number) => [...get(pointer(i)), ...get(j), ...i32Add, ...load128, ...get(splat(i)), ...f64x2Mul];
  const step = [...get(dst), ...get(j), ...i32Add, ...get(dst), ...get(j), ...i32Add, ...load128];
  step.push(...term(0), ...term(1), ...f64x2Add, ...term(2), ...term(3), ...f64x2Add, ...f64x2Add, ...f64x2Sub, ...store128);
  perPair.push(...i32Const(0), ...set(j), ...loopBy16Bytes(j, bytes, step));
  perPair.push(...get(pair), ...i32Const(1), ...i32Add, ...set(pair), ...get(entry), ...i32Const(AXPY_ENTRY_BYTES), ...i32Add, ...set(entry));
  return [
    ...vector([
      [7, I32],
      [4, V128],
    ]),
    ...get(table),
    ...set(entry),
    ...whileNot([...get(pair), ...get(pairs), 0x4f], perPair),
    0x0b,
  ];
}

/**
 * triangularTimes(t, x, width, count): x ← T·x in place, T (width×width, row-major, upper triangle read)
 * at byte t, x (width rows of `count` doubles) at byte x: for each row i from the top, row i ← t_ii·row i,
 * then row i += t_il·row l for l = i+1 … width−1 in order, skipping t_il = 0. Entries in pairs, an odd
 * last entry alone with the same operations.
 */
function triangularTimesBody(): number[] {
  const [t, x, width, count] = [0, 1, 2, 3];
  const [i, l, out, src, c, evenBytes, rowBytes, tRow] = [4, 5, 6, 7, 8, 9, 10, 11];
  const [diagonal, coefficient] = [12, 13];
  const splat = 14;
  const i32And = [0x71];
  const i32LtU = [0x49];
  const f64Ne = [0x62];
  const ifThen = (condition: number[], then: number[]): number[] => [...condition, 0x04, 0x40, ...then, 0x0b];
  const at = (base: number, offset: number[]): number[] => [...get(base), ...offset, ...i32Add];
  const scaleRow = [...at(out, get(c)), ...at(out, get(c)), ...load128, ...get(splat), ...f64x2Mul, ...store128];
  const addRow = [...at(out, get(c)), ...at(out, get(c)), ...load128, ...at(src, get(c)), ...load128, ...get(splat), ...f64x2Mul, ...f64x2Add, ...store128];
  const hasOddEntry = [...get(evenBytes), ...get(rowBytes), ...i32LtU];
  const perLater = [
    ...get(tRow), ...get(l), ...i32Const(3), ...i32Shl, ...i32Add, ...f64Load(0), ...set(coefficient),
    ...ifThen([...get(coefficient), ...f64Zero, ...f64Ne], [
      ...get(x), ...get(l), ...get(rowBytes), ...i32Mul, ...i32Add, ...set(src),
      ...get(coefficient), ...f64x2Splat, ...set(splat),
      ...i32Const(0), ...set(c), ...loopBy16Bytes(c, evenBytes, addRow),
      ...ifThen(hasOddEntry, [
        ...at(out, get(evenBytes)), ...at(out, get(evenBytes)), ...f64Load(0),
        ...get(coefficient), ...at(src, get(evenBytes)), ...f64Load(0), ...f64Mul, ...f64Add, ...f64Store(0),
      ]),
    ]),
    ...get(l), ...i32Const(1), ...i32Add, ...set(l),
  ];
  const perRow = [
    ...get(t), ...get(i), ...get(width), ...i32Mul, ...i32Const(3), ...i32Shl, ...i32Add, ...set(tRow),
    ...get(x), ...get(i), ...get(rowBytes), ...i32Mul, ...i32Add, ...set(out),
    ...get(tRow), ...get(i), ...i32Const(3), ...i32Shl, ...i32Add, ...f64Load(0), ...set(diagonal),
    ...get(diagonal), ...f64x2Splat, ...set(splat),
    ...i32Const(0), ...set(c), ...loopBy16Bytes(c, evenBytes, scaleRow),
    ...ifThen(hasOddEntry, [...at(out, get(evenBytes)), ...at(out, get(evenBytes)), ...f64Load(0), ...get(diagonal), ...f64Mul, ...f64Store(0)]),
    ...get(i), ...i32Const(1), ...i32Add, ...set(l),
    ...whileNot([...get(l), ...get(width), 0x4e], perLater),
    ...get(i), ...i32Const(1), ...i32Add, ...set(i),
  ];
  return [
    ...vector([
      [8, I32],
      [2, F64],
      [1, V128],
    ]),
    ...get(count), ...i32Const(3), ...i32Shl, ...set(rowBytes),
    ...get(count), ...i32Const(-2), ...i32And, ...i32Const(3), ...i32Shl, ...set(evenBytes),
    ...i32Const(0), ...set(i),
    ...whileNot([...get(i), ...get(width), 0x4e], perRow),
    0x0b,
  ];
}

/**
 * dot4Table(x, bytes, table, pairs, out): for each of `pairs` entries of the table (16 bytes: i32
 * pointers p0..p3), out[4·entry + i] = p_i·x over `bytes` bytes (a multiple of 16): each dot sums the
 * even entries in lane 0 and the odd ones in lane 1, in order, then adds the lanes.
 */
function dot4TableBody(): number[] {
  const [x, bytes, table, pairs, out] = [0, 1, 2, 3, 4];
  const [pair, entry, sums, j] = [5, 6, 7, 8];
  const pointer = (i: number) => 9 + i;
  const dot = (i: number) => 13 + i;
  const xv = 17;
  const perPair: number[] = [];
  for (let i = 0; i < 4; i++) perPair.push(...get(entry), ...i32Load(4 * i), ...set(pointer(i)), ...v128Zero, ...set(dot(i)));
  const step = [...get(x), ...get(j), ...i32Add, ...load128, ...set(xv)];
  for (let i = 0; i < 4; i++) step.push(...get(dot(i)), ...get(pointer(i)), ...get(j), ...i32Add, ...load128, ...get(xv), ...f64x2Mul, ...f64x2Add, ...set(dot(i)));
  perPair.push(...i32Const(0), ...set(j), ...loopBy16Bytes(j, bytes, step));
  for (let i = 0; i < 4; i++) perPair.push(...get(sums), ...get(dot(i)), ...f64x2Lane(0), ...get(dot(i)), ...f64x2Lane(1), ...f64Add, ...f64Store(8 * i));
  perPair.push(...get(pair), ...i32Const(1), ...i32Add, ...set(pair));
  perPair.push(...get(entry), ...i32Const(DOT_ENTRY_BYTES), ...i32Add, ...set(entry), ...get(sums), ...i32Const(32), ...i32Add, ...set(sums));
  return [
    ...vector([
      [8, I32],
      [5, V128],
    ]),
    ...get(table),
    ...set(entry),
    ...get(out),
    ...set(sums),
    ...whileNot([...get(pair), ...get(pairs), 0x4f], perPair),
    0x0b,
  ];
}
