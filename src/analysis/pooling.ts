/**
 * Spatial pooling that bounds d = h·w, and extraction of a batch's activations into NCHW storage.
 *
 * Adaptive average pooling: output cell i covers input rows [⌊i·H/P⌋, ⌈(i+1)·H/P⌉). Those bins are
 * mirror-symmetric, so pooling commutes exactly with flips and 90° rotations of square maps, and
 * the exact transforms stay exact after pooling (circular shifts only when they move whole bins).
 */

export interface PoolPlan {
  readonly height: number;
  readonly width: number;
  readonly pooledHeight: number;
  readonly pooledWidth: number;
}

/** Keeps the aspect ratio and the largest grid with at most maxPositions cells. */
export function poolPlan(height: number, width: number, maxPositions: number): PoolPlan {
  if (height * width <= maxPositions) return { height, width, pooledHeight: height, pooledWidth: width };
  const s = Math.sqrt(maxPositions / (height * width));
  let ph = Math.max(1, Math.floor(height * s));
  let pw = Math.max(1, Math.floor(width * s));
  while ((ph + 1) * pw <= maxPositions && ph + 1 <= height && (ph + 1) / pw <= height / width) ph++;
  while (ph * (pw + 1) <= maxPositions && pw + 1 <= width && ph / (pw + 1) >= height / width) pw++;
  return { height, width, pooledHeight: ph, pooledWidth: pw };
}

function bins(n: number, p: number): Int32Array {
  const b = new Int32Array(2 * p);
  for (let i = 0; i < p; i++) {
    b[2 * i] = Math.floor((i * n) / p);
    b[2 * i + 1] = Math.ceil(((i + 1) * n) / p);
  }
  return b;
}

/**
 * Copies `planes` maps of (h, w) from `src` (NCHW, or NHWC when `channelsLast`) into `dst` at
 * `dstOffset`, pooled per the plan. `planes` = batch·channels.
 */
export function extractPooled(
  src: ArrayLike<number>,
  batch: number,
  channels: number,
  plan: PoolPlan,
  channelsLast: boolean,
  dst: Float32Array,
  dstOffset: number,
): void {
  const { height: h, width: w, pooledHeight: ph, pooledWidth: pw } = plan;
  const identity = ph === h && pw === w;
  const rowBins = bins(h, ph);
  const colBins = bins(w, pw);
  // Strides of one (b, c) plane: NCHW planes are contiguous; NHWC interleaves the channels.
  const rowStride = channelsLast ? w * channels : w;
  const colStride = channelsLast ? channels : 1;
  let o = dstOffset;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const base = channelsLast ? b * h * w * channels + c : (b * channels + c) * h * w;
      if (identity && !channelsLast) {
        // A plain float32 map is copied whole (memcpy); anything else converts entry by entry.
        if (src instanceof Float32Array) dst.set(src.subarray(base, base + h * w), o);
        else for (let i = 0; i < h * w; i++) dst[o + i] = src[base + i];
        o += h * w;
        continue;
      }
      for (let i = 0; i < ph; i++) {
        const y0 = rowBins[2 * i];
        const y1 = rowBins[2 * i + 1];
        for (let j = 0; j < pw; j++) {
          const x0 = colBins[2 * j];
          const x1 = colBins[2 * j + 1];
          let acc = 0;
          for (let y = y0; y < y1; y++) {
            const row = base + y * rowStride;
            for (let x = x0; x < x1; x++) acc += src[row + x * colStride];
          }
          dst[o++] = acc / ((y1 - y0) * (x1 - x0));
        }
      }
    }
  }
}

/** Token layers (b, t, dim): pooled along t only when t exceeds the cap. */
export function extractTokens(src: ArrayLike<number>, batch: number, tokens: number, dim: number, pooledTokens: number, dst: Float32Array, dstOffset: number): void {
  if (pooledTokens === tokens) {
    for (let i = 0; i < batch * tokens * dim; i++) dst[dstOffset + i] = src[i];
    return;
  }
  const tb = bins(tokens, pooledTokens);
  let o = dstOffset;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < pooledTokens; t++) {
      const t0 = tb[2 * t];
      const t1 = tb[2 * t + 1];
      for (let j = 0; j < dim; j++) {
        let acc = 0;
        for (let u = t0; u < t1; u++) acc += src[(b * tokens + u) * dim + j];
        dst[o++] = acc / (t1 - t0);
      }
    }
  }
}
