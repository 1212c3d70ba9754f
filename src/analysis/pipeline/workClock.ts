/**
 * Progress and the estimated time left, from measured costs: the forward passes by their measured
 * milliseconds per batch, the scoring by a cost model (the Gram and eigen work of a layer grows as
 * n·d·min(n, d) + min(n, d)³ for an n×d observation matrix) calibrated on the layers scored so
 * far: wall time per unit since scoring began, which already counts the overlap with inference and
 * the lanes sharing the cores. (The input floor is too small to calibrate on: its time is overhead.)
 */
import type { AnalysisProgress, AnalysisStage } from '../protocol';
import type { PlannedLayer } from './stageValues';

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

/** Job costs must span this ratio before a fixed part and a slope are fitted separately. */
const SLOPE_SPREAD = 4;

/** Cheaper settings a long run suggests: fewer probes, fewer transforms. */
export interface SettingsChange {
  readonly count?: number;
  readonly transforms?: number;
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
  private readonly skipped = new Set<PlannedLayer>();
  private totalCost = 0;
  private doneCost = 0;
  private batchesDone = 0;
  private batchMs = 0;
  /** The fastest batch after the run's first (which carries onnxruntime's warm-up). */
  private fastestBatchMs = Infinity;
  private firstJobAt: number | undefined;
  private layersFinal = 0;
  private passesRunning = 0;
  private lastPassEnd = 0;
  private fitUndisturbed = false;
  private minCost = Infinity;
  private maxCost = 0;
  // Least-squares sums for job ms = a + b·cost (cost in units of 1e9: fixed per-job overhead
  // dominates small layers, so a rate per unit alone would extrapolate them 100× too high).
  private jobs = 0;
  private sumCost = 0;
  private sumMs = 0;
  private sumCost2 = 0;
  private sumCostMs = 0;

  constructor(private readonly totals: WorkTotals) {
    this.jobsPerLayer = 1 + totals.transforms;
    for (const p of totals.layers) this.totalCost += this.jobsPerLayer * layerCost(p, totals.count);
  }

  /** A first per-batch inference time before any pass, e.g. from the shape run. */
  seedBatchMs(ms: number): void {
    if (this.batchesDone === 0 && ms > 0) this.batchMs = ms;
  }

  batchDone(ms: number): void {
    if (this.batchesDone > 0) this.fastestBatchMs = Math.min(this.fastestBatchMs, ms);
    this.batchMs = this.batchesDone === 0 ? ms : this.batchMs + ms;
    this.batchesDone++;
  }

  /** A forward pass started / ended: jobs that overlap one are timed with its batches in them. */
  passStarted(): void {
    this.passesRunning++;
  }

  passEnded(): void {
    this.passesRunning--;
    this.lastPassEnd = performance.now();
  }

  /**
   * Whether the job model can be trusted for a whole-run estimate: it rests on jobs that ran with no
   * forward pass beside them, and their costs differ enough to fix a slope (or a few layers are final).
   */
  settled(): boolean {
    return this.fitUndisturbed && (this.maxCost >= SLOPE_SPREAD * this.minCost || this.layersFinal >= 3);
  }

  private jobsLeft(p: PlannedLayer): number {
    return this.jobsPerLayer - (this.jobsDone.get(p) ?? 0);
  }

  /** Whether every layer with jobs left is of a size the model's jobs have measured (nothing to extrapolate). */
  private sizesLeftMeasured(): boolean {
    if (!this.fitUndisturbed) return false;
    return this.totals.layers.every((p) => {
      if (this.skipped.has(p) || this.jobsLeft(p) <= 0) return true;
      const c = layerCost(p, this.totals.count) / 1e9;
      return c >= this.minCost * (1 - 1e-9) && c <= this.maxCost * (1 + 1e-9);
    });
  }

  jobDone(p: PlannedLayer, ms: number): void {
    this.jobsDone.set(p, (this.jobsDone.get(p) ?? 0) + 1);
    const cost = layerCost(p, this.totals.count);
    this.doneCost += cost;
    // onnxruntime holds the main thread for each batch, so a job that overlapped a pass is timed
    // with batches in it: a small early layer's job measured 300 ms instead of 10, and the fit
    // extrapolated the classifier at 224² to 132 min (it took 47 s). Once jobs with no pass beside
    // them exist, the fit uses only those.
    const start = performance.now() - ms;
    const undisturbed = this.passesRunning === 0 && start >= this.lastPassEnd;
    if (undisturbed && !this.fitUndisturbed) {
      this.fitUndisturbed = true;
      this.jobs = this.sumCost = this.sumMs = this.sumCost2 = this.sumCostMs = this.maxCost = 0;
      this.minCost = Infinity;
      this.firstJobAt = start;
    }
    if (!undisturbed && this.fitUndisturbed) return;
    this.firstJobAt ??= start;
    const c = cost / 1e9;
    this.minCost = Math.min(this.minCost, c);
    this.maxCost = Math.max(this.maxCost, c);
    this.jobs++;
    this.sumCost += c;
    this.sumMs += ms;
    this.sumCost2 += c * c;
    this.sumCostMs += c * ms;
  }

  /** A layer that will not be scored (failed): its remaining work leaves the total. */
  skipLayer(p: PlannedLayer): void {
    const left = this.jobsLeft(p);
    this.totalCost -= left * layerCost(p, this.totals.count);
    this.skipped.add(p);
  }

  layerFinal(): void {
    this.layersFinal++;
  }

  private averageBatchMs(): number {
    return this.batchesDone === 0 ? this.batchMs : this.batchMs / this.batchesDone;
  }

  /** Job milliseconds as a + b·cost, fitted on the jobs done (a constant until two sizes are seen). */
  private jobModel(): { a: number; b: number } {
    const n = this.jobs;
    // Jobs of one size fix no slope (the classifier's first 8 jobs: all one size, 60-110 ms; the
    // line through them, flat, put the 47 s run at 7 s). Until sizes differ, time ∝ cost: it
    // overestimates larger layers (the fixed part of each job scales with them) but never under.
    if (this.maxCost < SLOPE_SPREAD * this.minCost) return { a: 0, b: this.sumCost > 0 ? this.sumMs / this.sumCost : 0 };
    const denominator = n * this.sumCost2 - this.sumCost ** 2;
    let b = n >= 2 && denominator > 1e-12 * n * this.sumCost2 ? (n * this.sumCostMs - this.sumCost * this.sumMs) / denominator : 0;
    b = Math.max(0, b);
    const a = Math.max(0, (this.sumMs - b * this.sumCost) / n);
    return { a, b };
  }

  /** Wall milliseconds per summed job millisecond: below 1 when jobs run side by side. */
  private wallPerJobMs(): number {
    if (this.firstJobAt === undefined || this.sumMs <= 0) return 1;
    return Math.min(1, (performance.now() - this.firstJobAt) / this.sumMs);
  }

  private scoringMs(layers: readonly PlannedLayer[], count: number, jobsOf: (p: PlannedLayer) => number): number {
    const { a, b } = this.jobModel();
    let ms = 0;
    for (const p of layers) if (!this.skipped.has(p)) ms += jobsOf(p) * (a + (b * layerCost(p, count)) / 1e9);
    return ms * this.wallPerJobMs();
  }

  /**
   * Seconds left, once a layer is final and the cost model is settled (jobs timed with no forward
   * pass beside them, of sizes that fix its slope, or of every size still to score): before, one
   * small layer's job put the classifier's first estimate at 82–84 s with 19.5 s left (4.3×). The
   * "at least" of the passes is shown until then.
   */
  etaSeconds(): number | undefined {
    if (this.jobs === 0 || this.layersFinal === 0 || (!this.settled() && !this.sizesLeftMeasured())) return undefined;
    const inference = Math.max(0, this.totals.batches - this.batchesDone) * this.averageBatchMs();
    const scoring = this.scoringMs(this.totals.layers, this.totals.count, (p) => this.jobsLeft(p));
    return (inference + scoring) / 1000;
  }

  /** Estimated seconds for the whole run with other settings (for cheaper suggestions). */
  estimateSeconds(change: SettingsChange = {}): number | undefined {
    if (this.jobs === 0) return undefined;
    const transforms = change.transforms ?? this.totals.transforms;
    const scoring = this.scoringMs(this.totals.layers, change.count ?? this.totals.count, () => 1 + transforms);
    return (scoring + this.batchesWith(change) * this.averageBatchMs()) / 1000;
  }

  /** Seconds every forward pass of the run takes at the measured batch time, with other settings. */
  passesSeconds(change: SettingsChange = {}): number | undefined {
    const ms = this.averageBatchMs();
    return ms > 0 ? (this.batchesWith(change) * ms) / 1000 : undefined;
  }

  private batchesWith(change: SettingsChange): number {
    const count = change.count ?? this.totals.count;
    const transforms = change.transforms ?? this.totals.transforms;
    return (this.totals.batches * (1 + transforms) * count) / (this.jobsPerLayer * this.totals.count);
  }

  fraction(): number {
    const doneScoring = this.totalCost > 0 ? this.doneCost / this.totalCost : 1;
    const doneInference = this.totals.batches > 0 ? this.batchesDone / this.totals.batches : 1;
    // Scoring is most of the work on every model measured; inference gets a small share of the bar.
    return 0.05 + 0.9 * (0.85 * doneScoring + 0.15 * doneInference);
  }

  /**
   * Seconds the forward passes still to run take at least: each at the fastest batch measured after
   * the first. (At the mean batch it was no lower bound: ISNet at 1024², "at least 620 s" with 528 s
   * left, its first batches 1.5–2.2× the later ones; a first batch also carries the warm-up.)
   */
  inferenceLeftSeconds(): number | undefined {
    if (!Number.isFinite(this.fastestBatchMs)) return undefined;
    return (Math.max(0, this.totals.batches - this.batchesDone) * this.fastestBatchMs) / 1000;
  }

  progress(message: string, transform?: string, layerName?: string, stage: AnalysisStage = 'scoring'): AnalysisProgress {
    const eta = this.etaSeconds();
    // Until a layer is final, a long run (ISNet at 1024²: 16 min of passes first) still says how
    // long its passes alone will take.
    const atLeast = eta === undefined ? this.inferenceLeftSeconds() : undefined;
    return {
      stage,
      message,
      fraction: this.fraction(),
      ...(transform ? { transform } : {}),
      ...(layerName ? { layer: { index: this.layersFinal, count: this.totals.layers.length, name: layerName } } : {}),
      ...(eta !== undefined && Number.isFinite(eta) ? { etaSeconds: Math.round(eta) } : {}),
      ...(atLeast !== undefined && Number.isFinite(atLeast) && atLeast >= 1 ? { etaSeconds: Math.round(atLeast), etaIsLowerBound: true } : {}),
    };
  }
}
