/**
 * Typed mirror of the `seis.*` settings contributed in package.json. Every key is read here and
 * nowhere else, so a renamed setting breaks the compiler instead of silently reading `undefined`.
 * Keep the doc lines in step with package.json's `contributes.configuration`.
 */
import * as vscode from 'vscode';
import { ANALYSIS_OPTIONS } from '../shared/defaults';

export type ProbeSource = 'builtin' | 'images' | 'npy';

export interface SeisSettings {
  /** Where probe inputs come from: the built-in synthetic set, a folder of images, or a .npy tensor. */
  readonly probeSource: ProbeSource;
  /** Folder of PNG/JPEG probe images (probeSource = images); relative paths resolve against the workspace. */
  readonly probeImagesFolder: string;
  /** A .npy file fed to the model as is (probeSource = npy). */
  readonly probeNpyFile: string;
  /** Number of probe images (built-in set / images folder). */
  readonly probeCount: number;
  /** Transform ids to score (e.g. rot90, flip-h, shift-x4); empty = the engine's default set. */
  readonly transforms: readonly string[];
  /** `default`, `all`, `op:Conv,Relu` or `name:<regex>`. */
  readonly layers: string;
  readonly batchSize: number;
  /** Feature maps with more positions are average-pooled down to this many. */
  readonly maxPositions: number;
  readonly nullPermutations: number;
  /** Canonical patterns stored per layer and transform, for the layer details' maps; 0 = none. */
  readonly patterns: number;
  /** Sweeps to score after the transforms, e.g. `rot:15`; empty = none. */
  readonly sweeps: readonly string[];
  /** Resamples for an interval beside every score (single analyses and series); 0 = none. */
  readonly intervals: number;
  /** onnxruntime execution provider, e.g. `cpu`. */
  readonly executionProvider: string;
  /** After-line score decorations in the layer listing and Python sources. */
  readonly decorationsEnabled: boolean;
  /** Decorate `self.x = ...` lines in Python sources (needs decorationsEnabled). */
  readonly pythonDecorations: boolean;
  /** Explorer badge on analysed .onnx files. */
  readonly fileBadges: boolean;
}

export const SETTINGS_SECTION = 'seis';

function nonNegativeInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : fallback;
}

function positiveInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

export function readSettings(scope?: vscode.ConfigurationScope): SeisSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const source = c.get<string>('probes.source', 'builtin');
  const transforms = c.get<unknown>('transforms', []);
  return {
    probeSource: source === 'images' || source === 'npy' ? source : 'builtin',
    probeImagesFolder: c.get<string>('probes.imagesFolder', ''),
    probeNpyFile: c.get<string>('probes.npyFile', ''),
    probeCount: positiveInt(c.get('probes.count'), 32),
    transforms: Array.isArray(transforms) ? transforms.filter((t): t is string => typeof t === 'string' && t.trim() !== '').map((t) => t.trim()) : [],
    layers: (c.get<string>('layers', 'default') || 'default').trim(),
    batchSize: positiveInt(c.get('batchSize'), 8),
    maxPositions: positiveInt(c.get('maxPositions'), 1024),
    nullPermutations: positiveInt(c.get('nullPermutations'), 3),
    executionProvider: c.get<string>('executionProvider', 'cpu') || 'cpu',
    patterns: nonNegativeInt(c.get('patterns'), ANALYSIS_OPTIONS.patterns.extensionDefault),
    intervals: nonNegativeInt(c.get('intervals'), ANALYSIS_OPTIONS.intervals.default),
    sweeps: (c.get<string>('sweep', '') ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    decorationsEnabled: c.get<boolean>('decorations.enabled', true),
    pythonDecorations: c.get<boolean>('decorations.python', true),
    fileBadges: c.get<boolean>('decorations.fileBadges', true),
  };
}

/** Settings that change the analysis result: part of the results key. Batch size and decoration
 *  switches only change speed or display, so changing them does not make results stale. */
export function analysisRelevantSettings(s: SeisSettings): Record<string, unknown> {
  return {
    probeSource: s.probeSource,
    probePath: s.probeSource === 'images' ? s.probeImagesFolder : s.probeSource === 'npy' ? s.probeNpyFile : '',
    probeCount: s.probeCount,
    transforms: [...s.transforms],
    layers: s.layers,
    maxPositions: s.maxPositions,
    nullPermutations: s.nullPermutations,
    executionProvider: s.executionProvider,
    patterns: s.patterns,
    sweeps: [...s.sweeps],
    intervals: s.intervals,
  };
}

export function affectsAnalysis(e: vscode.ConfigurationChangeEvent): boolean {
  return ['probes', 'transforms', 'layers', 'batchSize', 'maxPositions', 'nullPermutations', 'executionProvider', 'patterns', 'sweep', 'intervals']
    .some((k) => e.affectsConfiguration(`${SETTINGS_SECTION}.${k}`));
}

export function affectsDecorations(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${SETTINGS_SECTION}.decorations`);
}
