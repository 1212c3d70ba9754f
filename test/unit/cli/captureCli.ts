/** Runs a `seis` command in process with its output captured, for the CLI tests. */
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../../src/cli/score';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function captureCli(command: (argv: readonly string[], io: CliIo) => Promise<number>, argv: string[]): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += c));
  err.on('data', (c) => (stderr += c));
  const code = await command(argv, { stdout: out, stderr: err });
  return { code, stdout, stderr };
}
