import { tinyConvNetResult } from './fixtures/tinyConvNet';
import { startHarness, watchErrors, cellPoint } from './harness';
import { writeStandaloneReport } from '../../src/report';
import * as path from 'node:path';
void (async () => {
  const h = await startHarness();
  const a = await tinyConvNetResult('plain'); const b = await tinyConvNetResult('rot-augmented');
  const file = path.join(h.workDir, 'report.html');
  writeStandaloneReport(file, [a, b], { bundleDir: h.bundleDir });
  const page = await h.context.newPage();
  const errs = watchErrors(page);
  await page.goto('file://' + file);
  await page.waitForSelector('.model-block');
  await page.waitForTimeout(300);
  const pt = await cellPoint(page, '.model-block[data-model-index="0"] canvas.heatmap-equivariance', 4, 0);
  await page.mouse.click(pt.x, pt.y);
  await page.waitForTimeout(300);
  for (const v of ['plain','rot-augmented'] as const) { const r = v==='plain'?a:b; const l = r.layers.find(l=>l.name.includes('noise')); console.log(v, JSON.stringify(Object.fromEntries(Object.entries(l!.scores).map(([k,c])=>[k,[c.equivariance.toFixed(2),c.null.equivariance.toFixed(2),c.invariance.toFixed(2),c.null.invariance.toFixed(2)]])))); }
  await page.screenshot({ path: '/tmp/b2-shot.png', fullPage: true });
  console.log(errs);
  await h.close();
})();
