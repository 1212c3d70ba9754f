/**
 * The S_E and S_I heatmaps of one model: rows = input floor + layers in graph order, columns =
 * transforms. Both heatmaps share one scroll container, so their rows stay aligned.
 *
 * Responsiveness with hundreds of layers: the charts hold only the rows in view (≤ MAX_VISIBLE_ROWS);
 * a spacer gives the scroll container its full height and scrolling swaps the window of rows.
 * Keyboard: the container is focusable; arrows move a focus cell across both heatmaps, Enter selects
 * the layer, and a live region reads the cell out, since a canvas has no accessible content.
 */
import { Chart } from 'chart.js';
import type { TransformInfo } from '../../../src/shared/results';
import { clearlyAboveNull } from '../../../src/shared/reading';
import { describeCell, scoreOf, type Measure, type ModelView } from '../viewModel';
import { heatmapConfig } from './heatmapConfig';
import {
  AXIS_HEIGHT, LABEL_WIDTH, MEASURE_TITLE, ROW_HEIGHT, columnWidth, type CellPoint, type HeatmapView,
} from './heatmapView';
import { heatKey, type HeatFocus } from './heatmapKeys';
import type { ThemeColors } from './setup';

export const MAX_VISIBLE_ROWS = 36;
const EXPORT_MAX_ROWS = 1500;

export interface HeatmapEvents {
  select(rowIndex: number): void;
}

export class HeatmapPair implements HeatmapView {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly live: HTMLElement;
  private readonly charts = new Map<Measure, Chart<'matrix', CellPoint[]>>();
  private readonly canvases = new Map<Measure, HTMLCanvasElement>();
  readonly visibleRows: number;
  /** First row in view (HeatmapView; changed only by scrolling). */
  start = 0;
  selectedRow = -1;
  focus: HeatFocus = { row: 0, col: 0, measure: 'equivariance' };
  focusVisible = false;
  theme: ThemeColors;

  constructor(
    readonly model: ModelView,
    readonly transforms: readonly TransformInfo[],
    theme: ThemeColors,
    private readonly events: HeatmapEvents,
    tableId: string,
    /** False when a model to the left already shows the same layer names: saves width in comparisons. */
    readonly showLabels = true,
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
      const chart = new Chart(canvas, heatmapConfig(this, measure));
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
      chart.options = heatmapConfig(this, measure).options ?? {};
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

  /** The cells of the rows in view (HeatmapView). */
  windowPoints(measure: Measure): CellPoint[] {
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

  /** A click on a cell focuses it and selects its layer (HeatmapView). */
  clickCell(measure: Measure, point: CellPoint): void {
    this.focus = { row: point.y, col: point.x, measure };
    this.events.select(point.y);
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

  private onKey(e: KeyboardEvent): void {
    const action = heatKey(e.key, this.focus, this.model.rows.length, this.transforms.length, this.visibleRows);
    if (action.kind === 'none') return;
    e.preventDefault();
    if (action.kind === 'select') {
      this.events.select(this.focus.row);
      return;
    }
    this.focus = action.focus;
    this.reveal(this.focus.row);
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
