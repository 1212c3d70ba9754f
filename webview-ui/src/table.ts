/**
 * The text alternative of a model's charts: one row per layer (the input floor first) with op,
 * shape and S_E / S_I per transform, "≈null" on scores not clearly above their null. Rows are
 * focusable (roving tabindex: Up/Down/Home/End move, Enter selects) and rendered in slices so a
 * model with hundreds of layers never freezes the page.
 */
import type { TransformInfo } from '../../src/shared/results';
import { h, inChunks } from './dom';
import { NULL_MARGIN, READING_LABEL, clearlyAboveNull, readingOf } from '../../src/shared/reading';
import { describeCell, fmt, fmtShape, scoreOf, type Measure, type ModelView } from './viewModel';

const FIRST_SLICE = 80;
const SLICE = 200;

export class ScoreTable {
  readonly element: HTMLElement;
  readonly tableId: string;
  private readonly tbody: HTMLTableSectionElement;
  private readonly rowsEl: HTMLTableRowElement[] = [];
  private selected = -1;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly model: ModelView,
    private readonly transforms: readonly TransformInfo[],
    private readonly onSelect: (rowIndex: number) => void,
  ) {
    this.tableId = tableIdOf(model.index);
    this.tbody = h('tbody');
    const head = h('tr', {},
      h('th', { scope: 'col' }, 'layer'),
      h('th', { scope: 'col' }, 'op'),
      h('th', { scope: 'col' }, 'shape'),
      ...transforms.flatMap((t) => [
        h('th', { scope: 'col', title: `${t.label}: equivariance` }, `${t.id} S_E`),
        h('th', { scope: 'col', title: `${t.label}: invariance` }, `${t.id} S_I`),
      ]),
    );
    const table = h('table', { class: 'score-table', id: this.tableId },
      h('caption', {}, `Scores of ${model.title} (text alternative of its charts). ≈null = within ${NULL_MARGIN} of the null.`),
      h('thead', {}, head), this.tbody);
    this.tbody.addEventListener('click', (e) => {
      const tr = (e.target as HTMLElement).closest('tr');
      if (tr?.dataset.row) this.activate(Number(tr.dataset.row), true);
    });
    this.tbody.addEventListener('keydown', (e) => this.onKey(e));
    this.element = h('details', { class: 'table-wrap', 'data-model-index': model.index },
      h('summary', {}, `Score table: ${model.title} (${model.rows.length - 1} layers)`),
      h('div', { class: 'table-scroll' }, table));
  }

  /** Starts rendering the rows (first slice now, the rest between frames). */
  render(): void {
    this.cancel?.();
    const rows = this.model.rows;
    const first = Math.min(rows.length, FIRST_SLICE);
    this.appendRows(0, first);
    if (first < rows.length) {
      this.cancel = inChunks(rows.length - first, SLICE, (s, e) => this.appendRows(first + s, first + e));
    }
  }

  destroy(): void {
    this.cancel?.();
  }

  select(rowIndex: number): void {
    this.rowsEl[this.selected]?.classList.remove('selected');
    this.rowsEl[this.selected]?.setAttribute('aria-selected', 'false');
    this.selected = rowIndex;
    const tr = this.rowsEl[rowIndex];
    if (tr) {
      tr.classList.add('selected');
      tr.setAttribute('aria-selected', 'true');
      this.setTabStop(rowIndex);
    }
  }

  private appendRows(start: number, end: number): void {
    const frag = document.createDocumentFragment();
    for (let r = start; r < end; r++) {
      const row = this.model.rows[r];
      const layer = row.layer;
      const tr = h('tr', {
        'data-row': r,
        'data-layer': layer?.name ?? '',
        tabindex: r === 0 ? 0 : -1,
        'aria-selected': 'false',
        class: r === 0 ? 'floor-row' : '',
      },
      h('th', { scope: 'row', title: row.label }, row.label),
      h('td', {}, layer?.op ?? 'input'),
      h('td', {}, layer ? fmtShape(layer.shape) : ''),
      ...(layer && layer.status !== 'scored'
        ? [h('td', { colspan: this.transforms.length * 2, class: 'muted' }, `not scored (${layer.status})${layer.message ? `: ${layer.message}` : ''}`)]
        : row.cells.flatMap((cell) => (['equivariance', 'invariance'] as Measure[]).map((m) => {
          const clear = clearlyAboveNull(cell, m);
          const reading = m === 'invariance' ? readingOf(cell) : undefined;
          return h('td', {
            class: cell && !clear ? 'below-null' : '',
            'data-reading': cell ? reading : undefined,
            title: cell ? describeCell(cell, m) + (reading ? `; reading: ${READING_LABEL[reading]}` : '') : 'not scored',
          }, cell ? fmt(scoreOf(cell, m)) + (clear ? '' : ' ≈null') : '—');
        }))),
      );
      if (r === this.selected) tr.classList.add('selected');
      this.rowsEl[r] = tr;
      frag.append(tr);
    }
    this.tbody.append(frag);
  }

  private setTabStop(rowIndex: number): void {
    for (const tr of this.tbody.querySelectorAll<HTMLTableRowElement>('tr[tabindex="0"]')) tr.tabIndex = -1;
    const tr = this.rowsEl[rowIndex];
    if (tr) tr.tabIndex = 0;
  }

  private activate(rowIndex: number, select: boolean): void {
    this.setTabStop(rowIndex);
    this.rowsEl[rowIndex]?.focus();
    if (select) this.onSelect(rowIndex);
  }

  private onKey(e: KeyboardEvent): void {
    const tr = (e.target as HTMLElement).closest('tr');
    if (!tr?.dataset.row) return;
    const r = Number(tr.dataset.row);
    const last = this.rowsEl.length - 1;
    const target = e.key === 'ArrowDown' ? Math.min(last, r + 1)
      : e.key === 'ArrowUp' ? Math.max(0, r - 1)
        : e.key === 'Home' ? 0 : e.key === 'End' ? last : undefined;
    if (target !== undefined) {
      e.preventDefault();
      this.activate(target, false);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.activate(r, true);
    }
  }
}

/** The id of a model's score table, which its heatmaps name as their description (aria-describedby). */
export function tableIdOf(modelIndex: number): string {
  return `seis-table-${modelIndex}`;
}
