/**
 * Plain-Node checks of the report builder and the webview's view model (no browser): what the
 * report refuses, how it embeds data and script, and the reading rules the legend states.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AnalysisResult } from '../../src/shared/results';
import { ReportError, renderStandaloneReport, writeStandaloneReport } from '../../src/report';
import {
  WEBVIEW_PROTOCOL_VERSION, handshakeProblem, isHostToWebviewMessage, isWebviewPersistedState, isWebviewToHostMessage,
} from '../../src/shared/webviewProtocol';
import { buildModelView, colorFor, shortLabel, unionTransforms } from '../../webview-ui/src/viewModel';
import { heatKey } from '../../webview-ui/src/charts/heatmapKeys';
import { tinyConvNetResult } from './fixtures/tinyConvNet';
import { buildWebviewBundle } from './harness';

describe('view model (the reading itself is tested in test/unit/shared/reading.unit.test.ts)', () => {
  test('rows: input floor first, then layers in graph order; columns = union of transforms', async () => {
    const r = await tinyConvNetResult('plain', { probes: 6, size: 8 });
    const other: AnalysisResult = { ...r, transforms: [...r.transforms.slice(1), { id: 'scale1.25', label: 'scale 1.25', kind: 'scale', exact: false, params: { factor: 1.25 } }] };
    const ts = unionTransforms([r, other]);
    assert.deepEqual(ts.map((t) => t.id), ['rot90', 'flip-h', 'shift-x4', 'rot30', 'scale1.25']);
    const view = buildModelView(r, 0, [r, other], ts);
    assert.deepEqual(view.rows.map((x) => x.label), ['input (floor)', ...r.layers.map((l) => l.name)]);
    assert.equal(view.rows[1].cells[0], r.layers[0].scores.rot90);
    assert.equal(view.rows[1].cells[4], undefined);
    assert.equal(view.title, 'tinynet-plain.onnx (1)');
  });

  test('labels keep the informative end; colours span the scale', () => {
    assert.equal(shortLabel('/a/b/c/d/e/f/g/h/Conv_output_0', 12), '…nv_output_0');
    assert.equal(shortLabel('short', 12), 'short');
    assert.equal(colorFor(0), 'rgba(68,1,84,1)');
    assert.equal(colorFor(1), 'rgba(253,231,37,1)');
    assert.equal(colorFor(2), colorFor(1));
  });
});

describe('heatmap keyboard rules (charts/heatmapKeys.ts)', () => {
  const at = (row: number, col: number, measure: 'equivariance' | 'invariance' = 'equivariance') => ({ row, col, measure });
  test('arrows cross from the S_E heatmap into the S_I one and stop at the edges', () => {
    assert.deepEqual(heatKey('ArrowRight', at(2, 3), 10, 4, 5), { kind: 'move', focus: at(2, 0, 'invariance') });
    assert.deepEqual(heatKey('ArrowLeft', at(2, 0, 'invariance'), 10, 4, 5), { kind: 'move', focus: at(2, 3) });
    assert.deepEqual(heatKey('ArrowLeft', at(2, 0), 10, 4, 5), { kind: 'move', focus: at(2, 0) });
    assert.deepEqual(heatKey('ArrowDown', at(9, 1), 10, 4, 5), { kind: 'move', focus: at(9, 1) });
    assert.deepEqual(heatKey('PageDown', at(7, 1), 10, 4, 5), { kind: 'move', focus: at(9, 1) });
    assert.deepEqual(heatKey('Home', at(7, 1), 10, 4, 5), { kind: 'move', focus: at(0, 1) });
    assert.deepEqual(heatKey('Enter', at(7, 1), 10, 4, 5), { kind: 'select' });
    assert.deepEqual(heatKey('a', at(7, 1), 10, 4, 5), { kind: 'none' });
  });
});

describe('protocol guards', () => {
  test('accept known messages, reject the rest', () => {
    assert.equal(isHostToWebviewMessage({ type: 'showResults', results: [] }), true);
    assert.equal(isHostToWebviewMessage({ type: 'ready', protocolVersion: 1 }), false);
    assert.equal(isWebviewToHostMessage({ type: 'ready', protocolVersion: WEBVIEW_PROTOCOL_VERSION }), true);
    assert.equal(isWebviewToHostMessage({ type: 'showResults' }), false);
    assert.equal(isWebviewToHostMessage(null), false);
    assert.equal(isWebviewPersistedState({ protocolVersion: WEBVIEW_PROTOCOL_VERSION, modelPaths: ['/m.onnx'] }), true);
    assert.equal(isWebviewPersistedState({ protocolVersion: WEBVIEW_PROTOCOL_VERSION + 1, modelPaths: [] }), false);
    assert.equal(isWebviewPersistedState({ protocolVersion: WEBVIEW_PROTOCOL_VERSION, modelPaths: [3] }), false);
    assert.equal(isWebviewPersistedState({ protocolVersion: WEBVIEW_PROTOCOL_VERSION, modelPaths: ['/m.onnx'], seriesPaths: ['/a.onnx', '/b.onnx'] }), true);
    assert.equal(isWebviewPersistedState({ protocolVersion: WEBVIEW_PROTOCOL_VERSION, modelPaths: ['/m.onnx'], seriesPaths: '/a.onnx' }), false);
  });

  test('check each message\'s payload, not only its type', () => {
    // Right type, wrong or missing payload: each would have thrown (or misled) inside a handler.
    assert.equal(isHostToWebviewMessage({ type: 'showResults', results: [{ layers: 'x' }] }), false);
    assert.equal(isHostToWebviewMessage({ type: 'showResults', results: [], selectedLayer: { modelIndex: '0', layerName: 'a' } }), false);
    assert.equal(isHostToWebviewMessage({ type: 'selectLayer' }), false);
    assert.equal(isHostToWebviewMessage({ type: 'progress', stage: 's', done: 1, total: 2, state: 'paused' }), false);
    assert.equal(isHostToWebviewMessage({ type: 'progress', stage: 's', done: 1, total: 2, state: 'running' }), true);
    assert.equal(isHostToWebviewMessage({ type: 'requestPng', messageId: -1 }), false);
    assert.equal(isHostToWebviewMessage({ type: 'requestPng', messageId: 4, chart: 'pie' }), false);
    assert.equal(isHostToWebviewMessage({ type: 'requestPng', messageId: 4, chart: 'scatter' }), true);
    assert.equal(isWebviewToHostMessage({ type: 'exportPng', inReplyTo: 3, dataUrl: 5 }), false);
    assert.equal(isWebviewToHostMessage({ type: 'exportPng', inReplyTo: 3, dataUrl: 'data:image/png;base64,AA' }), true);
    assert.equal(isWebviewToHostMessage({ type: 'requestExport', format: 'exe' }), false);
    for (const chart of ['overview', 'equivariance', 'invariance', 'profile', 'scatter', 'sweep', 'difference', 'series']) {
      assert.equal(isHostToWebviewMessage({ type: 'requestPng', messageId: 4, chart }), true, chart);
    }
    for (const format of ['json', 'csv', 'html', 'png', 'node-data']) assert.equal(isWebviewToHostMessage({ type: 'requestExport', format }), true, format);
    assert.equal(isHostToWebviewMessage({ type: 'requestPng', messageId: 4, chart: 'hasOwnProperty' }), false, 'a prototype key is no chart');
    assert.equal(isWebviewToHostMessage({ type: 'selectLayer', layer: { modelIndex: 0 } }), false);
    assert.equal(isWebviewToHostMessage({ type: 'ready' }), false);
    // Names inherited from Object.prototype are not message types.
    assert.equal(isWebviewToHostMessage({ type: 'toString' }), false);
    assert.equal(isHostToWebviewMessage({ type: 'constructor' }), false);
  });

  test('the ready handshake accepts this protocol and names a mismatch with what to do', () => {
    assert.equal(handshakeProblem({ type: 'ready', protocolVersion: WEBVIEW_PROTOCOL_VERSION }), undefined);
    const problem = handshakeProblem({ type: 'ready', protocolVersion: 1 }) ?? '';
    assert.match(problem, new RegExp(`speaks webview protocol 1, this extension speaks ${WEBVIEW_PROTOCOL_VERSION}`));
    assert.match(problem, /stale copy of its bundle\. Close the panel and open it again/);
  });
});

describe('standalone report builder', () => {
  let dir: string;
  let bundleDir: string;
  let result: AnalysisResult;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'seis-report-unit-'));
    bundleDir = path.join(dir, 'bundle');
    // With source maps, like `npm run build` without --production.
    await buildWebviewBundle(bundleDir, { sourcemap: true });
    result = await tinyConvNetResult('plain', { probes: 6, size: 8 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('embeds the bundle, the results and a CSP whose script hash matches the inline script', () => {
    const html = renderStandaloneReport([result], { bundleDir, title: 'My <report>' });
    assert.match(html, /<title>My &lt;report&gt;<\/title>/);
    const script = /<script>([\s\S]*)<\/script>\n<\/body>/.exec(html)?.[1] ?? '';
    assert.ok(script.length > 100_000, 'bundle inlined');
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    assert.ok(html.includes(`script-src 'sha256-${hash}'`));
    assert.ok(html.includes("default-src 'none'"));
    const data = /<script type="application\/json" id="seis-report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const parsed = JSON.parse(data) as { title: string; results: AnalysisResult[] };
    assert.equal(parsed.results[0].layers.length, result.layers.length);
    assert.equal(parsed.title, 'My <report>');
    assert.ok(!data.includes('<'), 'no raw < in the data block');
    // The inlined bundle must not point at map files that do not exist beside the report.
    assert.ok(readFileSync(path.join(bundleDir, 'main.js'), 'utf8').includes('sourceMappingURL'));
    assert.ok(!html.includes('sourceMappingURL'));
  });

  test('refuses empty input, non-results and a missing bundle with messages that say what to do', () => {
    assert.throws(() => renderStandaloneReport([], { bundleDir }), (e: Error) => e instanceof ReportError && /at least one analysis result/.test(e.message));
    assert.throws(() => renderStandaloneReport([{ foo: 1 } as unknown as AnalysisResult], { bundleDir }), /Result 1 is not a SEIS analysis result/);
    assert.throws(() => renderStandaloneReport([result], { bundleDir: path.join(dir, 'nope') }), /npm run build/);
  });

  test('writes atomically: a failed write leaves neither the report nor a temp file', () => {
    const good = path.join(dir, 'ok.html');
    writeStandaloneReport(good, [result], { bundleDir });
    assert.match(readFileSync(good, 'utf8'), /^<!DOCTYPE html>/);
    const before = readdirSync(dir).sort();
    assert.throws(() => writeStandaloneReport(path.join(dir, 'ok.html', 'inside-a-file.html'), [result], { bundleDir }), (e: Error) => e instanceof ReportError && /Could not write the HTML report/.test(e.message));
    assert.throws(() => writeStandaloneReport(path.join(dir, 'missing.html'), [], { bundleDir }), ReportError);
    assert.equal(existsSync(path.join(dir, 'missing.html')), false);
    assert.deepEqual(readdirSync(dir).sort(), before);
  });
});
