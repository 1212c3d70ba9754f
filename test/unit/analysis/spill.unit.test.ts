/**
 * Activations beyond the memory budget wait on disk instead of forcing groups of layers (and one
 * run of the probes per group): the same scores either way, nothing left behind on success, failure
 * or cancel, a folder of a killed run swept, and groups again when the folder cannot be used.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runAnalysis } from '../../../src/analysis/engine';
import { AnalysisError } from '../../../src/analysis/errors';
import type { AnalysisRequest } from '../../../src/analysis/protocol';
import type { AnalysisResult } from '../../../src/shared/results';
import { CLS_MODEL, tempDir } from './modelFactory';

// The PaddleOCR classifier at its 48×192 input: 67 MiB of pooled activations against a 48 MiB budget.
const request = (spill: string | false): AnalysisRequest => ({
  modelPath: CLS_MODEL,
  size: { height: 48, width: 192 },
  normalize: 'symmetric',
  probeCount: 16,
  transforms: ['rot180', 'shift-x8'],
  memoryBudgetMB: 48,
  spill,
});

const spillFolders = (parent: string) => readdirSync(parent).filter((n) => n.startsWith('seis-spill-'));

function scoresOf(result: AnalysisResult) {
  return result.layers.map((l) => [l.name, l.status, Object.entries(l.scores).map(([id, c]) => [id, c.equivariance, c.invariance, c.null.equivariance, c.null.invariance, c.rankClean, c.rankTransformed])]);
}

describe('activations beyond the memory budget', () => {
  const parent = tempDir();
  let spilled: AnalysisResult;
  let grouped: AnalysisResult;

  it('wait on disk, run the probes once, and leave nothing behind', async () => {
    // A folder left by a run that was killed (its process is gone): swept by the next spill here.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const stale = join(parent, `seis-spill-${dead}-abc123`);
    mkdirSync(stale);
    writeFileSync(join(stale, '0-0.f32'), Buffer.alloc(64));
    spilled = await runAnalysis(request(parent));
    assert.ok(spilled.warnings.some((w) => w.includes(`of pooled activations waited on disk under ${parent}`)), spilled.warnings.join('\n'));
    assert.ok(!spilled.warnings.some((w) => w.includes('groups')), spilled.warnings.join('\n'));
    assert.ok(spilled.layers.filter((l) => l.status === 'scored').length > 10);
    assert.deepEqual(spillFolders(parent), [], 'the run removes its folder, and the killed run\'s');
  });

  it('give the scores that groups of layers in memory give', async () => {
    grouped = await runAnalysis(request(false));
    assert.ok(grouped.warnings.some((w) => /layers were processed in \d+ groups/.test(w)), grouped.warnings.join('\n'));
    assert.deepEqual(scoresOf(spilled), scoresOf(grouped));
  });

  it('fall back to groups, saying why, when the folder cannot be used', async () => {
    const missing = join(parent, 'no-such-folder');
    const result = await runAnalysis(request(missing));
    assert.ok(result.warnings.some((w) => w.includes(`${missing} cannot be checked for free space; the probes were run once per group of layers instead (--spill DIR`)), result.warnings.join('\n'));
    assert.deepEqual(scoresOf(result), scoresOf(grouped));
    assert.equal(existsSync(missing), false);
  });

  it('are deleted when the run is cancelled mid-way', async () => {
    let polls = 0;
    let sawFolder = false;
    await assert.rejects(
      runAnalysis(request(parent), {
        // Cancel once the spill folder holds files (a pass has been written).
        isCancelled: () => {
          const folder = spillFolders(parent)[0];
          if (folder && readdirSync(join(parent, folder)).length > 0) sawFolder = true;
          return sawFolder && ++polls > 3;
        },
      }),
      (e: unknown) => e instanceof AnalysisError && e.code === 'cancelled',
    );
    assert.ok(sawFolder, 'the run spilled before it was cancelled');
    assert.deepEqual(spillFolders(parent), []);
  });
});
