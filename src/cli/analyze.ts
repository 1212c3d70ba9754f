/**
 * `seis analyze MODEL.onnx`: per-layer SEIS of an ONNX vision model under input transforms.
 * The analysis runs in a child process (src/analysis/runner.ts); this file parses options, checks
 * every output location before any work, draws the progress bar on stderr and writes the outputs
 * all or none (src/io/atomicWrite.ts). Text that came from the model is printed terminal-safe.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AnalysisError } from '../analysis/errors';
import { startAnalysis } from '../analysis/runner';
import type { AnalysisProgress, AnalysisRequest, NormalizeName } from '../analysis/protocol';
import { runTransformIds } from '../analysis/sweeps';
import { parseTransforms } from '../analysis/transforms';
import { checkOutputPath, OutputError, writeFilesAtomic, type OutputFile } from '../io/atomicWrite';
import { resultsToCsv } from '../shared/csv';
import { ANALYSIS_OPTIONS as O, ANALYSIS_VALUES as V } from '../shared/defaults';
import { NODE_DATA_MEASURES, NodeDataError, nodeDataJson, type NodeDataOptions } from '../shared/nodeData';
import { progressLine } from '../shared/progressLine';
import { READING_RULE, READING_SHORT, readingOf } from '../shared/reading';
import type { AnalysisResult, ScoreCell } from '../shared/results';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpecs, type ParsedFlags } from './args';
import type { CliIo } from './score';
import { terminalSafe } from './terminal';

export const ANALYZE_FLAGS = {
  inputs: { type: 'string', metavar: 'F.npy', help: 'probe tensor (N,C,H,W) or (N,H,W,C) in the model layout, fed as is' },
  images: { type: 'string', metavar: 'DIR', help: 'folder of PNG/JPEG probe images (resized, normalised)' },
  probes: { type: 'number', default: O.probeCount.default, integer: true, min: O.probeCount.min, max: O.probeCount.max, help: 'number of built-in synthetic probes (when neither --inputs nor --images)' },
  probeSeed: { type: 'number', integer: true, min: O.probeSeed.min, max: O.probeSeed.max, metavar: 'S', help: 'seed of the built-in probes (default: --seed)' },
  maxImages: { type: 'number', default: O.maxImages.default, integer: true, min: O.maxImages.min, max: O.maxImages.max, help: 'images read from --images at most' },
  size: { type: 'string', metavar: 'HxW', help: `probe size for dynamic input dims, e.g. 224 or 48x192 (default ${O.size.default})` },
  normalize: { type: 'choice', choices: ['imagenet', 'symmetric', 'unit', 'raw255'], default: V.normalize.default, help: 'pixel normalisation: ImageNet mean/std, (p-0.5)/0.5, [0,1], or [0,255]' },
  mean: { type: 'string', metavar: 'R,G,B', help: 'custom mean on [0,1] pixels (with --std; overrides --normalize)' },
  std: { type: 'string', metavar: 'R,G,B', help: 'custom std on [0,1] pixels (with --mean)' },
  bgr: { type: 'boolean', help: 'feed channels in BGR order' },
  fit: { type: 'choice', choices: ['crop', 'stretch'], default: V.fit.default, help: 'images reach the probe size by cover+centre-crop or by stretching' },
  transforms: { type: 'string', default: V.transforms.default.join(','), metavar: 'LIST', help: 'transform ids: rot90, rot180, rot270, rot<deg>, flip-h, flip-v, shift-x<px>[-y<px>], scale<f>, affine-s<seed>, identity' },
  sweep: { type: 'string', metavar: 'LIST', help: 'also (alone: only) score sweeps, comma-separated: rot:STEP, shift-x:MAX[:STEP], shift-y:MAX[:STEP], scale:MIN:MAX:STEP' },
  patterns: { type: 'number', default: O.patterns.default, integer: true, min: O.patterns.min, max: O.patterns.max, help: 'keep the top N canonical patterns per layer and transform in the JSON (docs/patterns.md)' },
  layers: { type: 'string', default: V.layers.default, metavar: 'SEL', help: "layers: default | all | op:Conv,Add | '/regex/' | name,name" },
  batch: { type: 'number', default: O.batchSize.default, integer: true, min: O.batchSize.min, max: O.batchSize.max, help: 'probe images per forward pass' },
  maxPositions: { type: 'number', default: O.maxPositions.default, integer: true, min: O.maxPositions.min, max: O.maxPositions.max, help: 'maps with more positions are average-pooled down to this' },
  keep: { type: 'number', default: V.keep.default, min: 0, minExclusive: true, max: 1, metavar: 'TAU', help: 'energy fraction kept by the SVD denoising (τ)' },
  nullPerms: { type: 'number', default: O.nullPermutations.default, integer: true, min: O.nullPermutations.min, max: O.nullPermutations.max, help: 'row permutations averaged into the null' },
  seed: { type: 'number', default: O.seed.default, integer: true, min: O.seed.min, max: O.seed.max, metavar: 'S', help: 'seed of the null permutations' },
  orientation: { type: 'choice', choices: ['spatial', 'channel'], default: V.orientation.default, help: "'spatial' is SEIS; 'channel' is the transposed diagnostic" },
  jobs: { type: 'number', integer: true, min: O.jobs.min, max: O.jobs.max, help: 'threads for the scoring (default: one per core)' },
  ep: { type: 'string', default: V.executionProvider.default, metavar: 'NAME', help: 'onnxruntime execution provider' },
  memoryBudget: { type: 'number', default: O.memoryBudgetMB.default, integer: true, min: O.memoryBudgetMB.min, max: O.memoryBudgetMB.max, metavar: 'MIB', help: 'memory the run holds at once; activations beyond it wait on disk (--spill)' },
  spill: { type: 'string', metavar: 'DIR|off', help: 'where activations beyond --memory-budget wait for scoring (default: the temp folder; deleted as read); off runs the probes once per group of layers instead' },
  json: { type: 'string', metavar: 'OUT.json', help: "write the result document (schema in docs/results-schema.md); '-' for stdout" },
  html: { type: 'string', metavar: 'OUT.html', help: 'write a standalone HTML report' },
  csv: { type: 'string', metavar: 'OUT.csv', help: 'write one row per layer and transform' },
  nodeData: { type: 'string', metavar: 'OUT.json', help: "write one score per layer as Model Explorer node data (docs/graph-overlay.md)" },
  measure: { type: 'choice', choices: NODE_DATA_MEASURES, help: 'the score --node-data carries (default equivariance)' },
  transform: { type: 'string', metavar: 'ID', help: 'the transform --node-data carries (default the first one)' },
  intervals: { type: 'number', default: O.intervals.default, integer: true, min: O.intervals.min, max: O.intervals.max, help: 'resamples for an interval beside every score (delete-d jackknife over probe images, docs/method.md; e.g. 50; 0 = none)' },
  intervalLevel: { type: 'number', default: V.intervalLevel.default, min: 0, minExclusive: true, max: 0.999, metavar: 'P', help: 'nominal coverage of the intervals' },
  dumpActivations: { type: 'string', metavar: 'DIR', help: 'also save the scored (pooled) activations as .npy files, for seis score' },
  correlations: { type: 'boolean', help: 'keep every canonical correlation in the JSON (large)' },
  quiet: { type: 'boolean', help: 'no progress bar' },
  help: { type: 'boolean', help: 'show this help' },
} as const satisfies FlagSpecs;

export const ANALYZE_USAGE = `Usage: seis analyze MODEL.onnx [options]

Scores every chosen layer of an ONNX vision model: how its activations keep (equivariance S_E) or
discard (invariance S_I) each input transform, beside a permutation null, plus the input floor.
Without --inputs or --images it probes with built-in synthetic images, so a model alone is enough.
Without --json/--html/--csv it prints a summary table.

Options:
${formatFlagHelp(ANALYZE_FLAGS)}

Exit codes: 0 analysed, 2 bad input or usage, 1 the model failed to run or an unexpected failure, 130 interrupted.`;

function parseTriple(text: string, flag: string): number[] {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length !== 3 || !v.every(Number.isFinite)) throw new UsageError(`seis analyze: ${flag} needs three numbers R,G,B, got '${text}'`);
  return v;
}

function parseSize(text: string): { height: number; width: number } {
  const m = text.trim().match(/^(\d+)(?:[x×](\d+))?$/);
  if (!m) throw new UsageError(`seis analyze: --size must be N or HxW (e.g. 224 or 48x192), got '${text}'`);
  const height = Number(m[1]);
  const width = m[2] ? Number(m[2]) : height;
  return { height, width };
}

interface NamedPath {
  readonly flag: string;
  readonly path: string;
}

/** The file a path names once links are followed; for a file not yet created, its folder's real path. */
function identity(path: string): string {
  const full = resolve(path);
  try {
    return realpathSync(full);
  } catch {
    try {
      return join(realpathSync(dirname(full)), basename(full));
    } catch {
      return full;
    }
  }
}

/**
 * Every output location is checked before minutes of work, not after: the folder exists and accepts
 * files, the target is not a folder or a device, and no output names an input or another output
 * (writing there would replace the model or keep only one of two outputs).
 */
function checkOutputs(outputs: readonly NamedPath[], inputs: readonly NamedPath[]): void {
  const seen = new Map<string, NamedPath>();
  for (const input of inputs) seen.set(identity(input.path), input);
  for (const out of outputs) {
    const id = identity(out.path);
    const clash = seen.get(id);
    if (clash) {
      const what = inputs.includes(clash) ? `the input ${clash.flag} itself; writing it would replace it` : `also given to ${clash.flag}; one would overwrite the other`;
      throw new UsageError(`seis analyze: ${out.flag} ${out.path} is ${what}. Give each output its own file`);
    }
    seen.set(id, out);
    try {
      checkOutputPath(out.path);
    } catch (err) {
      if (err instanceof OutputError) throw new UsageError(`seis analyze: ${out.flag} ${err.message}`);
      throw err;
    }
  }
}

/** The dump folder may exist (as a folder) or be created; a file or device there is a usage error. */
function checkDumpFolder(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory()) throw new UsageError(`seis analyze: --dump-activations ${dir} is a file, not a folder; give a folder (it is created if missing)`);
  let ancestor = resolve(dir);
  while (!st) {
    ancestor = dirname(ancestor);
    try {
      st = statSync(ancestor);
    } catch {
      st = undefined;
    }
  }
  if (!st.isDirectory()) throw new UsageError(`seis analyze: --dump-activations ${dir}: ${ancestor} is a file, so the folder cannot be created`);
  try {
    checkOutputPath(join(ancestor, 'activations.npy'));
  } catch (err) {
    if (err instanceof OutputError) throw new UsageError(`seis analyze: --dump-activations ${dir}: cannot create files in ${ancestor}; choose a writable folder`);
    throw err;
  }
}

/** Execution providers are named by onnxruntime's build; an unknown one is a usage error, not a failed run. */
async function checkExecutionProvider(ep: string): Promise<void> {
  let names: string[];
  try {
    const ort = await import('onnxruntime-node');
    names = ort.listSupportedBackends().map((b: { name: string }) => b.name);
  } catch {
    return; // the analysis reports a missing onnxruntime itself
  }
  if (!names.includes(ep)) throw new UsageError(`seis analyze: --ep must be one of ${names.join('|')} (what this onnxruntime build supports), got '${ep}'`);
}

/** .npy files written to the dump folder since `since` (ms), for an honest message after an interruption. */
function dumpedSince(dir: string | undefined, since: number): number {
  if (!dir) return 0;
  try {
    return readdirSync(dir).filter((n) => {
      const st = statSync(join(dir, n));
      return n.endsWith('.npy') && st.isFile() && st.mtimeMs >= since - 1000;
    }).length;
  } catch {
    return 0;
  }
}

const CELL_WIDTH = 21;

/** The table printed when no output file is asked for; names from the model are made terminal-safe. */
export function summaryTable(result: AnalysisResult): string {
  const ids = result.transforms.map((t) => terminalSafe(t.id));
  const number = (x: number | null) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(2) : '  — ');
  const f = (c: ScoreCell | undefined) => (c ? `${number(c.equivariance)}/${number(c.invariance)} ${READING_SHORT[readingOf(c)]}` : '    —');
  const names = result.layers.map((l) => terminalSafe(l.name));
  const width = Math.min(40, Math.max(12, ...names.map((n) => n.length)));
  const head = `${'layer'.padEnd(width)}  ${'op'.padEnd(14)} ${ids.map((id) => id.padEnd(CELL_WIDTH)).join(' ')}`;
  const lines = [`${terminalSafe(result.model.fileName)}: S_E/S_I and the reading per transform (nulls in the JSON)`, head];
  lines.push(`${'(input floor)'.padEnd(width)}  ${''.padEnd(14)} ${ids.map((_, k) => f(result.inputFloor[result.transforms[k].id]).padEnd(CELL_WIDTH)).join(' ')}`);
  result.layers.forEach((l, index) => {
    const full = names[index];
    const name = full.length > width ? `…${full.slice(-(width - 1))}` : full.padEnd(width);
    const op = terminalSafe(l.op).padEnd(14);
    if (l.status !== 'scored') lines.push(`${name}  ${op} ${l.status}: ${terminalSafe(l.message ?? '')}`);
    else lines.push(`${name}  ${op} ${result.transforms.map((t) => f(l.scores[t.id]).padEnd(CELL_WIDTH)).join(' ')}`);
  });
  lines.push(`reading: ${READING_RULE}`);
  const t = result.timing;
  if (t) lines.push(`time ${(t.totalMs / 1000).toFixed(1)} s (inference ${(t.inferenceMs / 1000).toFixed(1)} s, scoring ${(t.scoringMs / 1000).toFixed(1)} s)`);
  for (const w of result.warnings) lines.push(`warning: ${terminalSafe(w)}`);
  return lines.join('\n') + '\n';
}

function progressPrinter(io: CliIo, quiet: boolean): { update(p: AnalysisProgress): void; done(): void } {
  const stream = io.stderr as NodeJS.WriteStream;
  const tty = Boolean(stream.isTTY);
  let lastLine = '';
  let drawn = false;
  return {
    update(p) {
      if (quiet) return;
      if (tty) {
        const width = 24;
        const filled = Math.round(p.fraction * width);
        const cols = stream.columns ?? 100;
        const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${terminalSafe(progressLine(p, true))}`;
        stream.write(`\r${text.slice(0, cols - 1).padEnd(Math.min(cols - 1, lastLine.length))}`);
        lastLine = text.slice(0, cols - 1);
        drawn = true;
        return;
      }
      // Not a terminal (CI logs, pipes): one line per stage or transform, not per layer.
      const key = `${p.stage}:${p.transform ?? ''}`;
      if (key === lastLine || p.stage === 'scoring') return;
      lastLine = key;
      io.stderr.write(`seis analyze: ${terminalSafe(progressLine(p, true))}\n`);
    },
    done() {
      if (tty && drawn) stream.write(`\r${' '.repeat(lastLine.length)}\r`);
    },
  };
}

/**
 * The analysis request the analyze options describe, checked (probe source, mean/std, transform ids,
 * execution provider). Shared by every command that takes analyze's options (seis series), so an
 * option means the same everywhere.
 */
export async function analysisRequestFromFlags(flags: ParsedFlags<typeof ANALYZE_FLAGS>, modelPath: string, argv: readonly string[]): Promise<AnalysisRequest> {
  if (flags.inputs && flags.images) throw new UsageError('seis analyze: give either --inputs (a .npy tensor) or --images (a folder), not both');
  if ((flags.mean === undefined) !== (flags.std === undefined)) throw new UsageError('seis analyze: --mean and --std go together');
  // With --sweep alone, only the sweep runs; an explicit --transforms list is kept beside it.
  const explicitTransforms = argv.some((a) => a === '--transforms' || a.startsWith('--transforms='));
  const sweeps = flags.sweep ? flags.sweep.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const listed = flags.transforms.split(',').map((s) => s.trim()).filter(Boolean);
  const transforms = runTransformIds(explicitTransforms || sweeps.length === 0 ? listed : undefined, sweeps);
  parseTransforms(transforms);
  await checkExecutionProvider(flags.ep);
  const normalize = flags.mean !== undefined && flags.std !== undefined ? { mean: parseTriple(flags.mean, '--mean'), std: parseTriple(flags.std, '--std') } : (flags.normalize as NormalizeName);
  return {
    modelPath: resolve(modelPath),
    ...(flags.inputs ? { inputs: resolve(flags.inputs) } : {}),
    ...(flags.images ? { images: resolve(flags.images) } : {}),
    probeCount: flags.probes,
    ...(flags.probeSeed !== undefined ? { probeSeed: flags.probeSeed } : {}),
    maxImages: flags.maxImages,
    ...(flags.size ? { size: parseSize(flags.size) } : {}),
    normalize,
    bgr: flags.bgr,
    fit: flags.fit,
    transforms,
    ...(sweeps.length > 0 ? { sweeps } : {}),
    ...(flags.patterns > 0 ? { patterns: flags.patterns } : {}),
    layers: flags.layers,
    batchSize: flags.batch,
    maxPositions: flags.maxPositions,
    keep: flags.keep,
    nullPermutations: flags.nullPerms,
    seed: flags.seed,
    orientation: flags.orientation,
    executionProvider: flags.ep,
    ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
    memoryBudgetMB: flags.memoryBudget,
    ...(flags.spill === undefined ? {} : { spill: flags.spill === 'off' ? (false as const) : flags.spill }),
    includeCorrelations: flags.correlations,
    ...(flags.dumpActivations ? { dumpActivations: resolve(flags.dumpActivations) } : {}),
    ...(flags.intervals > 0 ? { intervals: { resamples: flags.intervals, level: flags.intervalLevel } } : {}),
  };
}

export async function runAnalyzeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let request: AnalysisRequest;
  let outputs: { json?: string; html?: string; csv?: string; nodeData?: string };
  let nodeDataOptions: NodeDataOptions;
  let quiet: boolean;
  try {
    const { flags, positionals } = parseArgs(argv, ANALYZE_FLAGS, { names: ['MODEL.onnx'], min: argv.includes('--help') ? 0 : 1 }, 'seis analyze');
    if (flags.help) {
      io.stdout.write(`${ANALYZE_USAGE}\n`);
      return 0;
    }
    outputs = { json: flags.json, html: flags.html, csv: flags.csv, nodeData: flags.nodeData };
    if (!flags.nodeData && (flags.measure || flags.transform)) throw new UsageError('seis analyze: --measure and --transform choose what --node-data OUT.json carries; give --node-data too');
    nodeDataOptions = { ...(flags.measure ? { measure: flags.measure } : {}), ...(flags.transform ? { transform: flags.transform } : {}) };
    const inputs: NamedPath[] = [{ flag: 'MODEL.onnx', path: positionals[0] }, ...(flags.inputs ? [{ flag: '--inputs', path: flags.inputs }] : [])];
    const files = (['json', 'html', 'csv', 'nodeData'] as const).flatMap((k) => (outputs[k] && outputs[k] !== '-' ? [{ flag: k === 'nodeData' ? '--node-data' : `--${k}`, path: outputs[k] as string }] : []));
    checkOutputs(files, inputs);
    if (flags.dumpActivations) checkDumpFolder(flags.dumpActivations);
    request = await analysisRequestFromFlags(flags, positionals[0], argv);
    if (flags.transform && !request.transforms?.includes(flags.transform)) throw new UsageError(`seis analyze: --transform ${flags.transform} is not among the transforms run (${request.transforms?.join(', ')})`);
    quiet = flags.quiet;
  } catch (err) {
    if (err instanceof UsageError || (err instanceof AnalysisError && err.code === 'bad-option')) {
      io.stderr.write(`${terminalSafe(err instanceof UsageError ? err.message : `seis analyze: ${err.message}`)}\n`);
      return 2;
    }
    throw err;
  }

  const started = Date.now();
  const bar = progressPrinter(io, quiet);
  const handle = startAnalysis(request, { onProgress: (p) => bar.update(p) });
  const onSignal = () => handle.cancel();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result: AnalysisResult;
  try {
    result = await handle.result;
  } catch (err) {
    bar.done();
    if (err instanceof AnalysisError) {
      const dumped = dumpedSince(request.dumpActivations, started);
      const kept = dumped > 0 ? `${dumped} activation file${dumped === 1 ? '' : 's'} already written to ${request.dumpActivations} (an incomplete set); no other output written` : 'no output written';
      if (err.code === 'cancelled') {
        io.stderr.write(`seis analyze: interrupted; ${terminalSafe(kept)}\n`);
        return 130;
      }
      // A refused write (full disk, a folder in the way) may come after some dump files were written.
      io.stderr.write(`seis analyze: ${terminalSafe(err.code === 'file-system' ? `${err.message}; ${kept}` : err.message)}\n`);
      return err.code === 'runtime' ? 1 : 2;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  bar.done();

  let nodeDataFailure: string | undefined;
  try {
    const files: OutputFile[] = [];
    if (outputs.json && outputs.json !== '-') files.push({ path: outputs.json, data: `${JSON.stringify(result, null, 1)}\n` });
    if (outputs.csv) files.push({ path: outputs.csv, data: resultsToCsv(result) });
    if (outputs.html) {
      const { renderStandaloneReport } = await import('../report/standaloneHtml.js');
      files.push({ path: outputs.html, data: renderStandaloneReport([result]) });
    }
    // A result that cannot give the overlay (e.g. every layer underdetermined) still writes the rest.
    if (outputs.nodeData) {
      try {
        files.push({ path: outputs.nodeData, data: nodeDataJson(result, nodeDataOptions) });
      } catch (err) {
        if (!(err instanceof NodeDataError)) throw err;
        nodeDataFailure = `--node-data ${outputs.nodeData} not written: ${err.message}`;
      }
    }
    writeFilesAtomic(files);
    if (outputs.json === '-') io.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
  } catch (err) {
    io.stderr.write(`seis analyze: ${terminalSafe(err instanceof Error ? err.message : String(err))}; no output written\n`);
    return 1;
  }
  if (nodeDataFailure) outputs.nodeData = undefined;
  if (!outputs.json && !outputs.csv && !outputs.html && !outputs.nodeData && !nodeDataFailure) io.stdout.write(summaryTable(result));
  else if (!quiet) {
    const scored = result.layers.filter((l) => l.status === 'scored').length;
    const written = [outputs.json !== '-' ? outputs.json : undefined, outputs.html, outputs.csv, outputs.nodeData].filter(Boolean).join(', ');
    io.stderr.write(terminalSafe(`seis analyze: ${scored} layers scored under ${result.transforms.length} transforms${written ? `; wrote ${written}` : ''}`) + '\n');
    for (const w of result.warnings) io.stderr.write(`warning: ${terminalSafe(w)}\n`);
  }
  if (nodeDataFailure) {
    io.stderr.write(`seis analyze: ${terminalSafe(nodeDataFailure)}\n`);
    return 2;
  }
  return 0;
}
