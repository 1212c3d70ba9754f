/**
 * End-to-end benchmark (not a test): `seis analyze` with default settings on the PaddleOCR
 * orientation classifier and text detector.
 * Prints wall time, inference vs scoring vs the rest, CPU time (the figure that does not depend on
 * how busy the machine is) and peak RSS against the targets (classifier < 20 s, detector < 90 s,
 * RSS < 2 GB on a 2-core machine). Runs in this process (the child process adds only start-up),
 * so process.cpuUsage() covers inference, scoring and the eigensolver threads.
 *
 *   npm run bench:e2e [-- cls|cls-48x192|det]
 */
import os from 'node:os';
import { join } from 'node:path';
import { runAnalysis } from '../src/analysis/engine';
import type { AnalysisRequest } from '../src/analysis/protocol';

const assets = join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');
// All dims of both models are dynamic, so the generic default probes them at 224×224. The classifier
// is also run at the input it is documented for (48×192, pixels (p/255−0.5)/0.5), every other setting default.
const cases: { key: string; file: string; targetS: number; extra?: Partial<AnalysisRequest> }[] = [
  { key: 'cls', file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', targetS: 20 },
  { key: 'cls-48x192', file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', targetS: 20, extra: { size: { height: 48, width: 192 }, normalize: 'symmetric' } },
  { key: 'det', file: 'ch_PP-OCRv4_det_infer.onnx', targetS: 90 },
];
const RSS_TARGET = 2 * 1024 ** 3;

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  let failed = false;
  for (const c of cases.filter((x) => only.length === 0 || only.includes(x.key))) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await runAnalysis({ modelPath: join(assets, c.file), ...c.extra });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const t = r.timing;
    const scored = r.layers.filter((l) => l.status === 'scored');
    const pooled = scored.filter((l) => l.pooledPositions !== undefined).length;
    const rss = t?.peakRssBytes ?? 0;
    const ok = wall < c.targetS && rss < RSS_TARGET;
    failed ||= !ok;
    console.log(`${c.key} (${c.file})`);
    console.log(`  layers ${r.layers.length} listed, ${scored.length} scored (${pooled} pooled to ≤ ${r.settings.maxPositions} positions) × ${r.transforms.length} transforms, ${r.settings.probes.count} probes ${r.model.probeInputShape.join('x')}`);
    console.log(`  wall ${wall.toFixed(1)} s (target < ${c.targetS} s): inference ${((t?.inferenceMs ?? 0) / 1000).toFixed(1)} s, scoring ${((t?.scoringMs ?? 0) / 1000).toFixed(1)} s, rest ${(wall - ((t?.inferenceMs ?? 0) + (t?.scoringMs ?? 0)) / 1000).toFixed(1)} s`);
    console.log(`  CPU ${cpuS.toFixed(1)} s over ${os.cpus().length} cores (load average now ${os.loadavg()[0].toFixed(1)})`);
    console.log(`  peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB (target < 2048 MiB)  ${ok ? 'OK' : 'OVER TARGET'}`);
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
