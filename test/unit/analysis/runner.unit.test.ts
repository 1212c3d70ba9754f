/**
 * The child-process runner and `seis analyze`: results cross the process boundary intact,
 * cancellation ends the child within a second, and bad input ends in one line and a non-zero exit
 * with no output file left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { analysisChildEnv } from '../../../src/analysis/childEnv';
import { ChildStderr } from '../../../src/analysis/childStderr';
import { AnalysisError } from '../../../src/analysis/errors';
import type { AnalysisProgress } from '../../../src/analysis/protocol';
import { startAnalysis } from '../../../src/analysis/runner';
import { runAnalyzeCommand } from '../../../src/cli/analyze';
import type { AnalysisResult } from '../../../src/shared/results';
import { captureCli } from '../cli/captureCli';
import { childLifeAfterParentKill, isAlive } from './killedParent';
import { CLS_MODEL, DET_MODEL, convModel, externalDataModel, tempDir, writeModel } from './modelFactory';

const cli = (argv: string[]) => captureCli(runAnalyzeCommand, argv);

describe('startAnalysis (child process)', () => {
  const dir = tempDir();
  const model = writeModel(dir, 'tiny.onnx', convModel());

  it('returns the result document with progress along the way', async () => {
    const seen: AnalysisProgress[] = [];
    const handle = startAnalysis({ modelPath: model, size: { height: 16, width: 16 }, probeCount: 8, transforms: ['rot90', 'flip-v'] }, { onProgress: (p) => seen.push(p) });
    assert.ok(handle.pid && handle.pid !== process.pid);
    // Large allocations get their own mappings in the child, so freed activations leave its RSS.
    const environ = readFileSync(`/proc/${handle.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes(`MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? 2 ** 20}`), 'the child runs with glibc\'s mmap threshold set');
    // ...and those mappings may be backed by huge pages (far fewer first-write faults).
    assert.ok(environ.some((e) => e.startsWith('GLIBC_TUNABLES=') && e.includes('glibc.malloc.hugetlb=')), 'the child runs with the huge-page tunable');
    const result = await handle.result;
    assert.equal(result.schemaVersion, 1);
    assert.deepEqual(result.layers.map((l) => [l.name, l.status]), [['c1', 'scored'], ['r1', 'scored'], ['c2', 'scored'], ['y', 'no-spatial-axis']]);
    assert.ok(seen.some((p) => p.stage === 'shapes') && seen.some((p) => p.stage === 'transform' && p.transform === 'flip-v'));
    assert.ok(seen.every((p, i) => i === 0 || p.fraction >= seen[i - 1].fraction - 1e-9), 'progress never goes back');
  });

  it('reports a bad model as an AnalysisError with its code', async () => {
    const bad = writeModel(dir, 'custom.onnx', convModel({ customOp: true }));
    await assert.rejects(startAnalysis({ modelPath: bad }).result, (e: unknown) => e instanceof AnalysisError && e.code === 'custom-op');
  });

  it('cancel ends the child within a second', async () => {
    // Cancelled once the detector's clean probes are running: 64 probes through its layers and five
    // transforms still to go, so the run cannot have finished (a fixed delay could race a fast core).
    let inferring = () => undefined as void;
    const started = new Promise<void>((resolve) => (inferring = resolve));
    const handle = startAnalysis({ modelPath: DET_MODEL, probeCount: 64 }, { onProgress: (p) => p.stage === 'clean' && inferring() });
    const pid = handle.pid as number;
    await started;
    assert.ok(isAlive(pid), 'the child is running before the cancel');
    const t0 = Date.now();
    handle.cancel();
    await assert.rejects(handle.result, (e: unknown) => e instanceof AnalysisError && e.code === 'cancelled');
    while (isAlive(pid) && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(isAlive(pid), false);
    assert.ok(Date.now() - t0 < 1000, `child gone after ${Date.now() - t0} ms`);
  });
});

describe('the analysis child\'s environment', () => {
  const withTunables = (value: string | undefined) => {
    const saved = process.env.GLIBC_TUNABLES;
    if (value === undefined) delete process.env.GLIBC_TUNABLES;
    else process.env.GLIBC_TUNABLES = value;
    try {
      return analysisChildEnv().GLIBC_TUNABLES;
    } finally {
      if (saved === undefined) delete process.env.GLIBC_TUNABLES;
      else process.env.GLIBC_TUNABLES = saved;
    }
  };

  it('asks glibc for huge pages, adding to the user\'s tunables and never overriding their choice', () => {
    assert.equal(withTunables(undefined), 'glibc.malloc.hugetlb=1');
    assert.equal(withTunables('glibc.malloc.arena_max=2'), 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    assert.equal(withTunables('glibc.malloc.hugetlb=0'), 'glibc.malloc.hugetlb=0');
  });
});

describe('results as they arrive (runner)', () => {
  // The PaddleOCR classifier at its own 48×192 size: 20-odd layers, so several partials go out.
  const request = { modelPath: CLS_MODEL, size: { height: 48, width: 192 }, normalize: 'symmetric' as const, probeCount: 16, transforms: ['rot180', 'flip-h'] };

  it('partials grow, keep graph order, and every layer in them is already final', async () => {
    const partials: AnalysisResult[] = [];
    const result = await startAnalysis(request, { onPartial: (r) => partials.push(r) }).result;
    assert.equal(result.incomplete, undefined);
    assert.ok(partials.length >= 1, 'at least the first scored layer arrives before the end');
    const finalByName = new Map(result.layers.map((l) => [l.name, l]));
    const order = result.layers.map((l) => l.name);
    let previous: string[] = [];
    for (const partial of partials) {
      assert.equal(partial.incomplete?.reason, 'running');
      assert.equal(partial.incomplete?.layersPlanned, result.layers.length);
      assert.equal(partial.incomplete?.layersDone, partial.layers.length);
      const names = partial.layers.map((l) => l.name);
      assert.deepEqual(names, order.filter((n) => names.includes(n)), 'graph order');
      assert.ok(previous.every((n) => names.includes(n)), 'a layer once shown stays');
      for (const layer of partial.layers) assert.deepEqual(layer, finalByName.get(layer.name), `${layer.name} is final when it appears`);
      assert.deepEqual(partial.inputFloor, result.inputFloor);
      previous = names;
    }
    assert.ok(partials[0].layers.some((l) => l.status === 'scored'));
    assert.ok(partials[0].layers.length < result.layers.length, 'the first partial comes before the last layer is scored');
  });

  it('a cancelled run leaves its last partial: still running, every layer in it complete', async () => {
    const partials: AnalysisResult[] = [];
    let cancel = () => undefined as void;
    const firstPartial = new Promise<void>((resolve) => {
      const handle = startAnalysis({ ...request, probeCount: 32, transforms: ['rot180', 'flip-h', 'flip-v'] }, {
        onPartial: (r) => {
          partials.push(r);
          resolve();
        },
      });
      cancel = () => handle.cancel();
      handle.result.then(
        () => assert.fail('the run should have been cancelled'),
        (e: unknown) => assert.ok(e instanceof AnalysisError && e.code === 'cancelled'),
      );
    });
    await firstPartial;
    cancel();
    await new Promise((r) => setTimeout(r, 300));
    const count = partials.length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(partials.length, count, 'nothing arrives after the cancel');
    const last = partials[partials.length - 1];
    assert.equal(last.incomplete?.reason, 'running');
    const scored = last.layers.filter((l) => l.status === 'scored');
    assert.ok(scored.length >= 1);
    const ids = last.transforms.map((t) => t.id).sort();
    assert.deepEqual(ids, ['flip-h', 'flip-v', 'rot180']);
    for (const l of scored) assert.deepEqual(Object.keys(l.scores).sort(), ids, `${l.name} has every transform`);
  });
});

describe('a killed parent', () => {
  it('kill -9 of seis analyze ends the analysis child within 2 s', async () => {
    // Killed once the detector's clean probes are running (its progress line), not after a fixed delay.
    const { childStarted, msAlive } = await childLifeAfterParentKill(['analyze', DET_MODEL, '--probes', '64'], /clean probes through/);
    assert.ok(childStarted, 'the CLI forked its analysis child, running before the kill');
    assert.ok(msAlive < 2000, `child still alive ${msAlive} ms after the parent's kill -9`);
  });
});

describe('a dump the file system refuses is a user error, not an internal one', () => {
  const dir = tempDir();
  const model = writeModel(dir, 'tiny.onnx', convModel());

  it('startAnalysis: a dump folder under a file ends as file-system, naming the path and what to do', async () => {
    const file = join(dir, 'a-file.txt');
    writeFileSync(file, 'not a folder');
    const dump = join(file, 'dump');
    await assert.rejects(startAnalysis({ modelPath: model, size: { height: 12, width: 12 }, probeCount: 4, transforms: ['rot180'], dumpActivations: dump }).result, (e: unknown) => {
      assert.ok(e instanceof AnalysisError, String(e));
      assert.equal(e.code, 'file-system');
      assert.match(e.message, /a-file\.txt.*ENOTDIR.*a part of that path is a file, not a folder/);
      assert.doesNotMatch(e.message, /internal error|please report/);
      return true;
    });
  });

  it('seis analyze: a write refused mid-run exits 2 with the file, the remedy and what was already written', async () => {
    // The CLI's up-front check passes (the folder exists and is writable); the refusal comes at the
    // second dump file, where a folder stands at its name, after the first file was written.
    const dump = join(dir, 'dump');
    mkdirSync(join(dump, 'input.rot180.npy'), { recursive: true });
    const r = await cli([model, '--size', '12', '--probes', '4', '--transforms', 'rot180', '--dump-activations', dump, '--quiet']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /could not replace .*input\.rot180\.npy \(EISDIR\); a folder stands at that name: move it or choose another location; 1 activation file already written to .*dump \(an incomplete set\)/);
    assert.doesNotMatch(r.stderr, /internal error|please report/);
    assert.ok(existsSync(join(dump, 'input.clean.npy')));
  });
});

describe('seis analyze', () => {
  const dir = tempDir();
  const model = writeModel(dir, 'tiny.onnx', convModel());

  it('writes JSON and CSV atomically and prints a summary without them', async () => {
    const json = join(dir, 'out.json');
    const csv = join(dir, 'out.csv');
    const r = await cli([model, '--size', '12', '--probes', '6', '--transforms', 'rot180,shift-x1', '--json', json, '--csv', csv, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as AnalysisResult;
    assert.equal(doc.layers[0].scores.rot180.observations, 6 * 8);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    assert.deepEqual(rows[0].split(',').slice(0, 2), ['model', 'layer']);
    assert.equal(rows.filter((l) => l.startsWith('tiny.onnx,c1,')).length, 2);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    const table = await cli([model, '--size', '12', '--probes', '6', '--transforms', 'flip-h', '--quiet']);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /\(input floor\)\s+1\.00\//);
    assert.match(table.stdout, /^c2\s+Conv/m);
  });

  const badCases: [string, () => string[], RegExp][] = [
    ['a missing model', () => [join(dir, 'none.onnx')], /no such file/],
    ['an empty file', () => [writeModel(dir, 'empty.onnx', new Uint8Array())], /empty \(0 bytes\)/],
    ['a truncated model', () => [writeModel(dir, 'cut.onnx', readFileSync(CLS_MODEL).subarray(0, 5000))], /truncated/],
    ['a non-ONNX file', () => [writeModel(dir, 'x.onnx', Buffer.from('\x93NUMPY\x01\x00', 'latin1'))], /NumPy \.npy array, not an ONNX model/],
    ['external data outside the folder', () => [writeModel(dir, 'ext.onnx', externalDataModel('../../etc/x.bin').model)], /outside the model's folder; refused/],
    ['a custom op', () => [writeModel(dir, 'custom.onnx', convModel({ customOp: true }))], /custom operators from 'com\.example\.custom'/],
    ['an unknown transform', () => [model, '--transforms', 'rot90,wobble'], /unknown transform 'wobble'/],
    ['an unknown flag', () => [model, '--trasforms', 'rot90'], /unknown option --trasforms \(did you mean --transforms\?\)/],
    ['a missing output folder', () => [model, '--json', join(dir, 'no', 'such', 'out.json')], /folder .* does not exist/],
  ];
  for (const [what, args, message] of badCases) {
    it(`${what}: one line, exit 2, no output`, async () => {
      const out = join(dir, `bad-${what.replace(/\W+/g, '-')}.json`);
      const argv = args();
      const r = await cli([...(argv.includes('--json') ? argv : [...argv, '--json', out]), '--quiet']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(existsSync(out), false);
    });
  }

  it('a model onnxruntime cannot run exits 1 with its message', async () => {
    // Conv with mismatched weight channels: valid protobuf, fails at session creation.
    const bytes = Buffer.from(convModel({ inputDims: ['n', 4, 16, 16] }));
    const r = await cli([writeModel(dir, 'mismatch.onnx', bytes), '--quiet']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /onnxruntime (could not load|failed to run)/);
  });

  it('--help lists the options', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--transforms LIST/);
    writeFileSync(join(dir, 'ok'), '');
  });
});

describe('a child that crashes before reporting', () => {
  it("is summed up by node's reason, not by the native backtrace printed after it", () => {
    // A real crash: node out of heap aborts with "FATAL ERROR: …" and then a numbered backtrace.
    const crash = spawnSync(process.execPath, ['--max-old-space-size=16', '-e', 'const a = []; for (;;) a.push(new Array(1e5).fill(1.5));'], { encoding: 'utf8' });
    assert.equal(crash.signal, 'SIGABRT', `the child should abort (${crash.status}, ${crash.stderr.slice(0, 200)})`);
    const lines = crash.stderr.trim().split('\n');
    assert.match(lines[lines.length - 1], /^\s*\d+: 0x[0-9a-f]+/, 'the raw output ends in backtrace frames');
    const stderr = new ChildStderr();
    // In pieces, as a pipe delivers it.
    for (let i = 0; i < crash.stderr.length; i += 700) stderr.add(crash.stderr.slice(i, i + 700));
    const summary = stderr.summary(3);
    assert.match(summary, /FATAL ERROR: Reached heap limit/);
    assert.doesNotMatch(summary, /\d+: 0x[0-9a-f]+/);
  });

  it('keeps the reason when the backtrace after it is longer than what is kept', () => {
    const stderr = new ChildStderr();
    stderr.add('node[42]: ../src/node_worker.cc:10: Assertion `env->is_stopping()` failed.\n');
    for (let i = 1; i <= 400; i++) stderr.add(` ${i}: 0x${(0xd32ce1 + i).toString(16)} node::Something() [/usr/bin/node]\n`);
    assert.equal(stderr.summary(3), 'node[42]: ../src/node_worker.cc:10: Assertion `env->is_stopping()` failed.');
  });
});
