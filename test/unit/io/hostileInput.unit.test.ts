// Hostile and careless files: special files and decompression bombs end in a message naming the
// file with bounded memory and time; outputs are written all or none, never through a planted link.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { checkOutputPath, OutputError, writeFileAtomic, writeFilesAtomic } from '../../../src/io/atomicWrite';
import { MAX_IMAGE_PIXELS, readImageHeader } from '../../../src/io/images';
import { NpyFormatError, readNpy, readNpyFile, writeNpyFile } from '../../../src/io/npy';
import { externalDataModel, tempDir } from '../analysis/modelFactory';

const ROOT = join(__dirname, '..', '..', '..');

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A valid-looking PNG declaring width×height, with `idat` as its (compressed) pixel data. */
function craftedPng(width: number, height: number, idat: Uint8Array, interlace = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, interlace], 8); // 8-bit RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

/** A real 8×8 JPEG whose frame header (SOF0) is patched to declare width×height. */
function craftedJpeg(width: number, height: number): Buffer {
  const small = Buffer.from(jpeg.encode({ data: new Uint8Array(8 * 8 * 4).fill(128), width: 8, height: 8 }, 90).data);
  for (let i = 2; i < small.length; ) {
    const marker = small[i + 1];
    if (marker === 0xc0) {
      small.writeUInt16BE(height, i + 5);
      small.writeUInt16BE(width, i + 7);
      return small;
    }
    i += 2 + small.readUInt16BE(i + 2);
  }
  throw new Error('no SOF0 in the encoded JPEG');
}

function goodPng(): Buffer {
  const png = new PNG({ width: 12, height: 10 });
  png.data = Buffer.alloc(12 * 10 * 4, 200);
  return PNG.sync.write(png);
}

describe('decompression bombs are refused from the header, before decoding', () => {
  it('reads PNG IHDR and JPEG SOF dimensions from the first bytes', () => {
    const bomb = craftedPng(30000, 30000, deflateSync(Buffer.alloc(0)));
    assert.ok(bomb.length < 80, `the PNG bomb is ${bomb.length} bytes`);
    assert.deepEqual(readImageHeader(bomb), { format: 'png', width: 30000, height: 30000 });
    const jpegBomb = craftedJpeg(9999, 9999);
    assert.ok(jpegBomb.length < 3000, `the JPEG bomb is ${jpegBomb.length} bytes`);
    assert.deepEqual(readImageHeader(jpegBomb), { format: 'jpeg', width: 9999, height: 9999 });
    assert.ok(30000 * 30000 > MAX_IMAGE_PIXELS && 9999 * 9999 > MAX_IMAGE_PIXELS);
  });
});

describe('special files and bombs (in a child process with a time limit: on a naive reader they hang or exhaust memory)', () => {
  it('/dev/zero, FIFOs, links to devices, folders and bombs end in a message naming the file; memory stays small', () => {
    const dir = tempDir('seis-hostile-');
    execFileSync('mkfifo', [join(dir, 'fifo.npy'), join(dir, 'fifo.onnx')]);
    symlinkSync('/dev/zero', join(dir, 'zero.onnx'));
    const images = join(dir, 'images');
    mkdirSync(images);
    writeFileSync(join(images, 'a-good.png'), goodPng());
    writeFileSync(join(images, 'bomb.png'), craftedPng(30000, 30000, deflateSync(Buffer.alloc(0))));
    writeFileSync(join(images, 'bomb.jpg'), craftedJpeg(9999, 9999));
    // Small declared size, interlaced, but 16 MB of zeros behind it: the one case pngjs inflates without a cap.
    writeFileSync(join(images, 'zlib-bomb.png'), craftedPng(64, 64, deflateSync(Buffer.alloc(16 * 2 ** 20)), 1));
    symlinkSync('/dev/zero', join(images, 'zero.png'));
    execFileSync('mkfifo', [join(images, 'pipe.png')]);
    mkdirSync(join(images, 'folder.png'));
    for (const [name, location] of [['ext-fifo', 'weights.bin'], ['ext-dot', '.'], ['ext-sub', 'sub']] as const) {
      const folder = join(dir, name);
      mkdirSync(folder);
      mkdirSync(join(folder, 'sub'));
      writeFileSync(join(folder, 'model.onnx'), externalDataModel(location).model);
    }
    execFileSync('mkfifo', [join(dir, 'ext-fifo', 'weights.bin')]);

    const cases = ['npyZero', 'npyFifo', 'inputsZero', 'images', 'modelFifo', 'modelZero', 'externalFifo', 'externalDot', 'externalSub', 'probablyOnnxFifo', 'hashZero', 'hashFifo'];
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'hostileReads.child.ts'), dir, ...cases], { cwd: ROOT, timeout: 60_000, encoding: 'utf8' });
    assert.equal(child.signal, null, `the child was killed (${child.signal}): a read hung or ran away. stderr: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    const { results, maxRssKiB } = JSON.parse(child.stdout) as { results: Record<string, { ok?: unknown; error?: string; name?: string }>; maxRssKiB: number };
    const refused = (name: string, pattern: RegExp, errorName: string) => {
      const r = results[name];
      assert.ok(r.error, `${name} must be refused, got ${JSON.stringify(r)}`);
      assert.match(r.error, pattern, name);
      assert.equal(r.name, errorName, name);
    };
    refused('npyZero', /\/dev\/zero is a character device, not a regular file; expected a \.npy file/, 'NpyFormatError');
    refused('npyFifo', /fifo\.npy is a FIFO \(named pipe\), not a regular file/, 'NpyFormatError');
    refused('inputsZero', /--inputs \/dev\/zero is a character device/, 'AnalysisError');
    refused('modelFifo', /fifo\.onnx is a FIFO/, 'AnalysisError');
    refused('modelZero', /zero\.onnx is a character device/, 'AnalysisError');
    refused('externalFifo', /external data 'weights\.bin'.*is a FIFO/, 'AnalysisError');
    refused('externalDot', /external data '\.'.*is a folder/, 'AnalysisError');
    refused('externalSub', /external data 'sub'.*is a folder/, 'AnalysisError');
    assert.deepEqual(results.probablyOnnxFifo, { ok: false });
    refused('hashZero', /zero\.onnx is a character device, not a regular file/, 'InputFileError');
    refused('hashFifo', /fifo\.onnx is a FIFO/, 'InputFileError');

    const set = results.images.ok as { count: number; warnings: string[] };
    assert.ok(set, `the folder still yields its good image: ${JSON.stringify(results.images)}`);
    assert.equal(set.count, 1, 'only a-good.png is used');
    const warning = (file: string) => set.warnings.find((w) => w.startsWith(`${file} skipped:`)) ?? assert.fail(`no warning names ${file}: ${set.warnings.join(' | ')}`);
    assert.match(warning('bomb.png'), /declares 30000x30000 pixels \(900 MP\), beyond the 25 MP limit; not decoded/);
    assert.match(warning('bomb.jpg'), /declares 9999x9999 pixels \(100 MP\), beyond the 25 MP limit/);
    assert.match(warning('zlib-bomb.png'), /inflates beyond what its declared size allows/);
    assert.match(warning('zero.png'), /character device, not a regular file/);
    assert.match(warning('pipe.png'), /FIFO/);
    assert.match(warning('folder.png'), /is a folder/);
    // Decoded, the PNG bomb alone is 3.6 GB of RGBA and the JPEG 0.4 GB (2.1 GB peak in jpeg-js).
    console.log(`child peak RSS ${(maxRssKiB / 1024).toFixed(0)} MiB`);
    assert.ok(maxRssKiB < 400 * 1024, `peak resident memory ${(maxRssKiB / 1024).toFixed(0)} MiB`);
  });
});

describe('npy headers quoted in messages are cut short', () => {
  it('a megabyte of header garbage gives a message of a few hundred characters', () => {
    const junk = 'x'.repeat(2 ** 20);
    const bytes = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]), Buffer.alloc(4), Buffer.from(junk)]);
    bytes.writeUInt32LE(junk.length, 8);
    assert.throws(() => readNpy(bytes, 'junk.npy'), (err: unknown) => {
      assert.ok(err instanceof NpyFormatError);
      assert.match(err.message, /junk\.npy: unreadable \.npy header "x{200}…"/);
      assert.ok(err.message.length < 400, `${err.message.length} characters`);
      return true;
    });
  });
});

describe('the one atomic writer', () => {
  it('never writes through a link planted at a temp name (the old names were .<name>.<pid>[.<ms>].tmp)', () => {
    const dir = tempDir('seis-atomic-');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    const start = Date.now();
    for (let ms = start - 100; ms < start + 3000; ms++) symlinkSync(victim, join(dir, `.acts.npy.${process.pid}.${ms}.tmp`));
    symlinkSync(victim, join(dir, `.acts.npy.${process.pid}.tmp`));
    writeNpyFile(join(dir, 'acts.npy'), { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] });
    assert.equal(readFileSync(victim, 'utf8'), 'precious', 'the planted link was not followed');
    assert.deepEqual(Array.from(readNpyFile(join(dir, 'acts.npy')).data), [1, 2, 3, 4]);
    const left = readdirSync(dir).filter((n) => n.endsWith('.tmp') && !n.startsWith('.acts.npy.'));
    assert.deepEqual(left, [], 'no temp file of ours is left');
  });

  it('writes all files or none: one unwritable target leaves the others untouched', () => {
    const dir = tempDir('seis-atomic-');
    const keep = join(dir, 'keep.json');
    writeFileSync(keep, '{"old": true}');
    assert.throws(
      () => writeFilesAtomic([{ path: keep, data: '{"new": true}' }, { path: join(dir, 'no-such-folder', 'out.csv'), data: 'a,b' }]),
      (err: unknown) => err instanceof OutputError && /no-such-folder\/out\.csv/.test(err.message),
    );
    assert.equal(readFileSync(keep, 'utf8'), '{"old": true}');
    assert.deepEqual(readdirSync(dir).sort(), ['keep.json'], 'no temp files left');
    writeFileAtomic(keep, 'fresh');
    assert.equal(readFileSync(keep, 'utf8'), 'fresh');
  });

  it('checks an output location before any work: missing folder, folder, device, unwritable place', () => {
    const dir = tempDir('seis-atomic-');
    const refused = (path: string, pattern: RegExp) => assert.throws(() => checkOutputPath(path), (err: unknown) => err instanceof OutputError && pattern.test(err.message));
    refused(join(dir, 'nope', 'x.json'), /folder .*nope does not exist; create it first/);
    refused(dir, /is a folder; give a file name/);
    refused('/dev/null', /device or special file/);
    refused('/proc/x.html', /cannot create files in \/proc/);
    checkOutputPath(join(dir, 'fine.json'));
    assert.deepEqual(readdirSync(dir), [], 'the check leaves nothing behind');
  });
});
