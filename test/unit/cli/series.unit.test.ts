/**
 * `seis series` end to end on the example checkpoints: each checkpoint's layers in the JSON equal
 * `seis analyze --json` on that file alone with the same options (intervals included), the order
 * follows the epochs, the CSV and HTML carry every checkpoint, and bad input is a one-line usage error.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { runAnalyzeCommand } from '../../../src/cli/analyze';
import { expandCheckpointPaths, runSeriesCommand } from '../../../src/cli/series';
import type { AnalysisResult, SeriesResult } from '../../../src/shared/results';
import { tempDir } from '../analysis/modelFactory';
import { captureCli } from './captureCli';

const EXAMPLES = resolve(__dirname, '../../../examples');
const PLAIN = join(EXAMPLES, 'checkpoints', 'plain');
const PROBES = join(EXAMPLES, 'probes', 'fashion-probe.npy');

const run = captureCli;

describe('seis series', { skip: existsSync(join(PLAIN, 'epoch_2.onnx')) ? false : 'examples/checkpoints not generated' }, () => {
  const dir = tempDir('seis-series-cli-');
  // Pooled to 7×7 so the eight analyses stay quick on a shared machine; pooling is the same for both commands.
  const options = ['--inputs', PROBES, '--transforms', 'rot90,flip-h', '--intervals', '8', '--max-positions', '49', '--quiet'];

  it('epoch order; every checkpoint equals seis analyze on its file alone, intervals included', async () => {
    const json = join(dir, 'series.json');
    const csv = join(dir, 'series.csv');
    const html = join(dir, 'series.html');
    // Given out of order: ordered by the epoch in the names.
    const r = await run(runSeriesCommand, [join(PLAIN, 'epoch_2.onnx'), join(PLAIN, 'epoch_0.onnx'), ...options, '--layers', 'op:Conv', '--json', json, '--csv', csv, '--html', html]);
    assert.equal(r.code, 0, r.stderr);
    const series = JSON.parse(readFileSync(json, 'utf8')) as SeriesResult;
    assert.equal(series.kind, 'series');
    assert.equal(series.order, 'step');
    assert.deepEqual(series.checkpoints.map((c) => c.step), [0, 2]);
    assert.deepEqual(series.settings.intervals, { resamples: 8, level: 0.95 });
    for (const index of [0, 1]) {
      const checkpoint = series.checkpoints[index];
      const alone = join(dir, `alone-${index}.json`);
      const a = await run(runAnalyzeCommand, [checkpoint.model.path, ...options, '--layers', 'op:Conv', '--json', alone]);
      assert.equal(a.code, 0, a.stderr);
      const single = JSON.parse(readFileSync(alone, 'utf8')) as AnalysisResult;
      assert.deepEqual(checkpoint.layers, single.layers, `checkpoint ${checkpoint.label}`);
      assert.equal(checkpoint.model.sha256, single.model.sha256);
      assert.deepEqual(series.inputFloor, single.inputFloor);
      assert.ok(single.layers.every((l) => l.status !== 'scored' || l.scores.rot90.intervals), 'analyze --intervals gives intervals too');
    }
    const rows = readFileSync(csv, 'utf8').trim().split('\r\n');
    assert.match(rows[0], /^checkpoint,step,model,sha256,layer,op,status,transform,exact,S_E,S_I,null_S_E,null_S_I,S_E_low,S_E_high,S_I_low,S_I_high,underdetermined,message$/);
    const conv = series.checkpoints[0].layers.filter((l) => l.status === 'scored').length;
    assert.equal(rows.length - 1, 2 * conv * 2);
    assert.match(rows[1], /^epoch_0,0,epoch_0\.onnx,[0-9a-f]{64},/);
    const page = readFileSync(html, 'utf8');
    for (const c of series.checkpoints) assert.ok(page.includes(`>${c.label}<`), `${c.label} in the HTML`);
    assert.ok(page.includes('<svg'), 'trajectories drawn');
    assert.ok(page.includes("default-src 'none'"), 'no script, no network');
  });

  it('prints a table without outputs; usage errors are one line and exit 2', async () => {
    const table = await run(runSeriesCommand, [join(PLAIN, 'epoch_1.onnx'), join(PLAIN, 'epoch_0.onnx'), '--inputs', PROBES, '--transforms', 'rot90', '--layers', 'op:Conv', '--max-positions', '49', '--quiet']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^rot90: S_E \(null\) per checkpoint\nlayer +epoch_0 +epoch_1\n/);
    const missing = await run(runSeriesCommand, [join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^seis series: .*nope does not exist; give \.onnx files or folders holding them\n$/);
    const clobber = await run(runSeriesCommand, [PLAIN, '--json', join(PLAIN, 'epoch_0.onnx')]);
    assert.equal(clobber.code, 2);
    assert.match(clobber.stderr, /is one of the checkpoints; writing it would replace it/);
    const mixed = await run(runSeriesCommand, [join(PLAIN, 'epoch_0.onnx'), join(EXAMPLES, 'models', 'vit-tiny.onnx'), '--quiet']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /vit-tiny and epoch_0 are different architectures/);
  });

  it('expands folders to their .onnx files and refuses duplicates and empty folders', () => {
    const empty = tempDir('seis-series-empty-');
    writeFileSync(join(empty, 'notes.txt'), 'x');
    assert.throws(() => expandCheckpointPaths([empty]), /holds no \.onnx files/);
    assert.throws(() => expandCheckpointPaths([PLAIN, join(PLAIN, 'epoch_1.onnx')]), /given more than once/);
    assert.deepEqual(expandCheckpointPaths([PLAIN]).map((f) => f.path.split('/').pop()), ['epoch_0.onnx', 'epoch_1.onnx', 'epoch_2.onnx', 'epoch_3.onnx', 'epoch_4.onnx']);
  });
});
