/**
 * A killed parent must take its analysis child with it (src/analysis/parentWatch.ts). Shared by the
 * tests of `seis analyze` (worker.ts) and `seis series` (seriesWorker.ts).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Running (a zombie waiting for an orphan reaper that may never come counts as ended). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Runs `seis ARGV` from the sources, lets its child get into the work, kills the CLI with SIGKILL
 * and measures how long the child outlives it (at most ~5 s; a survivor is then killed so no test
 * leaves it behind). `childStarted` says whether the child was seen running at the kill.
 *
 * "Into the work" is the first progress line on the CLI's stderr that matches `workingLine` when one
 * is given (so a fast run cannot have finished before the kill: the caller picks a line that comes
 * well before the end); without one, 2.5 s after the fork, for a child whose work has no progress
 * line yet (e.g. the series child parsing its graphs).
 */
export async function childLifeAfterParentKill(argv: readonly string[], workingLine?: RegExp): Promise<{ childStarted: boolean; msAlive: number }> {
  const bin = join(__dirname, '..', '..', '..', 'bin', 'seis.js');
  const parent = spawn(process.execPath, [bin, ...argv], { env: { ...process.env, SEIS_CLI_SOURCE: '1' }, stdio: ['ignore', 'ignore', workingLine ? 'pipe' : 'ignore'] });
  let stderr = '';
  const working = new Promise<boolean>((resolve) => {
    if (!workingLine) return;
    parent.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (workingLine.test(stderr)) resolve(true);
    });
    parent.on('exit', () => resolve(false));
  });
  let child: number | undefined;
  const t0 = Date.now();
  while (child === undefined && Date.now() - t0 < 30000) {
    child = childrenOf(parent.pid as number)[0];
    if (child === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  if (child === undefined) {
    parent.kill('SIGKILL');
    return { childStarted: false, msAlive: 0 };
  }
  if (workingLine) {
    const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), 60000).unref());
    if (!(await Promise.race([working, timeout]))) {
      parent.kill('SIGKILL');
      if (isAlive(child)) process.kill(child, 'SIGKILL');
      return { childStarted: false, msAlive: 0 };
    }
  } else {
    await new Promise((r) => setTimeout(r, 2500));
  }
  const childStarted = isAlive(child);
  parent.kill('SIGKILL');
  const killedAt = Date.now();
  while (isAlive(child) && Date.now() - killedAt < 5000) await new Promise((r) => setTimeout(r, 50));
  const msAlive = Date.now() - killedAt;
  if (isAlive(child)) process.kill(child, 'SIGKILL');
  return { childStarted, msAlive };
}
