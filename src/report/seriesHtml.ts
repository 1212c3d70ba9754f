/**
 * The standalone HTML view of a checkpoint series: per transform, one row per layer with its
 * trajectory across checkpoints (a small inline SVG: S_E and S_I, their nulls, intervals as bands)
 * and the numbers in a table. Static HTML and SVG, no script, so the page needs no bundle and its CSP
 * forbids every script and network access. The first checkpoint is marked as the baseline (often the
 * untrained network). Reading rule: two checkpoints whose intervals overlap are not called different,
 * so the table marks a change only where the intervals of the first and last checkpoint are disjoint.
 */
import { writeFileAtomic } from '../io/atomicWrite';
import { intervalsOverlap } from '../shared/difference';
import type { ScoreCell, SeriesResult } from '../shared/results';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));

type Measure = 'equivariance' | 'invariance';

/** Whether the first and last scored checkpoints differ beyond both intervals (no intervals: not judged). */
export function changedBeyondIntervals(cells: readonly (ScoreCell | undefined)[], measure: Measure): 'up' | 'down' | 'overlap' | 'unknown' {
  const present = cells.filter((c): c is ScoreCell => c !== undefined);
  if (present.length < 2) return 'unknown';
  const [first, last] = [present[0].intervals?.[measure], present[present.length - 1].intervals?.[measure]];
  const overlap = intervalsOverlap(first, last);
  if (overlap === undefined) return 'unknown';
  if (overlap) return 'overlap';
  return last!.low > first!.high ? 'up' : 'down';
}

function sparkline(cells: readonly (ScoreCell | undefined)[]): string {
  const width = 220;
  const height = 56;
  const n = cells.length;
  const x = (i: number) => (n === 1 ? width / 2 : 6 + (i * (width - 12)) / (n - 1));
  const y = (v: number) => height - 4 - v * (height - 8);
  const path = (pick: (c: ScoreCell) => number) => {
    let d = '';
    let pen = 'M';
    cells.forEach((c, i) => {
      const v = c ? pick(c) : NaN;
      if (!Number.isFinite(v)) {
        pen = 'M';
        return;
      }
      d += `${pen}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = 'L';
    });
    return d;
  };
  const band = (measure: Measure) =>
    cells
      .map((c, i) => (c?.intervals ? `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${y(c.intervals[measure].low).toFixed(1)}" y2="${y(c.intervals[measure].high).toFixed(1)}" class="iv-${measure}"/>` : ''))
      .join('');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="trajectory across checkpoints">
<rect x="0" y="0" width="${width}" height="${height}" class="frame"/>
<path d="${path((c) => c.null.equivariance)}" class="null-e"/><path d="${path((c) => c.null.invariance)}" class="null-i"/>
${band('equivariance')}${band('invariance')}
<path d="${path((c) => c.equivariance)}" class="se"/><path d="${path((c) => c.invariance)}" class="si"/>
<line x1="${x(0).toFixed(1)}" x2="${x(0).toFixed(1)}" y1="0" y2="${height}" class="baseline"/></svg>`;
}

function cellText(c: ScoreCell | undefined, measure: Measure): string {
  if (!c) return '<td class="gap">gap</td>';
  const iv = c.intervals?.[measure];
  const nullValue = c.null[measure];
  return `<td>${fmt(c[measure])}<span class="null"> (null ${fmt(nullValue)})</span>${iv ? `<br><span class="iv">[${fmt(iv.low)}, ${fmt(iv.high)}]</span>` : ''}${c.underdetermined ? ' <span class="warn" title="underdetermined">!</span>' : ''}</td>`;
}

/** The series as an HTML fragment (tables + sparklines), for a page of its own or another report. */
export function seriesSection(series: SeriesResult): string {
  const checkpoints = series.checkpoints;
  const layerNames: string[] = [];
  for (const c of checkpoints) for (const l of c.layers) if (l.status === 'scored' && !layerNames.includes(l.name)) layerNames.push(l.name);
  const head = checkpoints
    .map((c, i) => `<th title="${escapeHtml(c.model.path)} sha256 ${escapeHtml(c.model.sha256)}">${escapeHtml(c.label)}${c.step !== null ? `<br><small>step ${c.step}</small>` : ''}${i === 0 ? '<br><small>baseline</small>' : ''}${c.failed ? '<br><small class="warn">failed</small>' : ''}</th>`)
    .join('');
  const ivNote = series.settings.intervals
    ? `Intervals: ${Math.round(series.settings.intervals.level * 100)} % delete-d jackknife over probe images, ${series.settings.intervals.resamples} resamples (docs/method.md, "Intervals"). A change is marked only where the first and last checkpoints' intervals do not overlap.`
    : 'No intervals were computed (run with --intervals N): changes between checkpoints are not judged.';
  const parts = [`<p>${checkpoints.length} checkpoints, ordered by ${series.order}; the first is the baseline (often the untrained network). ${escapeHtml(ivNote)}</p>`];
  for (const t of series.transforms) {
    parts.push(`<h2>${escapeHtml(t.label)} <small>(${escapeHtml(t.id)}${t.exact ? ', exact' : ', interpolated'})</small></h2>`);
    parts.push(`<table><thead><tr><th>layer</th><th>trajectory</th><th>measure</th>${head}<th>first → last</th></tr></thead><tbody>`);
    const floor = series.inputFloor[t.id];
    if (floor) parts.push(`<tr><td>(input floor)</td><td></td><td>S_E / S_I</td><td colspan="${checkpoints.length + 1}">${fmt(floor.equivariance)} / ${fmt(floor.invariance)} (the same for every checkpoint)</td></tr>`);
    for (const name of layerNames) {
      const cells = checkpoints.map((c) => c.layers.find((l) => l.name === name)?.scores[t.id]);
      const op = checkpoints.flatMap((c) => c.layers).find((l) => l.name === name)?.op ?? '';
      for (const measure of ['equivariance', 'invariance'] as const) {
        const change = changedBeyondIntervals(cells, measure);
        const verdict = change === 'up' ? 'higher' : change === 'down' ? 'lower' : change === 'overlap' ? 'not different' : '—';
        parts.push(
          `<tr>${measure === 'equivariance' ? `<td rowspan="2"><code>${escapeHtml(name)}</code><br><small>${escapeHtml(op)}</small></td><td rowspan="2">${sparkline(cells)}</td>` : ''}<td>${measure === 'equivariance' ? 'S_E' : 'S_I'}</td>${cells.map((c) => cellText(c, measure)).join('')}<td>${verdict}</td></tr>`,
        );
      }
    }
    parts.push('</tbody></table>');
  }
  const notes = [...series.warnings, ...checkpoints.flatMap((c) => (c.message ? [`${c.label}: ${c.message}`] : []))];
  if (series.incomplete) notes.unshift(`incomplete (${series.incomplete.reason}): ${series.incomplete.checkpointsDone} of ${series.incomplete.checkpointsPlanned} checkpoints${series.incomplete.message ? ` — ${series.incomplete.message}` : ''}`);
  if (notes.length) parts.push(`<h2>Notes</h2><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  return parts.join('\n');
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin-bottom:2em}
td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
.null,.iv{color:#666;font-size:90%}.gap{color:#999;font-style:italic}.warn{color:#b35900}
svg .frame{fill:#fafafa;stroke:#ddd}svg .se{fill:none;stroke:#1f5fbf;stroke-width:2}svg .si{fill:none;stroke:#c2410c;stroke-width:2}
svg .null-e{fill:none;stroke:#1f5fbf;stroke-dasharray:3 3;opacity:.5}svg .null-i{fill:none;stroke:#c2410c;stroke-dasharray:3 3;opacity:.5}
svg .iv-equivariance{stroke:#1f5fbf;stroke-width:6;opacity:.25}svg .iv-invariance{stroke:#c2410c;stroke-width:6;opacity:.25}
svg .baseline{stroke:#999;stroke-dasharray:2 2}`;

/** One page for one or several series (e.g. a run with and one without augmentation), each under its heading. */
export function seriesReportHtml(series: SeriesResult | readonly { readonly heading: string; readonly series: SeriesResult }[], title = 'SEIS across checkpoints'): string {
  const parts = 'kind' in series ? [{ heading: '', series }] : series;
  const body = parts.map((p) => `${p.heading ? `<h1>${escapeHtml(p.heading)}</h1>\n` : ''}${seriesSection(p.series)}`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>Lines: S_E (blue) and S_I (orange) per checkpoint, dashed: their nulls, bars: intervals; the dotted line marks the baseline checkpoint.</p>
${body}
</body></html>
`;
}

export function writeSeriesReport(path: string, series: Parameters<typeof seriesReportHtml>[0], title?: string): void {
  writeFileAtomic(path, seriesReportHtml(series, title));
}
