/**
 * The analysis end to end on real onnxruntime runs: scores equal scorePair on the captured
 * activations (dumped by the engine, and captured independently), the real PaddleOCR classifier,
 * and bad inputs.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { runAnalysis } from '../../../src/analysis/engine';
import { AnalysisError } from '../../../src/analysis/errors';
import { imageProbes } from '../../../src/analysis/probes';
import { applyTransform, parseTransform } from '../../../src/analysis/transforms';
import { readNpyFile, writeNpyFile } from '../../../src/io/npy';
import { jsMatMulBackend, scorePair } from '../../../src/seis';
import type { AnalysisResult } from '../../../src/shared/results';
import { CLS_MODEL, convModel, tempDir, WORD_CROPS_DIR, writeModel } from './modelFactory';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('runAnalysis on a generated CNN', () => {
  const dir = tempDir();
  const model = writeModel(dir, 'tiny.onnx', convModel({ weightsAs: 'constant', extraOutputs: ['c1'] }));
  let result: AnalysisResult;
  const dump = join(dir, 'acts');

  it('runs with defaults-like settings and reports layers in graph order', async () => {
    result = await runAnalysis(
      { modelPath: model, size: { height: 16, width: 16 }, probeCount: 12, batchSize: 5, transforms: ['rot90', 'flip-h', 'shift-x3', 'rot30'], dumpActivations: dump, layers: 'all' },
      { backend: jsMatMulBackend },
    );
    assert.deepEqual(result.layers.map((l) => l.name), ['c1', 'r1', 'c2', 'g', 'y']);
    assert.deepEqual(result.layers.map((l) => l.status), ['scored', 'scored', 'scored', 'no-spatial-axis', 'no-spatial-axis']);
    assert.deepEqual(result.layers[0].shape, [12, 8, 16, 16]);
    assert.deepEqual(result.layers[2].shape, [12, 8, 8, 8]);
    assert.equal(result.model.inputLayout, 'NCHW');
    assert.deepEqual(result.model.probeInputShape, [12, 3, 16, 16]);
    assert.deepEqual(result.settings.transforms, ['rot90', 'flip-h', 'shift-x3', 'rot30']);
    assert.equal(result.transforms.find((t) => t.id === 'rot30')?.exact, false);
    assert.equal(result.layers[0].scores.rot90.exact, true);
    assert.equal(result.layers[0].scores.rot30.exact, false);
    assert.ok(result.timing && result.timing.inferenceMs > 0 && result.timing.scoringMs > 0);
  });

  it('per-layer scores equal scorePair on the dumped activations', async () => {
    const files = readdirSync(dump);
    for (const layer of result.layers.filter((l) => l.status === 'scored')) {
      const prefix = files.find((f) => f.endsWith(`_${layer.name}.clean.npy`))?.replace('.clean.npy', '');
      assert.ok(prefix, `dump of ${layer.name}`);
      const clean = readNpyFile(join(dump, `${prefix}.clean.npy`));
      for (const [id, cell] of Object.entries(layer.scores)) {
        const moved = readNpyFile(join(dump, `${prefix}.${id}.npy`));
        const ref = await scorePair(clean, moved, {}, jsMatMulBackend);
        close(cell.equivariance, ref.equivariance);
        close(cell.invariance, ref.invariance);
        close(cell.null.equivariance, ref.null.equivariance);
        assert.equal(cell.rankClean, ref.rankClean);
        assert.equal(cell.rankTransformed, ref.rankTransformed);
      }
    }
  });

  it('the captured activations are what onnxruntime gives on the transformed probes', async () => {
    // Independent capture: c1 is a declared graph output, so a plain session returns it.
    const session = await ort.InferenceSession.create(model);
    const probes = readNpyFile(join(dump, 'input.clean.npy'));
    const t = parseTransform('rot90');
    const moved = applyTransform(t, probes.data as Float32Array, probes.shape);
    const out = await session.run({ x: new ort.Tensor('float32', moved, probes.shape) });
    const c1 = out.c1;
    const ref = await scorePair(
      { data: (await session.run({ x: new ort.Tensor('float32', probes.data as Float32Array, probes.shape) })).c1.data as Float32Array, shape: c1.dims },
      { data: c1.data as Float32Array, shape: c1.dims },
      {},
      jsMatMulBackend,
    );
    close(result.layers[0].scores.rot90.equivariance, ref.equivariance, 1e-6);
    close(result.layers[0].scores.rot90.invariance, ref.invariance, 1e-6);
    await session.release();
  });

  it('input floor: exact transforms keep S_E = 1 on the raw input', () => {
    for (const id of ['rot90', 'flip-h', 'shift-x3']) close(result.inputFloor[id].equivariance, 1, 1e-6);
    assert.ok(result.inputFloor.rot90.invariance < 0.9, 'a rotation moves the spatial basis');
    assert.ok(result.inputFloor.rot30.equivariance < 1 - 1e-6, 'interpolation loses a little');
  });

  it('bad options are refused before any work, naming the option', async () => {
    await assert.rejects(runAnalysis({ modelPath: model, transforms: ['spin'] }), (e: unknown) => e instanceof AnalysisError && /unknown transform 'spin'/.test(e.message));
    await assert.rejects(runAnalysis({ modelPath: model, layers: 'op:Softmax' }, { backend: jsMatMulBackend }), /no such operator; its operators are Conv, Flatten, GlobalAveragePool, Relu/);
    await assert.rejects(runAnalysis({ modelPath: model, inputs: join(dir, 'missing.npy') }, { backend: jsMatMulBackend }), /--inputs .*missing\.npy: no such file/);
  });

  it('an out-of-range option is named as the caller knows it: CLI flag or VS Code setting', async () => {
    await assert.rejects(runAnalysis({ modelPath: model, batchSize: 0 }, { backend: jsMatMulBackend }), /--batch must be an integer from 1 to 4096, got 0/);
    await assert.rejects(runAnalysis({ modelPath: model, batchSize: 0, origin: 'vscode' }, { backend: jsMatMulBackend }), (e: unknown) => e instanceof AnalysisError && /^the setting seis\.batchSize must be an integer from 1 to 4096, got 0$/.test(e.message));
  });

  it('a probe set beyond the memory budget is refused before it is built, saying what fits', async () => {
    const before = process.memoryUsage().arrayBuffers;
    await assert.rejects(
      runAnalysis({ modelPath: model, probeCount: 100000 }, { backend: jsMatMulBackend }),
      (e: unknown) => e instanceof AnalysisError && e.code === 'bad-option' && /^100000 probes of 3×224×224 need \d+ MiB, more than --memory-budget 448 MiB; at most (\d+) probes fit: use --probes \1, a smaller --size or a larger budget$/.test(e.message),
    );
    await assert.rejects(
      runAnalysis({ modelPath: model, probeCount: 20000, size: { height: 224, width: 224 }, memoryBudgetMB: 64 }, { backend: jsMatMulBackend }),
      /20000 probes of 3×224×224 need \d+ MiB, more than --memory-budget 64 MiB; at most \d+ probes fit/,
    );
    await assert.rejects(
      runAnalysis({ modelPath: model, size: { height: 8192, width: 8192 }, origin: 'vscode' }, { backend: jsMatMulBackend }),
      /32 probes of 3×8192×8192 need \d+ MiB, more than --memory-budget \(not a VS Code setting\) 448 MiB; not even 2 probes of that size fit: use a smaller --size \(not a VS Code setting\) or a larger budget/,
    );
    // Refused before allocating: 100000 probes of 224² would be 60 GB.
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 2 ** 20, 'no probe array was allocated');
  });

  it('a layer with NaN activations fails with a message; the others are still scored', async () => {
    const nanModel = writeModel(dir, 'nan.onnx', convModel({ nanActivation: true }));
    const r = await runAnalysis({ modelPath: nanModel, size: { height: 12, width: 12 }, probeCount: 6, transforms: ['flip-h'], layers: 'c1,r1' }, { backend: jsMatMulBackend });
    assert.deepEqual(r.layers.map((l) => l.status), ['scored', 'failed']);
    assert.match(r.layers[1].message ?? '', /NaN\/Inf activation values on the clean probes; .*try --normalize/);
  });

  it('NaN in a probe tensor is refused before running', async () => {
    const data = new Float32Array(4 * 3 * 8 * 8).fill(0.5);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i);
    data[5] = NaN;
    const f = join(dir, 'nan.npy');
    writeNpyFile(f, { data, shape: [4, 3, 8, 8] });
    await assert.rejects(runAnalysis({ modelPath: model, inputs: f }, { backend: jsMatMulBackend }), /NaN or infinite values; clean the array/);
  });
});

describe('the real PaddleOCR orientation classifier', () => {
  const haveCrops = existsSync(join(WORD_CROPS_DIR, 'scenetext_word01.jpg'));
  it('flips its prediction when real word crops are rotated 180° (probes and transform are right)', { skip: !haveCrops && 'apt package opencv-doc (word crops) not installed' }, async () => {
    const dir = tempDir();
    for (const f of readdirSync(WORD_CROPS_DIR).filter((n) => /^scenetext_word0\d\.jpg$/.test(n))) copyFileSync(join(WORD_CROPS_DIR, f), join(dir, f));
    const input = { name: 'x', layout: 'NCHW' as const, elemType: 1, declared: [], channels: 3 };
    const probes = imageProbes(dir, 64, input, { height: 48, width: 192 }, { normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, bgr: false }, 'stretch');
    assert.ok(probes.count >= 4);
    const session = await ort.InferenceSession.create(CLS_MODEL);
    const shape = [probes.count, 3, 48, 192];
    const predict = async (data: Float32Array) => {
      const p = (await session.run({ x: new ort.Tensor('float32', data, shape) }))[session.outputNames[0]].data as Float32Array;
      return Array.from({ length: probes.count }, (_, i) => p[2 * i + 1]);
    };
    const upright = await predict(probes.batch(0, probes.count));
    const turned = await predict(applyTransform(parseTransform('rot180'), probes.batch(0, probes.count), shape));
    assert.ok(upright.every((p) => p < 0.5), `p(180°) upright: ${upright}`);
    assert.ok(turned.every((p) => p > 0.5), `p(180°) turned: ${turned}`);
    await session.release();
  });

  it('analyze scores its layers at the model\'s own 48×192 size', async () => {
    const r = await runAnalysis({ modelPath: CLS_MODEL, size: { height: 48, width: 192 }, probeCount: 8, transforms: ['rot180'], layers: '/^conv2d_5[3-7]\\.tmp_0$|softmax/', nullPermutations: 1 });
    assert.deepEqual(r.layers.map((l) => l.name), ['conv2d_53.tmp_0', 'conv2d_54.tmp_0', 'conv2d_55.tmp_0', 'conv2d_56.tmp_0', 'conv2d_57.tmp_0', 'softmax_0.tmp_0']);
    assert.deepEqual(r.layers[0].shape, [8, 8, 24, 96]);
    assert.equal(r.layers[0].positions, 2304);
    assert.equal(r.layers[0].pooledPositions, 1024);
    assert.equal(r.layers[2].status, 'no-spatial-axis'); // SE branch, 1×1
    assert.equal(r.layers[5].status, 'no-spatial-axis'); // softmax (N, 2)
    const cell = r.layers[0].scores.rot180;
    assert.ok(cell.equivariance > cell.null.equivariance, 'the first conv keeps the rotated content above its null');
  });
});
