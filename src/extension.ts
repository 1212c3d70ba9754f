/**
 * SEIS Lens entry point: build the host pieces, register them, nothing else. The model never runs
 * here; analysis happens in a child process (src/analysis/runner.ts) driven by the controller.
 */
import * as vscode from 'vscode';
import { CheckpointSeries, registerCheckpointSeries } from './host/series';
import { registerCommands } from './host/commands';
import { registerCompare } from './host/compare';
import { registerExampleTour } from './host/examples';
import { lastNotice, type ShownNotice } from './host/walkthrough';
import { SeisController } from './host/controller';
import { SeisDecorations } from './host/decorations';
import { LayerTreeProvider } from './host/layerTree';
import type { SeisPanel } from './host/panel';

/** What `activate` returns: used by the integration tests to look inside the views. */
export interface SeisExtensionApi {
  readonly controller: SeisController;
  readonly tree: LayerTreeProvider;
  readonly decorations: SeisDecorations;
  readonly panels: { get(modelPath: string): SeisPanel | undefined };
  /** The last error notification and its buttons (src/host/walkthrough.ts). */
  readonly lastNotice: () => ShownNotice | undefined;
  /** SEIS: Analyze SEIS Across Checkpoints (src/host/series.ts). */
  readonly series: CheckpointSeries;
}

export function activate(context: vscode.ExtensionContext): SeisExtensionApi {
  const output = vscode.window.createOutputChannel('SEIS Lens', { log: true });
  const controller = new SeisController(context, output);
  const series = new CheckpointSeries(controller, (context.storageUri ?? context.globalStorageUri).fsPath);
  const tree = LayerTreeProvider.register(controller);
  const decorations = SeisDecorations.register(controller);
  context.subscriptions.push(
    output,
    controller,
    tree,
    decorations,
    ...registerCommands(controller),
    registerExampleTour(controller, controller.examples),
    registerCompare(controller),
    ...registerCheckpointSeries(series),
    vscode.workspace.onDidGrantWorkspaceTrust(() => output.info('Workspace trusted: SEIS analysis is available.')),
  );
  void vscode.commands.executeCommand('setContext', 'seis.running', false);
  context.subscriptions.push(controller.onDidChangeRunState((s) => void vscode.commands.executeCommand('setContext', 'seis.running', s.running)));
  // Stored results of earlier sessions: badges and the tree come back without re-running anything.
  void controller.loadStored().catch((err: unknown) => output.warn(`Could not read stored results: ${String(err)}`));
  return { controller, tree, decorations, panels: { get: (p) => controller.panels.get(p) }, lastNotice: () => lastNotice, series };
}

export function deactivate(): void {
  // Disposables in context.subscriptions cancel a running analysis (its child process is killed).
}
