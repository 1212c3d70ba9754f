/**
 * S_E (x) against S_I (y), one point per layer for one transform, coloured by depth, one marker
 * shape per model. The background shows the reading regions of src/shared/reading.ts: the region
 * boundaries are drawn with the median null of the shown layers (each point itself is classified
 * against its own null, which is what tooltips and tables report).
 */
import { Chart, type ChartDataset, type Plugin, type PointStyle } from 'chart.js';
import { INVARIANT_SHARE, NULL_MARGIN, READING_LABEL, readingOf } from '../../../src/shared/reading';
import { colorFor, fmt, nullOf, scoreOf, type ModelView } from '../viewModel';
import { chartBlock, type ChartSelection, type ChartSpec, type ChartState, type SeisChart } from './chart';
import { transformColumn, withAlpha } from './profile';
import { canvasesToPng, type ThemeColors } from './setup';

interface ScatterPt {
  x: number;
  y: number;
  layerIndex: number;
}

const STYLES: readonly PointStyle[] = ['circle', 'triangle', 'rectRot', 'rect'];

export const READING_SCATTER: ChartSpec = {
  id: 'scatter',
  place: 'bottom',
  exports: ['scatter'],
  missing: 'There is no scatter chart to export: no results are shown.',
  applies: (context) => context.models.length > 0,
  create: (context) => new ReadingScatter(context.models, (mi, li) => context.select(mi, li)),
};

class ReadingScatter implements SeisChart {
  readonly canvas: HTMLCanvasElement;
  readonly elements: readonly HTMLElement[];
  private chart: Chart<'scatter', ScatterPt[]> | undefined;
  private selection: ChartSelection | undefined;

  constructor(
    private readonly models: readonly ModelView[],
    private readonly onSelect: (modelIndex: number, layerIndex: number) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'scatter-chart';
    this.canvas.setAttribute('role', 'img');
    this.elements = [chartBlock('scatter', 'S_E vs S_I',
      `Colour = depth (dark early, yellow late). Regions: information lost = S_E within ${NULL_MARGIN} of its null; invariant = S_I ≥ ${INVARIANT_SHARE}·S_E; re-encoded (equivariant) = below that. S_I ≤ S_E always.`,
      this.canvas, 'S_E against S_I')];
  }

  render({ transformId, theme, selection }: ChartState): void {
    this.selection = selection;
    const datasets: ChartDataset<'scatter', ScatterPt[]>[] = [];
    const nullsE: number[] = [];
    this.models.forEach((m, mi) => {
      const ti = transformColumn(m, transformId);
      if (ti < 0) return;
      const pts: ScatterPt[] = [];
      const total = Math.max(1, m.result.layers.length - 1);
      for (const row of m.rows) {
        if (row.layerIndex < 0) continue;
        const cell = row.cells[ti];
        const e = scoreOf(cell, 'equivariance');
        const i = scoreOf(cell, 'invariance');
        const n = nullOf(cell, 'equivariance');
        if (n !== undefined) nullsE.push(n);
        if (e !== undefined && i !== undefined) pts.push({ x: e, y: i, layerIndex: row.layerIndex });
      }
      datasets.push({
        label: this.models.length > 1 ? m.title : 'layers',
        data: pts,
        pointStyle: STYLES[mi % STYLES.length],
        pointRadius: (ctx) => (this.isSelected(mi, (ctx.raw as ScatterPt | undefined)?.layerIndex) ? 8 : 4.5),
        pointBorderWidth: (ctx) => (this.isSelected(mi, (ctx.raw as ScatterPt | undefined)?.layerIndex) ? 3 : 1),
        pointBorderColor: (ctx) => (this.isSelected(mi, (ctx.raw as ScatterPt | undefined)?.layerIndex) ? theme.accent : withAlpha(theme.fg, 0.6)),
        backgroundColor: (ctx) => colorFor(((ctx.raw as ScatterPt | undefined)?.layerIndex ?? 0) / total, 0.9),
      });
      const floorCell = m.rows[0].cells[ti];
      const fe = scoreOf(floorCell, 'equivariance');
      const fi = scoreOf(floorCell, 'invariance');
      if (fe !== undefined && fi !== undefined) {
        datasets.push({
          label: `input floor${this.models.length > 1 ? ` — ${m.title}` : ''}`,
          data: [{ x: fe, y: fi, layerIndex: -1 }],
          pointStyle: 'crossRot',
          pointRadius: 8,
          pointBorderWidth: 2,
          borderColor: theme.fg,
          backgroundColor: theme.fg,
        });
      }
    });
    nullsE.sort((a, b) => a - b);
    const medianNull = nullsE.length ? nullsE[Math.floor(nullsE.length / 2)] : 0;
    this.canvas.setAttribute('aria-label', `S_E against S_I per layer for ${transformId}; the reading of each layer is in the score tables.`);

    if (this.chart) this.chart.destroy();
    this.chart = new Chart<'scatter', ScatterPt[]>(this.canvas, {
      type: 'scatter',
      data: { datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { min: 0, max: 1.02, title: { display: true, text: 'S_E (equivariance)' }, grid: { color: theme.grid } },
          y: { min: 0, max: 1.02, title: { display: true, text: 'S_I (invariance)' }, grid: { color: theme.grid } },
        },
        plugins: {
          legend: { labels: { usePointStyle: true, boxWidth: 8 } },
          tooltip: {
            callbacks: {
              title: (items) => {
                const it = items[0];
                const p = it?.raw as ScatterPt | undefined;
                if (!it || !p) return '';
                if (p.layerIndex < 0) return it.dataset.label ?? 'input floor';
                return this.models[this.modelOf(it.datasetIndex, datasets)]?.result.layers[p.layerIndex]?.name ?? '';
              },
              label: (it) => {
                const p = it.raw as ScatterPt;
                const m = this.models[this.modelOf(it.datasetIndex, datasets)];
                const ti = m ? transformColumn(m, transformId) : -1;
                const cell = m && ti >= 0 ? m.rows[p.layerIndex + 1]?.cells[ti] : undefined;
                const reading = readingOf(cell);
                return [
                  `S_E ${fmt(p.x)} (null ${fmt(nullOf(cell, 'equivariance'))})`,
                  `S_I ${fmt(p.y)} (null ${fmt(nullOf(cell, 'invariance'))})`,
                  `reading: ${READING_LABEL[reading]}`,
                ].filter(Boolean);
              },
            },
          },
        },
        onClick: (_e, elements) => {
          const el = elements[0];
          if (!el) return;
          const p = datasets[el.datasetIndex]?.data[el.index];
          if (p && p.layerIndex >= 0) this.onSelect(this.modelOf(el.datasetIndex, datasets), p.layerIndex);
        },
      },
      plugins: [regionsPlugin(theme, medianNull + NULL_MARGIN)],
    });
  }

  select(selection: ChartSelection | undefined): void {
    this.selection = selection;
    this.chart?.update('none');
  }

  png(_chart: string, state: ChartState): string {
    return canvasesToPng([{ canvas: this.canvas, caption: `S_E vs S_I · ${state.transformId}` }], state.theme);
  }

  dispose(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }

  private isSelected(modelIndex: number, layerIndex: number | undefined): boolean {
    return !!this.selection && this.selection.modelIndex === modelIndex && this.selection.layerIndex === layerIndex;
  }

  private modelOf(datasetIndex: number, datasets: readonly ChartDataset<'scatter', ScatterPt[]>[]): number {
    const label = datasets[datasetIndex]?.label ?? '';
    if (this.models.length < 2) return 0;
    return Math.max(0, this.models.findIndex((m) => label === m.title || label.endsWith(` — ${m.title}`)));
  }
}

function regionsPlugin(theme: ThemeColors, lostBelow: number): Plugin<'scatter'> {
  return {
    id: 'seis-reading-regions',
    beforeDatasetsDraw: (chart) => {
      const { ctx, chartArea, scales } = chart;
      const px = (v: number) => scales.x.getPixelForValue(v);
      const py = (v: number) => scales.y.getPixelForValue(v);
      ctx.save();
      ctx.beginPath();
      ctx.rect(chartArea.left, chartArea.top, chartArea.width, chartArea.height);
      ctx.clip();
      // S_I ≤ S_E always; the plane above the diagonal is empty by construction.
      ctx.fillStyle = withAlpha(theme.equivariance, 0.09);
      ctx.beginPath();
      ctx.moveTo(px(lostBelow), py(0));
      ctx.lineTo(px(1.02), py(0));
      ctx.lineTo(px(1.02), py(1.02 * INVARIANT_SHARE));
      ctx.lineTo(px(lostBelow), py(lostBelow * INVARIANT_SHARE));
      ctx.closePath();
      ctx.fill();
      ctx.fillStyle = withAlpha(theme.invariance, 0.11);
      ctx.beginPath();
      ctx.moveTo(px(lostBelow), py(lostBelow * INVARIANT_SHARE));
      ctx.lineTo(px(1.02), py(1.02 * INVARIANT_SHARE));
      ctx.lineTo(px(1.02), py(1.02));
      ctx.lineTo(px(lostBelow), py(lostBelow));
      ctx.closePath();
      ctx.fill();
      ctx.fillStyle = withAlpha(theme.muted, 0.16);
      ctx.fillRect(px(0), chartArea.top, px(lostBelow) - px(0), chartArea.height);
      ctx.strokeStyle = withAlpha(theme.muted, 0.6);
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(px(0), py(0));
      ctx.lineTo(px(1.02), py(1.02));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = theme.muted;
      ctx.font = `11px ${theme.font}`;
      ctx.textAlign = 'right';
      ctx.fillText('re-encoded (equivariant)', px(0.99), py(0.06));
      ctx.fillText('invariant', px(0.93), py(0.8));
      ctx.textAlign = 'left';
      ctx.save();
      ctx.translate(px(0) + 12, py(0.5));
      ctx.rotate(-Math.PI / 2);
      ctx.fillText('information lost', 0, 0);
      ctx.restore();
      ctx.restore();
    },
  };
}
