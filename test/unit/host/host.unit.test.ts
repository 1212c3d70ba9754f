/**
 * Pure parts of the extension host (no vscode): Python line matching, score formatting and stage
 * grouping, CSV export, and the per-model results store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { csvCell, resultsToCsv } from '../../../src/shared/csv';
import { groupByStage, layerDetails, matchesFilter, resultSummary, scoreLabel, stageOf, textBar } from '../../../src/host/format';
import { incompleteSummary, stoppedEarly } from '../../../src/shared/incomplete';
import { READING_TEXT } from '../../../src/shared/reading';
import { matchPythonSource, moduleScope, qualifiedPath } from '../../../src/host/pythonMatch';
import { ResultsStore, changedSettings, hashFile, settingsKeyOf, stableStringify } from '../../../src/host/resultsStore';
import type { AnalysisResult, LayerResult, ScoreCell } from '../../../src/shared/results';

function cell(e: number, i: number, nullE = 0.2, nullI = 0.1): ScoreCell {
  return {
    equivariance: e, invariance: i, null: { equivariance: nullE, invariance: nullI, permutations: 3 },
    rankClean: 10, rankTransformed: 11, r: 10, observations: 256, variables: 64, exact: true, underdetermined: false, warnings: [],
  };
}

function layer(node: string, op: string, scores: Record<string, ScoreCell> = { rot90: cell(0.9, 0.2) }, status: LayerResult['status'] = 'scored'): LayerResult {
  return { name: `${node}_output_0`, node, op, shape: [8, 16, 8, 8], layout: 'NCHW', positions: 64, status, scores: status === 'scored' ? scores : {} };
}

function result(layers: LayerResult[]): AnalysisResult {
  return {
    schemaVersion: 1,
    tool: { name: 'seis-lens', version: '0.1.0' },
    createdAt: '2026-11-28T18:00:00.000Z',
    model: {
      path: '/m/model.onnx', fileName: 'model.onnx', sha256: 'ab', sizeBytes: 10, opsets: { '': 13 }, nodeCount: layers.length,
      inputName: 'x', declaredInputShape: ['N', 3, 32, 32], probeInputShape: [8, 3, 32, 32], inputLayout: 'NCHW',
    },
    settings: {
      keep: 0.99, nullPermutations: 3, seed: 1, orientation: 'spatial', probes: { source: 'builtin', count: 8 }, transforms: ['rot90'],
      layerSelection: 'default', batchSize: 8, maxPositions: 1024, executionProvider: 'cpu',
    },
    transforms: [{ id: 'rot90', label: 'Rotate 90°', kind: 'rotation', exact: true, params: { degrees: 90 } }],
    inputFloor: { rot90: cell(1, 0.05) },
    layers,
    warnings: [],
  };
}

describe('Python module matching', () => {
  it('reads the module scope of PyTorch-exported node names', () => {
    assert.deepEqual(moduleScope('/layer1/layer1.0/conv1/Conv'), ['layer1', 'layer1.0', 'conv1']);
    assert.equal(moduleScope('conv2d_12.tmp_0'), undefined, 'Paddle names have no scope');
    assert.equal(qualifiedPath(['layer1', 'layer1.0', 'conv1']), 'layer1.0.conv1');
    assert.equal(qualifiedPath(['features', 'features.3']), 'features.3');
  });

  it('decorates a self.x line only when one module and one line match', () => {
    const layers = [
      layer('/conv1/Conv', 'Conv'),
      layer('/relu/Relu', 'Relu'),
      layer('/layer1/layer1.0/conv1/Conv', 'Conv'),
      layer('/layer1/layer1.1/conv1/Conv', 'Conv'),
      layer('/head/Gemm', 'Gemm', {}, 'no-spatial-axis'),
      layer('/stem/Conv', 'Conv'),
      layer('/stem/Relu', 'Relu'),
    ];
    const source = [
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())',
      '        self.relu = nn.ReLU()',
      '        self.head = nn.Linear(8, 10)',
      '        self.relu_count: int = 3',
      '        if self.relu == other: pass',
      'class Block(nn.Module):',
      '    def __init__(self):',
      '        self.conv1 = nn.Conv2d(8, 8, 3)',
    ].join('\n');
    const matches = matchPythonSource(source, layers);
    // conv1: two module paths (/conv1 and layer1.x.conv1) → ambiguous; head: not scored; relu_count: no layer.
    assert.deepEqual(matches.map((m) => [m.line, m.attribute, m.modulePath, m.layer.node]), [
      [2, 'stem', 'stem', '/stem/Relu'],
      [3, 'relu', 'relu', '/relu/Relu'],
    ]);
  });

  it('refuses a match when the attribute is assigned on two lines', () => {
    const source = 'self.fc = nn.Linear(1, 2)\nself.fc = nn.Linear(2, 3)\n';
    assert.deepEqual(matchPythonSource(source, [layer('/fc/Conv', 'Conv')]), []);
  });
});

describe('score formatting and grouping', () => {
  it('labels and bars', () => {
    assert.equal(scoreLabel(cell(0.8234, 0.1149)), 'E 0.82 · I 0.11');
    assert.equal(textBar(1), '████████');
    assert.equal(textBar(0), '········');
    assert.equal(textBar(0.5), '████····');
    assert.equal([...textBar(0.5 + 1 / 64)].length, 8);
  });

  it('hovers and the summary give the shared reading, each cell against its own null', () => {
    const hoverReading = (c: ScoreCell): string | undefined => {
      const l = layer('/a/b/Conv', 'Conv', { rot90: c });
      return layerDetails(result([l]), l, 'rot90').find((line) => line.startsWith('reading: '));
    };
    assert.equal(hoverReading(cell(0.95, 0.2)), `reading: ${READING_TEXT['re-encoded']}`);
    assert.equal(hoverReading(cell(0.95, 0.9)), `reading: ${READING_TEXT.invariant}`);
    // E 0.9 / I 0.5 used to read "mixed" here and "invariant" in the panel; the shared rule says invariant.
    assert.equal(hoverReading(cell(0.9, 0.5)), `reading: ${READING_TEXT.invariant}`);
    assert.equal(hoverReading(cell(0.22, 0.1)), `reading: ${READING_TEXT.lost}`);
    assert.equal(hoverReading({ ...cell(0.99, 0.9), underdetermined: true }), `reading: ${READING_TEXT.underdetermined}`);
    const summary = resultSummary(result([layer('/a/b/Conv', 'Conv', { rot90: cell(0.22, 0.1) }), layer('/a/c/Conv', 'Conv')]));
    assert.match(summary, /2\/2 layers scored, Rotate 90°: 1 near the null/);
  });

  it('groups PyTorch stages in graph order and leaves flat names flat', () => {
    const torch = [layer('/conv1/Conv', 'Conv'), layer('/layer1/layer1.0/conv1/Conv', 'Conv'), layer('/layer1/layer1.0/conv2/Conv', 'Conv'),
      layer('/layer2/layer2.0/conv1/Conv', 'Conv'), layer('/layer2/layer2.0/conv2/Conv', 'Conv')];
    assert.equal(stageOf(torch[1]!), 'layer1');
    assert.deepEqual(groupByStage(torch).map((g) => [g.stage, g.layers.length]), [['', 1], ['layer1', 2], ['layer2', 2]]);
    const paddle = [layer('conv2d_0.tmp_0', 'Conv'), layer('conv2d_1.tmp_0', 'Conv')];
    assert.deepEqual(groupByStage(paddle).map((g) => [g.stage, g.layers.length]), [['', 2]]);
    assert.ok(matchesFilter(torch[1]!, 'LAYER1'));
    assert.ok(matchesFilter(torch[1]!, 'conv'));
    assert.ok(!matchesFilter(torch[1]!, 'relu'));
  });
});

describe('CSV export', () => {
  it('one row per layer and transform, floor first, quoted and formula-safe', () => {
    const csv = resultsToCsv(result([layer('/a,b/Conv', 'Conv'), layer('/head/Gemm', 'Gemm', {}, 'no-spatial-axis')]));
    const rows = csv.trimEnd().split('\r\n');
    assert.equal(rows.length, 1 + 1 + 1 + 1);
    assert.ok(rows[0]!.startsWith('model,layer,node,op'));
    assert.ok(rows[1]!.includes('(input floor)'));
    assert.ok(rows[2]!.includes('"/a,b/Conv_output_0"'), rows[2]);
    assert.ok(rows[2]!.includes(',0.9,0.2,0.2,0.1,'), rows[2]);
    assert.ok(rows[3]!.includes('no-spatial-axis'));
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell(-0.5), '-0.5');
  });
});

describe('results store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seis-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keys settings independently of key order and names what changed', () => {
    assert.equal(stableStringify({ b: 1, a: [2, { d: 1, c: 2 }] }), '{"a":[2,{"c":2,"d":1}],"b":1}');
    assert.equal(settingsKeyOf({ a: 1, b: 2 }), settingsKeyOf({ b: 2, a: 1 }));
    assert.notEqual(settingsKeyOf({ a: 1 }), settingsKeyOf({ a: 2 }));
    assert.deepEqual(changedSettings({ a: 1, t: ['rot90'] }, { a: 1, t: ['rot180'], n: 2 }), ['n', 't']);
  });

  it('returns exact matches fresh, otherwise the latest marked stale with the reason', async () => {
    const model = join(dir, 'model.onnx');
    writeFileSync(model, 'version 1');
    const sha1 = await hashFile(model);
    // Reference from coreutils: printf 'version 1' | sha256sum
    assert.equal(sha1, 'b19f8edae2ee6c225b7278b289c2823ab9accfa225c5d67c4bef270b88ea55f0');
    const store = new ResultsStore(join(dir, 'results'));
    assert.equal(await store.load(model), undefined);
    const settings = { transforms: ['rot90'], nullPermutations: 3 };
    const r1 = result([layer('/conv1/Conv', 'Conv')]);
    await store.save(model, { modelSha256: sha1, settingsKey: settingsKeyOf(settings), settings, savedAt: 'now', result: r1 });

    const fresh = await store.load(model, { modelSha256: sha1, settings });
    assert.equal(fresh?.staleReason, undefined);
    assert.equal(fresh?.entry.result.createdAt, r1.createdAt);

    const other = await store.load(model, { modelSha256: sha1, settings: { ...settings, nullPermutations: 5 } });
    assert.match(other?.staleReason ?? '', /settings changed.*nullPermutations/);

    writeFileSync(model, 'version 2');
    const changed = await store.load(model, { modelSha256: await hashFile(model), settings });
    assert.match(changed?.staleReason ?? '', /model file changed/);
    assert.equal(changed?.entry.result.createdAt, r1.createdAt, 'the earlier results are still returned');

    assert.equal(readdirSync(join(dir, 'results')).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp files left');
    const all = await store.all();
    assert.deepEqual(all.map((a) => a.modelPath), [model]);
  });

  it('never stores a partial result: a cancelled or failed run cannot replace good results', async () => {
    const store = new ResultsStore(join(dir, 'results3'));
    const model = join(dir, 'p.onnx');
    const good = result([layer('/conv1/Conv', 'Conv'), layer('/conv2/Conv', 'Conv')]);
    await store.save(model, { modelSha256: 'x', settingsKey: 'k', settings: {}, savedAt: 'then', result: good });
    const partial = stoppedEarly({ ...good, createdAt: 'later', layers: good.layers.slice(0, 1), incomplete: { reason: 'running', layersDone: 1, layersPlanned: 2 } }, 'cancelled');
    assert.deepEqual(partial.incomplete, { reason: 'cancelled', layersDone: 1, layersPlanned: 2 });
    assert.equal(incompleteSummary(partial.incomplete!), 'incomplete: cancelled after 1 of 2 layers');
    await assert.rejects(store.save(model, { modelSha256: 'x', settingsKey: 'k', settings: {}, savedAt: 'now', result: partial }), /incomplete result \(cancelled\) is never stored/);
    assert.equal((await store.load(model))?.entry.result.createdAt, good.createdAt, 'the good results stay');
    assert.equal(readdirSync(join(dir, 'results3')).length, 1, 'no temp file left behind');
  });

  it('a damaged store file loses only that model', async () => {
    const store = new ResultsStore(join(dir, 'results2'));
    const a = join(dir, 'a.onnx');
    const b = join(dir, 'b.onnx');
    for (const m of [a, b]) await store.save(m, { modelSha256: 'x', settingsKey: 'k', settings: {}, savedAt: 'now', result: result([]) });
    const files = readdirSync(join(dir, 'results2'));
    assert.equal(files.length, 2);
    const victim = files.find((f) => readFileSync(join(dir, 'results2', f), 'utf8').includes('a.onnx'))!;
    writeFileSync(join(dir, 'results2', victim), '{ truncated');
    assert.equal(await store.load(a), undefined);
    assert.ok(await store.load(b));
    assert.deepEqual((await store.all()).map((x) => x.modelPath), [b]);
  });
});
