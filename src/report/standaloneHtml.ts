/**
 * The standalone HTML report: one self-contained file with the webview bundle (dist/webview/main.js
 * and main.css) inlined and the results embedded as JSON, so it opens offline in any browser and
 * shows the same heatmaps, profile, scatter, details and tables as the VS Code panel. Several
 * results are shown side by side (model comparison).
 *
 * Safety: the results embed as an `application/json` data block with every `<` escaped, so layer
 * names cannot close the element; the page's CSP allows only the inlined script (by hash) and no
 * network access at all.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OutputError, writeFileAtomic } from '../io/atomicWrite';
import { REPORT_DATA_ID } from '../shared/report';
import type { AnalysisResult } from '../shared/results';

export interface StandaloneReportOptions {
  /** Page title and heading; defaults to the model file name(s). */
  readonly title?: string;
  /** Folder holding main.js and main.css of the webview build; found automatically when omitted. */
  readonly bundleDir?: string;
}

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}

function bundleCandidates(explicit?: string): string[] {
  if (explicit) return [explicit];
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  return [
    process.env.SEIS_WEBVIEW_DIR ?? '',
    // Bundled: dist/extension.js and dist/cli.js sit beside dist/webview/.
    path.join(here, 'webview'),
    // From source (tsx, tests): src/report/ → <root>/dist/webview.
    path.resolve(here, '..', '..', 'dist', 'webview'),
    path.resolve(process.cwd(), 'dist', 'webview'),
  ].filter(Boolean);
}

export function findWebviewBundle(explicit?: string): { js: string; css: string; dir: string } {
  const tried = bundleCandidates(explicit);
  for (const dir of tried) {
    const js = path.join(dir, 'main.js');
    if (existsSync(js)) {
      const cssPath = path.join(dir, 'main.css');
      return { js: readFileSync(js, 'utf8'), css: existsSync(cssPath) ? readFileSync(cssPath, 'utf8') : '', dir };
    }
  }
  throw new ReportError(
    `The webview bundle (main.js) needed for the HTML report was not found (looked in: ${tried.join(', ')}). ` +
      'Run "npm run build" first, or reinstall the extension/CLI.',
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Inline `<script>`/`<style>` content must not contain the sequences that end or confuse those elements. */
function inlineSafe(code: string, tag: 'script' | 'style'): string {
  return code.replace(new RegExp(`</${tag}`, 'gi'), `<\\/${tag}`).replace(/<!--/g, '<\\!--');
}

function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

function defaultTitle(results: readonly AnalysisResult[]): string {
  const names = results.map((r) => r.model?.fileName).filter(Boolean);
  return names.length ? `SEIS report · ${names.join(' vs ')}` : 'SEIS report';
}

export function renderStandaloneReport(results: AnalysisResult[], options: StandaloneReportOptions = {}): string {
  if (!Array.isArray(results) || results.length === 0) {
    throw new ReportError('The HTML report needs at least one analysis result; none was given.');
  }
  results.forEach((r, i) => {
    if (!r || typeof r !== 'object' || !Array.isArray(r.layers) || !Array.isArray(r.transforms)) {
      throw new ReportError(`Result ${i + 1} is not a SEIS analysis result (it has no "layers"/"transforms" arrays); pass the JSON written by "seis analyze --json".`);
    }
  });
  const bundle = findWebviewBundle(options.bundleDir);
  const title = options.title ?? defaultTitle(results);
  // A development build ends with a source-map link that would point beside the report file.
  const script = inlineSafe(bundle.js.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'), 'script');
  const data = JSON.stringify({ title, results }).replace(/</g, '\\u003c');
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256Base64(script)}'`,
    // Lit components and chart.js set styles from script; styles cannot fetch anything under default-src 'none'.
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    'font-src data:',
  ].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<meta name="generator" content="seis-lens ${escapeHtml(results[0].tool?.version ?? '')}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${inlineSafe(bundle.css.replace(/\/\*# sourceMappingURL=\S+ \*\/\s*$/, ''), 'style')}</style>`,
    '</head>',
    '<body class="seis-standalone">',
    '<div id="seis-root"></div>',
    `<noscript><p>This SEIS report draws its charts with JavaScript, which is disabled. The raw results are in the page source (${REPORT_DATA_ID}).</p></noscript>`,
    `<script type="application/json" id="${REPORT_DATA_ID}">${data}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Writes the report atomically (src/io/atomicWrite.ts), so a failure never leaves a half-written report. */
export function writeStandaloneReport(file: string, results: AnalysisResult[], options: StandaloneReportOptions = {}): void {
  const html = renderStandaloneReport(results, options);
  try {
    writeFileAtomic(file, html);
  } catch (err) {
    if (err instanceof OutputError) throw new ReportError(`Could not write the HTML report: ${err.message}.`);
    throw err;
  }
}
