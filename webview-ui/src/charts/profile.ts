/**
 * Depth profile: S_E and S_I per layer (graph order) for one transform, every model overlaid
 * (solid = first model, dashed = the others), with each measure's null band [null, null + margin]
 * (the zone where a score is not clearly above chance) and the input floor as a dotted line.
 */
import { Chart, type ChartDataset, type Plugin } from 'chart.js';
import { NULL_MARGIN } from '../../../src/shared/reading';
import { describeCell, nullOf, scoreOf, shortLabel, type Measure, type ModelView } from '../viewModel';
import { chartBlock, type ChartSelection, type ChartSpec, type ChartState, type SeisChart } from './chart';
import { canvasesToPng, type ThemeColors } from './setup';

type Pt = { x: number; y: number | null };

const DASHES: readonly number[][] = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

export const DEPTH_PROFILE: ChartSpec = {
  id: 'profile',
  place: 'bottom',
  exports: ['profile'],
  missing: 'There is no profile chart to export: no results are shown.',
  applies: (context) => context.models.length > 0,
  create: (context) => new DepthProfile(context.models, (mi, li) => context.select(mi, li)),
};

class DepthProfile implements SeisChart {
  readonly canvas: HTMLCanvasElement;
  readonly elements: readonly HTMLElement[];
  private chart: Chart<'line', Pt[]> | undefined;
  private selection: ChartSelection | undefined;

  constructor(
    private readonly models: readonly ModelView[],
    private readonly onSelect: (modelIndex: number, layerIndex: number) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'profile-chart';
    this.canvas.setAttribute('role', 'img');
    this.elements = [chartBlock('profile', 'Depth profile',
      `S_E and S_I per layer for the chosen transform. Shaded band: null to null + ${NULL_MARGIN} (not clearly above chance). Dotted: the input floor.`, this.canvas)];
  }

  render({ transformId, theme, selection }: ChartState): void {
    this.selection = selection;
    const datasets: ChartDataset<'line', Pt[]>[] = [];
    this.models.forEach((m, mi) => {
      const ti = transformColumn(m, transformId);
      if (ti < 0 || !m.result.transforms.some((t) => t.id === transformId)) return;
      const layers = m.rows.filter((r) => r.layerIndex >= 0);
      const cellAt = (r: (typeof layers)[number]) => r.cells[ti];
      const suffix = this.models.length > 1 ? ` — ${m.title}` : '';
      const dash = DASHES[mi % DASHES.length];
      for (const measure of ['equivariance', 'invariance'] as const) {
        const color = measure === 'equivariance' ? theme.equivariance : theme.invariance;
        const tag = measure === 'equivariance' ? 'S_E' : 'S_I';
        const nulls = layers.map((r) => ({ x: r.layerIndex, y: nullOf(cellAt(r), measure) ?? null }));
        datasets.push({
          label: `${tag} null${suffix}`,
          data: nulls,
          borderColor: 'transparent',
          pointRadius: 0,
          fill: false,
          spanGaps: false,
        });
        datasets.push({
          label: `${tag} null band${suffix}`,
          data: nulls.map((p) => ({ x: p.x, y: p.y === null ? null : p.y + NULL_MARGIN })),
          borderColor: 'transparent',
          backgroundColor: withAlpha(color, 0.16),
          pointRadius: 0,
          fill: '-1',
          spanGaps: false,
        });
        datasets.push({
          label: `${tag}${suffix}`,
          data: layers.map((r) => ({ x: r.layerIndex, y: scoreOf(cellAt(r), measure) ?? null })),
          borderColor: color,
          backgroundColor: color,
          borderDash: dash,
          borderWidth: 2,
          pointRadius: layers.length > 120 ? 0 : 2.5,
          pointHoverRadius: 5,
          spanGaps: false,
        });
        const floor = scoreOf(m.rows[0].cells[ti], measure);
        if (floor !== undefined && layers.length) {
          datasets.push({
            label: `${tag} input floor${suffix}`,
            data: [{ x: 0, y: floor }, { x: layers.length - 1, y: floor }],
            borderColor: withAlpha(color, 0.7),
            borderDash: [1, 3],
            borderWidth: 1.5,
            pointRadius: 0,
          });
        }
      }
    });

    const first = this.models[0];
    const names = first ? first.rows.filter((r) => r.layerIndex >= 0).map((r) => r.label) : [];
    const maxX = Math.max(1, ...this.models.map((m) => m.result.layers.length - 1));
    this.canvas.setAttribute('aria-label', `Depth profile of S_E and S_I for ${transformId}; the values are in the score tables.`);

    if (this.chart) this.chart.destroy();
    this.chart = new Chart<'line', Pt[]>(this.canvas, {
      type: 'line',
      data: { datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false, axis: 'x' },
        scales: {
          x: {
            type: 'linear', min: 0, max: maxX,
            title: { display: true, text: 'layer (graph order)' },
            ticks: { autoSkip: true, autoSkipPadding: 24, maxRotation: 0, callback: (v) => (Number.isInteger(v) ? shortLabel(names[Number(v)] ?? String(v), 18) : '') },
            grid: { color: theme.grid },
          },
          y: { min: 0, max: 1.02, title: { display: true, text: 'score' }, grid: { color: theme.grid } },
        },
        plugins: {
          legend: {
            labels: { boxWidth: 18, filter: (item) => /^S_[EI]( — |$)/.test(item.text) },
          },
          tooltip: {
            filter: (item) => !/null|floor/.test(item.dataset.label ?? ''),
            callbacks: {
              title: (items) => {
                const it = items[0];
                if (!it) return '';
                const mi = modelOfDataset(this.models, it.dataset.label ?? '');
                return this.models[mi]?.result.layers[(it.raw as Pt).x]?.name ?? '';
              },
              label: (it) => {
                const mi = modelOfDataset(this.models, it.dataset.label ?? '');
                const m = this.models[mi];
                const row = m?.rows[(it.raw as Pt).x + 1];
                const measure: Measure = (it.dataset.label ?? '').startsWith('S_E') ? 'equivariance' : 'invariance';
                const ti = m ? transformColumn(m, transformId) : -1;
                return `${it.dataset.label}: ${describeCell(ti >= 0 ? row?.cells[ti] : undefined, measure)}`;
              },
            },
          },
        },
        onClick: (_e, elements) => {
          const el = elements[0];
          if (!el) return;
          const label = datasets[el.datasetIndex]?.label ?? '';
          this.onSelect(modelOfDataset(this.models, label), el.index);
        },
      },
      plugins: [this.selectionPlugin(theme)],
    });
  }

  select(selection: ChartSelection | undefined): void {
    this.selection = selection;
    this.chart?.update('none');
  }

  png(_chart: string, state: ChartState): string {
    return canvasesToPng([{ canvas: this.canvas, caption: `Depth profile · ${state.transformId}` }], state.theme);
  }

  dispose(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }

  private selectionPlugin(theme: ThemeColors): Plugin<'line'> {
    return {
      id: 'seis-profile-selection',
      afterDatasetsDraw: (chart) => {
        const s = this.selection;
        if (!s || s.layerIndex < 0) return;
        const x = chart.scales.x.getPixelForValue(s.layerIndex);
        const { ctx, chartArea } = chart;
        ctx.save();
        ctx.strokeStyle = theme.accent;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.restore();
      },
    };
  }
}

/** Column of a transform in the model's rows (rows are built over the union of transforms). */
export function transformColumn(m: ModelView, transformId: string): number {
  return m.columns.indexOf(transformId);
}

function modelOfDataset(models: readonly ModelView[], label: string): number {
  if (models.length < 2) return 0;
  const i = models.findIndex((m) => label.endsWith(` — ${m.title}`));
  return Math.max(0, i);
}

export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (hex) {
    const n = parseInt(hex[1], 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/.exec(color.trim());
  if (rgb) {
    const [r, g, b] = rgb[1].split(',').map((s) => s.trim());
    return `rgba(${r},${g},${b},${alpha})`;
  }
  return color;
}
