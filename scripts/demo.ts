/**
 * `npm run demo`: the one-command tour of SEIS Lens. Analyses the example models bundled in
 * examples/ (trained by scripts/train_examples.py on Fashion-MNIST) with the default settings and
 * their own probe set, prints a compact per-layer table for one exact transform, and writes a
 * standalone HTML report comparing the models side by side; then runs the example checkpoint series
 * (examples/checkpoints/{plain,rotaug}) and writes their trajectories (series.html).
 *
 *   npm run demo [-- --out DIR] [--models cnn-plain,cnn-rotaug] [--transforms rot90,flip-h]
 *                   [--table rot90] [--json-only]
 *
 * Runs from a fresh clone after `npm ci`: the TypeScript sources run through tsx, and the webview
 * bundle the HTML report inlines is built on the spot when dist/webview is missing.
 * Also imported by scripts/validation.ts for the same analyses and tables.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../src/io/atomicWrite';
import { join, relative, resolve } from 'node:path';
import { runAnalysis } from '../src/analysis/engine';
import { orderCheckpoints } from '../src/analysis/checkpoints';
import { AnalysisError, messageOf } from '../src/analysis/errors';
import type { IntervalRequest } from '../src/analysis/intervalPass';
import type { AnalysisRequest } from '../src/analysis/protocol';
import { startSeries } from '../src/analysis/series';
import { findWebviewBundle, writeSeriesReport, writeStandaloneReport } from '../src/report';
import type { AnalysisResult, LayerResult, ScoreCell, SeriesResult } from '../src/shared/results';

export const ROOT = resolve(__dirname, '..');
/** SEIS_EXAMPLES_DIR points the demo at a fresh training run (train_examples.py --out DIR). */
export const EXAMPLES_DIR = process.env.SEIS_EXAMPLES_DIR ? resolve(process.env.SEIS_EXAMPLES_DIR) : join(ROOT, 'examples');

export interface ExampleModel {
  readonly description: string;
  readonly file: string;
  readonly tasks: readonly string[];
  readonly outputs: readonly string[];
  readonly rotationAugmentation: boolean;
  readonly epochs: number;
  readonly trainImages: number;
  readonly trainSeconds: number;
  readonly parameters: number;
  readonly sizeBytes: number;
  readonly test: Readonly<Record<string, { accuracy?: number; pixelAccuracy?: number; foregroundPixelAccuracy?: number }>>;
}

export interface ExampleMetrics {
  readonly probe: { readonly file: string; readonly shape: readonly number[] };
  readonly evaluation: string;
  readonly models: Readonly<Record<string, ExampleModel>>;
}

/** Reads examples/metrics.json, or explains how to get it back. */
export function loadExampleMetrics(dir = EXAMPLES_DIR): ExampleMetrics {
  const file = join(dir, 'metrics.json');
  if (!existsSync(file)) {
    throw new DemoError(`${file} is missing: the bundled example models are not there. Restore examples/ from git, or regenerate it with /usr/bin/python3 scripts/train_examples.py`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as ExampleMetrics;
}

export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

export function exampleModelPath(metrics: ExampleMetrics, name: string, dir = EXAMPLES_DIR): string {
  const entry = metrics.models[name];
  if (!entry) throw new DemoError(`no example model '${name}'; the bundled ones are ${Object.keys(metrics.models).join(', ')}`);
  return join(dir, entry.file);
}

/** One example model analysed with the tool's defaults on the bundled probe set. */
export async function analyseExample(
  metrics: ExampleMetrics,
  name: string,
  extra: Partial<AnalysisRequest> = {},
  onProgress?: (line: string) => void,
): Promise<AnalysisResult> {
  const modelPath = exampleModelPath(metrics, name);
  const inputs = join(EXAMPLES_DIR, metrics.probe.file);
  let last = '';
  return runAnalysis(
    { modelPath, inputs, ...extra },
    {
      onProgress: (p) => {
        // One line per stage keeps a terminal log readable; the per-layer messages are too chatty.
        if (onProgress && p.stage !== last && p.stage !== 'scoring') {
          last = p.stage;
          onProgress(`${name}: ${p.message}`);
        }
      },
    },
  );
}

/** The example training runs exported per epoch (scripts/train_examples.py --checkpoints). */
export const CHECKPOINT_RUNS = ['plain', 'rotaug'] as const;

/**
 * One example run (examples/checkpoints/<run>/epoch_N.onnx) as a checkpoint series on the bundled
 * probes, exactly as `seis series` runs it.
 */
export async function analyseCheckpointRun(
  metrics: ExampleMetrics,
  run: string,
  analysis: Partial<AnalysisRequest> = {},
  intervals?: IntervalRequest,
  onProgress?: (line: string) => void,
): Promise<SeriesResult> {
  const dir = join(EXAMPLES_DIR, 'checkpoints', run);
  if (!existsSync(dir)) throw new DemoError(`${dir} is missing: regenerate the checkpoints with /usr/bin/python3 scripts/train_examples.py --checkpoints`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.onnx')).map((f) => ({ path: join(dir, f) }));
  const ordering = orderCheckpoints(files);
  let last = '';
  return startSeries(
    { checkpoints: ordering.checkpoints, order: ordering.order, orderNotes: ordering.notes, analysis: { inputs: join(EXAMPLES_DIR, metrics.probe.file), ...analysis, ...(intervals ? { intervals } : {}) } },
    {
      onProgress: (p) => {
        const key = `${p.checkpoint.index}`;
        if (onProgress && key !== last) {
          last = key;
          onProgress(`${run}: checkpoint ${p.checkpoint.index}/${p.checkpoint.count} ${p.checkpoint.label}`);
        }
      },
    },
  ).result;
}

/** S_E (null) of one layer and transform per checkpoint, one line per run. */
export function trajectoryTable(runs: readonly [string, SeriesResult][], layer: string, transformId: string): string {
  const labels = runs[0]?.[1].checkpoints.map((c) => c.label) ?? [];
  const rows = [['run', ...labels]];
  for (const [run, series] of runs) {
    rows.push([run, ...series.checkpoints.map((c) => cellText(c.layers.find((l) => l.name === layer)?.scores[transformId])[0])]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => '  ' + r.map((s, c) => pad(s ?? '', widths[c])).join('  ')).join('\n');
}

/** `/encoder/conv1/Conv_output_0` → `/encoder/conv1/Conv`: the exporter's suffix says nothing. */
export function shortLayerName(name: string): string {
  return name.replace(/_output_0$/, '');
}

export function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

function shapeOf(layer: LayerResult): string {
  return layer.shape.slice(1).join('×');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function cellText(c: ScoreCell | undefined): [string, string] {
  if (!c) return ['—', '—'];
  const flag = c.underdetermined ? '!' : '';
  return [`${fmt(c.equivariance)} (${fmt(c.null.equivariance, 2)})${flag}`, `${fmt(c.invariance)} (${fmt(c.null.invariance, 2)})${flag}`];
}

/** The compact terminal table: one row per layer, S_E and S_I for one transform with nulls in brackets. */
export function formatLayerTable(result: AnalysisResult, transformId: string): string {
  const t = result.transforms.find((x) => x.id === transformId);
  if (!t) return `  (transform ${transformId} was not analysed)`;
  const rows: string[][] = [['layer', 'shape', `S_E (null)`, `S_I (null)`]];
  const floor = result.inputFloor[transformId];
  rows.push(['input (floor)', result.model.probeInputShape.slice(1).join('×'), ...cellText(floor)]);
  for (const layer of result.layers) {
    if (layer.status === 'scored') rows.push([shortLayerName(layer.name), shapeOf(layer), ...cellText(layer.scores[transformId])]);
    else rows.push([shortLayerName(layer.name), shapeOf(layer), layer.status === 'no-spatial-axis' ? 'no spatial axis' : 'failed', '']);
  }
  const widths = rows[0].map((_, i) => Math.min(44, Math.max(...rows.map((r) => r[i].length))));
  return rows.map((r) => '  ' + r.map((s, i) => pad(s.length > 44 ? '…' + s.slice(-43) : s, widths[i])).join('  ')).join('\n');
}

/** Mean of (score − null) over the scored layers: one number per model for the at-a-glance summary. */
export function meanAboveNull(result: AnalysisResult, transformId: string): { e: number; i: number; layers: number } {
  let e = 0;
  let i = 0;
  let n = 0;
  for (const layer of result.layers) {
    const c = layer.scores[transformId];
    if (layer.status !== 'scored' || !c) continue;
    e += c.equivariance - c.null.equivariance;
    i += c.invariance - c.null.invariance;
    n++;
  }
  return { e: n ? e / n : NaN, i: n ? i / n : NaN, layers: n };
}

/** The last scored layer: where a classifier has decided what it keeps. */
export function lastScored(result: AnalysisResult): LayerResult | undefined {
  return [...result.layers].reverse().find((l) => l.status === 'scored');
}

function accuracyLine(m: ExampleModel): string {
  const parts: string[] = [];
  const acc = (v: string) => m.test[v]?.accuracy;
  if (m.tasks.includes('class')) parts.push(`accuracy clean ${fmt(acc('clean'), 2)}, rot90 ${fmt(acc('rot90'), 2)}, rot45 ${fmt(acc('rot45'), 2)}`);
  if (m.tasks.includes('seg')) {
    const px = (v: string) => m.test[v]?.foregroundPixelAccuracy;
    parts.push(`garment-pixel accuracy clean ${fmt(px('clean'), 2)}, rot90 ${fmt(px('rot90'), 2)}`);
  }
  return parts.join('; ');
}

/** Builds dist/webview when the report bundle is missing (fresh clone), so the demo needs no extra step. */
function ensureWebviewBundle(log: (s: string) => void): void {
  try {
    findWebviewBundle();
    return;
  } catch {
    log('building the report bundle (npm run build) …');
  }
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) {
    throw new DemoError(`building the webview bundle failed (node scripts/build.mjs exited with ${run.status}): ${(run.stderr || run.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  findWebviewBundle();
}

function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

interface DemoArgs {
  out: string;
  models?: string[];
  transforms?: string[];
  table: string;
  jsonOnly: boolean;
}

function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const args: DemoArgs = { out: join(ROOT, 'seis-report'), table: 'rot90', jsonOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new DemoError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--out') args.out = resolve(value());
    else if (flag === '--models') args.models = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag === '--transforms') args.transforms = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag === '--table') args.table = value();
    else if (flag === '--json-only') args.jsonOnly = true;
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write('npm run demo [-- --out DIR] [--models a,b] [--transforms rot90,flip-h] [--table rot90] [--json-only]\n');
      process.exit(0);
    } else throw new DemoError(`unknown option ${flag}; options: --out DIR, --models a,b, --transforms ids, --table id, --json-only`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseDemoArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const started = performance.now();
  const metrics = loadExampleMetrics();
  const names = args.models ?? Object.keys(metrics.models);
  for (const n of names) exampleModelPath(metrics, n);
  if (args.transforms && !args.transforms.includes(args.table)) args.table = args.transforms[0];
  if (!args.jsonOnly) ensureWebviewBundle(log);
  mkdirSync(args.out, { recursive: true });

  const results: AnalysisResult[] = [];
  for (const [i, name] of names.entries()) {
    const t0 = performance.now();
    log(`[${i + 1}/${names.length}] analysing examples/${metrics.models[name].file} …`);
    const result = await analyseExample(metrics, name, args.transforms ? { transforms: args.transforms } : {}, (line) => log(`  ${line}`));
    results.push(result);
    writeJsonAtomic(join(args.out, `${name}.json`), result);
    const m = metrics.models[name];
    const t = result.transforms.find((x) => x.id === args.table);
    process.stdout.write(`\n${name} — ${m.description}\n  ${accuracyLine(m)}\n`);
    process.stdout.write(`  ${args.table}${t ? ` (${t.label}, ${t.exact ? 'exact' : 'interpolated'})` : ''}: scores with their null in brackets; ! = too few observations for the kept ranks\n`);
    process.stdout.write(`${formatLayerTable(result, args.table)}\n`);
    log(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  process.stdout.write(`\nAt a glance (${args.table}): mean over scored layers of score − null, and the last spatial layer\n`);
  const summary: string[][] = [['model', 'S_E−null', 'S_I−null', 'last layer S_E (null)', 'S_I (null)']];
  for (const [i, r] of results.entries()) {
    const mean = meanAboveNull(r, args.table);
    const last = lastScored(r);
    const [e, iv] = cellText(last?.scores[args.table]);
    summary.push([names[i], fmt(mean.e), fmt(mean.i), e, iv]);
  }
  const widths = summary[0].map((_, c) => Math.max(...summary.map((row) => row[c].length)));
  process.stdout.write(summary.map((row) => '  ' + row.map((s, c) => pad(s, widths[c])).join('  ')).join('\n') + '\n');

  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };

  // Training dynamics: the cnn at initialisation and after each epoch, without and with rotation augmentation.
  const runs: [string, SeriesResult][] = [];
  for (const run of CHECKPOINT_RUNS) {
    const t0 = performance.now();
    log(`series: analysing examples/checkpoints/${run}/ …`);
    const series = await analyseCheckpointRun(metrics, run, { transforms: [args.table] }, undefined, (line) => log(`  ${line}`));
    runs.push([run, series]);
    writeJsonAtomic(join(args.out, `series-${run}.json`), series);
    log(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const lastConv = runs[0]?.[1].checkpoints.at(-1)?.layers.filter((l) => l.status === 'scored' && l.op === 'Conv').at(-1)?.name;
  if (lastConv) {
    process.stdout.write(`\nTraining dynamics (${args.table}, ${shortLayerName(lastConv)}): S_E (null) per checkpoint, epoch 0 = the untrained network\n`);
    process.stdout.write(`${trajectoryTable(runs, lastConv, args.table)}\n`);
  }
  if (!args.jsonOnly) {
    const html = join(args.out, 'index.html');
    writeStandaloneReport(html, results, { title: 'SEIS Lens demo · example models trained on Fashion-MNIST' });
    process.stdout.write(`\nHTML report (open in any browser): ${rel(html)}\n`);
    const seriesHtml = join(args.out, 'series.html');
    writeSeriesReport(seriesHtml, runs.map(([run, series]) => ({ heading: `cnn, run '${run}' (${run === 'rotaug' ? 'rotation augmentation' : 'no augmentation'})`, series })), 'SEIS Lens demo · training dynamics of the example cnn');
    process.stdout.write(`Trajectories across checkpoints: ${rel(seriesHtml)}\n`);
  }
  process.stdout.write(`Analysis JSON per model: ${rel(args.out)}/<model>.json · total ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const known = err instanceof DemoError || err instanceof AnalysisError || (err instanceof Error && err.name === 'ReportError');
    process.stderr.write(`demo: ${messageOf(err)}\n`);
    if (!known && err instanceof Error && err.stack && process.env.SEIS_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  });
}
