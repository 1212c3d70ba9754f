/**
 * The bundled example models (examples/, trained by scripts/train_examples.py) must load in
 * onnxruntime-node and reproduce the outputs torch computed at export time, with a dynamic batch
 * dimension, so `npm run demo` and the docs rest on models that are what metrics.json says.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../../../src/analysis/onnxModel';
import { readNpyFile } from '../../../src/io/npy';

// SEIS_EXAMPLES_DIR checks a fresh training run (scripts/train_examples.py --out DIR) before it replaces examples/.
const EXAMPLES = process.env.SEIS_EXAMPLES_DIR ?? join(__dirname, '..', '..', '..', 'examples');

interface ModelEntry {
  readonly file: string;
  readonly outputs: readonly string[];
  readonly tasks: readonly string[];
  readonly test: Record<string, { accuracy?: number; pixelAccuracy?: number; foregroundPixelAccuracy?: number }>;
}
interface Metrics {
  readonly probe: { readonly file: string; readonly shape: readonly number[] };
  readonly models: Record<string, ModelEntry>;
}

const metrics = JSON.parse(readFileSync(join(EXAMPLES, 'metrics.json'), 'utf8')) as Metrics;
const probe = readNpyFile(join(EXAMPLES, metrics.probe.file));
const EXPECTED_MODELS = ['cnn-plain', 'cnn-rotaug', 'vit-tiny', 'mixer-tiny', 'seg-skip', 'seg-noskip', 'multitask'];

/** Largest |a-b| relative to the largest |b|: scale-free, so logits and seg maps share one bound. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}

test('the probe set is 64 normalised Fashion-MNIST images (N,1,28,28) float32', () => {
  assert.deepEqual(probe.shape, [64, 1, 28, 28]);
  assert.equal(probe.dtype, 'float32');
  let min = Infinity;
  let max = -Infinity;
  for (const v of probe.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  // (0 - 0.2860)/0.3530 and (1 - 0.2860)/0.3530: background is exactly the normalised black.
  assert.ok(Math.abs(min - -0.2860 / 0.353) < 1e-5, `min ${min}`);
  assert.ok(max > 1.9 && max <= (1 - 0.286) / 0.353 + 1e-5, `max ${max}`);
});

// Chance is 0.1 for both tasks (10 classes; garment pixels labelled with one of 10 classes). The bars
// are "clearly learned", not "well trained": the examples are trained for minutes on a shared CPU.
test('metrics.json lists every example model, each clearly above chance on clean test images', () => {
  assert.deepEqual(Object.keys(metrics.models).sort(), [...EXPECTED_MODELS].sort());
  for (const [name, m] of Object.entries(metrics.models)) {
    const clean = m.test.clean;
    if (m.tasks.includes('class')) assert.ok((clean.accuracy ?? 0) > 0.5, `${name} clean accuracy ${clean.accuracy}`);
    if (m.tasks.includes('seg')) assert.ok((clean.foregroundPixelAccuracy ?? 0) > 0.3, `${name} garment-pixel accuracy ${clean.foregroundPixelAccuracy}`);
  }
  // The augmentation did what it is for: cnn-rotaug keeps its accuracy under rot90, cnn-plain does not.
  const plain = metrics.models['cnn-plain'].test;
  const rotaug = metrics.models['cnn-rotaug'].test;
  assert.ok((rotaug.rot90.accuracy ?? 0) > (plain.rot90.accuracy ?? 1) + 0.2, 'rotation augmentation should help on rot90 test images');
});

for (const name of EXPECTED_MODELS) {
  test(`${name}.onnx: small, opset 13-17, NCHW float32 input with a dynamic batch, reproduces torch`, async () => {
    const entry = metrics.models[name];
    assert.ok(entry, `${name} missing from metrics.json`);
    const path = join(EXAMPLES, entry.file);
    const view = loadModel(path);
    assert.ok(view.sizeBytes < 2 * 2 ** 20, `${name} is ${view.sizeBytes} bytes`);
    const opset = view.opsets[''] ?? view.opsets['ai.onnx'];
    assert.ok(opset >= 13 && opset <= 17, `${name} opset ${opset}`);
    assert.equal(view.inputs.length, 1);
    assert.equal(view.inputs[0].name, 'input');
    assert.equal(typeof view.inputs[0].dims?.[0], 'string', 'batch dim must be symbolic');
    assert.deepEqual(view.inputs[0].dims?.slice(1), [1, 28, 28]);
    // Node names come from the torch module path, e.g. /encoder/conv1/Conv: the layer table is readable.
    assert.ok(view.nodes.filter((n) => n.name.startsWith('/')).length > view.nodes.length / 2, 'node names should carry module paths');

    const session = await ort.InferenceSession.create(path);
    try {
      const reference = entry.outputs.map((o) => readNpyFile(join(EXAMPLES, 'reference', `${name}.${o}.npy`)));
      const refBatch = reference[0].shape[0];
      const perImage = probe.data.length / probe.shape[0];
      for (const batch of [refBatch, 3]) {
        const feed = new ort.Tensor('float32', Float32Array.from(probe.data.subarray(0, batch * perImage)), [batch, 1, 28, 28]);
        const out = await session.run({ input: feed });
        entry.outputs.forEach((o, i) => {
          const got = out[o];
          assert.ok(got, `${name}: output ${o} missing`);
          assert.equal(got.dims[0], batch);
          const ref = reference[i];
          const refPerImage = ref.data.length / ref.shape[0];
          const expected = ref.data.subarray(0, batch * refPerImage);
          assert.equal(got.data.length, expected.length);
          const err = relativeError(got.data as Float32Array, expected);
          assert.ok(err < 1e-4, `${name}.${o} batch ${batch}: relative error ${err}`);
        });
      }
    } finally {
      await session.release();
    }
  });
}

test('the README documents every example model', () => {
  const readme = join(EXAMPLES, 'README.md');
  assert.ok(existsSync(readme));
  const text = readFileSync(readme, 'utf8');
  for (const name of EXPECTED_MODELS) assert.ok(text.includes(`${name}.onnx`), `README lacks ${name}.onnx`);
});
