/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), the way researchers hand activations over:
 * `numpy.save('act.npy', tensor.detach().cpu().numpy())`.
 *
 * Read: little-endian float16 / float32 / float64 in C order. float16 is widened to Float32Array
 * because Node 20 has no Float16Array. Everything else (big-endian, Fortran order, integers,
 * object or structured arrays, truncated data) is refused with an NpyFormatError whose message
 * names the file, what it found and what to do.
 * Write: float32 / float64, C order, version 1.0 (2.0 only if the header outgrows 65535 bytes).
 *
 * Format facts (NEP 1 / numpy.lib.format): magic "\x93NUMPY", major and minor version bytes, then
 * the header length (uint16 LE in v1, uint32 LE in v2/v3), then a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a final
 * newline so the data starts at a multiple of 64 (16 in old files). v3 only allows a UTF-8 header.
 */
import { endianness } from 'node:os';
import { writeFileAtomic } from './atomicWrite';
import { InputFileError, readRegularFile } from './files';

export type NpyDtype = 'float16' | 'float32' | 'float64';

export interface NpyArray {
  /** C-order values; float16 data arrives widened to Float32Array. */
  readonly data: Float32Array | Float64Array;
  readonly shape: number[];
  /** The dtype stored in the file (before widening). */
  readonly dtype: NpyDtype;
}

export class NpyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyFormatError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const SUPPORTED = "little-endian float16/float32/float64 in C order ('<f2', '<f4', '<f8')";
const HOW_TO_FIX = 'save it with numpy.save(path, np.ascontiguousarray(a, dtype=np.float32))';
/** Arrays beyond this are refused before reading; SEIS needs far fewer values than this. */
export const MAX_NPY_BYTES = 2 ** 31 - 1;
/** A header quoted in a message is cut here: a crafted one can be megabytes long. */
const MAX_QUOTED_HEADER = 200;

function quoteHeader(text: string): string {
  const trimmed = text.trim();
  const cut = trimmed.length > MAX_QUOTED_HEADER ? `${trimmed.slice(0, MAX_QUOTED_HEADER)}…` : trimmed;
  return JSON.stringify(cut);
}

// Typed arrays use the platform byte order; .npy data here is little-endian.
const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

/** Parses .npy bytes. `source` names the file in error messages. */
export function readNpy(bytes: Uint8Array, source = 'the .npy data'): NpyArray {
  const fail = (what: string): never => {
    throw new NpyFormatError(`${source}: ${what}`);
  };
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    fail('not a NumPy .npy file (missing the \\x93NUMPY magic); ' + HOW_TO_FIX);
  }
  const major = bytes[6];
  const minor = bytes[7];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated .npy header');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}.${minor} (this reader handles 1.0, 2.0 and 3.0); ${HOW_TO_FIX}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) fail(`truncated .npy header (declares ${headerLength} bytes, file has ${bytes.length - headerStart})`);
  const headerBytes = bytes.subarray(headerStart, dataStart);
  const headerText = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : latin1(headerBytes);

  let header: unknown;
  try {
    header = parsePythonLiteral(headerText);
  } catch (err) {
    return fail(`unreadable .npy header ${quoteHeader(headerText)} (${(err as Error).message})`);
  }
  if (!isRecord(header)) return fail(`the .npy header is not a dict: ${quoteHeader(headerText)}`);
  const descr = header.descr;
  const fortranOrder = header.fortran_order;
  const shape = header.shape;
  if (typeof descr !== 'string') {
    return fail(`structured or record arrays are not supported (descr ${pyRepr(descr)}); expected ${SUPPORTED}`);
  }
  if (typeof fortranOrder !== 'boolean') fail(`the .npy header has no boolean 'fortran_order'`);
  if (!Array.isArray(shape) || !shape.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 0)) {
    return fail(`the .npy header has no valid 'shape' (got ${pyRepr(shape)})`);
  }
  const dtype = dtypeOf(descr, fail);
  if (fortranOrder) {
    fail(`Fortran-ordered arrays are not supported (fortran_order: True); expected C order: ${HOW_TO_FIX}`);
  }
  const dims = shape as number[];
  const count = dims.reduce((a, b) => a * b, 1);
  const itemSize = dtype === 'float16' ? 2 : dtype === 'float32' ? 4 : 8;
  const needed = count * itemSize;
  const available = bytes.length - dataStart;
  if (available < needed) {
    fail(`truncated data: shape (${dims.join(', ')}) of ${descr} needs ${needed} bytes, the file has ${available}; re-save the array`);
  }
  const payload = bytes.subarray(dataStart, dataStart + needed);
  return { data: decode(payload, dtype, count), shape: [...dims], dtype };
}

/** Reads a .npy file (regular files only, size checked first); file problems become NpyFormatError naming the path. */
export function readNpyFile(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path, { maxBytes: MAX_NPY_BYTES, what: 'a .npy file' });
  } catch (err) {
    if (err instanceof InputFileError) throw new NpyFormatError(err.message);
    throw err;
  }
  return readNpy(bytes, path);
}

export interface NpyWritable {
  readonly data: Float32Array | Float64Array;
  readonly shape: readonly number[];
}

/** Serializes a float32/float64 C-order array as .npy bytes (little-endian). */
export function writeNpy(array: NpyWritable): Uint8Array {
  const { data, shape } = array;
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new NpyFormatError('writeNpy: data must be a Float32Array or Float64Array');
  }
  if (!shape.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new NpyFormatError(`writeNpy: shape (${shape.join(', ')}) must be non-negative integers`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new NpyFormatError(`writeNpy: shape (${shape.join(', ')}) holds ${count} values but data has ${data.length}`);
  }
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
  // A 1-tuple needs its trailing comma in Python syntax.
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let major = 1;
  let prefix = 10;
  let padded = padHeader(dict, prefix);
  if (padded.length > 0xffff) {
    major = 2;
    prefix = 12;
    padded = padHeader(dict, prefix);
  }
  const out = new Uint8Array(prefix + padded.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  for (let i = 0; i < padded.length; i++) out[prefix + i] = padded.charCodeAt(i);
  const body = prefix + padded.length;
  if (HOST_IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), body);
  } else {
    const dv = new DataView(out.buffer, body);
    const step = data.BYTES_PER_ELEMENT;
    for (let i = 0; i < data.length; i++) {
      if (step === 4) dv.setFloat32(i * 4, data[i], true);
      else dv.setFloat64(i * 8, data[i], true);
    }
  }
  return out;
}

/** Writes a .npy file atomically (src/io/atomicWrite.ts). */
export function writeNpyFile(path: string, array: NpyWritable): void {
  writeFileAtomic(path, writeNpy(array));
}

function padHeader(dict: string, prefix: number): string {
  // Data must start on an ALIGN boundary; the header ends with exactly one '\n'.
  const unpadded = prefix + dict.length + 1;
  const pad = (ALIGN - (unpadded % ALIGN)) % ALIGN;
  return dict + ' '.repeat(pad) + '\n';
}

function dtypeOf(descr: string, fail: (what: string) => never): NpyDtype {
  const order = descr[0];
  const kind = descr.slice(1);
  const name = DTYPE_NAMES[kind] ?? descr;
  const isFloat = kind === 'f2' || kind === 'f4' || kind === 'f8';
  if (isFloat && order === '>') {
    return fail(`big-endian ${name} ('${descr}') is not supported; convert with a.astype('<${kind}') before saving`);
  }
  if (isFloat && (order === '<' || (order === '=' && HOST_IS_LITTLE_ENDIAN))) {
    return kind === 'f2' ? 'float16' : kind === 'f4' ? 'float32' : 'float64';
  }
  if (descr.includes('O')) {
    return fail(`object arrays ('${descr}') are not supported (they hold Python objects, not numbers); expected ${SUPPORTED}`);
  }
  return fail(`dtype ${name} ('${descr}') is not supported; expected ${SUPPORTED}: convert with a.astype(np.float32)`);
}

const DTYPE_NAMES: Record<string, string> = {
  f2: 'float16', f4: 'float32', f8: 'float64', f16: 'float128', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
  u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', b1: 'bool', c8: 'complex64', c16: 'complex128', O: 'object',
};

function decode(payload: Uint8Array, dtype: NpyDtype, count: number): Float32Array | Float64Array {
  if (dtype === 'float16') {
    const table = halfTable();
    const out = new Float32Array(count);
    for (let i = 0, j = 0; i < count; i++, j += 2) out[i] = table[payload[j] | (payload[j + 1] << 8)];
    return out;
  }
  if (HOST_IS_LITTLE_ENDIAN) {
    // Copy: the payload's offset in the file is not necessarily aligned to the element size.
    // (new Uint8Array(x) always copies; Buffer#slice would return a view into a shared pool.)
    const copy = new Uint8Array(payload);
    return dtype === 'float32' ? new Float32Array(copy.buffer, 0, count) : new Float64Array(copy.buffer, 0, count);
  }
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (dtype === 'float32') {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
  return out;
}

let HALF_TABLE: Float32Array | undefined;

/** All 65536 IEEE 754 binary16 values, so widening is one lookup per element. */
function halfTable(): Float32Array {
  if (HALF_TABLE) return HALF_TABLE;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    let value: number;
    if (exponent === 0) value = mantissa * 2 ** -24; // subnormal (and ±0)
    else if (exponent === 31) value = mantissa === 0 ? Infinity : NaN;
    else value = (1 + mantissa / 1024) * 2 ** (exponent - 15);
    table[h] = sign * value;
  }
  HALF_TABLE = table;
  return table;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function pyRepr(x: unknown): string {
  return x === undefined ? 'nothing' : JSON.stringify(x);
}

/**
 * The subset of Python literal syntax numpy writes in headers: dicts, tuples, lists, strings,
 * integers, True/False/None. Tuples and lists both become arrays.
 */
function parsePythonLiteral(text: string): unknown {
  let pos = 0;
  const skip = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const expect = (ch: string): void => {
    skip();
    if (text[pos] !== ch) throw new Error(`expected '${ch}' at position ${pos}`);
    pos++;
  };
  const value = (): unknown => {
    skip();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      const obj: Record<string, unknown> = {};
      for (;;) {
        skip();
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        const key = value();
        if (typeof key !== 'string') throw new Error('dict keys must be strings');
        expect(':');
        obj[key] = value();
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== '}') throw new Error(`expected ',' or '}' at position ${pos}`);
      }
    }
    if (ch === '(' || ch === '[') {
      const close = ch === '(' ? ')' : ']';
      pos++;
      const items: unknown[] = [];
      for (;;) {
        skip();
        if (text[pos] === close) {
          pos++;
          return items;
        }
        items.push(value());
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== close) throw new Error(`expected ',' or '${close}' at position ${pos}`);
      }
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, pos + 1);
      if (end < 0) throw new Error('unterminated string');
      const s = text.slice(pos + 1, end);
      pos = end + 1;
      return s;
    }
    const word = /^(-?\d+L?|True|False|None)/.exec(text.slice(pos));
    if (!word) throw new Error(`unexpected character at position ${pos}`);
    pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number.parseInt(word[0], 10);
  };
  const result = value();
  skip();
  if (pos !== text.length) throw new Error(`trailing text at position ${pos}`);
  return result;
}
