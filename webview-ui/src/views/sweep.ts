/**
 * Sweep view (issue 10): S_E and S_I against the sweep parameter (angle, shift, scale). For the
 * selected layer: both scores, their nulls (thin dotted) and the input floor (dashed: what resampling
 * alone does to the input, so learned (non-)equivariance is read above it); for all layers: one line
 * per layer coloured by depth. Exact members (90° multiples, whole-pixel shifts) are drawn as larger
 * squares. Shown when the result swept a family (≥ 3 members); a click on a point selects its layer.
 */
import { Chart, type ChartDataset } from 'chart.js';
import type { AnalysisResult } from '../../../src/shared/results';
import type { ChartSpec } from '../charts/chart';
import { canvasesToPng, type ThemeColors } from '../charts/setup';
import { h } from '../dom';
import { colorFor } from '../viewModel';
import { FAMILY_AXIS, sweepFamilies, sweepPoints, type SweepFamily, type SweepPoint } from './sweepModel';

type Pt = { x: number; y: number | null };

/** Shown for the first result when it swept a transform family; follows the layers of that result. */
export const SWEEP_VIEW: ChartSpec = {
  id: 'sweep',
  place: 'models',
  exports: ['sweep'],
  missing: 'There is no sweep to export: these results have no transform family with 3 or more members (seis.sweep).',
  applies: (context) => context.models.length > 0 && sweepFamilies(context.models[0].result.transforms).length > 0,
  create: (context) => {
    const sweep = new SweepView(context.models[0].result, (name) => context.selectLayer(0, name));
    sweep.element.classList.add('extra-view');
    return {
      elements: [sweep.element],
      render: (state) => sweep.render(state.theme),
      select: (selection) => { if (selection?.modelIndex === 0) sweep.select(selection.layerName); },
      png: (_chart, state) => canvasesToPng([{ canvas: sweep.canvas, caption: `Sweep · ${sweep.canvas.dataset.family ?? ''}` }], state.theme),
      dispose: () => sweep.destroy(),
    };
  },
};
export type SweepMode = 'selected' | 'all-equivariance' | 'all-invariance';

export class SweepView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly families: readonly SweepFamily[];
  private family: SweepFamily | undefined;
  private mode: SweepMode = 'selected';
  private layerName: string | undefined;
  private chart: Chart<'line', Pt[]> | undefined;
  private theme: ThemeColors | undefined;
  private readonly note: HTMLElement;

  constructor(private readonly result: AnalysisResult, private readonly onSelect: (layerName: string) => void) {
    this.families = sweepFamilies(result.transforms);
    this.family = this.families[0];
    this.canvas = h('canvas', { class: 'sweep-chart', role: 'img' });
    this.note = h('p', { class: 'muted small sweep-note', 'aria-live': 'polite' });
    const familySelect = h('select', { class: 'sweep-family', 'aria-label': 'Swept transform family' },
      ...this.families.map((f) => h('option', { value: f.family }, `${f.family} (${f.members.length} members)`)));
    familySelect.addEventListener('change', () => { this.family = this.families.find((f) => f.family === familySelect.value); this.render(); });
    const modeSelect = h('select', { class: 'sweep-mode', 'aria-label': 'Layers shown' },
      h('option', { value: 'selected' }, 'selected layer: S_E, S_I, nulls'),
      h('option', { value: 'all-equivariance' }, 'all layers: S_E'),
      h('option', { value: 'all-invariance' }, 'all layers: S_I'));
    modeSelect.addEventListener('change', () => { this.mode = modeSelect.value as SweepMode; this.render(); });
    this.element = h('section', { class: 'chart-block sweep-block', 'aria-label': 'Sweep' },
      h('h2', {}, 'Sweep'),
      h('div', { class: 'toolbar' }, h('label', {}, 'Family ', familySelect), h('label', {}, 'Show ', modeSelect)),
      this.note,
      h('div', { class: 'chart-box sweep-box' }, this.canvas));
  }

  /** Follows the layer selected anywhere in the panel. */
  select(layerName: string | undefined): void {
    this.layerName = layerName;
    if (this.mode === 'selected') this.render();
  }

  render(theme: ThemeColors | undefined = this.theme): void {
    this.theme = theme;
    const family = this.family;
    if (!family || !theme) return;
    const floor = sweepPoints(family, this.result.inputFloor);
    const datasets: ChartDataset<'line', Pt[]>[] = [];
    const layer = this.layerName !== undefined ? this.result.layers.find((l) => l.name === this.layerName) : undefined;
    const mode: SweepMode = this.mode === 'selected' && !layer ? 'all-equivariance' : this.mode;
    const line = (label: string, points: SweepPoint[], pick: (p: SweepPoint) => number | null, color: string, extra: Partial<ChartDataset<'line', Pt[]>> = {}): ChartDataset<'line', Pt[]> => ({
      label,
      data: points.map((p) => ({ x: p.parameter, y: pick(p) })),
      borderColor: color,
      backgroundColor: color,
      borderWidth: 2,
      pointRadius: points.map((p) => (p.exact ? 5 : 2.5)),
      pointStyle: points.map((p) => (p.exact ? 'rect' : 'circle')),
      spanGaps: false,
      ...extra,
    } as ChartDataset<'line', Pt[]>);
    if (mode === 'selected' && layer) {
      const points = sweepPoints(family, layer.scores);
      datasets.push(
        line('S_E', points, (p) => p.equivariance, theme.equivariance),
        line('S_I', points, (p) => p.invariance, theme.invariance),
        line('S_E null', points, (p) => p.nullEquivariance, theme.equivariance, { borderWidth: 1, borderDash: [2, 3], pointRadius: 0 }),
        line('S_I null', points, (p) => p.nullInvariance, theme.invariance, { borderWidth: 1, borderDash: [2, 3], pointRadius: 0 }),
        line('S_E input floor', floor, (p) => p.equivariance, theme.muted, { borderWidth: 1.5, borderDash: [7, 4], pointRadius: 0 }),
        line('S_I input floor', floor, (p) => p.invariance, theme.muted, { borderWidth: 1, borderDash: [3, 3], pointRadius: 0 }),
      );
      this.note.textContent = `${layer.name}: S_E and S_I against the ${FAMILY_AXIS[family.family]}. Squares: exact members; dotted: nulls; dashed grey: the input floor (resampling alone).`;
    } else {
      const measure = mode === 'all-invariance' ? 'invariance' : 'equivariance';
      const n = this.result.layers.length;
      this.result.layers.forEach((l, i) => {
        if (l.status !== 'scored') return;
        const points = sweepPoints(family, l.scores);
        datasets.push(line(l.name, points, (p) => p[measure], colorFor(n > 1 ? i / (n - 1) : 0.5), { borderWidth: 1.5 }));
      });
      datasets.push(line('input floor', floor, (p) => p[measure], theme.fg, { borderWidth: 2, borderDash: [7, 4], pointRadius: 0 }));
      this.note.textContent = `${measure === 'equivariance' ? 'S_E' : 'S_I'} of every layer (dark early, yellow late) against the ${FAMILY_AXIS[family.family]}. `
        + 'Squares: exact members; dashed: the input floor. Click a point to select its layer.';
    }
    this.canvas.dataset.family = family.family;
    this.canvas.dataset.mode = mode;
    this.canvas.dataset.series = datasets.map((d) => d.label).join('\n');
    this.canvas.dataset.exact = family.members.filter((t) => t.exact).map((t) => t.parameter).join(',');
    this.canvas.setAttribute('aria-label', this.note.textContent ?? 'Sweep');
    const data = { datasets };
    if (this.chart) {
      this.chart.data = data;
      this.chart.update();
      return;
    }
    this.chart = new Chart<'line', Pt[]>(this.canvas, {
      type: 'line',
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: FAMILY_AXIS[family.family] }, grid: { color: theme.grid } },
          y: { min: 0, max: 1, title: { display: true, text: 'score' }, grid: { color: theme.grid } },
        },
        plugins: { legend: { display: true, labels: { boxWidth: 14, filter: (item) => this.mode === 'selected' || (item.text ?? '').includes('floor') } } },
        onClick: (_e, elements) => {
          const hit = elements[0];
          const label = hit ? this.chart?.data.datasets[hit.datasetIndex]?.label : undefined;
          if (label && this.result.layers.some((l) => l.name === label)) this.onSelect(label);
        },
      },
    });
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }
}
