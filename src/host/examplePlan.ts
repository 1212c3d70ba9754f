/**
 * The bundled example models and how they are analysed (the plan), apart from the tour that shows
 * them (src/host/examples.ts): the results repository and the run service need the plan, and must not
 * depend on the controller the tour drives.
 *
 * The files are located from the extension's own folder, never from user input; only these exact
 * paths get the example plan, which is what lets them run in an untrusted workspace (they are ours,
 * not the workspace's) and sends their results to the global storage instead of the workspace's.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS } from '../shared/defaults';
import type { EngineRequest } from './engine';
import { EXAMPLE_MODELS, EXAMPLE_PROBES } from './exampleGuide';

/** The bundled probe file holds 64 images (examples/README.md); the engine reads them all. */
const EXAMPLE_PROBE_COUNT = 64;

/** How the example models are analysed: fixed, so the tour shows the same thing whatever the user's settings. */
export interface ExamplePlan {
  readonly request: EngineRequest;
  /** What the stored result is keyed by (the counterpart of analysisRelevantSettings for a user's model). */
  readonly relevantSettings: Readonly<Record<string, unknown>>;
}

export class BundledExamples {
  /** Absolute, symlinks resolved: the only paths that get the example plan. */
  readonly models: readonly string[];
  readonly probes: string;
  /** Where their results are stored: the extension's global storage, whatever window is open. */
  readonly resultsDir: string;

  constructor(extensionRoot: string, globalStorageRoot: string) {
    const root = existsSync(extensionRoot) ? realpathSync(extensionRoot) : extensionRoot;
    this.models = EXAMPLE_MODELS.map((rel) => join(root, rel));
    this.probes = join(root, EXAMPLE_PROBES);
    this.resultsDir = join(globalStorageRoot, 'results');
  }

  /** The plan for one of our example models; undefined for every other path (a user's model). */
  planFor(modelPath: string): ExamplePlan | undefined {
    if (!this.models.includes(modelPath)) return undefined;
    const request: EngineRequest = {
      modelPath,
      probes: { source: 'npy', path: this.probes, count: EXAMPLE_PROBE_COUNT },
      transforms: DEFAULTS.transforms,
      layers: DEFAULTS.layers,
      batchSize: DEFAULTS.batchSize,
      maxPositions: DEFAULTS.maxPositions,
      nullPermutations: DEFAULTS.nullPermutations,
      executionProvider: DEFAULTS.executionProvider,
    };
    const { modelPath: _model, batchSize: _speedOnly, ...relevantSettings } = request;
    return { request, relevantSettings };
  }

  /** Which bundled files are missing (a damaged install), as paths relative to the extension. */
  missing(): string[] {
    return [...this.models, this.probes].filter((p) => !existsSync(p));
  }
}
