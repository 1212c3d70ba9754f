/**
 * The example tour's "What to look for" paragraph (ShowResultsMessage.guide) in real Chromium: shown
 * above the side-by-side heatmaps, kept in the persisted state so a restored panel shows it again,
 * and absent when the host sends none.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnalysisResult } from '../../src/shared/results';
import { tinyConvNetResult } from './fixtures/tinyConvNet';
import { openVsCodePage, pageUntil, postToWebview, startHarness, watchErrors, type Harness } from './harness';

let h: Harness;
let plain: AnalysisResult;
let augmented: AnalysisResult;

describe('the example guide in the panel (Chromium)', () => {
  before(async () => {
    plain = await tinyConvNetResult('plain');
    augmented = await tinyConvNetResult('rot-augmented');
    h = await startHarness();
  });
  after(async () => { await h?.close(); });

  test('shows the guide above both models\' heatmaps and persists it; no guide, no section', async () => {
    const page = await openVsCodePage(h, 'guide');
    const errors = watchErrors(page);
    await pageUntil(page, 'window.__posted.length > 0');
    const guide = 'Pick rot90 and look at the last conv layer: S_E is 0.51 over a null of 0.06 without augmentation and 0.85 over 0.04 with it.';
    await postToWebview(page, { type: 'showResults', results: [plain, augmented], guide });
    await page.waitForSelector('canvas.heatmap[data-area]');
    const section = page.locator('section.guide');
    assert.equal(await section.count(), 1);
    assert.equal(await section.getAttribute('aria-label'), 'What to look for');
    assert.equal(await section.locator('h2').innerText(), 'What to look for');
    assert.equal(await section.locator('p').innerText(), guide);
    assert.equal(await page.locator('.model-block').count(), 2, 'both models are shown');
    const guideBox = (await section.boundingBox())!;
    const firstHeatmap = (await page.locator('canvas.heatmap').first().boundingBox())!;
    assert.ok(guideBox.y + guideBox.height <= firstHeatmap.y, 'the guide sits above the heatmaps');
    const blocks = page.locator('.model-block');
    const [a, b] = [(await blocks.nth(0).boundingBox())!, (await blocks.nth(1).boundingBox())!];
    assert.ok(b.x > a.x && Math.abs(b.y - a.y) < 2, 'the two models sit side by side');
    assert.equal(await page.evaluate('window.__state.guide'), guide, 'the guide is in the persisted state');

    await postToWebview(page, { type: 'showResults', results: [plain] });
    await pageUntil(page, 'document.querySelectorAll("section.guide").length === 0');
    assert.equal(await page.evaluate('window.__state.guide'), undefined);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
