/**
 * Run by hostileInput.unit.test.ts in a child process with a time limit: each read below hangs
 * forever (a FIFO) or reads without bound (/dev/zero) or allocates gigabytes (a decompression bomb)
 * when the readers trust what they are given, which would take the test runner down with it.
 * Prints one JSON object: the outcome of every read and the child's peak resident memory.
 */
import { imageProbes, NORMALIZATION_PRESETS, npyProbes } from '../../../src/analysis/probes';
import { isProbablyOnnx, loadModel } from '../../../src/analysis/onnxModel';
import { hashFile } from '../../../src/host/resultsStore';
import { readNpyFile } from '../../../src/io/npy';

const [dir, ...cases] = process.argv.slice(2);
const rgb = { name: 'x', layout: 'NCHW' as const, elemType: 1, declared: [], channels: 3 };
const px = { normalization: NORMALIZATION_PRESETS.unit, bgr: false };

async function outcome(run: () => unknown): Promise<{ ok: unknown } | { error: string; name: string }> {
  try {
    return { ok: await run() };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err), name: err instanceof Error ? err.name : typeof err };
  }
}

const runs: Record<string, () => unknown> = {
  npyZero: () => readNpyFile('/dev/zero').shape,
  npyFifo: () => readNpyFile(`${dir}/fifo.npy`).shape,
  inputsZero: () => npyProbes('/dev/zero', rgb).count,
  images: () => {
    const set = imageProbes(`${dir}/images`, 64, rgb, { height: 8, width: 8 }, px, 'crop');
    return { count: set.count, warnings: set.warnings };
  },
  modelFifo: () => loadModel(`${dir}/fifo.onnx`).nodes.length,
  modelZero: () => loadModel(`${dir}/zero.onnx`).nodes.length,
  externalFifo: () => loadModel(`${dir}/ext-fifo/model.onnx`).nodes.length,
  externalDot: () => loadModel(`${dir}/ext-dot/model.onnx`).nodes.length,
  externalSub: () => loadModel(`${dir}/ext-sub/model.onnx`).nodes.length,
  probablyOnnxFifo: () => isProbablyOnnx(`${dir}/fifo.onnx`),
  // The extension host hashes a model before showing stored results: never a device or a FIFO.
  hashZero: () => hashFile(`${dir}/zero.onnx`),
  hashFifo: () => hashFile(`${dir}/fifo.onnx`),
};

async function main(): Promise<void> {
  const before = process.resourceUsage().maxRSS;
  const results: Record<string, unknown> = {};
  for (const name of cases) results[name] = await outcome(runs[name]);
  process.stdout.write(JSON.stringify({ results, maxRssKiB: process.resourceUsage().maxRSS, beforeKiB: before }));
}

void main();
