/**
 * Shared pieces of the webview tests: a fresh build of the webview bundle (same esbuild options as
 * scripts/build.mjs, into a temp folder so parallel builds of the project are not disturbed), Debian
 * Chromium through playwright-core with a fresh profile, and pages in both hosting modes:
 * - standalone: the real HTML report file opened from disk;
 * - VS Code: the bundle on a page with a recording `acquireVsCodeApi`, driven by window.postMessage
 *   exactly as the extension host's panel does.
 */
import * as assert from 'node:assert/strict';
import { build } from 'esbuild';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CHROMIUM = process.env.SEIS_CHROMIUM ?? '/usr/bin/chromium';

export interface Harness {
  readonly bundleDir: string;
  readonly workDir: string;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function buildWebviewBundle(outdir: string, options: { sourcemap?: boolean } = {}): Promise<void> {
  await build({
    sourcemap: options.sourcemap ?? false,
    entryPoints: { main: path.join(ROOT, 'webview-ui/src/main.ts') },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'css' },
    minify: true,
    logLevel: 'error',
  });
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium was not found at ${CHROMIUM}: install it with "apt-get install -y chromium" or point SEIS_CHROMIUM at a Chromium binary.`);
  }
  const workDir = mkdtempSync(path.join(tmpdir(), 'seis-webview-test-'));
  const bundleDir = path.join(workDir, 'bundle');
  await buildWebviewBundle(bundleDir);
  process.env.XDG_CONFIG_HOME = path.join(workDir, 'xdg');
  const context = await chromium.launchPersistentContext(path.join(workDir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    bundleDir,
    workDir,
    context,
    close: async () => {
      await context.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Collects console errors, page errors and CSP violations, which every test asserts to be empty. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return errors;
}

/** A page hosting the bundle like the VS Code panel does; posted messages land in window.__posted. */
export async function openVsCodePage(h: Harness, name = 'panel'): Promise<Page> {
  const js = readFileSync(path.join(h.bundleDir, 'main.js'), 'utf8');
  const css = readFileSync(path.join(h.bundleDir, 'main.css'), 'utf8');
  const fake = `
    window.__posted = []; window.__state = undefined;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state,
      setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
    });`;
  const file = path.join(h.workDir, `${name}.html`);
  // The same CSP as the extension's panel (src/host/panel.ts): nonce-only scripts and styles, no
  // 'unsafe-inline', no network. Violations surface as console errors, which the tests assert away.
  const nonce = 'dGVzdC1ub25jZS0xMjM0NQ==';
  const csp = `default-src 'none'; img-src data:; style-src 'nonce-${nonce}'; font-src 'none'; script-src 'nonce-${nonce}'`;
  writeFileSync(file, `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style nonce="${nonce}">${css}</style>
<style nonce="${nonce}">body { --vscode-foreground: #3b3b3b; --vscode-editor-background: #ffffff; --vscode-font-family: sans-serif; }</style></head>
<body class="vscode-light">
<div id="app" data-host="vscode"></div><script nonce="${nonce}">${fake}</script><script nonce="${nonce}">${js}</script></body></html>`);
  const page = await h.context.newPage();
  await page.goto(`file://${file}`);
  return page;
}

export async function posted(page: Page): Promise<Array<{ type: string; [k: string]: unknown }>> {
  return page.evaluate('window.__posted');
}

/**
 * Waits until `expression` is true in the page, polling from Node. Playwright's waitForFunction
 * with a string checks once through the debugger protocol and then polls inside the page by
 * evaluating the string, which the page's CSP (as in VS Code) forbids: it fails whenever the
 * condition is not already true at the first check.
 */
export async function pageUntil(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await page.evaluate(expression));) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function postToWebview(page: Page, message: unknown): Promise<void> {
  await page.evaluate(`window.postMessage(${JSON.stringify(message)}, '*')`);
}

/** Page coordinates of the centre of heatmap cell (row, col), from the geometry the canvas publishes. */
export async function cellPoint(page: Page, canvasSelector: string, row: number, col: number): Promise<{ x: number; y: number }> {
  const canvas = page.locator(canvasSelector);
  const box = await canvas.boundingBox();
  const area = await canvas.getAttribute('data-area');
  const win = await canvas.getAttribute('data-window');
  if (!box || !area || !win) throw new Error(`heatmap ${canvasSelector} has not rendered`);
  const [left, top, width, height] = area.split(',').map(Number);
  const [start, visible, cols] = win.split(',').map(Number);
  // chartArea is in CSS pixels (chart.js scales only the backing store by devicePixelRatio).
  return {
    x: box.x + left + (col + 0.5) * (width / cols),
    y: box.y + top + (row - start + 0.5) * (height / visible),
  };
}
