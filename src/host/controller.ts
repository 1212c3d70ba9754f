/**
 * The host's composition and its view state: which model the views follow, the selected layer and
 * transform. The work is done by its parts, each with one job: ResultsRepository (what is shown,
 * the store), RunService (one analysis at a time), ResultsExporter (files), StatusView (status bar),
 * PanelManager (the webviews). Views (panels, tree, decorations) listen to events; none of them
 * runs or stores anything itself.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExportFormat } from '../shared/webviewProtocol';
import type { NodeDataOptions } from '../shared/nodeData';
import type { SeriesResult } from '../shared/results';
import { BundledExamples } from './examplePlan';
import { ResultsExporter } from './exporter';
import { defaultTransformId } from './format';
import { PanelManager, type PanelHost, type SeisPanel } from './panel';
import { ResultsRepository, type ShownResults } from './resultsRepository';
import { RunService, type RunOutcome } from './runService';
import { StatusView } from './statusView';

export type { ShownResults } from './resultsRepository';
export type { RunOutcome } from './runService';

export type SelectionSource = 'tree' | 'panel' | 'editor';

export class SeisController implements vscode.Disposable {
  /** The bundled example models (src/host/examples.ts): their own plan, allowed without workspace trust. */
  readonly examples: BundledExamples;
  readonly results: ResultsRepository;
  readonly runs: RunService;
  readonly panels: PanelManager;
  private readonly exporter: ResultsExporter;
  private readonly status: StatusView;
  private readonly disposables: vscode.Disposable[] = [];
  /** Models whose panel is being opened, so two events do not open two panels. */
  private readonly opening = new Set<string>();

  private readonly selectionChanged = new vscode.EventEmitter<{ modelPath: string; layerName: string; source: SelectionSource }>();
  readonly onDidChangeSelection = this.selectionChanged.event;
  private readonly transformChanged = new vscode.EventEmitter<{ transformId: string; source: 'panel' | 'host' }>();
  readonly onDidChangeTransform = this.transformChanged.event;

  /** Stops a running checkpoint series (src/host/series.ts), so "SEIS: Cancel Analysis" reaches it too. */
  cancelSeries: (() => boolean) | undefined;
  /** The latest checkpoint series each model belongs to (src/host/series.ts): the inspector's trajectory tooltip. */
  readonly seriesByModel = new Map<string, SeriesResult>();
  /** The model the tree and decorations follow: the last one analysed or shown. */
  currentModel: string | undefined;
  transformId: string | undefined;
  selectedLayer: string | undefined;

  constructor(private readonly context: vscode.ExtensionContext, readonly output: vscode.LogOutputChannel) {
    const storageRoot = context.storageUri ?? context.globalStorageUri;
    this.examples = new BundledExamples(context.extensionUri.fsPath, context.globalStorageUri.fsPath);
    this.results = new ResultsRepository(storageRoot.fsPath, this.examples, (modelPath) => this.runs.runningModel === modelPath, output);
    this.runs = new RunService(this.results, this.examples, output);
    const panelHost: PanelHost = {
      extensionUri: context.extensionUri,
      resultsFor: (modelPath) => this.results.latest(modelPath),
      onLayerSelectedInWebview: (modelPath, layerName) => this.selectLayer(modelPath, layerName, 'panel'),
      onTransformChangedInWebview: (_modelPath, transformId) => this.setTransform(transformId, 'panel'),
      exportResults: (modelPath, format) => this.exportResults(modelPath, format),
      rerun: async (modelPath) => { await this.analyze(modelPath); },
      computePatterns: (modelPath, layerName, transformId) => this.computePatterns(modelPath, layerName, transformId),
      log: (message) => output.info(message),
      trace: (message) => output.trace(message),
      reportError: (message) => {
        output.error(message);
        void vscode.window.showErrorMessage(message);
      },
    };
    this.panels = new PanelManager(panelHost, {
      onDidChangeResults: this.results.onDidChange,
      onDidChangeSelection: this.onDidChangeSelection,
      onDidChangeTransform: this.onDidChangeTransform,
      onDidChangeRunState: this.runs.onDidChangeRunState,
    });
    this.exporter = new ResultsExporter(this.results, (modelPath) => this.panelPng(modelPath), join(context.extensionUri.fsPath, 'dist', 'webview'), output);
    this.status = new StatusView(this);
    this.disposables.push(
      this.results, this.runs, this.panels, this.status, this.selectionChanged, this.transformChanged,
      // Subscribed before any view, so the transform is valid by the time they redraw.
      this.results.onDidChange((shown) => {
        if (shown.modelPath === this.currentModel) this.keepTransformValid(shown);
        // The first partial result of a run opens its panel, as the finished result does.
        if (this.runs.runningModel === shown.modelPath) this.ensurePanel(shown.modelPath);
        this.status.render();
      }),
      this.runs.onDidChangeRunState((s) => {
        if (s.outcome?.kind === 'done') this.ensurePanel(s.modelPath);
        this.status.onRunState(s);
      }),
      this.transformChanged.event(() => this.status.render()),
    );
  }

  get extensionUri(): vscode.Uri {
    return this.context.extensionUri;
  }

  get running(): boolean {
    return this.runs.running;
  }

  get runningModel(): string | undefined {
    return this.runs.runningModel;
  }

  /** Results for a model appeared, changed, or became stale. */
  get onDidChangeResults(): vscode.Event<ShownResults> {
    return this.results.onDidChange;
  }

  get onDidChangeRunState(): RunService['onDidChangeRunState'] {
    return this.runs.onDidChangeRunState;
  }

  log(message: string): void {
    this.output.info(message);
  }

  current(): ShownResults | undefined {
    return this.currentModel ? this.results.get(this.currentModel) : undefined;
  }

  cached(modelPath: string): ShownResults | undefined {
    return this.results.get(modelPath);
  }

  allCached(): ShownResults[] {
    return this.results.all();
  }

  loadStored(): Promise<void> {
    return this.results.loadStored();
  }

  /** Latest results for a model (a partial result of this session's run, else the stored ones). */
  resultsFor(modelPath: string): Promise<ShownResults | undefined> {
    return this.results.latest(modelPath);
  }

  /** The stored (complete) results of a model, whatever is shown. */
  storedResultsFor(modelPath: string): Promise<ShownResults | undefined> {
    return this.results.stored(modelPath);
  }

  /** Makes a model the one the views follow, loading its latest results. */
  async show(modelPath: string): Promise<ShownResults | undefined> {
    const shown = await this.results.latest(modelPath);
    this.currentModel = modelPath;
    if (shown) this.results.announce(modelPath);
    this.status.render();
    return shown;
  }

  async openPanel(modelPath: string | undefined = this.currentModel, preserveFocus = false): Promise<SeisPanel | undefined> {
    if (!modelPath) {
      void vscode.window.showInformationMessage('SEIS: no analysed model yet. Right-click an .onnx file and pick "Analyze SEIS".');
      return undefined;
    }
    await this.show(modelPath);
    return this.panels.createOrShow(modelPath, preserveFocus);
  }

  selectLayer(modelPath: string, layerName: string, source: SelectionSource): void {
    this.currentModel = modelPath;
    this.selectedLayer = layerName;
    this.selectionChanged.fire({ modelPath, layerName, source });
  }

  setTransform(transformId: string, source: 'panel' | 'host' = 'host'): void {
    if (this.transformId === transformId) return;
    this.transformId = transformId;
    this.transformChanged.fire({ transformId, source });
  }

  analyze(modelPath: string): Promise<RunOutcome> {
    this.currentModel = modelPath;
    return this.runs.analyze(modelPath);
  }

  /** What the panel's "Compute patterns for this layer" button runs (src/host/patternsOnDemand.ts). */
  computePatterns(modelPath: string, layerName: string, transformId: string): Promise<RunOutcome> {
    return this.runs.computePatterns(modelPath, layerName, transformId);
  }

  cancel(): boolean {
    return this.runs.cancel() || (this.cancelSeries?.() ?? false);
  }

  exportResults(modelPath: string, format: ExportFormat, target?: vscode.Uri, nodeData?: NodeDataOptions): Promise<vscode.Uri | undefined> {
    return this.exporter.export(modelPath, format, target, nodeData, this.transformId);
  }

  private async panelPng(modelPath: string): Promise<string> {
    const panel = await this.openPanel(modelPath, true);
    if (!panel) throw new Error('the results panel could not be opened');
    return panel.requestPng('overview');
  }

  private keepTransformValid(shown: ShownResults): void {
    if (this.transformId && shown.result.transforms.some((t) => t.id === this.transformId)) return;
    this.transformId = defaultTransformId(shown.result);
  }

  private ensurePanel(modelPath: string): void {
    // The example tour opens both examples in one panel itself.
    if (this.panels.get(modelPath) || this.opening.has(modelPath) || this.examples.planFor(modelPath)) return;
    this.opening.add(modelPath);
    void this.openPanel(modelPath, true).finally(() => this.opening.delete(modelPath));
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
