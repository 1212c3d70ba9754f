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

const EXTENSION_ID = 'seis-lens.seis-lens';

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

  it('seis.sweep and seis.patterns reach the analysis, and the panel draws the sweep', async function () {
    if (!vscode.workspace.isTrusted || !existsSync(model())) this.skip();
    const seis = await api();
    const config = vscode.workspace.getConfiguration('seis');
    assert.equal(config.get('patterns'), 3, 'the extension stores 3 patterns by default');
    await config.update('sweep', 'rot:90', vscode.ConfigurationTarget.Workspace);
    try {
      const outcome = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(model()))) as RunOutcome;
      assert.equal(outcome.kind, 'done', outcome.kind === 'failed' || outcome.kind === 'refused' ? outcome.message : outcome.kind);
      result = outcome.kind === 'done' ? outcome.result : undefined;
    } finally {
      await config.update('sweep', undefined, vscode.ConfigurationTarget.Workspace);
    }
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
});
