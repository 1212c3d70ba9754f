/**
 * Host side of the results webview: one panel per model (createOrShow), opened beside the model,
 * strict CSP with a per-load nonce, resources only from dist/webview and media, typed messages both
 * ways (src/shared/webviewProtocol.ts) and a serializer that restores panels after a reload.
 * The webview (teammate B2's bundle dist/webview/main.js) renders; this file only feeds it.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../shared/results';
import {
  isWebviewPersistedState,
  isWebviewToHostMessage,
  type ExportFormat,
  type HostToWebviewMessage,
  type PngChart,
  type WebviewToHostMessage,
} from '../shared/webviewProtocol';

export const PANEL_VIEW_TYPE = 'seis.results';

/** What the panel needs from the rest of the host; implemented by the controller. */
export interface PanelHost {
  readonly extensionUri: vscode.Uri;
  /** Latest results for a model (fresh or stale), loading them from storage if needed. */
  resultsFor(modelPath: string): Promise<{ result: AnalysisResult; staleReason?: string } | undefined>;
  onLayerSelectedInWebview(modelPath: string, layerName: string): void;
  onTransformChangedInWebview(modelPath: string, transformId: string): void;
  exportResults(modelPath: string, format: ExportFormat): Promise<unknown>;
  rerun(modelPath: string): Promise<void>;
  log(message: string): void;
}

const PNG_TIMEOUT_MS = 15_000;

export class SeisPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, SeisPanel>();

  private readonly disposables: vscode.Disposable[] = [];
  private readyResolve!: () => void;
  /** Resolves when the webview has posted `ready`; nothing is sent before (it would be lost). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.readyResolve = resolve));
  private isReady = false;
  private disposed = false;
  private nextRequestId = 1;
  private readonly pendingPng = new Map<number, { resolve: (url: string) => void; reject: (e: Error) => void }>();
  private pendingSelection: string | undefined;
  /** Everything sent to / received from the webview, newest last; read by the integration tests. */
  readonly sent: HostToWebviewMessage['type'][] = [];
  readonly received: WebviewToHostMessage['type'][] = [];
  lastShown: { layerNames: string[]; stale?: string; incomplete?: AnalysisResult['incomplete']; models: string[]; guide?: string } | undefined;

  static register(host: PanelHost): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        const modelPaths = isWebviewPersistedState(state) ? state.modelPaths.filter(Boolean) : [];
        if (modelPaths.length === 0) {
          // Nothing to restore into (state from another version): close instead of showing an empty panel.
          panel.dispose();
          return;
        }
        const guide = isWebviewPersistedState(state) && typeof state.guide === 'string' ? state.guide : undefined;
        const restored = new SeisPanel(panel, modelPaths, host, guide);
        SeisPanel.panels.set(panelKey(modelPaths), restored);
        await restored.refresh();
      },
    });
  }

  static get(modelPath: string): SeisPanel | undefined {
    return SeisPanel.panels.get(modelPath);
  }

  static all(): SeisPanel[] {
    return [...SeisPanel.panels.values()];
  }

  /** Shows the model's panel (creating it beside the active editor) and loads its latest results. */
  static async createOrShow(host: PanelHost, modelPath: string, preserveFocus = false): Promise<SeisPanel> {
    const existing = SeisPanel.panels.get(modelPath);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      `SEIS: ${basename(modelPath)}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      SeisPanel.webviewOptions(host.extensionUri),
    );
    const created = new SeisPanel(panel, [modelPath], host);
    SeisPanel.panels.set(modelPath, created);
    await created.refresh();
    return created;
  }

  /** One panel showing several models side by side (their stored results), with an optional guide paragraph. */
  static async showComparison(host: PanelHost, modelPaths: readonly string[], title: string, guide?: string): Promise<SeisPanel> {
    const key = panelKey(modelPaths);
    let shown = SeisPanel.panels.get(key);
    if (shown) {
      shown.guide = guide;
      shown.panel.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active }, SeisPanel.webviewOptions(host.extensionUri));
      shown = new SeisPanel(panel, modelPaths, host, guide);
      SeisPanel.panels.set(key, shown);
    }
    await shown.refresh();
    return shown;
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      // Charts are costly to rebuild and the webview keeps its own state: keep it alive when hidden.
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  /** The first (for a single-model panel, the only) model shown: exports and re-runs act on it. */
  readonly modelPath: string;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly modelPaths: readonly string[],
    private readonly host: PanelHost,
    private guide?: string,
  ) {
    this.modelPath = modelPaths[0]!;
    panel.webview.options = SeisPanel.webviewOptions(host.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'seis.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
    );
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
    const loaded = (await Promise.all(this.modelPaths.map((p) => this.host.resultsFor(p)))).filter((l) => l !== undefined);
    if (loaded.length === 0) return;
    await this.send(loaded.map((l) => l.result), loaded.find((l) => l.staleReason)?.staleReason);
  }

  async showResults(result: AnalysisResult, staleReason?: string): Promise<void> {
    await this.send([result], staleReason);
  }

  private async send(results: AnalysisResult[], staleReason?: string): Promise<void> {
    const first = results[0]!;
    this.lastShown = {
      layerNames: first.layers.map((l) => l.name), stale: staleReason, incomplete: first.incomplete,
      models: results.map((r) => r.model.fileName), guide: this.guide,
    };
    const selected = this.pendingSelection;
    await this.post({
      type: 'showResults',
      results,
      stale: staleReason ? { reason: staleReason } : undefined,
      selectedLayer: selected ? { modelIndex: 0, layerName: selected } : undefined,
      guide: this.guide,
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

  showError(message: string): void {
    void this.post({ type: 'showError', message });
  }

  /** Asks the webview to draw a chart to PNG; resolves with the data URL. */
  async requestPng(chart: PngChart = 'overview'): Promise<string> {
    await this.ready;
    const requestId = this.nextRequestId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingPng.delete(requestId);
        reject(new Error('The SEIS panel did not answer the PNG export within 15 s. Make sure the panel shows results, then try again.'));
      }, PNG_TIMEOUT_MS);
      this.pendingPng.set(requestId, {
        resolve: (url) => { clearTimeout(timer); resolve(url); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      void this.post({ type: 'requestPng', requestId, chart });
    });
  }

  private async post(message: HostToWebviewMessage): Promise<void> {
    await this.ready;
    if (this.disposed) return;
    this.sent.push(message.type);
    await this.panel.webview.postMessage(message);
  }

  private onMessage(raw: unknown): void {
    if (!isWebviewToHostMessage(raw)) {
      this.host.log(`SEIS panel: ignored an unknown message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    this.received.push(raw.type);
    switch (raw.type) {
      case 'ready':
        if (!this.isReady) {
          this.isReady = true;
          this.readyResolve();
        }
        // A reloaded webview (e.g. after being moved) says ready again and needs its data again.
        void this.refresh();
        return;
      case 'selectLayer':
        this.pendingSelection = raw.layer.layerName;
        this.host.onLayerSelectedInWebview(this.modelPaths[raw.layer.modelIndex] ?? this.modelPath, raw.layer.layerName);
        return;
      case 'transformChanged':
        this.host.onTransformChangedInWebview(this.modelPath, raw.transformId);
        return;
      case 'exportPng': {
        const pending = this.pendingPng.get(raw.requestId);
        if (!pending) return;
        this.pendingPng.delete(raw.requestId);
        if (raw.dataUrl) pending.resolve(raw.dataUrl);
        else pending.reject(new Error(raw.error ?? 'The SEIS panel could not draw the PNG.'));
        return;
      }
      case 'requestExport':
        void this.host.exportResults(this.modelPath, raw.format);
        return;
      case 'requestRerun':
        void this.host.rerun(this.modelPath);
        return;
      case 'webviewError':
        this.host.log(`SEIS panel error: ${raw.message}`);
        return;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const key = panelKey(this.modelPaths);
    if (SeisPanel.panels.get(key) === this) SeisPanel.panels.delete(key);
    for (const p of this.pendingPng.values()) p.reject(new Error('The SEIS panel was closed.'));
    this.pendingPng.clear();
    // Unblock anything awaiting `ready` (posts to a disposed webview are simply dropped).
    this.readyResolve();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** A single-model panel is keyed by its path, so `get(modelPath)` finds it; a comparison by all its paths. */
function panelKey(modelPaths: readonly string[]): string {
  return modelPaths.join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
