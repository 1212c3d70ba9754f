/**
 * The order of a checkpoint series, from file names alone (pure: no file system here; the caller
 * lists folders and reads modification times).
 *
 * Default order (`step`): the training step or epoch read from each name — `epoch_2` before
 * `epoch_10`, `ckpt-step1200`, `iter500`, `e3`, or a name that is just a number — when every file
 * has one and no two share it; otherwise natural sort of the names (digits compared as numbers),
 * with a note saying which file had no step. `name` is natural sort, `mtime` oldest first, `given`
 * keeps the caller's order.
 */

export const CHECKPOINT_ORDERS = ['step', 'name', 'mtime', 'given'] as const;
export type CheckpointOrder = (typeof CHECKPOINT_ORDERS)[number];

export interface CheckpointFile {
  /** Absolute path of the .onnx file. */
  readonly path: string;
  /** Modification time; only `--order mtime` reads it. */
  readonly mtimeMs?: number;
}

export interface OrderedCheckpoint {
  readonly path: string;
  /** Short name shown in tables and charts: the file name without `.onnx`, with its folder when names repeat. */
  readonly label: string;
  /** The step or epoch read from the name, or null when the name carries none. */
  readonly step: number | null;
}

export interface CheckpointOrdering {
  readonly checkpoints: readonly OrderedCheckpoint[];
  /** The order actually applied (`step` falls back to `name`). */
  readonly order: CheckpointOrder;
  readonly notes: readonly string[];
}

/*
 * Longest alternatives first so `epoch` is not read as `e` + "poch". A prefix must start the name or
 * follow a non-letter, so `base10` is not "e10" and `resnet18` is not a step.
 */
const STEP_PREFIX = /(?:^|[^a-z])(ckpt[-_]?step|checkpoint[-_]?step|global[-_]?step|iteration|checkpoint|epoch|step|iter|ckpt|it|ep|e)[-_=]?(\d+)(?!\d)/gi;
const BARE_NUMBER = /^(\d+)$/;

/** The step or epoch in a file name (extension ignored), or null. With several, the last one wins
 *  (`epoch3_step1200` → 1200: within one run the later, finer counter is the one that grows). */
export function stepFromName(fileName: string): number | null {
  const stem = stripOnnx(baseName(fileName));
  let found: number | null = null;
  for (const match of stem.matchAll(STEP_PREFIX)) found = Number(match[2]);
  if (found !== null) return found;
  const bare = stem.match(BARE_NUMBER);
  return bare ? Number(bare[1]) : null;
}

/** Natural order: runs of digits compare as numbers, the rest case-insensitively; ties by code point. */
export function naturalCompare(a: string, b: string): number {
  const chunksA = a.match(/\d+|\D+/g) ?? [];
  const chunksB = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(chunksA.length, chunksB.length); i++) {
    const x = chunksA[i];
    const y = chunksB[i];
    const xDigits = /^\d/.test(x);
    const yDigits = /^\d/.test(y);
    if (xDigits && yDigits) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return diff;
      // 007 and 7 are the same number; the shorter spelling first keeps the order total.
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    const cmp = x.toLowerCase().localeCompare(y.toLowerCase(), 'en');
    if (cmp !== 0) return cmp;
  }
  if (chunksA.length !== chunksB.length) return chunksA.length - chunksB.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function orderCheckpoints(files: readonly CheckpointFile[], order: CheckpointOrder = 'step'): CheckpointOrdering {
  const notes: string[] = [];
  const labels = uniqueLabels(files.map((f) => f.path));
  const entries = files.map((f, i) => ({ file: f, label: labels[i], step: stepFromName(f.path) }));
  const byName = (x: (typeof entries)[number], y: (typeof entries)[number]) => naturalCompare(x.label, y.label) || naturalCompare(x.file.path, y.file.path);
  let applied: CheckpointOrder = order;
  const sorted = [...entries];
  if (order === 'step') {
    const missing = entries.filter((e) => e.step === null);
    const repeated = repeatedSteps(entries.map((e) => e.step));
    if (missing.length === 0 && repeated === undefined) {
      sorted.sort((x, y) => (x.step as number) - (y.step as number));
    } else {
      applied = 'name';
      sorted.sort(byName);
      if (entries.length > 1) {
        notes.push(
          missing.length > 0
            ? `no step or epoch in the name of ${missing.map((e) => e.label).slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}; checkpoints ordered by name (use --order mtime or given to choose)`
            : `several checkpoints share step ${repeated} in their names; ordered by name (use --order mtime or given to choose)`,
        );
      }
    }
  } else if (order === 'name') {
    sorted.sort(byName);
  } else if (order === 'mtime') {
    const unknown = entries.filter((e) => e.file.mtimeMs === undefined);
    if (unknown.length > 0) throw new Error(`no modification time for ${unknown.map((e) => e.file.path).join(', ')}`);
    sorted.sort((x, y) => (x.file.mtimeMs as number) - (y.file.mtimeMs as number) || byName(x, y));
  }
  return { checkpoints: sorted.map((e) => ({ path: e.file.path, label: e.label, step: e.step })), order: applied, notes };
}

function repeatedSteps(steps: readonly (number | null)[]): number | undefined {
  const seen = new Set<number>();
  for (const s of steps) {
    if (s === null) continue;
    if (seen.has(s)) return s;
    seen.add(s);
  }
  return undefined;
}

/** File names without `.onnx`; where two files share a name (one folder per run), as many parent
 *  folders as it takes to tell them apart. */
export function uniqueLabels(paths: readonly string[]): string[] {
  const parts = paths.map((p) => p.split(/[\\/]+/).filter(Boolean));
  const label = (i: number, depth: number) => {
    const segs = parts[i].slice(Math.max(0, parts[i].length - depth));
    segs[segs.length - 1] = stripOnnx(segs[segs.length - 1] ?? paths[i]);
    return segs.join('/');
  };
  return paths.map((_, i) => {
    for (let depth = 1; depth <= parts[i].length; depth++) {
      const mine = label(i, depth);
      if (paths.every((__, j) => j === i || label(j, depth) !== mine)) return mine;
    }
    return paths[i];
  });
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1];
}

function stripOnnx(name: string): string {
  return name.replace(/\.onnx$/i, '');
}
