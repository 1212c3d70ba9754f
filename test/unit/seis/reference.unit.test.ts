// The SEIS core against scores computed outside the project with numpy/LAPACK
// (scripts/make_reference_fixtures.py → test/fixtures/reference/), on both matmul backends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyFile } from '../../../src/io/npy';
import { jsMatMulBackend, nullPermutation, scorePair, type ActivationLayout, type MatMulBackend, type Orientation, type PairScore } from '../../../src/seis';
import { createOrtMatMulBackend, type OrtMatMulBackend } from '../../../src/analysis/ortMatMulBackend';

const DIR = join(__dirname, '..', '..', 'fixtures', 'reference');
const TOLERANCE = 1e-6;

interface ReferenceCase {
  name: string;
  description: string;
  clean: string;
  transformed: string;
  dtype: string;
  options: { keep: number; nullPermutations: number; seed: number; orientation: Orientation; layout?: ActivationLayout };
  expected: {
    equivariance: number;
    invariance: number;
    rankClean: number;
    rankTransformed: number;
    r: number;
    observations: number;
    variables: number;
    underdetermined: boolean;
    canonicalCorrelations: number[];
    null: { equivariance: number; invariance: number; permutations: number };
  };
  compare: { invariance: boolean; nullInvariance: boolean };
  notes: string[];
  permutations: number[][];
}

const document = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { tolerance: number; cases: ReferenceCase[] };

function load(c: ReferenceCase) {
  const clean = readNpyFile(join(DIR, c.clean));
  const transformed = readNpyFile(join(DIR, c.transformed));
  const layout = c.options.layout;
  return {
    clean: layout ? { data: clean.data, shape: clean.shape, layout } : { data: clean.data, shape: clean.shape },
    transformed: layout ? { data: transformed.data, shape: transformed.shape, layout } : { data: transformed.data, shape: transformed.shape },
    dtype: clean.dtype,
  };
}

async function score(c: ReferenceCase, backend: MatMulBackend, explicitPermutations = false): Promise<PairScore> {
  const { clean, transformed } = load(c);
  const { layout: _layout, ...options } = c.options;
  return scorePair(clean, transformed, explicitPermutations ? { ...options, permutations: c.permutations } : options, backend);
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE, `${what}: core ${actual} vs LAPACK reference ${expected} (|Δ| = ${Math.abs(actual - expected).toExponential(2)} > ${TOLERANCE})`);
}

function checkAgainstReference(c: ReferenceCase, s: PairScore, label: string): void {
  const e = c.expected;
  assert.equal(s.rankClean, e.rankClean, `${label} k`);
  assert.equal(s.rankTransformed, e.rankTransformed, `${label} k'`);
  assert.equal(s.r, e.r, `${label} r`);
  assert.equal(s.observations, e.observations, `${label} n`);
  assert.equal(s.variables, e.variables, `${label} d`);
  assert.equal(s.underdetermined, e.underdetermined, `${label} underdetermined`);
  assert.equal(s.orientation, c.options.orientation);
  close(s.equivariance, e.equivariance, `${label} S_E`);
  assert.equal(s.canonicalCorrelations.length, e.r);
  s.canonicalCorrelations.forEach((rho, i) => close(rho, e.canonicalCorrelations[i], `${label} ρ_${i + 1}`));
  if (c.compare.invariance) close(s.invariance, e.invariance, `${label} S_I`);
  else assert.ok(s.invariance >= 0 && s.invariance <= 1 + 1e-12, `${label} S_I ${s.invariance} in [0, 1]`);
  assert.equal(s.null.permutations, e.null.permutations);
  close(s.null.equivariance, e.null.equivariance, `${label} null S_E`);
  if (c.compare.nullInvariance) close(s.null.invariance, e.null.invariance, `${label} null S_I`);
}

describe('SEIS core vs numpy/LAPACK reference fixtures', () => {
  let ort: OrtMatMulBackend;
  before(async () => {
    ort = await createOrtMatMulBackend();
  });
  after(async () => {
    await ort.dispose();
  });

  it('has the cases the fixtures promise', () => {
    const names = document.cases.map((c) => c.name);
    for (const name of ['random_pair', 'identity', 'rot90_exact', 'independent', 'low_rank', 'wide', 'underdetermined', 'tokens_cls', 'channel_orientation', 'float16']) {
      assert.ok(names.includes(name), `fixture case ${name} missing: rerun scripts/make_reference_fixtures.py`);
    }
    assert.equal(document.tolerance, TOLERANCE);
  });

  it('reproduces the seeded null permutations the reference used (the Python port agrees with src/seis/random.ts)', () => {
    for (const c of document.cases) {
      c.permutations.forEach((perm, index) => {
        assert.deepEqual(Array.from(nullPermutation(perm.length, c.options.seed, index)), perm, `${c.name} permutation ${index}`);
      });
    }
  });

  for (const c of document.cases) {
    it(`${c.name}: ${c.description} — js backend`, async () => {
      checkAgainstReference(c, await score(c, jsMatMulBackend), 'js');
    });
    it(`${c.name}: onnxruntime backend matches the reference and the js backend`, async () => {
      const viaOrt = await score(c, ort);
      checkAgainstReference(c, viaOrt, 'ort');
      const viaJs = await score(c, jsMatMulBackend, true);
      assert.ok(Math.abs(viaOrt.equivariance - viaJs.equivariance) <= 1e-9, `S_E js ${viaJs.equivariance} vs ort ${viaOrt.equivariance}`);
      if (c.compare.invariance) assert.ok(Math.abs(viaOrt.invariance - viaJs.invariance) <= 1e-9, `S_I js ${viaJs.invariance} vs ort ${viaOrt.invariance}`);
      assert.equal(viaOrt.rankClean, viaJs.rankClean);
      assert.equal(viaOrt.rankTransformed, viaJs.rankTransformed);
    });
  }

  it('sanity facts hold on the reference data: identity → 1/1, exact rot90 → S_E 1 and S_I < 1', async () => {
    const byName = new Map(document.cases.map((c) => [c.name, c]));
    const identity = await score(byName.get('identity')!, jsMatMulBackend);
    close(identity.equivariance, 1, 'identity S_E');
    close(identity.invariance, 1, 'identity S_I');
    const rotated = await score(byName.get('rot90_exact')!, jsMatMulBackend);
    close(rotated.equivariance, 1, 'rot90 S_E');
    assert.ok(rotated.invariance < 0.9, `rot90 S_I ${rotated.invariance} should be well below 1`);
    const independent = await score(byName.get('independent')!, jsMatMulBackend);
    assert.ok(independent.invariance < independent.null.equivariance, 'independent: S_I below the null S_E');
  });

  it('float16 files are read as float16 and scored from the widened values', () => {
    const c = document.cases.find((x) => x.name === 'float16')!;
    assert.equal(load(c).dtype, 'float16');
  });
});
