import assert from 'node:assert/strict';
import { readFileSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { runAnalysis } from '../../../src/analysis/engine';
import { AnalysisError } from '../../../src/analysis/errors';
import { chooseProbeSize, findImageInput } from '../../../src/analysis/imageInput';
import { loadModel } from '../../../src/analysis/onnxModel';
import { CLS_MODEL, convModel, externalDataModel, tempDir, vectorModel, writeModel } from './modelFactory';

function rejects(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AnalysisError, `expected an AnalysisError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n    at '), 'no stack trace in the message');
    return true;
  });
}

describe('loadModel on the real PaddleOCR classifier', () => {
  it('normalises nodes, Constant-node weights, opsets and named dynamic dims', () => {
    const m = loadModel(CLS_MODEL);
    assert.equal(m.nodes.length, 471);
    assert.deepEqual(m.opsets, { 'ai.onnx': 9 });
    assert.equal(m.nodes.filter((n) => n.op === 'Conv').length, 53);
    // No initializers in this export: every weight is a Constant node output.
    assert.ok(m.weights.has('batch_norm_0.b_0'));
    assert.equal(m.inputs.length, 1);
    assert.deepEqual(m.inputs[0].dims, ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2']);
    assert.equal(m.sha256.length, 64);
    const warnings: string[] = [];
    const input = findImageInput(m, warnings);
    assert.equal(input.layout, 'NCHW');
    assert.equal(input.channels, 3);
    assert.equal(input.fixedHeight, undefined);
    assert.deepEqual(chooseProbeSize(input, undefined, warnings), { height: 224, width: 224 });
    assert.deepEqual(chooseProbeSize(input, { height: 48, width: 192 }, warnings), { height: 48, width: 192 });
  });
});

describe('bad model files end in a message naming the problem', () => {
  const dir = tempDir();
  it('missing file and folder', () => {
    rejects(() => loadModel(join(dir, 'nope.onnx')), 'model-unreadable', /no such file/);
    rejects(() => loadModel(dir), 'model-unreadable', /is a folder/);
  });
  it('empty file', () => {
    rejects(() => loadModel(writeModel(dir, 'empty.onnx', new Uint8Array(0))), 'model-empty', /empty \(0 bytes\)/);
  });
  it('truncated real model', () => {
    const bytes = readFileSync(CLS_MODEL);
    rejects(() => loadModel(writeModel(dir, 'cut.onnx', bytes.subarray(0, Math.floor(bytes.length / 2)))), 'model-corrupt', /truncated or (corrupt|inconsistent)/);
    rejects(() => loadModel(writeModel(dir, 'cut2.onnx', bytes.subarray(0, 1000))), 'model-corrupt', /truncated/);
  });
  it('non-ONNX files are named', () => {
    rejects(() => loadModel(writeModel(dir, 'a.onnx', Buffer.from('PK\x03\x04rest-of-zip'))), 'model-not-onnx', /ZIP archive/);
    rejects(() => loadModel(writeModel(dir, 'b.onnx', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]))), 'model-not-onnx', /PNG image/);
    rejects(() => loadModel(writeModel(dir, 'c.onnx', Buffer.from('{"layers": []}'))), 'model-not-onnx', /JSON/);
    rejects(() => loadModel(writeModel(dir, 'd.onnx', Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]))), 'model-not-onnx', /starts with bytes de ad be ef/);
  });
  it('corrupt bytes after a valid start', () => {
    const bytes = Buffer.from(convModel());
    const broken = Buffer.concat([bytes.subarray(0, 12), Buffer.alloc(64, 0xff)]);
    rejects(() => loadModel(writeModel(dir, 'garbage.onnx', broken)), 'model-corrupt', /truncated or corrupt/);
  });
  it('custom operator domains', () => {
    rejects(() => loadModel(writeModel(dir, 'custom.onnx', convModel({ customOp: true }))), 'custom-op', /com\.example\.custom.*FancyActivation/);
  });
  it('no image input', () => {
    const m = loadModel(writeModel(dir, 'vec.onnx', vectorModel()));
    rejects(() => findImageInput(m, []), 'no-image-input', /no image input.*'v' \[batch, 10\]/);
  });
  it('absurd declared dims', () => {
    const m = loadModel(writeModel(dir, 'huge.onnx', convModel({ inputDims: [1, 3, 100000, 100000] })));
    rejects(() => findImageInput(m, []), 'absurd-dims', /height of 100000/);
  });
});

describe('external data', () => {
  it('is read from inside the model folder and inlined', () => {
    const dir = tempDir();
    const { model, data } = externalDataModel('weights.bin');
    writeFileSync(join(dir, 'weights.bin'), data);
    const m = loadModel(writeModel(dir, 'ext.onnx', model));
    const w1 = m.proto.graph?.initializer?.find((t) => t.name === 'w1');
    assert.equal(w1?.rawData?.length, data.length);
    assert.match(m.warnings.join(' '), /external data \(weights\.bin\)/);
  });
  it('outside the folder is refused before anything is opened', () => {
    const dir = tempDir();
    // The target does not exist: a message about a missing file would mean we tried to read it.
    const { model } = externalDataModel('../elsewhere/secret.bin');
    rejects(() => loadModel(writeModel(dir, 'escape.onnx', model)), 'external-data', /outside the model's folder; refused \(nothing was read there\)/);
    const abs = externalDataModel('/etc/passwd');
    rejects(() => loadModel(writeModel(dir, 'abs.onnx', abs.model)), 'external-data', /outside the model's folder/);
  });
  it('a symlink leading out of the folder is refused', () => {
    const outside = tempDir();
    const dir = tempDir();
    const { model, data } = externalDataModel('link.bin');
    writeFileSync(join(outside, 'real.bin'), data);
    symlinkSync(join(outside, 'real.bin'), join(dir, 'link.bin'));
    rejects(() => loadModel(writeModel(dir, 'link.onnx', model)), 'external-data', /link that leads outside/);
  });
  it('a missing data file inside the folder is named', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    const { model } = externalDataModel('sub/missing.bin');
    rejects(() => loadModel(writeModel(dir, 'missing.onnx', model)), 'external-data', /sub\/missing\.bin.*missing/);
  });
});

describe('graph order: nodes stored out of topological order are sorted, real breakage is refused', () => {
  const dir = tempDir();
  /** The factory's conv model with its nodes stored in the given order (indices into the original). */
  const reordered = (order: (nodes: onnx.INodeProto[]) => onnx.INodeProto[]): Uint8Array => {
    const decoded = onnx.ModelProto.decode(convModel({ weightsAs: 'constant' }));
    const graph = decoded.graph as onnx.GraphProto;
    graph.node = order(graph.node) as onnx.NodeProto[];
    return onnx.ModelProto.encode(decoded).finish();
  };

  it('a graph whose input-reading node comes last (as in the ISNet export) loads, sorted, and scores like the sorted file', async () => {
    const sortedPath = writeModel(dir, 'sorted.onnx', convModel({ weightsAs: 'constant' }));
    const sorted = loadModel(sortedPath);
    // Reversed: the first node to run (conv1, reading x) is stored near the end, Constants last.
    const shuffledPath = writeModel(dir, 'reversed.onnx', reordered((nodes) => [...nodes].reverse()));
    const shuffled = loadModel(shuffledPath);
    assert.deepEqual(shuffled.nodes.map((n) => n.name), sorted.nodes.map((n) => n.name), 'the same order as the sorted file');
    for (const n of shuffled.nodes) {
      for (const i of n.inputs) {
        const from = shuffled.producers.get(i);
        assert.ok(from === undefined || from < n.index, `${n.name} reads ${i} after it is produced`);
      }
    }
    const request = { probeCount: 6, size: { height: 16, width: 16 }, transforms: ['rot90'], nullPermutations: 2 };
    const a = await runAnalysis({ ...request, modelPath: sortedPath });
    const b = await runAnalysis({ ...request, modelPath: shuffledPath });
    assert.deepEqual(b.layers.map((l) => [l.name, l.status, l.scores.rot90?.equivariance]), a.layers.map((l) => [l.name, l.status, l.scores.rot90?.equivariance]));
    assert.ok(b.layers.some((l) => l.status === 'scored'));
  });

  it('an already sorted graph keeps its exact node order', () => {
    const m = loadModel(CLS_MODEL);
    const original = onnx.ModelProto.decode(readFileSync(CLS_MODEL));
    assert.deepEqual(m.nodes.map((n) => n.outputs[0]), (original.graph as onnx.GraphProto).node.map((n) => (n.output ?? []).filter(Boolean)[0]));
  });

  it('a subgraph reading an outer tensor (If branch) is ordered after that tensor\'s producer', () => {
    const info = (name: string) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }, { dimValue: 4 }, { dimValue: 4 }] } } } });
    const branch = (name: string): onnx.IGraphProto => ({ name, node: [{ name: `${name}_id`, opType: 'Identity', input: ['r'], output: [`${name}_out`] }], output: [info(`${name}_out`)] });
    const model: onnx.IModelProto = {
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'if-after-relu',
        // Stored out of order: the If (whose branches read 'r' from the outer scope) before the Relu making 'r'.
        node: [
          { name: 'branch', opType: 'If', input: ['cond'], output: ['y'], attribute: [
            { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('then') },
            { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('else') },
          ] },
          { name: 'relu', opType: 'Relu', input: ['x'], output: ['r'] },
        ],
        input: [info('x'), { name: 'cond', type: { tensorType: { elemType: onnx.TensorProto.DataType.BOOL, shape: { dim: [] } } } }],
        output: [info('y')],
      },
    };
    const m = loadModel(writeModel(dir, 'if.onnx', onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish()));
    assert.deepEqual(m.nodes.map((n) => n.name), ['relu', 'branch']);
  });

  it('a real cycle, a dangling input and a tensor with two producers are refused as inconsistent, naming the nodes', () => {
    const cyclic = reordered((nodes) =>
      nodes.map((n) => (n.name === 'conv1' ? onnx.NodeProto.create({ ...n, input: ['g', 'w1'] }) : n)),
    );
    rejects(() => loadModel(writeModel(dir, 'cycle.onnx', cyclic)), 'model-corrupt', /cycle \(node \d+ \(Conv 'conv1'\)|cycle.*depends on its own output/);
    const dangling = reordered((nodes) => nodes.map((n) => (n.name === 'conv2' ? onnx.NodeProto.create({ ...n, input: ['nowhere', 'w2'] }) : n)));
    rejects(() => loadModel(writeModel(dir, 'dangling.onnx', dangling)), 'model-corrupt', /Conv 'conv2'\) reads tensor 'nowhere', which no node, weight or input provides; the file is truncated or inconsistent/);
    const twice = reordered((nodes) => nodes.map((n) => (n.name === 'conv2' ? onnx.NodeProto.create({ ...n, output: ['c1'] }) : n)));
    rejects(() => loadModel(writeModel(dir, 'twice.onnx', twice)), 'model-corrupt', /tensor 'c1' is produced by both node \d+ \(Conv 'conv1'\) and node \d+ \(Conv 'conv2'\)/);
  });
});
