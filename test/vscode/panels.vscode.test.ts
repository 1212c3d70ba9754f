/**
 * The panels' views inside a real VS Code: a sweep set in the settings and the extension's default
 * patterns reach a real analysis of the example CNN, the panel draws the sweep (asked as a PNG from
 * the webview itself), and the Model Explorer node-data export writes the scores keyed by tensor name.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SeisExtensionApi } from '../../src/extension';
import type { RunOutcome } from '../../src/host/controller';
import type { GraphNodeData } from '../../src/shared/nodeData';
import type { AnalysisResult } from '../../src/shared/results';
import type { SeriesOutcome } from '../../src/host/series';

const EXTENSION_ID = 'seis-lens.seis-lens';

type Finished = Extract<SeriesOutcome, { kind: 'done' | 'stored' }>;

async function api(): Promise<SeisExtensionApi> {
  const ext = vscode.extensions.getExtension<SeisExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

function pngSize(dataUrl: string): { width: number; height: number } {
  const m = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
  assert.ok(m, 'a PNG data URL');
  const bytes = Buffer.from(m[1]!, 'base64');
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  // IHDR: width and height are the first two big-endian words after the chunk header.
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('SEIS panels in VS Code: sweep, patterns, Model Explorer export', () => {
  const root = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const model = (): string => join(root(), 'models', 'cnn-plain.onnx');
  let result: AnalysisResult | undefined;
  after(async () => {
    if (vscode.workspace.isTrusted && vscode.workspace.workspaceFolders?.length) await vscode.workspace.getConfiguration('seis').update('sweep', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('seis.sweep and seis.patterns reach the analysis, and the panel draws the sweep', async function () {
    if (!vscode.workspace.isTrusted || !existsSync(model())) this.skip();
    const seis = await api();
    const config = vscode.workspace.getConfiguration('seis');
    assert.equal(config.get('patterns'), 3, 'the extension stores 3 patterns by default');
    // Reset only after both tests (the after hook): resetting re-reads the stored results, and an
    // earlier run of this model without a sweep (the Python decorations test) then matches again.
    await config.update('sweep', 'rot:90', vscode.ConfigurationTarget.Workspace);
    const outcome = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(model()))) as RunOutcome;
    assert.equal(outcome.kind, 'done', outcome.kind === 'failed' || outcome.kind === 'refused' ? outcome.message : outcome.kind);
    result = outcome.kind === 'done' ? outcome.result : undefined;
    // The workspace's transforms (rot180, flip-h), then the sweep members they do not list.
    assert.deepEqual(result!.transforms.map((t) => t.id), ['rot180', 'flip-h', 'rot90', 'rot270']);
    assert.deepEqual(result!.transforms.filter((t) => t.family === 'rot').map((t) => t.parameter).sort((a, b) => a! - b!), [90, 180, 270]);
    assert.deepEqual(result!.settings.sweeps, ['rot:90']);
    const scored = result!.layers.find((l) => l.status === 'scored' && l.scores.rot90?.patterns?.length);
    assert.ok(scored, 'a scored layer carries canonical patterns');
    const pair = scored.scores.rot90!.patterns![0]!;
    assert.equal(pair.clean.length, pair.height * pair.width);

    const panel = await seis.controller.openPanel(model(), true);
    assert.ok(panel);
    const sweep = pngSize(await panel.requestPng('sweep'));
    assert.ok(sweep.width > 200 && sweep.height > 150, `the webview drew the sweep chart: ${sweep.width}×${sweep.height}`);
    // One model: there is no difference view, and the webview says so rather than drawing nothing.
    await assert.rejects(panel.requestPng('difference'), /no difference view to export/);
  });

  it('exports Model Explorer node data keyed by the ONNX output tensor names', async function () {
    if (!result) this.skip();
    const seis = await api();
    const target = vscode.Uri.file(join(root(), 'cnn-plain.node-data.json'));
    const written = await seis.controller.exportResults(model(), 'node-data', target, { measure: 'equivariance-above-null', transform: 'rot90' });
    assert.equal(written?.fsPath, target.fsPath);
    const data = JSON.parse(readFileSync(target.fsPath, 'utf8')) as GraphNodeData;
    const usable = result!.layers.filter((l) => l.status === 'scored' && l.scores.rot90 && !l.scores.rot90.underdetermined);
    assert.ok(usable.length > 0);
    for (const l of usable) {
      const cell = l.scores.rot90!;
      assert.ok(Math.abs(data.results[l.name]!.value - (cell.equivariance - cell.null.equivariance)) < 1e-12, `${l.name}: S_E − null`);
    }
    assert.ok(data.thresholds.length >= 2, 'threshold colours for Model Explorer');
    // A transform the result does not have: a clear message, no file.
    const bad = vscode.Uri.file(join(root(), 'bad.node-data.json'));
    assert.equal(await seis.controller.exportResults(model(), 'node-data', bad, { measure: 'equivariance', transform: 'rot45' }), undefined);
    assert.ok(!existsSync(bad.fsPath), 'nothing written for a refused export');
  });
  it('Analyze SEIS Across Checkpoints on a multi-selection: the series panel, intervals, stored and shown again', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const dir = join(ext.extensionPath, 'examples', 'checkpoints', 'plain');
    if (!vscode.workspace.isTrusted || !existsSync(join(dir, 'epoch_2.onnx'))) this.skip();
    const seis = await api();
    // Given out of order: the series orders them by the epoch in their names.
    const uris = ['epoch_2.onnx', 'epoch_0.onnx', 'epoch_1.onnx'].map((f) => vscode.Uri.file(join(dir, f)));
    const config = vscode.workspace.getConfiguration('seis');
    // The sweep test above leaves seis.sweep set until the after hook; this test wants the plain workspace transforms.
    await config.update('sweep', undefined, vscode.ConfigurationTarget.Workspace);
    await config.update('intervals', 8, vscode.ConfigurationTarget.Workspace);
    try {
      const outcome = (await vscode.commands.executeCommand('seis.analyzeCheckpoints', uris[0], uris)) as SeriesOutcome;
      assert.equal(outcome.kind, 'done', 'message' in outcome ? outcome.message : outcome.kind);
      const series = (outcome as Finished).series;
      assert.deepEqual(series.checkpoints.map((c) => [c.label, c.step]), [['epoch_0', 0], ['epoch_1', 1], ['epoch_2', 2]]);
      assert.deepEqual(series.transforms.map((t) => t.id), ['rot180', 'flip-h'], 'the workspace settings, shared by every checkpoint');
      const names = series.checkpoints.map((c) => c.layers.map((l) => l.name).join(','));
      assert.ok(names[0] && names.every((n) => n === names[0]), 'the same layers at every checkpoint');
      const cell = series.checkpoints[2]!.layers.find((l) => l.status === 'scored')!.scores.rot180!;
      assert.ok(cell.intervals && cell.intervals.equivariance.low <= cell.equivariance && cell.equivariance <= cell.intervals.equivariance.high, `an interval around each score (seis.intervals): ${JSON.stringify({ e: cell.equivariance, iv: cell.intervals, settings: series.settings, warnings: series.warnings })}`);

      const panel = seis.panels.get((outcome as Finished).panelKey);
      assert.ok(panel, 'the series has its panel');
      assert.equal(panel.shownSeries, series);
      assert.equal(panel.shownResults?.results[0]?.model.fileName, 'epoch_2.onnx', 'the last checkpoint\'s details are open below the series');
      const drawn = pngSize(await panel.requestPng('series'));
      assert.ok(drawn.width > 300 && drawn.height > 150, `the webview drew the series view: ${drawn.width}×${drawn.height}`);

      // The inspector follows the last checkpoint; each layer's tooltip carries its trajectory.
      assert.equal(seis.controller.currentModel, join(dir, 'epoch_2.onnx'));
      const layerNode = seis.tree.getChildren().flatMap((n) => [n, ...seis.tree.getChildren(n)]).find((n) => n.kind === 'layer' && n.layer.status === 'scored');
      assert.ok(layerNode);
      const tip = seis.tree.getTreeItem(layerNode).tooltip as vscode.MarkdownString;
      assert.match(tip.value, /S_E across 3 checkpoints \((rot180|flip-h)\): [▁▂▃▄▅▆▇█ ]{3} {2}\d\.\d\d → \d\.\d\d · settled at step [012] \(within its final interval\)/);
      // Each checkpoint's scores are now also its stored results, as `seis analyze` would give them.
      assert.equal((await seis.controller.results.latest(join(dir, 'epoch_1.onnx')))?.result.createdAt, series.createdAt);

      // Same files, same settings: the stored series is shown without running again.
      const again = (await vscode.commands.executeCommand('seis.analyzeCheckpoints', uris[1], [uris[1], uris[2], uris[0]])) as SeriesOutcome;
      assert.equal(again.kind, 'stored');
      assert.equal((again as Finished).series.createdAt, series.createdAt);
      // After a window reload the panel's serializer restores the series it finds stored for the
      // checkpoint files the webview persisted (seriesPaths): the same series, in the same panel slot.
      const restored = await seis.controller.panels.findStoredSeries?.(series.checkpoints.map((c) => c.model.path));
      assert.equal(restored?.series.createdAt, series.createdAt);
      assert.equal(restored?.key, (outcome as Finished).panelKey);
      assert.equal(restored?.title, 'SEIS: 3 checkpoints');
    } finally {
      await config.update('intervals', undefined, vscode.ConfigurationTarget.Workspace);
    }
    // Other settings now: nothing stored matches, so a restored series panel closes (with a message) rather than show one checkpoint.
    assert.equal(await seis.controller.panels.findStoredSeries?.(uris.map((u) => u.fsPath)), undefined);
    // One checkpoint is not a series: a clear message, nothing started.
    const single = (await vscode.commands.executeCommand('seis.analyzeCheckpoints', uris[0], [uris[0]])) as SeriesOutcome;
    assert.equal(single.kind, 'refused');
    assert.match('message' in single ? single.message : '', /needs at least two \.onnx checkpoints; only epoch_2\.onnx was found/);
  });
  it('Cancel mid-series keeps the finished checkpoints on screen, marked incomplete', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const dir = join(ext.extensionPath, 'examples', 'checkpoints', 'rotaug');
    if (!vscode.workspace.isTrusted || !existsSync(join(dir, 'epoch_4.onnx'))) this.skip();
    const seis = await api();
    // The Explorer's folder entry: every .onnx inside, ordered by epoch.
    const pending = vscode.commands.executeCommand('seis.analyzeCheckpoints', vscode.Uri.file(dir)) as Thenable<SeriesOutcome>;
    const deadline = Date.now() + 120_000;
    while (!(seis.series.running && seis.series.shown?.incomplete && seis.series.shown.checkpoints[0]?.model.path.startsWith(dir))) {
      assert.ok(Date.now() < deadline, 'the first checkpoint finished within 2 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The palette's Cancel reaches a series as it reaches a single analysis.
    await vscode.commands.executeCommand('seis.cancel');
    const outcome = await pending;
    assert.equal(outcome.kind, 'cancelled');
    const kept = (outcome as Extract<SeriesOutcome, { kind: 'cancelled' }>).series!;
    assert.equal(kept.incomplete?.reason, 'cancelled');
    assert.ok(kept.checkpoints.length >= 1 && kept.checkpoints.length < 5, `finished checkpoints kept: ${kept.checkpoints.length}`);
    assert.equal(kept.checkpoints[0]!.label, 'epoch_0');
    const panel = seis.panels.get((outcome as Extract<SeriesOutcome, { kind: 'cancelled' }>).panelKey);
    assert.equal(panel?.shownSeries?.incomplete?.reason, 'cancelled', 'the panel shows what was finished, marked incomplete');
    assert.equal(seis.series.running, false);
  });
});
