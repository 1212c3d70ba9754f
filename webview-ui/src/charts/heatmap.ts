/**
 * The S_E and S_I heatmaps of one model: rows = input floor + layers in graph order, columns =
 * transforms. Both heatmaps share one scroll container, so their rows stay aligned.
 *
 * Responsiveness with hundreds of layers: the charts hold only the rows in view (≤ MAX_VISIBLE_ROWS);
 * a spacer gives the scroll container its full height and scrolling swaps the window of rows.
 * Keyboard: the container is focusable; arrows move a focus cell across both heatmaps, Enter selects
 * the layer, and a live region reads the cell out, since a canvas has no accessible content.
 */
import { Chart, type ChartConfiguration, type Plugin, type TooltipItem } from 'chart.js';
import type { TransformInfo } from '../../../src/shared/results';
import { clearlyAboveNull } from '../../../src/shared/reading';
import { colorFor, describeCell, fmt, scoreOf, shortLabel, type HeatRow, type Measure, type ModelView } from '../viewModel';
import { htmlTooltip, type ThemeColors } from './setup';

export const ROW_HEIGHT = 18;
export const MAX_VISIBLE_ROWS = 36;
const EXPORT_MAX_ROWS = 1500;
const LABEL_WIDTH = 160;

/** Narrower columns when there are many transforms, so two models still fit side by side. */
function columnWidth(transforms: number): number {
  return transforms > 4 ? 40 : 46;
}
const AXIS_HEIGHT = 34;

interface CellPoint {
  x: number;
  y: number;
  v: number | undefined;
  hatched: boolean;
}

export interface HeatmapEvents {
  select(rowIndex: number): void;
}

const MEASURE_TITLE: Record<Measure, string> = {
  equivariance: 'S_E · equivariance',
  invariance: 'S_I · invariance',
};

export class HeatmapPair {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly live: HTMLElement;
  private readonly charts = new Map<Measure, Chart<'matrix', CellPoint[]>>();
  private readonly canvases = new Map<Measure, HTMLCanvasElement>();
  private readonly visibleRows: number;
  private start = 0;
  private selectedRow = -1;
  private focus: { row: number; col: number; measure: Measure } = { row: 0, col: 0, measure: 'equivariance' };
  private focusVisible = false;
  private theme: ThemeColors;

  constructor(
    private readonly model: ModelView,
    private readonly transforms: readonly TransformInfo[],
    theme: ThemeColors,
    private readonly events: HeatmapEvents,
    tableId: string,
    /** False when a model to the left already shows the same layer names: saves width in comparisons. */
    private readonly showLabels = true,
    maxVisibleRows = MAX_VISIBLE_ROWS,
  ) {
    this.theme = theme;
    this.visibleRows = Math.max(1, Math.min(model.rows.length, maxVisibleRows));
    const viewportHeight = this.visibleRows * ROW_HEIGHT + AXIS_HEIGHT;

    this.element = document.createElement('div');
    this.element.className = 'heat-pair';

    const titles = document.createElement('div');
    titles.className = 'heat-titles';
    this.scroller = document.createElement('div');
    this.scroller.className = 'heat-scroll';
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute('role', 'group');
    this.scroller.setAttribute('aria-roledescription', 'heatmap');
    this.scroller.setAttribute('aria-label',
      `Heatmaps of ${model.title}: ${model.rows.length - 1} layers by ${transforms.length} transforms. ` +
      'Arrow keys move between cells, Enter shows the layer details. The same scores are in the table below.');
    this.scroller.setAttribute('aria-describedby', tableId);
    this.scroller.style.height = `${viewportHeight}px`;

    const sticky = document.createElement('div');
    sticky.className = 'heat-sticky';
    sticky.style.height = `${viewportHeight}px`;
    const spacer = document.createElement('div');
    spacer.className = 'heat-spacer';
    spacer.style.height = `${(model.rows.length - this.visibleRows) * ROW_HEIGHT}px`;

    for (const measure of ['equivariance', 'invariance'] as const) {
      const title = document.createElement('div');
      title.className = `heat-title heat-title-${measure}`;
      title.textContent = MEASURE_TITLE[measure];
      title.style.width = `${this.canvasWidth(measure)}px`;
      titles.append(title);
      const canvas = document.createElement('canvas');
      canvas.className = `heatmap heatmap-${measure}`;
      canvas.dataset.measure = measure;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${MEASURE_TITLE[measure]} heatmap of ${model.title}; see the score table for the values.`);
      canvas.width = this.canvasWidth(measure);
      canvas.height = viewportHeight;
      sticky.append(canvas);
      this.canvases.set(measure, canvas);
    }
    this.scroller.append(sticky, spacer);

    this.live = document.createElement('div');
    this.live.className = 'sr-only';
    this.live.setAttribute('aria-live', 'polite');
    this.element.append(titles, this.scroller, this.live);

    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('focus', () => { this.focusVisible = true; this.announce(); this.redraw(); });
    this.scroller.addEventListener('blur', () => { this.focusVisible = false; this.redraw(); });
  }

  /** Creates the charts; call once the element is in the document (chart.js measures fonts). */
  mount(): void {
    for (const measure of ['equivariance', 'invariance'] as const) {
      const canvas = this.canvases.get(measure);
      if (!canvas) continue;
      const chart = new Chart(canvas, this.config(measure));
      this.charts.set(measure, chart);
      // chart.js reports clicks only inside the plot area; a click on a row label selects the row too.
      canvas.addEventListener('click', (ev) => {
        if (ev.offsetX >= chart.chartArea.left || ev.offsetY < chart.chartArea.top || ev.offsetY > chart.chartArea.bottom) return;
        const row = Math.round(chart.scales.y.getValueForPixel(ev.offsetY) ?? -1);
        if (row >= this.start && row < Math.min(this.model.rows.length, this.start + this.visibleRows)) this.events.select(row);
      });
    }
  }

  destroy(): void {
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    for (const [measure, chart] of this.charts) {
      chart.options = this.config(measure).options ?? {};
      chart.update('none');
    }
  }

  /** Highlights a row (−1 clears) and optionally scrolls it into view. */
  select(rowIndex: number, reveal: boolean): void {
    this.selectedRow = rowIndex;
    if (rowIndex >= 0) this.focus = { ...this.focus, row: rowIndex };
    if (reveal && rowIndex >= 0) this.reveal(rowIndex);
    this.redraw();
  }

  canvasList(): HTMLCanvasElement[] {
    return [...this.canvases.values()];
  }

  /**
   * Draws every row (not just the window in view) into a throw-away pair and hands its canvases to
   * `use`, for PNG export. Rows beyond EXPORT_MAX_ROWS are cut to stay within canvas size limits.
   */
  static withFullCanvases<T>(model: ModelView, transforms: readonly TransformInfo[], theme: ThemeColors, showLabels: boolean,
    use: (canvases: HTMLCanvasElement[]) => T): T {
    const holder = document.createElement('div');
    holder.style.cssText = 'position:absolute;left:-100000px;top:0;';
    document.body.append(holder);
    const pair = new HeatmapPair(model, transforms, theme, { select: () => undefined }, '', showLabels, EXPORT_MAX_ROWS);
    holder.append(pair.element);
    try {
      pair.mount();
      return use(pair.canvasList());
    } finally {
      pair.destroy();
      holder.remove();
    }
  }

  private canvasWidth(measure: Measure): number {
    return (measure === 'equivariance' && this.showLabels ? LABEL_WIDTH : 10) + this.transforms.length * columnWidth(this.transforms.length) + 6;
  }

  private reveal(row: number): void {
    if (row < this.start || row >= this.start + this.visibleRows) {
      const target = Math.max(0, row - Math.floor(this.visibleRows / 2));
      this.scroller.scrollTop = target * ROW_HEIGHT;
      this.onScroll();
    }
  }

  private onScroll(): void {
    const maxStart = this.model.rows.length - this.visibleRows;
    const start = Math.max(0, Math.min(maxStart, Math.round(this.scroller.scrollTop / ROW_HEIGHT)));
    if (start === this.start) return;
    this.start = start;
    this.redraw(true);
  }

  private windowPoints(measure: Measure): CellPoint[] {
    const points: CellPoint[] = [];
    const end = Math.min(this.model.rows.length, this.start + this.visibleRows);
    for (let y = this.start; y < end; y++) {
      const row = this.model.rows[y];
      row.cells.forEach((cell, x) => {
        points.push({ x, y, v: scoreOf(cell, measure), hatched: cell !== undefined && !clearlyAboveNull(cell, measure) });
      });
    }
    return points;
  }

  private redraw(dataChanged = false): void {
    for (const [measure, chart] of this.charts) {
      if (dataChanged) {
        chart.data.datasets[0].data = this.windowPoints(measure);
        const y = chart.options.scales?.y;
        if (y) {
          y.min = this.start - 0.5;
          y.max = this.start + this.visibleRows - 0.5;
        }
      }
      chart.update('none');
    }
  }

  private config(measure: Measure): ChartConfiguration<'matrix', CellPoint[]> {
    const theme = this.theme;
    const rows = this.model.rows;
    const transforms = this.transforms;
    const withLabels = measure === 'equivariance' && this.showLabels;
    const cols = transforms.length;
    const visible = this.visibleRows;
    return {
      type: 'matrix',
      data: {
        datasets: [{
          label: MEASURE_TITLE[measure],
          data: this.windowPoints(measure),
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
          const p = el ? this.charts.get(measure)?.data.datasets[0].data[el.index] : undefined;
          if (p) {
            this.focus = { row: p.y, col: p.x, measure };
            this.events.select(p.y);
          }
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
            min: this.start - 0.5,
            max: this.start + visible - 0.5,
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
              color: (ctx) => (ctx.tick?.value === this.selectedRow ? theme.accent : ctx.tick?.value === 0 ? theme.muted : theme.fg),
              font: (ctx) => ({ weight: ctx.tick?.value === this.selectedRow ? 'bold' : 'normal', size: 11 }),
              callback: (v) => {
                const row = rows[Number(v)];
                return row ? fitLabel(row.label, LABEL_WIDTH - 12, `${Number(v) === this.selectedRow ? 'bold ' : ''}11px ${theme.font}`) : '';
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
      plugins: [this.overlayPlugin(measure)],
    };
  }

  /** Hatching for cells not clearly above their null, the input-floor separator, selection and focus rings. */
  private overlayPlugin(measure: Measure): Plugin<'matrix'> {
    return {
      id: `seis-overlay-${measure}`,
      afterDatasetsDraw: (chart) => {
        const { ctx, chartArea } = chart;
        // Geometry for tests and tools that need to hit a cell (a canvas has no DOM per cell).
        chart.canvas.dataset.area = [chartArea.left, chartArea.top, chartArea.width, chartArea.height].map((v) => v.toFixed(1)).join(',');
        chart.canvas.dataset.window = `${this.start},${this.visibleRows},${this.transforms.length}`;
        const meta = chart.getDatasetMeta(0);
        const data = chart.data.datasets[0].data as CellPoint[];
        ctx.save();
        ctx.beginPath();
        ctx.rect(chartArea.left, chartArea.top, chartArea.width, chartArea.height);
        ctx.clip();
        ctx.strokeStyle = this.theme.fg;
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
        if (this.start === 0) {
          // The input floor is a reference, not a layer: separate it visibly.
          ctx.strokeStyle = this.theme.muted;
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(chartArea.left, rowTop(1));
          ctx.lineTo(chartArea.right, rowTop(1));
          ctx.stroke();
        }
        if (this.selectedRow >= this.start && this.selectedRow < this.start + this.visibleRows) {
          ctx.strokeStyle = this.theme.accent;
          ctx.lineWidth = 2;
          ctx.strokeRect(chartArea.left + 1, rowTop(this.selectedRow) + 1, chartArea.width - 2, ROW_HEIGHT - 2);
        }
        if (this.focusVisible && this.focus.measure === measure) {
          const xScale = chart.scales.x;
          const left = xScale.getPixelForValue(this.focus.col - 0.5);
          const right = xScale.getPixelForValue(this.focus.col + 0.5);
          ctx.strokeStyle = this.theme.fg;
          ctx.lineWidth = 2;
          ctx.setLineDash([3, 2]);
          ctx.strokeRect(left + 1, rowTop(this.focus.row) + 1, right - left - 2, ROW_HEIGHT - 2);
        }
        ctx.restore();
      },
    };
  }

  private onKey(e: KeyboardEvent): void {
    const rows = this.model.rows.length;
    const cols = this.transforms.length;
    let { row, col, measure } = this.focus;
    switch (e.key) {
      case 'ArrowUp': row = Math.max(0, row - 1); break;
      case 'ArrowDown': row = Math.min(rows - 1, row + 1); break;
      case 'PageUp': row = Math.max(0, row - this.visibleRows); break;
      case 'PageDown': row = Math.min(rows - 1, row + this.visibleRows); break;
      case 'Home': row = 0; break;
      case 'End': row = rows - 1; break;
      case 'ArrowLeft':
        if (col > 0) col--;
        else if (measure === 'invariance') { measure = 'equivariance'; col = cols - 1; }
        break;
      case 'ArrowRight':
        if (col < cols - 1) col++;
        else if (measure === 'equivariance') { measure = 'invariance'; col = 0; }
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.events.select(row);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.focus = { row, col, measure };
    this.reveal(row);
    this.announce();
    this.redraw();
  }

  private announce(): void {
    const row = this.model.rows[this.focus.row];
    const t = this.transforms[this.focus.col];
    if (!row || !t) return;
    this.live.textContent = `${row.label}, ${t.label}: ${describeCell(row.cells[this.focus.col], this.focus.measure)}`;
  }
}

let measureCtx: CanvasRenderingContext2D | null | undefined;
const fitCache = new Map<string, string>();

/** Shortens a label from the left (keeping the informative end) until it fits `maxPx` in `font`. */
function fitLabel(label: string, maxPx: number, font: string): string {
  const key = `${font}|${maxPx}|${label}`;
  const hit = fitCache.get(key);
  if (hit !== undefined) return hit;
  measureCtx ??= document.createElement('canvas').getContext('2d');
  let out = label;
  if (measureCtx) {
    measureCtx.font = font;
    for (let keep = label.length; keep > 4 && measureCtx.measureText(out).width > maxPx; keep--) out = shortLabel(label, keep);
  } else out = shortLabel(label, 24);
  if (fitCache.size > 5000) fitCache.clear();
  fitCache.set(key, out);
  return out;
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
