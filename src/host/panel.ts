/**
 * Host side of the results webview: one panel per model, opened beside the model, strict CSP with a
 * per-load nonce, resources only from dist/webview and media, typed messages both ways
 * (src/shared/webviewProtocol.ts). PanelManager owns the panels (and the serializer that restores
 * them after a reload) and keeps them in step with the host by subscribing to its events, as the tree
 * does; a panel itself only feeds its webview and forwards what the user does there.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult, SeriesResult } from '../shared/results';
import { checkpointResult } from '../shared/seriesParts';
import { RequestChannel } from '../shared/channel';
import {
  isWebviewPersistedState,
  isWebviewToHostMessage,
  handshakeProblem,
  type ExportFormat,
  type HostRequest,
  type HostRequestReplies,
  type HostToWebviewMessage,
  type PngChart,
  type ReadyMessage,
} from '../shared/webviewProtocol';
import type { ShownResults } from './resultsRepository';
import type { RunOutcome, RunState } from './runService';

export const PANEL_VIEW_TYPE = 'seis.results';

/** What the panels need from the rest of the host; implemented by the controller. */
export interface PanelHost {
  readonly extensionUri: vscode.Uri;
  /** Latest results for a model (fresh, stale or partial), loading them from storage if needed. */
  resultsFor(modelPath: string): Promise<{ result: AnalysisResult; staleReason?: string } | undefined>;
  onLayerSelectedInWebview(modelPath: string, layerName: string): void;
  onTransformChangedInWebview(modelPath: string, transformId: string): void;
  exportResults(modelPath: string, format: ExportFormat): Promise<unknown>;
  rerun(modelPath: string): Promise<void>;
  /** Canonical patterns for one layer and transform of a model's shown results, computed on demand. */
  computePatterns(modelPath: string, layerName: string, transformId: string): Promise<RunOutcome>;
  log(message: string): void;
  trace(message: string): void;
  /** Tells the user (a notification) and logs it. */
  reportError(message: string): void;
}

/** Host events the panels follow. */
export interface PanelEvents {
  readonly onDidChangeResults: vscode.Event<ShownResults>;
  readonly onDidChangeSelection: vscode.Event<{ readonly modelPath: string; readonly layerName: string; readonly source: 'tree' | 'panel' | 'editor' }>;
  readonly onDidChangeTransform: vscode.Event<{ readonly transformId: string; readonly source: 'panel' | 'host' }>;
  readonly onDidChangeRunState: vscode.Event<RunState>;
}

const PNG_TIMEOUT_MS = 15_000;

/** A stored series found again for a restored panel: its panel key and title (src/host/series.ts). */
export interface RestoredSeries {
  readonly key: string;
  readonly series: SeriesResult;
  readonly title: string;
}

/** The open panels, one per model; they follow the host's events. */
export class PanelManager implements vscode.Disposable {
  private readonly panels = new Map<string, SeisPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Finds the stored series of these checkpoint files (set by CheckpointSeries); undefined when none is stored. */
  findStoredSeries: ((checkpointPaths: readonly string[]) => Promise<RestoredSeries | undefined>) | undefined;

  constructor(private readonly host: PanelHost, events: PanelEvents) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state) => {
          const modelPaths = isWebviewPersistedState(state) ? state.modelPaths.filter(Boolean) : [];
          if (modelPaths.length === 0) {
            // Nothing to restore into (state from another version): close instead of showing an empty panel.
            panel.dispose();
            return;
          }
          const seriesPaths = isWebviewPersistedState(state) ? state.seriesPaths ?? [] : [];
          if (seriesPaths.length > 0) {
            await this.restoreSeries(panel, seriesPaths);
            return;
          }
          const guide = isWebviewPersistedState(state) && typeof state.guide === 'string' ? state.guide : undefined;
          await this.adopt(panel, modelPaths, guide).refresh();
        },
      }),
      events.onDidChangeResults((shown) => {
        for (const panel of this.panels.values()) {
          if (!panel.modelPaths.includes(shown.modelPath) || panel.isShowing(shown)) continue;
          // A comparison reloads all its models; a single-model panel takes the new result as is.
          if (panel.modelPaths.length > 1) void panel.refresh();
          else void panel.showResults(shown.result, shown.staleReason);
        }
      }),
      events.onDidChangeSelection((e) => { if (e.source !== 'panel') this.panels.get(e.modelPath)?.selectLayer(e.layerName); }),
      events.onDidChangeTransform((e) => { if (e.source !== 'panel') for (const p of this.panels.values()) p.setTransform(e.transformId); }),
      events.onDidChangeRunState((s) => this.panels.get(s.modelPath)?.followRun(s)),
    );
  }

  get(modelPath: string): SeisPanel | undefined {
    return this.panels.get(modelPath);
  }

  /** Shows the model's panel (creating it beside the active editor) and loads its latest results. */
  async createOrShow(modelPath: string, preserveFocus = false): Promise<SeisPanel> {
    const existing = this.panels.get(modelPath);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      return existing;
    }
    const created = this.adopt(vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      `SEIS: ${basename(modelPath)}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      webviewOptions(this.host.extensionUri),
    ), [modelPath]);
    await created.refresh();
    return created;
  }

  /** One panel showing several models side by side (their latest results), with an optional guide paragraph. */
  async showComparison(modelPaths: readonly string[], title: string, guide?: string): Promise<SeisPanel> {
    let shown = this.panels.get(panelKey(modelPaths));
    if (shown) {
      shown.guide = guide;
      shown.panel.reveal();
    } else {
      shown = this.adopt(vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active }, webviewOptions(this.host.extensionUri)), modelPaths, guide);
    }
    await shown.refresh();
    return shown;
  }

  /**
   * A checkpoint series in its own panel (keyed by its files, src/host/series.ts): the series view
   * above the details of its last analysed checkpoint. `preserveFocus` while a run updates it.
   */
  async showSeries(key: string, series: SeriesResult, title: string, preserveFocus = false): Promise<SeisPanel> {
    let shown = this.panels.get(key);
    if (shown) shown.panel.reveal(undefined, preserveFocus);
    else shown = this.adopt(vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus }, webviewOptions(this.host.extensionUri)), [key]);
    await shown.showSeries(series);
    return shown;
  }

  /**
   * A series panel after a reload: the stored series of the same files and settings, else the panel
   * closes with a message (never one checkpoint posing as the series, under the series' title).
   */
  private async restoreSeries(webviewPanel: vscode.WebviewPanel, checkpointPaths: readonly string[]): Promise<void> {
    let found: RestoredSeries | undefined;
    try {
      found = await this.findStoredSeries?.(checkpointPaths);
    } catch (err) {
      this.host.log(`Could not restore the series panel: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!found || this.panels.has(found.key)) {
      webviewPanel.dispose();
      if (found) return;
      const message = `SEIS: the panel of a series of ${checkpointPaths.length} checkpoints was closed after the reload: no stored series matches its files and settings (it was incomplete, or they changed). Run "Analyze SEIS Across Checkpoints" again to see it.`;
      this.host.log(message);
      void vscode.window.showInformationMessage(message);
      return;
    }
    webviewPanel.title = found.title;
    await this.adopt(webviewPanel, [found.key]).showSeries(found.series);
  }

  private adopt(webviewPanel: vscode.WebviewPanel, modelPaths: readonly string[], guide?: string): SeisPanel {
    const key = panelKey(modelPaths);
    const panel = new SeisPanel(webviewPanel, modelPaths, this.host, () => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
    }, guide);
    this.panels.set(key, panel);
    panel.onDidPost((m) => this.host.trace(`panel ${modelPaths.map((p) => basename(p)).join(' · ')} ← ${m.type}`));
    return panel;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** A single-model panel is keyed by its path, so `get(modelPath)` finds it; a comparison by all its paths. */
function panelKey(modelPaths: readonly string[]): string {
  return modelPaths.join('\n');
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    // Charts are costly to rebuild and the webview keeps its own state: keep it alive when hidden.
    retainContextWhenHidden: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export class SeisPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readyResolve!: () => void;
  /** Resolves when the webview has posted `ready`; nothing is sent before (it would be lost). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.readyResolve = resolve));
  private isReady = false;
  private disposed = false;
  private readonly requests = new RequestChannel<HostRequest, HostRequestReplies>(
    (m) => this.post(m),
    PNG_TIMEOUT_MS,
    () => `The SEIS panel did not answer the PNG export within ${PNG_TIMEOUT_MS / 1000} s. Make sure the panel shows results, then try again.`,
  );
  /** Set when the webview speaks another protocol version (see onReady). */
  private mismatch: string | undefined;
  private pendingSelection: string | undefined;
  /** What the webview was last told to show. */
  private shown: { readonly results: readonly AnalysisResult[]; readonly staleReason?: string; readonly guide?: string } | undefined;
  /** The first (for a single-model panel, the only) model shown: exports and re-runs act on it. */
  readonly modelPath: string;
  private readonly posted = new vscode.EventEmitter<HostToWebviewMessage>();
  /** Every message sent to the webview (traced in the log). */
  readonly onDidPost = this.posted.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly modelPaths: readonly string[],
    private readonly host: PanelHost,
    private readonly onDisposed: () => void,
    /** One paragraph shown above the heatmaps (the example tour). */
    public guide?: string,
  ) {
    this.modelPath = modelPaths[0]!;
    panel.webview.options = webviewOptions(host.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'seis.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      this.posted,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
    );
  }

  /** The checkpoint series this panel shows (series panels only). */
  private series: SeriesResult | undefined;

  get shownSeries(): SeriesResult | undefined {
    return this.series;
  }

  async showSeries(series: SeriesResult): Promise<void> {
    this.series = series;
    const analysed = series.checkpoints.map((c, i) => (c.failed ? -1 : i)).filter((i) => i >= 0);
    await this.send([checkpointResult(series, analysed.at(-1) ?? 0)]);
  }

  /** The results (in model order), stale reason and guide the webview shows now. */
  get shownResults(): { readonly results: readonly AnalysisResult[]; readonly staleReason?: string; readonly guide?: string } | undefined {
    return this.shown;
  }

  /** A single-model panel already showing exactly this. */
  isShowing(shown: ShownResults): boolean {
    return this.modelPaths.length === 1 && this.shown?.results[0] === shown.result && this.shown.staleReason === shown.staleReason;
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.host.extensionUri, 'dist', 'webview', 'main.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.host.extensionUri, 'dist', 'webview', 'main.css'));
    // No inline script or style without the nonce, no remote anything; images only as data URLs
    // (chart exports) or from the extension. style-src keeps 'unsafe-inline' out: chart.js and the
    // web components style through the CSSOM, which CSP does not restrict.
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${style}">
<title>SEIS: ${escapeHtml(basename(this.modelPath))}</title>
</head>
<body>
<div id="app" data-host="vscode"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  /** Sends the latest (possibly stale) results; called after `ready` and whenever results change. */
  async refresh(): Promise<void> {
    if (this.series) {
      await this.showSeries(this.series);
      return;
    }
    const loaded = (await Promise.all(this.modelPaths.map((p) => this.host.resultsFor(p)))).filter((l) => l !== undefined);
    if (loaded.length === 0) return;
    await this.send(loaded.map((l) => l.result), loaded.find((l) => l.staleReason)?.staleReason);
  }

  async showResults(result: AnalysisResult, staleReason?: string): Promise<void> {
    await this.send([result], staleReason);
  }

  private async send(results: readonly AnalysisResult[], staleReason?: string): Promise<void> {
    this.shown = { results, staleReason, guide: this.guide };
    const selected = this.pendingSelection;
    await this.post({
      type: 'showResults',
      results,
      stale: staleReason ? { reason: staleReason } : undefined,
      selectedLayer: selected ? { modelIndex: 0, layerName: selected } : undefined,
      guide: this.guide,
      ...(this.series ? { series: this.series } : {}),
    });
  }

  selectLayer(layerName: string): void {
    this.pendingSelection = layerName;
    void this.post({ type: 'selectLayer', layer: { modelIndex: 0, layerName }, reveal: true });
  }

  setTransform(transformId: string): void {
    void this.post({ type: 'setTransform', transformId });
  }

  progress(stage: string, done: number, total: number, state: 'running' | 'done' | 'cancelled' | 'failed', message?: string): void {
    void this.post({ type: 'progress', stage, done, total, state, message });
  }

  /** Mirrors a run of this panel's model in the webview's progress bar and banners. */
  followRun(s: RunState): void {
    const outcome = s.outcome;
    if (!outcome) {
      if (s.progress) this.progress(s.progress.message, Math.round(s.progress.fraction * 1000), 1000, 'running');
      else if (s.running) this.progress('Starting', 0, 0, 'running');
      return;
    }
    switch (outcome.kind) {
      case 'done': this.progress('Done', 1, 1, 'done'); return;
      case 'cancelled':
        // With the scored layers kept, their "incomplete" banner says it all.
        this.progress('Cancelled', 0, 0, 'cancelled', s.keptPartial ? undefined : 'Analysis cancelled; showing the previous results.');
        return;
      case 'failed':
        this.progress('Failed', 0, 0, 'failed');
        this.showError(outcome.message);
        return;
      case 'refused': return;
    }
  }

  showError(message: string): void {
    void this.post({ type: 'showError', message });
  }

  /** Asks the webview to draw a chart to PNG; resolves with the data URL. */
  async requestPng(chart: PngChart = 'overview'): Promise<string> {
    await this.ready;
    const reply = await this.requests.request({ type: 'requestPng', chart });
    if (!reply.dataUrl) throw new Error(reply.error ?? 'The SEIS panel could not draw the PNG.');
    return reply.dataUrl;
  }

  private async post(message: HostToWebviewMessage): Promise<void> {
    await this.ready;
    // A webview speaking another protocol would misread everything: it gets nothing but the error.
    if (this.disposed || this.mismatch) return;
    this.posted.fire(message);
    await this.panel.webview.postMessage(message);
  }

  /** The ready handshake: the webview's protocol version must be this extension's. */
  private onReady(ready: ReadyMessage): void {
    this.mismatch = handshakeProblem(ready);
    if (this.mismatch) {
      this.host.reportError(this.mismatch);
      this.requests.close(new Error(this.mismatch));
      // showError has kept its shape since version 1, so even a stale bundle can say why it is empty.
      void this.panel.webview.postMessage({ type: 'showError', message: this.mismatch } satisfies HostToWebviewMessage);
    }
    if (!this.isReady) {
      this.isReady = true;
      this.readyResolve();
    }
    // A reloaded webview (e.g. after being moved) says ready again and needs its data again.
    if (!this.mismatch) void this.refresh();
  }

  private onMessage(raw: unknown): void {
    if (!isWebviewToHostMessage(raw)) {
      this.host.log(`SEIS panel: ignored an unknown message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (raw.type) {
      case 'ready':
        this.onReady(raw);
        return;
      case 'selectLayer':
        this.pendingSelection = raw.layer.layerName;
        // A series panel's checkpoints are not the model the tree follows.
        if (this.series) return;
        this.host.onLayerSelectedInWebview(this.modelPaths[raw.layer.modelIndex] ?? this.modelPath, raw.layer.layerName);
        return;
      case 'transformChanged':
        this.host.onTransformChangedInWebview(this.modelPath, raw.transformId);
        return;
      case 'exportPng':
        if (!this.requests.settle(raw)) this.host.log(`SEIS panel: an exportPng answer to no pending request (${raw.inReplyTo}) was ignored`);
        return;
      case 'requestExport':
        if (this.series) {
          this.host.reportError('SEIS: a checkpoint series is exported on the command line: seis series FOLDER --json series.json --html series.html --csv series.csv.');
          return;
        }
        void this.host.exportResults(this.modelPath, raw.format);
        return;
      case 'requestRerun':
        void this.host.rerun(this.modelPath);
        return;
      case 'requestPatterns':
        void this.computePatterns(raw.layer.modelIndex, raw.layer.layerName, raw.transformId);
        return;
      case 'webviewError':
        this.host.log(`SEIS panel error: ${raw.message}`);
        return;
    }
  }

  /**
   * The webview's "Compute patterns" button. Success re-renders through the results event, as any
   * new result does; otherwise the webview is told the run ended (its button comes back) and why.
   */
  private async computePatterns(modelIndex: number, layerName: string, transformId: string): Promise<void> {
    const modelPath = this.shown?.results[modelIndex]?.model.path;
    const outcome: RunOutcome = this.series || !modelPath
      ? { kind: 'refused', message: 'SEIS computes patterns for a model\'s own results: open the checkpoint\'s results (SEIS: Open Results Panel) and ask there.' }
      : await this.host.computePatterns(modelPath, layerName, transformId);
    if (outcome.kind === 'done') return;
    this.progress('Patterns', 0, 0, outcome.kind === 'cancelled' ? 'cancelled' : 'failed', outcome.kind === 'cancelled' ? 'Patterns not computed: cancelled.' : undefined);
    // A failed run of this panel's own model is reported by followRun already.
    if (outcome.kind === 'refused' || (outcome.kind === 'failed' && this.modelPaths.length > 1)) this.showError(outcome.message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDisposed();
    this.requests.close(new Error('The SEIS panel was closed.'));
    // Unblock anything awaiting `ready` (posts to a disposed webview are simply dropped).
    this.readyResolve();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
