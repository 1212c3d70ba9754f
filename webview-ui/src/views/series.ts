/**
 * Series view (issue 9): one layer's — or every layer's — score against the training step for the
 * chosen transform, a layers × checkpoints heatmap, and a table with the same numbers. The first
 * checkpoint is marked as the random-initialisation baseline. The selected layer's line carries its
 * null band (null to null + margin) and its interval band; a change from the previous checkpoint is
 * never called a change when the shared rule says the two are indistinguishable
 * (src/shared/difference.ts). Clicking a point, a heatmap cell, or Enter on a table cell opens that
 * checkpoint's layer details in the panel below.
 */
import { Chart, type ChartDataset, type Plugin } from 'chart.js';
import type { Measure } from '../../../src/shared/difference';
import { clearlyAboveNull, NULL_MARGIN } from '../../../src/shared/reading';
import type { SeriesResult } from '../../../src/shared/results';
import { settledStep, sparkline } from '../../../src/shared/trajectory';
import { withAlpha } from '../charts/profile';
import type { ChartSpec } from '../charts/chart';
import { canvasesToPng, type ThemeColors } from '../charts/setup';
import { h } from '../dom';
import { colorFor, fmt, shortLabel } from '../viewModel';
import { cellAt, seriesLayerNames, stepOf, trajectory } from '../../../src/shared/seriesParts';
import { hatchCell } from './hatch';
import { changeFromPrevious } from './seriesModel';

type Pt = { x: number; y: number | null };

/**
 * Above the panel when the results are a checkpoint series. Kept while the user opens its
 * checkpoints one after another (the panel below is rebuilt each time), so its controls keep their state.
 */
export const SERIES_VIEW: ChartSpec = {
  id: 'series',
  place: 'top',
  exports: ['series'],
  missing: 'There is no series to export: these results are not a checkpoint series.',
  applies: (context) => context.series !== undefined,
  keep: (context) => context.series,
  create: (context) => {
    const view = new SeriesView(context.series as SeriesResult, (i, name) => {
      // Marks the cell even when that checkpoint has no such layer to select in the panel below.
      view.select(name, i);
      context.openCheckpoint(i, name);
    });
    return {
      elements: [view.element],
      render: (state) => view.setTransform(state.transformId, state.theme),
      select: (selection) => view.select(selection?.layerName, context.checkpoint),
      png: (_chart, state) => canvasesToPng([{ canvas: view.canvas, caption: `Across checkpoints · ${state.transformId}` }, { canvas: view.heatmap, caption: 'Layers × checkpoints' }], state.theme),
      dispose: () => view.destroy(),
    };
  },
};

const CELL_W = 34;
const CELL_H = 15;
const LABEL_W = 190;
const HEADER_H = 22;

export class SeriesView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly heatmap: HTMLCanvasElement;
  readonly layers: readonly string[];
  private measure: Measure = 'equivariance';
  private minusNull = false;
  private transformId = '';
  private layerName: string | undefined;
  private checkpoint: number;
  private chart: Chart<'line', Pt[]> | undefined;
  private theme: ThemeColors | undefined;
  private readonly note: HTMLElement;
  private readonly tableHost: HTMLElement;

  constructor(private readonly series: SeriesResult, private readonly onOpen: (checkpoint: number, layerName: string | undefined) => void) {
    this.layers = seriesLayerNames(series);
    this.checkpoint = series.checkpoints.length - 1;
    this.canvas = h('canvas', { class: 'series-chart', role: 'img' });
    this.heatmap = h('canvas', { class: 'series-heatmap', role: 'img', 'data-geometry': [LABEL_W, HEADER_H, CELL_W, CELL_H].join(',') });
    this.heatmap.addEventListener('click', (e) => {
      const rect = this.heatmap.getBoundingClientRect();
      const col = Math.floor((e.clientX - rect.left - LABEL_W) / CELL_W);
      const row = Math.floor((e.clientY - rect.top - HEADER_H) / CELL_H);
      if (col >= 0 && col < series.checkpoints.length && row >= 0 && row < this.layers.length) this.onOpen(col, this.layers[row]);
    });
    this.note = h('p', { class: 'muted small series-note', 'aria-live': 'polite' });
    this.tableHost = h('div', { class: 'details-table-scroll' });
    const measureSelect = h('select', { class: 'series-measure', 'aria-label': 'Score shown' },
      h('option', { value: 'equivariance' }, 'S_E'), h('option', { value: 'invariance' }, 'S_I'));
    measureSelect.addEventListener('change', () => { this.measure = measureSelect.value as Measure; this.render(); });
    const minus = h('input', { type: 'checkbox', class: 'series-minus-null' });
    minus.addEventListener('change', () => { this.minusNull = minus.checked; this.render(); });
    const failed = series.checkpoints.filter((c) => c.failed || c.message);
    this.element = h('section', { class: 'chart-block series-block', 'aria-label': 'Across checkpoints' },
      h('h2', {}, `Across ${series.checkpoints.length} checkpoints`),
      h('div', { class: 'toolbar' }, h('label', {}, 'Score ', measureSelect), h('label', {}, minus, ' minus its null')),
      ...failed.map((c) => h('p', { class: 'warning small' }, `${c.label}: ${c.message ?? 'could not be analysed'}`)),
      this.note,
      h('div', { class: 'chart-box series-box' }, this.canvas),
      h('h3', {}, 'Layers × checkpoints'),
      h('div', { class: 'series-heat-scroll' }, this.heatmap),
      h('details', { class: 'series-table' }, h('summary', {}, 'Trajectories as a table'), this.tableHost));
  }

  setTransform(transformId: string, theme: ThemeColors | undefined = this.theme): void {
    this.transformId = transformId;
    this.render(theme);
  }

  /** Follows the layer (and checkpoint) shown in the panel. */
  select(layerName: string | undefined, checkpoint = this.checkpoint): void {
    this.layerName = layerName;
    this.checkpoint = checkpoint;
    this.render();
  }

  render(theme: ThemeColors | undefined = this.theme): void {
    this.theme = theme;
    if (!theme || !this.transformId) return;
    const tag = `${this.measure === 'equivariance' ? 'S_E' : 'S_I'}${this.minusNull ? ' − null' : ''}`;
    const datasets: ChartDataset<'line', Pt[]>[] = [];
    const n = this.layers.length;
    this.layers.forEach((name, i) => {
      const pts = trajectory(this.series, name, this.transformId, this.measure, this.minusNull);
      const selected = name === this.layerName;
      if (selected) {
        const band = (label: string, lowOf: (p: (typeof pts)[number]) => number | null, highOf: (p: (typeof pts)[number]) => number | null, color: string): void => {
          datasets.push({ label: `${label} low`, data: pts.map((p) => ({ x: p.step, y: lowOf(p) })), borderColor: 'transparent', pointRadius: 0, fill: false } as ChartDataset<'line', Pt[]>);
          datasets.push({ label, data: pts.map((p) => ({ x: p.step, y: highOf(p) })), borderColor: 'transparent', backgroundColor: color, pointRadius: 0, fill: '-1' } as ChartDataset<'line', Pt[]>);
        };
        band('null band', (p) => p.null, (p) => (p.null === null ? null : p.null + NULL_MARGIN), 'rgba(128,128,128,0.25)');
        if (pts.some((p) => p.low !== undefined)) band('interval', (p) => p.low ?? null, (p) => p.high ?? null, withAlpha(theme.equivariance, 0.2));
      }
      datasets.push({
        label: name,
        data: pts.map((p) => ({ x: p.step, y: p.value })),
        borderColor: selected ? theme.fg : colorFor(n > 1 ? i / (n - 1) : 0.5),
        backgroundColor: selected ? theme.fg : colorFor(n > 1 ? i / (n - 1) : 0.5),
        borderWidth: selected ? 3 : 1.5,
        pointRadius: pts.map((p) => (p.checkpoint === this.checkpoint ? 5 : 2.5)),
        spanGaps: false,
      } as ChartDataset<'line', Pt[]>);
    });
    const first = stepOf(this.series, 0);
    const settled = this.layerName ? settledStep(trajectory(this.series, this.layerName, this.transformId, this.measure)) : undefined;
    this.note.textContent = `${tag} of every layer against the training step (${this.transformId}); the dashed line marks the first checkpoint, ${this.series.checkpoints[0]?.label}, the random-initialisation baseline.`
      + (this.layerName ? ` Selected: ${this.layerName} (thick), with its null band${datasets.some((d) => d.label === 'interval') ? ' and interval' : ''}; `
        + (settled ? `settled at step ${settled.step} (within the final score's ${settled.band === 'interval' ? 'interval' : `± ${NULL_MARGIN}`}).` : 'no score to settle.') : ' Click a point to open that checkpoint\'s layer details.');
    this.canvas.dataset.series = datasets.filter((d) => this.layers.includes(d.label ?? '')).map((d) => d.label).join('\n');
    this.canvas.dataset.bands = datasets.filter((d) => d.label === 'null band' || d.label === 'interval').map((d) => d.label).join(',');
    this.canvas.dataset.settled = settled ? String(settled.step) : '';
    this.canvas.setAttribute('aria-label', this.note.textContent);
    const baseline: Plugin<'line'> = {
      id: 'seisBaseline',
      afterDatasetsDraw: (chart) => {
        const x = chart.scales.x.getPixelForValue(first);
        const { top, bottom } = chart.chartArea;
        const ctx = chart.ctx;
        ctx.save();
        ctx.strokeStyle = theme.muted;
        ctx.setLineDash([5, 4]);
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom); ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = theme.muted;
        ctx.font = `11px ${theme.font}`;
        ctx.fillText('random init', x + 4, top + 12);
        ctx.restore();
      },
    };
    this.chart?.destroy();
    this.chart = new Chart<'line', Pt[]>(this.canvas, {
      type: 'line',
      data: { datasets },
      plugins: [baseline],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'training step (from the file names)' }, grid: { color: theme.grid } },
          y: { ...(this.minusNull ? {} : { min: 0, max: 1 }), title: { display: true, text: tag }, grid: { color: theme.grid } },
        },
        plugins: { legend: { display: false } },
        onClick: (_e, elements) => {
          const hit = elements.find((el) => this.layers.includes(this.chart?.data.datasets[el.datasetIndex]?.label ?? ''));
          if (hit) this.onOpen(hit.index, this.chart?.data.datasets[hit.datasetIndex]?.label);
        },
      },
    });
    this.drawHeatmap(theme);
    this.renderTable();
  }

  private drawHeatmap(theme: ThemeColors): void {
    const cols = this.series.checkpoints.length;
    const width = LABEL_W + cols * CELL_W;
    const height = HEADER_H + this.layers.length * CELL_H;
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.heatmap;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    canvas.setAttribute('aria-label', `${this.measure === 'equivariance' ? 'S_E' : 'S_I'} of ${this.layers.length} layers at ${cols} checkpoints under ${this.transformId}; the table below lists the values`);
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = `11px ${theme.font}`;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'center';
    ctx.fillStyle = theme.fg;
    this.series.checkpoints.forEach((_c, j) => ctx.fillText(j === 0 ? 'init' : String(stepOf(this.series, j)), LABEL_W + (j + 0.5) * CELL_W, HEADER_H / 2, CELL_W - 2));
    this.layers.forEach((name, r) => {
      const y = HEADER_H + r * CELL_H;
      ctx.fillStyle = theme.fg;
      ctx.textAlign = 'right';
      ctx.fillText(shortLabel(name, 30), LABEL_W - 6, y + CELL_H / 2, LABEL_W - 8);
      for (let j = 0; j < cols; j++) {
        const cell = cellAt(this.series, j, name, this.transformId);
        const v = cell ? cell[this.measure] : undefined;
        const x = LABEL_W + j * CELL_W;
        const clear = clearlyAboveNull(cell, this.measure);
        ctx.fillStyle = colorFor(typeof v === 'number' && Number.isFinite(v) ? v : undefined, cell && !clear ? 0.45 : 1);
        ctx.fillRect(x + 1, y + 1, CELL_W - 2, CELL_H - 2);
        if (cell && !clear) hatchCell(ctx, x + 1, y + 1, CELL_W - 2, CELL_H - 2);
        if (name === this.layerName && j === this.checkpoint) {
          ctx.strokeStyle = theme.fg;
          ctx.lineWidth = 2;
          ctx.strokeRect(x + 1, y + 1, CELL_W - 2, CELL_H - 2);
        }
      }
    });
    // The baseline column, marked like the line chart's dashed line.
    ctx.strokeStyle = theme.muted;
    ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(LABEL_W + CELL_W, HEADER_H); ctx.lineTo(LABEL_W + CELL_W, height); ctx.stroke();
    ctx.setLineDash([]);
  }

  private renderTable(): void {
    const cps = this.series.checkpoints;
    const rows = this.layers.map((name, r) => {
      const pts = trajectory(this.series, name, this.transformId, this.measure);
      const settled = settledStep(pts);
      return h('tr', { 'data-series-layer': name },
        h('th', { scope: 'row' }, name),
        h('td', { class: 'spark', title: 'trajectory' }, sparkline(pts.map((p) => p.value))),
        ...cps.map((_c, j) => {
          const change = changeFromPrevious(this.series, j, name, this.transformId, this.measure);
          const same = change && change.verdict !== 'different' && change.verdict !== 'missing';
          const td = h('td', { tabindex: 0, 'data-row': r, 'data-checkpoint': j, 'data-change': change?.verdict ?? 'first', title: same ? 'not different from the previous checkpoint' : '' },
            fmt(pts[j].value ?? undefined) + (same ? ' ≈' : ''));
          td.addEventListener('click', () => this.onOpen(j, name));
          td.addEventListener('keydown', (e) => this.onCellKey(e, r, j, name));
          return td;
        }),
        h('td', {}, settled ? String(settled.step) : '—'));
    });
    this.tableHost.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'layer'), h('th', { scope: 'col' }, 'trajectory'),
        ...cps.map((c, j) => h('th', { scope: 'col', title: c.model.path }, j === 0 ? `${c.label} (init)` : c.label)), h('th', { scope: 'col' }, 'settled at step'))),
      h('tbody', {}, ...rows)));
  }

  private onCellKey(e: KeyboardEvent, row: number, col: number, name: string): void {
    const move: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.onOpen(col, name);
      return;
    }
    const d = move[e.key];
    if (!d) return;
    e.preventDefault();
    this.tableHost.querySelector<HTMLElement>(`td[data-row="${row + d[0]}"][data-checkpoint="${col + d[1]}"]`)?.focus();
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }
}

