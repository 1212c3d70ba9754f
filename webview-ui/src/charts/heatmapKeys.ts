/**
 * Keyboard navigation over a heatmap pair: arrows move a focus cell across both heatmaps (right of the
 * last S_E column is the first S_I column), PageUp/PageDown move by a screen, Home/End to the ends.
 * Pure, so the rules are one function.
 */
import type { Measure } from '../viewModel';

/** The cell the keyboard is on: a row, a transform column, and which of the two heatmaps. */
export interface HeatFocus {
  readonly row: number;
  readonly col: number;
  readonly measure: Measure;
}

export type HeatKeyAction = { readonly kind: 'move'; readonly focus: HeatFocus } | { readonly kind: 'select' } | { readonly kind: 'none' };

export function heatKey(key: string, focus: HeatFocus, rows: number, cols: number, page: number): HeatKeyAction {
  let { row, col, measure } = focus;
  switch (key) {
    case 'ArrowUp': row = Math.max(0, row - 1); break;
    case 'ArrowDown': row = Math.min(rows - 1, row + 1); break;
    case 'PageUp': row = Math.max(0, row - page); break;
    case 'PageDown': row = Math.min(rows - 1, row + page); break;
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
      return { kind: 'select' };
    default:
      return { kind: 'none' };
  }
  return { kind: 'move', focus: { row, col, measure } };
}
