/**
 * Every analysis default, its accepted range, and the name each caller knows it by: the CLI flag
 * and the VS Code setting. The engine validates against this table, the CLI builds its flags from
 * it, the host falls back to it, and a unit test holds package.json's `contributes.configuration`
 * to it, so a default is written here and nowhere else.
 *
 * Plain data (no node, no vscode, no DOM) so every bundle can import it. The SEIS method's own
 * defaults (τ, null permutations, seed) live with the method in src/seis/types.ts and are quoted here.
 */
import { DEFAULT_INTERVAL_LEVEL, DEFAULT_SEIS_OPTIONS } from '../seis/types';

/** Who asked for the analysis: decides whether a message names `--probes` or `seis.probes.count`. */
export type RequestOrigin = 'cli' | 'vscode';

export interface OptionNames {
  /** The `seis analyze` flag. */
  readonly cli: string;
  /** The VS Code setting, when the extension exposes this option. */
  readonly setting?: string;
}

export interface IntegerOption extends OptionNames {
  /** Absent when the default is not a number (e.g. `jobs`: one per core). */
  readonly default?: number;
  readonly min: number;
  readonly max: number;
  /** The extension's default, when it differs from the CLI's: the panel draws what the CLI only prints. */
  readonly extensionDefault?: number;
}

export interface ValueOption<T> extends OptionNames {
  readonly default: T;
}

/** Four exact transforms and one interpolated: the scoring cost grows linearly with this list. */
export const DEFAULT_TRANSFORMS: readonly string[] = Object.freeze(['rot90', 'rot180', 'flip-h', 'shift-x8', 'rot30']);

export const ANALYSIS_OPTIONS = {
  probeCount: { default: 32, min: 2, max: 100_000, cli: '--probes', setting: 'seis.probes.count' },
  maxImages: { default: 64, min: 1, max: 100_000, cli: '--max-images', setting: 'seis.probes.count' },
  /** The built-in probes' seed defaults to the SEIS seed (`seed`). */
  probeSeed: { default: DEFAULT_SEIS_OPTIONS.seed, min: 0, max: 0xffff_ffff, cli: '--probe-seed' },
  /** Probe height and width when the model leaves them dynamic. */
  size: { default: 224, min: 4, max: 8192, cli: '--size' },
  batchSize: { default: 8, min: 1, max: 4096, cli: '--batch', setting: 'seis.batchSize' },
  maxPositions: { default: 1024, min: 4, max: 1 << 20, cli: '--max-positions', setting: 'seis.maxPositions' },
  nullPermutations: { default: DEFAULT_SEIS_OPTIONS.nullPermutations, min: 0, max: 1000, cli: '--null-perms', setting: 'seis.nullPermutations' },
  seed: { default: DEFAULT_SEIS_OPTIONS.seed, min: 0, max: 0xffff_ffff, cli: '--seed' },
  /** Eigensolver threads; by default one per core. */
  jobs: { min: 1, max: 64, cli: '--jobs' },
  /** Everything the run holds at once (probes, activations, pooled copies, work matrices), in MiB. */
  // With the runtime itself (node, onnxruntime, the solver threads: about 0.4-0.5 GiB measured),
  // this keeps the whole process tree within 1 GiB on the benchmark models.
  memoryBudgetMB: { default: 448, min: 16, max: 1 << 20, cli: '--memory-budget' },
  /** Canonical patterns stored per layer and transform (src/seis/patterns.ts); 0 = none. */
  patterns: { default: 0, extensionDefault: 3, min: 0, max: 64, cli: '--patterns', setting: 'seis.patterns' },
  /** Resamples for an interval beside every score (src/seis/intervals.ts); 0 = none, so the default run stays fast. */
  intervals: { default: 0, min: 0, max: 10_000, cli: '--intervals', setting: 'seis.intervals' },
} as const satisfies Record<string, IntegerOption>;

export const ANALYSIS_VALUES = {
  keep: { default: DEFAULT_SEIS_OPTIONS.keep, cli: '--keep' },
  orientation: { default: DEFAULT_SEIS_OPTIONS.orientation, cli: '--orientation' },
  transforms: { default: DEFAULT_TRANSFORMS, cli: '--transforms', setting: 'seis.transforms' },
  layers: { default: 'default', cli: '--layers', setting: 'seis.layers' },
  normalize: { default: 'imagenet', cli: '--normalize' },
  fit: { default: 'crop', cli: '--fit' },
  bgr: { default: false, cli: '--bgr' },
  executionProvider: { default: 'cpu', cli: '--ep', setting: 'seis.executionProvider' },
  includeCorrelations: { default: false, cli: '--correlations' },
  inputs: { default: '', cli: '--inputs', setting: 'seis.probes.npyFile' },
  images: { default: '', cli: '--images', setting: 'seis.probes.imagesFolder' },
  dumpActivations: { default: '', cli: '--dump-activations' },
  /** Where activations beyond the memory budget wait on disk; '' = the OS temp folder, 'off' = groups of layers instead. */
  spill: { default: '', cli: '--spill' },
  /** Sweeps, e.g. `rot:15` (src/analysis/sweeps.ts); empty = none. */
  sweeps: { default: '', cli: '--sweep', setting: 'seis.sweep' },
  intervalLevel: { default: DEFAULT_INTERVAL_LEVEL, cli: '--interval-level' },
} as const satisfies Record<string, ValueOption<unknown>>;

export type IntegerOptionKey = keyof typeof ANALYSIS_OPTIONS;
export type ValueOptionKey = keyof typeof ANALYSIS_VALUES;
export type OptionKey = IntegerOptionKey | ValueOptionKey;

/** The defaults as plain values, for code that only needs the number. */
export const DEFAULTS = {
  probeCount: ANALYSIS_OPTIONS.probeCount.default,
  maxImages: ANALYSIS_OPTIONS.maxImages.default,
  size: ANALYSIS_OPTIONS.size.default,
  batchSize: ANALYSIS_OPTIONS.batchSize.default,
  maxPositions: ANALYSIS_OPTIONS.maxPositions.default,
  nullPermutations: ANALYSIS_OPTIONS.nullPermutations.default,
  seed: ANALYSIS_OPTIONS.seed.default,
  memoryBudgetMB: ANALYSIS_OPTIONS.memoryBudgetMB.default,
  keep: ANALYSIS_VALUES.keep.default,
  orientation: ANALYSIS_VALUES.orientation.default,
  transforms: ANALYSIS_VALUES.transforms.default,
  layers: ANALYSIS_VALUES.layers.default,
  normalize: ANALYSIS_VALUES.normalize.default,
  fit: ANALYSIS_VALUES.fit.default,
  executionProvider: ANALYSIS_VALUES.executionProvider.default,
} as const;

function namesOf(key: OptionKey): OptionNames {
  return key in ANALYSIS_OPTIONS ? ANALYSIS_OPTIONS[key as IntegerOptionKey] : ANALYSIS_VALUES[key as ValueOptionKey];
}

/**
 * The option as the caller knows it: `--probes` for the CLI; for VS Code the setting, or, for an
 * option the extension does not expose, the flag with a note (it can only come from a default there).
 */
export function optionName(key: OptionKey, origin: RequestOrigin = 'cli'): string {
  const names = namesOf(key);
  if (origin === 'cli') return names.cli;
  return names.setting ? `the setting ${names.setting}` : `${names.cli} (not a VS Code setting)`;
}
