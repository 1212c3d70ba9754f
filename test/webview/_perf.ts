import { tinyConvNetResult, widenResult } from './fixtures/tinyConvNet';
import { startHarness, openVsCodePage } from './harness';
void (async () => {
  const h = await startHarness();
  const wide = widenResult(await tinyConvNetResult('plain'), 800);
  const page = await openVsCodePage(h, 'wide');
  page.on('console', (m) => { if (m.text().startsWith('TIMING')) console.log(m.text()); });
  await page.waitForFunction('window.__posted.length > 0');
  await page.evaluate((r) => { (globalThis as unknown as { __wide: unknown }).__wide = r; }, wide);
  const ms = await page.evaluate(`new Promise((resolve) => {
      const t0 = performance.now(); console.log('TIMING post', t0.toFixed(0));
      window.postMessage({ type: 'showResults', results: [window.__wide] }, '*');
      const poll = () => document.querySelector('canvas.heatmap[data-area]') ? requestAnimationFrame(() => resolve(performance.now() - t0)) : setTimeout(poll, 5);
      poll();
    })`);
  console.log('first paint', ms);
  await h.close();
})();
