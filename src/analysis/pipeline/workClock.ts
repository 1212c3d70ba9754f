/**
 * Progress and the estimated time left, from measured costs: the forward passes by their measured
 * milliseconds per batch, the scoring by a cost model (the Gram and eigen work of a layer grows as
 * n·d·min(n, d) + min(n, d)³ for an n×d observation matrix) calibrated on the layers scored so
 * far: wall time per unit since scoring began, which already counts the overlap with inference and
 * the lanes sharing the cores. (The input floor is too small to calibrate on: its time is overhead.)
 */
import type { AnalysisProgress, AnalysisStage } from '../protocol';
import type { PlannedLayer } from './plan';

/** Size of one decomposition of an n×d matrix, in arbitrary units. */
export function decompositionCost(n: number, d: number): number {
  const small = Math.min(n, d);
  return n * d * small + small ** 3;
}

/** The observation matrix of a stored layer: (probes·channels) × positions in SEIS orientation. */
export function layerCost(p: PlannedLayer, count: number): number {
  const n = count * p.channels;
  const d = p.perProbe / p.channels;
  return decompositionCost(n, d);
}

export interface WorkTotals {
  readonly layers: readonly PlannedLayer[];
  readonly count: number;
  readonly transforms: number;
  /** Forward-pass batches the whole run makes (every group, every pass). */
  readonly batches: number;
}

export class WorkClock {
  private readonly jobsPerLayer: number;
  private readonly jobsDone = new Map<PlannedLayer, number>();
  private totalCost = 0;
  private doneCost = 0;
  private batchesDone = 0;
  private batchMs = 0;
  private msPerCost: number | undefined;
  private firstJobAt: number | undefined;
  private layersFinal = 0;

  /** `parallel`: layer jobs that run at the same speed side by side (lanes, at most one per core). */
  constructor(
    private readonly totals: WorkTotals,
    private readonly parallel: number,
  ) {
    this.jobsPerLayer = 1 + totals.transforms;
    for (const p of totals.layers) this.totalCost += this.jobsPerLayer * layerCost(p, totals.count);
  }

  /** A first per-batch inference time before any pass, e.g. from the shape run. */
  seedBatchMs(ms: number): void {
    if (this.batchesDone === 0 && ms > 0) this.batchMs = ms;
  }

  batchDone(ms: number): void {
    this.batchMs = this.batchesDone === 0 ? ms : this.batchMs + ms;
    this.batchesDone++;
  }

  jobDone(p: PlannedLayer, ms: number): void {
    const now = performance.now();
    this.firstJobAt ??= now - ms;
    this.jobsDone.set(p, (this.jobsDone.get(p) ?? 0) + 1);
    const first = this.doneCost === 0;
    this.doneCost += layerCost(p, this.totals.count);
    // The first job ran beside others sharing the cores; until more are done, its rate is divided
    // among the jobs in flight.
    this.msPerCost = (now - this.firstJobAt) / this.doneCost / (first ? this.parallel : 1);
  }

  /** A layer that will not be scored (failed): its remaining work leaves the total. */
  skipLayer(p: PlannedLayer): void {
    const left = this.jobsPerLayer - (this.jobsDone.get(p) ?? 0);
    this.totalCost -= left * layerCost(p, this.totals.count);
  }

  layerFinal(): void {
    this.layersFinal++;
  }

  private averageBatchMs(): number {
    return this.batchesDone === 0 ? this.batchMs : this.batchMs / this.batchesDone;
  }

  /** Seconds left, once there is something to extrapolate from. */
  etaSeconds(): number | undefined {
    if (this.msPerCost === undefined) return undefined;
    const inference = Math.max(0, this.totals.batches - this.batchesDone) * this.averageBatchMs();
    const scoring = Math.max(0, this.totalCost - this.doneCost) * this.msPerCost;
    return (inference + scoring) / 1000;
  }

  /** Estimated seconds for the whole scoring stage with other settings (for cheaper suggestions). */
  estimateSeconds(change: { count?: number; transforms?: number } = {}): number | undefined {
    if (this.msPerCost === undefined) return undefined;
    const count = change.count ?? this.totals.count;
    const transforms = change.transforms ?? this.totals.transforms;
    let cost = 0;
    for (const p of this.totals.layers) cost += (1 + transforms) * layerCost(p, count);
    const batches = (this.totals.batches * (1 + transforms) * count) / (this.jobsPerLayer * this.totals.count);
    return (cost * this.msPerCost + batches * this.averageBatchMs()) / 1000;
  }

  fraction(): number {
    const doneScoring = this.totalCost > 0 ? this.doneCost / this.totalCost : 1;
    const doneInference = this.totals.batches > 0 ? this.batchesDone / this.totals.batches : 1;
    // Scoring is most of the work on every model measured; inference gets a small share of the bar.
    return 0.05 + 0.9 * (0.85 * doneScoring + 0.15 * doneInference);
  }

  progress(message: string, transform?: string, layerName?: string, stage: AnalysisStage = 'scoring'): AnalysisProgress {
    const eta = this.etaSeconds();
    return {
      stage,
      message,
      fraction: this.fraction(),
      ...(transform ? { transform } : {}),
      ...(layerName ? { layer: { index: this.layersFinal, count: this.totals.layers.length, name: layerName } } : {}),
      ...(eta !== undefined && Number.isFinite(eta) ? { etaSeconds: Math.round(eta) } : {}),
    };
  }
}
