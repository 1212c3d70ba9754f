/** Row labels that fit their column: canvas text is measured, not guessed. */
import { shortLabel } from '../viewModel';

let measureCtx: CanvasRenderingContext2D | null | undefined;
const fitCache = new Map<string, string>();

/** Shortens a label from the left (keeping the informative end) until it fits `maxPx` in `font`. */
export function fitLabel(label: string, maxPx: number, font: string): string {
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
