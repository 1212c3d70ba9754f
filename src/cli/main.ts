/**
 * The `seis` command: dispatches to the subcommands. bin/seis.js calls `main`; nothing here
 * touches process.exit so output streams always flush.
 */
import packageJson from '../../package.json';
import type { CliIo } from './score';
import { terminalSafe } from './terminal';

export type { CliIo } from './score';

export const MAIN_USAGE = `seis ${packageJson.version}: SEIS (subspace-based equivariance and invariance scores) for neural activations

Usage:
  seis score CLEAN.npy TRANSFORMED.npy [options]   score one pair of activation dumps (.npy)
  seis analyze MODEL.onnx [options]                score every layer of an ONNX vision model
  seis series PATH... [options]                    the same across a training run's checkpoints
  seis help [COMMAND]                              this text, or a command's options
  seis --version

Run 'seis COMMAND --help' for a command's options.`;

type Command = (argv: string[], io: CliIo) => Promise<number>;

// Loaded on demand so one command's missing or broken dependencies never break another.
const COMMANDS: Record<string, () => Promise<Command>> = {
  score: async () => (await import('./score.js')).runScoreCommand,
  analyze: async () => (await import('./analyze.js')).runAnalyzeCommand,
  series: async () => (await import('./series.js')).runSeriesCommand,
};

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.stdout.write(`${MAIN_USAGE}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    io.stdout.write(`${packageJson.version}\n`);
    return 0;
  }
  if (first === 'help') {
    if (rest[0] && rest[0] in COMMANDS) return main([rest[0], '--help'], io);
    io.stdout.write(`${MAIN_USAGE}\n`);
    return 0;
  }
  const load = Object.prototype.hasOwnProperty.call(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!load) {
    io.stderr.write(`seis: unknown command '${terminalSafe(first)}'; commands: ${Object.keys(COMMANDS).join(', ')} (see 'seis --help')\n`);
    return 2;
  }
  let run: Command;
  try {
    run = await load();
  } catch (err) {
    io.stderr.write(`seis ${first}: this command is not available in this build (${firstLine(err)})\n`);
    return 1;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    // Commands report their own expected errors; anything reaching here is a bug, told in one line.
    io.stderr.write(`seis ${first}: unexpected failure: ${firstLine(err)}\n`);
    if (process.env.SEIS_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

/** One line of an error for the terminal: an unexpected error can quote text from a file. */
function firstLine(err: unknown): string {
  return terminalSafe((err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300));
}
