/**
 * The panels' views in real Chromium, on results computed by the real SEIS core
 * (fixtures/panelsFixtures.ts): canonical patterns in the layer details, the sweep view, and the
 * B − A difference view — drawn pixels, labels, clicks and keys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { AnalysisResult, SeriesResult } from '../../src/shared/results';
import { checkpointResult } from '../../src/shared/seriesParts';
import { panelsResult, panelsSeries } from './fixtures/panelsFixtures';
import { tinyConvNetResult } from './fixtures/tinyConvNet';
import { openVsCodePage, pageUntil, postToWebview, posted, startHarness, watchErrors, type Harness } from './harness';

const MIX = '/features/mix/Relu_output_0';
const POOL = '/features/pool/AveragePool_output_0';
const SCRAMBLE = '/features/scramble/Gather_output_0';

/** The canvas API these checks read, typed here because the tests compile without the DOM library. */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getBoundingClientRect(): { readonly width: number };
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { readonly data: Uint8ClampedArray } } | null;
}

let h: Harness;
let a: AnalysisResult;
let b: AnalysisResult;
let series: SeriesResult;

async function panelWith(results: AnalysisResult[], name: string): Promise<{ page: Page; errors: string[] }> {
  const page = await openVsCodePage(h, name);
  const errors = watchErrors(page);
  await pageUntil(page, 'window.__posted.length > 0');
  await postToWebview(page, { type: 'showResults', results, transformId: 'rot90' });
  await page.waitForSelector('canvas.heatmap[data-area]');
  return { page, errors };
}

/** RGBA of a canvas pixel at CSS coordinates (x, y) relative to the canvas. */
async function pixel(page: Page, selector: string, x: number, y: number): Promise<number[]> {
  return page.locator(selector).evaluate((el, [px, py]) => {
    const c = el as unknown as CanvasLike;
    const ratio = c.width / c.getBoundingClientRect().width;
    return Array.from(c.getContext('2d')!.getImageData(Math.floor(px * ratio), Math.floor(py * ratio), 1, 1).data);
  }, [x, y]);
}

/**
 * Pixels in a rectangle of a canvas (CSS coordinates) darker than `sumBelow` (R+G+B) and more opaque
 * than `alphaAbove`: hatch lines across a cell.
 */
async function darkPixels(page: Page, selector: string, rect: [number, number, number, number], sumBelow: number, alphaAbove: number): Promise<number> {
  return page.locator(selector).evaluate((el, [x, y, w, hh, darkest, opaque]) => {
    const c = el as unknown as CanvasLike;
    const ratio = c.width / c.getBoundingClientRect().width;
    const d = c.getContext('2d')!.getImageData(Math.round(x * ratio), Math.round(y * ratio), Math.round(w * ratio), Math.round(hh * ratio)).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < darkest && d[i + 3] > opaque) dark++;
    return dark;
  }, [...rect, sumBelow, alphaAbove]);
}

/** Counts pixels of a canvas that are clearly red (positive) and clearly blue (negative) on the diverging scale. */
async function redBlue(page: Page, selector: string): Promise<{ red: number; blue: number }> {
  return page.locator(selector).evaluate((el) => {
    const c = el as unknown as CanvasLike;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let red = 0, blue = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] - d[i + 2] > 60) red++;
      if (d[i + 2] - d[i] > 60) blue++;
    }
    return { red, blue };
  });
}

async function lastPosted(page: Page, type: string): Promise<Record<string, unknown> | undefined> {
  return (await posted(page)).filter((m) => m.type === type).at(-1);
}

describe('panels: patterns, sweep and difference views (Chromium)', () => {
  before(async () => {
    [a, b] = [await panelsResult({ seed: 5, intervals: true, fileName: 'model-a.onnx' }), await panelsResult({ seed: 6, intervals: true, noisyPool: true, fileName: 'model-b.onnx' })];
    series = await panelsSeries();
    h = await startHarness();
  });
  after(async () => { await h?.close(); });

  test('layer details draw the top canonical pairs: clean, moved like the input, transformed', async () => {
    const { page, errors } = await panelWith([a], 'patterns');
    await postToWebview(page, { type: 'selectLayer', layer: { modelIndex: 0, layerName: MIX } });
    await page.waitForSelector('.pattern-row');
    assert.equal(await page.locator('.pattern-row').count(), 3);
    for (const kind of ['clean', 'moved', 'transformed']) assert.equal(await page.locator(`.pattern-row[data-pair="0"] canvas.pattern-${kind}`).count(), 1, kind);
    // The 8×8 grid drawn at 9 px a cell, both signs present on the diverging scale.
    assert.deepEqual(await page.locator('.pattern-row[data-pair="0"] canvas.pattern-clean').evaluate((c) => [(c as unknown as CanvasLike).width, (c as unknown as CanvasLike).height]), [72, 72]);
    // Sign-fixed so the largest entry is positive (red); the later pairs, orthogonal to it, need both signs.
    const first = await redBlue(page, '.pattern-row[data-pair="0"] canvas.pattern-clean');
    const second = await redBlue(page, '.pattern-row[data-pair="1"] canvas.pattern-clean');
    assert.ok(first.red > 50, `pair 1 is drawn red where positive: ${JSON.stringify(first)}`);
    assert.ok(second.red > 50 && second.blue > 50, `pair 2 has both signs: ${JSON.stringify(second)}`);
    // A pointwise layer carries rot90 as a rotation of its maps: the moved clean map is the transformed one.
    const movedCosines = async () => Promise.all([0, 1, 2].map(async (i) => Number(await page.locator(`.pattern-row[data-pair="${i}"]`).getAttribute('data-moved-cosine'))));
    const mixCos = await movedCosines();
    assert.ok(mixCos.every((c) => c > 0.99), `mix layer: moved vs transformed |cos| ${mixCos}`);
    assert.match(await page.locator('.pattern-row[data-pair="0"] .pattern-caption').innerText(), /Pair 1 · ρ 1\.000 · \|cos\(w, v\)\| \d\.\d\d · moved vs transformed \|cos\| \d\.\d\d/);

    // Shuffled positions: the information is there (S_E ≈ 1) but not as a rotation of the maps.
    await postToWebview(page, { type: 'selectLayer', layer: { modelIndex: 0, layerName: SCRAMBLE } });
    await pageUntil(page, `document.querySelector('.details-name')?.textContent === ${JSON.stringify(SCRAMBLE)}`);
    await pageUntil(page, `document.querySelector('.pattern-row img, .pattern-row canvas') !== null`);
    const scrambleCos = await movedCosines();
    // Its top pair is the near-constant map any permutation keeps; the structured pairs are not moved like the input.
    assert.ok(scrambleCos[1] < 0.5 && scrambleCos[2] < 0.5, `scrambled layer ${scrambleCos} vs mix ${mixCos}`);

    // The pooled 4×4 grid: shift-x2 of the 8-pixel input is one whole cell, so it is still a position map.
    await postToWebview(page, { type: 'selectLayer', layer: { modelIndex: 0, layerName: POOL } });
    await postToWebview(page, { type: 'setTransform', transformId: 'shift-x2' });
    await pageUntil(page, `document.querySelector('.patterns h3')?.textContent.includes('shift-x2')`);
    assert.equal(await page.locator('.pattern-row[data-pair="0"] canvas.pattern-moved').count(), 1);
    assert.ok(Number(await page.locator('.pattern-row[data-pair="0"]').getAttribute('data-moved-cosine')) > 0.95);

    // rot45 moves positions between cells: no moved map, and the reason is said.
    await postToWebview(page, { type: 'setTransform', transformId: 'rot45' });
    await pageUntil(page, `document.querySelector('.patterns h3')?.textContent.includes('rot45')`);
    assert.equal(await page.locator('canvas.pattern-moved').count(), 0);
    assert.match(await page.locator('.pattern-row[data-pair="0"] .pattern-no-move').innerText(), /rot45 is not a quarter turn/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a run without stored patterns offers to compute them for the selected layer and asks the host', async () => {
    const plain = await tinyConvNetResult('plain');
    const { page, errors } = await panelWith([plain], 'no-patterns');
    const layer = plain.layers.filter((l) => l.status === 'scored').at(-1)!;
    assert.equal(layer.scores.rot90?.patterns, undefined, 'the fixture stored no patterns');
    await postToWebview(page, { type: 'selectLayer', layer: { modelIndex: 0, layerName: layer.name } });
    const button = page.locator('button.patterns-compute');
    await button.waitFor();
    assert.equal(await button.innerText(), 'Compute patterns for this layer');
    assert.match(await page.locator('.patterns-none').innerText(), /stored no canonical patterns/);
    await button.click();
    await pageUntil(page, `window.__posted.some((m) => m.type === 'requestPatterns')`);
    assert.deepEqual(await lastPosted(page, 'requestPatterns'), { type: 'requestPatterns', layer: { modelIndex: 0, layerName: layer.name }, transformId: 'rot90' });
    assert.equal(await button.isDisabled(), true, 'busy while the host computes');
    // The run failed (or was refused): the button comes back for another try.
    await postToWebview(page, { type: 'progress', stage: 'Failed', done: 0, total: 0, state: 'failed' });
    await pageUntil(page, `!document.querySelector('button.patterns-compute').disabled`);
    assert.equal(await button.innerText(), 'Compute patterns for this layer');
    // No transform family with 3 members: no sweep view; one model: no difference view.
    assert.equal(await page.locator('.sweep-block').count(), 0);
    assert.equal(await page.locator('.difference-block').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('sweep view: scores against the angle, exact members marked, the floor drawn, following the selection', async () => {
    const { page, errors } = await panelWith([a], 'sweep');
    await page.waitForSelector('canvas.sweep-chart[data-series]');
    const canvas = page.locator('canvas.sweep-chart');
    assert.equal(await canvas.getAttribute('data-family'), 'rot');
    assert.equal(await canvas.getAttribute('data-exact'), '90,180,270');
    // Nothing selected: one line per layer plus the input floor.
    assert.equal(await canvas.getAttribute('data-mode'), 'all-equivariance');
    assert.deepEqual((await canvas.getAttribute('data-series'))?.split('\n'), [...a.layers.map((l) => l.name), 'input floor']);
    assert.match(await page.locator('.sweep-note').innerText(), /rotation angle \(degrees\)/);

    await postToWebview(page, { type: 'selectLayer', layer: { modelIndex: 0, layerName: POOL } });
    await pageUntil(page, `document.querySelector('canvas.sweep-chart')?.dataset.mode === 'selected'`);
    assert.deepEqual((await canvas.getAttribute('data-series'))?.split('\n'), ['S_E', 'S_I', 'S_E null', 'S_I null', 'S_E input floor', 'S_I input floor']);
    assert.match(await canvas.getAttribute('aria-label') ?? '', new RegExp(`^${POOL.replace(/[/]/g, '\\/')}: S_E and S_I against the rotation angle`));
    // The S_E line is drawn in its theme colour.
    const eColour = String(await page.evaluate("getComputedStyle(document.body).getPropertyValue('--seis-e').trim()"));
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(eColour.slice(i, i + 2), 16));
    const found = await canvas.evaluate((el, rgb) => {
      const c = el as unknown as CanvasLike;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - rgb[0]) < 12 && Math.abs(d[i + 1] - rgb[1]) < 12 && Math.abs(d[i + 2] - rgb[2]) < 12 && d[i + 3] > 200) n++;
      return n;
    }, [r, g, bl]);
    assert.ok(found > 100, `S_E pixels drawn: ${found}`);

    // Switching to all layers' S_I by keyboard.
    await page.locator('select.sweep-mode').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await pageUntil(page, `document.querySelector('canvas.sweep-chart')?.dataset.mode === 'all-invariance'`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('difference view: B − A per matched layer, indistinguishable changes hatched, click and Enter select', async () => {
    const { page, errors } = await panelWith([a, b], 'difference');
    await page.waitForSelector('canvas.difference-equivariance');
    assert.equal(await page.locator('.difference-block h2').innerText(), 'Difference: model-b.onnx − model-a.onnx');
    assert.equal(await page.locator('.heatmap-equivariance').count(), 2, 'the side-by-side heatmaps stay');
    const cols = a.transforms.map((t) => t.id);
    const rot90 = cols.indexOf('rot90');
    const rowOf = (name: string) => b.layers.findIndex((l) => l.name === name);
    const verdict = async (name: string, measureOffset: number, col: number) => page.locator(`.difference-table tr[data-diff-layer="${name}"] td`).nth(measureOffset + col).getAttribute('data-verdict');
    // The drowned pooled layer lost S_E: a real, negative difference. The untouched pointwise layer: no difference.
    assert.equal(await verdict(POOL, 0, rot90), 'different');
    assert.match(await page.locator(`.difference-table tr[data-diff-layer="${POOL}"] td`).nth(rot90).textContent() ?? '', /^−0\.\d\d$/);
    assert.notEqual(await verdict(MIX, 0, rot90), 'different');
    assert.match(await page.locator(`.difference-table tr[data-diff-layer="${MIX}"] td`).nth(rot90).textContent() ?? '', /≈/);

    const [labelW, headerH, cellW, cellH] = (await page.locator('canvas.difference-equivariance').getAttribute('data-geometry'))!.split(',').map(Number);
    const centre = (row: number, col: number): [number, number] => [labelW + (col + 0.5) * cellW, headerH + (row + 0.5) * cellH];
    // Negative = blue on the diverging scale.
    const [pr, , pb] = await pixel(page, 'canvas.difference-equivariance', ...centre(rowOf(POOL), rot90));
    assert.ok(pb > pr + 40, `pooled layer's ΔS_E cell is blue: ${pr},${pb}`);
    // The hatched cell has dark hatch lines across its pale fill.
    const hatchDark = await darkPixels(page, 'canvas.difference-equivariance', [labelW + rot90 * cellW + 2, headerH + rowOf(MIX) * cellH + 2, cellW - 4, cellH - 4], 400, 100);
    assert.ok(hatchDark > 10, `hatch pixels in the indistinguishable cell: ${hatchDark}`);

    // Click a row of the map: that layer is selected in model B and the host is told.
    const box = (await page.locator('canvas.difference-equivariance').boundingBox())!;
    const [cx, cy] = centre(rowOf(POOL), rot90);
    await page.mouse.click(box.x + cx, box.y + cy);
    assert.deepEqual(await lastPosted(page, 'selectLayer'), { type: 'selectLayer', layer: { modelIndex: 1, layerName: POOL } });
    assert.equal(await page.locator('.details-name').innerText(), POOL);

    // Keyboard: the table rows are focusable, Enter selects.
    await page.locator('.difference-table summary').click();
    await page.locator(`.difference-table tr[data-diff-layer="${SCRAMBLE}"]`).focus();
    await page.keyboard.press('Enter');
    assert.deepEqual(await lastPosted(page, 'selectLayer'), { type: 'selectLayer', layer: { modelIndex: 1, layerName: SCRAMBLE } });

    // Every view shown answers its PNG export; one not shown says why there is none.
    for (const [i, chart] of ['overview', 'equivariance', 'invariance', 'profile', 'scatter', 'sweep', 'difference', 'series'].entries()) {
      await postToWebview(page, { type: 'requestPng', messageId: 100 + i, chart });
      await pageUntil(page, `window.__posted.some((m) => m.inReplyTo === ${100 + i})`);
      const answer = (await posted(page)).find((m) => m.inReplyTo === 100 + i);
      if (chart === 'series') assert.match(String(answer?.error), /There is no series to export: these results are not a checkpoint series/);
      else assert.match(String(answer?.dataUrl), /^data:image\/png;base64,/, `${chart}: ${String(answer?.error)}`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });
  test('series view: trajectories against the step, layers × checkpoints heatmap, bands, and a click opens that checkpoint', async () => {
    const page = await openVsCodePage(h, 'series');
    const errors = watchErrors(page);
    await pageUntil(page, 'window.__posted.length > 0');
    await postToWebview(page, { type: 'showResults', results: [checkpointResult(series, 3)], series, transformId: 'rot90' });
    await page.waitForSelector('canvas.series-chart[data-series]');
    assert.equal(await page.locator('.series-block h2').innerText(), 'Across 4 checkpoints');
    const chart = page.locator('canvas.series-chart');
    assert.deepEqual((await chart.getAttribute('data-series'))?.split('\n'), series.checkpoints[0].layers.map((l) => l.name));
    assert.match(await page.locator('.series-note').innerText(), /epoch_0, the random-initialisation baseline/);
    assert.equal(await page.locator('.model-title').innerText(), 'epoch_3.onnx', 'the last checkpoint is open below');
    // Persisted for a reload: every checkpoint's file, so the host restores the series, not the checkpoint below it.
    const state = await page.evaluate('window.__state') as { seriesPaths?: string[]; modelPaths?: string[] };
    assert.deepEqual(state.seriesPaths, series.checkpoints.map((c) => c.model.path));
    assert.deepEqual(state.modelPaths, [series.checkpoints[3].model.path]);

    // The heatmap: the pointwise layer keeps everything (S_E = 1: viridis yellow) at every checkpoint.
    const [labelW, headerH, cellW, cellH] = (await page.locator('canvas.series-heatmap').getAttribute('data-geometry'))!.split(',').map(Number);
    const rows = series.checkpoints[0].layers.map((l) => l.name);
    const [r, g, bl] = await pixel(page, 'canvas.series-heatmap', labelW + 0.5 * cellW, headerH + (rows.indexOf(MIX) + 0.5) * cellH);
    assert.ok(r > 230 && g > 210 && bl < 80, `S_E = 1 drawn yellow: ${r},${g},${bl}`);
    // The pooled layer at initialisation is at its null: hatched, as in the main heatmaps.
    const hatch = await darkPixels(page, 'canvas.series-heatmap', [labelW + 2, headerH + rows.indexOf(POOL) * cellH + 2, cellW - 4, cellH - 4], 300, 150);
    assert.ok(hatch > 8, `hatched cell at the null: ${hatch} dark pixels`);

    // Click the pooled layer at epoch 1: that checkpoint's details open with the layer selected.
    const box = (await page.locator('canvas.series-heatmap').boundingBox())!;
    await page.mouse.click(box.x + labelW + 1.5 * cellW, box.y + headerH + (rows.indexOf(POOL) + 0.5) * cellH);
    await pageUntil(page, `document.querySelector('.model-title')?.textContent === 'epoch_1.onnx'`);
    assert.equal(await page.locator('.details-name').innerText(), POOL);
    assert.deepEqual(await lastPosted(page, 'selectLayer'), { type: 'selectLayer', layer: { modelIndex: 0, layerName: POOL } });
    // The selected layer's line carries its null band and interval band; it settled at epoch 2.
    await pageUntil(page, `document.querySelector('canvas.series-chart')?.dataset.bands === 'null band,interval'`);
    assert.equal(await chart.getAttribute('data-settled'), '2');
    assert.match(await page.locator('.series-note').innerText(), /settled at step 2 \(within the final score's interval\)/);
    await postToWebview(page, { type: 'requestPng', messageId: 77, chart: 'series' });
    await pageUntil(page, `window.__posted.some((m) => m.inReplyTo === 77)`);
    assert.match(String((await posted(page)).find((m) => m.inReplyTo === 77)?.dataUrl), /^data:image\/png;base64,/, 'the series, kept across the checkpoint opened, exports');

    // The table: overlapping intervals are never called a change; the jump at epoch 2 is one.
    await page.locator('.series-table summary').click();
    const td = (j: number) => page.locator(`.series-table tr[data-series-layer="${POOL}"] td[data-checkpoint="${j}"]`);
    assert.equal(await td(1).getAttribute('data-change'), 'overlapping-intervals');
    assert.match(await td(1).innerText(), /≈$/);
    assert.equal(await td(2).getAttribute('data-change'), 'different');
    assert.doesNotMatch(await td(2).innerText(), /≈/);
    assert.match(await page.locator(`.series-table tr[data-series-layer="${POOL}"] td.spark`).innerText(), /^[▁▂▃▄▅▆▇█ ]{4}$/);
    // Keyboard: arrows move between cells, Enter opens the checkpoint.
    await td(3).focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await pageUntil(page, `document.querySelector('.model-title')?.textContent === 'epoch_2.onnx'`);
    assert.equal(await page.locator('.details-name').innerText(), POOL);

    // A series stopped early: the finished checkpoints, and a banner that says so.
    const stopped = { ...series, checkpoints: series.checkpoints.slice(0, 2), incomplete: { reason: 'cancelled', message: 'cancelled by the user', checkpointsDone: 2, checkpointsPlanned: 4 } };
    await postToWebview(page, { type: 'showResults', results: [checkpointResult(stopped as SeriesResult, 1)], series: stopped });
    await page.waitForSelector('.banner-incomplete');
    assert.match(await page.locator('.banner-incomplete').innerText(), /Series incomplete \(cancelled\): 2 of 4 checkpoints analysed; cancelled by the user/);
    assert.equal(await page.locator('.series-block h2').innerText(), 'Across 2 checkpoints');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
