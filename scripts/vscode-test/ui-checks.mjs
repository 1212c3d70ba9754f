// Checks that need the real workbench UI rather than the extension API, run by launcher.mjs on the
// live page after the extension tests (offline only: the launcher sets SEIS_UI_CHECKS=1 and answers a test's request):
// right-clicking an .onnx file in the Explorer offers "Analyze SEIS", a .txt file does not, and
// the SEIS activity-bar container shows the layer inspector, the layer listing shows scores inline,
// a layer picked in the panel's webview is selected in the inspector, and Get Started lists the
// walkthrough. Screenshots go to `outDir`.
import { join } from 'node:path';

/** Hover tooltips of the activity bar cover the top of the tree: park the mouse, let them fade. */
async function clearHover(page) {
  await page.mouse.move(800, 500);
  await page.waitForTimeout(600);
}

async function contextMenuLabels(page, row) {
  await clearHover(page);
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible', timeout: 10_000 });
  const labels = (await menu.locator('.action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  return { menu, labels };
}

export async function runUiChecks(page, { outDir, log }) {
  const failures = [];
  const check = (ok, what) => {
    log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures.push(what);
  };
  try {
    await page.keyboard.press('Escape');
    const explorerTab = page.locator('.activitybar .action-label[aria-label^="Explorer"]').first();
    await explorerTab.click();
    await clearHover(page);
    const tree = page.locator('.explorer-folders-view');
    await tree.waitFor({ state: 'visible', timeout: 20_000 });
    const folderRow = tree.locator('.monaco-list-row[aria-label^="models"]').first();
    await folderRow.waitFor({ timeout: 20_000 });
    if ((await folderRow.getAttribute('aria-expanded')) !== 'true') {
      await clearHover(page);
      await folderRow.click();
    }
    const onnxRow = tree.locator('.monaco-list-row[aria-label^="cls.onnx"]').first();
    await onnxRow.waitFor({ timeout: 20_000 });

    const onOnnx = await contextMenuLabels(page, onnxRow);
    await page.screenshot({ path: join(outDir, 'explorer-context-menu.png') });
    check(onOnnx.labels.includes('Analyze SEIS'), `Explorer context menu of cls.onnx offers "Analyze SEIS" (menu: ${onOnnx.labels.slice(0, 12).join(' | ')}…)`);
    await page.keyboard.press('Escape');
    await onOnnx.menu.waitFor({ state: 'hidden', timeout: 5_000 });

    const txtRow = tree.locator('.monaco-list-row[aria-label^="README.txt"]').first();
    await txtRow.waitFor({ timeout: 10_000 });
    const onTxt = await contextMenuLabels(page, txtRow);
    check(!onTxt.labels.includes('Analyze SEIS'), 'the context menu of a .txt file does not offer "Analyze SEIS"');
    await page.keyboard.press('Escape');

    const seisTab = page.locator('.activitybar .action-label[aria-label^="SEIS Lens"]').first();
    await seisTab.click();
    await clearHover(page);
    // A container with one view shows it without a pane header: look for the tree's rows directly.
    const rows = page.locator('#workbench\\.parts\\.sidebar .monaco-list-row');
    await rows.first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(500);
    const rowTexts = await rows.allInnerTexts();
    await page.screenshot({ path: join(outDir, 'layer-inspector.png') });
    check(rowTexts.some((t) => /E \d\.\d\d · I \d\.\d\d/.test(t)), `the SEIS activity-bar view lists layers with scores (${rowTexts.length} rows)`);

    // The test opened the layer listing: its after-line scores are injected text in the editor.
    const lines = page.locator('.editor-instance .monaco-editor .view-lines').first();
    await lines.waitFor({ timeout: 10_000 });
    await page.waitForTimeout(500);
    // After-line decorations are drawn as CSS ::after content, not DOM text: read the pseudo-elements.
    const injected = await lines.evaluate((root) => [...root.querySelectorAll('span')]
      .map((el) => getComputedStyle(el, '::after').content)
      .filter((c) => c && c !== 'none' && c !== 'normal'));
    await page.screenshot({ path: join(outDir, 'layer-listing.png') });
    const scored = injected.filter((c) => /E\s\d\.\d\d\s.*I\s\d\.\d\d/.test(c));
    check(scored.length > 0, `the layer listing shows E/I scores after analysed node lines (${scored.length} visible, e.g. ${scored[0] ?? injected.slice(0, 2).join(' | ')})`);

    // Panel → tree: picking a layer in the webview (its accessible table) selects it in the inspector.
    await clearHover(page);
    await page.locator('.tabs-container .tab', { hasText: 'SEIS: cls.onnx' }).first().click();
    await page.waitForTimeout(800);
    let webview;
    for (const frame of page.frames()) {
      if ((await frame.locator('details.table-wrap summary').count().catch(() => 0)) > 0) webview = frame;
    }
    if (!webview) throw new Error('the SEIS webview frame was not found');
    await webview.locator('details.table-wrap[data-model-index="0"] summary').first().click();
    const rowsInTable = webview.locator('details.table-wrap[data-model-index="0"] tbody tr[data-layer]:not([data-layer=""])');
    const target = rowsInTable.nth(3);
    const layerName = await target.getAttribute('data-layer');
    await target.scrollIntoViewIfNeeded();
    await target.click();
    await page.waitForTimeout(800);
    const selected = await page.locator('#workbench\\.parts\\.sidebar .monaco-list-row.selected').allInnerTexts();
    await page.screenshot({ path: join(outDir, 'panel-selection.png') });
    check(selected.some((t) => t.includes(layerName)), `clicking ${layerName} in the panel selects it in the layer inspector (selected: ${selected.join(' | ').slice(0, 80)})`);

    // Get Started lists the extension's walkthrough: "Welcome: Open Walkthrough..." offers it (issue 12).
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const quickInput = page.locator('.quick-input-widget input');
    await quickInput.waitFor({ state: 'visible', timeout: 10_000 });
    await quickInput.fill('>Welcome: Open Walkthrough');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Open Walkthrough' }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'SEIS Lens' }).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    const walkthroughs = (await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts()).map((t) => t.split('\n')[0]);
    await page.screenshot({ path: join(outDir, 'walkthroughs.png') });
    check(walkthroughs.some((t) => t.includes('Get Started with SEIS Lens')), `Get Started lists "Get Started with SEIS Lens" (walkthroughs: ${walkthroughs.join(' | ').slice(0, 120)})`);
    await page.keyboard.press('Escape');
  } catch (err) {
    try { await page.screenshot({ path: join(outDir, 'ui-check-error.png') }); } catch { /* page gone */ }
    check(false, `UI checks could not run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  return failures;
}
