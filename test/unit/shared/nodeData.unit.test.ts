/**
 * The Model Explorer node-data export, on a real result of the example CNN (the panel's fixture,
 * written by `seis analyze`) and checked against the real ONNX graph it came from.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadModel } from '../../../src/analysis/onnxModel';
import { buildNodeData, NODE_DATA_THRESHOLDS, NodeDataError, nodeDataJson } from '../../../src/shared/nodeData';
import { NULL_MARGIN } from '../../../src/shared/reading';
import type { AnalysisResult } from '../../../src/shared/results';

const ROOT = join(__dirname, '..', '..', '..');
const result = JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'cnn-plain.result.json'), 'utf8')) as AnalysisResult;
const model = loadModel(join(ROOT, result.model.path));

describe('Model Explorer node data', () => {
  it('keys every scored layer by its ONNX output tensor and its node, both naming the same graph node', () => {
    const exported = buildNodeData(result, { transform: 'rot90' });
    const scored = result.layers.filter((l) => l.status === 'scored');
    assert.equal(exported.layers, scored.length);
    const producer = new Map<string, string>();
    for (const node of model.nodes) for (const output of node.outputs) producer.set(output, node.name);
    const nodeNames = new Set(model.nodes.map((n) => n.name));
    for (const layer of scored) {
      const byTensor = exported.data.results[layer.name];
      assert.ok(byTensor, `${layer.name} missing`);
      assert.equal(byTensor.value, layer.scores.rot90.equivariance);
      assert.ok(producer.has(layer.name), `${layer.name} is not an output tensor of the graph`);
      const node = producer.get(layer.name) as string;
      assert.ok(nodeNames.has(node));
      assert.deepEqual(exported.data.results[node], byTensor, `node ${node} carries another value than its output`);
    }
    assert.equal(Object.keys(exported.data.results).length, 2 * scored.length);
    // The layers without a spatial axis are listed as left out, not silently dropped.
    assert.equal(exported.skipped.length, result.layers.length - scored.length);
    assert.ok(exported.skipped.some((s) => s.startsWith('logits:')));
  });

  it('exports the chosen measure: S_I, or S_E minus its null', () => {
    const layer = result.layers[0];
    const invariance = buildNodeData(result, { measure: 'invariance', transform: 'flip-h' });
    assert.equal(invariance.data.results[layer.name].value, layer.scores['flip-h'].invariance);
    const excess = buildNodeData(result, { measure: 'equivariance-above-null', transform: 'rot30' });
    const cell = layer.scores.rot30;
    assert.ok(Math.abs(excess.data.results[layer.name].value - (cell.equivariance - cell.null.equivariance)) < 1e-15);
    assert.equal(excess.data.thresholds[0].value, NULL_MARGIN);
    assert.equal(buildNodeData(result).transform, result.transforms[0].id);
  });

  it('colours by ascending thresholds that cover the whole range of the measure', () => {
    for (const [measure, thresholds] of Object.entries(NODE_DATA_THRESHOLDS)) {
      for (let i = 1; i < thresholds.length; i++) assert.ok(thresholds[i].value > thresholds[i - 1].value, `${measure} thresholds not ascending`);
      assert.equal(thresholds[thresholds.length - 1].value, 1, `${measure}: values up to 1 must get a colour`);
      assert.ok(thresholds.every((t) => /^#[0-9a-f]{6}$/.test(t.bgColor)));
    }
  });

  it('writes JSON with exactly results and thresholds, every value a finite number', () => {
    const parsed = JSON.parse(nodeDataJson(result, { transform: 'shift-x4' })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed).sort(), ['results', 'thresholds']);
    const values = Object.values(parsed.results as Record<string, { value: unknown }>);
    assert.ok(values.length > 0 && values.every((r) => typeof r.value === 'number' && Number.isFinite(r.value)));
  });

  it('leaves out underdetermined cells and refuses requests the result cannot answer, naming the fix', () => {
    const first = result.layers[0];
    const underdetermined: AnalysisResult = {
      ...result,
      layers: result.layers.map((l) => (l === first ? { ...l, scores: { ...l.scores, rot90: { ...l.scores.rot90, underdetermined: true } } } : l)),
    };
    const exported = buildNodeData(underdetermined, { transform: 'rot90' });
    assert.equal(exported.data.results[first.name], undefined);
    assert.ok(exported.skipped.some((s) => s.startsWith(`${first.name}: underdetermined`)));

    assert.throws(() => buildNodeData(result, { transform: 'rot45' }), (e: unknown) => e instanceof NodeDataError && /'rot45' is not in this result; it has rot90, rot180/.test(e.message));
    const noNull: AnalysisResult = { ...result, settings: { ...result.settings, nullPermutations: 0 } };
    assert.throws(() => buildNodeData(noNull, { measure: 'equivariance-above-null' }), /--null-perms 3 or export --measure equivariance/);
    const nothing: AnalysisResult = { ...result, layers: result.layers.filter((l) => l.status !== 'scored') };
    assert.throws(() => buildNodeData(nothing), /no layer has a usable equivariance score under rot90/);
  });
});
