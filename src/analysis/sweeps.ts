/**
 * Transform sweeps: one family of transforms at evenly spaced parameters, so a score can be read
 * against the angle, the shift or the scale (`--sweep`). A sweep only expands to transform ids, which
 * transforms.ts parses like any other; each member carries its `family` and `parameter`, and is
 * marked exact or interpolated as usual (90° multiples and whole-pixel shifts are exact).
 *
 *   rot:STEP               STEP, 2·STEP, … below 360 degrees        rot:15 → rot15 … rot345
 *   shift-x:MAX[:STEP]     −MAX … MAX pixels in STEPs (default 1), 0 left out
 *   shift-y:MAX[:STEP]     the same vertically
 *   scale:MIN:MAX:STEP     MIN, MIN+STEP, … up to MAX (factor 1 is the identity, kept if it falls on the grid)
 *
 * The cost is one forward pass of the probes and one scoring per member: the clean activations and
 * their decomposition are computed once for all transforms.
 */
import { DEFAULT_TRANSFORMS } from '../shared/defaults';
import type { TransformFamily } from '../shared/results';
import { AnalysisError } from './errors';

/** Beyond this a sweep is almost certainly a typo (rot:0.1), and would run for hours. */
export const MAX_SWEEP_MEMBERS = 360;

const GRAMMAR = "rot:STEP (rot:15), shift-x:MAX[:STEP] (shift-x:8 or shift-x:4:0.5), shift-y:MAX[:STEP], scale:MIN:MAX:STEP (scale:0.5:2:0.25)";

/** Parameters print with at most 6 decimals so ids stay short and parse back to the same value. */
function formatParameter(value: number): string {
  const rounded = Number(value.toFixed(6));
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

function positiveNumber(text: string | undefined, what: string, spec: string): number {
  const value = text === undefined || text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new AnalysisError('bad-option', `sweep '${spec}': ${what} must be a positive number, got '${text ?? ''}'; sweeps are ${GRAMMAR}`);
  return value;
}

/** Values lo, lo+step, … ≤ hi (within rounding), computed by index so steps do not accumulate error. */
function grid(lo: number, hi: number, step: number, spec: string): number[] {
  const count = Math.floor((hi - lo) / step + 1e-9) + 1;
  if (count > MAX_SWEEP_MEMBERS + 1) {
    throw new AnalysisError('bad-option', `sweep '${spec}' has ${count} members, more than ${MAX_SWEEP_MEMBERS}; use a coarser step`);
  }
  return Array.from({ length: Math.max(0, count) }, (_, i) => Number((lo + i * step).toFixed(6)));
}

/** The transform ids of one sweep, in parameter order. */
export function expandSweep(spec: string): string[] {
  const text = spec.trim();
  const [family, ...args] = text.split(':');
  let ids: string[];
  if (family === 'rot') {
    if (args.length !== 1) throw new AnalysisError('bad-option', `sweep '${text}': rot takes one step in degrees (rot:15)`);
    const step = positiveNumber(args[0], 'the step in degrees', text);
    if (step >= 360) throw new AnalysisError('bad-option', `sweep '${text}': the step must be below 360 degrees`);
    ids = grid(step, 360 - 1e-6, step, text).map((deg) => `rot${formatParameter(deg)}`);
  } else if (family === 'shift-x' || family === 'shift-y') {
    if (args.length < 1 || args.length > 2) throw new AnalysisError('bad-option', `sweep '${text}': ${family} takes MAX[:STEP] in pixels (${family}:8)`);
    const max = positiveNumber(args[0], 'the largest shift', text);
    const step = args.length === 2 ? positiveNumber(args[1], 'the step', text) : 1;
    if (step > max) throw new AnalysisError('bad-option', `sweep '${text}': the step ${step} is larger than the largest shift ${max}`);
    ids = grid(-max, max, step, text)
      .filter((px) => px !== 0)
      .map((px) => `${family === 'shift-x' ? 'shift-x' : 'shift-y'}${formatParameter(px)}`);
  } else if (family === 'scale') {
    if (args.length !== 3) throw new AnalysisError('bad-option', `sweep '${text}': scale takes MIN:MAX:STEP (scale:0.5:2:0.25)`);
    const [min, max, step] = [positiveNumber(args[0], 'MIN', text), positiveNumber(args[1], 'MAX', text), positiveNumber(args[2], 'STEP', text)];
    if (max < min) throw new AnalysisError('bad-option', `sweep '${text}': MAX ${max} is below MIN ${min}`);
    ids = grid(min, max, step, text).map((f) => `scale${formatParameter(f)}`);
  } else {
    throw new AnalysisError('bad-option', `unknown sweep '${text}'; sweeps are ${GRAMMAR}`);
  }
  if (ids.length === 0) throw new AnalysisError('bad-option', `sweep '${text}' has no members`);
  return ids;
}

/** Every sweep of a comma-separated list (or array), expanded and concatenated without repeats. */
export function expandSweeps(specs: string | readonly string[]): string[] {
  const list = (typeof specs === 'string' ? specs.split(',') : [...specs]).map((s) => s.trim()).filter(Boolean);
  return mergeTransformIds([], list.flatMap(expandSweep));
}

/**
 * The explicit transforms first, in their order, then the sweep members they do not already list:
 * `--transforms rot90 --sweep rot:45` scores rot90 once.
 */
export function mergeTransformIds(explicit: readonly string[], swept: readonly string[]): string[] {
  const seen = new Set(explicit);
  const out = [...explicit];
  for (const id of swept) {
    if (!seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  }
  return out;
}

/**
 * The transform ids a run scores: the explicit list (the default set when none is given and there is
 * no sweep), then the sweep members it does not already list. A run with only sweeps scores only them.
 */
export function runTransformIds(transforms: readonly string[] | undefined, sweeps: readonly string[] | undefined): string[] {
  const swept = sweeps && sweeps.length > 0 ? expandSweeps(sweeps) : [];
  const explicit = transforms ?? (swept.length > 0 ? [] : DEFAULT_TRANSFORMS);
  return mergeTransformIds(explicit, swept);
}

/** The sweep family and parameter of a transform, for one-parameter transforms; undefined otherwise. */
export function familyOf(kind: string, params: Readonly<Record<string, number>>): { family: TransformFamily; parameter: number } | undefined {
  if (kind === 'rotation') return { family: 'rot', parameter: params.degrees };
  if (kind === 'scale') return { family: 'scale', parameter: params.factor };
  if (kind === 'shift' && params.dy === 0) return { family: 'shift-x', parameter: params.dx };
  if (kind === 'shift' && params.dx === 0) return { family: 'shift-y', parameter: params.dy };
  return undefined;
}
