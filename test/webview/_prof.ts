import { tinyConvNetResult, widenResult } from './fixtures/tinyConvNet';
import { startHarness, openVsCodePage } from './harness';
void (async () => {
  const h = await startHarness();
  const wide = widenResult(await tinyConvNetResult('plain'), 800);
  const page = await openVsCodePage(h, 'wide');
  await page.waitForFunction('window.__posted.length > 0');
  await page.evaluate((r) => { (globalThis as unknown as { __wide: unknown }).__wide = r; }, wide);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await page.evaluate(`new Promise((resolve) => {
      window.postMessage({ type: 'showResults', results: [window.__wide] }, '*');
      setTimeout(() => requestAnimationFrame(() => setTimeout(resolve, 50)), 0);
    })`);
  const { profile } = await cdp.send('Profiler.stop') as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount?: number }[]; samples: number[]; timeDeltas: number[] } };
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => { const n = byId.get(id)!; const k = `${n.callFrame.functionName || '(anon)'}:${n.callFrame.columnNumber}`; self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0)); });
  console.log([...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${(v / 1000).toFixed(1)}ms ${k}`).join('\n'));
  await h.close();
})();
