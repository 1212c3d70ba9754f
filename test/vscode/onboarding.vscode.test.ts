/**
 * The first minutes (issue 12) in a real VS Code: "SEIS: Try the Example Models" through the normal
 * run path into one side-by-side panel, with nothing written to the workspace; the walkthrough; the
 * untrusted-workspace rule (our bundled files run, a workspace model does not); and a refused model
 * whose notification offers "What models work?".
 * run.mjs runs these in three windows: the test folder (trusted), the same folder untrusted
 * (grep "untrusted workspace") and an empty window without a folder (grep "empty window").
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as vscode from 'vscode';
import type { SeisExtensionApi } from '../../src/extension';
import type { RunOutcome } from '../../src/host/controller';
import type { TourOutcome } from '../../src/host/examples';
import type { SeisPanel } from '../../src/host/panel';
import { EXAMPLE_MODELS, lastConvFigures } from '../../src/host/exampleGuide';
import { EXTENSION_ID, MODEL_REFUSALS, WALKTHROUGH_ID, WALKTHROUGH_STEPS, WHAT_MODELS_WORK } from '../../src/host/walkthrough';
import { vectorModel } from '../unit/analysis/modelFactory';

async function api(): Promise<SeisExtensionApi> {
  const ext = vscode.extensions.getExtension<SeisExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Every file under `dir` with its size and mtime, to prove a command wrote nothing there. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else files.set(relative(dir, p), `${st.size}:${st.mtimeMs}`);
    }
  };
  walk(dir);
  return files;
}

/** Runs the tour and checks the panel: both example models, side by side, the guide quoting the run. */
async function runTourAndCheckPanel(seis: SeisExtensionApi): Promise<void> {
  const outcome = (await vscode.commands.executeCommand('seis.tryExamples')) as TourOutcome;
  assert.equal(outcome.kind, 'shown', `the tour stopped: ${outcome.kind === 'stopped' ? outcome.reason : ''}`);
  const panel = outcome.panel;
  assert.deepEqual(panel.modelPaths.map((p) => relative(seis.controller.extensionUri.fsPath, p)), [...EXAMPLE_MODELS]);
  assert.equal(panel.panel.title, 'SEIS: example models');
  assert.deepEqual(panel.shownResults?.results.map((r) => r.model.fileName), ['cnn-plain.onnx', 'cnn-rotaug.onnx'], 'the panel shows both models, in this order');
  await panel.ready;
  // The webview draws what it was sent: a PNG of its heatmaps is proof that both rendered.
  const png = await panel.requestPng('overview');
  assert.match(png, /^data:image\/png;base64,/);

  // The guide's figures are this run's: the last conv layer of each model, from the stored results.
  const plain = seis.controller.cached(panel.modelPaths[0]!)?.result;
  const augmented = seis.controller.cached(panel.modelPaths[1]!)?.result;
  assert.ok(plain && augmented, 'both results are in the controller, like any analysis');
  const guide = panel.shownResults?.guide ?? '';
  for (const r of [plain, augmented]) {
    const f = lastConvFigures(r)!;
    assert.ok(guide.includes(f.cell.equivariance.toFixed(2)) && guide.includes(f.cell.null.equivariance.toFixed(2)), `the guide quotes ${r.model.fileName}'s S_E and null: ${guide}`);
  }
  assert.equal(outcome.guide, guide);
  assert.equal(plain.settings.probes.source, 'npy', 'the bundled probes were used, not the window\'s settings');
  assert.equal(plain.settings.probes.count, 64);
}

describe('Example tour and walkthrough (issue 12)', () => {
  it('in an empty window: the walkthrough is contributed with working buttons, and the tour shows both models side by side', async function () {
    if (vscode.workspace.workspaceFolders?.length) this.skip();
    const seis = await api();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const walkthroughs = (ext.packageJSON as { contributes: { walkthroughs: { id: string; title: string; steps: { id: string; description: string }[] }[] } }).contributes.walkthroughs;
    const ours = walkthroughs.find((w) => w.id === WALKTHROUGH_ID);
    assert.ok(ours, 'the walkthrough is contributed');
    assert.deepEqual(ours.steps.map((s) => s.id), [...WALKTHROUGH_STEPS]);
    // Every step's button must run a command that exists (a dead button is what a new user hits first).
    const commands = new Set(await vscode.commands.getCommands(true));
    for (const step of ours.steps) {
      const links = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]!);
      assert.ok(links.length > 0, `${step.id} has a button`);
      for (const c of links) assert.ok(commands.has(c), `${step.id}: command ${c} is registered`);
    }
    // Opening it by id opens the Get Started editor (that Get Started lists ours: ui-checks.mjs).
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#${WALKTHROUGH_ID}`, false);
    await waitForWalkthroughTab();
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    await runTourAndCheckPanel(seis);
    const stored = seis.controller.examples.resultsDir;
    assert.ok(existsSync(stored) && readdirSync(stored).length >= 2, `the example results are in the global storage (${stored})`);
    assert.equal(vscode.workspace.workspaceFolders, undefined, 'still no folder: nothing could have been written to one');
  });

  it('in the test folder: Cancel stops the tour, and nothing it kept counts as done', async function () {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder || !vscode.workspace.isTrusted) this.skip();
    const seis = await api();
    const first = seis.controller.examples.models[0]!;
    assert.equal(await seis.controller.storedResultsFor(first), undefined, 'no example results stored yet in this run');
    const runs = recordRuns(seis);
    const tour = vscode.commands.executeCommand('seis.tryExamples') as Thenable<TourOutcome>;
    await waitFor('the first example run', () => (runs.started.length ? true : undefined), 30_000);
    await vscode.commands.executeCommand('seis.cancel');
    const outcome = await tour;
    runs.dispose();
    assert.deepEqual(outcome, { kind: 'stopped', reason: 'cancelled' });
    assert.deepEqual(runs.started, [first], 'the second example was not started after Cancel');
    assert.equal(await seis.controller.storedResultsFor(first), undefined, 'a cancelled run stores nothing');
  });

  it('in the test folder: the tour writes nothing into the workspace, and its results are reused', async function () {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder || !vscode.workspace.isTrusted) this.skip();
    const seis = await api();
    const before = snapshot(folder);
    const firstTour = recordRuns(seis);
    await runTourAndCheckPanel(seis);
    firstTour.dispose();
    assert.deepEqual(firstTour.started, [...seis.controller.examples.models], 'both examples analysed (the cancelled tour left nothing to reuse)');
    assert.deepEqual(snapshot(folder), before, 'no file in the workspace was created or changed');
    assert.ok(readdirSync(seis.controller.examples.resultsDir).length >= 2, 'the example results are in the global storage');
    // A second run reuses the stored results: no analysis process starts.
    const runs = recordRuns(seis);
    const again = (await vscode.commands.executeCommand('seis.tryExamples')) as TourOutcome;
    runs.dispose();
    assert.equal(again.kind, 'shown');
    assert.deepEqual(runs.started, [], 'no new analysis for fresh stored results');

    // Any analysed models side by side, in the order asked, without the tour's guide.
    const [plainPath, augmentedPath] = seis.controller.examples.models;
    const compared = (await vscode.commands.executeCommand('seis.compareModels', [augmentedPath, plainPath])) as SeisPanel | undefined;
    assert.ok(compared, 'a comparison panel');
    assert.notEqual(compared, again.kind === 'shown' ? again.panel : undefined, 'its own panel, not the tour\'s');
    assert.deepEqual(compared.shownResults?.results.map((r) => r.model.fileName), ['cnn-rotaug.onnx', 'cnn-plain.onnx']);
    assert.equal(compared.shownResults?.guide, undefined);
    assert.equal(await vscode.commands.executeCommand('seis.compareModels', [plainPath]), undefined, 'one model is not a comparison');
    compared.panel.dispose();
  });

  it('a refused model offers "What models work?", which opens the walkthrough at the model step', async function () {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder || !vscode.workspace.isTrusted) this.skip();
    const seis = await api();
    const dir = join(folder, 'refused');
    mkdirSync(dir, { recursive: true });
    const model = join(dir, 'vector.onnx');
    writeFileSync(model, vectorModel());
    try {
      const outcome = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(model))) as RunOutcome;
      assert.equal(outcome.kind, 'failed');
      assert.ok(outcome.kind === 'failed' && outcome.code && MODEL_REFUSALS.has(outcome.code), `refused as a model (${outcome.kind === 'failed' ? outcome.code : ''})`);
      const notice = seis.lastNotice();
      assert.ok(notice, 'an error notification was shown');
      assert.match(notice.text, /vector\.onnx.*no image input/);
      assert.deepEqual(notice.actions, [WHAT_MODELS_WORK, 'Show Log']);
      await vscode.commands.executeCommand('notifications.clearAll');
      // What the button runs: the walkthrough, at the step about models.
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', { category: `${EXTENSION_ID}#${WALKTHROUGH_ID}`, step: 'seis.ownModel' }, false);
      await waitForWalkthroughTab();
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

      // A run that fails for another reason (a missing file) does not point at the walkthrough.
      const gone = (await seis.controller.analyze(join(dir, 'missing.onnx')));
      assert.equal(gone.kind, 'failed');
      assert.deepEqual(seis.lastNotice()?.actions, ['Show Log']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in an untrusted workspace, the bundled examples run but a workspace model is refused', async function () {
    if (vscode.workspace.isTrusted || !vscode.workspace.workspaceFolders?.length) this.skip();
    const seis = await api();
    // Our own file's bytes under a workspace path: refused, because the path is the workspace's.
    const copy = join(vscode.workspace.workspaceFolders[0]!.uri.fsPath, 'models', 'cnn-plain.onnx');
    assert.ok(existsSync(copy), 'the test folder holds a copy of the example model');
    const runs = recordRuns(seis);
    const refused = (await vscode.commands.executeCommand('seis.analyze', vscode.Uri.file(copy))) as RunOutcome;
    assert.equal(refused.kind, 'refused');
    assert.deepEqual(runs.started, [], 'nothing was started for the workspace model');
    await runTourAndCheckPanel(seis);
    runs.dispose();
    assert.ok(runs.started.length > 0, 'the bundled examples were analysed');
    assert.ok(runs.started.every((p) => seis.controller.examples.planFor(p)), 'and only they');
  });
});

/** The models whose analysis starts while recording (from the run events every view follows). */
function recordRuns(seis: SeisExtensionApi): { started: string[]; dispose(): void } {
  const started: string[] = [];
  const sub = seis.controller.onDidChangeRunState((s) => { if (s.running && !s.progress) started.push(s.modelPath); });
  return { started, dispose: () => sub.dispose() };
}

/**
 * The Get Started editor became active. The tab API keeps a label the editor had at some point
 * ("Welcome", or "Walkthrough: Setup VS Code Web" while the tab shows "Walkthrough: SEIS Lens" in
 * code-server 1.100), so which walkthrough is shown is checked in the real UI (ui-checks.mjs).
 */
function waitForWalkthroughTab(): Promise<vscode.Tab> {
  const seen = new Set<string>();
  return waitFor('the Get Started editor', () => {
    const t = vscode.window.tabGroups.activeTabGroup.activeTab;
    seen.add(t?.label ?? '(none)');
    return t && /^(Walkthrough: |Welcome$)/.test(t.label) ? t : undefined;
  }, 30_000, () => [...seen].join(' | '));
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000, saw?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${saw ? ` (saw: ${saw()})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
