// The .npy reader/writer against files written by numpy itself (test/fixtures/reference/npy,
// made by scripts/make_reference_fixtures.py) and against hand-built headers for the corner cases.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NpyFormatError, readNpy, readNpyFile, writeNpy, writeNpyFile } from '../../../src/io/npy';

const DIR = join(__dirname, '..', '..', 'fixtures', 'reference', 'npy');
const values = JSON.parse(readFileSync(join(DIR, 'values.json'), 'utf8')) as {
  base: number[];
  shape: number[];
  f2_specials: (number | string | null)[];
};

/** A .npy file from its parts, for headers numpy would never write. */
function build(header: string, payload: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const text = header.padEnd(Math.ceil((prefix + header.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(prefix + text.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(new TextEncoder().encode(text), prefix);
  out.set(payload, prefix + text.length);
  return out;
}

function rejects(file: string, pattern: RegExp): void {
  assert.throws(() => readNpyFile(join(DIR, file)), (err: unknown) => {
    assert.ok(err instanceof NpyFormatError, `${file}: expected NpyFormatError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(err.message.includes(file), `message names the file: ${err.message}`);
    return true;
  });
}

describe('readNpy on numpy-written files', () => {
  for (const version of [1, 2, 3]) {
    for (const [kind, dtype, Ctor, tolerance] of [
      ['f2', 'float16', Float32Array, 0],
      ['f4', 'float32', Float32Array, 0],
      ['f8', 'float64', Float64Array, 0],
    ] as const) {
      it(`format v${version}.0, <${kind}: shape, dtype and values`, () => {
        const array = readNpyFile(join(DIR, `v${version}_${kind}.npy`));
        assert.deepEqual(array.shape, values.shape);
        assert.equal(array.dtype, dtype);
        assert.ok(array.data instanceof Ctor, `${kind} → ${Ctor.name}`);
        // The fixture values are multiples of 1/4 in [-3, 3], exact in every float width.
        array.data.forEach((x, i) => assert.ok(Math.abs(x - values.base[i]) <= tolerance, `element ${i}: ${x} vs ${values.base[i]}`));
      });
    }
  }

  it('widens float16 exactly, including zero signs, subnormals, the largest finite value, ±Inf and NaN', () => {
    const { data } = readNpyFile(join(DIR, 'f2_specials.npy'));
    values.f2_specials.forEach((expected, i) => {
      if (expected === null) assert.ok(Number.isNaN(data[i]), `element ${i} NaN`);
      else if (typeof expected === 'string') assert.equal(data[i], expected.startsWith('-') ? -Infinity : Infinity);
      else assert.equal(data[i], expected, `element ${i}`);
    });
    assert.ok(Object.is(data[1], -0), 'negative zero kept');
  });

  it('reads 0-d, 1-d and empty arrays', () => {
    assert.deepEqual(readNpyFile(join(DIR, 'scalar_f8.npy')), { data: new Float64Array([2.5]), shape: [], dtype: 'float64' });
    const vector = readNpyFile(join(DIR, 'vector_f4.npy'));
    assert.deepEqual(vector.shape, [3]);
    assert.deepEqual(Array.from(vector.data), [1.5, -2, 3.25]);
    const empty = readNpyFile(join(DIR, 'empty_f4.npy'));
    assert.deepEqual(empty.shape, [0, 3]);
    assert.equal(empty.data.length, 0);
  });

  it('refuses big-endian data, naming the dtype and the fix', () => rejects('big_endian_f4.npy', /big-endian float32 \('>f4'\).*astype\('<f4'\)/));
  it('refuses Fortran order', () => rejects('fortran_f4.npy', /Fortran-ordered.*C order/));
  it('refuses integers, naming the dtype', () => rejects('int32.npy', /dtype int32 \('<i4'\) is not supported.*float32/));
  it('refuses object arrays', () => rejects('object.npy', /object arrays \('\|O'\)/));
  it('refuses structured arrays', () => rejects('structured.npy', /structured or record arrays/));
  it('refuses complex numbers', () => rejects('complex64.npy', /complex64/));
  it('refuses truncated data, saying how much is missing', () => rejects('truncated_f4.npy', /truncated data: shape \(2, 3, 4\).*needs 96 bytes, the file has 91/));
});

describe('readNpy on malformed bytes', () => {
  const f4 = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);

  it('rejects a file without the magic', () => {
    assert.throws(() => readNpy(new TextEncoder().encode('a,b,c\n1,2,3\n'), 'data.csv'), /data\.csv: not a NumPy \.npy file/);
  });
  it('rejects an unknown format version', () => {
    const bytes = build("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", f4);
    bytes[6] = 4;
    assert.throws(() => readNpy(bytes, 'x.npy'), /unsupported \.npy format version 4\.0/);
  });
  it('rejects a header longer than the file', () => {
    const bytes = build("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", f4).subarray(0, 40);
    assert.throws(() => readNpy(bytes, 'x.npy'), /truncated \.npy header/);
  });
  it('rejects a header that is not a dict literal', () => {
    assert.throws(() => readNpy(build("{'descr': '<f4', 'shape': (4,", f4), 'x.npy'), /unreadable \.npy header/);
  });
  it('rejects a missing or invalid shape', () => {
    assert.throws(() => readNpy(build("{'descr': '<f4', 'fortran_order': False, }", f4), 'x.npy'), /no valid 'shape'/);
    assert.throws(() => readNpy(build("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", f4), 'x.npy'), /no valid 'shape'/);
  });
  it('accepts double-quoted keys, a v2 header and no trailing comma', () => {
    const array = readNpy(build('{"descr": "<f4", "fortran_order": False, "shape": (2, 2)}', f4, 2));
    assert.deepEqual(array.shape, [2, 2]);
    assert.deepEqual(Array.from(array.data), [1, 2, 3, 4]);
  });
  it('copes with data at an odd byte offset inside a larger buffer', () => {
    const bytes = build("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(new Float64Array([0.1, -7]).buffer));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    assert.deepEqual(Array.from(readNpy(shifted.subarray(3)).data), [0.1, -7]);
  });
  it('reports a missing file and a directory by path', () => {
    assert.throws(() => readNpyFile('/nonexistent/x.npy'), /\/nonexistent\/x\.npy: no such file/);
    assert.throws(() => readNpyFile(DIR), /is a folder/);
  });
});

describe('writeNpy', () => {
  it('round-trips float32 and float64 through the reader, byte-identical to numpy for the same array', () => {
    const base = Float64Array.from(values.base);
    const ours = writeNpy({ data: base, shape: values.shape });
    assert.deepEqual(Buffer.from(ours), readFileSync(join(DIR, 'v1_f8.npy')), 'same bytes as numpy.save');
    const ours32 = writeNpy({ data: Float32Array.from(values.base), shape: values.shape });
    assert.deepEqual(Buffer.from(ours32), readFileSync(join(DIR, 'v1_f4.npy')), 'same bytes as numpy.save (float32)');
    const back = readNpy(ours32);
    assert.equal(back.dtype, 'float32');
    assert.deepEqual(Array.from(back.data), values.base);
  });
  it('writes 1-d shapes with the Python trailing comma and 0-d as ()', () => {
    const text = new TextDecoder().decode(writeNpy({ data: new Float32Array(3), shape: [3] }).subarray(10, 80));
    assert.match(text, /'shape': \(3,\)/);
    assert.deepEqual(readNpy(writeNpy({ data: new Float64Array([4]), shape: [] })).shape, []);
  });
  it('aligns the data to 64 bytes', () => {
    for (const shape of [[1], [2, 3], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]) {
      const bytes = writeNpy({ data: new Float32Array(1 * shape.reduce((a, b) => a * b, 1)), shape });
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      assert.equal((10 + headerLength) % 64, 0);
      assert.equal(bytes[10 + headerLength - 1], 0x0a, 'header ends with a newline');
    }
  });
  it('refuses a shape that does not match the data', () => {
    assert.throws(() => writeNpy({ data: new Float32Array(5), shape: [2, 3] }), /holds 6 values but data has 5/);
  });
  it('writes files atomically: the target appears whole and no temp file is left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seis-npy-'));
    try {
      const path = join(dir, 'out.npy');
      writeNpyFile(path, { data: new Float64Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
      assert.deepEqual(readdirSync(dir), ['out.npy']);
      assert.deepEqual(Array.from(readNpyFile(path).data), [1, 2, 3, 4, 5, 6]);
      assert.throws(() => writeNpyFile(join(dir, 'missing-dir', 'x.npy'), { data: new Float64Array(1), shape: [1] }));
      assert.deepEqual(readdirSync(dir), ['out.npy'], 'a failed write leaves nothing behind');
      assert.equal(existsSync(join(dir, 'missing-dir')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
