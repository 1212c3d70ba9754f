/**
 * A run's progress as one line, the same on every surface (the VS Code notification, the terminal's
 * bar and its log lines): percent, what is running, and the time left once the engine can estimate
 * it from measured batches and scored layers.
 */
export interface ProgressFigures {
  /** Overall completion in [0, 1]. */
  readonly fraction: number;
  readonly message: string;
  readonly etaSeconds?: number;
  /** The estimate counts only part of the work (the forward passes): "at least". */
  readonly etaIsLowerBound?: boolean;
}

/** "about 40 s left", "about 7 min left", "at least 1 h 5 min left". */
export function timeLeft(seconds: number, lowerBound = false): string {
  const how = lowerBound ? 'at least' : 'about';
  if (seconds < 90) return `${how} ${Math.max(1, Math.round(seconds / 5) * 5)} s left`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${how} ${minutes} min left`;
  return `${how} ${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** `alignPercent` pads the percent to three places, for lines that follow each other in a terminal. */
export function progressLine(p: ProgressFigures, alignPercent = false): string {
  const eta = p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds) && p.etaSeconds > 0 ? ` (${timeLeft(p.etaSeconds, p.etaIsLowerBound)})` : '';
  const percent = String(Math.round(p.fraction * 100));
  return `${alignPercent ? percent.padStart(3) : percent}% ${p.message}${eta}`;
}
