/**
 * Scores where the code is: the read-only layer listing (one line per captured layer, after-line E/I bars,
 * hovers), `self.x = ...` lines in Python sources exported from PyTorch, and an Explorer badge on
 * analysed .onnx files. Decoration types are built once and rebuilt only when settings change.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult, LayerResult } from '../shared/results';
import type { SeisController } from './controller';
import { readingOf } from '../shared/reading';
import { cellFor, fmt, layerDetails, resultSummary, scoreLabel, textBar } from './format';
import { matchPythonSource, type PythonMatch } from './pythonMatch';
import { affectsDecorations, readSettings } from './settings';

export const LISTING_SCHEME = 'seis-listing';

interface ListingLine {
  readonly text: string;
  readonly layer?: LayerResult;
}

export function listingUri(modelPath: string): vscode.Uri {
  // The path carries the name the tab shows; the query carries the model path.
  return vscode.Uri.from({ scheme: LISTING_SCHEME, path: `/${basename(modelPath)}.layers`, query: modelPath });
}

/**
 * Lines of the listing for a model: one per captured layer, in graph order, with the node that
 * produces it. Everything comes from the result document: the host never parses the model itself
 * (the analysis child is the only place that reads ONNX, see src/host/engine.ts).
 */
export function buildListing(modelPath: string, result: AnalysisResult | undefined): ListingLine[] {
  const lines: ListingLine[] = [{ text: `# SEIS layer listing: ${modelPath}` }];
  if (!result) {
    lines.push({ text: '# not analysed yet: run "Analyze SEIS" on the model to see its layers and scores here' });
    return lines;
  }
  lines.push({ text: `# analysed ${result.createdAt}; transforms ${result.transforms.map((t) => t.id).join(', ')}` });
  lines.push({ text: `# ${result.layers.length} captured layers of ${result.model.nodeCount} graph nodes, in graph order: index op node -> tensor` });
  const width = String(result.layers.length).length;
  result.layers.forEach((layer, i) => {
    lines.push({ text: `${String(i).padStart(width)}  ${layer.op.padEnd(22)} ${layer.node || '(unnamed)'}  -> ${layer.name}`, layer });
  });
  return lines;
}

export class SeisDecorations implements vscode.TextDocumentContentProvider, vscode.HoverProvider, vscode.FileDecorationProvider, vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly listingChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.listingChanged.event;
  private readonly badgesChanged = new vscode.EventEmitter<vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.badgesChanged.event;
  private readonly listings = new Map<string, ListingLine[]>();
  private scoreType!: vscode.TextEditorDecorationType;
  private pythonTimer: NodeJS.Timeout | undefined;

  static register(controller: SeisController): SeisDecorations {
    return new SeisDecorations(controller);
  }

  private constructor(private readonly controller: SeisController) {
    this.buildTypes();
    this.disposables.push(
      this.listingChanged,
      this.badgesChanged,
      vscode.workspace.registerTextDocumentContentProvider(LISTING_SCHEME, this),
      vscode.languages.registerHoverProvider([{ scheme: LISTING_SCHEME }, { language: 'python' }], this),
      vscode.window.registerFileDecorationProvider(this),
      vscode.commands.registerCommand('seis.openLayerListing', (uri?: vscode.Uri) => this.openListing(uri)),
      vscode.commands.registerCommand('seis.toggleDecorations', async () => {
        const c = vscode.workspace.getConfiguration('seis');
        await c.update('decorations.enabled', !c.get<boolean>('decorations.enabled', true), vscode.ConfigurationTarget.Global);
      }),
      controller.onDidChangeResults((s) => {
        this.refreshListing(s.modelPath);
        this.badgesChanged.fire([vscode.Uri.file(s.modelPath)]);
        this.decorateAll();
      }),
      controller.onDidChangeTransform(() => this.decorateAll()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorateAll()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.languageId !== 'python') return;
        clearTimeout(this.pythonTimer);
        this.pythonTimer = setTimeout(() => this.decorateAll(), 300);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!affectsDecorations(e)) return;
        this.scoreType.dispose();
        this.buildTypes();
        this.badgesChanged.fire(undefined);
        this.decorateAll();
      }),
      { dispose: () => { clearTimeout(this.pythonTimer); this.scoreType.dispose(); } },
    );
  }

  private buildTypes(): void {
    this.scoreType = vscode.window.createTextEditorDecorationType({
      after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'normal' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
  }

  // ---- layer listing ------------------------------------------------------------------------

  private modelOf(uri: vscode.Uri): string {
    return uri.query;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const modelPath = this.modelOf(uri);
    const lines = buildListing(modelPath, this.controller.cached(modelPath)?.result);
    this.listings.set(modelPath, lines);
    return lines.map((l) => l.text).join('\n');
  }

  private refreshListing(modelPath: string): void {
    const uri = listingUri(modelPath);
    if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) this.listingChanged.fire(uri);
  }

  async openListing(uri?: vscode.Uri): Promise<vscode.TextEditor | undefined> {
    const modelPath = uri?.scheme === 'file' ? uri.fsPath : this.controller.currentModel;
    if (!modelPath) {
      void vscode.window.showInformationMessage('SEIS: open the listing from an .onnx file (Explorer context menu), or analyse a model first.');
      return undefined;
    }
    if (!this.controller.cached(modelPath)) await this.controller.show(modelPath);
    const doc = await vscode.workspace.openTextDocument(listingUri(modelPath));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    this.decorate(editor);
    return editor;
  }

  // ---- decorations --------------------------------------------------------------------------

  private decorateAll(): void {
    for (const editor of vscode.window.visibleTextEditors) this.decorate(editor);
  }

  /** Returns the number of decorated lines (used by tests). */
  decorate(editor: vscode.TextEditor): number {
    const doc = editor.document;
    const settings = readSettings(doc.uri.scheme === 'file' ? doc.uri : undefined);
    if (doc.uri.scheme === LISTING_SCHEME) {
      const options = settings.decorationsEnabled ? this.listingDecorations(doc) : [];
      editor.setDecorations(this.scoreType, options);
      return options.length;
    }
    if (doc.languageId === 'python') {
      const options = settings.decorationsEnabled && settings.pythonDecorations ? this.pythonDecorations(doc) : [];
      editor.setDecorations(this.scoreType, options);
      return options.length;
    }
    return 0;
  }

  private listingDecorations(doc: vscode.TextDocument): vscode.DecorationOptions[] {
    const modelPath = this.modelOf(doc.uri);
    const shown = this.controller.cached(modelPath);
    const lines = this.listings.get(modelPath);
    if (!shown || !lines) return [];
    const transformId = this.transformFor(shown.result);
    const out: vscode.DecorationOptions[] = [];
    lines.forEach((line, i) => {
      if (!line.layer || i >= doc.lineCount) return;
      out.push(this.decorationFor(doc.lineAt(i).range.end, shown.result, line.layer, transformId));
    });
    return out;
  }

  /** The `self.x = ...` lines of a Python document matched to the current model's layers. */
  pythonMatches(doc: vscode.TextDocument): PythonMatch[] {
    const shown = this.controller.current();
    return shown ? matchPythonSource(doc.getText(), shown.result.layers) : [];
  }

  private pythonDecorations(doc: vscode.TextDocument): vscode.DecorationOptions[] {
    const shown = this.controller.current();
    if (!shown) return [];
    const transformId = this.transformFor(shown.result);
    return this.pythonMatches(doc).map((m) =>
      this.decorationFor(doc.lineAt(m.line).range.end, shown.result, m.layer, transformId, `SEIS ${m.modulePath}: `));
  }

  private transformFor(result: AnalysisResult): string | undefined {
    const t = this.controller.transformId;
    return t && result.transforms.some((x) => x.id === t) ? t : result.transforms[0]?.id;
  }

  private decorationFor(at: vscode.Position, result: AnalysisResult, layer: LayerResult, transformId: string | undefined, prefix = ''): vscode.DecorationOptions {
    const cell = cellFor(layer, transformId);
    const text = cell
      ? `${prefix}E ${fmt(cell.equivariance)} ${textBar(cell.equivariance)}  I ${fmt(cell.invariance)} ${textBar(cell.invariance)}${readingOf(cell) === 'lost' ? '  ≈null' : ''}`
      : `${prefix}${layer.status === 'scored' ? 'no score for this transform' : layer.status}`;
    const hover = new vscode.MarkdownString();
    hover.appendMarkdown(`**SEIS** · ${transformId ?? ''}\n\n`);
    hover.appendCodeblock(layerDetails(result, layer, transformId).join('\n'), 'text');
    return { range: new vscode.Range(at, at), renderOptions: { after: { contentText: text } }, hoverMessage: hover };
  }

  /** Hovers on listing lines work even where no decoration is drawn (e.g. decorations switched off). */
  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (doc.uri.scheme !== LISTING_SCHEME) return undefined;
    const modelPath = this.modelOf(doc.uri);
    const line = this.listings.get(modelPath)?.[pos.line];
    const shown = this.controller.cached(modelPath);
    if (!line?.layer || !shown) return undefined;
    const md = new vscode.MarkdownString();
    md.appendCodeblock(layerDetails(shown.result, line.layer, this.transformFor(shown.result)).join('\n'), 'text');
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }

  // ---- Explorer badges ----------------------------------------------------------------------

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== 'file' || !uri.fsPath.toLowerCase().endsWith('.onnx')) return undefined;
    if (!readSettings(uri).fileBadges) return undefined;
    const shown = this.controller.cached(uri.fsPath);
    if (!shown) return undefined;
    const t = this.transformFor(shown.result);
    const first = shown.result.layers.find((l) => cellFor(l, t));
    const sample = first ? ` · first layer ${scoreLabel(cellFor(first, t)!)}` : '';
    return {
      badge: 'S',
      tooltip: `SEIS: ${resultSummary(shown.result, t)}${sample}${shown.staleReason ? ' (stale)' : ''}`,
      color: new vscode.ThemeColor(shown.staleReason ? 'list.warningForeground' : 'charts.blue'),
      propagate: false,
    };
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
