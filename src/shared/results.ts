/**
 * The analysis result document: written by `seis analyze --json`, read by the extension host,
 * the webview and the standalone HTML report. Pure types + constants; safe for every bundle.
 * Bump RESULTS_SCHEMA_VERSION on any incompatible change and document it in docs/results-schema.md.
 */

export const RESULTS_SCHEMA_VERSION = 1 as const;

export type TransformKind = 'rotation' | 'shift' | 'flip' | 'scale' | 'affine' | 'identity';

export interface TransformInfo {
  /** Stable id used as the key of every score map, e.g. `rot90`, `shift-x4`, `flip-h`, `rot30`, `scale1.25`, `affine-s7`. */
  readonly id: string;
  readonly label: string;
  readonly kind: TransformKind;
  /** Exact on the pixel grid (90° rotations, integer circular shifts, flips) or interpolated. */
  readonly exact: boolean;
  readonly params: Readonly<Record<string, number>>;
  /** One-parameter transforms belong to a family a sweep runs along (src/analysis/sweeps.ts). */
  readonly family?: TransformFamily;
  /** The family's parameter: degrees (rot), pixels (shift-x, shift-y) or the factor (scale). */
  readonly parameter?: number;
}

/** Named as in `--sweep FAMILY:…`. */
export type TransformFamily = 'rot' | 'shift-x' | 'shift-y' | 'scale';

/**
 * One canonical pair drawn as maps (src/seis/patterns.ts, docs/patterns.md): unit weights over the
 * scored (pooled) positions, row-major on a height×width grid (token layers: the patch grid).
 */
export interface PatternPair {
  readonly rho: number;
  /** |cos(w_i, v_i)|. */
  readonly cosine: number;
  readonly height: number;
  readonly width: number;
  /** w_i, sign-fixed so its largest-magnitude entry is positive. */
  readonly clean: readonly number[];
  /** v_i, with the sign that keeps the pair's correlation positive. */
  readonly transformed: readonly number[];
  /** ρ_i ties with a neighbour: one valid choice within its block (docs/method.md "Ties"). */
  readonly tied: boolean;
}

export interface NullCell {
  readonly equivariance: number;
  readonly invariance: number;
  readonly permutations: number;
}

/**
 * How far a score would move with other probe images (docs/method.md, "Intervals"): present only when
 * intervals were asked for (`--intervals N`).
 */
export interface ScoreInterval {
  readonly low: number;
  readonly high: number;
  /** Nominal coverage, e.g. 0.95. */
  readonly level: number;
  /** `jackknife-delete-d-images`: delete-d jackknife over probe images. */
  readonly method: string;
  /** Resamples that gave a score. */
  readonly resamples: number;
  /** Images left out of each resample. */
  readonly deleted?: number;
  readonly standardError?: number;
}

export interface ScoreIntervals {
  readonly equivariance: ScoreInterval;
  readonly invariance: ScoreInterval;
}

export interface ScoreCell {
  readonly equivariance: number;
  readonly invariance: number;
  readonly null: NullCell;
  /** An interval beside each score; absent unless asked for. */
  readonly intervals?: ScoreIntervals;
  readonly rankClean: number;
  readonly rankTransformed: number;
  readonly r: number;
  readonly observations: number;
  readonly variables: number;
  readonly exact: boolean;
  readonly underdetermined: boolean;
  readonly canonicalCorrelations?: readonly number[];
  /** The top canonical patterns, when the run asked for them (`--patterns N`). */
  readonly patterns?: readonly PatternPair[];
  readonly warnings: readonly string[];
}

export type LayerLayout = 'NCHW' | 'NHWC' | 'tokens' | 'none';
export type LayerStatus = 'scored' | 'no-spatial-axis' | 'failed';

export interface LayerResult {
  /** Tensor name (the graph value that was captured). */
  readonly name: string;
  /** Name of the node producing it (may be empty in some exports). */
  readonly node: string;
  readonly op: string;
  readonly shape: readonly number[];
  readonly layout: LayerLayout;
  /** Spatial positions (h·w, or tokens) before any pooling. */
  readonly positions: number;
  /** Positions actually scored after pooling, when pooling was applied. */
  readonly pooledPositions?: number;
  readonly status: LayerStatus;
  /** Why the layer is not scored (status ≠ scored), naming what to do. */
  readonly message?: string;
  /** Keyed by TransformInfo.id. Empty unless status = scored. */
  readonly scores: Readonly<Record<string, ScoreCell>>;
}

export interface ModelInfo {
  readonly path: string;
  readonly fileName: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly opsets: Readonly<Record<string, number>>;
  readonly nodeCount: number;
  readonly producer?: string;
  readonly inputName: string;
  /** As declared, with dynamic dims as their names or null. */
  readonly declaredInputShape: readonly (number | string | null)[];
  /** As fed to the model for probing. */
  readonly probeInputShape: readonly number[];
  readonly inputLayout: 'NCHW' | 'NHWC';
}

export interface AnalysisSettings {
  readonly keep: number;
  readonly nullPermutations: number;
  readonly seed: number;
  readonly orientation: 'spatial' | 'channel';
  readonly probes: { readonly source: 'builtin' | 'images' | 'npy'; readonly path?: string; readonly count: number };
  readonly transforms: readonly string[];
  readonly layerSelection: string;
  readonly batchSize: number;
  /** Maps with more positions than this are average-pooled down to it (reported per layer). */
  readonly maxPositions: number;
  readonly executionProvider: string;
  /** Present when scores carry intervals: the resamples asked for and the nominal level. */
  readonly intervals?: { readonly resamples: number; readonly level: number };
  /** The sweeps asked for (`--sweep`); their members are listed in `transforms`. */
  readonly sweeps?: readonly string[];
  /** Canonical patterns kept per score cell, when more than 0 (`--patterns`). */
  readonly patterns?: number;
}

export interface AnalysisTiming {
  readonly totalMs: number;
  /** Inference and scoring overlap (a pipeline), so they may add up to more than totalMs. */
  readonly inferenceMs: number;
  readonly scoringMs: number;
  readonly otherMs: number;
  readonly peakRssBytes?: number;
  /** Pooling and copying the captured activations out of onnxruntime's outputs. */
  readonly captureMs?: number;
  /** From the start until the first layer's scores were final. */
  readonly firstLayerMs?: number;
}

/**
 * Set on a result that does not cover the whole run: sent while the run goes on (`running`, layers
 * appear as they are scored), or kept after it stopped early (`cancelled`, `failed`). Absent on a
 * finished run. Layers not scored yet are simply absent from `layers`.
 */
export interface IncompleteInfo {
  readonly reason: 'running' | 'cancelled' | 'failed';
  /** Why it stopped (cancelled / failed), for the banner. */
  readonly message?: string;
  /** Layers with a final entry in `layers` so far, out of the layers the run planned. */
  readonly layersDone: number;
  readonly layersPlanned: number;
}

export interface AnalysisResult {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly tool: { readonly name: 'seis-lens'; readonly version: string };
  readonly createdAt: string;
  readonly model: ModelInfo;
  readonly settings: AnalysisSettings;
  readonly transforms: readonly TransformInfo[];
  /** SEIS of the raw input tensor under each transform: the floor any layer is read against. */
  readonly inputFloor: Readonly<Record<string, ScoreCell>>;
  /** In graph order. */
  readonly layers: readonly LayerResult[];
  readonly timing?: AnalysisTiming;
  readonly warnings: readonly string[];
  /** Present only on a partial result (see IncompleteInfo). */
  readonly incomplete?: IncompleteInfo;
}

/** A checkpoint of a series: one model file and its layers, each exactly as `seis analyze` reports it. */
export interface SeriesCheckpoint {
  /** Short name: the file name without `.onnx` (with its folder when names repeat). */
  readonly label: string;
  /** Training step or epoch read from the file name; null when the name carries none. */
  readonly step: number | null;
  readonly model: ModelInfo;
  /** The series' layers this checkpoint has, in graph order; a layer its graph lacks is absent (a gap). */
  readonly layers: readonly LayerResult[];
  /** Layers of the series this checkpoint's graph lacks (see `message`). */
  readonly missingLayers?: readonly string[];
  /** Why this checkpoint has gaps or no layers at all, naming what to do. */
  readonly message?: string;
  /** The checkpoint could not be analysed (`message` says why); its `layers` is empty. */
  readonly failed?: boolean;
  readonly timing?: AnalysisTiming;
  readonly warnings: readonly string[];
}

/**
 * `seis series --json`: the same probes, transforms, layer selection and null permutations applied
 * to every checkpoint of a training run (docs/results-schema.md, "Series").
 */
export interface SeriesResult {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly kind: 'series';
  readonly tool: { readonly name: 'seis-lens'; readonly version: string };
  readonly createdAt: string;
  /** Shared by every checkpoint. */
  readonly settings: AnalysisSettings;
  readonly transforms: readonly TransformInfo[];
  /** The input floor depends only on the probes and transforms, so it is the same for every checkpoint. */
  readonly inputFloor: Readonly<Record<string, ScoreCell>>;
  /** How the checkpoints were ordered: by the step in their names, by name, modification time, or as given. */
  readonly order: 'step' | 'name' | 'mtime' | 'given';
  /** In training order. */
  readonly checkpoints: readonly SeriesCheckpoint[];
  readonly timing?: { readonly totalMs: number };
  readonly warnings: readonly string[];
  /** Present when the series stopped early: the finished checkpoints are kept. */
  readonly incomplete?: { readonly reason: 'running' | 'cancelled' | 'failed'; readonly message?: string; readonly checkpointsDone: number; readonly checkpointsPlanned: number };
}

export function isSeriesResult(value: unknown): value is SeriesResult {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'series' && Array.isArray((value as { checkpoints?: unknown }).checkpoints);
}
