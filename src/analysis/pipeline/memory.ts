/**
 * What the run holds, in bytes, against `--memory-budget`: the probe array, onnxruntime's outputs
 * for one batch, the pooled float32 activations of a layer group (clean + one copy per transform,
 * all captured before the group is scored), and the float64 work copies of the layers being scored
 * at once (observation matrix, Gram, singular vectors, a permuted copy for the null). Checked
 * before anything of that size is allocated, so a request that cannot fit is refused up front.
 */
import { optionName, type RequestOrigin } from '../../shared/defaults';
import { AnalysisError } from '../errors';
import type { PlannedLayer } from './stageValues';

const MiB = 2 ** 20;
export const mib = (bytes: number): string => `${Math.ceil(bytes / MiB)} MiB`;

/** float64 copies one SEIS decomposition + score of an n×d matrix holds at its peak. */
export function workBytes(n: number, d: number): number {
  const small = Math.min(n, d);
  return 8 * (2 * n * d + 2 * small * small);
}

export function probeBytes(count: number, plane: number): number {
  return count * plane * 4;
}

/**
 * Probes are held in memory up to this share of the budget; a larger set is made again for each
 * batch (the same values), so the probe array follows the budget too.
 */
export const HELD_PROBES_SHARE = 0.25;

export function probesHeld(count: number, plane: number, budgetBytes: number): boolean {
  return probeBytes(count, plane) <= HELD_PROBES_SHARE * budgetBytes;
}

/** The probes' memory while a batch is fed: the held array or one made batch, plus the batch as fed and its layout copy. */
export function feedingBytes(probes: { readonly resident: boolean; readonly count: number }, plane: number, batch: number): number {
  return (probes.resident ? probeBytes(probes.count, plane) : batch * plane * 4) + 2 * batch * plane * 4;
}

/** The input floor's work: the pooled probes, clean and one transformed copy, scored. */
export function floorBytes(count: number, channels: number, pooledPositions: number): number {
  return 2 * 4 * count * channels * pooledPositions + workBytes(count * channels, pooledPositions);
}

/** Pooled float32 activations of one layer for every pass of a group. */
export function storedBytes(p: PlannedLayer, count: number, passes: number): number {
  return p.perProbe * count * 4 * passes;
}

/** onnxruntime's output tensor of one layer for one batch (unpooled, as returned). */
export function batchOutputBytes(p: PlannedLayer, batch: number): number {
  return batch * p.sampleShape.slice(1).reduce((a, b) => a * b, 1) * 4;
}

/**
 * What the shape run's declared outputs may hold together: the budget less the probes and the fed
 * batch, as a capture pass counts them.
 */
export function shapeRunBytes(budgetBytes: number, probes: { readonly resident: boolean; readonly count: number }, plane: number, batch: number): number {
  return budgetBytes - feedingBytes(probes, plane, batch);
}

/**
 * How many of the remaining tensors the next shape-run pass declares, so that their outputs stay
 * within `available`. A tensor's size is known only once it has run, so each pass is sized by the
 * largest tensor of every pass so far, never less than one fed batch (a model's tensors are rarely
 * smaller; a pass of a few scalars must not let the next declare everything: ISNet at 1024², a
 * 256-byte first tensor, then all 1321 others in one pass, 9.5 GB), and takes at most twice as many
 * tensors as the pass before, so an unseen stretch of larger tensors costs at most that. The first
 * pass (previousTake 0) assumes 4 fed batches a tensor. Always at least one tensor: onnxruntime
 * holds each of them during any forward pass anyway.
 */
export function shapePassTake(available: number, largestSeen: number, fedBatchBytes: number, previousTake: number, remaining: number): number {
  const perTensor = previousTake === 0 ? 4 * fedBatchBytes : Math.max(largestSeen, fedBatchBytes);
  const cap = previousTake === 0 ? remaining : 2 * previousTake;
  return Math.max(1, Math.min(remaining, cap, Math.floor(available / perTensor)));
}

/** Bytes onnxruntime holds for one output tensor of these dims and element type. */
export function tensorBytes(dims: readonly number[], type: string): number {
  const element = type === 'float64' ? 8 : type === 'float16' ? 2 : 4;
  return dims.reduce((a, b) => a * b, 1) * element;
}

/**
 * A spilled run holds, per batch, every layer's onnxruntime output and its pooled rows on their way
 * to disk; each scoring lane then holds one layer's clean and one transformed pass read back.
 */
export function spillBatchBytes(p: PlannedLayer, batch: number): number {
  return batchOutputBytes(p, batch) + p.perProbe * batch * 4;
}

export function spillLaneBytes(p: PlannedLayer, count: number): number {
  return 2 * p.perProbe * count * 4;
}

/** Free disk space a spill leaves untouched: other programs keep working. */
export const SPILL_DISK_RESERVE = 512 * MiB;

export function layerWorkBytes(p: PlannedLayer, count: number): number {
  return workBytes(count * p.channels, p.perProbe / p.channels);
}

export interface ProbeFit {
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Positions of the input floor after pooling. */
  readonly floorPositions: number;
  /** Whether the user can choose the probe size (dynamic sides). */
  readonly sizeAdjustable: boolean;
  /** The option that sets the count, when the user sets it (not for a .npy file). */
  readonly countOption?: 'probeCount' | 'maxImages';
}

/** Refuses, before the probes are built, a probe set that cannot fit with its input floor. */
export function checkProbesFit(fit: ProbeFit, budgetBytes: number, origin: RequestOrigin): void {
  const plane = fit.channels * fit.height * fit.width;
  // A set too large to hold is made per batch: a probe's plane stands for it here, the batch is the plan's.
  const need = (count: number) => (probesHeld(count, plane, budgetBytes) ? probeBytes(count, plane) : plane * 4) + floorBytes(count, fit.channels, fit.floorPositions);
  if (need(fit.count) <= budgetBytes) return;
  let lo = 0;
  let hi = fit.count;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (need(mid) <= budgetBytes) lo = mid;
    else hi = mid - 1;
  }
  const budget = `${optionName('memoryBudgetMB', origin)} ${Math.round(budgetBytes / MiB)} MiB`;
  const what = `${fit.count} probes of ${fit.channels}×${fit.height}×${fit.width}`;
  const smaller = fit.sizeAdjustable ? `, a smaller ${optionName('size', origin)}` : '';
  if (lo < 2) {
    throw new AnalysisError('bad-option', `${what} need ${mib(need(fit.count))}, more than ${budget}; not even 2 probes of that size fit: use ${smaller ? `${smaller.slice(2)} or ` : ''}a larger budget`);
  }
  const fewer = fit.countOption ? `${optionName(fit.countOption, origin)} ${lo}` : `an array of at most ${lo} probes`;
  throw new AnalysisError('bad-option', `${what} need ${mib(need(fit.count))}, more than ${budget}; at most ${lo} probes fit: use ${fewer}${smaller} or a larger budget`);
}
