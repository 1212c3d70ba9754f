/**
 * The host's state and the analyse flow: which model is shown, its latest results (fresh or
 * stale), the selected layer and transform, and one analysis run at a time in a child process.
 * Views (panel, tree, decorations) listen to its events; none of them runs anything itself.
 */
import { basename, dirname, extname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../io/atomicWrite';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../shared/results';
import type { ExportFormat } from '../shared/webviewProtocol';
import { resultsToCsv } from '../shared/csv';
import { renderStandaloneReport } from '../report/standaloneHtml';
import { analysisErrorCode, startEngine, type AnalysisErrorCode, type EngineProgress, type EngineRequest, type EngineRun } from './engine';
import { BundledExamples } from './examples';
import { showAnalysisError } from './walkthrough';
import { stoppedEarly } from '../shared/incomplete';
import { defaultTransformId, resultSummary } from './format';
import { SeisPanel, type PanelHost } from './panel';
import { ResultsStore, hashFile, settingsKeyOf } from './resultsStore';
import { affectsAnalysis, analysisRelevantSettings, readSettings, type SeisSettings } from './settings';

export interface ShownResults {
  readonly modelPath: string;
  readonly result: AnalysisResult;
  readonly staleReason?: string;
}

export type RunOutcome =
  | { readonly kind: 'done'; readonly result: AnalysisResult }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'failed'; readonly message: string; readonly code?: AnalysisErrorCode }
  | { readonly kind: 'refused'; readonly message: string };

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

/** Views rebuild at most this often while partial results stream in. */
const PARTIAL_SHOW_INTERVAL_MS = 400;

export class SeisController implements PanelHost, vscode.Disposable {
  private readonly cache = new Map<string, ShownResults>();
  private readonly store: ResultsStore;
  /** The example tour's results: global storage, so they never land in (or depend on) a workspace. */
  private readonly exampleStore: ResultsStore;
  /** The bundled example models (src/host/examples.ts): their own plan, allowed without workspace trust. */
  readonly examples: BundledExamples;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statusItem: vscode.StatusBarItem;
  private active: ActiveRun | undefined;

  private readonly resultsChanged = new vscode.EventEmitter<ShownResults>();
  /** Results for a model appeared, changed, or became stale. */
  readonly onDidChangeResults = this.resultsChanged.event;
  private readonly selectionChanged = new vscode.EventEmitter<{ modelPath: string; layerName: string; source: 'tree' | 'panel' | 'editor' }>();
  readonly onDidChangeSelection = this.selectionChanged.event;
  private readonly transformChanged = new vscode.EventEmitter<string>();
  readonly onDidChangeTransform = this.transformChanged.event;
  private readonly runStateChanged = new vscode.EventEmitter<{ modelPath: string; running: boolean; progress?: EngineProgress }>();
  readonly onDidChangeRunState = this.runStateChanged.event;

  /** The model the tree and decorations follow: the last one analysed or shown. */
  currentModel: string | undefined;
  transformId: string | undefined;
  selectedLayer: string | undefined;
  /** Process id of the latest analysis child, for the log and the integration tests. */
  lastRunPid: number | undefined;
  /** Last user-facing error, for the integration tests (the notification itself is not readable there). */
  lastError: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
  ) {
    const storageRoot = context.storageUri ?? context.globalStorageUri;
    this.store = new ResultsStore(join(storageRoot.fsPath, 'results'));
    this.examples = new BundledExamples(context.extensionUri.fsPath, context.globalStorageUri.fsPath);
    this.exampleStore = new ResultsStore(this.examples.resultsDir);
    this.statusItem = vscode.window.createStatusBarItem('seis.status', vscode.StatusBarAlignment.Left, 20);
    this.statusItem.name = 'SEIS Lens';
    this.statusItem.command = 'seis.openPanel';
    this.disposables.push(this.statusItem, this.resultsChanged, this.selectionChanged, this.transformChanged, this.runStateChanged);
    // Results become stale when their model's bytes or the analysis settings change: re-check the
    // shown ones so the panel, tree and status bar say so without waiting for a reopen.
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.onnx', true, false, true);
    this.disposables.push(
      watcher,
      watcher.onDidChange((uri) => { if (this.cache.has(uri.fsPath)) void this.recheck([uri.fsPath]); }),
      vscode.workspace.onDidChangeConfiguration((e) => { if (affectsAnalysis(e)) void this.recheck([...this.cache.keys()]); }),
    );
  }

  get extensionUri(): vscode.Uri {
    return this.context.extensionUri;
  }

  get running(): boolean {
    return this.active !== undefined;
  }

  get runningModel(): string | undefined {
    return this.active?.modelPath;
  }

  log(message: string): void {
    this.output.info(message);
  }

  current(): ShownResults | undefined {
    return this.currentModel ? this.cache.get(this.currentModel) : undefined;
  }

  cached(modelPath: string): ShownResults | undefined {
    return this.cache.get(modelPath);
  }

  allCached(): ShownResults[] {
    return [...this.cache.values()];
  }

  /** Loads stored results of every model analysed in this workspace, for badges after a reload. */
  async loadStored(): Promise<void> {
    for (const { modelPath, entry } of await this.store.all()) {
      if (!this.cache.has(modelPath)) this.cache.set(modelPath, { modelPath, result: entry.result });
    }
    for (const shown of this.cache.values()) this.resultsChanged.fire(shown);
  }

  /**
   * Latest results for a model, checked against its current bytes and settings (PanelHost). A partial
   * result of this session's latest run (running, or kept after Cancel / a failure) wins over the
   * stored one until the next run of that model starts; it is never stored.
   */
  async resultsFor(modelPath: string): Promise<ShownResults | undefined> {
    const inMemory = this.cache.get(modelPath);
    if (inMemory?.result.incomplete) return inMemory;
    return this.storedResultsFor(modelPath);
  }

  /** The stored (complete) results of a model, ignoring any partial result shown. */
  async storedResultsFor(modelPath: string): Promise<ShownResults | undefined> {
    const example = this.examples.planFor(modelPath);
    let current: { modelSha256: string; settings: Readonly<Record<string, unknown>> } | undefined;
    try {
      current = { modelSha256: await hashFile(modelPath), settings: example?.relevantSettings ?? analysisRelevantSettings(readSettings(vscode.Uri.file(modelPath))) };
    } catch {
      // The model is gone or unreadable: still show what was computed, marked stale below.
    }
    const loaded = await (example ? this.exampleStore : this.store).load(modelPath, current);
    if (!loaded) {
      const cached = this.cache.get(modelPath);
      return cached?.result.incomplete ? undefined : cached;
    }
    const staleReason = current ? loaded.staleReason : 'the model file can no longer be read; these are the last stored results.';
    const shown: ShownResults = { modelPath, result: loaded.entry.result, staleReason };
    this.cache.set(modelPath, shown);
    return shown;
  }

  private async recheck(modelPaths: string[]): Promise<void> {
    for (const modelPath of modelPaths) {
      if (this.active?.modelPath === modelPath) continue;
      const before = this.cache.get(modelPath)?.staleReason;
      const shown = await this.resultsFor(modelPath);
      if (!shown || shown.staleReason === before) continue;
      this.resultsChanged.fire(shown);
      await SeisPanel.get(modelPath)?.showResults(shown.result, shown.staleReason);
    }
    this.updateStatus();
  }

  /** Makes a model the one the views follow, loading its stored results. */
  async show(modelPath: string): Promise<ShownResults | undefined> {
    const shown = await this.resultsFor(modelPath);
    this.currentModel = modelPath;
    if (shown) {
      if (!this.transformId || !shown.result.transforms.some((t) => t.id === this.transformId)) this.transformId = defaultTransformId(shown.result);
      this.resultsChanged.fire(shown);
      this.updateStatus();
    }
    return shown;
  }

  async openPanel(modelPath: string | undefined = this.currentModel, preserveFocus = false): Promise<SeisPanel | undefined> {
    if (!modelPath) {
      void vscode.window.showInformationMessage('SEIS: no analysed model yet. Right-click an .onnx file and pick "Analyze SEIS".');
      return undefined;
    }
    await this.show(modelPath);
    return SeisPanel.createOrShow(this, modelPath, preserveFocus);
  }

  selectLayer(modelPath: string, layerName: string, source: 'tree' | 'panel' | 'editor'): void {
    this.currentModel = modelPath;
    this.selectedLayer = layerName;
    if (source !== 'panel') SeisPanel.get(modelPath)?.selectLayer(layerName);
    this.selectionChanged.fire({ modelPath, layerName, source });
  }

  setTransform(transformId: string, fromPanel = false): void {
    if (this.transformId === transformId) return;
    this.transformId = transformId;
    if (!fromPanel) for (const p of SeisPanel.all()) p.setTransform(transformId);
    this.transformChanged.fire(transformId);
    this.updateStatus();
  }

  onLayerSelectedInWebview(modelPath: string, layerName: string): void {
    this.selectLayer(modelPath, layerName, 'panel');
  }

  onTransformChangedInWebview(_modelPath: string, transformId: string): void {
    this.setTransform(transformId, true);
  }

  async rerun(modelPath: string): Promise<void> {
    await this.analyze(modelPath);
  }

  cancel(): boolean {
    if (!this.active) return false;
    this.active.cancelled = true;
    this.log(`Cancelling the analysis of ${this.active.modelPath}`);
    this.active.engine.cancel();
    return true;
  }

  /**
   * The whole "Analyze SEIS" flow for one model. Never throws: the outcome says what happened and
   * the user has already been told. Stored results change only when the run succeeds.
   */
  async analyze(modelPath: string): Promise<RunOutcome> {
    const example = this.examples.planFor(modelPath);
    if (!vscode.workspace.isTrusted && !example) {
      const message = 'SEIS analysis is off in this untrusted workspace: analysing loads the model into onnxruntime, '
        + 'which parses and runs an arbitrary file. Trust the workspace to analyse; stored results can still be viewed.';
      this.lastError = message;
      void vscode.window.showWarningMessage(message, 'Manage Workspace Trust').then((pick) => {
        if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return { kind: 'refused', message };
    }
    if (this.active) {
      const message = `SEIS is already analysing ${basename(this.active.modelPath)}. Cancel it first (status bar or "SEIS: Cancel Analysis").`;
      this.lastError = message;
      void vscode.window.showWarningMessage(message);
      return { kind: 'refused', message };
    }
    const settings = readSettings(vscode.Uri.file(modelPath));
    let settingsError: string | undefined;
    let request: ReturnType<typeof this.requestFor> | undefined;
    try {
      request = example?.request ?? this.requestFor(modelPath, settings);
    } catch (err) {
      settingsError = err instanceof Error ? err.message : String(err);
    }
    if (!request || settingsError) {
      return this.reportFailure(modelPath, settingsError ?? 'invalid settings');
    }

    this.currentModel = modelPath;
    if (this.cache.get(modelPath)?.result.incomplete) {
      // A new run replaces the partial result of the previous one: back to the stored results.
      this.cache.delete(modelPath);
      const stored = await this.storedResultsFor(modelPath);
      if (stored) this.resultsChanged.fire(stored);
    }
    this.output.info(`Analysing ${modelPath} with ${JSON.stringify(request)}`);
    let engine: EngineRun;
    const run: Partial<ActiveRun> = { modelPath, startedAt: Date.now(), cancelled: false };
    try {
      engine = startEngine(request, {
        onProgress: (p) => this.onProgress(p),
        onPartial: (result) => this.onPartial(modelPath, result),
        onLog: (text) => this.output.trace(`analysis process: ${text.trimEnd()}`),
      });
      this.lastRunPid = engine.pid;
      this.output.info(`Analysis process ${engine.pid ?? '?'} started`);
    } catch (err) {
      return this.reportFailure(modelPath, err instanceof Error ? err.message : String(err));
    }
    this.active = { ...run, engine } as ActiveRun;
    const active = this.active;
    this.runStateChanged.fire({ modelPath, running: true });
    this.updateStatus();
    const panel = SeisPanel.get(modelPath);
    panel?.progress('Starting', 0, 0, 'running');

    const title = `SEIS: analysing ${basename(modelPath)}`;
    const outcome = await vscode.window.withProgress<RunOutcome>(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => this.cancel());
        let lastFraction = 0;
        const sub = this.onDidChangeRunState((s) => {
          const p = s.progress;
          if (!p || s.modelPath !== modelPath) return;
          const fraction = Math.max(lastFraction, p.fraction);
          progress.report({ message: progressText(p), increment: Math.max(0, (fraction - lastFraction) * 100) });
          lastFraction = fraction;
        });
        try {
          const result = await engine.result;
          return { kind: 'done', result } as RunOutcome;
        } catch (err) {
          if (active.cancelled) return { kind: 'cancelled' } as RunOutcome;
          return { kind: 'failed', message: err instanceof Error ? err.message : String(err), code: analysisErrorCode(err) } as RunOutcome;
        } finally {
          sub.dispose();
        }
      },
    );
    clearTimeout(active.partialTimer);
    this.active = undefined;
    this.runStateChanged.fire({ modelPath, running: false });
    const seconds = ((Date.now() - active.startedAt) / 1000).toFixed(1);

    if (outcome.kind === 'done' && active.cancelled) {
      // Finished in the instant between Cancel and the kill: the user asked to drop it, so drop it.
      return this.finishCancelled(modelPath, seconds, active.partial);
    }
    switch (outcome.kind) {
      case 'done': {
        const result = outcome.result;
        try {
          const modelSha256 = result.model.sha256 || (await hashFile(modelPath));
          const relevant = example?.relevantSettings ?? analysisRelevantSettings(settings);
          await (example ? this.exampleStore : this.store).save(modelPath, { modelSha256, settingsKey: settingsKeyOf(relevant), settings: relevant, savedAt: new Date().toISOString(), result });
        } catch (err) {
          this.output.warn(`Could not store the results of ${modelPath}: ${err instanceof Error ? err.message : String(err)}`);
        }
        const shown: ShownResults = { modelPath, result };
        this.cache.set(modelPath, shown);
        if (!this.transformId || !result.transforms.some((t) => t.id === this.transformId)) this.transformId = defaultTransformId(result);
        this.output.info(`Done in ${seconds} s: ${resultSummary(result, this.transformId)}`);
        for (const w of result.warnings) this.output.warn(w);
        this.lastError = undefined;
        this.resultsChanged.fire(shown);
        this.updateStatus();
        const open = SeisPanel.get(modelPath);
        if (open) {
          open.progress('Done', 1, 1, 'done');
          await open.showResults(result);
        } else if (!example) {
          // The example tour opens both examples in one panel itself.
          await this.openPanel(modelPath, true);
        }
        return outcome;
      }
      case 'cancelled':
        return this.finishCancelled(modelPath, seconds, active.partial);
      default: {
        const message = outcome.kind === 'failed' ? outcome.message : 'unknown failure';
        if (active.partial) await this.keepPartial(modelPath, stoppedEarly(active.partial, 'failed', message));
        return this.reportFailure(modelPath, message, outcome.kind === 'failed' ? outcome.code : undefined);
      }
    }
  }

  private async finishCancelled(modelPath: string, seconds: string, partial: AnalysisResult | undefined): Promise<RunOutcome> {
    const kept = partial ? stoppedEarly(partial, 'cancelled', 'cancelled by the user') : undefined;
    const what = kept?.incomplete ? `the ${kept.incomplete.layersDone} of ${kept.incomplete.layersPlanned} layers scored so far are shown, marked incomplete; stored results are unchanged`
      : 'earlier results are unchanged';
    this.output.info(`Cancelled after ${seconds} s; ${what}.`);
    if (kept) await this.keepPartial(modelPath, kept);
    SeisPanel.get(modelPath)?.progress('Cancelled', 0, 0, 'cancelled', kept ? undefined : 'Analysis cancelled; showing the previous results.');
    this.updateStatus('cancelled');
    void vscode.window.showInformationMessage(`SEIS: analysis of ${basename(modelPath)} cancelled; ${what}.`);
    return { kind: 'cancelled' };
  }

  /** Shows a partial result in every view (never stored: see ResultsStore.save). */
  private async keepPartial(modelPath: string, result: AnalysisResult): Promise<void> {
    const shown: ShownResults = { modelPath, result };
    this.cache.set(modelPath, shown);
    if (!this.transformId || !result.transforms.some((t) => t.id === this.transformId)) this.transformId = defaultTransformId(result);
    this.resultsChanged.fire(shown);
    const panel = SeisPanel.get(modelPath);
    if (panel) await panel.showResults(result);
    else if (this.active?.modelPath === modelPath && !this.examples.planFor(modelPath)) await this.openPanel(modelPath, true);
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
      void this.keepPartial(modelPath, active.partial);
    };
    // The first layers appear at once; later ones are batched so big models do not rebuild the panel per layer.
    if (first) show();
    else active.partialTimer = setTimeout(show, PARTIAL_SHOW_INTERVAL_MS);
  }

  private reportFailure(modelPath: string, message: string, code?: AnalysisErrorCode): RunOutcome {
    const text = `SEIS could not analyse ${basename(modelPath)}: ${message}`;
    this.lastError = text;
    this.output.error(text);
    const panel = SeisPanel.get(modelPath);
    panel?.progress('Failed', 0, 0, 'failed', message);
    panel?.showError(text);
    this.updateStatus('failed');
    void showAnalysisError(text, code, () => this.output.show(true));
    return { kind: 'failed', message, code };
  }

  private onProgress(p: EngineProgress): void {
    if (!this.active) return;
    this.active.lastProgress = p;
    this.output.debug(`progress: ${progressText(p)}`);
    SeisPanel.get(this.active.modelPath)?.progress(p.message, Math.round(p.fraction * 1000), 1000, 'running');
    this.runStateChanged.fire({ modelPath: this.active.modelPath, running: true, progress: p });
    this.updateStatus();
  }

  private requestFor(modelPath: string, s: SeisSettings): EngineRequest {
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
    };
  }

  private updateStatus(state?: 'failed' | 'cancelled'): void {
    const item = this.statusItem;
    if (this.active) {
      const p = this.active.lastProgress;
      // The status bar is shared: percentage and layer count only; the full line goes in the tooltip.
      const layer = p?.layer ? ` · layer ${p.layer.index}/${p.layer.count}` : '';
      item.text = `$(sync~spin) SEIS ${p ? `${Math.round(p.fraction * 100)}%${layer}` : 'starting'}`;
      item.tooltip = `Analysing ${this.active.modelPath}${p ? `\n${p.message}` : ''}\nClick to open the results panel; cancel from the notification or "SEIS: Cancel Analysis".`;
      item.show();
      return;
    }
    const shown = this.current();
    if (state === 'failed') {
      item.text = '$(error) SEIS failed';
      item.tooltip = this.lastError ?? 'The last analysis failed; see the SEIS output channel.';
    } else if (shown) {
      item.text = `$(pulse) SEIS ${basename(shown.modelPath)}${shown.staleReason ? ' (stale)' : ''}${state === 'cancelled' ? ' · cancelled' : ''}`;
      item.tooltip = `${resultSummary(shown.result, this.transformId)}${shown.staleReason ? `\nStale: ${shown.staleReason}` : ''}\nClick to open the results panel.`;
    } else {
      item.hide();
      return;
    }
    item.show();
  }

  /** Writes results in the requested format next to the model (after asking where). */
  async exportResults(modelPath: string, format: ExportFormat, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const shown = this.cache.get(modelPath) ?? (await this.resultsFor(modelPath));
    if (!shown) {
      void vscode.window.showWarningMessage(`SEIS: nothing to export for ${basename(modelPath)} yet. Run "Analyze SEIS" first.`);
      return undefined;
    }
    const stem = basename(modelPath, extname(modelPath));
    const uri = target ?? (await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(dirname(modelPath), `${stem}.seis.${format}`)),
      filters: { [format.toUpperCase()]: [format] },
      title: `Export SEIS results as ${format.toUpperCase()}`,
    }));
    if (!uri) return undefined;
    try {
      const bytes = await this.renderExport(shown, format);
      writeFileAtomic(uri.fsPath, bytes);
      this.output.info(`Exported ${format.toUpperCase()} to ${uri.fsPath}`);
      if (!target) {
        void vscode.window.showInformationMessage(`SEIS: exported ${basename(uri.fsPath)}.`, 'Reveal').then((pick) => {
          if (pick) void vscode.commands.executeCommand('revealFileInOS', uri);
        });
      }
      return uri;
    } catch (err) {
      const text = `SEIS could not export ${format.toUpperCase()} to ${uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`;
      this.lastError = text;
      this.output.error(text);
      void vscode.window.showErrorMessage(text);
      return undefined;
    }
  }

  private async renderExport(shown: ShownResults, format: ExportFormat): Promise<Uint8Array | string> {
    switch (format) {
      case 'json':
        return `${JSON.stringify(shown.result, null, 2)}\n`;
      case 'csv':
        return resultsToCsv(shown.result);
      case 'html': {
        return renderStandaloneReport([shown.result], {
          title: `SEIS: ${shown.result.model.fileName}`,
          bundleDir: join(this.context.extensionUri.fsPath, 'dist', 'webview'),
        });
      }
      case 'png': {
        const panel = await this.openPanel(shown.modelPath, true);
        if (!panel) throw new Error('the results panel could not be opened');
        const url = await panel.requestPng('overview');
        const m = /^data:image\/png;base64,(.+)$/.exec(url);
        if (!m) throw new Error('the panel answered with something that is not a PNG data URL');
        return Buffer.from(m[1]!, 'base64');
      }
    }
  }

  dispose(): void {
    this.cancel();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function progressText(p: EngineProgress): string {
  return `${Math.round(p.fraction * 100)}% ${p.message}`;
}
