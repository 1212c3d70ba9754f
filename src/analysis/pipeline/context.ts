/**
 * What the analysis stages share: the resolved request, the model, the backend, the warnings and
 * the clocks, in one context object handed from stage to stage (see ../engine.ts for the order).
 * Stages take the context plus the values earlier stages produced, never loose positional lists.
 */
import type { MatMulBackend, SeisOptions } from '../../seis';
import type { RequestOrigin } from '../../shared/defaults';
import type { AnalysisResult, TransformInfo } from '../../shared/results';
import { AnalysisError } from '../errors';
import type { ImageInput } from '../imageInput';
import type { LayerSelection } from '../layers';
import type { ModelView } from '../onnxModel';
import type { PixelOptions } from '../probes';
import type { AnalysisProgress, AnalysisRequest } from '../protocol';

export interface EngineHooks {
  readonly onProgress?: (progress: AnalysisProgress) => void;
  /** Checked between batches and layers. */
  readonly isCancelled?: () => boolean;
  /** Matrix products for the SEIS core; the onnxruntime backend by default. */
  readonly backend?: MatMulBackend;
  /**
   * The result so far (`incomplete.reason = 'running'`), whenever more layers are final: at once
   * after the first, then at most every PARTIAL_INTERVAL_MS. Every layer in it is final.
   */
  readonly onPartialResult?: (result: AnalysisResult) => void;
}

/** Where the probes come from, with the options that source needs, all validated. */
export type ProbeSource =
  | { readonly kind: 'npy'; readonly path: string }
  | { readonly kind: 'images'; readonly folder: string; readonly maxImages: number; readonly pixels: PixelOptions; readonly fit: 'crop' | 'stretch' }
  | { readonly kind: 'builtin'; readonly count: number; readonly seed: number; readonly pixels: PixelOptions };

/** The request with every default filled in and every value checked; no file touched yet. */
export interface ResolvedRequest {
  readonly request: AnalysisRequest;
  readonly origin: RequestOrigin;
  readonly seis: SeisOptions;
  readonly probeSource: ProbeSource;
  readonly batchSize: number;
  readonly maxPositions: number;
  readonly budgetBytes: number;
  readonly executionProvider: string;
  readonly transforms: readonly TransformInfo[];
  /** The sweeps asked for; their members are in `transforms`. */
  readonly sweeps: readonly string[];
  /** Canonical patterns kept per score cell; 0 = none. */
  readonly patterns: number;
  readonly selection: LayerSelection;
  /** Eigensolver threads asked for; undefined = the backend's default (one per core). */
  readonly jobs: number | undefined;
  /** Layers scored at once. */
  readonly concurrency: number;
  readonly includeCorrelations: boolean;
  readonly dumpDir: string | undefined;
  /** Folder under which activations beyond the budget are spilled; null: groups of layers instead. */
  readonly spillParent: string | null;
}

export interface StageTimes {
  inference: number;
  capture: number;
  /** Wall time during which at least one scoring job ran (jobs overlap; this is not their sum). */
  scoring: number;
  /** Since the start, when the first layer was final. */
  firstLayer?: number;
}

/** Counts wall time while any of several overlapping jobs runs; `start` returns the job's `end`. */
export class BusyClock {
  private active = 0;
  private since = 0;

  constructor(private readonly add: (ms: number) => void) {}

  start(): () => void {
    if (this.active++ === 0) this.since = performance.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.active === 0) this.add(performance.now() - this.since);
    };
  }
}

export interface AnalysisContext {
  readonly startedAt: number;
  readonly options: ResolvedRequest;
  readonly model: ModelView;
  readonly input: ImageInput;
  readonly backend: MatMulBackend;
  /** Run-level warnings, in the order they arose; stages append. */
  readonly warnings: string[];
  readonly times: StageTimes;
  readonly scoringClock: BusyClock;
  progress(progress: AnalysisProgress): void;
  /** Throws the 'cancelled' AnalysisError once the caller has asked to stop. */
  checkCancel(): void;
}

export function createContext(fields: Omit<AnalysisContext, 'progress' | 'checkCancel' | 'times' | 'scoringClock'>, hooks: EngineHooks): AnalysisContext {
  const times: StageTimes = { inference: 0, capture: 0, scoring: 0 };
  return {
    ...fields,
    times,
    scoringClock: new BusyClock((ms) => (times.scoring += ms)),
    progress: (p) => hooks.onProgress?.(p),
    checkCancel: () => {
      if (hooks.isCancelled?.()) throw new AnalysisError('cancelled', 'analysis cancelled');
    },
  };
}
