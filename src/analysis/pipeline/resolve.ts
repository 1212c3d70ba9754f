/**
 * Stage 1, resolve the request: every default from src/shared/defaults.ts filled in, every value
 * checked against its range, before a file is opened. Messages name each option the way the caller
 * knows it (a CLI flag or a VS Code setting, from `request.origin`).
 */
import { resolveOptions, type SeisOptions } from '../../seis';
import { ANALYSIS_OPTIONS, DEFAULTS, optionName, type IntegerOptionKey, type RequestOrigin } from '../../shared/defaults';
import { AnalysisError, messageOf } from '../errors';
import { parseLayerSelection } from '../layers';
import { NORMALIZATION_PRESETS, type Normalization, type PixelOptions } from '../probes';
import type { AnalysisRequest } from '../protocol';
import { runTransformIds } from '../sweeps';
import { parseTransforms } from '../transforms';
import type { ProbeSource, ResolvedRequest } from './context';
import { tmpdir } from 'node:os';

/** Layers scored at once: enough to keep the backend's eigensolver threads busy, few enough to bound memory. */
const SCORING_CONCURRENCY = 3;

export function resolveRequest(request: AnalysisRequest): ResolvedRequest {
  const origin = request.origin ?? 'cli';
  const int = (key: IntegerOptionKey, value: number) => checkedInt(key, value, origin);
  const seis = resolveSeisOptions(request);
  const batchSize = int('batchSize', request.batchSize ?? DEFAULTS.batchSize);
  const maxPositions = int('maxPositions', request.maxPositions ?? DEFAULTS.maxPositions);
  const budgetBytes = int('memoryBudgetMB', request.memoryBudgetMB ?? DEFAULTS.memoryBudgetMB) * 2 ** 20;
  if (request.inputs && request.images) {
    throw new AnalysisError('bad-option', `give either ${optionName('inputs', origin)} (a .npy tensor) or ${optionName('images', origin)} (a folder), not both`);
  }
  const sweeps = request.sweeps ?? [];
  const transforms = parseTransforms(runTransformIds(request.transforms, sweeps));
  const patterns = int('patterns', request.patterns ?? ANALYSIS_OPTIONS.patterns.default);
  if (patterns > 0 && seis.orientation !== 'spatial') {
    throw new AnalysisError('bad-option', `${optionName('patterns', origin)} draws maps over positions, which the channel diagnostic does not have; use the spatial orientation or no patterns`);
  }
  const selection = parseLayerSelection(request.layers, optionName('layers', origin));
  const jobs = request.jobs === undefined ? undefined : int('jobs', request.jobs);
  return {
    request,
    origin,
    seis,
    probeSource: resolveProbeSource(request, seis, origin),
    batchSize,
    maxPositions,
    budgetBytes,
    executionProvider: request.executionProvider ?? DEFAULTS.executionProvider,
    transforms,
    sweeps,
    patterns,
    selection,
    jobs,
    concurrency: jobs === undefined ? SCORING_CONCURRENCY : jobs + 1,
    includeCorrelations: request.includeCorrelations ?? false,
    dumpDir: request.dumpActivations,
    spillParent: request.spill === false ? null : (request.spill ?? tmpdir()),
  };
}

function resolveProbeSource(request: AnalysisRequest, seis: SeisOptions, origin: RequestOrigin): ProbeSource {
  if (request.inputs) return { kind: 'npy', path: request.inputs };
  const pixels: PixelOptions = { normalization: normalization(request), bgr: request.bgr ?? false };
  if (request.images) {
    return { kind: 'images', folder: request.images, maxImages: checkedInt('maxImages', request.maxImages ?? DEFAULTS.maxImages, origin), pixels, fit: request.fit ?? DEFAULTS.fit };
  }
  return { kind: 'builtin', count: checkedInt('probeCount', request.probeCount ?? DEFAULTS.probeCount, origin), seed: request.probeSeed ?? seis.seed, pixels };
}

function resolveSeisOptions(request: AnalysisRequest): SeisOptions {
  try {
    return resolveOptions({ keep: request.keep, nullPermutations: request.nullPermutations, seed: request.seed, orientation: request.orientation });
  } catch (err) {
    throw new AnalysisError('bad-option', messageOf(err));
  }
}

function checkedInt(key: IntegerOptionKey, value: number, origin: RequestOrigin): number {
  const { min, max } = ANALYSIS_OPTIONS[key];
  if (!Number.isInteger(value) || value < min || value > max) throw new AnalysisError('bad-option', `${optionName(key, origin)} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function normalization(request: AnalysisRequest): Normalization {
  const n = request.normalize ?? DEFAULTS.normalize;
  if (typeof n === 'string') {
    const preset = NORMALIZATION_PRESETS[n];
    if (!preset) throw new AnalysisError('bad-option', `unknown normalisation '${n}'; use ${Object.keys(NORMALIZATION_PRESETS).join(', ')} or mean/std values`);
    return preset;
  }
  const ok = (v: readonly number[]) => v.length === 3 && v.every(Number.isFinite);
  if (!ok(n.mean) || !ok(n.std) || n.std.some((s) => s <= 0)) throw new AnalysisError('bad-option', 'mean and std need three finite values each (RGB, pixels in [0,1]) and std > 0');
  return { mean: n.mean, std: n.std };
}
