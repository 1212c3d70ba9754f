import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('onnxruntime backend lifecycle', () => {
  it('a process that used the eigensolver pool exits on its own without dispose()', () => {
    const backendModule = join(__dirname, '../../../src/analysis/ortMatMulBackend.ts');
    const script = `
      const { createOrtMatMulBackend } = require(${JSON.stringify(backendModule)});
      createOrtMatMulBackend().then(async (backend) => {
        const matrix = new Float64Array([2, 1, 1, 2]);
        const result = await backend.symmetricEigen(matrix, 2, {});
        console.log(result.values.join(','));
      });`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.error, undefined, 'the process did not exit within 60 s: an idle pool kept it alive');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), '3,1');
  });
});
