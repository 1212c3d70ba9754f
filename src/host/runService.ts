/**
 * One analysis run at a time, in a child process (src/host/engine.ts): the "Analyze SEIS" flow with
 * its progress notification, partial results as they arrive, Cancel, and what the user is told at the
 * end. Results go to the repository (which every view follows); run state goes out as events (the
 * status bar and the panels follow those). Never throws from analyze(): the outcome says what happened.
 */
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { ANALYSIS_OPTIONS } from '../shared/defaults';
import { stoppedEarly } from '../shared/incomplete';
import type { AnalysisResult } from '../shared/results';
import { analysisErrorCode, startEngine, type AnalysisErrorCode, type EngineProgress, type EngineRequest, type EngineRun } from './engine';
import type { BundledExamples } from './examplePlan';
import { resultSummary } from './format';
import { mergePatterns, patternsRefusal, patternsRequest } from './patternsOnDemand';
import type { ResultsRepository } from './resultsRepository';
import { readSettings, type SeisSettings } from './settings';
import { showAnalysisError } from './walkthrough';
import { progressLine } from '../shared/progressLine';

/** How a run ended. `message` is what the user was told; `pid` is the analysis child's, when one started. */
export type RunOutcome =
  | { readonly kind: 'done'; readonly result: AnalysisResult; readonly pid?: number }
  | { readonly kind: 'cancelled'; readonly pid?: number }
  | { readonly kind: 'failed'; readonly message: string; readonly code?: AnalysisErrorCode; readonly pid?: number }
  | { readonly kind: 'refused'; readonly message: string };

export interface RunState {
  readonly modelPath: string;
  readonly running: boolean;
  /** Set while running, once the child reports progress. */
  readonly progress?: EngineProgress;
  /** Set when the run has ended. */
  readonly outcome?: RunOutcome;
  /** Set with a cancelled or failed outcome when the scored layers were kept, marked incomplete. */
  readonly keptPartial?: boolean;
}

interface ActiveRun {
  readonly modelPath: string;
  readonly engine: EngineRun;
  readonly startedAt: number;
  cancelled: boolean;
  lastProgress?: EngineProgress;
  /** The latest result so far; kept (marked cancelled / failed) when the run stops early. */
  partial?: AnalysisResult;
  /** A partial waiting to be shown: they can come faster than the views should rebuild. */
  partialTimer?: NodeJS.Timeout;
}

/** How the analysis child ended: its result, or the error it failed with. */
type EngineEnd = { readonly result?: AnalysisResult; readonly error?: string; readonly code?: AnalysisErrorCode };

/** Views rebuild at most this often while partial results stream in. */
const PARTIAL_SHOW_INTERVAL_MS = 400;

export class RunService implements vscode.Disposable {
  private active: ActiveRun | undefined;
  private readonly stateChanged = new vscode.EventEmitter<RunState>();
  /** A run started, progressed, or ended (with its outcome). */
  readonly onDidChangeRunState = this.stateChanged.event;

  constructor(
    private readonly results: ResultsRepository,
    private readonly examples: BundledExamples,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  get running(): boolean {
    return this.active !== undefined;
  }

  get runningModel(): string | undefined {
    return this.active?.modelPath;
  }

  get lastProgress(): EngineProgress | undefined {
    return this.active?.lastProgress;
  }

  cancel(): boolean {
    if (!this.active) return false;
    this.active.cancelled = true;
    this.output.info(`Cancelling the analysis of ${this.active.modelPath}`);
    this.active.engine.cancel();
    return true;
  }

  /**
   * The whole "Analyze SEIS" flow for one model. The user has been told the outcome when it returns.
   * Stored results change only when the run succeeds.
   */
  async analyze(modelPath: string): Promise<RunOutcome> {
    const example = this.examples.planFor(modelPath);
    const refused = this.refusal(modelPath);
    if (refused) return refused;
    let request: EngineRequest;
    try {
      request = example?.request ?? requestFor(modelPath, readSettings(vscode.Uri.file(modelPath)));
    } catch (err) {
      return this.fail(modelPath, err instanceof Error ? err.message : String(err), undefined, undefined);
    }
    const relevantSettings = this.results.relevantSettings(modelPath);
    await this.results.dropPartial(modelPath);
    const run = await this.runEngine(modelPath, request, `SEIS: analysing ${basename(modelPath)}`, true);
    if ('outcome' in run) return run.outcome;
    const { active, ended, seconds, pid } = run;

    // A result that lands in the instant between Cancel and the kill is dropped: the user asked to stop.
    if (active.cancelled) return this.finishCancelled(modelPath, seconds, active.partial, pid);
    if (ended.result) {
      const result = ended.result;
      await this.results.saveComplete(modelPath, result, relevantSettings);
      this.output.info(`Done in ${seconds} s: ${resultSummary(result)}`);
      for (const w of result.warnings) this.output.warn(w);
      const outcome: RunOutcome = { kind: 'done', result, pid };
      this.stateChanged.fire({ modelPath, running: false, outcome });
      return outcome;
    }
    return this.fail(modelPath, ended.error ?? 'unknown failure', active.partial, pid, ended.code);
  }

  /** Why no run of this model may start now (untrusted workspace, a run going), told to the user; else undefined. */
  private refusal(modelPath: string): RunOutcome | undefined {
    // The bundled examples are ours, not the workspace's: they run in an untrusted workspace too.
    if (!vscode.workspace.isTrusted && !this.examples.planFor(modelPath)) {
      const message = 'SEIS analysis is off in this untrusted workspace: analysing loads the model into onnxruntime, '
        + 'which parses and runs an arbitrary file. Trust the workspace to analyse; stored results can still be viewed.';
      void vscode.window.showWarningMessage(message, 'Manage Workspace Trust').then((pick) => {
        if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return { kind: 'refused', message };
    }
    if (this.active) {
      const message = `SEIS is already analysing ${basename(this.active.modelPath)}. Cancel it first (status bar or "SEIS: Cancel Analysis").`;
      void vscode.window.showWarningMessage(message);
      return { kind: 'refused', message };
    }
    return undefined;
  }

  /**
   * Starts the analysis child for `request` and waits for it under a cancellable progress
   * notification; the run is the active one meanwhile. `showPartials`: stream partial results to the views.
   */
  private async runEngine(modelPath: string, request: EngineRequest, title: string, showPartials: boolean): Promise<{ outcome: RunOutcome } | { active: ActiveRun; ended: EngineEnd; seconds: string; pid: number | undefined }> {
    this.output.info(`Analysing ${modelPath} with ${JSON.stringify(request)}`);
    let engine: EngineRun;
    try {
      engine = startEngine(request, {
        onProgress: (p) => this.onProgress(p),
        ...(showPartials ? { onPartial: (result: AnalysisResult) => this.onPartial(modelPath, result) } : {}),
        onLog: (text) => this.output.trace(`analysis process: ${text.trimEnd()}`),
      });
      this.output.info(`Analysis process ${engine.pid ?? '?'} started`);
    } catch (err) {
      return { outcome: this.fail(modelPath, err instanceof Error ? err.message : String(err), undefined, undefined) };
    }
    const active: ActiveRun = { modelPath, engine, startedAt: Date.now(), cancelled: false };
    this.active = active;
    this.stateChanged.fire({ modelPath, running: true });

    const ended = await vscode.window.withProgress<EngineEnd>(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => this.cancel());
        let lastFraction = 0;
        const sub = this.onDidChangeRunState((s) => {
          const p = s.progress;
          if (!p || s.modelPath !== modelPath) return;
          const fraction = Math.max(lastFraction, p.fraction);
          progress.report({ message: progressLine(p), increment: Math.max(0, (fraction - lastFraction) * 100) });
          lastFraction = fraction;
        });
        try {
          return { result: await engine.result };
        } catch (err) {
          return { error: err instanceof Error ? err.message : String(err), code: analysisErrorCode(err) };
        } finally {
          sub.dispose();
        }
      },
    );
    clearTimeout(active.partialTimer);
    this.active = undefined;
    return { active, ended, seconds: ((Date.now() - active.startedAt) / 1000).toFixed(1), pid: engine.pid };
  }

  /**
   * Canonical patterns for one layer and transform of the shown result, computed on demand: a run of
   * that layer alone with the shown run's settings. Its scores must equal the shown ones (else the
   * model changed, and the patterns are refused); then the patterns join the shown result (and the
   * stored one, when it is that same run). Anything else leaves the shown result as it was.
   */
  async computePatterns(modelPath: string, layerName: string, transformId: string): Promise<RunOutcome> {
    const shown = await this.results.latest(modelPath);
    const refused = this.refusal(modelPath);
    if (refused) return refused;
    const problem = shown ? patternsRefusal(shown.result, layerName, transformId) : `no results of ${basename(modelPath)} are shown.`;
    if (!shown || problem) return this.refuse(`SEIS cannot compute patterns for ${layerName}: ${problem}`);
    const pairs = readSettings(vscode.Uri.file(modelPath)).patterns || ANALYSIS_OPTIONS.patterns.extensionDefault;
    const run = await this.runEngine(modelPath, patternsRequest(shown.result, layerName, transformId, pairs), `SEIS: patterns of ${layerName} under ${transformId}`, false);
    if ('outcome' in run) return run.outcome;
    const { active, ended, seconds, pid } = run;
    if (active.cancelled) {
      const outcome: RunOutcome = { kind: 'cancelled', pid };
      this.output.info(`Patterns of ${layerName} cancelled after ${seconds} s; the shown results are unchanged.`);
      this.stateChanged.fire({ modelPath, running: false, outcome });
      return outcome;
    }
    if (!ended.result) return this.fail(modelPath, ended.error ?? 'unknown failure', undefined, pid, ended.code);
    // The shown results may have been replaced while the run went on: merge into what is shown now.
    const current = this.results.get(modelPath) ?? shown;
    if (current.result.createdAt !== shown.result.createdAt) return this.fail(modelPath, 'the shown results changed while the patterns were computed; ask for them again.', undefined, pid);
    const merged = mergePatterns(current.result, ended.result, layerName, transformId);
    if ('problem' in merged) return this.fail(modelPath, `no patterns merged: ${merged.problem}`, undefined, pid);
    const stored = await this.results.completeShown(modelPath, current, merged.result);
    this.output.info(`Patterns of ${layerName} under ${transformId} computed in ${seconds} s${stored ? ' and stored' : ' (shown only: the stored results are another run)'}.`);
    const outcome: RunOutcome = { kind: 'done', result: merged.result, pid };
    this.stateChanged.fire({ modelPath, running: false, outcome });
    return outcome;
  }

  private refuse(message: string): RunOutcome {
    this.output.warn(message);
    void vscode.window.showWarningMessage(message);
    return { kind: 'refused', message };
  }

  private finishCancelled(modelPath: string, seconds: string, partial: AnalysisResult | undefined, pid: number | undefined): RunOutcome {
    const kept = partial ? stoppedEarly(partial, 'cancelled', 'cancelled by the user') : undefined;
    const what = kept?.incomplete ? `the ${kept.incomplete.layersDone} of ${kept.incomplete.layersPlanned} layers scored so far are shown, marked incomplete; stored results are unchanged`
      : 'earlier results are unchanged';
    this.output.info(`Cancelled after ${seconds} s; ${what}.`);
    if (kept) this.results.showPartial(modelPath, kept);
    const outcome: RunOutcome = { kind: 'cancelled', pid };
    this.stateChanged.fire({ modelPath, running: false, outcome, keptPartial: kept !== undefined });
    void vscode.window.showInformationMessage(`SEIS: analysis of ${basename(modelPath)} cancelled; ${what}.`);
    return outcome;
  }

  private fail(modelPath: string, reason: string, partial: AnalysisResult | undefined, pid: number | undefined, code?: AnalysisErrorCode): RunOutcome {
    const message = `SEIS could not analyse ${basename(modelPath)}: ${reason}`;
    this.output.error(message);
    if (partial) this.results.showPartial(modelPath, stoppedEarly(partial, 'failed', reason));
    const outcome: RunOutcome = { kind: 'failed', message, ...(code ? { code } : {}), ...(pid !== undefined ? { pid } : {}) };
    this.stateChanged.fire({ modelPath, running: false, outcome, keptPartial: partial !== undefined });
    void showAnalysisError(message, code, () => this.output.show(true));
    return outcome;
  }

  private onProgress(p: EngineProgress): void {
    if (!this.active) return;
    this.active.lastProgress = p;
    this.output.debug(`progress: ${progressLine(p)}`);
    this.stateChanged.fire({ modelPath: this.active.modelPath, running: true, progress: p });
  }

  private onPartial(modelPath: string, result: AnalysisResult): void {
    const active = this.active;
    if (!active || active.modelPath !== modelPath || active.cancelled) return;
    const first = active.partial === undefined;
    active.partial = result;
    if (active.partialTimer) return;
    const show = (): void => {
      active.partialTimer = undefined;
      if (this.active !== active || active.cancelled || !active.partial) return;
      this.results.showPartial(modelPath, active.partial);
    };
    // The first layers appear at once; later ones are batched so big models do not rebuild the panel per layer.
    if (first) show();
    else active.partialTimer = setTimeout(show, PARTIAL_SHOW_INTERVAL_MS);
  }

  dispose(): void {
    this.cancel();
    this.stateChanged.dispose();
  }
}

/** The engine request for a model under the given settings (also the checkpoint series' shared request). */
export function requestFor(modelPath: string, s: SeisSettings): EngineRequest {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(modelPath))?.uri.fsPath ?? dirname(modelPath);
  const abs = (p: string): string => (isAbsolute(p) ? p : join(folder, p));
  if (s.probeSource === 'images' && !s.probeImagesFolder) throw new Error('seis.probes.source is "images" but seis.probes.imagesFolder is empty. Set the folder of probe images, or switch the source back to "builtin".');
  if (s.probeSource === 'npy' && !s.probeNpyFile) throw new Error('seis.probes.source is "npy" but seis.probes.npyFile is empty. Set the .npy file, or switch the source back to "builtin".');
  return {
    modelPath,
    probes: s.probeSource === 'images' ? { source: 'images', path: abs(s.probeImagesFolder), count: s.probeCount }
      : s.probeSource === 'npy' ? { source: 'npy', path: abs(s.probeNpyFile), count: s.probeCount }
        : { source: 'builtin', count: s.probeCount },
    transforms: s.transforms,
    layers: s.layers,
    batchSize: s.batchSize,
    maxPositions: s.maxPositions,
    nullPermutations: s.nullPermutations,
    executionProvider: s.executionProvider,
    patterns: s.patterns,
    sweeps: s.sweeps,
    intervals: s.intervals,
  };
}
