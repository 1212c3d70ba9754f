/**
 * Layer inspector: the shown model's layers in graph order, grouped by stage when names allow,
 * with op, shape and `E 0.82 · I 0.11` for the selected transform. Selection follows the panel
 * both ways through the controller.
 */
import { trajectorySummary } from '../shared/seriesParts';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { LayerResult } from '../shared/results';
import type { SeisController } from './controller';
import { incompleteSummary } from '../shared/incomplete';
import { readingOf, type Reading } from '../shared/reading';
import { cellFor, groupByStage, layerDetails, matchesFilter, scoreLabel } from './format';

export const LAYER_VIEW_ID = 'seis.layers';

type Node =
  | { readonly kind: 'stage'; readonly stage: string; readonly layers: readonly LayerResult[] }
  | { readonly kind: 'layer'; readonly layer: LayerResult; readonly parent?: Node }
  | { readonly kind: 'note'; readonly text: string; readonly detail: string };

const READING_COLOURS: Record<Reading, string> = {
  're-encoded': 'charts.blue',
  invariant: 'charts.green',
  lost: 'charts.red',
  underdetermined: 'disabledForeground',
  'no-null': 'disabledForeground',
  undefined: 'disabledForeground',
};

/** Short label from the tensor name (what the panel shows): PyTorch-style names lose the leading
 *  scopes and the `_output_0` suffix; other names are shown whole. */
function shortName(layer: LayerResult): string {
  const parts = layer.name.split('/').filter((p) => p !== '');
  const short = parts.length > 2 ? parts.slice(-2).join('/') : layer.name;
  return short.replace(/_output_0$/, '');
}

export class LayerTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private filter = '';
  private roots: Node[] = [];
  private readonly layerNodes = new Map<string, Node & { kind: 'layer' }>();
  readonly view: vscode.TreeView<Node>;

  static register(controller: SeisController): LayerTreeProvider {
    return new LayerTreeProvider(controller);
  }

  private constructor(private readonly controller: SeisController) {
    this.view = vscode.window.createTreeView(LAYER_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.changed,
      controller.onDidChangeResults((s) => { if (s.modelPath === controller.currentModel) this.rebuild(); }),
      controller.onDidChangeTransform(() => this.rebuild()),
      controller.onDidChangeSelection((e) => { if (e.source !== 'tree') void this.reveal(e.layerName); }),
      this.view.onDidChangeSelection((e) => {
        const node = e.selection[0];
        const model = controller.currentModel;
        if (node?.kind === 'layer' && model && controller.selectedLayer !== node.layer.name) controller.selectLayer(model, node.layer.name, 'tree');
      }),
      vscode.commands.registerCommand('seis.filterLayers', () => this.askFilter()),
      vscode.commands.registerCommand('seis.clearLayerFilter', () => this.setFilter('')),
    );
    this.rebuild();
  }

  private rebuild(): void {
    this.layerNodes.clear();
    const shown = this.controller.current();
    const roots: Node[] = [];
    if (shown) {
      if (shown.staleReason) roots.push({ kind: 'note', text: 'Results are stale', detail: shown.staleReason });
      const incomplete = shown.result.incomplete;
      if (incomplete) roots.push({ kind: 'note', text: incomplete.reason === 'running' ? 'Results so far' : 'Results incomplete', detail: incompleteSummary(incomplete) });
      const layers = shown.result.layers.filter((l) => matchesFilter(l, this.filter));
      if (layers.length === 0) roots.push({ kind: 'note', text: `No layer matches "${this.filter}"`, detail: 'Clear the filter to see all layers.' });
      const groups = groupByStage(layers);
      if (groups.length === 1 && groups[0]!.stage === '') {
        for (const layer of layers) roots.push(this.layerNode(layer));
      } else {
        for (const g of groups) {
          if (g.stage === '') for (const layer of g.layers) roots.push(this.layerNode(layer));
          else {
            const stage: Node = { kind: 'stage', stage: g.stage, layers: g.layers };
            roots.push(stage);
            for (const layer of g.layers) this.layerNode(layer, stage);
          }
        }
      }
      const t = shown.result.transforms.find((x) => x.id === this.controller.transformId);
      this.view.description = `${basename(shown.modelPath)}${incomplete ? ` · ${incompleteSummary(incomplete)}` : ''}${t ? ` · ${t.label}` : ''}${this.filter ? ` · filter: ${this.filter}` : ''}`;
    } else {
      this.view.description = undefined;
    }
    this.roots = roots;
    void vscode.commands.executeCommand('setContext', 'seis.layerFilterActive', this.filter !== '');
    void vscode.commands.executeCommand('setContext', 'seis.hasResults', shown !== undefined);
    this.changed.fire(undefined);
  }

  private layerNode(layer: LayerResult, parent?: Node): Node & { kind: 'layer' } {
    const node = { kind: 'layer' as const, layer, parent };
    this.layerNodes.set(layer.name, node);
    return node;
  }

  getChildren(element?: Node): Node[] {
    if (!element) return this.roots;
    if (element.kind === 'stage') return element.layers.map((l) => this.layerNodes.get(l.name)!).filter(Boolean);
    return [];
  }

  getParent(element: Node): Node | undefined {
    return element.kind === 'layer' ? element.parent : undefined;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'note') {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      item.tooltip = node.detail;
      item.description = node.detail;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.command = { command: 'seis.analyze', title: 'Analyze SEIS', arguments: [] };
      return item;
    }
    if (node.kind === 'stage') {
      const item = new vscode.TreeItem(node.stage, vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${node.layers.length} layers`;
      item.iconPath = new vscode.ThemeIcon('symbol-namespace');
      item.id = `stage:${node.stage}:${node.layers[0]?.name ?? ''}`;
      return item;
    }
    const shown = this.controller.current()!;
    const layer = node.layer;
    const cell = cellFor(layer, this.controller.transformId);
    const item = new vscode.TreeItem(shortName(layer), vscode.TreeItemCollapsibleState.None);
    item.id = `layer:${layer.name}`;
    // The batch dim is the probe count, the same for every layer: show c×h×w (or t×dim).
    const shape = layer.shape.slice(1).join('×');
    if (layer.status !== 'scored') {
      item.description = `${layer.status === 'failed' ? 'failed' : 'no spatial axis'} · ${layer.op} ${shape}`;
      item.iconPath = new vscode.ThemeIcon(layer.status === 'failed' ? 'error' : 'circle-outline', new vscode.ThemeColor(layer.status === 'failed' ? 'errorForeground' : 'disabledForeground'));
    } else if (cell) {
      const reading = readingOf(cell);
      // Scores first: the sidebar is narrow and truncates the end.
      item.description = `${scoreLabel(cell)} · ${layer.op} ${shape}`;
      item.iconPath = new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor(READING_COLOURS[reading]));
    } else {
      item.description = `${layer.op} ${shape}`;
      item.iconPath = new vscode.ThemeIcon('circle-outline');
    }
    const md = new vscode.MarkdownString();
    md.appendCodeblock(layerDetails(shown.result, layer, this.controller.transformId).join('\n'), 'text');
    const series = this.controller.seriesByModel.get(shown.modelPath);
    const trajectory = series && this.controller.transformId ? trajectorySummary(series, layer.name, this.controller.transformId) : undefined;
    if (trajectory) md.appendCodeblock(trajectory, 'text');
    item.tooltip = md;
    item.accessibilityInformation = { label: `${layer.name}, ${layer.op}, ${cell ? scoreLabel(cell).replace('·', ',') : layer.status}` };
    item.contextValue = `seisLayer.${layer.status}`;
    item.command = { command: 'seis.revealLayer', title: 'Show in SEIS panel', arguments: [this.controller.currentModel, layer.name] };
    return item;
  }

  private async reveal(layerName: string): Promise<void> {
    const node = this.layerNodes.get(layerName);
    if (!node || !this.view.visible) return;
    try {
      await this.view.reveal(node, { select: true, focus: false, expand: true });
    } catch {
      // The tree may be mid-rebuild; the next selection will line up again.
    }
  }

  /** Visible layer names in order (for tests and the listing); respects the filter. */
  visibleLayerNames(): string[] {
    return [...this.layerNodes.keys()];
  }

  private async askFilter(): Promise<void> {
    const value = await vscode.window.showInputBox({
      title: 'Filter SEIS layers',
      prompt: 'Part of a layer name, node name or op (e.g. Conv, layer2, relu). Empty clears the filter.',
      value: this.filter,
    });
    if (value !== undefined) this.setFilter(value);
  }

  setFilter(value: string): void {
    this.filter = value.trim();
    this.rebuild();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
