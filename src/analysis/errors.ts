/**
 * Errors the analysis reports to users. Every message names the thing at fault and what to do;
 * the CLI prints the message alone (no stack) and the extension shows it as is.
 */

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

/** The message of anything thrown, without the stack. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
