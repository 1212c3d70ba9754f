/**
 * The status bar item: the running analysis (percentage, layer count) or the results the views
 * follow (stale, incomplete, cancelled, failed). It only listens; it changes nothing.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { incompleteSummary } from '../shared/incomplete';
import { resultSummary } from './format';
import type { ShownResults } from './resultsRepository';
import type { RunService, RunState } from './runService';

export interface StatusSource {
  readonly runs: RunService;
  current(): ShownResults | undefined;
  readonly transformId: string | undefined;
}

export class StatusView implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('seis.status', vscode.StatusBarAlignment.Left, 20);
  /** How the last run ended, while the status shows its model. */
  private ended: { modelPath: string; kind: 'cancelled' | 'failed'; message?: string } | undefined;

  constructor(private readonly source: StatusSource) {
    this.item.name = 'SEIS Lens';
    this.item.command = 'seis.openPanel';
  }

  /** Called on every run state change. */
  onRunState(s: RunState): void {
    if (s.outcome?.kind === 'cancelled' || s.outcome?.kind === 'failed') {
      this.ended = { modelPath: s.modelPath, kind: s.outcome.kind, message: s.outcome.kind === 'failed' ? s.outcome.message : undefined };
    } else if (s.running || s.outcome) {
      this.ended = undefined;
    }
    this.render();
  }

  render(): void {
    const item = this.item;
    const runs = this.source.runs;
    if (runs.running) {
      const p = runs.lastProgress;
      // The status bar is shared: percentage and layer count only; the full line goes in the tooltip.
      const layer = p?.layer ? ` · layer ${p.layer.index}/${p.layer.count}` : '';
      item.text = `$(sync~spin) SEIS ${p ? `${Math.round(p.fraction * 100)}%${layer}` : 'starting'}`;
      item.tooltip = `Analysing ${runs.runningModel}${p ? `\n${p.message}` : ''}\nClick to open the results panel; cancel from the notification or "SEIS: Cancel Analysis".`;
      item.show();
      return;
    }
    const shown = this.source.current();
    const ended = this.ended && (!shown || shown.modelPath === this.ended.modelPath) ? this.ended : undefined;
    if (ended?.kind === 'failed') {
      item.text = '$(error) SEIS failed';
      item.tooltip = ended.message ?? 'The last analysis failed; see the SEIS output channel.';
    } else if (shown) {
      const incomplete = shown.result.incomplete;
      item.text = `$(pulse) SEIS ${basename(shown.modelPath)}${shown.staleReason ? ' (stale)' : ''}${incomplete ? ' (incomplete)' : ''}${ended?.kind === 'cancelled' ? ' · cancelled' : ''}`;
      item.tooltip = `${resultSummary(shown.result, this.source.transformId)}${incomplete ? `\n${incompleteSummary(incomplete)}` : ''}`
        + `${shown.staleReason ? `\nStale: ${shown.staleReason}` : ''}\nClick to open the results panel.`;
    } else {
      item.hide();
      return;
    }
    item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
