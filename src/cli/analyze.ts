/**
 * `seis analyze MODEL.onnx`: per-layer SEIS of an ONNX vision model under input transforms.
 * The analysis runs in a child process (src/analysis/runner.ts); this file parses options, draws
 * the progress bar on stderr and writes the outputs, each atomically (temp file + rename).
 */
import { existsSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AnalysisError } from '../analysis/errors';
import { startAnalysis } from '../analysis/runner';
import type { AnalysisProgress, AnalysisRequest, NormalizeName } from '../analysis/protocol';
import { DEFAULT_TRANSFORMS } from '../analysis/transforms';
import { DEFAULT_SEIS_OPTIONS } from '../seis/types';
import type { AnalysisResult, ScoreCell } from '../shared/results';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpecs } from './args';
import type { CliIo } from './score';

export const ANALYZE_FLAGS = {
  inputs: { type: 'string', metavar: 'F.npy', help: 'probe tensor (N,C,H,W) or (N,H,W,C) in the model layout, fed as is' },
  images: { type: 'string', metavar: 'DIR', help: 'folder of PNG/JPEG probe images (resized, normalised)' },
  probes: { type: 'number', default: 32, integer: true, min: 2, max: 100000, help: 'number of built-in synthetic probes (when neither --inputs nor --images)' },
  probeSeed: { type: 'number', integer: true, min: 0, max: 0xffffffff, metavar: 'S', help: 'seed of the built-in probes (default: --seed)' },
  maxImages: { type: 'number', default: 64, integer: true, min: 1, max: 100000, help: 'images read from --images at most' },
  size: { type: 'string', metavar: 'HxW', help: 'probe size for dynamic input dims, e.g. 224 or 48x192 (default 224)' },
  normalize: { type: 'choice', choices: ['imagenet', 'symmetric', 'unit', 'raw255'], default: 'imagenet', help: 'pixel normalisation: ImageNet mean/std, (p-0.5)/0.5, [0,1], or [0,255]' },
  mean: { type: 'string', metavar: 'R,G,B', help: 'custom mean on [0,1] pixels (with --std; overrides --normalize)' },
  std: { type: 'string', metavar: 'R,G,B', help: 'custom std on [0,1] pixels (with --mean)' },
  bgr: { type: 'boolean', help: 'feed channels in BGR order' },
  fit: { type: 'choice', choices: ['crop', 'stretch'], default: 'crop', help: 'images reach the probe size by cover+centre-crop or by stretching' },
  transforms: { type: 'string', default: DEFAULT_TRANSFORMS.join(','), metavar: 'LIST', help: 'transform ids: rot90, rot180, rot270, rot<deg>, flip-h, flip-v, shift-x<px>[-y<px>], scale<f>, affine-s<seed>, identity' },
  layers: { type: 'string', default: 'default', metavar: 'SEL', help: "layers: default | all | op:Conv,Add | '/regex/' | name,name" },
  batch: { type: 'number', default: 8, integer: true, min: 1, max: 4096, help: 'probe images per forward pass' },
  maxPositions: { type: 'number', default: 1024, integer: true, min: 4, max: 1 << 20, help: 'maps with more positions are average-pooled down to this' },
  keep: { type: 'number', default: DEFAULT_SEIS_OPTIONS.keep, min: 0, minExclusive: true, max: 1, metavar: 'TAU', help: 'energy fraction kept by the SVD denoising (τ)' },
  nullPerms: { type: 'number', default: DEFAULT_SEIS_OPTIONS.nullPermutations, integer: true, min: 0, max: 1000, help: 'row permutations averaged into the null' },
  seed: { type: 'number', default: DEFAULT_SEIS_OPTIONS.seed, integer: true, min: 0, max: 0xffffffff, metavar: 'S', help: 'seed of the null permutations' },
  orientation: { type: 'choice', choices: ['spatial', 'channel'], default: 'spatial', help: "'spatial' is SEIS; 'channel' is the transposed diagnostic" },
  jobs: { type: 'number', integer: true, min: 1, max: 64, help: 'threads for the scoring (default: one per core)' },
  ep: { type: 'string', default: 'cpu', metavar: 'NAME', help: 'onnxruntime execution provider' },
  memoryBudget: { type: 'number', default: 512, integer: true, min: 16, max: 1 << 20, metavar: 'MIB', help: 'activations held at once; layers are processed in groups beyond it' },
  json: { type: 'string', metavar: 'OUT.json', help: "write the result document (schema in docs/results-schema.md); '-' for stdout" },
  html: { type: 'string', metavar: 'OUT.html', help: 'write a standalone HTML report' },
  csv: { type: 'string', metavar: 'OUT.csv', help: 'write one row per layer and transform' },
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

/** Output targets are checked before minutes of work, not after. */
function checkWritable(path: string | undefined, flag: string): void {
  if (!path || path === '-') return;
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`seis analyze: ${flag} ${path}: folder ${dir} does not exist; create it first`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`seis analyze: ${flag} ${path} is a folder; give a file name`);
}

export function writeAtomic(path: string, text: string): void {
  const tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, 'utf8');
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw new AnalysisError('bad-option', `could not write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; check the folder is writable`);
  }
}

const csvField = (v: unknown): string => {
  const s = v === undefined || v === null ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function resultToCsv(result: AnalysisResult): string {
  const header = ['layer', 'node', 'op', 'status', 'shape', 'positions', 'pooledPositions', 'transform', 'exact', 'equivariance', 'invariance', 'nullEquivariance', 'nullInvariance', 'rankClean', 'rankTransformed', 'r', 'observations', 'variables', 'underdetermined', 'message'];
  const rows: unknown[][] = [];
  const cellRow = (c: ScoreCell) => [c.exact, c.equivariance, c.invariance, c.null.equivariance, c.null.invariance, c.rankClean, c.rankTransformed, c.r, c.observations, c.variables, c.underdetermined];
  for (const [id, c] of Object.entries(result.inputFloor)) rows.push(['(input)', '', '', 'scored', result.model.probeInputShape.join('x'), '', '', id, ...cellRow(c), '']);
  for (const l of result.layers) {
    const base = [l.name, l.node, l.op, l.status, l.shape.join('x'), l.positions, l.pooledPositions ?? ''];
    const entries = Object.entries(l.scores);
    if (entries.length === 0) rows.push([...base, '', '', '', '', '', '', '', '', '', '', '', '', l.message ?? '']);
    for (const [id, c] of entries) rows.push([...base, id, ...cellRow(c), l.message ?? '']);
  }
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

export function summaryTable(result: AnalysisResult): string {
  const ids = result.transforms.map((t) => t.id);
  const f = (c: ScoreCell | undefined) => (c ? `${c.equivariance.toFixed(2)}/${c.invariance.toFixed(2)}${c.underdetermined ? '!' : ' '}` : '    —     ');
  const width = Math.min(40, Math.max(12, ...result.layers.map((l) => l.name.length)));
  const head = `${'layer'.padEnd(width)}  ${'op'.padEnd(14)} ${ids.map((id) => id.padEnd(11)).join(' ')}`;
  const lines = [`${result.model.fileName}: S_E/S_I per transform (null in the JSON; ! = underdetermined)`, head];
  lines.push(`${'(input floor)'.padEnd(width)}  ${''.padEnd(14)} ${ids.map((id) => f(result.inputFloor[id]).padEnd(11)).join(' ')}`);
  for (const l of result.layers) {
    const name = l.name.length > width ? `…${l.name.slice(-(width - 1))}` : l.name.padEnd(width);
    if (l.status !== 'scored') lines.push(`${name}  ${l.op.padEnd(14)} ${l.status}: ${l.message ?? ''}`);
    else lines.push(`${name}  ${l.op.padEnd(14)} ${ids.map((id) => f(l.scores[id]).padEnd(11)).join(' ')}`);
  }
  const t = result.timing;
  if (t) lines.push(`time ${(t.totalMs / 1000).toFixed(1)} s (inference ${(t.inferenceMs / 1000).toFixed(1)} s, scoring ${(t.scoringMs / 1000).toFixed(1)} s)`);
  for (const w of result.warnings) lines.push(`warning: ${w}`);
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
      const pct = Math.round(p.fraction * 100);
      if (tty) {
        const width = 24;
        const filled = Math.round(p.fraction * width);
        const cols = stream.columns ?? 100;
        const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${p.message}`;
        stream.write(`\r${text.slice(0, cols - 1).padEnd(Math.min(cols - 1, lastLine.length))}`);
        lastLine = text.slice(0, cols - 1);
        drawn = true;
        return;
      }
      // Not a terminal (CI logs, pipes): one line per stage or transform, not per layer.
      const key = `${p.stage}:${p.transform ?? ''}`;
      if (key === lastLine || p.stage === 'scoring') return;
      lastLine = key;
      io.stderr.write(`seis analyze: ${String(pct).padStart(3)}% ${p.message}\n`);
    },
    done() {
      if (tty && drawn) stream.write(`\r${' '.repeat(lastLine.length)}\r`);
    },
  };
}

export async function runAnalyzeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let request: AnalysisRequest;
  let outputs: { json?: string; html?: string; csv?: string };
  let quiet: boolean;
  try {
    const { flags, positionals } = parseArgs(argv, ANALYZE_FLAGS, { names: ['MODEL.onnx'], min: argv.includes('--help') ? 0 : 1 }, 'seis analyze');
    if (flags.help) {
      io.stdout.write(`${ANALYZE_USAGE}\n`);
      return 0;
    }
    if (flags.inputs && flags.images) throw new UsageError('seis analyze: give either --inputs (a .npy tensor) or --images (a folder), not both');
    if ((flags.mean === undefined) !== (flags.std === undefined)) throw new UsageError('seis analyze: --mean and --std go together');
    outputs = { json: flags.json, html: flags.html, csv: flags.csv };
    checkWritable(flags.json, '--json');
    checkWritable(flags.html, '--html');
    checkWritable(flags.csv, '--csv');
    quiet = flags.quiet;
    const normalize = flags.mean !== undefined && flags.std !== undefined ? { mean: parseTriple(flags.mean, '--mean'), std: parseTriple(flags.std, '--std') } : (flags.normalize as NormalizeName);
    request = {
      modelPath: resolve(positionals[0]),
      ...(flags.inputs ? { inputs: resolve(flags.inputs) } : {}),
      ...(flags.images ? { images: resolve(flags.images) } : {}),
      probeCount: flags.probes,
      ...(flags.probeSeed !== undefined ? { probeSeed: flags.probeSeed } : {}),
      maxImages: flags.maxImages,
      ...(flags.size ? { size: parseSize(flags.size) } : {}),
      normalize,
      bgr: flags.bgr,
      fit: flags.fit,
      transforms: flags.transforms.split(',').map((s) => s.trim()).filter(Boolean),
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
      includeCorrelations: flags.correlations,
      ...(flags.dumpActivations ? { dumpActivations: resolve(flags.dumpActivations) } : {}),
    };
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }

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
      if (err.code === 'cancelled') {
        io.stderr.write('seis analyze: interrupted; no output written\n');
        return 130;
      }
      io.stderr.write(`seis analyze: ${err.message}\n`);
      return err.code === 'runtime' ? 1 : 2;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  bar.done();

  try {
    if (outputs.json === '-') io.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
    else if (outputs.json) writeAtomic(outputs.json, `${JSON.stringify(result, null, 1)}\n`);
    if (outputs.csv) writeAtomic(outputs.csv, resultToCsv(result));
    if (outputs.html) {
      const { writeStandaloneReport } = await import('../report/standaloneHtml.js');
      writeStandaloneReport(outputs.html, [result]);
    }
  } catch (err) {
    io.stderr.write(`seis analyze: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (!outputs.json && !outputs.csv && !outputs.html) io.stdout.write(summaryTable(result));
  else if (!quiet) {
    const scored = result.layers.filter((l) => l.status === 'scored').length;
    const written = [outputs.json !== '-' ? outputs.json : undefined, outputs.html, outputs.csv].filter(Boolean).join(', ');
    io.stderr.write(`seis analyze: ${scored} layers scored under ${result.transforms.length} transforms${written ? `; wrote ${written}` : ''}\n`);
    for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
  }
  return 0;
}
