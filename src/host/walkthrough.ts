/**
 * The Get Started walkthrough (package.json `contributes.walkthroughs`) from code: its ids, opening
 * one of its steps, and the error notification that teaches, which offers "What models work?" when
 * the engine refused the model itself (not when a run failed for another reason).
 */
import * as vscode from 'vscode';
import type { AnalysisErrorCode } from './engine';

/** publisher.name from package.json. */
export const EXTENSION_ID = 'seis-lens.seis-lens';
export const WALKTHROUGH_ID = 'seis.gettingStarted';
export const WALKTHROUGH_STEPS = ['seis.tryExamples', 'seis.ownModel', 'seis.readScores', 'seis.compare', 'seis.export'] as const;
export type WalkthroughStep = (typeof WALKTHROUGH_STEPS)[number];

/** Refusals that say "this model is not one SEIS Lens can probe": the walkthrough's model step answers them. */
export const MODEL_REFUSALS: ReadonlySet<AnalysisErrorCode> = new Set<AnalysisErrorCode>([
  'no-image-input', 'custom-op', 'model-unsupported', 'absurd-dims', 'model-not-onnx',
]);
export const WHAT_MODELS_WORK = 'What models work?';
export const SHOW_LOG = 'Show Log';

export function openWalkthrough(step?: WalkthroughStep): Thenable<unknown> {
  const category = `${EXTENSION_ID}#${WALKTHROUGH_ID}`;
  // VS Code joins them itself (`category#step`): the step is given by its own id.
  return vscode.commands.executeCommand('workbench.action.openWalkthrough', step ? { category, step } : category, false);
}

export interface ShownNotice {
  readonly text: string;
  readonly actions: readonly string[];
}

/** The last error notification and its buttons: VS Code's API cannot read a shown notification back. */
export let lastNotice: ShownNotice | undefined;

/** Shows an analysis error; a refused model also gets "What models work?" (opens the walkthrough's model step). */
export function showAnalysisError(text: string, code: AnalysisErrorCode | undefined, showLog: () => void): Thenable<void> {
  const actions = code && MODEL_REFUSALS.has(code) ? [WHAT_MODELS_WORK, SHOW_LOG] : [SHOW_LOG];
  lastNotice = { text, actions };
  return vscode.window.showErrorMessage(text, ...actions).then((pick) => {
    if (pick === WHAT_MODELS_WORK) void openWalkthrough('seis.ownModel');
    else if (pick === SHOW_LOG) showLog();
  });
}
