/**
 * `npm run bench:core`: `seis score`-equivalent work (read two .npy files, SEIS with 3 null
 * permutations) in the TS core — onnxruntime backend and pure-JS backend — and in two Python
 * baselines on the same files, side by side in one run. Not a test: it prints figures and checks that
 * the scores agree.
 * - numpy (bench/core_numpy.py): thin SVDs of the full matrices via LAPACK, as docs/method.md states it;
 * - SciPy (bench/core_scipy.py): what a numerical Python engineer would write for speed — Gram on the
 *   smaller side, eigvalsh for the rank, eigh(subset_by_index, driver='evr') for the kept vectors,
 *   small products for the CCA and the nulls. This is the yardstick (target core/SciPy ≤ 1).
 *
 * --model KEY (cnn-plain, cls, cls-48x192, det, rec, isnet: bench/models.ts) benchmarks a real model's
 * scoring instead of the synthetic pairs: `seis analyze` runs once with --dump-activations, then the
 * same dumped (pooled) activations of every scored layer and of the input floor are scored by the core
 * and by the SciPy route written per layer (clean basis once, then each transform), side by side; the
 * engine's own timing is printed beside them. This is the whole scoring a model needs, which the
 * end-to-end wall targets rest on.
 *
 * Options: --repeats N (best of N for the ort core and the baselines; default 2), --skip-js,
 *          --python PATH (the baselines' interpreter; default $SEIS_BENCH_PYTHON or python3),
 *          --scipy-python PATH[,PATH…] (SciPy under several interpreters, e.g. python3,/usr/bin/python3
 *          for Debian's python3-scipy; the ratio uses the fastest), --all-threads, --keep-openblas-env.
 * Python runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (they are set
 * on some machines here because old OpenBLAS builds compute wrong results or crash without them, and
 * they slow a current one down); --keep-openblas-env keeps them. The baselines run with one OpenBLAS
 * thread: OpenBLAS's threads spin while they wait, and on this 2-core machine shared with other work
 * its default threading measured several-fold slower (e.g. numpy 75 s instead of 4.8 s); --all-threads
 * also runs them with the default threads, and the ratio uses the fastest configuration.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpyFile, writeNpyFile } from '../src/io/npy';
import {
  createRandom,
  decomposeCleanTensor,
  decomposeTensor,
  DEFAULT_SEIS_OPTIONS,
  jsMatMulBackend,
  nullPermutation,
  scoreDecomposed,
  scorePair,
  type ActivationTensor,
  type MatMulBackend,
  type PairScore,
  type SeisOptions,
} from '../src/seis';
import { TIE_MIN_RHO, TIE_TOLERANCE } from '../src/seis/score';
import { createOrtMatMulBackend } from '../src/analysis/ortMatMulBackend';
import { dumpedLayerStem, INPUT_DUMP_STEM } from '../src/analysis/pipeline/cells';
import { startAnalysis } from '../src/analysis/runner';
import type { AnalysisResult, ScoreCell } from '../src/shared/results';
import { benchModels, buildBundle, installHint, WORKER } from './models';

interface BenchCase {
  readonly name: string;
  readonly shape: readonly [number, number, number, number];
}

const CASES: BenchCase[] = [
  { name: '(64,64,32,32) rot90', shape: [64, 64, 32, 32] },
  { name: '(64,16,56,56) rot90', shape: [64, 16, 56, 56] },
];
const NULL_PERMUTATIONS = 3;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const repeats = Math.max(1, Number(flag('--repeats') ?? 2));
const skipJs = process.argv.includes('--skip-js');
const python = flag('--python') ?? process.env.SEIS_BENCH_PYTHON ?? 'python3';
const scipyPythons = (flag('--scipy-python') ?? python).split(',');
const allThreads = process.argv.includes('--all-threads');
/** Scores agree when every one of S_E, S_I and their nulls is within this of the other implementation's. */
const AGREEMENT = 1e-9;
const keepOpenblasEnv = process.argv.includes('--keep-openblas-env');

/** Seeded standard normals (Box–Muller over the project's splitmix generator). */
function normals(seed: number): () => number {
  const next = createRandom(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - next();
    const v = next();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

/** In-place circular Gaussian blur of an h×w map (separable), then unit variance. */
function smoothInPlace(map: Float64Array, h: number, w: number, sigma: number): void {
  const radius = Math.ceil(3 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const tmp = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let t = -radius; t <= radius; t++) acc += kernel[t + radius] * map[y * w + ((x + t + w * 8) % w)];
      tmp[y * w + x] = acc / total;
    }
  }
  let sum = 0;
  let sumSq = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let t = -radius; t <= radius; t++) acc += kernel[t + radius] * tmp[((y + t + h * 8) % h) * w + x];
      const value = acc / total;
      map[y * w + x] = value;
      sum += value;
      sumSq += value * value;
    }
  }
  const mean = sum / (h * w);
  const sd = Math.sqrt(Math.max(sumSq / (h * w) - mean * mean, 1e-12));
  for (let i = 0; i < h * w; i++) map[i] = (map[i] - mean) / sd;
}

/**
 * A conv-layer-like pair: per image, L smooth latent fields of several widths; channels are
 * ReLU(mix · latents + bias + noise). The transformed activations see the latents rotated by 90°
 * and a partly different channel mix (the layer is only approximately equivariant), plus new noise.
 */
function makePair(shape: readonly [number, number, number, number], seed: number): { clean: Float32Array; transformed: Float32Array } {
  const [b, c, h, w] = shape;
  const latent = 12;
  const randn = normals(seed);
  const mix = new Float64Array(c * latent).map((_, i) => randn() * 0.8 ** (i % latent));
  const mixT = mix.map((x, i) => 0.75 * x + 0.45 * randn() * 0.8 ** (i % latent));
  const bias = new Float64Array(c).map(() => 0.3 * randn());
  const clean = new Float32Array(b * c * h * w);
  const transformed = new Float32Array(b * c * h * w);
  const positions = h * w;
  const fields = new Float64Array(latent * positions);
  const rotated = new Float64Array(latent * positions);
  for (let s = 0; s < b; s++) {
    for (let l = 0; l < latent; l++) {
      const field = fields.subarray(l * positions, (l + 1) * positions);
      for (let i = 0; i < positions; i++) field[i] = randn();
      smoothInPlace(field, h, w, 1.2 + (l % 4) * 1.3);
      // rot90 counter-clockwise, as numpy.rot90(x, 1, axes=(-2, -1)): out[y][x] = in[x][w-1-y] (square maps)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rotated[l * positions + y * w + x] = field[x * w + (w - 1 - y)];
    }
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * positions;
      for (let p = 0; p < positions; p++) {
        let a = bias[ch] + 0.05 * randn();
        let t = bias[ch] + 0.05 * randn();
        for (let l = 0; l < latent; l++) {
          a += mix[ch * latent + l] * fields[l * positions + p];
          t += mixT[ch * latent + l] * rotated[l * positions + p];
        }
        clean[base + p] = a > 0 ? a : 0;
        transformed[base + p] = t > 0 ? t : 0;
      }
    }
  }
  return { clean, transformed };
}

interface Timed {
  seconds: number;
  /** CPU time of the whole process (all threads, onnxruntime's included). */
  cpuSeconds: number;
  score: PairScore;
}

async function timeCore(clean: string, transformed: string, backend: MatMulBackend): Promise<Timed> {
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const a = readNpyFile(clean);
  const b = readNpyFile(transformed);
  const score = await scorePair({ data: a.data, shape: a.shape }, { data: b.data, shape: b.shape }, { nullPermutations: NULL_PERMUTATIONS }, backend);
  const cpu = process.cpuUsage(startedCpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, score };
}

interface BaselineCase {
  name: string;
  seconds: number;
  cpuSeconds: number;
  equivariance: number;
  invariance: number;
  rankClean: number;
  rankTransformed: number;
  null: { equivariance: number; invariance: number };
}

type Scores = { equivariance: number; invariance: number; null: { equivariance: number; invariance: number } };

function scoreDifferences(a: Scores, b: Scores): [string, number][] {
  return [
    ['S_E', Math.abs(a.equivariance - b.equivariance)],
    ['S_I', Math.abs(a.invariance - b.invariance)],
    ['null S_E', Math.abs(a.null.equivariance - b.null.equivariance)],
    ['null S_I', Math.abs(a.null.invariance - b.null.invariance)],
  ];
}

/** Largest absolute difference, which score it is in, and whether it is within AGREEMENT. */
function maxDiff(a: PairScore, b: Scores): string {
  const [name, value] = scoreDifferences(a, b).reduce((x, y) => (y[1] > x[1] || Number.isNaN(y[1]) ? y : x));
  return `${value.toExponential(2)} (${name}; ${value <= AGREEMENT ? `agree to ${AGREEMENT}` : `DISAGREE beyond ${AGREEMENT}`})`;
}

type BaselineRun = { numpy: string; scipy?: string; python: string; blas: Record<string, unknown>[]; cases: BaselineCase[]; label: string };

/** One Python baseline script under each interpreter and thread setting; null entries did not run. */
function runBaselines(script: string, pythons: string[], specPath: string, env: NodeJS.ProcessEnv, installHint: string): BaselineRun[] {
  const settings: [string, Record<string, string>][] = [['1 thread', { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' }]];
  if (allThreads) settings.push(['default threads', {}]);
  const runs: BaselineRun[] = [];
  for (const interpreter of pythons) {
    for (const [setting, extraEnv] of settings) {
      const label = `${interpreter}, ${setting}`;
      const run = spawnSync(interpreter, [join(__dirname, script), specPath], { env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      if (run.status !== 0) {
        const why = run.error ? run.error.message : (run.stderr || '').trim().split('\n').pop();
        console.log(`${script} (${label}) not run (${why}); ${installHint}`);
        continue;
      }
      runs.push({ ...JSON.parse(run.stdout), label });
    }
  }
  return runs;
}

const SCIPY_HINT = "install it with 'apt-get install -y python3-scipy' or pass --scipy-python PATH";

/** The baselines' case file, and their environment (see the header on the OpenBLAS variables). */
function baselineInputs(dir: string, spec: unknown): { specPath: string; env: NodeJS.ProcessEnv; openblasEnv: string } {
  const specPath = join(dir, 'cases.json');
  writeFileSync(specPath, JSON.stringify(spec));
  const env = { ...process.env };
  if (!keepOpenblasEnv) {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  const openblasEnv = keepOpenblasEnv ? `OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE ?? ''} OPENBLAS_L2_SIZE=${env.OPENBLAS_L2_SIZE ?? ''}` : 'OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset';
  return { specPath, env, openblasEnv };
}

function describeBaselines(name: string, runs: BaselineRun[], openblasEnv: string): void {
  const seen = new Set<string>();
  for (const run of runs) {
    if (seen.has(run.python)) continue;
    seen.add(run.python);
    const versions = `numpy ${run.numpy}${run.scipy ? `, scipy ${run.scipy}` : ''}`;
    const blas = run.blas.filter((lib) => lib.architecture).map((lib) => `${String(lib.config ?? lib.version ?? '')} kernel ${String(lib.architecture)}`.trim());
    console.log(`${name}: ${run.python} (${versions}), ${openblasEnv}; BLAS: ${[...new Set(blas)].join('; ') || JSON.stringify(run.blas)}`);
  }
}

/** The fastest run of one case among a baseline's configurations. */
function fastest(runs: BaselineRun[], index: number): (BaselineCase & { label: string }) | undefined {
  const candidates = runs.map((run) => ({ ...run.cases[index], label: run.label }));
  return candidates.length > 0 ? candidates.reduce((a, b) => (b.seconds < a.seconds ? b : a)) : undefined;
}

/** One scored layer (or the input floor) of a dumped analysis: its clean array and each transform's. */
interface DumpedLayer {
  readonly name: string;
  readonly clean: string;
  readonly transforms: { readonly id: string; readonly path: string; readonly engine: ScoreCell }[];
  readonly observations: number;
}

function dumpedLayers(result: AnalysisResult, dumpDir: string): { layers: DumpedLayer[]; skipped: string[] } {
  const files = readdirSync(dumpDir);
  const layers: DumpedLayer[] = [];
  const skipped: string[] = [];
  const add = (name: string, stem: string | undefined, scores: Readonly<Record<string, ScoreCell>>) => {
    const transforms = Object.entries(scores)
      .filter(([id]) => stem !== undefined && files.includes(`${stem}.${id}.npy`))
      .map(([id, engine]) => ({ id, path: join(dumpDir, `${stem}.${id}.npy`), engine }));
    if (!stem || !files.includes(`${stem}.clean.npy`) || transforms.length === 0) return void skipped.push(`${name} (no dumped arrays)`);
    layers.push({ name, clean: join(dumpDir, `${stem}.clean.npy`), transforms, observations: transforms[0].engine.observations });
  };
  add('(input floor)', INPUT_DUMP_STEM, result.inputFloor);
  for (const [index, layer] of result.layers.entries()) {
    if (layer.status !== 'scored') continue;
    // Token layers matricize differently from (b,c,h,w); the Python side only reads the latter.
    if (layer.layout === 'tokens') skipped.push(`${layer.name} (token layer)`);
    else add(layer.name, dumpedLayerStem(files, index), layer.scores);
  }
  return { layers, skipped };
}

/** The core's scoring of one dumped layer as the engine does it: the clean basis once, the transforms side by side. */
async function timeLayerCore(layer: DumpedLayer, options: SeisOptions, backend: MatMulBackend): Promise<{ seconds: number; cpuSeconds: number; scores: PairScore[] }> {
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const load = (path: string): ActivationTensor => ({ ...readNpyFile(path), layout: 'NCHW' });
  const { basis } = await decomposeCleanTensor(load(layer.clean), options, backend, 'clean activations');
  const scores = await Promise.all(
    layer.transforms.map(async (t) => {
      const moved = await decomposeTensor(load(t.path), options, backend, 'transformed activations');
      return scoreDecomposed(basis, moved.basis, options, backend);
    }),
  );
  const cpu = process.cpuUsage(startedCpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, scores };
}

async function benchModel(key: string): Promise<void> {
  const entry = benchModels.find((m) => m.key === key);
  if (!entry) throw new Error(`unknown --model ${key}; one of ${benchModels.map((m) => m.key).join(', ')}`);
  const modelPath = entry.model();
  if (!modelPath) throw new Error(`${key}: model not found; ${installHint(key)}`);
  buildBundle();
  const dir = mkdtempSync(join(tmpdir(), 'seis-bench-model-'));
  const disposables: { dispose(): Promise<void> }[] = [];
  try {
    console.log(`seis core benchmark on a real model's scoring: ${key}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}`);
    // --keep-dump DIR keeps the arrays (e.g. to look into one cell with `seis score`).
    const dumpDir = flag('--keep-dump') ?? join(dir, 'dump');
    const analysisStarted = performance.now();
    const result = await startAnalysis({ modelPath, ...entry.extra, dumpActivations: dumpDir }, { workerPath: WORKER }).result;
    const analysisSeconds = (performance.now() - analysisStarted) / 1000;
    const { layers, skipped } = dumpedLayers(result, dumpDir);
    const { keep, seed, nullPermutations } = result.settings;
    const options: SeisOptions = { ...DEFAULT_SEIS_OPTIONS, keep, seed, nullPermutations };
    const cells = layers.reduce((sum, l) => sum + l.transforms.length, 0);
    console.log(
      `seis analyze (with the dump): ${analysisSeconds.toFixed(1)} s wall; engine scoring ${((result.timing?.scoringMs ?? 0) / 1000).toFixed(1)} s, ` +
        `inference ${((result.timing?.inferenceMs ?? 0) / 1000).toFixed(1)} s (they overlap). ${layers.length} array sets, ${cells} score cells, ${nullPermutations} nulls each` +
        (skipped.length ? `; not compared: ${skipped.join(', ')}` : ''),
    );
    const spec = {
      repeats,
      cases: layers.map((l) => ({
        name: l.name,
        clean: l.clean,
        transforms: l.transforms.map((t) => t.path),
        keep,
        ties: { tolerance: TIE_TOLERANCE, minRho: TIE_MIN_RHO },
        permutations: Array.from({ length: nullPermutations }, (_, i) => Array.from(nullPermutation(l.observations, seed, i))),
      })),
    };
    const { specPath, env, openblasEnv } = baselineInputs(dir, spec);
    const scipyRuns = runBaselines('core_scipy.py', scipyPythons, specPath, env, SCIPY_HINT);
    describeBaselines('SciPy', scipyRuns, openblasEnv);

    const ort = await createOrtMatMulBackend();
    disposables.push(ort);
    // Untimed: the threads' start and the JIT's first compilations, which Python's per-case times
    // (taken after its imports) do not include either.
    if (layers.length > 0) await timeLayerCore(layers[0], options, ort);
    let coreSeconds = 0;
    let coreCpu = 0;
    let worstScipyE = 0;
    let worstScipyI = 0;
    let worstEngine = 0;
    const invarianceBeyond: string[] = [];
    const equivarianceBeyond: string[] = [];
    let tiedCells = 0;
    const slowest: { name: string; core: number; scipy: number }[] = [];
    for (const [index, layer] of layers.entries()) {
      let core = await timeLayerCore(layer, options, ort);
      for (let r = 1; r < repeats; r++) {
        const again = await timeLayerCore(layer, options, ort);
        if (again.seconds < core.seconds) core = again;
      }
      coreSeconds += core.seconds;
      coreCpu += core.cpuSeconds;
      const scipy = scipyRuns.length > 0 ? fastestLayer(scipyRuns, index) : undefined;
      slowest.push({ name: layer.name, core: core.seconds, scipy: scipy?.seconds ?? Number.NaN });
      for (const [t, score] of core.scores.entries()) {
        const engine = layer.transforms[t].engine;
        worstEngine = Math.max(worstEngine, largestDifference(score, { ...engine, null: engine.null ?? { equivariance: Number.NaN, invariance: Number.NaN } }));
        const other = scipy?.scores[t];
        if (!other) continue;
        const [equivariance, invarianceOnly, nullEquivariance, nullInvariance] = scoreDifferences(score, other).map(([, value]) => value);
        worstScipyE = Math.max(worstScipyE, equivariance, nullEquivariance);
        if (!(Math.max(equivariance, nullEquivariance) <= AGREEMENT)) {
          equivarianceBeyond.push(`${layer.name} ${layer.transforms[t].id} ${equivariance.toExponential(1)} (null ${nullEquivariance.toExponential(1)}), ranks ${score.rankClean}/${score.rankTransformed} of n ${score.observations}`);
        }
        const invariance = Math.max(invarianceOnly, nullInvariance);
        if (other.tiedPairs > 0) {
          tiedCells++;
        } else {
          worstScipyI = Math.max(worstScipyI, invariance);
          if (!(invariance <= AGREEMENT)) invarianceBeyond.push(`${layer.name} ${layer.transforms[t].id} ${invariance.toExponential(1)}`);
        }
      }
    }
    const scipyTotals = scipyRuns.map((run) => ({ label: run.label, seconds: run.cases.reduce((sum, c) => sum + c.seconds, 0), cpu: run.cases.reduce((sum, c) => sum + c.cpuSeconds, 0) }));
    const best = scipyTotals.length > 0 ? scipyTotals.reduce((a, b) => (b.seconds < a.seconds ? b : a)) : undefined;
    console.log('');
    console.log(`${key}: the scoring of ${layers.length} array sets (${cells} cells), each layer timed from reading its .npy files to its scores`);
    console.log(`  wall: core(ort) ${coreSeconds.toFixed(1)} s  SciPy ${best ? `${best.seconds.toFixed(1)} s (${best.label})` : 'n/a'}   core/SciPy ${best ? (coreSeconds / best.seconds).toFixed(2) : 'n/a'}`);
    console.log(`  cpu:  core(ort) ${coreCpu.toFixed(1)} s  SciPy ${best ? `${best.cpu.toFixed(1)} s` : 'n/a'}   core/SciPy ${best ? (coreCpu / best.cpu).toFixed(2) : 'n/a'}`);
    for (const total of scipyTotals.length > 1 ? scipyTotals : []) console.log(`  SciPy ${total.label}: ${total.seconds.toFixed(1)} s wall, ${total.cpu.toFixed(1)} s CPU`);
    console.log(`  the engine's own run: wall ${analysisSeconds.toFixed(1)} s for inference + capture + this scoring, pipelined (target ≤ ${entry.targetS} s)`);
    console.log(`  max |core − engine| ${worstEngine.toExponential(2)} (the same core on the same arrays: expected 0)`);
    if (best) {
      console.log(`  max |core − SciPy|: S_E and its null ${worstScipyE.toExponential(2)}; S_I and its null ${worstScipyI.toExponential(2)} over the ${cells - tiedCells} cells without tied ρ`);
      console.log(`    (${tiedCells} cells have tied canonical correlations, where S_I follows the core's documented basis and a plain SVD's does not)`);
      if (equivarianceBeyond.length > 0) console.log(`    S_E beyond ${AGREEMENT}: ${equivarianceBeyond.slice(0, 8).join('; ')}`);
      if (invarianceBeyond.length > 0) console.log(`    S_I beyond ${AGREEMENT} without ties: ${invarianceBeyond.slice(0, 8).join('; ')}`);
    }
    console.log('  slowest layers (core / SciPy, s):');
    for (const l of slowest.sort((a, b) => b.core - a.core).slice(0, 5)) console.log(`    ${l.core.toFixed(2)} / ${l.scipy.toFixed(2)}  ${l.name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all(disposables.map((d) => d.dispose()));
  }
}

type LayerBaseline = { name: string; seconds: number; cpuSeconds: number; scores: (Scores & { tiedPairs: number })[] };

/** The fastest run of one layer among the baseline's configurations. */
function fastestLayer(runs: BaselineRun[], index: number): LayerBaseline {
  const candidates = runs.map((run) => run.cases[index] as unknown as LayerBaseline);
  return candidates.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

function largestDifference(a: Scores, b: Scores): number {
  return Math.max(...scoreDifferences(a, b).map(([, value]) => value));
}

async function main(): Promise<void> {
  const modelKey = flag('--model');
  if (modelKey) return benchModel(modelKey);
  const dir = mkdtempSync(join(tmpdir(), 'seis-bench-'));
  const disposables: { dispose(): Promise<void> }[] = [];
  try {
    console.log(`seis core benchmark: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}, ${NULL_PERMUTATIONS} null permutations, best of ${repeats}`);
    const files = CASES.map((c, index) => {
      const started = performance.now();
      const { clean, transformed } = makePair(c.shape, 1000 + index);
      const cleanPath = join(dir, `case${index}.clean.npy`);
      const transformedPath = join(dir, `case${index}.transformed.npy`);
      writeNpyFile(cleanPath, { data: clean, shape: c.shape });
      writeNpyFile(transformedPath, { data: transformed, shape: c.shape });
      console.log(`generated ${c.name}: ${((clean.byteLength * 2) / 2 ** 20).toFixed(1)} MiB of float32 .npy in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return { ...c, cleanPath, transformedPath, n: c.shape[0] * c.shape[1] };
    });

    const spec = {
      repeats,
      cases: files.map((f) => ({
        name: f.name,
        clean: f.cleanPath,
        transformed: f.transformedPath,
        keep: DEFAULT_SEIS_OPTIONS.keep,
        nullPermutations: NULL_PERMUTATIONS,
        permutations: Array.from({ length: NULL_PERMUTATIONS }, (_, i) => Array.from(nullPermutation(f.n, DEFAULT_SEIS_OPTIONS.seed, i))),
      })),
    };
    const { specPath, env, openblasEnv } = baselineInputs(dir, spec);
    const numpyRuns = runBaselines('core_numpy.py', [python], specPath, env, "install it with 'apt-get install -y python3-numpy' or pass --python PATH");
    const scipyRuns = runBaselines('core_scipy.py', scipyPythons, specPath, env, SCIPY_HINT);
    describeBaselines('numpy', numpyRuns, openblasEnv);
    describeBaselines('SciPy', scipyRuns, openblasEnv);

    const ort = await createOrtMatMulBackend();
    const ortSingle = await createOrtMatMulBackend({ intraOpThreads: 1 });
    disposables.push(ort, ortSingle);
    console.log('');
    for (const [index, f] of files.entries()) {
      let best: Timed | null = null;
      for (let r = 0; r < repeats; r++) {
        const run = await timeCore(f.cleanPath, f.transformedPath, ort);
        if (!best || run.seconds < best.seconds) best = run;
      }
      const coreOrt = best!;
      let single: Timed | null = null;
      for (let r = 0; r < repeats; r++) {
        const run = await timeCore(f.cleanPath, f.transformedPath, ortSingle);
        if (!single || run.seconds < single.seconds) single = run;
      }
      const coreJs = skipJs ? null : await timeCore(f.cleanPath, f.transformedPath, jsMatMulBackend);
      const np = fastest(numpyRuns, index);
      const sp = fastest(scipyRuns, index);
      const s = coreOrt.score;
      const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : 'n/a');
      const flagNote = s.underdetermined ? "  UNDERDETERMINED (n < k + k': S_I depends on the choice of basis among canonical correlations ≈ 1)" : '';
      console.log(`${f.name}  n=${s.observations} d=${s.variables} k=${s.rankClean} k'=${s.rankTransformed}, ${NULL_PERMUTATIONS} nulls${flagNote}`);
      console.log(
        `  wall: core(ort) ${coreOrt.seconds.toFixed(2)} s  SciPy ${sp ? `${sp.seconds.toFixed(2)} s` : 'n/a'}  numpy ${np ? `${np.seconds.toFixed(2)} s` : 'n/a'}  ` +
          `core(js) ${coreJs ? `${coreJs.seconds.toFixed(2)} s` : 'skipped'}   core/SciPy ${ratio(coreOrt.seconds, sp?.seconds)}  core/numpy ${ratio(coreOrt.seconds, np?.seconds)}`,
      );
      console.log(
        `  cpu:  core(ort) ${coreOrt.cpuSeconds.toFixed(2)} s  SciPy ${sp ? `${sp.cpuSeconds.toFixed(2)} s` : 'n/a'}  numpy ${np ? `${np.cpuSeconds.toFixed(2)} s` : 'n/a'}  ` +
          `core(js) ${coreJs ? `${coreJs.cpuSeconds.toFixed(2)} s` : 'skipped'}   core/SciPy ${ratio(coreOrt.cpuSeconds, sp?.cpuSeconds)}  core/numpy ${ratio(coreOrt.cpuSeconds, np?.cpuSeconds)}`,
      );
      console.log(`  core(ort, 1 intra-op thread): ${single!.seconds.toFixed(2)} s (cpu ${single!.cpuSeconds.toFixed(2)} s); the ratios use the default core(ort)`);
      for (const [name, runs] of [['SciPy', scipyRuns], ['numpy', numpyRuns]] as const) {
        if (runs.length > 1) console.log(`  ${name}: ${runs.map((run) => `${run.label} ${run.cases[index].seconds.toFixed(2)} s`).join(', ')} (ratio uses the fastest)`);
      }
      console.log(`  S_E ${s.equivariance.toFixed(6)} (null ${s.null.equivariance.toFixed(4)})  S_I ${s.invariance.toFixed(6)} (null ${s.null.invariance.toFixed(4)})`);
      for (const [name, other] of [['SciPy', sp], ['numpy', np]] as const) {
        if (!other) continue;
        const ranks = other.rankClean === s.rankClean && other.rankTransformed === s.rankTransformed ? 'equal' : `DIFFER (${name} ${other.rankClean}/${other.rankTransformed})`;
        console.log(`  max |core − ${name}| ${maxDiff(s, other)}, ranks ${ranks}`);
      }
      if (coreJs) console.log(`  max |ort − js| ${maxDiff(s, coreJs.score)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all(disposables.map((d) => d.dispose()));
  }
}

main().catch((err: unknown) => {
  console.error(`bench:core failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
