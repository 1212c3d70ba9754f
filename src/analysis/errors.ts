/**
 * Errors the analysis reports to users. Every message names the thing at fault and what to do;
 * the CLI prints the message alone (no stack) and the extension shows it as is.
 */
import { OutputError, writeRemedy } from '../io/atomicWrite';

export type AnalysisErrorCode =
  | 'model-unreadable'
  | 'model-empty'
  | 'model-not-onnx'
  | 'model-corrupt'
  | 'model-unsupported'
  | 'external-data'
  | 'no-image-input'
  | 'custom-op'
  | 'absurd-dims'
  | 'probe-input'
  | 'bad-option'
  | 'runtime'
  /** The user's file system refused a read or write (full disk, permissions, a removed folder). */
  | 'file-system'
  | 'cancelled';

export class AnalysisError extends Error {
  constructor(
    readonly code: AnalysisErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AnalysisError';
  }
}

/** What a child process reports for anything thrown: 'internal' only for what is not the user's. */
export interface ReportedError {
  readonly code: AnalysisErrorCode | 'internal';
  readonly message: string;
}

/**
 * Errors the file system raises about a path the user chose (their disk, their permissions), by errno:
 * a full disk during --dump-activations is not a bug to report.
 */
const ENVIRONMENT_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EMFILE', 'ENFILE', 'EIO']);

export function reportedError(err: unknown): ReportedError {
  if (err instanceof AnalysisError) return { code: err.code, message: err.message };
  if (err instanceof OutputError) return { code: 'file-system', message: err.message };
  const sys = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof sys.code === 'string' && typeof sys.path === 'string' && ENVIRONMENT_ERRNOS.has(sys.code)) {
    return { code: 'file-system', message: `${sys.path}: ${sys.syscall ?? 'file access'} failed (${sys.code}); ${writeRemedy(sys.code)}` };
  }
  return { code: 'internal', message: `internal error: ${messageOf(err)} (please report it with the model)` };
}

/** The message of anything thrown, without the stack. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
