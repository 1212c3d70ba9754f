/**
 * The example tour's "what to look for" paragraph: written from the run's figures. Checked on real
 * analyses of the bundled pair (rot90 only, to keep the shared machine free) and on edited copies of
 * them for the branches a real run of these models does not reach.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runAnalysis } from '../../../src/analysis/engine';
import { EXAMPLE_FILES, EXAMPLE_MODELS, EXAMPLE_PROBES, GUIDE_TRANSFORM, exampleGuide, lastConvFigures } from '../../../src/host/exampleGuide';
import { excessOverNull } from '../../../src/shared/reading';
import type { AnalysisResult } from '../../../src/shared/results';

const ROOT = join(__dirname, '..', '..', '..');

function analyse(model: string): Promise<AnalysisResult> {
  return runAnalysis({ modelPath: join(ROOT, model), inputs: join(ROOT, EXAMPLE_PROBES), transforms: [GUIDE_TRANSFORM], nullPermutations: 2 });
}

/** A copy of `r` whose last conv layer's rot90 S_E is `equivariance`. */
function withLastConvEquivariance(r: AnalysisResult, equivariance: number): AnalysisResult {
  const last = lastConvFigures(r)!;
  return {
    ...r,
    layers: r.layers.map((l) => ((l.node || l.name) === last.layer ? { ...l, scores: { ...l.scores, [GUIDE_TRANSFORM]: { ...last.cell, equivariance } } } : l)),
  };
}

describe('example tour guide', () => {
  let plain: AnalysisResult;
  let augmented: AnalysisResult;
  before(async () => {
    plain = await analyse(EXAMPLE_MODELS[0]);
    augmented = await analyse(EXAMPLE_MODELS[1]);
  });

  it('lists files that exist in the repository', () => {
    for (const f of EXAMPLE_FILES) assert.ok(existsSync(join(ROOT, f)), `${f} exists`);
  });

  it('quotes the last conv layer of each run with its null, and says which keeps more', () => {
    const p = lastConvFigures(plain)!;
    const a = lastConvFigures(augmented)!;
    assert.equal(p.layer, '/encoder/conv4/Conv', 'the CNN\'s fourth conv is its last one');
    assert.equal(a.layer, p.layer);
    const text = exampleGuide(plain, augmented)!;
    assert.ok(text, 'a guide is written');
    for (const x of [p.cell.equivariance, p.cell.null.equivariance, a.cell.equivariance, a.cell.null.equivariance]) {
      assert.ok(text.includes(x.toFixed(2)), `the guide quotes ${x.toFixed(2)}: ${text}`);
    }
    assert.ok(text.includes('cnn-plain.onnx') && text.includes('cnn-rotaug.onnx'));
    assert.ok(text.includes('64 Fashion-MNIST probe images'), 'the probe count comes from the run');
    // The committed models: augmentation keeps far more above the null (README: 0.51/0.06 vs 0.85/0.04).
    assert.ok(excessOverNull(a.cell, 'equivariance')! - excessOverNull(p.cell, 'equivariance')! > 0.2);
    assert.match(text, /with augmentation, much more/);
  });

  it('says so when the run does not show the difference, and writes nothing without figures', () => {
    const p = lastConvFigures(plain)!;
    const level = withLastConvEquivariance(augmented, p.cell.equivariance + p.cell.null.equivariance - lastConvFigures(augmented)!.cell.null.equivariance);
    assert.match(exampleGuide(plain, level)!, /within 0\.05 of each other/);
    assert.match(exampleGuide(augmented, plain)!, /plain model keeps more/, 'swapped, the verdict turns');
    assert.equal(exampleGuide(plain, augmented, 'flip-h'), undefined, 'flip-h was not scored: no paragraph');
    const noConv: AnalysisResult = { ...plain, layers: plain.layers.filter((l) => l.op !== 'Conv') };
    assert.equal(exampleGuide(noConv, augmented), undefined);
  });
});
