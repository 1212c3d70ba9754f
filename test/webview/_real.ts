import { startHarness, watchErrors } from './harness';
void (async () => {
  const h = await startHarness();
  const page = await h.context.newPage();
  const errs = watchErrors(page);
  await page.goto('file:///tmp/b2real/cls.html');
  await page.waitForSelector('canvas.heatmap[data-area]');
  await page.waitForTimeout(1500);
  await page.locator('.heat-scroll').focus();
  for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  await page.screenshot({ path: '/tmp/b2-real.png', fullPage: true });
  console.log(errs);
  await h.close();
})();
