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
 * Runs `seis ARGV` from the sources, lets its child get into the work (past 'ready' and 'start'),
 * kills the CLI with SIGKILL and measures how long the child outlives it (at most ~5 s; a survivor
 * is then killed so no test leaves it behind). `childStarted` says whether a running child was seen.
 */
export async function childLifeAfterParentKill(argv: readonly string[]): Promise<{ childStarted: boolean; msAlive: number }> {
  const bin = join(__dirname, '..', '..', '..', 'bin', 'seis.js');
  const parent = spawn(process.execPath, [bin, ...argv], { env: { ...process.env, SEIS_CLI_SOURCE: '1' }, stdio: 'ignore' });
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
  await new Promise((r) => setTimeout(r, 2500));
  const childStarted = isAlive(child);
  parent.kill('SIGKILL');
  const killedAt = Date.now();
  while (isAlive(child) && Date.now() - killedAt < 5000) await new Promise((r) => setTimeout(r, 50));
  const msAlive = Date.now() - killedAt;
  if (isAlive(child)) process.kill(child, 'SIGKILL');
  return { childStarted, msAlive };
}
