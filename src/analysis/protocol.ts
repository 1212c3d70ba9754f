/**
 * The analysis request and the messages between a caller (CLI, extension host) and the analysis
 * child process. Plain data only: everything crosses process.send() as JSON.
 *
 * parent → child: `start` once, then possibly `cancel`.
 * child → parent: `ready` once, any number of `progress` and `partial`, then exactly one `result` or `error`.
 * A `partial` carries the result so far (`incomplete.reason = 'running'`); a caller that is cancelled
 * or fails keeps the last one and marks it `cancelled` / `failed`.
 *
 * Defaults and accepted ranges of every field: src/shared/defaults.ts.
 */
import type { AnalysisResult } from '../shared/results';
import type { RequestOrigin } from '../shared/defaults';
import type { AnalysisErrorCode } from './errors';

export type NormalizeName = 'imagenet' | 'symmetric' | 'unit' | 'raw255';

export interface AnalysisRequest {
  /** Path of the .onnx file. */
  readonly modelPath: string;
  /** Who asks: error messages name options as this caller knows them (CLI flag or VS Code setting). Default cli. */
  readonly origin?: RequestOrigin;
  /** A ready (N,C,H,W) or (N,H,W,C) .npy tensor, fed as is. Excludes `images`. */
  readonly inputs?: string;
  /** A folder of PNG/JPEG images. Excludes `inputs`. */
  readonly images?: string;
  /** Built-in synthetic probes: how many and the seed (default the SEIS seed). */
  readonly probeCount?: number;
  readonly probeSeed?: number;
  /** Cap on images read from `images`. */
  readonly maxImages?: number;
  /** Probe size for dynamic spatial dims. */
  readonly size?: { readonly height: number; readonly width: number };
  /** Pixel normalisation for built-in and folder probes, or explicit RGB mean/std on [0,1]. */
  readonly normalize?: NormalizeName | { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly bgr?: boolean;
  /** How folder images reach the probe size: cover + centre crop or stretch. */
  readonly fit?: 'crop' | 'stretch';
  /** Transform ids. */
  readonly transforms?: readonly string[];
  /** Sweeps (src/analysis/sweeps.ts), e.g. `rot:15`: their members follow `transforms`; without
   *  `transforms`, a run with sweeps scores only the sweep members (not the default set). */
  readonly sweeps?: readonly string[];
  /** Canonical patterns kept per score cell (src/seis/patterns.ts); default 0. */
  readonly patterns?: number;
  /** An interval beside every score: delete-d jackknife over probe images (src/seis/intervals.ts,
   *  computed in the child by src/analysis/intervalPass.ts); absent or 0 resamples = none. */
  readonly intervals?: { readonly resamples: number; readonly level?: number };
  /** Layer selection: default | all | op:Conv,Add | /regex/ | name,name. */
  readonly layers?: string;
  /** Probe images per forward pass. */
  readonly batchSize?: number;
  /** Maps with more positions are average-pooled down to at most this. */
  readonly maxPositions?: number;
  readonly keep?: number;
  readonly nullPermutations?: number;
  readonly seed?: number;
  readonly orientation?: 'spatial' | 'channel';
  /** Threads for the scoring's eigensolvers (default one per core); layers scored at once follow it. */
  readonly jobs?: number;
  /** onnxruntime execution provider. */
  readonly executionProvider?: string;
  /** Everything the run holds at once, in MiB; activations beyond it wait on disk (`spill`). */
  readonly memoryBudgetMB?: number;
  /**
   * Where pooled activations beyond the memory budget wait for scoring: a temporary folder is made
   * under this one (default: the OS temp folder) and removed when the run ends. false: keep them in
   * memory and run the probes once per group of layers instead.
   */
  readonly spill?: string | false;
  /** Keep every canonical correlation in the result (large); default off. */
  readonly includeCorrelations?: boolean;
  /** Write the scored (pooled) activations as .npy files into this folder: clean + one per transform. */
  readonly dumpActivations?: string;
}

export type AnalysisStage = 'loading' | 'shapes' | 'clean' | 'transform' | 'scoring' | 'floor' | 'finishing';

export interface AnalysisProgress {
  readonly stage: AnalysisStage;
  /** One line for a status bar, e.g. "rot90: scoring layer 12/57 conv2d_5.tmp_0". */
  readonly message: string;
  /** Overall completion in [0, 1]. */
  readonly fraction: number;
  readonly layer?: { readonly index: number; readonly count: number; readonly name: string };
  readonly transform?: string;
  /** Estimated seconds left, from the measured cost of the batches and layers done so far. */
  readonly etaSeconds?: number;
  /**
   * etaSeconds is only the forward passes still to run (before any layer is final the scoring
   * cannot be estimated yet); the run takes at least that long.
   */
  readonly etaIsLowerBound?: boolean;
}

export type ParentMessage = { readonly type: 'start'; readonly request: AnalysisRequest } | { readonly type: 'cancel' };

export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly progress: AnalysisProgress }
  | { readonly type: 'partial'; readonly result: AnalysisResult }
  | { readonly type: 'result'; readonly result: AnalysisResult }
  | { readonly type: 'error'; readonly code: AnalysisErrorCode | 'internal'; readonly message: string };

export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'progress' || type === 'partial' || type === 'result' || type === 'error';
}

export function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; request?: unknown };
  return (m.type === 'start' && typeof m.request === 'object' && m.request !== null) || m.type === 'cancel';
}
