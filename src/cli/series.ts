/**
 * `seis series PATH...`: SEIS across the checkpoints of a training run. PATH is a folder (its .onnx
 * files) or .onnx files. Every checkpoint is analysed with exactly the options `seis analyze` takes
 * (the same flag table, the same request), one after another; the result is one series document
 * (docs/results-schema.md, "Series"). Interrupting keeps the finished checkpoints: the outputs are
 * written with `incomplete` set and the exit code is 130.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { orderCheckpoints, CHECKPOINT_ORDERS, naturalCompare, type CheckpointFile } from '../analysis/checkpoints';
import { AnalysisError } from '../analysis/errors';
import { startSeries, type SeriesProgress, type SeriesRequest } from '../analysis/series';
import { checkOutputPath, OutputError, writeFilesAtomic, type OutputFile } from '../io/atomicWrite';
import type { SeriesResult } from '../shared/results';
import { seriesToCsv } from '../shared/seriesCsv';
import { ANALYZE_FLAGS, analysisRequestFromFlags } from './analyze';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpecs } from './args';
import type { CliIo } from './score';
import { progressLine } from '../shared/progressLine';
import { terminalSafe } from './terminal';

// Analyze's table, so every option means the same in both commands; dumps and the Model Explorer
// overlay are per model, not per series.
const { dumpActivations: _dump, nodeData: _nodeData, measure: _measure, transform: _transform, ...ANALYZE_OPTIONS } = ANALYZE_FLAGS;

export const SERIES_FLAGS = {
  order: { type: 'choice', choices: CHECKPOINT_ORDERS, default: 'step', help: 'checkpoint order: the step/epoch in the file names (else by name), by name, by modification time, or as given' },
  ...ANALYZE_OPTIONS,
} as const satisfies FlagSpecs;

export const SERIES_USAGE = `Usage: seis series PATH... [options]

SEIS across the checkpoints of one training run. PATH is a folder (its .onnx files) or .onnx files.
Every checkpoint sees the same probes, transforms, layer selection and null permutations, so the
differences are the model's; each checkpoint's scores equal 'seis analyze' on that file alone with the
same options. Layers are matched by tensor name; a checkpoint lacking a layer leaves a gap; checkpoints
of different architectures are refused. Without --json/--html/--csv it prints S_E per layer and checkpoint.

Options (the same as seis analyze, plus --order):
${formatFlagHelp(SERIES_FLAGS)}

Exit codes: 0 analysed, 2 bad input or usage, 1 no checkpoint could be analysed or an unexpected failure,
130 interrupted (the finished checkpoints are written).`;

/** Folders become their .onnx files (natural order); files stay; anything else is a usage error. */
export function expandCheckpointPaths(paths: readonly string[]): CheckpointFile[] {
  const files: CheckpointFile[] = [];
  const seen = new Set<string>();
  const add = (path: string, mtimeMs: number) => {
    if (seen.has(path)) throw new UsageError(`seis series: ${path} is given more than once`);
    seen.add(path);
    files.push({ path, mtimeMs });
  };
  for (const given of paths) {
    const path = resolve(given);
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new UsageError(`seis series: ${given} does not exist; give .onnx files or folders holding them`);
    }
    if (st.isDirectory()) {
      const inside = readdirSync(path).filter((f) => /\.onnx$/i.test(f)).sort(naturalCompare);
      if (inside.length === 0) throw new UsageError(`seis series: the folder ${given} holds no .onnx files`);
      for (const f of inside) add(join(path, f), statSync(join(path, f)).mtimeMs);
    } else if (st.isFile()) {
      add(path, st.mtimeMs);
    } else {
      throw new UsageError(`seis series: ${given} is neither a file nor a folder`);
    }
  }
  return files;
}

/** S_E per layer (rows) and checkpoint (columns) for each transform, with the null beside. */
export function seriesSummary(series: SeriesResult): string {
  const lines: string[] = [];
  const labels = series.checkpoints.map((c) => c.label);
  const names: string[] = [];
  for (const c of series.checkpoints) for (const l of c.layers) if (l.status === 'scored' && !names.includes(l.name)) names.push(l.name);
  const width = Math.min(32, Math.max(12, ...names.map((n) => n.length)));
  const col = Math.max(11, ...labels.map((l) => Math.min(l.length, 16) + 1));
  for (const t of series.transforms) {
    lines.push(`${t.id}: S_E (null) per checkpoint${series.settings.intervals ? `; intervals in the JSON/CSV/HTML` : ''}`);
    lines.push(`${'layer'.padEnd(width)} ${labels.map((l) => l.slice(-16).padStart(col)).join('')}`);
    for (const name of names) {
      const row = series.checkpoints.map((c) => {
        const cell = c.layers.find((l) => l.name === name)?.scores[t.id];
        return (cell ? `${cell.equivariance.toFixed(2)}(${cell.null.equivariance.toFixed(2)})` : 'gap').padStart(col);
      });
      const shown = name.length > width ? `…${name.slice(-(width - 1))}` : name.padEnd(width);
      lines.push(`${shown} ${row.join('')}`);
    }
    lines.push('');
  }
  for (const c of series.checkpoints) if (c.message) lines.push(`${c.label}: ${c.message}`);
  for (const w of series.warnings) lines.push(`warning: ${w}`);
  return `${terminalSafe(lines.join('\n'))}\n`;
}

export async function runSeriesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let request: SeriesRequest;
  let outputs: { json?: string; html?: string; csv?: string };
  let quiet: boolean;
  try {
    const { flags, positionals } = parseArgs(argv, SERIES_FLAGS, { names: ['PATH...'], min: argv.includes('--help') ? 0 : 1, max: Infinity }, 'seis series');
    if (flags.help) {
      io.stdout.write(`${SERIES_USAGE}\n`);
      return 0;
    }
    const files = expandCheckpointPaths(positionals);
    const ordering = orderCheckpoints(files, flags.order);
    outputs = { json: flags.json, html: flags.html, csv: flags.csv };
    const targets = (['json', 'html', 'csv'] as const).flatMap((k) => (outputs[k] && outputs[k] !== '-' ? [{ flag: `--${k}`, path: resolve(outputs[k] as string) }] : []));
    for (const [i, t] of targets.entries()) {
      if (files.some((f) => f.path === t.path)) throw new UsageError(`seis series: ${t.flag} ${t.path} is one of the checkpoints; writing it would replace it`);
      if (targets.slice(0, i).some((o) => o.path === t.path)) throw new UsageError(`seis series: ${t.flag} ${t.path} is also another output; give each output its own file`);
      try {
        checkOutputPath(t.path);
      } catch (err) {
        if (err instanceof OutputError) throw new UsageError(`seis series: ${t.flag} ${err.message}`);
        throw err;
      }
    }
    quiet = flags.quiet;
    const { modelPath: _none, ...analysis } = await analysisRequestFromFlags({ ...flags, dumpActivations: undefined, nodeData: undefined, measure: undefined, transform: undefined }, files[0].path, argv);
    request = {
      checkpoints: ordering.checkpoints,
      order: ordering.order,
      orderNotes: ordering.notes,
      analysis,
    };
  } catch (err) {
    if (err instanceof UsageError || (err instanceof AnalysisError && err.code === 'bad-option')) {
      io.stderr.write(`${terminalSafe(err instanceof UsageError ? err.message : `seis series: ${err.message}`)}\n`);
      return 2;
    }
    throw err;
  }

  let lastLine = '';
  const onProgress = (p: SeriesProgress) => {
    if (quiet) return;
    // One line per checkpoint and stage, not per layer: readable in a terminal and in CI logs.
    const key = `${p.checkpoint.index}:${p.stage}:${p.transform ?? ''}`;
    if (key === lastLine || p.stage === 'scoring') return;
    lastLine = key;
    // The engine's time left is for the checkpoint running, not the series: left out.
    io.stderr.write(`${terminalSafe(`seis series: ${progressLine({ fraction: p.fraction, message: p.message }, true)}`)}\n`);
  };
  const handle = startSeries(request, { onProgress });
  const onSignal = () => handle.cancel();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let series: SeriesResult;
  try {
    series = await handle.result;
  } catch (err) {
    if (err instanceof AnalysisError) {
      if (err.code === 'cancelled') {
        io.stderr.write('seis series: interrupted before any checkpoint finished; no output written\n');
        return 130;
      }
      io.stderr.write(`${terminalSafe(`seis series: ${err.message}`)}\n`);
      return err.code === 'runtime' ? 1 : 2;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  const json = `${JSON.stringify(series, null, 1)}\n`;
  try {
    const files: OutputFile[] = [];
    if (outputs.json && outputs.json !== '-') files.push({ path: outputs.json, data: json });
    if (outputs.csv) files.push({ path: outputs.csv, data: seriesToCsv(series) });
    if (outputs.html) {
      const { seriesReportHtml } = await import('../report/seriesHtml.js');
      files.push({ path: outputs.html, data: seriesReportHtml(series) });
    }
    writeFilesAtomic(files);
  } catch (err) {
    io.stderr.write(`${terminalSafe(`seis series: ${err instanceof Error ? err.message : String(err)}`)}\n`);
    return 1;
  }
  if (outputs.json === '-') io.stdout.write(json);
  if (!outputs.json && !outputs.csv && !outputs.html) io.stdout.write(seriesSummary(series));
  else if (!quiet) {
    const done = series.checkpoints.filter((c) => !c.failed).length;
    io.stderr.write(`seis series: ${done} of ${series.checkpoints.length} checkpoints analysed\n`);
    for (const c of series.checkpoints) if (c.message) io.stderr.write(`${terminalSafe(`${c.label}: ${c.message}`)}\n`);
  }
  if (series.incomplete?.reason === 'cancelled') {
    io.stderr.write(`seis series: interrupted; kept the ${series.incomplete.checkpointsDone} finished checkpoints of ${series.incomplete.checkpointsPlanned}\n`);
    return 130;
  }
  return 0;
}
