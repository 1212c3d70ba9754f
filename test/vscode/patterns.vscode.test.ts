/**
 * Canonical patterns computed on demand inside a real VS Code (issue 10): the rotation-augmented
 * example CNN analysed with seis.patterns = 0 stores none; the panel's "Compute patterns for this
 * layer" route (controller.computePatterns, what the button's message runs) analyses the last conv
 * layer alone under rot90 in the analysis child, and its patterns join the shown result while every
 * score stays as it was. A changed model file is refused and leaves the shown result alone.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SeisExtensionApi } from '../../src/extension';
import type { RunOutcome } from '../../src/host/controller';
import type { AnalysisResult, LayerResult } from '../../src/shared/results';

const EXTENSION_ID = 'seis-lens.seis-lens';

async function api(): Promise<SeisExtensionApi> {
  const ext = vscode.extensions.getExtension<SeisExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Every score cell without its patterns, to compare two results' scores. */
function scoresOf(result: AnalysisResult): unknown {
  return result.layers.map((l: LayerResult) => [l.name, Object.entries(l.scores).map(([id, { patterns: _p, ...cell }]) => [id, cell])]);
}

const norm = (v: readonly number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('SEIS canonical patterns computed on demand in VS Code', () => {
  const root = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const model = (): string => join(root(), 'models', 'cnn-rotaug.onnx');
  const settings = ['patterns', 'transforms'] as const;
  after(async () => {
    if (!vscode.workspace.isTrusted || !vscode.workspace.workspaceFolders?.length) return;
    const config = vscode.workspace.getConfiguration('seis');
    for (const key of settings) await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('computes the last conv layer\'s rot90 patterns for a run that stored none, scores unchanged; a changed model is refused', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const source = join(ext.extensionPath, 'examples', 'models', 'cnn-rotaug.onnx');
    if (!vscode.workspace.isTrusted || !existsSync(source)) this.skip();
    copyFileSync(source, model());
    const seis = await api();
    const config = vscode.workspace.getConfiguration('seis');
    await config.update('patterns', 0, vscode.ConfigurationTarget.Workspace);
    await config.update('transforms', ['rot90', 'rot180'], vscode.ConfigurationTarget.Workspace);

    const analysed = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(model()))) as RunOutcome;
    assert.equal(analysed.kind, 'done', 'message' in analysed ? analysed.message : analysed.kind);
    const before = (analysed as Extract<RunOutcome, { kind: 'done' }>).result;
    assert.ok(before.layers.every((l) => Object.values(l.scores).every((c) => !c.patterns?.length)), 'seis.patterns = 0 stored no patterns');
    const conv = before.layers.filter((l) => l.op === 'Conv' && l.status === 'scored').at(-1);
    assert.ok(conv?.scores.rot90, 'the last conv layer is scored under rot90');
    const panel = await seis.controller.openPanel(model(), true);
    assert.ok(panel);

    const computed = await seis.controller.computePatterns(model(), conv.name, 'rot90');
    assert.equal(computed.kind, 'done', 'message' in computed ? computed.message : computed.kind);
    const merged = (computed as Extract<RunOutcome, { kind: 'done' }>).result;
    const pairs = merged.layers.find((l) => l.name === conv.name)!.scores.rot90!.patterns!;
    // seis.patterns is 0, so the extension's default of 3 pairs.
    assert.equal(pairs.length, 3, 'three canonical pairs');
    for (const p of pairs) {
      assert.equal(p.clean.length, p.height * p.width);
      assert.equal(p.transformed.length, p.height * p.width);
      assert.ok(Math.abs(norm(p.clean) - 1) < 1e-6 && Math.abs(norm(p.transformed) - 1) < 1e-6, `unit length: ${norm(p.clean)}, ${norm(p.transformed)}`);
      assert.ok(p.rho > 0 && p.rho <= 1 + 1e-9);
    }
    assert.ok(pairs.every((p, i) => i === 0 || p.rho <= pairs[i - 1]!.rho), 'ordered by ρ');
    assert.deepEqual(scoresOf(merged), scoresOf(before), 'every score of the shown result is unchanged');
    assert.equal(merged.createdAt, before.createdAt, 'the same run, completed');
    const others = merged.layers.flatMap((l) => Object.entries(l.scores).filter(([id]) => l.name !== conv.name || id !== 'rot90').map(([, c]) => c));
    assert.ok(others.every((c) => !c.patterns?.length), 'only the asked cell gained patterns');

    // Every view follows: the repository shows the merged result, and so does the panel.
    assert.equal(seis.controller.results.get(model())?.result, merged);
    const deadline = Date.now() + 10_000;
    while (panel.shownResults?.results[0] !== merged) {
      assert.ok(Date.now() < deadline, 'the panel re-rendered with the patterns');
      await new Promise((r) => setTimeout(r, 50));
    }

    // The model file changes under the shown result: the layer now scores differently, so its
    // patterns would not belong to the shown scores. Refused; the shown result stays as it was.
    copyFileSync(join(ext.extensionPath, 'examples', 'models', 'cnn-plain.onnx'), model());
    const refused = await seis.controller.computePatterns(model(), conv.name, 'rot180');
    assert.equal(refused.kind, 'failed');
    assert.match('message' in refused ? refused.message : '', /scores differently now .*model or its probes changed/);
    const shownAfter = seis.controller.results.get(model())!.result;
    assert.deepEqual(scoresOf(shownAfter), scoresOf(before));
    assert.equal(shownAfter.layers.find((l) => l.name === conv.name)!.scores.rot180!.patterns, undefined, 'nothing merged from the changed model');
    assert.equal(shownAfter.layers.find((l) => l.name === conv.name)!.scores.rot90!.patterns?.length, 3, 'the patterns computed before stay');
  });
});
