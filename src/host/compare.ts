/**
 * "SEIS: Compare Analysed Models…": two or more models with stored results in one panel, side by
 * side (the panel then lists the same layer in the other models). Nothing is analysed here: each
 * model keeps its own results, stale ones marked as such.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { SeisController } from './controller';
import type { SeisPanel } from './panel';

export const COMPARE_COMMAND = 'seis.compareModels';

/** Opens the chosen models together; `modelPaths` skips the pick (tests, other commands). */
export async function compareModels(controller: SeisController, modelPaths?: readonly string[]): Promise<SeisPanel | undefined> {
  let chosen = modelPaths;
  if (!chosen) {
    const analysed = controller.allCached().map((s) => s.modelPath).sort();
    if (analysed.length < 2) {
      void vscode.window.showInformationMessage(`SEIS: comparing needs two analysed models; ${analysed.length === 1 ? `only ${basename(analysed[0]!)} has results` : 'none has results yet'}. Run "Analyze SEIS" on each model first.`);
      return undefined;
    }
    const picks = await vscode.window.showQuickPick(
      analysed.map((p) => ({ label: basename(p), description: vscode.workspace.asRelativePath(p), modelPath: p })),
      { canPickMany: true, title: 'Compare SEIS results side by side', placeHolder: 'Pick two or more analysed models' },
    );
    if (!picks) return undefined;
    chosen = picks.map((p) => p.modelPath);
  }
  if (chosen.length < 2) {
    void vscode.window.showInformationMessage('SEIS: pick at least two models to compare.');
    return undefined;
  }
  return controller.panels.showComparison(chosen, `SEIS: ${chosen.map((p) => basename(p)).join(' · ')}`);
}

export function registerCompare(controller: SeisController): vscode.Disposable {
  return vscode.commands.registerCommand(COMPARE_COMMAND, (paths?: unknown) =>
    compareModels(controller, Array.isArray(paths) && paths.every((p) => typeof p === 'string') ? paths : undefined));
}
