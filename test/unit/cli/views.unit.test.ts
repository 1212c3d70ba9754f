// `seis analyze` with issue 10's options, on a real run of an example model: --node-data (the Model
// Explorer overlay beside the result document), --sweep and --patterns, and the usage errors that stop
// a run before any work.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { main } from '../../../src/cli/main';
import type { GraphNodeData } from '../../../src/shared/nodeData';
import type { AnalysisResult } from '../../../src/shared/results';

const ROOT = join(__dirname, '..', '..', '..');
const MODEL = join(ROOT, 'examples', 'models', 'cnn-plain.onnx');
const PROBES = join(ROOT, 'examples', 'probes', 'fashion-probe.npy');

async function seis(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (into: string[]) => new Writable({ write: (chunk, _e, done) => (into.push(String(chunk)), done()) });
  const code = await main(args, { stdout: sink(chunks.out), stderr: sink(chunks.err) });
  return { code, stdout: chunks.out.join(''), stderr: chunks.err.join('') };
}

describe('seis analyze --node-data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seis-node-data-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the chosen measure and transform of every scored layer, equal to the result document', async () => {
    const overlay = join(dir, 'overlay.json');
    const resultPath = join(dir, 'result.json');
    const run = await seis('analyze', MODEL, '--inputs', PROBES, '--transforms', 'rot90,flip-h', '--layers', 'op:Conv', '--json', resultPath, '--node-data', overlay, '--measure', 'invariance', '--transform', 'flip-h', '--quiet');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(readFileSync(resultPath, 'utf8')) as AnalysisResult;
    const data = JSON.parse(readFileSync(overlay, 'utf8')) as GraphNodeData;
    const scored = result.layers.filter((l) => l.status === 'scored');
    assert.equal(scored.length, 4);
    for (const layer of scored) {
      assert.equal(data.results[layer.name].value, layer.scores['flip-h'].invariance, layer.name);
      assert.equal(data.results[layer.node].value, layer.scores['flip-h'].invariance, layer.node);
    }
    assert.ok(data.thresholds.length > 0);
  });

  it('refuses --measure/--transform without --node-data and a transform the run does not have, before any work', async () => {
    const lone = await seis('analyze', MODEL, '--measure', 'invariance');
    assert.equal(lone.code, 2);
    assert.match(lone.stderr, /--measure and --transform choose what --node-data OUT\.json carries; give --node-data too/);
    const missing = await seis('analyze', MODEL, '--transforms', 'rot90', '--node-data', join(dir, 'x.json'), '--transform', 'rot180');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--transform rot180 is not among the transforms run \(rot90\)/);
    const badMeasure = await seis('analyze', MODEL, '--node-data', join(dir, 'x.json'), '--measure', 'speed');
    assert.equal(badMeasure.code, 2);
    assert.match(badMeasure.stderr, /--measure must be one of equivariance\|invariance\|equivariance-above-null/);
  });
});

describe('seis analyze --sweep and --patterns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seis-sweep-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a sweep alone runs only its members, says which one is running, and --patterns fills every cell', async () => {
    const resultPath = join(dir, 'result.json');
    const run = await seis('analyze', MODEL, '--inputs', PROBES, '--sweep', 'shift-x:2', '--patterns', '2', '--layers', '/encoder/conv4/Conv_output_0', '--json', resultPath);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(readFileSync(resultPath, 'utf8')) as AnalysisResult;
    assert.deepEqual(result.settings.transforms, ['shift-x-2', 'shift-x-1', 'shift-x1', 'shift-x2']);
    assert.deepEqual(result.settings.sweeps, ['shift-x:2']);
    assert.ok(result.transforms.every((t) => t.family === 'shift-x' && t.exact));
    // Non-TTY progress: one line per transform, naming the member and its place in the sweep.
    assert.match(run.stderr, /shift-x-1 \(circular shift -1 px right, 2\/4\): running the transformed probes/);
    const cells = result.layers.flatMap((l) => Object.values(l.scores));
    assert.equal(cells.length, 4);
    assert.ok(cells.every((c) => c.patterns?.length === 2 && c.patterns[0].height === 7 && c.patterns[0].clean.length === 49));
  });

  it('refuses bad sweeps and patterns in the channel diagnostic before any work', async () => {
    const bad = await seis('analyze', MODEL, '--sweep', 'rot:0.1');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /sweep 'rot:0.1' has 3599 members, more than 360; use a coarser step/);
    const channel = await seis('analyze', MODEL, '--patterns', '2', '--orientation', 'channel');
    assert.equal(channel.code, 2);
    assert.match(channel.stderr, /--patterns draws maps over positions/);
  });
});
