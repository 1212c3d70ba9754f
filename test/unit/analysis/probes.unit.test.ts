import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { runAnalysis } from '../../../src/analysis/engine';
import { AnalysisError } from '../../../src/analysis/errors';
import { builtinProbes, imageProbes, NORMALIZATION_PRESETS, syntheticImage, type ProbeSet } from '../../../src/analysis/probes';
import { writeNpyFile } from '../../../src/io/npy';
import { jsMatMulBackend } from '../../../src/seis';
import { convModel, tempDir, writeModel } from './modelFactory';

const rgbInput = { name: 'x', layout: 'NCHW' as const, elemType: 1, declared: [], channels: 3 };
const px = { normalization: NORMALIZATION_PRESETS.unit, bgr: false };

/** A w×h RGBA image: red ramp left→right, green ramp top→bottom, blue 64. */
function rampPixels(w: number, h: number): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      data.set([Math.round((255 * x) / (w - 1)), Math.round((255 * y) / (h - 1)), 64, 255], o);
    }
  }
  return data;
}

describe('probe images', () => {
  it('built-in probes are deterministic by seed, varied, and natural-looking (not flat, not noise)', () => {
    const a = syntheticImage(1, 32, 32);
    assert.deepEqual(syntheticImage(1, 32, 32), a);
    assert.notDeepEqual(syntheticImage(2, 32, 32), a);
    assert.ok(a.every((v) => v >= 0 && v <= 1));
    // neighbouring pixels correlate strongly (piecewise-smooth content), unlike white noise
    let same = 0;
    for (let i = 0; i < 32 * 31; i++) if (Math.abs(a[i] - a[i + 1]) < 0.05) same++;
    assert.ok(same / (32 * 31) > 0.6, `smoothness ${same / (32 * 31)}`);
    const set = builtinProbes(4, 9, rgbInput, { height: 16, width: 20 }, { normalization: NORMALIZATION_PRESETS.imagenet, bgr: false });
    const data = set.batch(0, set.count);
    assert.equal(data.length, 4 * 3 * 16 * 20);
    const mean = data.reduce((s, v) => s + v, 0) / data.length;
    assert.ok(Math.abs(mean) < 1.5, `ImageNet-normalised mean ${mean}`);
  });

  it('PNG and JPEG files are decoded, resized and normalised; RGB/BGR and greyscale', () => {
    const dir = tempDir();
    const png = new PNG({ width: 40, height: 20 });
    png.data = Buffer.from(rampPixels(40, 20));
    writeFileSync(join(dir, 'a.png'), PNG.sync.write(png));
    writeFileSync(join(dir, 'b.jpg'), jpeg.encode({ data: rampPixels(40, 20), width: 40, height: 20 }, 95).data);
    writeFileSync(join(dir, 'c.txt'), 'not an image');
    const set = imageProbes(dir, 10, rgbInput, { height: 10, width: 20 }, px, 'stretch');
    assert.equal(set.count, 2);
    const data = set.batch(0, set.count);
    const hw = 200;
    for (let img = 0; img < 2; img++) {
      const base = img * 3 * hw;
      const tol = img === 0 ? 0.02 : 0.06; // JPEG is lossy
      assert.ok(Math.abs(data[base + 0] - 0.0125) < tol, `red at the left edge: ${data[base]}`); // first column averages x ∈ [0, 2)
      assert.ok(data[base + 19] > 0.9, 'red at the right edge');
      assert.ok(data[base + hw + 9 * 20] > 0.85, 'green at the bottom');
      assert.ok(Math.abs(data[base + 2 * hw + 55] - 64 / 255) < tol, 'blue constant');
    }
    const bgr = imageProbes(dir, 10, rgbInput, { height: 10, width: 20 }, { ...px, bgr: true }, 'stretch');
    assert.equal(bgr.batch(0, 1)[19], data[2 * hw + 19], 'BGR puts blue first');
    const grey = imageProbes(dir, 10, { ...rgbInput, channels: 1 }, { height: 10, width: 20 }, px, 'stretch');
    const greyData = grey.batch(0, grey.count);
    assert.equal(greyData.length, 2 * hw);
    const i = 5 * 20 + 10;
    assert.ok(Math.abs(greyData[i] - (0.299 * data[i] + 0.587 * data[hw + i] + 0.114 * data[2 * hw + i])) < 1e-5);
    assert.throws(() => imageProbes(join(dir, 'c.txt'), 10, rgbInput, { height: 8, width: 8 }, px, 'crop'), /is a file; pass the folder/);
    const empty = tempDir();
    assert.throws(() => imageProbes(empty, 10, rgbInput, { height: 8, width: 8 }, px, 'crop'), /holds no \.png, \.jpg or \.jpeg files/);
  });

  it('probes made per batch (not held) are the held ones, for any range, builtin and from files', () => {
    const sameRanges = (held: ProbeSet, made: ProbeSet) => {
      assert.ok(held.resident && !made.resident);
      assert.equal(made.count, held.count);
      for (const [start, n] of [[0, held.count], [1, 2], [held.count - 1, 1]]) assert.deepEqual(made.batch(start, n), held.batch(start, n), `probes ${start}…${start + n - 1}`);
    };
    const size = { height: 24, width: 18 };
    sameRanges(builtinProbes(5, 3, rgbInput, size, px), builtinProbes(5, 3, rgbInput, size, px, false));
    const dir = tempDir();
    for (const [i, name] of ['a.png', 'b.png', 'c.png'].entries()) {
      const png = new PNG({ width: 30 + i, height: 20 });
      png.data = Buffer.from(rampPixels(30 + i, 20));
      writeFileSync(join(dir, name), PNG.sync.write(png));
    }
    writeFileSync(join(dir, 'broken.png'), 'not a png');
    const held = imageProbes(dir, 10, rgbInput, size, px, 'crop');
    const made = imageProbes(dir, 10, rgbInput, size, px, 'crop', false);
    sameRanges(held, made);
    assert.deepEqual(made.warnings, held.warnings);
    assert.ok(made.warnings.some((w) => w.startsWith('broken.png skipped')));
    // An image removed while the run goes on is named, with what to do.
    unlinkSync(join(dir, 'b.png'));
    assert.throws(() => made.batch(0, 3), (e: unknown) => e instanceof AnalysisError && e.code === 'probe-input' && /b\.png could not be read again for a later pass .*keep the folder unchanged/.test(e.message));
  });
});

describe('layouts and probe sources end to end', () => {
  it('probes too large to hold next to the budget are made per batch, with the very same scores and floor', async () => {
    const dir = tempDir();
    const model = writeModel(dir, 'big-input.onnx', convModel());
    // 8 probes of 3×256×256 are 6 MiB: held under 448 MiB, made per batch under 16 MiB (a quarter is 4).
    const request = { modelPath: model, size: { height: 256, width: 256 }, probeCount: 8, batchSize: 3, transforms: ['rot90', 'shift-x8'], layers: 'c1,c2' };
    const heldness: boolean[] = [];
    const run = (memoryBudgetMB: number) => runAnalysis({ ...request, memoryBudgetMB }, { backend: jsMatMulBackend }, { onPrepared: (p) => heldness.push(p.probes.probes.resident) });
    const held = await run(448);
    const made = await run(16);
    assert.deepEqual(heldness, [true, false]);
    assert.deepEqual(made.layers, held.layers);
    assert.deepEqual(made.inputFloor, held.inputFloor);
    assert.ok(made.layers.every((l) => l.status === 'scored'));
  });

  it('an NHWC model is detected, fed in its own layout and scored', async () => {
    const dir = tempDir();
    const model = writeModel(dir, 'nhwc.onnx', convModel({ nhwc: true }));
    const r = await runAnalysis({ modelPath: model, size: { height: 12, width: 12 }, probeCount: 6, transforms: ['rot90'], layers: 'op:Conv' }, { backend: jsMatMulBackend });
    assert.equal(r.model.inputLayout, 'NHWC');
    assert.deepEqual(r.model.probeInputShape, [6, 12, 12, 3]);
    assert.deepEqual(r.layers.map((l) => [l.name, l.status, l.shape.join('x')]), [['c1', 'scored', '6x8x12x12'], ['c2', 'scored', '6x8x6x6']]);
    assert.ok(Math.abs(r.inputFloor.rot90.equivariance - 1) < 1e-9);
  });

  it('a greyscale model on --inputs .npy: fixed dims are checked, the tensor is fed as is', async () => {
    const dir = tempDir();
    const model = writeModel(dir, 'grey.onnx', convModel({ channels: 1, inputDims: ['n', 1, 10, 10] }));
    const data = Float32Array.from({ length: 5 * 100 }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.11));
    const good = join(dir, 'probe.npy');
    writeNpyFile(good, { data, shape: [5, 1, 10, 10] });
    const r = await runAnalysis({ modelPath: model, inputs: good, transforms: ['flip-v'], layers: 'c1' }, { backend: jsMatMulBackend });
    assert.equal(r.settings.probes.source, 'npy');
    assert.equal(r.settings.probes.count, 5);
    assert.equal(r.layers[0].scores['flip-v'].observations, 5 * 8);
    const wrong = join(dir, 'wrong.npy');
    writeNpyFile(wrong, { data: new Float32Array(5 * 144), shape: [5, 1, 12, 12] });
    await assert.rejects(runAnalysis({ modelPath: model, inputs: wrong }, { backend: jsMatMulBackend }), /height 12, but the model's input 'x' fixes it to 10/);
  });
});
