/**
 * Checkpoint series on real onnxruntime runs (src/analysis/series.ts): each checkpoint's layers are
 * identical to analysing that file alone, layers are matched by tensor name with gaps and messages,
 * different architectures are refused with the names that differ, cancel keeps finished checkpoints,
 * intervals come out centred on the scores.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { orderCheckpoints } from '../../../src/analysis/checkpoints';
import { AnalysisError } from '../../../src/analysis/errors';
import type { AnalysisRequest } from '../../../src/analysis/protocol';
import { startAnalysis } from '../../../src/analysis/runner';
import { startSeries, type SeriesRequest } from '../../../src/analysis/series';
import { checkSameArchitecture, graphTensorNames } from '../../../src/analysis/seriesGraphs';
import type { ScoreInterval } from '../../../src/shared/results';
import { childLifeAfterParentKill } from './killedParent';
import { convModel, OCR_ASSETS, tempDir, writeModel } from './modelFactory';

const EXAMPLES = resolve(__dirname, '../../../examples');
const PLAIN = join(EXAMPLES, 'checkpoints', 'plain');
const REC_MODEL = join(OCR_ASSETS, 'ch_PP-OCRv4_rec_infer.onnx');
const hasCheckpoints = existsSync(join(PLAIN, 'epoch_0.onnx')) && existsSync(join(PLAIN, 'epoch_1.onnx'));

const tiny: Omit<AnalysisRequest, 'modelPath'> = { size: { height: 16, width: 16 }, probeCount: 10, transforms: ['rot90', 'flip-h'], layers: 'all', nullPermutations: 2 };

function seriesOf(paths: string[], analysis = tiny, extra: Partial<SeriesRequest> = {}): SeriesRequest {
  const ordering = orderCheckpoints(paths.map((path) => ({ path })), 'given');
  return { checkpoints: ordering.checkpoints, order: ordering.order, analysis, ...extra };
}

describe('series: each checkpoint equals seis analyze on that file alone', { skip: hasCheckpoints ? false : 'examples/checkpoints not generated (scripts/train_examples.py --checkpoints)' }, () => {
  const files = [join(PLAIN, 'epoch_0.onnx'), join(PLAIN, 'epoch_1.onnx')];
  const analysis: Omit<AnalysisRequest, 'modelPath'> = { inputs: join(EXAMPLES, 'probes', 'fashion-probe.npy'), transforms: ['rot90', 'flip-h', 'rot30'], maxPositions: 49 };

  it('same layers, same scores and nulls, to the bit; different checkpoints really differ', async () => {
    const progress: string[] = [];
    const shapeRuns: number[] = [];
    const series = await startSeries(seriesOf(files, analysis), {
      onProgress: (p) => {
        progress.push(p.message);
        if (p.stage === 'shapes') shapeRuns.push(p.checkpoint.index);
      },
    }).result;
    // Probes and the layer plan (the shape run) are made once, on the first checkpoint, and reused.
    assert.deepEqual([...new Set(shapeRuns)], [1]);
    assert.equal(series.kind, 'series');
    assert.equal(series.checkpoints.length, 2);
    assert.equal(series.incomplete, undefined);
    for (const [i, file] of files.entries()) {
      const alone = await startAnalysis({ ...analysis, modelPath: file }).result;
      const checkpoint = series.checkpoints[i];
      assert.equal(checkpoint.model.sha256, alone.model.sha256);
      assert.deepEqual(checkpoint.layers, alone.layers);
      assert.deepEqual(series.inputFloor, alone.inputFloor);
      assert.deepEqual(series.settings, alone.settings);
    }
    const first = series.checkpoints[0].layers.find((l) => l.status === 'scored');
    const second = series.checkpoints[1].layers.find((l) => l.name === first?.name);
    assert.notEqual(first?.scores.rot90.equivariance, second?.scores.rot90.equivariance);
    assert.ok(progress.some((m) => /^checkpoint 2\/2 epoch_1, layer \d+\/\d+/.test(m)), progress.slice(-3).join(' | '));
  });

  it('intervals: every score gets one, centred on the score, with the documented fields', async () => {
    const series = await startSeries(seriesOf(files.slice(0, 1), { ...analysis, transforms: ['rot90'], intervals: { resamples: 12, level: 0.9 } })).result;
    assert.deepEqual(series.settings.intervals, { resamples: 12, level: 0.9 });
    const scored = series.checkpoints[0].layers.filter((l) => l.status === 'scored');
    assert.ok(scored.length > 0);
    for (const layer of scored) {
      const cell = layer.scores.rot90;
      const intervals = cell.intervals;
      assert.ok(intervals, `${layer.name} has intervals`);
      for (const m of ['equivariance', 'invariance'] as const) {
        const iv: ScoreInterval = intervals[m];
        assert.equal(iv.method, 'jackknife-delete-d-images');
        assert.equal(iv.level, 0.9);
        assert.ok(iv.resamples >= 6 && iv.resamples <= 12);
        assert.ok(iv.low <= cell[m] + 1e-12 && cell[m] <= iv.high + 1e-12, `${layer.name} ${m}: ${iv.low} ≤ ${cell[m]} ≤ ${iv.high}`);
        assert.ok(iv.high > iv.low, 'a real width');
      }
    }
    assert.ok(series.inputFloor.rot90.intervals, 'the input floor has an interval too');
  });
});

describe('series: layer matching and architectures', () => {
  const dir = tempDir('seis-series-');
  const plain = writeModel(dir, 'epoch_1.onnx', convModel());
  // Same network with a transpose in front (NHWC input): one extra tensor, 'xt'.
  const withTranspose = writeModel(dir, 'epoch_2.onnx', convModel({ nhwc: true }));

  it('a checkpoint lacking a layer keeps its other layers, a gap and a message naming it', async () => {
    const series = await startSeries(seriesOf([withTranspose, plain])).result;
    const [a, b] = series.checkpoints;
    assert.ok(a.layers.some((l) => l.name === 'xt'));
    assert.ok(!b.layers.some((l) => l.name === 'xt'));
    assert.deepEqual(b.missingLayers, ['xt']);
    assert.match(b.message ?? '', /no result for 1 of the series' layers \(xt\): its graph has no tensor of that name; they are gaps/);
    assert.deepEqual(b.layers.map((l) => l.name), ['c1', 'r1', 'c2', 'g', 'y']);
    assert.equal(a.missingLayers, undefined);
  });

  it('different architectures are refused before any run, naming the tensors that differ', async () => {
    const other = join(EXAMPLES, 'models', 'vit-tiny.onnx');
    await assert.rejects(startSeries(seriesOf([plain, other])).result, (e: unknown) => {
      assert.ok(e instanceof AnalysisError && e.code === 'bad-option');
      assert.match(e.message, /vit-tiny and epoch_1 are different architectures \(\d+ of \d+ tensor names in common\): only in epoch_1: c1, r1, c2, g, y; only in vit-tiny: /);
      return true;
    });
    const { names } = graphTensorNames([plain, withTranspose]);
    assert.doesNotThrow(() => checkSameArchitecture(['a', 'b'], names));
  });

  it('an unreadable checkpoint is a failed entry with its message, not a failed series', async () => {
    const broken = join(dir, 'epoch_3.onnx');
    copyFileSync(join(EXAMPLES, 'README.md'), broken);
    const series = await startSeries(seriesOf([plain, broken])).result;
    assert.equal(series.checkpoints.length, 2);
    assert.equal(series.checkpoints[1].failed, true);
    assert.match(series.checkpoints[1].message ?? '', /could not be analysed: .*epoch_3\.onnx/);
    assert.equal(series.checkpoints[1].layers.length, 0);
  });
});

describe("series: the caller's side (the extension host) parses no model", () => {
  it('a non-ONNX checkpoint: the engine reading error comes from the child; the caller never loads the ONNX reader', () => {
    const dir = tempDir('seis-series-host-');
    const broken = join(dir, 'epoch_1.onnx');
    copyFileSync(join(EXAMPLES, 'README.md'), broken);
    const src = resolve(__dirname, '../../../src/analysis');
    // A fresh process holds only what startSeries itself loads, so its module cache tells what the
    // caller's thread used: the ONNX reader and the graph comparison must not be among them.
    const script = `
      const { startSeries } = require(${JSON.stringify(join(src, 'series.ts'))});
      const { orderCheckpoints } = require(${JSON.stringify(join(src, 'checkpoints.ts'))});
      const ordering = orderCheckpoints([{ path: ${JSON.stringify(broken)} }], 'given');
      const handle = startSeries({ checkpoints: ordering.checkpoints, order: ordering.order, analysis: ${JSON.stringify(tiny)} });
      const parsing = () => Object.keys(require.cache).filter((k) => /onnxModel|seriesGraphs|layers\.ts|onnx-proto/.test(k));
      const loadedAtReturn = parsing();
      handle.result.then(
        () => console.log(JSON.stringify({ resolved: true })),
        (e) => console.log(JSON.stringify({ code: e.code, message: e.message, loadedAtReturn, loadedAtEnd: parsing() })),
      );`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { code?: string; message?: string; loadedAtReturn?: string[]; loadedAtEnd?: string[] };
    assert.deepEqual(out.loadedAtReturn, []);
    assert.deepEqual(out.loadedAtEnd, []);
    // Exactly the engine's reading error for that file, relayed from the series child.
    const engineReading = graphTensorNames([broken]).errors[0];
    assert.ok(engineReading && engineReading.includes('epoch_1.onnx'), engineReading);
    assert.equal(out.code, 'runtime');
    assert.equal(out.message, `no checkpoint could be analysed; epoch_1: ${engineReading}`);
  });
});

describe('series: cancel keeps the finished checkpoints', () => {
  const dir = tempDir('seis-series-cancel-');
  mkdirSync(join(dir, 'run'));
  const files = [1, 2, 3].map((e) => writeModel(join(dir, 'run'), `epoch_${e}.onnx`, convModel()));

  it('cancel during the second checkpoint: the first is kept, marked incomplete', async () => {
    let handle: ReturnType<typeof startSeries> | undefined = undefined;
    let partials = 0;
    handle = startSeries(seriesOf(files), {
      onCheckpoint: () => partials++,
      onProgress: (p) => {
        if (p.checkpoint.index === 2 && p.stage === 'transform') handle?.cancel();
      },
    });
    const series = await handle.result;
    assert.equal(partials, 1);
    assert.equal(series.checkpoints.length, 1);
    assert.equal(series.checkpoints[0].label, 'epoch_1');
    assert.ok(series.checkpoints[0].layers.some((l) => l.status === 'scored'));
    assert.deepEqual(series.incomplete, { reason: 'cancelled', message: 'cancelled during epoch_2', checkpointsDone: 1, checkpointsPlanned: 3 });
  });

  it('cancel before anything finished rejects as cancelled', async () => {
    const handle = startSeries(seriesOf(files));
    handle.cancel();
    await assert.rejects(handle.result, (e: unknown) => e instanceof AnalysisError && e.code === 'cancelled');
  });
});

describe('series: a killed parent', () => {
  it('kill -9 of seis series ends the series child within 2 s, even while it parses the graphs', async () => {
    // 800 checkpoints of the 10 MB PP-OCRv4 recognizer (links): the child's up-front graph comparison
    // holds its event loop for seconds, so only the watchdog thread (parentWatch.ts) can end it in time.
    const dir = tempDir('seis-series-kill-');
    for (let e = 1; e <= 800; e++) symlinkSync(REC_MODEL, join(dir, `epoch_${e}.onnx`));
    const { childStarted, msAlive } = await childLifeAfterParentKill(['series', dir, '--probes', '4', '--quiet']);
    assert.ok(childStarted, 'the CLI forked its series child, running before the kill');
    assert.ok(msAlive < 2000, `series child still alive ${msAlive} ms after the parent's kill -9`);
  });
});
