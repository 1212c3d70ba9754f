/**
 * The results every view shows, one entry per model: the stored (complete) results checked against
 * the model's current bytes and analysis settings (fresh or stale), or the partial result of this
 * session's latest run. The only writer of the store. Views (tree, decorations, panels, status bar)
 * subscribe to onDidChange; none of them loads or stores anything itself.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../shared/results';
import type { BundledExamples } from './examplePlan';
import { ResultsStore, hashFile, settingsKeyOf } from './resultsStore';
import { affectsAnalysis, analysisRelevantSettings, readSettings } from './settings';

export interface ShownResults {
  readonly modelPath: string;
  readonly result: AnalysisResult;
  readonly staleReason?: string;
}

export class ResultsRepository implements vscode.Disposable {
  private readonly shown = new Map<string, ShownResults>();
  private readonly store: ResultsStore;
  /** The example tour's results: global storage, so they never land in (or depend on) a workspace. */
  private readonly exampleStore: ResultsStore;
  private readonly changed = new vscode.EventEmitter<ShownResults>();
  /** Results for a model appeared, changed (a new run, a partial result), or became stale or fresh. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  /**
   * @param storageDir where the store keeps its files (the extension's workspace storage).
   * @param examples the bundled example models, whose results have their own store and settings.
   * @param isRunning the model has a run going: its results are about to change, so no recheck.
   */
  constructor(
    storageDir: string,
    private readonly examples: BundledExamples,
    private readonly isRunning: (modelPath: string) => boolean,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.store = new ResultsStore(join(storageDir, 'results'));
    this.exampleStore = new ResultsStore(examples.resultsDir);
    // Results become stale when their model's bytes or the analysis settings change: re-check the
    // shown ones so every view says so without waiting for a reopen.
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.onnx', true, false, true);
    this.disposables.push(
      watcher,
      watcher.onDidChange((uri) => { if (this.shown.has(uri.fsPath)) void this.recheck([uri.fsPath]); }),
      vscode.workspace.onDidChangeConfiguration((e) => { if (affectsAnalysis(e)) void this.recheck([...this.shown.keys()]); }),
    );
  }

  /** What is shown for a model now, without touching the disk. */
  get(modelPath: string): ShownResults | undefined {
    return this.shown.get(modelPath);
  }

  all(): ShownResults[] {
    return [...this.shown.values()];
  }

  /** Tells the views about a model's results again (e.g. it became the model they follow). */
  announce(modelPath: string): void {
    const shown = this.shown.get(modelPath);
    if (shown) this.changed.fire(shown);
  }

  /** Loads stored results of every model analysed in this workspace, for badges after a reload. */
  async loadStored(): Promise<void> {
    for (const { modelPath, entry } of await this.store.all()) {
      if (!this.shown.has(modelPath)) this.shown.set(modelPath, { modelPath, result: entry.result });
    }
    for (const shown of this.shown.values()) this.changed.fire(shown);
  }

  /**
   * Latest results for a model. A partial result of this session's latest run (running, or kept after
   * Cancel or a failure) wins over the stored one until the next run of that model starts.
   */
  async latest(modelPath: string): Promise<ShownResults | undefined> {
    const inMemory = this.shown.get(modelPath);
    if (inMemory?.result.incomplete) return inMemory;
    return this.stored(modelPath);
  }

  /** The stored (complete) results of a model, checked against its current bytes and settings. */
  async stored(modelPath: string): Promise<ShownResults | undefined> {
    let current: { modelSha256: string; settings: Readonly<Record<string, unknown>> } | undefined;
    try {
      current = { modelSha256: await hashFile(modelPath), settings: this.relevantSettings(modelPath) };
    } catch {
      // The model is gone or unreadable: still show what was computed, marked stale below.
    }
    const loaded = await this.storeFor(modelPath).load(modelPath, current);
    if (!loaded) {
      const inMemory = this.shown.get(modelPath);
      return inMemory?.result.incomplete ? undefined : inMemory;
    }
    const staleReason = current ? loaded.staleReason : 'the model file can no longer be read; these are the last stored results.';
    const inMemory = this.shown.get(modelPath);
    // The same stored run read again keeps its object, so views can tell "unchanged" by identity.
    if (inMemory && !inMemory.result.incomplete && inMemory.result.createdAt === loaded.entry.result.createdAt && inMemory.staleReason === staleReason) return inMemory;
    const shown: ShownResults = { modelPath, result: loaded.entry.result, staleReason };
    if (!inMemory?.result.incomplete) this.shown.set(modelPath, shown);
    return shown;
  }

  /**
   * Stores a finished run's result (the store itself refuses partial ones) and shows it.
   * @param relevant the settings the run was started with (relevantSettings at its start).
   */
  async saveComplete(modelPath: string, result: AnalysisResult, relevant: Readonly<Record<string, unknown>>): Promise<ShownResults> {
    try {
      const modelSha256 = result.model.sha256 || (await hashFile(modelPath));
      await this.storeFor(modelPath).save(modelPath, { modelSha256, settingsKey: settingsKeyOf(relevant), settings: relevant, savedAt: new Date().toISOString(), result });
    } catch (err) {
      this.output.warn(`Could not store the results of ${modelPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return this.set({ modelPath, result });
  }

  /**
   * Replaces the shown result of a model by the same run completed with more detail (patterns
   * computed on demand), keeping its staleness. The stored result is rewritten too when it is that
   * same run of the model's current bytes and settings; true when it was.
   */
  async completeShown(modelPath: string, before: ShownResults, after: AnalysisResult): Promise<boolean> {
    let stored = false;
    try {
      const current = { modelSha256: await hashFile(modelPath), settings: this.relevantSettings(modelPath) };
      const loaded = await this.storeFor(modelPath).load(modelPath, current);
      if (loaded && !loaded.staleReason && loaded.entry.result.createdAt === before.result.createdAt) {
        await this.storeFor(modelPath).save(modelPath, { ...loaded.entry, result: after });
        stored = true;
      }
    } catch (err) {
      this.output.warn(`Could not store the computed patterns of ${modelPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.set({ modelPath, result: after, ...(before.staleReason ? { staleReason: before.staleReason } : {}) });
    return stored;
  }

  /** Shows a partial result; it lives in memory only. */
  showPartial(modelPath: string, result: AnalysisResult): ShownResults {
    return this.set({ modelPath, result });
  }

  /** A new run replaces the previous run's partial result: back to the stored results, if any. */
  async dropPartial(modelPath: string): Promise<void> {
    if (!this.shown.get(modelPath)?.result.incomplete) return;
    this.shown.delete(modelPath);
    const stored = await this.stored(modelPath);
    if (stored) this.changed.fire(stored);
  }

  /** What a stored result is keyed by: the example plan's fixed settings, or the user's analysis settings. */
  relevantSettings(modelPath: string): Readonly<Record<string, unknown>> {
    return this.examples.planFor(modelPath)?.relevantSettings ?? analysisRelevantSettings(readSettings(vscode.Uri.file(modelPath)));
  }

  private storeFor(modelPath: string): ResultsStore {
    return this.examples.planFor(modelPath) ? this.exampleStore : this.store;
  }

  private set(shown: ShownResults): ShownResults {
    this.shown.set(shown.modelPath, shown);
    this.changed.fire(shown);
    return shown;
  }

  private async recheck(modelPaths: string[]): Promise<void> {
    for (const modelPath of modelPaths) {
      if (this.isRunning(modelPath)) continue;
      const before = this.shown.get(modelPath)?.staleReason;
      const shown = await this.latest(modelPath);
      if (shown && shown.staleReason !== before) this.changed.fire(shown);
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
