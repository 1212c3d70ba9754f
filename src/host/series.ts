/**
 * SEIS: Analyze SEIS Across Checkpoints (issue 9, "In VS Code"). On a folder, a multi-selection of
 * .onnx files in the Explorer, or a folder picked from the palette: every checkpoint is analysed with
 * the same settings through the child-process engine (src/host/engine.ts, one checkpoint after
 * another), with a cancellable progress notification; the series opens in its own panel (the series
 * view above the open checkpoint's details). The rules are a single analysis's: only a complete series
 * is stored, keyed by the files' bytes and the analysis settings; Cancel keeps the finished
 * checkpoints on screen, marked incomplete, and never replaces a stored series.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../io/atomicWrite';
import { RESULTS_SCHEMA_VERSION, isSeriesResult, type SeriesResult } from '../shared/results';
import { checkpointResult } from '../shared/seriesParts';
import type { SeisController } from './controller';
import type { RestoredSeries } from './panel';
import { startSeriesEngine, type SeriesEngineRun } from './engine';
import { hashFile, settingsKeyOf } from './resultsStore';
import { requestFor } from './runService';
import { analysisRelevantSettings, readSettings } from './settings';
import { progressLine } from '../shared/progressLine';

const STORE_VERSION = 1;
const MAX_ENTRIES = 4;

export type SeriesOutcome =
  | { readonly kind: 'done' | 'stored'; readonly series: SeriesResult; readonly panelKey: string }
  | { readonly kind: 'cancelled'; readonly series?: SeriesResult; readonly panelKey: string }
  | { readonly kind: 'failed' | 'refused'; readonly message: string };

interface StoredSeries {
  readonly filesKey: string;
  readonly settingsKey: string;
  readonly savedAt: string;
  readonly series: SeriesResult;
}

/** Stored series, one file per set of checkpoint paths, up to MAX_ENTRIES (files' bytes × settings) each. */
export class SeriesStore {
  constructor(private readonly dir: string) {}

  private fileFor(pathsKey: string): string {
    return join(this.dir, `${pathsKey}.json`);
  }

  async load(pathsKey: string, filesKey: string, settingsKey: string): Promise<StoredSeries | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.fileFor(pathsKey), 'utf8')) as { storeVersion?: number; entries?: StoredSeries[] };
      if (parsed.storeVersion !== STORE_VERSION || !Array.isArray(parsed.entries)) return undefined;
      return parsed.entries.find((e) => e.filesKey === filesKey && e.settingsKey === settingsKey
        && isSeriesResult(e.series) && e.series.schemaVersion === RESULTS_SCHEMA_VERSION);
    } catch {
      // Missing or damaged: the series is simply run again.
      return undefined;
    }
  }

  async save(pathsKey: string, entry: StoredSeries): Promise<void> {
    if (entry.series.incomplete) throw new Error(`an incomplete series (${entry.series.incomplete.reason}) is never stored`);
    await mkdir(this.dir, { recursive: true });
    let previous: StoredSeries[] = [];
    try {
      previous = (JSON.parse(await readFile(this.fileFor(pathsKey), 'utf8')) as { entries?: StoredSeries[] }).entries ?? [];
    } catch {
      previous = [];
    }
    const others = previous.filter((e) => !(e.filesKey === entry.filesKey && e.settingsKey === entry.settingsKey));
    writeFileAtomic(this.fileFor(pathsKey), JSON.stringify({ storeVersion: STORE_VERSION, entries: [entry, ...others].slice(0, MAX_ENTRIES) }));
  }
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isOnnx(path: string): boolean {
  return extname(path).toLowerCase() === '.onnx';
}

/** The .onnx files a folder holds (not its subfolders) or the files themselves; what is not a checkpoint is named. */
async function checkpointFiles(targets: readonly string[]): Promise<{ files: string[]; skipped: string[] }> {
  const files: string[] = [];
  const skipped: string[] = [];
  for (const target of targets) {
    const st = await stat(target);
    if (st.isDirectory()) {
      for (const name of (await readdir(target)).sort()) if (isOnnx(name)) files.push(join(target, name));
    } else if (isOnnx(target)) files.push(target);
    else skipped.push(basename(target));
  }
  return { files: [...new Set(files)], skipped };
}

/** Where a series of these files with these settings is stored, and its panel. */
async function seriesKeys(files: readonly string[], settings: ReturnType<typeof readSettings>) {
  const relevant = analysisRelevantSettings(settings);
  const sortedPaths = [...files].sort();
  const pathsKey = sha(sortedPaths.join('\n')).slice(0, 24);
  return {
    relevant,
    pathsKey,
    panelKey: `seis-series:${pathsKey}`,
    filesKey: sha((await Promise.all(sortedPaths.map((p) => hashFile(p)))).join('\n')),
    settingsKey: settingsKeyOf(relevant),
    title: `SEIS: ${files.length} checkpoints`,
  };
}

export class CheckpointSeries implements vscode.Disposable {
  private readonly store: SeriesStore;
  private active: SeriesEngineRun | undefined;
  /** The series last put on screen (finished, stored, or the checkpoints so far). */
  shown: SeriesResult | undefined;

  constructor(private readonly controller: SeisController, storageDir: string) {
    this.store = new SeriesStore(join(storageDir, 'series'));
    controller.cancelSeries = () => this.cancel();
    controller.panels.findStoredSeries = (paths) => this.storedSeries(paths);
  }

  /** A series panel restored after a reload shows what the same files and settings stored (the files are hashed again). */
  private async storedSeries(files: readonly string[]): Promise<RestoredSeries | undefined> {
    if (files.length === 0) return undefined;
    const { pathsKey, panelKey, filesKey, settingsKey, title } = await seriesKeys(files, readSettings(vscode.Uri.file(files[0]!)));
    const stored = await this.store.load(pathsKey, filesKey, settingsKey);
    if (!stored) return undefined;
    this.shown = stored.series;
    return { key: panelKey, series: stored.series, title };
  }

  get running(): boolean {
    return this.active !== undefined;
  }

  cancel(): boolean {
    this.active?.cancel();
    return this.active !== undefined;
  }

  /** Never throws: the outcome says what happened, and the user has been told. */
  async analyze(targets: readonly string[], rerun = false): Promise<SeriesOutcome> {
    const refuse = (message: string, kind: 'refused' | 'failed' = 'refused'): SeriesOutcome => {
      this.controller.output.warn(message);
      void vscode.window.showWarningMessage(message);
      return { kind, message };
    };
    if (!vscode.workspace.isTrusted) {
      return refuse('SEIS analysis is off in this untrusted workspace: analysing loads each checkpoint into onnxruntime. Trust the workspace to analyse a series.');
    }
    if (this.active || this.controller.running) return refuse('SEIS is already analysing. Cancel it first ("SEIS: Cancel Analysis"), then start the series again.');
    let found: { files: string[]; skipped: string[] };
    try {
      found = await checkpointFiles(targets);
    } catch (err) {
      return refuse(`SEIS cannot read the checkpoints: ${err instanceof Error ? err.message : String(err)}`, 'failed');
    }
    if (found.files.length < 2) {
      return refuse(`Analyze SEIS Across Checkpoints needs at least two .onnx checkpoints; ${found.files.length === 1 ? `only ${basename(found.files[0]!)} was` : 'none was'} found`
        + `${found.skipped.length ? ` (not ONNX: ${found.skipped.join(', ')})` : ''}. Select a folder of checkpoints or several .onnx files.`);
    }
    const files = found.files;
    const settings = readSettings(vscode.Uri.file(files[0]!));
    let engineRequest;
    try {
      engineRequest = requestFor(files[0]!, settings);
    } catch (err) {
      return refuse(err instanceof Error ? err.message : String(err), 'failed');
    }
    const { modelPath: _first, ...analysis } = engineRequest;
    const { relevant, pathsKey, panelKey, filesKey, settingsKey, title } = await seriesKeys(files, settings);

    if (!rerun) {
      const stored = await this.store.load(pathsKey, filesKey, settingsKey);
      if (stored) {
        this.shown = stored.series;
        await this.controller.panels.showSeries(panelKey, stored.series, title);
        await this.adoptCheckpoints(stored.series);
        void vscode.window.showInformationMessage(`SEIS: showing the stored series of these ${files.length} checkpoints (same files and settings, ${stored.savedAt}).`, 'Re-run').then((pick) => {
          if (pick) void this.analyze(targets, true);
        });
        return { kind: 'stored', series: stored.series, panelKey };
      }
    }

    this.controller.output.info(`Analysing ${files.length} checkpoints with ${JSON.stringify(analysis)}`);
    let run: SeriesEngineRun;
    let lastFraction = 0;
    let report: ((message: string, fraction: number) => void) | undefined;
    try {
      run = startSeriesEngine({ files: files.map((path) => ({ path })), analysis }, {
        onProgress: (p) => report?.(p.message, p.fraction),
        onCheckpoint: (partial) => {
          if (!partial.incomplete) return;
          this.shown = partial;
          void this.controller.panels.showSeries(panelKey, partial, title, true);
        },
      });
    } catch (err) {
      return refuse(`SEIS could not analyse these checkpoints: ${err instanceof Error ? err.message : String(err)}`, 'failed');
    }
    this.active = run;
    // Analyze SEIS and Try the Example Models are disabled meanwhile, as during a single analysis.
    void vscode.commands.executeCommand('setContext', 'seis.running', true);
    const started = Date.now();
    let cancelled = false;
    try {
      const series = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `SEIS: analysing ${files.length} checkpoints`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => { cancelled = true; run.cancel(); });
          report = (message, fraction) => {
            const f = Math.max(lastFraction, Number.isFinite(fraction) ? fraction : 0);
            progress.report({ message: progressLine({ fraction: f, message }), increment: Math.max(0, (f - lastFraction) * 100) });
            lastFraction = f;
          };
          return run.result;
        },
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      this.shown = series;
      await this.controller.panels.showSeries(panelKey, series, title, true);
      if (series.incomplete || cancelled) {
        const done = series.incomplete?.checkpointsDone ?? series.checkpoints.length;
        const text = `SEIS: the series stopped after ${done} of ${files.length} checkpoints (${series.incomplete?.message ?? 'cancelled'}); the finished ones are shown, marked incomplete; stored series are unchanged.`;
        this.controller.output.info(text);
        void vscode.window.showInformationMessage(text);
        return { kind: 'cancelled', series, panelKey };
      }
      await this.adoptCheckpoints(series, relevant);
      try {
        await this.store.save(pathsKey, { filesKey, settingsKey, savedAt: new Date().toISOString(), series });
      } catch (err) {
        this.controller.output.warn(`Could not store the series: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.controller.output.info(`Series of ${files.length} checkpoints done in ${seconds} s`);
      for (const w of series.warnings) this.controller.output.warn(w);
      return { kind: 'done', series, panelKey };
    } catch (err) {
      const message = `SEIS could not analyse these checkpoints: ${err instanceof Error ? err.message : String(err)}`;
      this.controller.output.error(message);
      void vscode.window.showErrorMessage(message);
      return { kind: 'failed', message };
    } finally {
      this.active = undefined;
      void vscode.commands.executeCommand('setContext', 'seis.running', false);
    }
  }

  /**
   * The inspector follows the last checkpoint and shows each layer's trajectory. A finished run's
   * checkpoints are exactly what `seis analyze` gives each file alone with these settings, so they
   * are stored as the files' results too (`relevant`), and badges and panels find them.
   */
  private async adoptCheckpoints(series: SeriesResult, relevant?: Readonly<Record<string, unknown>>): Promise<void> {
    const analysed = series.checkpoints.map((c, i) => ({ c, i })).filter(({ c }) => !c.failed && c.layers.length > 0);
    for (const { c, i } of analysed) {
      this.controller.seriesByModel.set(c.model.path, series);
      if (relevant) await this.controller.results.saveComplete(c.model.path, checkpointResult(series, i), relevant);
    }
    const last = analysed.at(-1)?.c.model.path;
    if (last) await this.controller.show(last);
  }

  dispose(): void {
    this.active?.cancel();
  }
}

/** The command: Explorer (a folder, or the multi-selection of .onnx files) or the palette (a folder picker). */
export function registerCheckpointSeries(series: CheckpointSeries): vscode.Disposable[] {
  return [
    series,
    vscode.commands.registerCommand('seis.analyzeCheckpoints', async (clicked?: unknown, selected?: unknown) => {
      const uris = Array.isArray(selected) && selected.length > 1 ? selected : clicked instanceof vscode.Uri ? [clicked] : [];
      let targets = uris.filter((u): u is vscode.Uri => u instanceof vscode.Uri && u.scheme === 'file').map((u) => u.fsPath);
      if (targets.length === 0) {
        const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title: 'Folder of ONNX checkpoints (epoch_1.onnx, step-1200.onnx, …)', openLabel: 'Analyze Checkpoints' });
        targets = (picked ?? []).map((u) => u.fsPath);
        if (targets.length === 0) return undefined;
      }
      return series.analyze(targets);
    }),
  ];
}
