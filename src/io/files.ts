/**
 * The one door through which SEIS Lens reads a file a user named: the model, its external data, a
 * .npy tensor, a probe image. Only regular files pass, and their size is checked before a byte is
 * read, so `/dev/zero` (endless), a FIFO (blocks forever), a socket or a folder end in a message
 * naming the path instead of a hang or an unbounded read.
 *
 * The check is made on the open descriptor (fstat after open), so a symlink swapped between a check
 * and the read cannot slip a device in. The open is non-blocking: opening a FIFO with no writer
 * would otherwise wait forever before fstat could refuse it.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export type FileProblem = 'missing' | 'directory' | 'not-regular' | 'too-large' | 'unreadable';

export class InputFileError extends Error {
  constructor(
    readonly problem: FileProblem,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputFileError';
  }
}

// O_NONBLOCK does not exist on Windows, where FIFOs cannot be opened by path anyway.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function sizeText(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

export interface RegularFileLimits {
  /** Refuse files larger than this many bytes (checked before reading). */
  readonly maxBytes: number;
  /** What the file should be, for messages: "a .npy file", "an ONNX model". */
  readonly what: string;
}

/**
 * Opens `path` for reading if it is a regular file within `limits.maxBytes`; the caller closes the
 * descriptor (e.g. by handing it to a read stream with autoClose). Every refusal is an InputFileError
 * naming the path, and leaves nothing open.
 */
export function openRegularFile(path: string, limits: RegularFileLimits): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputFileError('missing', path, `${path}: no such file; check the path`);
    if (code === 'EISDIR') throw new InputFileError('directory', path, `${path} is a folder, expected ${limits.what}`);
    // ENXIO: a FIFO or socket that cannot be opened this way.
    if (code === 'ENXIO') throw new InputFileError('not-regular', path, `${path} is not a regular file (a FIFO or socket?); expected ${limits.what}`);
    throw new InputFileError('unreadable', path, `${path}: cannot read (${code ?? String(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError('directory', path, `${path} is a folder, expected ${limits.what}`);
    if (!st.isFile()) {
      throw new InputFileError('not-regular', path, `${path} is ${kindOf(st)}, not a regular file; expected ${limits.what}. Save the data to a file and pass that`);
    }
    if (st.size > limits.maxBytes) {
      throw new InputFileError('too-large', path, `${path} is ${sizeText(st.size)}, beyond the ${sizeText(limits.maxBytes)} accepted for ${limits.what}`);
    }
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Runs `use` on a regular file opened by openRegularFile, and closes it. */
export function withRegularFile<T>(path: string, limits: RegularFileLimits, use: (fd: number, size: number) => T): T {
  const { fd, size } = openRegularFile(path, limits);
  try {
    return use(fd, size);
  } finally {
    closeSync(fd);
  }
}

/** Reads `length` bytes at `position`; fewer only if the file shrank since fstat. */
export function readRange(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** The whole content of a regular file of at most `limits.maxBytes` bytes. */
export function readRegularFile(path: string, limits: RegularFileLimits): Buffer {
  return withRegularFile(path, limits, (fd, size) => readRange(fd, size, 0));
}
