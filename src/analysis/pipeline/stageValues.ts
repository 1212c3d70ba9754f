/**
 * The values the stages hand to each other (probes → plan → capture/score), in one file that
 * imports no stage: the budget arithmetic (memory.ts) and every stage read these shapes without
 * importing the stage that makes them, so no stage imports another in a loop.
 */
import type { LayerResult, TransformInfo } from '../../shared/results';
import type { Candidate, LayoutGuess } from '../layers';
import type { PoolPlan } from '../pooling';
import type { ProbeSet } from '../probes';

export interface ProbeStage {
  readonly probes: ProbeSet;
  /** Every candidate tensor of the model, in graph order. */
  readonly candidates: readonly Candidate[];
  /** Each tensor's shape for a batch of `shapeBatch` probes. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly shapeBatch: number;
  /** Milliseconds of the shape run's longest forward pass (a first guess at the cost of a batch). */
  readonly shapeRunMs: number;
  /** Forward passes the shape run took (more than one when its outputs would not fit the budget at once). */
  readonly shapeRuns: number;
  /** Warnings this stage raised (kept with the value so a reuse can repeat them). */
  readonly warnings: readonly string[];
}

/** A layer that will be captured: its plan for pooling and its storage size per probe. */
export interface PlannedLayer {
  /** Position among the chosen layers (the row of the result). */
  readonly index: number;
  readonly candidate: Candidate;
  readonly guess: LayoutGuess;
  /** Shape for one probe batch as returned by the shape run. */
  readonly sampleShape: readonly number[];
  readonly channels: number;
  readonly plan?: PoolPlan;
  readonly pooledTokens?: number;
  /** Values stored per probe image after pooling. */
  readonly perProbe: number;
  readonly storedShape: (count: number) => number[];
  readonly storedLayout: 'NCHW' | 'tokens';
}

export interface LayerPlan {
  /** How many tensors the selection chose (scored or not). */
  readonly chosenCount: number;
  readonly planned: readonly PlannedLayer[];
  /** Results of chosen tensors that have nothing to score, by row. */
  readonly unscorable: ReadonlyMap<number, LayerResult>;
  /** The requested transforms that keep the probe shape. */
  readonly transforms: readonly TransformInfo[];
  /** Probes per forward pass. */
  readonly batch: number;
  /** Layers scored side by side (fewer than asked when their work copies would not fit the budget). */
  readonly lanes: number;
  /** Layers captured together, each group within the memory budget. */
  readonly groups: readonly (readonly PlannedLayer[])[];
  /**
   * When the activations exceed the budget and the disk has room: one group, each pass written to
   * a temporary folder under `parent` (`bytes` in all) and read back layer by layer.
   */
  readonly spill: { readonly parent: string; readonly bytes: number } | null;
  readonly warnings: readonly string[];
}
