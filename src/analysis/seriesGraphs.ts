/**
 * The graph comparison of a checkpoint series: every checkpoint's ONNX file is parsed for its tensor
 * names, and checkpoints of different architectures are refused. Parsing every checkpoint is heavy
 * work, so only the series child process (seriesWorker.ts) imports this module; the caller's side
 * (series.ts, which runs in the extension host) receives the names and any refusal as messages.
 */
import { AnalysisError, messageOf } from './errors';
import { candidateTensors } from './layers';
import { loadModel } from './onnxModel';

/** Below this share of common tensor names two graphs are different architectures, not one model's checkpoints. */
export const SAME_ARCHITECTURE_SHARE = 0.5;

/** The tensor names of each loadable checkpoint's graph; unreadable checkpoints get their message. */
export function graphTensorNames(paths: readonly string[]): { names: (ReadonlySet<string> | undefined)[]; errors: (string | undefined)[] } {
  const names: (ReadonlySet<string> | undefined)[] = [];
  const errors: (string | undefined)[] = [];
  for (const path of paths) {
    try {
      names.push(new Set(candidateTensors(loadModel(path)).map((c) => c.name)));
      errors.push(undefined);
    } catch (err) {
      names.push(undefined);
      errors.push(messageOf(err));
    }
  }
  return { names, errors };
}

/** Refuses checkpoints whose graphs share too few tensor names with the first readable one. */
export function checkSameArchitecture(labels: readonly string[], names: readonly (ReadonlySet<string> | undefined)[]): void {
  const ref = names.findIndex((n) => n !== undefined);
  if (ref < 0) return;
  const reference = names[ref] as ReadonlySet<string>;
  names.forEach((mine, i) => {
    if (!mine || i === ref) return;
    const shared = [...mine].filter((n) => reference.has(n)).length;
    const union = reference.size + mine.size - shared;
    if (union > 0 && shared / union >= SAME_ARCHITECTURE_SHARE) return;
    const onlyRef = [...reference].filter((n) => !mine.has(n));
    const onlyMine = [...mine].filter((n) => !reference.has(n));
    const list = (xs: string[]) => `${xs.slice(0, 6).join(', ')}${xs.length > 6 ? ` and ${xs.length - 6} more` : ''}`;
    throw new AnalysisError(
      'bad-option',
      `${labels[i]} and ${labels[ref]} are different architectures (${shared} of ${union} tensor names in common): only in ${labels[ref]}: ${list(onlyRef) || 'none'}; only in ${labels[i]}: ${list(onlyMine) || 'none'}. A series compares checkpoints of one model; analyse the others separately`,
    );
  });
}
