/**
 * The chart.js configuration of one heatmap (S_E or S_I of one model): the window of rows in view as
 * matrix cells, scales whose ticks are the transforms and the layer labels, and the tooltip text.
 * It reads the pair's state through HeatmapView and changes nothing itself.
 */
import type { ChartConfiguration, TooltipItem } from 'chart.js';
import { colorFor, describeCell, fmt, shortLabel, type HeatRow, type Measure } from '../viewModel';
import { fitLabel } from './fitLabel';
import { LABEL_WIDTH, MEASURE_TITLE, type CellPoint, type HeatmapView } from './heatmapView';
import { heatmapOverlay } from './heatmapOverlay';
import { htmlTooltip } from './setup';

export function heatmapConfig(view: HeatmapView, measure: Measure): ChartConfiguration<'matrix', CellPoint[]> {
const theme = view.theme;
const rows = view.model.rows;
const transforms = view.transforms;
const withLabels = measure === 'equivariance' && view.showLabels;
const cols = transforms.length;
const visible = view.visibleRows;
  return {
    type: 'matrix',
    data: {
      datasets: [{
        label: MEASURE_TITLE[measure],
        data: view.windowPoints(measure),
        backgroundColor: (ctx) => {
          const p = ctx.raw as CellPoint | undefined;
          return colorFor(p?.v, p?.hatched ? 0.45 : 1);
        },
        borderWidth: 0,
        width: ({ chart }) => Math.max(1, (chart.chartArea?.width ?? 0) / cols - 2),
        height: ({ chart }) => Math.max(1, (chart.chartArea?.height ?? 0) / visible - 2),
        clip: 0,
      }],
    },
    options: {
      responsive: false,
      maintainAspectRatio: false,
      layout: { padding: { right: 4, bottom: 2 } },
      onClick: (_e, elements) => {
        const el = elements[0];
        const p = el ? view.windowPoints(measure)[el.index] : undefined;
        if (p) view.clickCell(measure, p);
      },
      onHover: (e, elements) => {
        const target = e.native?.target as HTMLElement | undefined;
        if (target) target.style.cursor = elements.length ? 'pointer' : 'default';
      },
      scales: {
        x: {
          type: 'linear',
          position: 'top',
          min: -0.5,
          max: cols - 0.5,
          offset: false,
          grid: { display: false },
          border: { display: false },
          afterBuildTicks: (axis) => { axis.ticks = transforms.map((_t, i) => ({ value: i })); },
          ticks: {
            color: theme.fg,
            font: { size: cols > 4 ? 10 : 11 },
            maxRotation: 0,
            autoSkip: false,
            callback: (v) => {
              const t = transforms[Number(v)];
              return t ? shortLabel(t.id, cols > 4 ? 8 : 9) : '';
            },
          },
        },
        y: {
          type: 'linear',
          reverse: true,
          min: view.start - 0.5,
          max: view.start + visible - 0.5,
          offset: false,
          grid: { display: false },
          border: { display: false },
          afterBuildTicks: (axis) => {
            const ticks = [];
            for (let i = Math.ceil(axis.min); i <= Math.floor(axis.max); i++) ticks.push({ value: i });
            axis.ticks = ticks;
          },
          afterFit: (axis) => { axis.width = withLabels ? LABEL_WIDTH - 4 : 4; },
          ticks: {
            display: withLabels,
            autoSkip: false,
            color: (ctx) => (ctx.tick?.value === view.selectedRow ? theme.accent : ctx.tick?.value === 0 ? theme.muted : theme.fg),
            font: (ctx) => ({ weight: ctx.tick?.value === view.selectedRow ? 'bold' : 'normal', size: 11 }),
            callback: (v) => {
              const row = rows[Number(v)];
              return row ? fitLabel(row.label, LABEL_WIDTH - 12, `${Number(v) === view.selectedRow ? 'bold ' : ''}11px ${theme.font}`) : '';
            },
          },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          enabled: false,
          external: htmlTooltip,
          callbacks: {
            title: (items: TooltipItem<'matrix'>[]) => {
              const p = items[0]?.raw as CellPoint | undefined;
              const row = p ? rows[p.y] : undefined;
              const t = p ? transforms[p.x] : undefined;
              return row && t ? `${row.label}\n${t.label}${t.exact ? ' (exact)' : ' (interpolated)'}` : '';
            },
            label: (item: TooltipItem<'matrix'>) => tooltipLines(rows, item.raw as CellPoint, measure),
          },
        },
      },
    },
    plugins: [heatmapOverlay(view, measure)],
  };
}


function tooltipLines(rows: readonly HeatRow[], p: CellPoint, measure: Measure): string[] {
  const row = rows[p.y];
  const cell = row?.cells[p.x];
  if (!row) return [];
  if (!cell) {
    const why = row.layer?.message ?? (row.layer?.status === 'scored' ? 'transform not analysed' : row.layer?.status ?? 'no score');
    return [`not scored: ${why}`];
  }
  const other: Measure = measure === 'equivariance' ? 'invariance' : 'equivariance';
  const lines = [
    describeCell(cell, measure),
    describeCell(cell, other),
    `ranks k=${cell.rankClean} k'=${cell.rankTransformed} r=${cell.r}; n=${cell.observations}, d=${cell.variables}`,
  ];
  if (cell.underdetermined) lines.push('underdetermined: n small against k + k′, scores inflated');
  if (cell.warnings?.length) lines.push(...cell.warnings.map((w) => `⚠ ${w}`));
  if (p.v === undefined) lines.push(`score: ${fmt(undefined)}`);
  return lines;
}
