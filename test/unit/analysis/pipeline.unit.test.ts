/**
 * The analysis stages (src/analysis/pipeline/): probes and layer plan prepared once can be handed to
 * another run of the same architecture and give the very same scores; a model that cannot take them
 * is refused by name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAnalysis, type PreparedRun } from '../../../src/analysis/engine';
import { AnalysisError } from '../../../src/analysis/errors';
import type { AnalysisRequest } from '../../../src/analysis/protocol';
import { shapePassTake } from '../../../src/analysis/pipeline/memory';
import { jsMatMulBackend } from '../../../src/seis';
import type { AnalysisResult } from '../../../src/shared/results';
import { candidateTensors } from '../../../src/analysis/layers';
import { loadModel } from '../../../src/analysis/onnxModel';
import { inferShapes, openSession, runBatch } from '../../../src/analysis/session';
import { convModel, DET_MODEL, quantizedInputModel, tempDir, writeModel } from './modelFactory';
import { countNonFinite } from '../../../src/seis';

const sorted = (shapes: ReadonlyMap<string, readonly number[]>) => [...shapes].sort((a, b) => (a[0] < b[0] ? -1 : 1));

/** Every tensor's shape as one forward pass declaring all of them returns it (the float ones, as runBatch keeps). */
async function shapesFromOneRun(modelPath: string, dims: number[]): Promise<Map<string, readonly number[]>> {
  const model = loadModel(modelPath);
  const names = candidateTensors(model).map((c) => c.name);
  const inst = await openSession(model, names, 'disabled', 'cpu');
  try {
    const feed = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
    const out = await runBatch(inst, model.inputs[0].name, feed, dims, names);
    return new Map([...out].map(([n, t]) => [n, t.dims]));
  } finally {
    await inst.session.release();
  }
}

const scoresOf = (r: AnalysisResult) => ({ layers: r.layers, inputFloor: r.inputFloor, settings: r.settings });

describe('pipeline stages: prepared probes and plan', () => {
  const dir = tempDir();
  const first = writeModel(dir, 'checkpoint-a.onnx', convModel());
  // The same weights stored as Constant nodes: another file of the same architecture.
  const second = writeModel(dir, 'checkpoint-b.onnx', convModel({ weightsAs: 'constant' }));
  const gray = writeModel(dir, 'gray.onnx', convModel({ channels: 1 }));
  const request = (modelPath: string): AnalysisRequest => ({ modelPath, size: { height: 12, width: 12 }, probeCount: 8, batchSize: 3, transforms: ['rot90', 'flip-h'], layers: 'c1,r1,c2' });
  const hooks = { backend: jsMatMulBackend };

  it('reusing the prepared probes and plan gives the scores a fresh run gives', async () => {
    let prepared: PreparedRun | undefined;
    const fresh = await runAnalysis(request(first), hooks, { onPrepared: (p) => (prepared = p) });
    assert.ok(prepared, 'onPrepared was called');
    assert.equal(prepared.plan.planned.length, 3);
    assert.equal(prepared.probes.probes.count, 8);
    const again = await runAnalysis(request(first), hooks, { prepared });
    assert.deepEqual(scoresOf(again), scoresOf(fresh));
    assert.deepEqual(again.warnings, fresh.warnings);

    const otherFile = await runAnalysis(request(second), hooks, { prepared });
    const otherFresh = await runAnalysis(request(second), hooks);
    assert.equal(otherFile.model.fileName, 'checkpoint-b.onnx');
    assert.deepEqual(scoresOf(otherFile), scoresOf(otherFresh));
    assert.ok(otherFile.layers.every((l) => l.status === 'scored'));
  });

  it('progress carries a time-left estimate once layers are being scored, and it shrinks to the end', async () => {
    const etas: number[] = [];
    // Two lanes (jobs 1) for three layers: the third is scored after a first layer is final.
    await runAnalysis({ ...request(first), jobs: 1 }, { ...hooks, onProgress: (p) => p.etaSeconds !== undefined && etas.push(p.etaSeconds) });
    assert.ok(etas.length >= 2, `estimates seen: ${etas.length}`);
    assert.ok(etas.every((e) => Number.isFinite(e) && e >= 0));
    assert.equal(etas[etas.length - 1], 0, 'nothing left at the last scored job');
  });

  it('an explicit layer selection runs the shape pass on its own tensors only, with the same result', async () => {
    const messages: string[] = [];
    const named = await runAnalysis(request(first), { ...hooks, onProgress: (p) => p.stage === 'shapes' && messages.push(p.message) });
    assert.deepEqual(messages, ['learning tensor shapes (3 tensors)']);
    const all = await runAnalysis({ ...request(first), layers: 'all' }, hooks);
    for (const layer of named.layers) assert.deepEqual(layer, all.layers.find((l) => l.name === layer.name));
  });

  it('a model that cannot take the prepared probes is refused, naming why', async () => {
    let prepared: PreparedRun | undefined;
    await runAnalysis(request(first), hooks, { onPrepared: (p) => (prepared = p) });
    await assert.rejects(
      runAnalysis(request(gray), hooks, { prepared }),
      (e: unknown) => e instanceof AnalysisError && e.code === 'probe-input' && /gray\.onnx has 1 input channels, the prepared probes have 3/.test(e.message),
    );
  });
});

describe('the shape run follows the memory budget', () => {
  // Prepared only: the run stops at onPrepared, before any scoring.
  const stop = new Error('prepared');
  async function prepare(memoryBudgetMB: number): Promise<PreparedRun> {
    let prepared: PreparedRun | undefined;
    const request: AnalysisRequest = { modelPath: DET_MODEL, size: { height: 224, width: 224 }, probeCount: 8, transforms: ['rot180'], memoryBudgetMB };
    await assert.rejects(
      runAnalysis(request, { backend: jsMatMulBackend }, {
        onPrepared: (p) => {
          prepared = p;
          throw stop;
        },
      }),
      (e: unknown) => e === stop,
    );
    return prepared as PreparedRun;
  }

  it('sizes each pass by the largest tensor so far, at least a fed batch, at most twice the pass before', () => {
    const MB = 1e6;
    // First pass: 4 fed batches a tensor; everything when the budget holds it.
    assert.equal(shapePassTake(100 * MB, 0, 5 * MB, 0, 1000), 5);
    assert.equal(shapePassTake(1e12, 0, 5 * MB, 0, 330), 330);
    // After a pass of scalars, never more than one fed batch a tensor and twice the pass before.
    assert.equal(shapePassTake(42 * MB, 256, 12.6 * MB, 1, 1321), 2);
    assert.equal(shapePassTake(42 * MB, 256, 12.6 * MB, 2, 1319), 3);
    assert.equal(shapePassTake(1e12, 256, 12.6 * MB, 8, 1000), 16);
    // A large tensor seen earlier bounds every later pass; never fewer than one tensor, never more than remain.
    assert.equal(shapePassTake(42 * MB, 268 * MB, 12.6 * MB, 3, 500), 1);
    assert.equal(shapePassTake(-2 * MB, 0, 12.6 * MB, 0, 500), 1);
    assert.equal(shapePassTake(1e12, 256, 12.6 * MB, 400, 7), 7);
  });

  it('keeps every pass of an ISNet-like graph (scalars first, then 268 MB activations) to a few tensors', () => {
    const MB = 1e6;
    const sizes = [...Array<number>(40).fill(256), ...Array<number>(60).fill(268 * MB), ...Array<number>(40).fill(2048)];
    let largestSeen = 0;
    let take = 0;
    let heaviestPass = 0;
    let passes = 0;
    for (let start = 0; start < sizes.length; start += take) {
      take = shapePassTake(42 * MB, largestSeen, 12.6 * MB, take, sizes.length - start);
      const pass = sizes.slice(start, start + take);
      heaviestPass = Math.max(heaviestPass, pass.reduce((a, b) => a + b, 0));
      largestSeen = Math.max(largestSeen, ...pass);
      passes++;
    }
    // At most the 3 fed batches the budget holds, each turning out to be a 268 MB tensor (the rule
    // before: 256 bytes seen, then every remaining tensor at once).
    assert.ok(heaviestPass <= 3 * 268 * MB, `heaviest pass ${heaviestPass / MB} MB`);
    assert.ok(passes < sizes.length, `${passes} passes`);
  });

  it('takes the PP-OCRv4 detector\'s shapes from onnxruntime\'s shape inference: the ones a run declaring every tensor returns, in one pass', async () => {
    const prepared = await prepare(96);
    // The pass that checks the size and times a batch; 330 tensors, 96 MiB, no second pass.
    assert.equal(prepared.probes.shapeRuns, 1);
    assert.equal(prepared.probes.shapes.size, 330);
    assert.deepEqual(sorted(prepared.probes.shapes), sorted(await shapesFromOneRun(DET_MODEL, [2, 3, 224, 224])));
    assert.ok(!prepared.probes.warnings.some((w) => w.includes('forward passes')));
  });

  it('knows the scalars of a dynamically quantised input from the graph (onnxruntime reports them like unknown shapes), and leaves out the uint8 one', async () => {
    const dir = tempDir();
    const model = writeModel(dir, 'quantized.onnx', quantizedInputModel());
    const names = candidateTensors(loadModel(model)).map((c) => c.name);
    const inferred = await inferShapes(loadModel(model), names, 'x', [2, 3, 16, 16], 'cpu');
    assert.deepEqual(inferred.unknown, []);
    assert.deepEqual(inferred.known.get('x_scale'), { dims: [], type: 'float32' });
    assert.deepEqual(inferred.known.get('x_half'), { dims: [], type: 'float32' });
    assert.ok(!inferred.known.has('x_zero') && !inferred.known.has('xq'), 'uint8 tensors are not scored');
    assert.deepEqual(sorted(new Map([...inferred.known].map(([n, t]) => [n, t.dims]))), sorted(await shapesFromOneRun(model, [2, 3, 16, 16])));
  });

  it('a probe size the model cannot take is retried at a rounded size', async () => {
    let prepared: PreparedRun | undefined;
    const stopHere = new Error('prepared');
    await assert.rejects(
      runAnalysis({ modelPath: DET_MODEL, size: { height: 48, width: 192 }, probeCount: 4, transforms: ['rot180'] }, { backend: jsMatMulBackend }, {
        onPrepared: (p) => {
          prepared = p;
          throw stopHere;
        },
      }),
      (e: unknown) => e === stopHere,
    );
    const probes = (prepared as PreparedRun).probes;
    assert.equal(probes.probes.height, 64);
    assert.ok(probes.warnings.some((w) => /rejected the 48x192 probe size \(.*\(2, 3, 48, 192\).*retried at 64x192/.test(w)), probes.warnings.join('\n'));
    assert.equal(probes.shapes.size, 330, 'every shape at the rounded size');
  });
});

describe('non-finite activations are counted exactly', () => {
  it('NaN, ±Inf anywhere (the odd last entry too), and finite float32 extremes that must not count', () => {
    const data = new Float32Array(1001).fill(3.4e38);
    assert.equal(countNonFinite(data), 0, 'a thousand float32 maxima sum to a finite float64');
    for (const [positions, values] of [
      [[0], [Number.NaN]],
      [[1000], [Number.POSITIVE_INFINITY]],
      [[3, 4], [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
      [[7, 8, 999], [Number.NaN, Number.NEGATIVE_INFINITY, Number.NaN]],
    ] as const) {
      const bad = Float32Array.from(data);
      positions.forEach((p, i) => (bad[p] = values[i]));
      assert.equal(countNonFinite(bad), positions.length, `non-finite at ${positions.join(', ')}`);
    }
  });
});
