/**
 * Writes the shown results of a model as JSON, CSV, a standalone HTML report, or a PNG of the panel's
 * heatmaps, after asking where (or to a given target). The panel draws the PNG; the rest is rendered
 * here from the result document.
 */
import { basename, dirname, extname, join } from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../io/atomicWrite';
import { renderStandaloneReport } from '../report/standaloneHtml';
import { resultsToCsv } from '../shared/csv';
import type { ExportFormat } from '../shared/webviewProtocol';
import type { ResultsRepository, ShownResults } from './resultsRepository';

/** Draws the panel's overview heatmaps of a model as a `data:image/png;base64,...` URL. */
export type PngSource = (modelPath: string) => Promise<string>;

export class ResultsExporter {
  constructor(
    private readonly results: ResultsRepository,
    private readonly png: PngSource,
    private readonly webviewBundleDir: string,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  /** Returns the written file, or undefined when nothing was written (the user was told why). */
  async export(modelPath: string, format: ExportFormat, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const shown = this.results.get(modelPath) ?? (await this.results.latest(modelPath));
    if (!shown) {
      void vscode.window.showWarningMessage(`SEIS: nothing to export for ${basename(modelPath)} yet. Run "Analyze SEIS" first.`);
      return undefined;
    }
    const stem = basename(modelPath, extname(modelPath));
    const uri = target ?? (await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(dirname(modelPath), `${stem}.seis.${format}`)),
      filters: { [format.toUpperCase()]: [format] },
      title: `Export SEIS results as ${format.toUpperCase()}`,
    }));
    if (!uri) return undefined;
    try {
      writeFileAtomic(uri.fsPath, await this.render(shown, format));
      this.output.info(`Exported ${format.toUpperCase()} to ${uri.fsPath}`);
      if (!target) {
        void vscode.window.showInformationMessage(`SEIS: exported ${basename(uri.fsPath)}.`, 'Reveal').then((pick) => {
          if (pick) void vscode.commands.executeCommand('revealFileInOS', uri);
        });
      }
      return uri;
    } catch (err) {
      const text = `SEIS could not export ${format.toUpperCase()} to ${uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`;
      this.output.error(text);
      void vscode.window.showErrorMessage(text);
      return undefined;
    }
  }

  private async render(shown: ShownResults, format: ExportFormat): Promise<Uint8Array | string> {
    switch (format) {
      case 'json':
        return `${JSON.stringify(shown.result, null, 2)}\n`;
      case 'csv':
        return resultsToCsv(shown.result);
      case 'html':
        return renderStandaloneReport([shown.result], { title: `SEIS: ${shown.result.model.fileName}`, bundleDir: this.webviewBundleDir });
      case 'png': {
        const url = await this.png(shown.modelPath);
        const m = /^data:image\/png;base64,(.+)$/.exec(url);
        if (!m) throw new Error('the panel answered with something that is not a PNG data URL');
        return Buffer.from(m[1]!, 'base64');
      }
    }
  }
}
