/** A tiny element builder: text goes through textContent, never innerHTML (layer names are untrusted). */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | number | boolean | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') { if (v !== '') el.className = String(v); } else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** A hidden webview gets no animation frames; slices then go on from a plain timer. */
const HIDDEN_SLICE_MS = 50;

/**
 * Runs work in slices between frames so long lists never block input for more than ~a frame. Each
 * slice after the first waits for the next frame (a zero-delay timer chain alone could finish the
 * whole list before the browser paints once), or for a short timer when no frame comes.
 */
export function inChunks(total: number, chunk: number, work: (start: number, end: number) => void, done?: () => void): () => void {
  let cancelled = false;
  let start = 0;
  const afterNextFrame = (fn: () => void): void => {
    let ran = false;
    const once = (): void => { if (!ran) { ran = true; fn(); } };
    requestAnimationFrame(() => setTimeout(once, 0));
    setTimeout(once, HIDDEN_SLICE_MS);
  };
  const step = (): void => {
    if (cancelled) return;
    const end = Math.min(total, start + chunk);
    work(start, end);
    start = end;
    if (start < total) afterNextFrame(step);
    else done?.();
  };
  step();
  return () => { cancelled = true; };
}
