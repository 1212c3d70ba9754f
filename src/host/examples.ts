/**
 * "SEIS: Try the Example Models": the bundled CNN pair (without / with rotation augmentation) on the
 * bundled probes, through the controller's normal run path (progress, Cancel, results store), then
 * one panel with both side by side and the "what to look for" paragraph from src/host/exampleGuide.ts.
 *
 * The files are located from the extension's own folder, never from user input; only these exact
 * paths get the example plan, which is what lets them run in an untrusted workspace (they are ours,
 * not the workspace's) and sends their results to the global storage instead of the workspace's.
 */
import * as vscode from 'vscode';
import type { AnalysisResult } from '../shared/results';
import type { SeisController } from './controller';
import type { BundledExamples } from './examplePlan';
import { exampleGuide } from './exampleGuide';
import type { SeisPanel } from './panel';

export { BundledExamples, type ExamplePlan } from './examplePlan';

export const TRY_EXAMPLES_COMMAND = 'seis.tryExamples';
const PANEL_TITLE = 'SEIS: example models';
export type TourOutcome =
  | { readonly kind: 'shown'; readonly panel: SeisPanel; readonly guide?: string }
  | { readonly kind: 'stopped'; readonly reason: string };

/** Analyses whichever example lacks fresh stored results, then opens both side by side. Never throws. */
export async function tryExamples(controller: SeisController, examples: BundledExamples): Promise<TourOutcome> {
  const missing = examples.missing();
  if (missing.length) {
    const reason = `SEIS: the bundled example files are missing (${missing.join(', ')}). Reinstall the SEIS Lens extension to get them back.`;
    void vscode.window.showErrorMessage(reason);
    return { kind: 'stopped', reason };
  }
  const results: AnalysisResult[] = [];
  for (const modelPath of examples.models) {
    // Only complete stored results count: what a cancelled tour kept is shown, never reused as done.
    const stored = await controller.storedResultsFor(modelPath);
    if (stored && !stored.staleReason && !stored.result.incomplete) {
      results.push(stored.result);
      continue;
    }
    const outcome = await controller.analyze(modelPath);
    // The controller has told the user why (cancelled, failed, busy); the tour just stops.
    if (outcome.kind !== 'done') return { kind: 'stopped', reason: outcome.kind === 'cancelled' ? 'cancelled' : outcome.message };
    results.push(outcome.result);
  }
  const guide = exampleGuide(results[0]!, results[1]!);
  const panel = await controller.panels.showComparison(examples.models, PANEL_TITLE, guide);
  return { kind: 'shown', panel, guide };
}

export function registerExampleTour(controller: SeisController, examples: BundledExamples): vscode.Disposable {
  return vscode.commands.registerCommand(TRY_EXAMPLES_COMMAND, () => tryExamples(controller, examples));
}
