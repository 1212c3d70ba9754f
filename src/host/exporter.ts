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
import { buildNodeData, NODE_DATA_MEASURES, type NodeDataMeasure, type NodeDataOptions } from '../shared/nodeData';
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

  /**
   * Returns the written file, or undefined when nothing was written (the user was told why). Node data
   * needs a measure and a transform: given, or picked (the transform shown first).
   */
  async export(modelPath: string, format: ExportFormat, target?: vscode.Uri, nodeData?: NodeDataOptions, shownTransform?: string): Promise<vscode.Uri | undefined> {
    const shown = this.results.get(modelPath) ?? (await this.results.latest(modelPath));
    if (!shown) {
      void vscode.window.showWarningMessage(`SEIS: nothing to export for ${basename(modelPath)} yet. Run "Analyze SEIS" first.`);
      return undefined;
    }
    const options = format === 'node-data' ? nodeData ?? (await pickNodeData(shown, shownTransform)) : undefined;
    if (format === 'node-data' && !options) return undefined;
    const stem = basename(modelPath, extname(modelPath));
    const [name, extension, kind] = format === 'node-data'
      ? [`${stem}.seis.node-data.json`, 'json', 'Model Explorer node data']
      : [`${stem}.seis.${format}`, format, format.toUpperCase()];
    const uri = target ?? (await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(dirname(modelPath), name)),
      filters: { [kind]: [extension] },
      title: `Export SEIS results as ${kind}`,
    }));
    if (!uri) return undefined;
    try {
      writeFileAtomic(uri.fsPath, await this.render(shown, format, options));
      this.output.info(`Exported ${kind} to ${uri.fsPath}`);
      if (!target) {
        void vscode.window.showInformationMessage(`SEIS: exported ${basename(uri.fsPath)}.`, 'Reveal').then((pick) => {
          if (pick) void vscode.commands.executeCommand('revealFileInOS', uri);
        });
      }
      return uri;
    } catch (err) {
      const text = `SEIS could not export ${kind} to ${uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`;
      this.output.error(text);
      void vscode.window.showErrorMessage(text);
      return undefined;
    }
  }

  private async render(shown: ShownResults, format: ExportFormat, nodeData?: NodeDataOptions): Promise<Uint8Array | string> {
    switch (format) {
      case 'node-data': {
        const built = buildNodeData(shown.result, nodeData);
        this.output.info(`Node data: ${built.measure} under ${built.transform} for ${built.layers} layers`
          + `${built.skipped.length ? `; left out: ${built.skipped.join('; ')}` : ''}`);
        return `${JSON.stringify(built.data, null, 1)}\n`;
      }
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

const MEASURE_TEXT: Readonly<Record<NodeDataMeasure, string>> = {
  equivariance: 'S_E: how much spatial information the layer keeps (0 to 1)',
  invariance: 'S_I: how much of it stays in place (0 to 1)',
  'equivariance-above-null': 'S_E minus its null: grey up to the margin, green above (needs a null)',
};

/** The measure, then the transform (the one shown first), for a node-data export; undefined if the user backs out. */
async function pickNodeData(shown: ShownResults, shownTransform: string | undefined): Promise<NodeDataOptions | undefined> {
  const measure = await vscode.window.showQuickPick(
    NODE_DATA_MEASURES.map((m) => ({ label: m, description: MEASURE_TEXT[m], measure: m })),
    { title: 'Model Explorer node data: which measure colours the graph' },
  );
  if (!measure) return undefined;
  const transforms = [...shown.result.transforms].sort((a, b) => Number(b.id === shownTransform) - Number(a.id === shownTransform));
  const transform = await vscode.window.showQuickPick(
    transforms.map((t) => ({ label: t.id, description: `${t.label}${t.id === shownTransform ? ' · shown' : ''}`, id: t.id })),
    { title: `Model Explorer node data: ${measure.measure} under which transform` },
  );
  return transform ? { measure: measure.measure, transform: transform.id } : undefined;
}
