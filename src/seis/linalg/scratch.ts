/**
 * Large float64 work arrays handed back and reused within a thread, for arrays that are dead as
 * soon as a product has read them (a centered copy, a permuted copy for the null).
 *
 * Why: a fresh array of a few MiB is a fresh mapping (the analysis child serves allocations of
 * 1 MiB and more with their own mappings, childEnv.ts), and every 4 KiB page of it faults when first
 * written. On the 2-core VM this was measured on a fault cost ~5 µs, against ~0.2 µs to overwrite a
 * page already mapped: the recognizer's run spent 21 of its 75 s of CPU in the kernel, 6.6 million
 * faults, 0.8 million of them the centered copies on the thread that also feeds onnxruntime.
 *
 * A taken array is not zeroed: callers overwrite every entry. At most `keep` arrays wait here; a
 * larger request than any of them allocates, and the smallest is let go when one too many comes back.
 */
export class ScratchPool {
  private readonly free: Float64Array[] = [];

  constructor(private readonly keep = 2) {}

  take(length: number): Float64Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].length >= length && (best < 0 || this.free[i].length < this.free[best].length)) best = i;
    }
    if (best < 0) return new Float64Array(length);
    const [buffer] = this.free.splice(best, 1);
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }

  /** The caller keeps no reference to `array` (nor to a view of it) after this. */
  give(array: Float64Array): void {
    // Compared by buffer: a view given back twice must not be handed out twice.
    if (this.free.some((f) => f.buffer === array.buffer)) return;
    this.free.push(array.byteOffset === 0 && array.length * 8 === array.buffer.byteLength ? array : new Float64Array(array.buffer));
    if (this.free.length > this.keep) {
      let smallest = 0;
      for (let i = 1; i < this.free.length; i++) if (this.free[i].length < this.free[smallest].length) smallest = i;
      this.free.splice(smallest, 1);
    }
  }
}

/** The pool of the thread this module runs in (each worker thread loads its own copy). */
export const scratch = new ScratchPool();
