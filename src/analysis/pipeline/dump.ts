/**
 * The activation dump (--dump-activations, and the interval pass's temporary folder): the folder is
 * made once and each array written whole. The user asked for these files, so a write the file system
 * refuses (full disk, a folder in the way, no permission) ends the run as a 'file-system' error naming
 * the file and what to do; it is never a scoring failure to warn about, nor a bug to report.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpyFile, type NpyWritable } from '../../io/npy';
import { AnalysisError, reportedError } from '../errors';
import type { AnalysisContext } from './context';

function refused(err: unknown): never {
  const reported = reportedError(err);
  if (reported.code === 'file-system') throw new AnalysisError('file-system', reported.message);
  throw err;
}

export function openDumpFolder(ctx: AnalysisContext): void {
  const dir = ctx.options.dumpDir;
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    refused(err);
  }
}

/** Writes `fileName` into the dump folder when there is one. */
export function dumpArray(ctx: AnalysisContext, fileName: string, array: NpyWritable): void {
  const dir = ctx.options.dumpDir;
  if (!dir) return;
  try {
    writeNpyFile(join(dir, fileName), array);
  } catch (err) {
    refused(err);
  }
}
