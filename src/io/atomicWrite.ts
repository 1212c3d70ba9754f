/**
 * The one way SEIS Lens writes a result file (CLI outputs, .npy dumps, the HTML report, the
 * extension's exports and results store): all or nothing, never through someone else's link.
 *
 * Each file is first written to a temp file in the target's own folder (so the final rename stays on
 * one file system and is atomic). The temp name is random and the file is created exclusively
 * (O_CREAT|O_EXCL, flag 'wx'): a name planted in advance, symlink or not, makes the create fail
 * instead of redirecting the write. The data is fsynced before the rename, so a crash leaves either
 * the old file or the complete new one. With several files, every temp is written before any rename,
 * so a failure on one (full disk, unwritable folder) replaces none of them.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface OutputFile {
  readonly path: string;
  readonly data: string | Uint8Array;
}

export class OutputError extends Error {
  constructor(
    readonly path: string,
    message: string,
    /** The file system's errno code (ENOSPC, EACCES, …) when a system call failed. */
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'OutputError';
  }
}

function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(8).toString('hex')}.tmp`);
}

function reason(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

/** What the user can do about a write the file system refused, by its errno. */
export function writeRemedy(errno: string | undefined): string {
  switch (errno) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full (or the quota reached): free space there or choose a folder on another disk';
    case 'EROFS':
      return 'that file system is read-only: choose a writable folder';
    case 'EACCES':
    case 'EPERM':
      return 'no permission to write there: choose a writable folder';
    case 'ENOTDIR':
      return 'a part of that path is a file, not a folder: choose another location';
    case 'EISDIR':
      return 'a folder stands at that name: move it or choose another location';
    default:
      return 'check that the folder exists and is writable';
  }
}

/** Creates a fresh temp file beside `target`, writes and fsyncs `data`; returns the temp path. */
function stage(target: string, data: string | Uint8Array): string {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, 'wx', 0o666);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeQuietly(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never created
  }
}

/**
 * Writes every file or none: all temps first, then the renames. Throws OutputError naming the file
 * that failed; on failure no target has been touched (unless a rename itself fails midway, which
 * needs the folder to change under us between two renames).
 */
export function writeFilesAtomic(files: readonly OutputFile[]): void {
  const staged: { tmp: string; path: string }[] = [];
  try {
    for (const f of files) {
      const path = resolve(f.path);
      try {
        staged.push({ tmp: stage(path, f.data), path });
      } catch (err) {
        throw new OutputError(f.path, `could not write ${f.path} (${reason(err)}); ${writeRemedy((err as NodeJS.ErrnoException).code)}`, (err as NodeJS.ErrnoException).code);
      }
    }
    for (const s of staged) {
      try {
        renameSync(s.tmp, s.path);
      } catch (err) {
        throw new OutputError(s.path, `could not replace ${s.path} (${reason(err)}); ${writeRemedy((err as NodeJS.ErrnoException).code)}`, (err as NodeJS.ErrnoException).code);
      }
    }
  } finally {
    for (const s of staged) removeQuietly(s.tmp);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFilesAtomic([{ path, data }]);
}

/**
 * Checks before any work that `path` can receive an output: its folder exists and accepts a new file
 * (tried for real, since permission bits say nothing for root or on read-only mounts), and the path is
 * not a folder or a device. Throws OutputError with what to do.
 */
export function checkOutputPath(path: string): void {
  const target = resolve(path);
  const folder = dirname(target);
  let folderStats;
  try {
    folderStats = statSync(folder);
  } catch {
    throw new OutputError(path, `${path}: folder ${folder} does not exist; create it first`);
  }
  if (!folderStats.isDirectory()) throw new OutputError(path, `${path}: ${folder} is not a folder`);
  let existing;
  try {
    existing = statSync(target);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw new OutputError(path, `${path} is a folder; give a file name`);
  if (existing && !existing.isFile()) throw new OutputError(path, `${path} is a device or special file, not a regular file; give a file name`);
  let probe: string;
  try {
    probe = stage(target, '');
  } catch (err) {
    throw new OutputError(path, `${path}: cannot create files in ${folder} (${reason(err)}); choose a writable folder`);
  }
  removeQuietly(probe);
}
