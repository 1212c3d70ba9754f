/**
 * The SEIS view: state (results, transform, selection), layout, and the protocol handlers. The
 * same code serves the VS Code panel and the standalone report; only the Bridge differs.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import type { AnalysisResult, SeriesResult, TransformInfo } from '../../src/shared/results';
import { replyTo } from '../../src/shared/channel';
import {
  WEBVIEW_PROTOCOL_VERSION,
  type ExportFormat, type ExportPngMessage, type HostToWebviewMessage, type LayerRef, type PngChart, type ProgressMessage,
  type RequestPngMessage, type ShowResultsMessage,
} from '../../src/shared/webviewProtocol';
import type { Bridge } from './bridge';
import { selectedRow, type ChartSelection, type ChartSpec, type ChartState, type SeisChart, type ViewContext, type ViewPlace } from './charts/chart';
import { VIEWS } from './charts/index';
import { applyChartDefaults, readTheme, registerCharts, type ThemeColors } from './charts/setup';
import { LayerDetails } from './details';
import { h } from './dom';
import { ScoreTable } from './table';
import { incompleteSummary } from '../../src/shared/incomplete';
import { NULL_MARGIN } from '../../src/shared/reading';
import { buildModelView, unionTransforms, type ModelView } from './viewModel';
import { PatternsView } from './views/patterns';
import { checkpointResult } from '../../src/shared/seriesParts';

interface Selection {
  readonly modelIndex: number;
  /** Index into ModelView.rows (0 = input floor). */
  readonly rowIndex: number;
}

interface ModelParts {
  readonly view: ModelView;
  readonly table: ScoreTable;
}

interface ShownView {
  readonly spec: ChartSpec;
  readonly view: SeisChart;
  /** spec.keep's value when built. */
  readonly kept: unknown;
}

export class App {
  private results: readonly AnalysisResult[] = [];
  /** The host's "what to look for" paragraph for these results (the example tour), shown above the heatmaps. */
  private guide: string | undefined;
  private transforms: readonly TransformInfo[] = [];
  private models: ModelParts[] = [];
  private transformId = '';
  private selection: Selection | undefined;
  private theme: ThemeColors;
  /** The views of VIEWS that apply to the shown results, in that order. */
  private views: ShownView[] = [];
  private readonly details = new LayerDetails();
  private readonly patterns = new PatternsView((layerName, transformId) => this.bridge.post({ type: 'requestPatterns', layer: { modelIndex: this.selection?.modelIndex ?? 0, layerName }, transformId }));
  /** A checkpoint series shown above the panel; `results` then hold its checkpoint `seriesIndex`. */
  private seriesDoc: SeriesResult | undefined;
  private seriesIndex = 0;
  private readonly header: HTMLElement;
  private readonly banners: HTMLElement;
  private readonly progressEl: HTMLElement;
  private readonly body: HTMLElement;
  private transformSelect: HTMLElement & { value: string } | undefined;
  /** Incremented on every rebuild, so deferred rendering of an older build does nothing. */
  private buildId = 0;

  /** What the views read and do; live, so a view kept across rebuilds sees the panel as it is now. */
  private readonly context: ViewContext = liveContext(
    () => ({ models: this.models.map((m) => m.view), transforms: this.transforms, theme: this.theme, series: this.seriesDoc, checkpoint: this.seriesIndex }),
    {
      select: (modelIndex, layerIndex, reveal = true) => this.select({ modelIndex, rowIndex: layerIndex + 1 }, reveal, true),
      selectLayer: (modelIndex, layerName) => this.selectRef({ modelIndex, layerName }, true, true),
      openCheckpoint: (index, layerName) => this.openCheckpoint(index, layerName),
    });

  constructor(private readonly root: HTMLElement, private readonly bridge: Bridge, private readonly title?: string) {
    registerCharts();
    this.theme = readTheme();
    applyChartDefaults(this.theme);
    this.header = h('header', { class: 'top' });
    this.banners = h('div', { class: 'banners' });
    this.progressEl = h('div', { class: 'progress', hidden: true, role: 'status' });
    this.body = h('main', { class: 'body' }, h('p', { class: 'muted waiting' }, 'Waiting for SEIS results…'));
    this.root.replaceChildren(this.header, this.progressEl, this.banners, this.body);
    this.watchTheme();
  }

  handle(message: HostToWebviewMessage): void {
    try {
      switch (message.type) {
        case 'showResults': this.showResults(message); break;
        case 'selectLayer': this.selectRef(message.layer, message.reveal ?? true, false); break;
        case 'setTransform': this.setTransform(message.transformId, false); break;
        case 'progress': this.showProgress(message); break;
        case 'requestPng': this.answerPng(message); break;
        case 'showError': this.banner('error', message.message); break;
      }
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      this.banner('error', `The SEIS view could not handle "${message.type}": ${text}`);
      this.bridge.post({ type: 'webviewError', message: `${message.type}: ${text}` });
    }
  }

  showResults(message: ShowResultsMessage): void {
    const results = message.results.filter((r) => r && Array.isArray(r.layers));
    if (!results.length) {
      this.teardown();
      this.body.replaceChildren(h('p', { class: 'muted' }, 'No SEIS results to show: run "Analyze SEIS" on an .onnx model.'));
      return;
    }
    const saved = this.bridge.getState();
    this.teardown();
    this.seriesDoc = message.series;
    this.seriesIndex = message.series ? Math.max(0, message.series.checkpoints.findIndex((c) => c.model?.path === results[0].model?.path)) : 0;
    this.results = results;
    this.guide = message.guide;
    this.transforms = unionTransforms(results);
    const wanted = message.transformId ?? saved?.transformId;
    this.transformId = this.transforms.some((t) => t.id === wanted) ? wanted as string : this.transforms[0]?.id ?? '';
    this.banners.replaceChildren();
    if (message.stale) this.banner('stale', `These results are stale: ${message.stale.reason}`, true);
    const seriesStop = message.series?.incomplete;
    if (seriesStop) {
      this.banner('incomplete', `Series incomplete (${seriesStop.reason}): ${seriesStop.checkpointsDone} of ${seriesStop.checkpointsPlanned} checkpoints analysed${seriesStop.message ? `; ${seriesStop.message}` : ''}.`);
    }
    for (const [i, r] of results.entries()) {
      if (r.incomplete) {
        const what = incompleteSummary(r.incomplete);
        this.banner('incomplete', results.length > 1 ? `${r.model?.fileName}: ${what}` : what, r.incomplete.reason !== 'running');
      }
      for (const w of r.warnings ?? []) this.banner('warning', results.length > 1 ? `${r.model?.fileName}: ${w}` : w);
      if (r.schemaVersion !== 1) this.banner('warning', `${r.model?.fileName ?? `result ${i + 1}`} has schema version ${r.schemaVersion}; this view reads version 1 and may show it incompletely.`);
    }
    this.build();
    const sel = message.selectedLayer ?? saved?.selectedLayer;
    if (sel) this.selectRef(sel, true, false);
    this.saveState();
  }

  /** Clears the panel; `keepViews` leaves the views to build(), which keeps those whose spec.keep is unchanged. */
  private teardown(keepViews = false): void {
    for (const m of this.models) m.table.destroy();
    this.models = [];
    if (!keepViews) {
      for (const v of this.views) v.view.dispose();
      this.views = [];
    }
    this.selection = undefined;
    this.details.clear();
    this.patterns.clear();
  }

  /** Builds the views that apply, keeping a previous one whose spec.keep value is unchanged. */
  private buildViews(): ShownView[] {
    const previous = this.views;
    const shown: ShownView[] = [];
    for (const spec of VIEWS) {
      if (!spec.applies(this.context)) continue;
      const kept = spec.keep?.(this.context);
      const old = previous.find((v) => v.spec === spec);
      if (old && spec.keep && old.kept === kept) shown.push(old);
      else shown.push({ spec, view: spec.create(this.context), kept });
    }
    for (const v of previous) if (!shown.includes(v)) v.view.dispose();
    return shown;
  }

  private placed(place: ViewPlace): HTMLElement[] {
    return this.views.filter((v) => v.spec.place === place).flatMap((v) => [...v.view.elements]);
  }

  private build(): void {
    this.buildId++;
    const views = this.results.map((r, i) => buildModelView(r, i, this.results, this.transforms));
    this.renderHeader(views);
    const modelsEl = h('div', { class: 'models' });
    const tablesEl = h('section', { class: 'tables', 'aria-label': 'Score tables' }, h('h2', {}, 'Score tables'));
    this.models = views.map((view) => {
      const table = new ScoreTable(view, this.transforms, (row) => this.select({ modelIndex: view.index, rowIndex: row }, true, true));
      tablesEl.append(table.element);
      return { view, table };
    });
    this.views = this.buildViews();
    const inModel = this.views.filter((v) => v.spec.place === 'model');
    for (const view of views) {
      modelsEl.append(h('section', { class: 'model-block', 'data-model-index': view.index, 'aria-label': `Model ${view.title}` },
        h('h2', { class: 'model-title', title: view.result.model?.path ?? '' }, view.title),
        h('p', { class: 'model-meta muted' }, modelMeta(view.result)),
        ...inModel.map((v) => v.view.elements[view.index] ?? null)));
    }
    modelsEl.append(...this.placed('models'));
    const guide = this.guide ? [h('section', { class: 'guide', 'aria-label': 'What to look for' }, h('h2', {}, 'What to look for'), h('p', {}, this.guide))] : [];
    this.body.replaceChildren(...guide, ...this.placed('top'), h('div', { class: 'layout' },
      legend(),
      modelsEl,
      h('aside', { class: 'details-col' }, this.details.element, this.patterns.element),
      ...this.placed('bottom'),
      tablesEl,
    ));
    for (const v of this.views) v.view.mounted?.();
    for (const m of this.models) m.table.render();
    // Draw each view in a later task of its own so the heatmaps (drawn when mounted) appear first
    // and no single task blocks input for long on big models.
    const build = this.buildId;
    const afterPaint = (fn: () => void): void => { requestAnimationFrame(() => setTimeout(fn, 0)); };
    const drawFrom = (i: number): void => {
      if (build !== this.buildId || i >= this.views.length) return;
      this.views[i]!.view.render(this.chartState());
      afterPaint(() => drawFrom(i + 1));
    };
    afterPaint(() => drawFrom(0));
  }

  /** Opens one checkpoint of the series in the panel below it, with the layer selected. */
  private openCheckpoint(index: number, layerName: string | undefined): void {
    const series = this.seriesDoc;
    if (!series?.checkpoints[index]) return;
    this.seriesIndex = index;
    this.teardown(true);
    this.results = [checkpointResult(series, index)];
    this.transforms = unionTransforms(this.results);
    this.build();
    if (layerName && this.models[0]?.view.layerIndexByName.has(layerName)) this.selectRef({ modelIndex: 0, layerName }, true, true);
    this.saveState();
  }

  private renderHeader(views: readonly ModelView[]): void {
    const title = this.title ?? (views.length === 1 ? `SEIS · ${views[0].title}` : `SEIS · ${views.length} models`);
    const select = h('vscode-single-select', { class: 'transform-select', label: 'Transform' }) as unknown as HTMLElement & { value: string; label: string };
    // The component puts `label` on its inner combobox; an aria-label on the host would not reach it.
    select.label = 'Transform';
    for (const t of this.transforms) {
      const opt = h('vscode-option', { value: t.id, description: t.exact ? 'exact on the pixel grid' : 'interpolated' }, t.label === t.id ? t.id : `${t.id} — ${t.label}`);
      if (t.id === this.transformId) opt.setAttribute('selected', '');
      select.append(opt);
    }
    select.addEventListener('change', () => this.setTransform(select.value, true));
    this.transformSelect = select;
    const exports: HTMLElement[] = this.bridge.kind === 'vscode'
      ? (['png', 'html', 'json', 'csv', 'node-data'] as ExportFormat[]).map((f) => {
        const label = f === 'node-data' ? 'Model Explorer' : f.toUpperCase();
        const b = h('vscode-button', { secondary: true, 'data-export': f, title: f === 'node-data' ? 'Export node data for Model Explorer (JSON)' : `Export ${label}` }, label);
        b.addEventListener('click', () => this.bridge.post({ type: 'requestExport', format: f }));
        return b;
      })
      : [this.downloadButton('PNG', 'png'), this.downloadButton('JSON', 'json')];
    this.header.replaceChildren(
      h('h1', {}, title),
      h('div', { class: 'toolbar' },
        h('label', { class: 'toolbar-label' }, 'Transform'), select,
        h('span', { class: 'spacer' }),
        h('span', { class: 'muted small' }, this.bridge.kind === 'vscode' ? 'Export' : 'Download'), ...exports),
    );
  }

  private downloadButton(label: string, kind: 'png' | 'json'): HTMLElement {
    const b = h('vscode-button', { secondary: true, 'data-download': kind }, label);
    b.addEventListener('click', () => {
      const a = document.createElement('a');
      if (kind === 'png') {
        a.href = this.png('overview');
        a.download = 'seis-heatmaps.png';
      } else {
        a.href = URL.createObjectURL(new Blob([JSON.stringify(this.results, null, 2)], { type: 'application/json' }));
        a.download = 'seis-results.json';
      }
      a.click();
    });
    return b;
  }

  private renderViews(): void {
    const state = this.chartState();
    for (const v of this.views) v.view.render(state);
  }

  private chartState(): ChartState {
    return { transformId: this.transformId, theme: this.theme, selection: this.chartSelection() };
  }

  private chartSelection(): ChartSelection | undefined {
    const sel = this.selection;
    if (!sel) return undefined;
    return { modelIndex: sel.modelIndex, layerIndex: sel.rowIndex - 1, layerName: this.models[sel.modelIndex]?.view.rows[sel.rowIndex]?.layer?.name };
  }

  setTransform(id: string, fromUser: boolean): void {
    if (!this.transforms.some((t) => t.id === id)) {
      if (!fromUser) this.banner('warning', `Transform "${id}" is not in these results; showing ${this.transformId}.`);
      return;
    }
    if (id === this.transformId) return;
    this.transformId = id;
    if (this.transformSelect && this.transformSelect.value !== id) this.transformSelect.value = id;
    this.renderViews();
    this.refreshDetails();
    this.saveState();
    if (fromUser) this.bridge.post({ type: 'transformChanged', transformId: id });
  }

  private selectRef(ref: LayerRef, reveal: boolean, notify: boolean): void {
    const m = this.models[ref.modelIndex];
    const li = m?.view.layerIndexByName.get(ref.layerName);
    if (!m || li === undefined) {
      this.banner('warning', `Layer "${ref.layerName}" is not in the shown results.`);
      return;
    }
    this.select({ modelIndex: ref.modelIndex, rowIndex: li + 1 }, reveal, notify);
  }

  private select(sel: Selection, reveal: boolean, notify: boolean): void {
    const m = this.models[sel.modelIndex];
    const row = m?.view.rows[sel.rowIndex];
    if (!m || !row) return;
    this.selection = sel;
    const selection = { ...this.chartSelection()!, reveal };
    const models = this.models.map((other) => other.view);
    for (const other of this.models) other.table.select(selectedRow(models, selection, other.view.index));
    for (const v of this.views) v.view.select(selection);
    this.refreshDetails();
    this.saveState();
    if (notify && row.layer) this.bridge.post({ type: 'selectLayer', layer: { modelIndex: sel.modelIndex, layerName: row.layer.name } });
  }

  private refreshDetails(): void {
    if (!this.selection) return;
    this.details.show(this.models.map((m) => m.view), this.selection.modelIndex, this.selection.rowIndex, this.transforms, this.transformId, this.theme);
    const shown = this.models[this.selection.modelIndex];
    this.patterns.show(shown?.view.result, shown?.view.rows[this.selection.rowIndex]?.layer, this.transforms.find((t) => t.id === this.transformId), this.bridge.kind);
  }

  private showProgress(p: ProgressMessage): void {
    if (p.state !== 'running') {
      this.patterns.runEnded();
      this.progressEl.hidden = true;
      this.progressEl.replaceChildren();
      if ((p.state === 'failed' || p.state === 'cancelled') && p.message) this.banner(p.state === 'failed' ? 'error' : 'warning', p.message);
      return;
    }
    const bar = h('vscode-progress-bar', { 'aria-label': p.stage }) as HTMLElement & { value?: number; max: number; indeterminate: boolean };
    if (p.total > 0) { bar.max = p.total; bar.value = p.done; } else bar.indeterminate = true;
    this.progressEl.hidden = false;
    this.progressEl.replaceChildren(bar, h('span', { class: 'progress-text' },
      `${p.stage}${p.total > 0 ? ` — ${p.done}/${p.total}` : ''}${p.message ? ` · ${p.message}` : ''}`));
  }

  private banner(kind: 'error' | 'warning' | 'stale' | 'incomplete', text: string, rerun = false): void {
    const close = h('button', { class: 'banner-close', 'aria-label': 'Dismiss' }, '×');
    const el = h('div', { class: `banner banner-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, text));
    if (rerun && this.bridge.kind === 'vscode') {
      const b = h('vscode-button', {}, 'Re-run analysis');
      b.addEventListener('click', () => this.bridge.post({ type: 'requestRerun' }));
      el.append(b);
    }
    el.append(close);
    close.addEventListener('click', () => el.remove());
    this.banners.append(el);
  }

  private png(chart: PngChart): string {
    const shown = this.views.find((v) => v.spec.exports.includes(chart));
    if (shown) return shown.view.png(chart, this.chartState());
    throw new Error(VIEWS.find((spec) => spec.exports.includes(chart))?.missing ?? `There is no ${chart} chart to export: no results are shown.`);
  }

  private answerPng(request: RequestPngMessage): void {
    try {
      this.bridge.post(replyTo<ExportPngMessage>(request, { type: 'exportPng', dataUrl: this.png(request.chart ?? 'overview') }));
    } catch (err) {
      this.bridge.post(replyTo<ExportPngMessage>(request, { type: 'exportPng', error: err instanceof Error ? err.message : String(err) }));
    }
  }

  private saveState(): void {
    const sel = this.selection;
    const layer = sel ? this.models[sel.modelIndex]?.view.rows[sel.rowIndex]?.layer : undefined;
    this.bridge.setState({
      protocolVersion: WEBVIEW_PROTOCOL_VERSION,
      modelPaths: this.results.map((r) => r.model?.path ?? ''),
      transformId: this.transformId || undefined,
      selectedLayer: sel && layer ? { modelIndex: sel.modelIndex, layerName: layer.name } : undefined,
      guide: this.guide,
      ...(this.seriesDoc ? { seriesPaths: this.seriesDoc.checkpoints.map((c) => c.model.path) } : {}),
    });
  }

  private watchTheme(): void {
    const refresh = (): void => {
      this.theme = readTheme();
      applyChartDefaults(this.theme);
      if (this.models.length) { this.renderViews(); this.refreshDetails(); }
    };
    // VS Code swaps body classes (vscode-light / vscode-dark / vscode-high-contrast) on theme change.
    new MutationObserver(refresh).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
    window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', refresh);
  }
}

type ViewFacts = Pick<ViewContext, 'models' | 'transforms' | 'theme' | 'series' | 'checkpoint'>;

/** A ViewContext whose facts are read when asked, so a view kept across rebuilds never holds stale ones. */
function liveContext(read: () => ViewFacts, actions: Pick<ViewContext, 'select' | 'selectLayer' | 'openCheckpoint'>): ViewContext {
  return {
    get models() { return read().models; },
    get transforms() { return read().transforms; },
    get theme() { return read().theme; },
    get series() { return read().series; },
    get checkpoint() { return read().checkpoint; },
    ...actions,
  };
}

function legend(): HTMLElement {
  const stops = [0, 0.25, 0.5, 0.75, 1];
  return h('section', { class: 'legend', 'aria-label': 'Legend' },
    h('span', { class: 'legend-item' }, h('span', { class: 'legend-label' }, 'score'),
      h('span', { class: 'legend-gradient', 'aria-hidden': 'true' }),
      h('span', { class: 'legend-ticks' }, ...stops.map((s) => h('span', {}, String(s))))),
    h('span', { class: 'legend-item' }, h('span', { class: 'legend-hatch', 'aria-hidden': 'true' }),
      `hatched / ≈null: not clearly above its null (score − null ≤ ${NULL_MARGIN})`),
    h('span', { class: 'legend-item' }, h('span', { class: 'legend-na', 'aria-hidden': 'true' }), 'grey: not scored'),
    h('span', { class: 'legend-item' }, 'top row "input (floor)": the raw input under the same transform'),
  );
}

function modelMeta(r: AnalysisResult): string {
  const scored = r.layers.filter((l) => l.status === 'scored').length;
  const parts = [
    `${r.layers.length} layers (${scored} scored)`,
    r.settings ? `${r.settings.probes?.count ?? '?'} probes, τ ${r.settings.keep}, ${r.settings.nullPermutations} null perms, ≤ ${r.settings.maxPositions} positions` : '',
    r.settings?.orientation === 'channel' ? 'channel orientation (diagnostic, not SEIS)' : '',
    r.timing ? `${(r.timing.totalMs / 1000).toFixed(1)} s` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}
