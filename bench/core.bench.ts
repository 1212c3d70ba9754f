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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpyFile, writeNpyFile } from '../src/io/npy';
import { createRandom, DEFAULT_SEIS_OPTIONS, jsMatMulBackend, nullPermutation, scorePair, type MatMulBackend, type PairScore } from '../src/seis';
import { createOrtMatMulBackend } from '../src/analysis/ortMatMulBackend';

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

/** Largest absolute difference, which score it is in, and whether it is within AGREEMENT. */
function maxDiff(a: PairScore, b: Scores): string {
  const diffs: [string, number][] = [
    ['S_E', Math.abs(a.equivariance - b.equivariance)],
    ['S_I', Math.abs(a.invariance - b.invariance)],
    ['null S_E', Math.abs(a.null.equivariance - b.null.equivariance)],
    ['null S_I', Math.abs(a.null.invariance - b.null.invariance)],
  ];
  const [name, value] = diffs.reduce((x, y) => (y[1] > x[1] || Number.isNaN(y[1]) ? y : x));
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

async function main(): Promise<void> {
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
    const specPath = join(dir, 'cases.json');
    writeFileSync(specPath, JSON.stringify(spec));
    const env = { ...process.env };
    if (!keepOpenblasEnv) {
      delete env.OPENBLAS_CORETYPE;
      delete env.OPENBLAS_L2_SIZE;
    }
    const openblasEnv = keepOpenblasEnv ? `OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE ?? ''} OPENBLAS_L2_SIZE=${env.OPENBLAS_L2_SIZE ?? ''}` : 'OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset';
    const numpyRuns = runBaselines('core_numpy.py', [python], specPath, env, "install it with 'apt-get install -y python3-numpy' or pass --python PATH");
    const scipyRuns = runBaselines('core_scipy.py', scipyPythons, specPath, env, "install it with 'apt-get install -y python3-scipy' or pass --scipy-python PATH");
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
