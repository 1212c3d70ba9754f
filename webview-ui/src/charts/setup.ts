/**
 * Chart.js is tree-shaken: only what these charts use is registered, once, before any chart exists.
 * Colours come from the page's CSS variables (VS Code theme or the report's light/dark defaults),
 * read at draw time because a canvas cannot resolve `var(--…)` itself.
 */
import {
  type TooltipModel,
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LineController, LineElement,
  LinearScale, PointElement, ScatterController, Tooltip,
} from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';

let registered = false;

export function registerCharts(): void {
  if (registered) return;
  Chart.register(
    MatrixController, MatrixElement, BarController, BarElement, LineController, LineElement, PointElement,
    ScatterController, CategoryScale, LinearScale, Tooltip, Legend, Filler,
  );
  // Charts redraw on every selection/scroll; tweening would make the UI feel late, not smooth.
  Chart.defaults.animation = false;
  registered = true;
}

export interface ThemeColors {
  readonly fg: string;
  readonly muted: string;
  readonly grid: string;
  readonly bg: string;
  readonly accent: string;
  readonly equivariance: string;
  readonly invariance: string;
  readonly font: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function readTheme(): ThemeColors {
  const style = getComputedStyle(document.body);
  return {
    fg: cssVar(style, '--seis-fg', '#333'),
    muted: cssVar(style, '--seis-muted', '#777'),
    grid: cssVar(style, '--seis-grid', 'rgba(128,128,128,0.25)'),
    bg: cssVar(style, '--seis-bg', '#fff'),
    accent: cssVar(style, '--seis-accent', '#0078d4'),
    equivariance: cssVar(style, '--seis-e', '#d1495b'),
    invariance: cssVar(style, '--seis-i', '#2e86ab'),
    font: cssVar(style, '--seis-font', 'system-ui, sans-serif'),
  };
}

export function applyChartDefaults(theme: ThemeColors): void {
  Chart.defaults.color = theme.fg;
  Chart.defaults.borderColor = theme.grid;
  Chart.defaults.font.family = theme.font;
  Chart.defaults.font.size = 11;
}

/** A PNG of a canvas on an opaque background (chart canvases are transparent). */
export interface PngPart {
  readonly canvas: HTMLCanvasElement;
  /** Drawn above the canvas, so an exported image says what it shows. */
  readonly caption?: string;
}

/** Lays canvases side by side (backing-store pixels) with optional captions, on the theme background. */
export function canvasesToPng(parts: readonly PngPart[], theme: Pick<ThemeColors, 'bg' | 'fg' | 'font'>, gap = 12): string {
  const ratio = window.devicePixelRatio || 1;
  const captionHeight = parts.some((p) => p.caption) ? Math.round(22 * ratio) : 0;
  const width = parts.reduce((w, p) => w + p.canvas.width, 0) + gap * Math.max(0, parts.length - 1);
  const height = parts.reduce((h, p) => Math.max(h, p.canvas.height), 0) + captionHeight;
  const out = document.createElement('canvas');
  out.width = Math.max(1, width);
  out.height = Math.max(1, height);
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('This browser cannot create a 2D canvas for the PNG export.');
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = theme.fg;
  ctx.font = `600 ${Math.round(12 * ratio)}px ${theme.font}`;
  ctx.textBaseline = 'middle';
  let x = 0;
  for (const p of parts) {
    if (p.caption) ctx.fillText(p.caption, x + 4 * ratio, captionHeight / 2, p.canvas.width - 8 * ratio);
    ctx.drawImage(p.canvas, x, captionHeight);
    x += p.canvas.width + gap;
  }
  return out.toDataURL('image/png');
}

let tooltipEl: HTMLElement | undefined;

/**
 * chart.js draws tooltips inside the canvas, so a narrow heatmap cuts them off. This draws them as
 * one positioned element over the page instead (used as `plugins.tooltip.external`).
 */
export function htmlTooltip(context: { chart: Chart; tooltip: TooltipModel<never> }): void {
  const { chart, tooltip } = context;
  if (!tooltipEl) {
    tooltipEl = document.createElement('div');
    tooltipEl.className = 'chart-tooltip';
    tooltipEl.setAttribute('aria-hidden', 'true');
    document.body.append(tooltipEl);
  }
  const el = tooltipEl;
  if (tooltip.opacity === 0) {
    el.style.opacity = '0';
    return;
  }
  const lines = [...(tooltip.title ?? []).map((t) => ({ text: t, cls: 'tt-title' })),
    ...tooltip.body.flatMap((b) => b.lines).map((t) => ({ text: t, cls: 'tt-line' }))];
  el.replaceChildren(...lines.map((l) => {
    const d = document.createElement('div');
    d.className = l.cls;
    d.textContent = l.text;
    return d;
  }));
  const rect = chart.canvas.getBoundingClientRect();
  el.style.opacity = '1';
  const x = rect.left + window.scrollX + tooltip.caretX + 12;
  const y = rect.top + window.scrollY + tooltip.caretY + 12;
  // Keep it on screen: flip to the left of the caret near the right edge.
  const width = el.offsetWidth;
  const maxX = window.scrollX + document.documentElement.clientWidth - width - 8;
  el.style.left = `${Math.max(window.scrollX + 4, x > maxX ? x - width - 24 : x)}px`;
  el.style.top = `${y}px`;
}
