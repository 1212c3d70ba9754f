/**
 * What chart.js does not draw on a heatmap: hatching over cells not clearly above their null, the line
 * under the input floor, the selected row and the keyboard focus cell. Also publishes the plot
 * geometry on the canvas (data-area, data-window) for tests and tools that must hit a cell.
 */
import type { Plugin } from 'chart.js';
import type { Measure } from '../viewModel';
import { ROW_HEIGHT, type CellPoint, type HeatmapView } from './heatmapView';

export function heatmapOverlay(view: HeatmapView, measure: Measure): Plugin<'matrix'> {
  return {
    id: `seis-overlay-${measure}`,
    afterDatasetsDraw: (chart) => {
      const { ctx, chartArea } = chart;
      // Geometry for tests and tools that need to hit a cell (a canvas has no DOM per cell).
      chart.canvas.dataset.area = [chartArea.left, chartArea.top, chartArea.width, chartArea.height].map((v) => v.toFixed(1)).join(',');
      chart.canvas.dataset.window = `${view.start},${view.visibleRows},${view.transforms.length}`;
      const meta = chart.getDatasetMeta(0);
      const data = chart.data.datasets[0].data as CellPoint[];
      ctx.save();
      ctx.beginPath();
      ctx.rect(chartArea.left, chartArea.top, chartArea.width, chartArea.height);
      ctx.clip();
      ctx.strokeStyle = view.theme.fg;
      ctx.globalAlpha = 0.55;
      ctx.lineWidth = 1;
      meta.data.forEach((el, i) => {
        const p = data[i];
        if (!p?.hatched) return;
        const { x, y, width, height } = el.getProps(['x', 'y', 'width', 'height'], true) as unknown as { x: number; y: number; width: number; height: number };
        ctx.save();
        ctx.beginPath();
        ctx.rect(x, y, width, height);
        ctx.clip();
        ctx.beginPath();
        for (let d = -height; d < width; d += 5) {
          ctx.moveTo(x + d, y + height);
          ctx.lineTo(x + d + height, y);
        }
        ctx.stroke();
        ctx.restore();
      });
      ctx.globalAlpha = 1;
      const yScale = chart.scales.y;
      const rowTop = (r: number): number => yScale.getPixelForValue(r - 0.5);
      if (view.start === 0) {
        // The input floor is a reference, not a layer: separate it visibly.
        ctx.strokeStyle = view.theme.muted;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(chartArea.left, rowTop(1));
        ctx.lineTo(chartArea.right, rowTop(1));
        ctx.stroke();
      }
      if (view.selectedRow >= view.start && view.selectedRow < view.start + view.visibleRows) {
        ctx.strokeStyle = view.theme.accent;
        ctx.lineWidth = 2;
        ctx.strokeRect(chartArea.left + 1, rowTop(view.selectedRow) + 1, chartArea.width - 2, ROW_HEIGHT - 2);
      }
      if (view.focusVisible && view.focus.measure === measure) {
        const xScale = chart.scales.x;
        const left = xScale.getPixelForValue(view.focus.col - 0.5);
        const right = xScale.getPixelForValue(view.focus.col + 0.5);
        ctx.strokeStyle = view.theme.fg;
        ctx.lineWidth = 2;
        ctx.setLineDash([3, 2]);
        ctx.strokeRect(left + 1, rowTop(view.focus.row) + 1, right - left - 2, ROW_HEIGHT - 2);
      }
      ctx.restore();
    },
  };
}

