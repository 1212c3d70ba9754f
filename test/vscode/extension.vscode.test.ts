/**
 * SEIS Lens inside a real VS Code (code-server 1.100.3 offline, or a downloaded VS Code): the
 * contributed menu, a real analysis of a real PaddleOCR model through the child-process engine,
 * results in the panel (the webview renders and answers) and the tree, Cancel, and a corrupt
 * model that must leave earlier results intact. Suites run in order and share one analysis.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SeisExtensionApi } from '../../src/extension';
import type { RunOutcome } from '../../src/host/controller';
import type { AnalysisResult } from '../../src/shared/results';

const EXTENSION_ID = 'seis-lens.seis-lens';

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test run opens a workspace folder');
  return folder.uri.fsPath;
}

async function api(): Promise<SeisExtensionApi> {
  const ext = vscode.extensions.getExtension<SeisExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('SEIS Lens in VS Code', () => {
  const clsPath = (): string => join(workspaceRoot(), 'models', 'cls.onnx');
  let firstResult: AnalysisResult | undefined;

  it('contributes "Analyze SEIS" to the Explorer context menu of .onnx files, and activates lazily', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    const pkg = ext.packageJSON as { activationEvents: string[]; contributes: { menus: Record<string, { command: string; when?: string }[]>; commands: { command: string; title: string }[] } };
    const explorer = pkg.contributes.menus['explorer/context'] ?? [];
    const entry = explorer.find((m) => m.command === 'seis.analyze');
    assert.ok(entry, 'seis.analyze is in explorer/context');
    assert.match(entry.when ?? '', /resourceExtname == \.onnx/);
    assert.equal(pkg.contributes.commands.find((c) => c.command === 'seis.analyze')?.title, 'Analyze SEIS');
    assert.ok(!pkg.activationEvents.includes('*'), 'never activates on startup for every workspace');
    await api();
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['seis.analyze', 'seis.cancel', 'seis.openPanel', 'seis.export', 'seis.openLayerListing', 'seis.filterLayers']) {
      assert.ok(commands.includes(c), `${c} is registered`);
    }
  });

  it('analyses a real model: scores reach the panel (the webview renders them) and the layer tree', async () => {
    const seis = await api();
    const outcome = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(clsPath()))) as RunOutcome;
    assert.equal(outcome.kind, 'done', outcome.kind === 'failed' ? outcome.message : outcome.kind);
    const result = (outcome as { result: AnalysisResult }).result;
    firstResult = result;
    const scored = result.layers.filter((l) => l.status === 'scored');
    assert.ok(scored.length >= 5, `at least 5 scored layers (got ${scored.length})`);
    assert.equal(result.model.fileName, 'cls.onnx');

    const panel = await until('the results panel', () => seis.panels.get(clsPath()));
    await panel.ready;
    await until('the panel to show the new result', () => panel.shownResults?.results[0] === result);
    assert.deepEqual(panel.shownResults?.results[0]?.layers.map((l) => l.name), result.layers.map((l) => l.name));
    // Only a webview that actually drew its charts can answer with a PNG of them.
    const png = await panel.requestPng('overview');
    assert.match(png, /^data:image\/png;base64,/);
    assert.ok(Buffer.from(png.split(',')[1]!, 'base64').length > 2000, 'the PNG has content');

    const roots = seis.tree.getChildren();
    const items = roots.flatMap((n) => [n, ...seis.tree.getChildren(n)]).map((n) => seis.tree.getTreeItem(n));
    const layerItems = items.filter((i) => typeof i.id === 'string' && i.id.startsWith('layer:'));
    assert.equal(layerItems.length, result.layers.length, 'one tree item per layer');
    const withScores = layerItems.filter((i) => /E \d\.\d\d · I \d\.\d\d/.test(String(i.description)));
    assert.equal(withScores.length, scored.length, 'every scored layer shows E · I in the tree');
    const firstScored = scored[0]!;
    const transformId = seis.controller.transformId!;
    const cell = firstScored.scores[transformId]!;
    const item = layerItems.find((i) => i.id === `layer:${firstScored.name}`)!;
    assert.ok(String(item.description).includes(`E ${cell.equivariance.toFixed(2)} · I ${cell.invariance.toFixed(2)}`));

    const badge = seis.decorations.provideFileDecoration(vscode.Uri.file(clsPath()));
    assert.equal(badge?.badge, 'S', 'the analysed model carries an Explorer badge');
    assert.match(String(badge?.tooltip), /layers scored/);
    assert.equal(seis.decorations.provideFileDecoration(vscode.Uri.file(join(workspaceRoot(), 'README.txt'))), undefined);

    const fresh = await seis.controller.resultsFor(clsPath());
    assert.equal(fresh?.staleReason, undefined, 'stored results match the model and settings');
    assert.equal(fresh?.result.createdAt, result.createdAt);
  });

  it('selecting a layer in the tree selects it in the panel, and the filter narrows the tree', async () => {
    const seis = await api();
    const layer = firstResult!.layers.find((l) => l.status === 'scored')!;
    const panel = seis.panels.get(clsPath())!;
    const posted: string[] = [];
    const sub = panel.onDidPost((m) => posted.push(m.type));
    try {
      await vscode.commands.executeCommand('seis.revealLayer', clsPath(), layer.name);
      await until('selectLayer posted to the webview', () => posted.includes('selectLayer'));
    } finally {
      sub.dispose();
    }
    assert.equal(seis.controller.selectedLayer, layer.name);
    seis.tree.setFilter(layer.op);
    const visible = seis.tree.visibleLayerNames();
    assert.ok(visible.length > 0 && visible.length <= firstResult!.layers.length);
    assert.ok(visible.every((n) => firstResult!.layers.find((l) => l.name === n)!.op === layer.op || n.toLowerCase().includes(layer.op.toLowerCase())));
    seis.tree.setFilter('');
    assert.equal(seis.tree.visibleLayerNames().length, firstResult!.layers.length);
  });

  it('in the real UI, the Explorer context menu of an .onnx offers "Analyze SEIS" and the inspector lists scored layers', async function () {
    // Driven by the offline launcher, which owns the browser page (scripts/vscode-test/ui-checks.mjs).
    if (process.env.SEIS_UI_CHECKS !== '1') this.skip();
    const answer = join(workspaceRoot(), '.seis-ui-check.json');
    await vscode.commands.executeCommand('seis.openLayerListing', vscode.Uri.file(clsPath()));
    await vscode.commands.executeCommand('workbench.view.extension.seis');
    console.log('[seis-ui-check] run');
    const text = await until('the launcher to run the UI checks', () => {
      try {
        return readFileSync(answer, 'utf8');
      } catch {
        return undefined;
      }
    }, 120_000);
    const { failures } = JSON.parse(text) as { failures: string[] };
    assert.deepEqual(failures, []);
  });

  it('opens the layer listing with one line per captured layer (from the result, no ONNX parsing in the host) and score decorations', async () => {
    const seis = await api();
    const editor = (await vscode.commands.executeCommand('seis.openLayerListing', vscode.Uri.file(clsPath()))) as vscode.TextEditor | undefined;
    assert.ok(editor, 'the listing opened');
    assert.equal(editor.document.uri.scheme, 'seis-listing');
    const text = editor.document.getText();
    const layerLines = text.split('\n').filter((l) => !l.startsWith('#'));
    assert.deepEqual(layerLines.map((l) => l.split(' -> ')[1]), firstResult!.layers.map((l) => l.name), 'one line per captured layer, in graph order');
    assert.match(text, new RegExp(`${firstResult!.layers.length} captured layers of ${firstResult!.model.nodeCount} graph nodes`));
    const decorated = seis.decorations.decorate(editor);
    assert.equal(decorated, firstResult!.layers.length, 'one decoration per captured layer');
    const scored = firstResult!.layers.find((l) => l.status === 'scored')!;
    const line = text.split('\n').findIndex((l) => l.includes(`-> ${scored.name}`));
    assert.ok(line > 0, `the listing has the line producing ${scored.name}`);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, 2));
    const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(hoverText, /S_E \d\.\d\d \(null \d\.\d\d\), S_I \d\.\d\d/, 'the hover gives the scores with their nulls');
    assert.ok(hoverText.includes(scored.name));
  });

  it('exports JSON, CSV, PNG and a standalone HTML report that hold the shown results', async () => {
    const seis = await api();
    const htmlUri = vscode.Uri.file(join(workspaceRoot(), 'export.seis.html'));
    await seis.controller.exportResults(clsPath(), 'html', htmlUri);
    const pngUri = vscode.Uri.file(join(workspaceRoot(), 'export.seis.png'));
    await seis.controller.exportResults(clsPath(), 'png', pngUri);
    const png = readFileSync(pngUri.fsPath);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file drawn by the panel');
    const html = readFileSync(htmlUri.fsPath, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/i);
    assert.ok(html.includes(firstResult!.layers[0]!.name), 'the report embeds the layers');
    const jsonUri = vscode.Uri.file(join(workspaceRoot(), 'export.seis.json'));
    const csvUri = vscode.Uri.file(join(workspaceRoot(), 'export.seis.csv'));
    await seis.controller.exportResults(clsPath(), 'json', jsonUri);
    await seis.controller.exportResults(clsPath(), 'csv', csvUri);
    const json = JSON.parse(readFileSync(jsonUri.fsPath, 'utf8')) as AnalysisResult;
    assert.equal(json.createdAt, firstResult!.createdAt);
    assert.equal(json.layers.length, firstResult!.layers.length);
    const csvRows = readFileSync(csvUri.fsPath, 'utf8').trim().split('\r\n');
    const scored = firstResult!.layers.filter((l) => l.status === 'scored').length;
    const unscored = firstResult!.layers.length - scored;
    const t = firstResult!.transforms.length;
    assert.equal(csvRows.length, 1 + t + scored * t + unscored, 'header + floor rows + one row per layer and transform');
  });

  it('Cancel stops a running analysis at once and keeps the earlier results', async () => {
    const seis = await api();
    const running = vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(clsPath())) as Thenable<RunOutcome>;
    await until('the run to start', () => seis.controller.running);
    // Let the child get going (model loaded, first progress) so Cancel interrupts real work.
    await until('first progress', () => new Promise<boolean | undefined>((resolve) => {
      const sub = seis.controller.onDidChangeRunState((s) => { if (s.progress) { sub.dispose(); resolve(true); } });
      setTimeout(() => { sub.dispose(); resolve(undefined); }, 500);
    }), 60_000);
    const t0 = Date.now();
    await vscode.commands.executeCommand('seis.cancel');
    const outcome = await running;
    const ms = Date.now() - t0;
    assert.equal(outcome.kind, 'cancelled');
    assert.ok(ms < 2000, `cancelled within 2 s (took ${ms} ms)`);
    const pid = outcome.pid;
    assert.ok(pid, 'the run had a child process');
    await until('the analysis process to be gone', () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 2000);
    assert.equal(seis.controller.running, false);
    const stored = await seis.controller.storedResultsFor(clsPath());
    assert.equal(stored?.result.createdAt, firstResult!.createdAt, 'the earlier results are still stored');
    const shown = seis.controller.cached(clsPath())!;
    // Whatever was scored before Cancel may be shown, but only marked as such; else the earlier results.
    if (shown.result.incomplete) assert.equal(shown.result.incomplete.reason, 'cancelled');
    else assert.equal(shown.result.createdAt, firstResult!.createdAt);
  });

  it('results arrive layer by layer; Cancel keeps the scored layers visible, marked incomplete, and stores nothing', async () => {
    const seis = await api();
    const det = join(workspaceRoot(), 'models', 'det.onnx');
    const treeLayers = (): vscode.TreeItem[] => seis.tree.getChildren().flatMap((n) => [n, ...seis.tree.getChildren(n)])
      .map((n) => seis.tree.getTreeItem(n)).filter((i) => typeof i.id === 'string' && i.id.startsWith('layer:'));
    let firstPartial: AnalysisResult | undefined;
    let treeWhileRunning = -1;
    const sub = seis.controller.onDidChangeResults((s) => {
      if (s.modelPath !== det || s.result.incomplete?.reason !== 'running' || firstPartial) return;
      firstPartial = s.result;
      // The tree follows the same event and was subscribed first: it already lists them.
      treeWhileRunning = treeLayers().length;
      // Cancel at once, so it lands mid-run however fast the rest would go.
      void vscode.commands.executeCommand('seis.cancel');
    });
    try {
      const running = vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(det)) as Thenable<RunOutcome>;
      await until('the first partial result of the detector', () => firstPartial, 150_000);
      assert.ok(firstPartial!.layers.length > 0, 'the partial result carries scored layers');
      assert.ok(treeWhileRunning >= firstPartial!.layers.length, `while the run goes on, the tree shows the layers scored so far (${treeWhileRunning})`);
      const outcome = await running;
      assert.equal(outcome.kind, 'cancelled', 'cancelled mid-run (the detector has many more layers to go)');

      const shown = seis.controller.current();
      assert.equal(shown?.modelPath, det);
      const incomplete = shown!.result.incomplete;
      assert.equal(incomplete?.reason, 'cancelled');
      assert.ok(shown!.result.layers.length >= firstPartial!.layers.length, 'no scored layer is lost');
      assert.ok(incomplete!.layersDone < incomplete!.layersPlanned, `cancelled before the end (${incomplete!.layersDone} of ${incomplete!.layersPlanned})`);
      const summary = `incomplete: cancelled after ${incomplete!.layersDone} of ${incomplete!.layersPlanned} layers`;
      assert.equal(treeLayers().length, shown!.result.layers.length, 'the tree keeps every scored layer');
      assert.ok(seis.tree.getChildren().some((n) => seis.tree.getTreeItem(n).description === summary), 'the tree says it is incomplete');
      assert.ok(String(seis.tree.view.description).includes(summary));
      const panel = await until('the detector panel', () => seis.panels.get(det));
      await until('the panel to show the cancelled result', () => panel.shownResults?.results[0]?.incomplete?.reason === 'cancelled' || undefined);
      assert.deepEqual(panel.shownResults?.results[0]?.layers.map((l) => l.name), shown!.result.layers.map((l) => l.name));
      assert.equal(await seis.controller.storedResultsFor(det), undefined, 'a cancelled run stores nothing');
    } finally {
      sub.dispose();
    }
    await seis.controller.show(clsPath());
  });

  it('a corrupt model shows an error message and leaves the earlier results intact', async () => {
    const seis = await api();
    const path = clsPath();
    const bytes = readFileSync(path);
    // A download or export cut short: the first 40 % of the real file.
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    assert.ok(statSync(path).size < bytes.length);
    const panel = seis.panels.get(path)!;
    const posted: string[] = [];
    const sub = panel.onDidPost((m) => posted.push(m.type));
    const outcome = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(path))) as RunOutcome;
    assert.equal(outcome.kind, 'failed');
    const error = outcome.kind === 'failed' ? outcome.message : '';
    assert.match(error, /cls\.onnx/, 'the message names the model');
    assert.ok(!/\n\s+at /.test(error), `no stack trace in the message: ${error}`);
    await until('the panel to be told', () => posted.includes('showError'));
    sub.dispose();
    const kept = await seis.controller.resultsFor(path);
    assert.equal(kept?.result.createdAt, firstResult!.createdAt, 'earlier results kept');
    assert.match(kept?.staleReason ?? '', /model file changed/, 'and marked stale because the file changed');
    writeFileSync(path, bytes);
    const again = await seis.controller.resultsFor(path);
    assert.equal(again?.staleReason, undefined, 'fresh again once the original bytes are back');
  });

  it('decorates self.x lines of a Python source matching a PyTorch export, and can be switched off', async function () {
    const model = join(workspaceRoot(), 'models', 'cnn-plain.onnx');
    try {
      statSync(model);
    } catch {
      console.log('      (skipped: examples/models/cnn-plain.onnx is not in this checkout)');
      this.skip();
    }
    const seis = await api();
    const outcome = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(model))) as RunOutcome;
    assert.equal(outcome.kind, 'done', outcome.kind === 'failed' ? outcome.message : outcome.kind);
    const doc = await vscode.workspace.openTextDocument(join(workspaceRoot(), 'cnn_plain.py'));
    const editor = await vscode.window.showTextDocument(doc);
    const matches = seis.decorations.pythonMatches(doc);
    assert.ok(matches.length >= 1, 'at least one module line matched');
    for (const m of matches) {
      assert.match(doc.lineAt(m.line).text, new RegExp(`^\\s*self\\.${m.attribute} = `));
      assert.equal(m.layer.status, 'scored');
    }
    assert.ok(!matches.some((m) => m.attribute === 'fc'), 'the Gemm head has no spatial axis and gets no score');
    assert.equal(seis.decorations.decorate(editor), matches.length);
    const config = vscode.workspace.getConfiguration('seis');
    await config.update('decorations.python', false, vscode.ConfigurationTarget.Workspace);
    try {
      assert.equal(seis.decorations.decorate(editor), 0, 'switched off');
    } finally {
      await config.update('decorations.python', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal(seis.decorations.decorate(editor), matches.length);
    // Back to the classifier for the tests that follow.
    await seis.controller.show(clsPath());
  });

  it('marks results stale when an analysis setting changes', async () => {
    const seis = await api();
    const config = vscode.workspace.getConfiguration('seis');
    const before = config.inspect<number>('nullPermutations')?.workspaceValue;
    await config.update('nullPermutations', (before ?? 3) + 2, vscode.ConfigurationTarget.Workspace);
    const staleNote = (): boolean => seis.tree.getChildren().some((n) => seis.tree.getTreeItem(n).label === 'Results are stale');
    try {
      // The views learn it by themselves (configuration listener), without a reopen.
      await until('the layer tree to flag the results as stale', () => staleNote() || undefined, 15_000);
      const shown = await seis.controller.resultsFor(clsPath());
      assert.match(shown?.staleReason ?? '', /settings changed.*nullPermutations/);
    } finally {
      await config.update('nullPermutations', before, vscode.ConfigurationTarget.Workspace);
    }
    await until('the stale flag to clear', () => !staleNote() || undefined, 15_000);
    assert.equal((await seis.controller.resultsFor(clsPath()))?.staleReason, undefined);
  });

  it('in an untrusted workspace, says why analysis is off and starts nothing', async function () {
    // Runs in run.mjs's second pass, where the launcher leaves workspace trust on.
    if (vscode.workspace.isTrusted) this.skip();
    const seis = await api();
    const outcome = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(clsPath()))) as RunOutcome;
    assert.equal(outcome.kind, 'refused');
    assert.match(outcome.kind === 'refused' ? outcome.message : '', /untrusted workspace.*Trust the workspace/);
    assert.equal('pid' in outcome, false, 'no analysis process was started');
    assert.equal(seis.controller.running, false);
  });
});
