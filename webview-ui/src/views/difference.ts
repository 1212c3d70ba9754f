/**
 * Difference view: B − A per matched layer (rows) and transform (columns), one map for S_E and one
 * for S_I, on a diverging scale symmetric around 0. A change the shared rule does not call a difference
 * (overlapping intervals, within the null margin, both at chance: src/shared/difference.ts) is drawn
 * hatched; a missing side is grey. Click or Enter on a row selects that layer everywhere; a table
 * lists every change for screen readers and keyboard users. The side-by-side heatmaps stay as they are.
 */
import { DIFFERENCE_TEXT, type Measure, type ScoreDifference } from '../../../src/shared/difference';
import { NULL_MARGIN } from '../../../src/shared/reading';
import type { AnalysisResult } from '../../../src/shared/results';
import type { ChartSpec } from '../charts/chart';
import { canvasesToPng } from '../charts/setup';
import { h } from '../dom';
import { fmtSigned, shortLabel } from '../viewModel';
import { divergingColor, symmetricLimit } from './diverging';
import { buildDifference, type DifferenceModel } from './differenceModel';
import { hatchCell } from './hatch';

const CELL_W = 46;
const CELL_H = 16;
const LABEL_W = 190;
const HEADER_H = 22;

const NO_DIFFERENCE = 'There is no difference view to export: it needs two results with matching layers.';

/** B − A of the first two results; follows the layer selected in any model, by name. */
export const DIFFERENCE_VIEW: ChartSpec = {
  id: 'difference',
  place: 'models',
  exports: ['difference'],
  missing: NO_DIFFERENCE,
  applies: (context) => context.models.length >= 2,
  create: (context) => {
    const [a, b] = context.models;
    const difference = new DifferenceView(a.result, b.result, [a.title, b.title], (name) => context.selectLayer(1, name), context.theme.fg);
    difference.element.classList.add('extra-view');
    return {
      elements: [difference.element],
      // Drawn once when built: it shows every transform and keeps the colours it was built with.
      render: () => undefined,
      select: (selection) => { if (selection) difference.select(selection.layerName); },
      png: (_chart, state) => {
        if (!difference.pngCanvases.length) throw new Error(NO_DIFFERENCE);
        return canvasesToPng(difference.pngCanvases.map((c) => ({ canvas: c, caption: c.dataset.measure === 'equivariance' ? 'Δ S_E' : 'Δ S_I' })), state.theme);
      },
      dispose: () => undefined,
    };
  },
};

export function isHatched(d: ScoreDifference): boolean {
  return d.verdict !== 'different' && d.verdict !== 'missing';
}

export class DifferenceView {
  readonly element: HTMLElement;
  readonly model: DifferenceModel;
  /** Shared by both maps, so the same colour means the same change in S_E and S_I. */
  readonly limit: number;
  private readonly canvases: HTMLCanvasElement[] = [];
  private selected: string | undefined;

  constructor(a: AnalysisResult, b: AnalysisResult, private readonly titles: readonly [string, string],
    private readonly onSelect: (layerName: string) => void, private readonly fg: string) {
    this.model = buildDifference(a, b);
    this.limit = Math.max(2 * NULL_MARGIN, symmetricLimit(this.model.rows.flatMap((r) => [...r.equivariance, ...r.invariance].map((d) => d.delta))));
    this.element = h('section', { class: 'chart-block difference-block', 'aria-label': 'Difference B − A' });
    this.build();
  }

  private build(): void {
    const [ta, tb] = this.titles;
    const m = this.model;
    const parts: HTMLElement[] = [
      h('h2', {}, `Difference: ${tb} − ${ta}`),
      h('p', { class: 'muted small' }, `Layers matched by tensor name (${m.rows.length} matched`
        + `${m.onlyInA.length ? `, ${m.onlyInA.length} only in ${ta}` : ''}${m.onlyInB.length ? `, ${m.onlyInB.length} only in ${tb}` : ''}). `
        + `Red: higher in ${tb}; blue: higher in ${ta}; scale ±${this.limit.toFixed(2)}. Hatched: not a difference (intervals overlap, `
        + `|change| ≤ ${NULL_MARGIN}, or both at their null). Grey: no score on one side.`),
    ];
    if (!m.rows.length || !m.columns.length) {
      parts.push(h('p', { class: 'muted difference-none' }, !m.rows.length
        ? `No layer of ${tb} has the tensor name of a layer of ${ta}: these are not the same architecture, so there is nothing to subtract.`
        : 'The two results share no transform, so there is nothing to subtract.'));
      this.element.replaceChildren(...parts);
      return;
    }
    const maps = h('div', { class: 'difference-maps' });
    for (const measure of ['equivariance', 'invariance'] as const) {
      const canvas = this.canvasFor(measure, measure === 'equivariance');
      this.canvases.push(canvas);
      maps.append(h('figure', { class: 'difference-fig' }, h('figcaption', {}, measure === 'equivariance' ? 'Δ S_E' : 'Δ S_I'), canvas));
    }
    parts.push(h('div', { class: 'difference-scroll' }, maps), this.table());
    this.element.replaceChildren(...parts);
    this.draw();
  }

  private canvasFor(measure: Measure, withLabels: boolean): HTMLCanvasElement {
    const labelW = withLabels ? LABEL_W : 0;
    const width = labelW + this.model.columns.length * CELL_W;
    const height = HEADER_H + this.model.rows.length * CELL_H;
    const canvas = h('canvas', {
      class: `difference-map difference-${measure}`, role: 'img', 'data-measure': measure,
      'aria-label': `${measure === 'equivariance' ? 'S_E' : 'S_I'} difference map, ${this.model.rows.length} layers by ${this.model.columns.length} transforms; the table below lists the values`,
      // Geometry for tests and hit-testing: label width, header height, cell width, cell height.
      'data-geometry': [labelW, HEADER_H, CELL_W, CELL_H].join(','),
    });
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    canvas.addEventListener('click', (e) => {
      const rect = canvas.getBoundingClientRect();
      const row = Math.floor((e.clientY - rect.top - HEADER_H) / CELL_H);
      const hit = this.model.rows[row];
      if (hit && e.clientY - rect.top >= HEADER_H) this.onSelect(hit.layerName);
    });
    return canvas;
  }

  select(layerName: string | undefined): void {
    this.selected = layerName;
    this.draw();
    for (const tr of this.element.querySelectorAll<HTMLElement>('tr[data-diff-layer]')) tr.classList.toggle('selected', tr.dataset.diffLayer === layerName);
  }

  private draw(): void {
    for (const canvas of this.canvases) {
      const measure = canvas.dataset.measure as Measure;
      const [labelW] = (canvas.dataset.geometry ?? '0').split(',').map(Number);
      const ctx = canvas.getContext('2d');
      if (!ctx) continue;
      const ratio = canvas.width / (parseFloat(canvas.style.width) || canvas.width);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.font = '11px sans-serif';
      ctx.textBaseline = 'middle';
      ctx.fillStyle = this.fg;
      ctx.textAlign = 'center';
      this.model.columns.forEach((id, c) => ctx.fillText(id, labelW + (c + 0.5) * CELL_W, HEADER_H / 2, CELL_W - 2));
      this.model.rows.forEach((row, r) => {
        const y = HEADER_H + r * CELL_H;
        if (labelW) {
          ctx.fillStyle = this.fg;
          ctx.textAlign = 'right';
          ctx.fillText(shortLabel(row.layerName, 30), labelW - 6, y + CELL_H / 2, labelW - 8);
        }
        row[measure].forEach((d, c) => {
          const x = labelW + c * CELL_W;
          ctx.fillStyle = d.delta === undefined ? 'rgba(128,128,128,0.3)' : divergingColor(d.delta, this.limit);
          ctx.fillRect(x + 1, y + 1, CELL_W - 2, CELL_H - 2);
          if (isHatched(d)) hatchCell(ctx, x + 1, y + 1, CELL_W - 2, CELL_H - 2);
        });
        if (row.layerName === this.selected) {
          ctx.strokeStyle = this.fg;
          ctx.lineWidth = 2;
          ctx.strokeRect(labelW + 1, y + 1, this.model.columns.length * CELL_W - 2, CELL_H - 2);
        }
      });
    }
  }

  private table(): HTMLElement {
    const cols = this.model.columns;
    const cell = (d: ScoreDifference): HTMLElement => h('td', { 'data-verdict': d.verdict, title: DIFFERENCE_TEXT[d.verdict] },
      fmtSigned(d.delta) + (isHatched(d) ? ' ≈' : ''), isHatched(d) ? h('span', { class: 'sr-only' }, ` (${DIFFERENCE_TEXT[d.verdict]})`) : null);
    const body = this.model.rows.map((row) => {
      const tr = h('tr', { tabindex: 0, 'data-diff-layer': row.layerName },
        h('th', { scope: 'row' }, row.layerName), ...row.equivariance.map(cell), ...row.invariance.map(cell));
      tr.addEventListener('click', () => this.onSelect(row.layerName));
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.onSelect(row.layerName); }
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const next = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
          next?.focus();
        }
      });
      return tr;
    });
    return h('details', { class: 'difference-table' }, h('summary', {}, 'Differences as a table'),
      h('div', { class: 'details-table-scroll' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'layer'), ...cols.map((c) => h('th', { scope: 'col' }, `ΔS_E ${c}`)), ...cols.map((c) => h('th', { scope: 'col' }, `ΔS_I ${c}`)))),
        h('tbody', {}, ...body))));
  }

  /** Canvases for a PNG export. */
  get pngCanvases(): readonly HTMLCanvasElement[] {
    return this.canvases;
  }
}
