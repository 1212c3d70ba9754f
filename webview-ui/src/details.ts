/**
 * Layer details: what the selected layer is (op, shape, positions, pooling), its scores under
 * every transform with nulls, ranks and warnings, the canonical correlations for the chosen
 * transform as a small bar chart (with the same values as text), and the same layer in the other
 * shown models when they have a layer of that name (model comparison).
 */
import { Chart } from 'chart.js';
import type { ScoreCell, TransformInfo } from '../../src/shared/results';
import { h } from './dom';
import type { ThemeColors } from './charts/setup';
import { withAlpha } from './charts/profile';
import { READING_LABEL, READING_SHORT, clearlyAboveNull, excessOverNull, readingOf } from '../../src/shared/reading';
import { fmt, fmtShape, fmtSigned, nullOf, scoreOf, type ModelView } from './viewModel';

export class LayerDetails {
  readonly element: HTMLElement;
  private chart: Chart<'bar'> | undefined;

  constructor() {
    this.element = h('section', { class: 'details', 'aria-live': 'polite', 'aria-label': 'Layer details' });
    this.clear();
  }

  clear(): void {
    this.destroyChart();
    this.element.replaceChildren(
      h('h2', {}, 'Layer details'),
      h('p', { class: 'muted' }, 'Click a heatmap cell, a point or a table row (or press Enter on it) to see a layer here.'),
    );
  }

  show(models: readonly ModelView[], modelIndex: number, rowIndex: number, transforms: readonly TransformInfo[], transformId: string, theme: ThemeColors): void {
    this.destroyChart();
    const m = models[modelIndex];
    const row = m?.rows[rowIndex];
    if (!m || !row) { this.clear(); return; }
    const layer = row.layer;
    const parts: Node[] = [h('h2', {}, 'Layer details')];
    parts.push(h('div', { class: 'details-name', title: row.label }, row.label));
    if (models.length > 1) parts.push(h('div', { class: 'muted' }, `model: ${m.title}`));

    const facts: [string, string][] = layer
      ? [
        ['op', layer.op || '—'],
        ['node', layer.node || '—'],
        ['shape', fmtShape(layer.shape)],
        ['layout', layer.layout],
        ['positions', layer.pooledPositions !== undefined && layer.pooledPositions !== layer.positions
          ? `${layer.positions} → pooled to ${layer.pooledPositions}` : String(layer.positions)],
        ['status', layer.status],
        ['graph index', String(row.layerIndex)],
      ]
      : [['what', 'the raw input tensor under each transform: the floor every layer is read against']];
    parts.push(h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-fact': k }, v)])));
    if (layer?.message) parts.push(h('p', { class: 'warning' }, layer.message));

    const cells = transforms.map((t, i) => [t, row.cells[i]] as const).filter(([, c]) => c !== undefined) as [TransformInfo, ScoreCell][];
    if (cells.length) {
      // Focusable so keyboard users can scroll it when the panel is narrow.
      parts.push(h('div', { class: 'details-table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Scores per transform' }, h('table', { class: 'details-scores' },
        h('caption', { class: 'sr-only' }, `Scores of ${row.label} under each transform`),
        h('thead', {}, h('tr', {}, ...['transform', 'S_E', 'null', 'S_I', 'null', 'k/k′/r', 'reading'].map((c) => h('th', { scope: 'col', title: c === 'k/k′/r' ? 'kept ranks of the clean and transformed activations, and r = min(k, k′)' : undefined }, c)))),
        h('tbody', {}, ...cells.map(([t, c]) => {
          const reading = readingOf(c);
          return h('tr', { class: t.id === transformId ? 'current' : '' },
            h('th', { scope: 'row', title: t.label }, t.id + (t.exact ? '' : ' ≈')),
            scoreTd(c, 'equivariance'), h('td', {}, fmt(nullOf(c, 'equivariance'))),
            scoreTd(c, 'invariance'), h('td', {}, fmt(nullOf(c, 'invariance'))),
            h('td', {}, `${c.rankClean}/${c.rankTransformed}/${c.r}`),
            h('td', { class: 'reading', 'data-reading': reading, title: READING_LABEL[reading] }, READING_SHORT[reading]));
        })),
      )));
      parts.push(h('p', { class: 'muted small' }, '≈ after a transform: interpolated (not exact on the pixel grid). ≈ after a score (dimmed): not clearly above its null.'));
    }

    const current = cells.find(([t]) => t.id === transformId)?.[1];
    const warnings = new Set<string>(cells.flatMap(([, c]) => [...(c.warnings ?? [])]));
    if (cells.some(([, c]) => c.underdetermined)) warnings.add('Underdetermined for some transforms: n is small against k + k′, so canonical correlations approach 1 for any data; read against the null.');
    if (warnings.size) parts.push(h('ul', { class: 'warnings' }, ...[...warnings].map((w) => h('li', {}, w))));

    const rho = current?.canonicalCorrelations?.filter((x) => typeof x === 'number') ?? [];
    let canvas: HTMLCanvasElement | undefined;
    if (rho.length) {
      canvas = h('canvas', { class: 'cc-chart', role: 'img', 'aria-label': `Canonical correlations for ${transformId}: ${rho.map((x) => x.toFixed(2)).join(', ')}` });
      parts.push(h('h3', {}, `Canonical correlations ρ (${transformId}, r = ${current?.r})`), h('div', { class: 'cc-wrap' }, canvas));
    } else if (current) {
      parts.push(h('p', { class: 'muted small' }, `No canonical correlations stored for ${transformId}.`));
    }

    if (models.length > 1 && layer) {
      const others = models.filter((o) => o.index !== modelIndex && o.layerIndexByName.has(layer.name));
      if (others.length) {
        parts.push(h('h3', {}, `Same layer in the other models (${transformId})`),
          h('table', { class: 'details-compare' },
            h('thead', {}, h('tr', {}, ...['model', 'S_E', 'S_I', 'reading'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, ...[m, ...others].map((o) => {
              const oi = o.layerIndexByName.get(layer.name) ?? -1;
              const c = o.rows[oi + 1]?.cells[o.columns.indexOf(transformId)];
              const reading = readingOf(c);
              return h('tr', {}, h('th', { scope: 'row' }, o.title), scoreTd(c, 'equivariance'), scoreTd(c, 'invariance'), h('td', { 'data-reading': reading }, READING_LABEL[reading]));
            }))));
      }
    }
    this.element.replaceChildren(...parts);
    if (canvas) {
      this.chart = new Chart(canvas, {
        type: 'bar',
        data: {
          labels: rho.map((_x, i) => String(i + 1)),
          datasets: [{ label: 'ρ', data: rho, backgroundColor: withAlpha(theme.equivariance, 0.75), borderWidth: 0, barPercentage: 0.95, categoryPercentage: 1 }],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          scales: {
            y: { min: 0, max: 1, grid: { color: theme.grid }, ticks: { stepSize: 0.5 } },
            x: { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 }, title: { display: true, text: 'canonical direction i' } },
          },
          plugins: { legend: { display: false } },
        },
      });
    }
  }

  private destroyChart(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }
}

function scoreTd(c: ScoreCell | undefined, measure: 'equivariance' | 'invariance'): HTMLElement {
  const clear = clearlyAboveNull(c, measure);
  return h('td', {
    class: c && !clear ? 'below-null' : '',
    title: c ? `excess over null ${fmtSigned(excessOverNull(c, measure))}` : '',
  }, fmt(scoreOf(c, measure)) + (c && !clear ? ' ≈' : ''),
  c && !clear ? h('span', { class: 'sr-only' }, ' (not clearly above its null)') : null);
}
