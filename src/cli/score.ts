/**
 * `seis score CLEAN.npy TRANSFORMED.npy`: SEIS of one pair of activation dumps, e.g. from PyTorch:
 *   np.save('clean.npy', feats(x).detach().cpu().numpy())
 *   np.save('rot.npy',   feats(torch.rot90(x, 1, (2, 3))).detach().cpu().numpy())
 * Row i of both files must come from the same probe image (and channel), in the same order.
 */
import type { ActivationLayout, ActivationTensor, MatMulBackend, PairScore, SeisOptions } from '../seis/types';
import { SeisInputError } from '../seis/types';
import { NpyFormatError, readNpyFile, type NpyArray } from '../io/npy';
import { excessOverNull, READING_RULE, READING_TEXT, readingOf, type Reading } from '../shared/reading';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpecs } from './args';
import { ANALYSIS_OPTIONS, ANALYSIS_VALUES } from '../shared/defaults';
import type { PatternPair } from '../shared/results';
import { terminalSafe } from './terminal';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const SCORE_FLAGS = {
  keep: { type: 'number', default: ANALYSIS_VALUES.keep.default, min: 0, minExclusive: true, max: 1, metavar: 'TAU', help: 'energy fraction kept by the SVD denoising (τ)' },
  nullPerms: { type: 'number', default: ANALYSIS_OPTIONS.nullPermutations.default, integer: true, min: ANALYSIS_OPTIONS.nullPermutations.min, max: ANALYSIS_OPTIONS.nullPermutations.max, help: 'row permutations averaged into the null' },
  seed: { type: 'number', default: ANALYSIS_OPTIONS.seed.default, integer: true, min: ANALYSIS_OPTIONS.seed.min, max: ANALYSIS_OPTIONS.seed.max, metavar: 'S', help: 'seed of the null permutations' },
  orientation: { type: 'choice', choices: ['spatial', 'channel'], default: ANALYSIS_VALUES.orientation.default, help: "'spatial' is SEIS; 'channel' is the transposed diagnostic (variables = channels)" },
  layout: { type: 'choice', choices: ['NCHW', 'NHWC', 'tokens'], help: 'memory layout of the arrays (default: rank 4 → NCHW, rank 3 → tokens)' },
  backend: { type: 'choice', choices: ['ort', 'js'], default: 'ort', help: "matrix products through onnxruntime ('ort', fast) or plain JS ('js')" },
  patterns: { type: 'number', default: ANALYSIS_OPTIONS.patterns.default, integer: true, min: ANALYSIS_OPTIONS.patterns.min, max: ANALYSIS_OPTIONS.patterns.max, help: 'also give the top N canonical patterns (maps over positions; docs/patterns.md)' },
  json: { type: 'boolean', help: 'print exactly one JSON object on stdout instead of the table' },
  help: { type: 'boolean', help: 'show this help' },
} as const satisfies FlagSpecs;

export const SCORE_USAGE = `Usage: seis score CLEAN.npy TRANSFORMED.npy [options]

Scores how a layer's activations keep (equivariance S_E) or discard (invariance S_I) a transform,
from two NumPy .npy dumps of the same layer: on the clean probes and on the transformed probes,
same images in the same order. Shapes (b, c, h, w) or (b, tokens, dim); little-endian
float16/float32/float64 in C order (numpy.save of a contiguous array). From PyTorch:

  np.save('clean.npy', layer_out(x).detach().cpu().numpy())
  np.save('rot90.npy', layer_out(torch.rot90(x, 1, (2, 3))).detach().cpu().numpy())
  seis score clean.npy rot90.npy

Options:
${formatFlagHelp(SCORE_FLAGS)}

Every score is printed beside its null (the same score with the transformed rows shuffled) and
its margin over that null. The reading (docs/method.md): ${READING_RULE}.
With --json, scores that do not exist (constant layers) are null.

Exit codes: 0 scored, 2 bad input or usage, 1 unexpected failure.`;

/** What `--json` prints: the PairScore plus where it came from. */
export interface ScoreJson extends PairScore {
  readonly reading: ScoreReading;
  readonly keep: number;
  readonly seed: number;
  readonly backend: string;
  readonly clean: { readonly file: string; readonly shape: number[]; readonly dtype: string };
  readonly transformed: { readonly file: string; readonly shape: number[]; readonly dtype: string };
  readonly seconds: number;
  /** With --patterns N: the top canonical pairs as maps (docs/results-schema.md). */
  readonly patterns?: readonly PatternPair[];
}

/** The shared reading of the pair (src/shared/reading.ts) and its sentence. */
export interface ScoreReading {
  readonly kind: Reading;
  readonly text: string;
}

export function readScore(score: PairScore): ScoreReading {
  const kind = readingOf(score);
  return { kind, text: READING_TEXT[kind] };
}

/** Runs `seis score`; resolves to the exit code. Never throws for bad input. */
export async function runScoreCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const started = Date.now();
  let parsed;
  try {
    parsed = parseArgs(argv, SCORE_FLAGS, { names: ['CLEAN.npy', 'TRANSFORMED.npy'] }, 'seis score');
  } catch (err) {
    if (err instanceof UsageError && argv.includes('--help')) return help(io);
    return reportError(err, io);
  }
  const { flags, positionals } = parsed;
  if (flags.help) return help(io);
  const [cleanPath, transformedPath] = positionals;
  try {
    const clean = readNpyFile(cleanPath);
    const transformed = readNpyFile(transformedPath);
    checkPair(clean, cleanPath, transformed, transformedPath);
    const layout = flags.layout as ActivationLayout | undefined;
    const options: SeisOptions = {
      keep: flags.keep,
      nullPermutations: flags.nullPerms,
      seed: flags.seed,
      orientation: flags.orientation,
    };
    const backend = await loadBackend(flags.backend);
    const { scorePair, scorePairWithPatterns, patternPairs } = await import('../seis/index.js');
    let score: PairScore;
    let patterns: PatternPair[] | undefined;
    try {
      if (flags.patterns > 0) {
        const withPatterns = await scorePairWithPatterns(tensor(clean, layout), tensor(transformed, layout), flags.patterns, options, backend.backend);
        score = withPatterns.score;
        patterns = patternPairs(withPatterns.patterns, withPatterns.grid);
      } else {
        score = await scorePair(tensor(clean, layout), tensor(transformed, layout), options, backend.backend);
      }
    } finally {
      await backend.dispose();
    }
    const result: ScoreJson = {
      ...score,
      reading: readScore(score),
      keep: options.keep,
      seed: options.seed,
      backend: backend.backend.name,
      clean: { file: cleanPath, shape: clean.shape, dtype: clean.dtype },
      transformed: { file: transformedPath, shape: transformed.shape, dtype: transformed.dtype },
      seconds: (Date.now() - started) / 1000,
      ...(patterns ? { patterns } : {}),
    };
    io.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : terminalSafe(formatTable(result)));
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

function help(io: CliIo): number {
  io.stdout.write(`${SCORE_USAGE}\n`);
  return 0;
}

function tensor(array: NpyArray, layout: ActivationLayout | undefined): ActivationTensor {
  return layout ? { data: array.data, shape: array.shape, layout } : { data: array.data, shape: array.shape };
}

/** File-level checks that can name the file; the core re-checks what it needs. */
function checkPair(clean: NpyArray, cleanPath: string, transformed: NpyArray, transformedPath: string): void {
  for (const [array, path] of [[clean, cleanPath], [transformed, transformedPath]] as const) {
    if (array.shape.length < 3) {
      throw new SeisInputError(
        `${path}: shape (${array.shape.join(', ')}) has no spatial or token axis; SEIS needs (b, c, h, w) or (b, tokens, dim) activations`,
      );
    }
    if (array.shape.length > 4) {
      throw new SeisInputError(`${path}: shape (${array.shape.join(', ')}) has rank ${array.shape.length}; expected (b, c, h, w) or (b, tokens, dim)`);
    }
    let nonFinite = 0;
    for (let i = 0; i < array.data.length; i++) if (!Number.isFinite(array.data[i])) nonFinite++;
    if (nonFinite > 0) {
      throw new SeisInputError(
        `${path}: ${nonFinite} of ${array.data.length} values are NaN or Inf; SEIS cannot score them. ` +
          'Check the model for overflow (float16 activations saturate at 65504) or the probes for invalid pixels',
      );
    }
  }
  const same = clean.shape.length === transformed.shape.length && clean.shape.every((s, i) => s === transformed.shape[i]);
  if (!same) {
    throw new SeisInputError(
      `shapes differ: ${cleanPath} is (${clean.shape.join(', ')}) but ${transformedPath} is (${transformed.shape.join(', ')}); ` +
        'both files must hold the same layer for the same probe images',
    );
  }
}

interface LoadedBackend {
  readonly backend: MatMulBackend;
  dispose(): Promise<void>;
}

async function loadBackend(name: 'ort' | 'js'): Promise<LoadedBackend> {
  if (name === 'js') {
    const { jsMatMulBackend } = await import('../seis/index.js');
    return { backend: jsMatMulBackend, dispose: async () => {} };
  }
  let mod: typeof import('../analysis/ortMatMulBackend.js');
  try {
    mod = await import('../analysis/ortMatMulBackend.js');
  } catch (err) {
    throw new CliFailure(`cannot load the onnxruntime backend (${(err as Error).message.split('\n')[0]}); run 'npm ci', or pass --backend js`);
  }
  const backend = await mod.createOrtMatMulBackend();
  const disposable = backend as MatMulBackend & { dispose?: () => unknown; release?: () => unknown };
  return {
    backend,
    dispose: async () => {
      await (disposable.dispose ?? disposable.release)?.call(disposable);
    },
  };
}

/** An expected failure with a message for the user. */
class CliFailure extends Error {}

function reportError(err: unknown, io: CliIo): number {
  if (err instanceof UsageError || err instanceof NpyFormatError || err instanceof SeisInputError || err instanceof CliFailure) {
    const hint = err instanceof UsageError ? " (see 'seis score --help')" : '';
    io.stderr.write(terminalSafe(`seis score: ${err.message.replace(/^seis score: /, '')}${hint}`) + '\n');
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(terminalSafe(`seis score: unexpected failure: ${message.split('\n')[0]}`) + '\n');
  if (process.env.SEIS_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return 1;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : '—';
}

export function formatTable(s: ScoreJson): string {
  const lines: string[] = [];
  const shape = (x: { shape: number[]; dtype: string }): string => `(${x.shape.join(', ')}) ${x.dtype}`;
  lines.push(`clean        ${s.clean.file}  ${shape(s.clean)}`);
  lines.push(`transformed  ${s.transformed.file}  ${shape(s.transformed)}`);
  const what = s.orientation === 'spatial' ? 'SEIS (spatial: variables = positions)' : 'channel diagnostic (variables = channels; not SEIS)';
  lines.push(`orientation  ${what}`);
  lines.push(`n = ${s.observations} observations, d = ${s.variables} variables, kept ranks k = ${s.rankClean}, k' = ${s.rankTransformed} (τ = ${s.keep}), r = ${s.r}`);
  lines.push('');
  const nullHead = `null (${s.null.permutations} perm${s.null.permutations === 1 ? '' : 's'})`;
  const margin = (measure: 'equivariance' | 'invariance') => fmt(excessOverNull(s, measure) ?? Number.NaN);
  const rows = [
    ['', 'score', nullHead, 'score − null'],
    ['equivariance S_E', fmt(s.equivariance), fmt(s.null.equivariance), margin('equivariance')],
    ['invariance   S_I', fmt(s.invariance), fmt(s.null.invariance), margin('invariance')],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) lines.push(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ').trimEnd());
  lines.push('');
  lines.push(`reading      ${s.reading.kind}: ${s.reading.text}`);
  for (const [i, p] of (s.patterns ?? []).entries()) {
    lines.push(`${i === 0 ? 'patterns' : ''}`.padEnd(13) + `${i + 1}. ρ ${fmt(p.rho)}  |cos(w, v)| ${fmt(p.cosine)}  on ${p.height}×${p.width}${p.tied ? '  (tied)' : ''}`);
  }
  if (s.patterns) lines.push(`${''.padEnd(13)}(the maps themselves are in --json)`);
  if (s.warnings.length === 0) lines.push('warnings     none');
  else for (const [i, w] of s.warnings.entries()) lines.push(`${i === 0 ? 'warnings' : ''}`.padEnd(13) + `- ${w}`);
  lines.push(`backend ${s.backend}, ${s.seconds.toFixed(2)} s`);
  return `${lines.join('\n')}\n`;
}
