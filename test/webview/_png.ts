import { writeFileSync } from 'node:fs';
import { tinyConvNetResult } from './fixtures/tinyConvNet';
import { startHarness, openVsCodePage, postToWebview, posted } from './harness';
void (async () => {
  const h = await startHarness();
  const a = await tinyConvNetResult('plain');
  const page = await openVsCodePage(h, 'png');
  await page.waitForFunction('window.__posted.length > 0');
  await postToWebview(page, { type: 'showResults', results: [a] });
  await page.waitForSelector('canvas.heatmap[data-area]');
  await postToWebview(page, { type: 'requestPng', requestId: 1 });
  await new Promise((r) => setTimeout(r, 1500));
  const m = (await posted(page)).find((x) => x.type === 'exportPng') as { dataUrl: string };
  writeFileSync('/tmp/b2-export.png', Buffer.from(m.dataUrl.split(',')[1], 'base64'));
  await page.setViewportSize({ width: 700, height: 1000 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: '/tmp/b2-narrow.png', fullPage: false });
  await h.close();
})();
