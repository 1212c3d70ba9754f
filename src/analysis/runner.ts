/**
 * Runs an analysis in a forked child process and exposes it as a promise with progress and
 * cancellation, for the CLI and the extension host alike.
 *
 * From the bundle (dist/cli.js, dist/extension.js) it forks dist/analysisWorker.js beside it; from
 * the TypeScript sources (tests, `node --import tsx`) it forks worker.ts through tsx.
 * cancel() asks politely, then kills: the child is gone within a second either way.
 */
import { analysisChildEnv } from './childEnv';
import { ChildStderr } from './childStderr';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisResult } from '../shared/results';
import { AnalysisError, type AnalysisErrorCode } from './errors';
import { isChildMessage, type AnalysisProgress, type AnalysisRequest, type ParentMessage } from './protocol';

export interface RunnerOptions {
  readonly onProgress?: (progress: AnalysisProgress) => void;
  /**
   * The result so far (`incomplete.reason = 'running'`; every layer in it final), as layers are
   * scored. A caller that cancels or fails keeps the last one and marks it itself.
   */
  readonly onPartial?: (result: AnalysisResult) => void;
  /** Extra text from the child's stderr (onnxruntime warnings) for a log channel. */
  readonly onLog?: (text: string) => void;
  /** Node-compatible executable (defaults to process.execPath; in VS Code that runs as Node). */
  readonly execPath?: string;
  /** Override the worker script (tests). */
  readonly workerPath?: string;
  /** Extra Node flags for the child, e.g. --cpu-prof for a benchmark's profile (one file per thread). */
  readonly childNodeFlags?: readonly string[];
}

export interface AnalysisHandle {
  readonly result: Promise<AnalysisResult>;
  /** Stops the analysis; `result` then rejects with an AnalysisError of code 'cancelled'. */
  cancel(): void;
  readonly pid: number | undefined;
}

/** Error from the child, with the child's code ('internal' for bugs). */
export class AnalysisRunError extends AnalysisError {
  constructor(
    code: AnalysisErrorCode,
    message: string,
    readonly internal = false,
  ) {
    super(code, message);
  }
}

const KILL_GRACE_MS = 300;

function workerEntry(): { path: string; execArgv: string[] } {
  const bundled = join(__dirname, 'analysisWorker.js');
  if (existsSync(bundled)) return { path: bundled, execArgv: [] };
  const source = join(__dirname, 'worker.ts');
  if (existsSync(source)) return { path: source, execArgv: ['--import', 'tsx'] };
  throw new AnalysisError('runtime', `the analysis worker is missing (looked for ${bundled} and ${source}); rebuild with npm run build`);
}

export function startAnalysis(request: AnalysisRequest, options: RunnerOptions = {}): AnalysisHandle {
  let child: ChildProcess;
  let settled = false;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  let resolveResult!: (r: AnalysisResult) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<AnalysisResult>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  const settle = (fn: () => void) => {
    if (settled) return;
    settled = true;
    if (killTimer) clearTimeout(killTimer);
    fn();
  };

  try {
    const entry = options.workerPath ? { path: options.workerPath, execArgv: options.workerPath.endsWith('.ts') ? ['--import', 'tsx'] : [] } : workerEntry();
    child = fork(entry.path, [], {
      execArgv: [...(options.childNodeFlags ?? []), ...entry.execArgv],
      execPath: options.execPath ?? process.execPath,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: analysisChildEnv(),
    });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { result: Promise.reject(e), cancel: () => undefined, pid: undefined };
  }

  const stderr = new ChildStderr();
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr.add(text);
    options.onLog?.(text);
  });
  child.stdout?.on('data', (chunk: Buffer) => options.onLog?.(chunk.toString()));

  const post = (message: ParentMessage) => {
    if (child.connected) child.send(message);
  };

  child.on('message', (message: unknown) => {
    if (!isChildMessage(message)) return;
    switch (message.type) {
      case 'ready':
        post({ type: 'start', request });
        break;
      case 'progress':
        if (!cancelled) options.onProgress?.(message.progress);
        break;
      case 'partial':
        if (!cancelled && !settled) options.onPartial?.(message.result);
        break;
      case 'result':
        settle(() => resolveResult(message.result));
        break;
      case 'error':
        settle(() =>
          rejectResult(message.code === 'internal' ? new AnalysisRunError('runtime', message.message, true) : new AnalysisRunError(message.code, message.message)),
        );
        break;
    }
  });
  child.on('error', (err) => settle(() => rejectResult(new AnalysisRunError('runtime', `the analysis process could not start: ${err.message}`))));
  child.on('exit', (code, signal) => {
    settle(() => {
      if (cancelled) return rejectResult(new AnalysisRunError('cancelled', 'analysis cancelled'));
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = stderr.summary(3);
      const hint = signal === 'SIGKILL' ? ' (out of memory? try a smaller --batch, --max-positions or --memory-budget)' : '';
      rejectResult(new AnalysisRunError('runtime', `the analysis process ${how} before reporting a result${hint}${tail ? `: ${tail}` : ''}`));
    });
  });

  const cancel = () => {
    if (settled || cancelled) return;
    cancelled = true;
    post({ type: 'cancel' });
    // Native inference cannot be interrupted mid-call, so the process is ended rather than awaited.
    child.kill('SIGTERM');
    killTimer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, KILL_GRACE_MS);
    killTimer.unref();
  };

  return { result, cancel, pid: child.pid };
}
