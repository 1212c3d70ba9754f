/**
 * A layer's score across the checkpoints of a series, in the words and glyphs every view uses: the
 * tree's tooltip sparkline, the panel's series view and its table. Pure; safe for every bundle.
 *
 * Settled step: the first checkpoint from which every later score stays within the final score's
 * interval (docs/method.md, "Intervals"). Without intervals the band is the final score ± NULL_MARGIN
 * (src/shared/reading.ts), the resolution a reading works at; the result says which band was used.
 */
import { NULL_MARGIN } from './reading';

export interface TrajectoryPoint {
  /** Index of the checkpoint in the series. */
  readonly checkpoint: number;
  /** The training step or epoch; the checkpoint's index when its name carries none. */
  readonly step: number;
  readonly value: number | null;
  readonly null: number | null;
  readonly low?: number;
  readonly high?: number;
}

export interface Settled {
  readonly step: number;
  readonly checkpoint: number;
  /** `interval`: within the final score's interval; `margin`: within ± NULL_MARGIN (no interval stored). */
  readonly band: 'interval' | 'margin';
}

export function settledStep(points: readonly TrajectoryPoint[]): Settled | undefined {
  const scored = points.filter((p) => p.value !== null);
  const last = scored.at(-1);
  if (!last || last.value === null) return undefined;
  const byInterval = last.low !== undefined && last.high !== undefined && Number.isFinite(last.low) && Number.isFinite(last.high);
  const [low, high] = byInterval ? [last.low as number, last.high as number] : [last.value - NULL_MARGIN, last.value + NULL_MARGIN];
  let first = scored.length - 1;
  while (first > 0) {
    const v = scored[first - 1].value as number;
    if (v < low || v > high) break;
    first--;
  }
  return { step: scored[first].step, checkpoint: scored[first].checkpoint, band: byInterval ? 'interval' : 'margin' };
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** Scores in [0, 1] as block characters (a gap as a space), so a tooltip shows the trajectory's shape. */
export function sparkline(values: readonly (number | null)[]): string {
  return values.map((v) => (v === null || !Number.isFinite(v) ? ' ' : BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.floor(v * BLOCKS.length)))])).join('');
}
