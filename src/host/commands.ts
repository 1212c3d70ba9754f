/**
 * The commands users see. Each resolves what it acts on (clicked file, active tab, or a pick),
 * then hands over to the controller.
 */
import { basename, extname } from 'node:path';
import * as vscode from 'vscode';
import type { ExportFormat } from '../shared/webviewProtocol';
import type { SeisController } from './controller';

function isOnnxPath(p: string): boolean {
  return extname(p).toLowerCase() === '.onnx';
}

/** The .onnx the user means: the clicked resource, else the active tab, else a pick. */
export async function resolveModel(arg: unknown, pickTitle: string): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) {
    if (arg.scheme !== 'file') {
      void vscode.window.showErrorMessage(`SEIS analyses files on disk; ${arg.toString()} is not one. Open or copy the model into the workspace.`);
      return undefined;
    }
    if (!isOnnxPath(arg.fsPath)) {
      void vscode.window.showErrorMessage(`SEIS analyses .onnx models; ${basename(arg.fsPath)} is not one. Export the model to ONNX first.`);
      return undefined;
    }
    return arg.fsPath;
  }
  if (typeof arg === 'string' && isOnnxPath(arg)) return arg;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const tabUri = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
  if (tabUri?.scheme === 'file' && isOnnxPath(tabUri.fsPath)) return tabUri.fsPath;
  const found = await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 500);
  const browse = '$(folder-opened) Browse…';
  const items: vscode.QuickPickItem[] = found
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
    .map((u) => ({ label: basename(u.fsPath), description: vscode.workspace.asRelativePath(u), detail: undefined }));
  items.push({ label: browse, description: 'an .onnx file outside the workspace' });
  const pick = await vscode.window.showQuickPick(items, { title: pickTitle, placeHolder: found.length ? 'Pick an ONNX model' : 'No .onnx file in the workspace' });
  if (!pick) return undefined;
  if (pick.label !== browse) return found.find((u) => vscode.workspace.asRelativePath(u) === pick.description)?.fsPath;
  const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'ONNX models': ['onnx'] }, title: pickTitle });
  return chosen?.[0]?.fsPath;
}

export function registerCommands(controller: SeisController): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('seis.analyze', async (arg?: unknown) => {
      const modelPath = await resolveModel(arg, 'Analyze SEIS');
      if (!modelPath) return undefined;
      return controller.analyze(modelPath);
    }),
    vscode.commands.registerCommand('seis.openPanel', async (arg?: unknown) => {
      const modelPath = arg === undefined ? controller.currentModel ?? (await resolveModel(undefined, 'Open SEIS results')) : await resolveModel(arg, 'Open SEIS results');
      if (modelPath) await controller.openPanel(modelPath);
    }),
    vscode.commands.registerCommand('seis.cancel', () => {
      if (!controller.cancel()) void vscode.window.showInformationMessage('SEIS: no analysis is running.');
    }),
    vscode.commands.registerCommand('seis.revealLayer', async (modelPath?: string, layerName?: string) => {
      if (!modelPath || !layerName) return;
      controller.selectLayer(modelPath, layerName, 'tree');
      await controller.openPanel(modelPath, true);
    }),
    vscode.commands.registerCommand('seis.selectTransform', async () => {
      const shown = controller.current();
      if (!shown) {
        void vscode.window.showInformationMessage('SEIS: no results shown yet. Analyse a model first.');
        return;
      }
      const pick = await vscode.window.showQuickPick(
        shown.result.transforms.map((t) => ({ label: t.label, description: `${t.id}${t.exact ? ' · exact' : ' · interpolated'}`, id: t.id, picked: t.id === controller.transformId })),
        { title: 'Transform shown in the layer inspector and decorations' },
      );
      if (pick) controller.setTransform(pick.id);
    }),
    vscode.commands.registerCommand('seis.export', async (arg?: unknown, formatArg?: ExportFormat) => {
      const modelPath = arg === undefined ? controller.currentModel ?? (await resolveModel(undefined, 'Export SEIS results')) : await resolveModel(arg, 'Export SEIS results');
      if (!modelPath) return;
      const format = formatArg ?? (await vscode.window.showQuickPick(
        [
          { label: 'JSON', description: 'the full result document (schema v1)', format: 'json' as const },
          { label: 'CSV', description: 'one row per layer and transform', format: 'csv' as const },
          { label: 'HTML', description: 'standalone report, works offline', format: 'html' as const },
          { label: 'PNG', description: 'the heatmaps as shown in the panel', format: 'png' as const },
          { label: 'Model Explorer node data (JSON)', description: 'one score per layer, to colour the graph in Model Explorer', format: 'node-data' as const },
        ],
        { title: `Export SEIS results of ${basename(modelPath)}` },
      ))?.format;
      if (format) await controller.exportResults(modelPath, format);
    }),
  ];
}
