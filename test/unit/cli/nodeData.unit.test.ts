// `seis analyze --node-data`: the Model Explorer overlay written beside the result document, from a
// real run of an example model, and the usage errors that stop a run before any work.
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
