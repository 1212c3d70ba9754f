/**
 * How a partial result (AnalysisResult.incomplete) is described and closed, for every view that
 * shows one (panel banner, layer inspector, status bar). Pure; safe for every bundle.
 */
import type { AnalysisResult, IncompleteInfo } from './results';

/** "incomplete: cancelled after 12 of 24 layers", the one wording every view uses. */
export function incompleteSummary(info: IncompleteInfo): string {
  const layers = `${info.layersDone} of ${info.layersPlanned} layers`;
  switch (info.reason) {
    case 'running': return `incomplete: running, ${layers} scored so far`;
    case 'cancelled': return `incomplete: cancelled after ${layers}`;
    case 'failed': return `incomplete: failed after ${layers}${info.message ? ` (${info.message})` : ''}`;
  }
}

/**
 * The last partial result of a run that stopped early, marked as such. What was scored stays as it
 * was; only the reason (and why) changes, so the result can never pass for a finished run.
 */
export function stoppedEarly(partial: AnalysisResult, reason: 'cancelled' | 'failed', message?: string): AnalysisResult {
  const before = partial.incomplete ?? { layersDone: partial.layers.length, layersPlanned: partial.layers.length };
  return {
    ...partial,
    incomplete: { layersDone: before.layersDone, layersPlanned: before.layersPlanned, reason, ...(message ? { message } : {}) },
  };
}
