/**
 * Sweeps and canonical patterns through the whole analysis, on the example CNNs and their probe
 * images with real onnxruntime: sweep members with their family, parameter and exact marks; one clean
 * pass for all members; patterns stored per cell equal to the core's on the same activations.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runAnalysis } from '../../../src/analysis/engine';
import type { AnalysisProgress } from '../../../src/analysis/protocol';
import { readNpyFile } from '../../../src/io/npy';
import { scorePairWithPatterns } from '../../../src/seis';
import type { ScoreCell } from '../../../src/shared/results';

const ROOT = join(__dirname, '..', '..', '..');
const model = (name: string) => join(ROOT, 'examples', 'models', `${name}.onnx`);
const PROBES = join(ROOT, 'examples', 'probes', 'fashion-probe.npy');
const CONV4 = '/encoder/conv4/Conv_output_0';

describe('sweeps and patterns in an analysis', () => {
  const dump = mkdtempSync(join(tmpdir(), 'seis-views-'));
  after(() => rmSync(dump, { recursive: true, force: true }));

  it('a rot:90 sweep alone scores rot90, rot180, rot270 with one clean pass and stores patterns per cell', async () => {
    const events: AnalysisProgress[] = [];
    const result = await runAnalysis(
      { modelPath: model('cnn-rotaug'), inputs: PROBES, sweeps: ['rot:90'], layers: CONV4, patterns: 3, dumpActivations: dump },
      { onProgress: (p) => events.push(p) },
    );
    assert.deepEqual(result.transforms.map((t) => [t.id, t.family, t.parameter, t.exact]), [
      ['rot90', 'rot', 90, true],
      ['rot180', 'rot', 180, true],
      ['rot270', 'rot', 270, true],
    ]);
    assert.deepEqual(result.settings.sweeps, ['rot:90']);
    assert.equal(result.settings.patterns, 3);
    // The clean activations are captured and decomposed once; each member costs one pass.
    assert.equal(events.filter((e) => e.stage === 'clean').length, 1);
    assert.deepEqual(events.filter((e) => e.stage === 'transform').map((e) => e.transform), ['rot90', 'rot180', 'rot270']);
    assert.ok(events.filter((e) => e.stage === 'transform').every((e) => e.message.includes(e.transform as string)));

    const layer = result.layers.find((l) => l.name === CONV4);
    assert.ok(layer && layer.status === 'scored');
    const files = readdirSync(dump);
    const stem = files.find((f) => f.endsWith('.clean.npy') && f.includes('conv4')) as string;
    const clean = readNpyFile(join(dump, stem));
    for (const t of result.transforms) {
      const cell: ScoreCell = layer.scores[t.id];
      assert.equal(cell.patterns?.length, 3, t.id);
      const moved = readNpyFile(join(dump, stem.replace('.clean.npy', `.${t.id}.npy`)));
      const core = await scorePairWithPatterns({ data: clean.data, shape: clean.shape }, { data: moved.data, shape: moved.shape }, 3);
      for (const [i, p] of (cell.patterns ?? []).entries()) {
        assert.equal(p.height, 7);
        assert.equal(p.width, 7);
        assert.equal(p.clean.length, 49);
        assert.ok(Math.abs(p.rho - core.patterns[i].rho) < 1e-9, `${t.id} pair ${i}: ρ ${p.rho} vs ${core.patterns[i].rho}`);
        const dot = p.clean.reduce((sum, x, j) => sum + x * core.patterns[i].clean[j], 0);
        assert.ok(dot > 0.999, `${t.id} pair ${i}: stored clean pattern differs from the core's (dot ${dot})`);
      }
    }
    // The input floor carries patterns too: the raw input under an exact rotation (ρ = 1, tied).
    assert.ok(result.inputFloor.rot90.patterns?.every((p) => p.tied && p.rho > 1 - 1e-9));
  });

  it('a rot:45 sweep marks the quarter turns exact; the input floor shows what interpolation alone loses', async () => {
    const result = await runAnalysis({ modelPath: model('cnn-plain'), inputs: PROBES, transforms: ['flip-h'], sweeps: ['rot:45'], layers: CONV4 });
    assert.deepEqual(result.settings.transforms, ['flip-h', 'rot45', 'rot90', 'rot135', 'rot180', 'rot225', 'rot270', 'rot315']);
    const exact = result.transforms.filter((t) => t.exact).map((t) => t.id);
    assert.deepEqual(exact, ['flip-h', 'rot90', 'rot180', 'rot270']);
    for (const t of result.transforms) {
      const floor = result.inputFloor[t.id];
      assert.equal(floor.exact, t.exact, t.id);
      if (t.exact) assert.ok(floor.equivariance > 1 - 1e-9, `${t.id} floor ${floor.equivariance}`);
      else assert.ok(floor.equivariance < 0.999, `${t.id}: an interpolated rotation kept the input exactly (${floor.equivariance})`);
    }
    assert.equal(result.layers.find((l) => l.name === CONV4)?.scores.rot45.patterns, undefined, 'patterns are opt-in');
  });
});
