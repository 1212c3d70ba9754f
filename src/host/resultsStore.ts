/**
 * Per-model results kept in the extension's workspace storage, so reopening a model shows its last
 * results at once. Plain Node (no vscode) so it is unit-tested directly.
 *
 * One file per model path, holding up to MAX_ENTRIES results keyed by (model sha256, settings key),
 * most recent first. Lookup prefers the entry matching the model's current bytes and settings; else
 * it returns the most recent one marked stale with the reason. Only successful runs are saved, so a
 * failed or cancelled run can never replace good results. Writes go to a temp file that is renamed,
 * so a crash leaves the previous file intact.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomicWrite';
import { openRegularFile } from '../io/files';
import { join } from 'node:path';
import { RESULTS_SCHEMA_VERSION, type AnalysisResult } from '../shared/results';

const STORE_VERSION = 1;
const MAX_ENTRIES = 4;

export interface StoredEntry {
  readonly modelSha256: string;
  readonly settingsKey: string;
  /** The analysis-relevant settings the result was computed with, to name what changed. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly savedAt: string;
  readonly result: AnalysisResult;
}

interface StoreFile {
  readonly storeVersion: number;
  readonly modelPath: string;
  readonly entries: StoredEntry[];
}

export interface LoadedResult {
  readonly entry: StoredEntry;
  /** Set when the entry does not match the model's current bytes or settings. */
  readonly staleReason?: string;
}

/** JSON with sorted keys, so equal settings give equal keys whatever their insertion order. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function settingsKeyOf(settings: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(stableStringify(settings)).digest('hex').slice(0, 16);
}

/** Streams the file so a large model is never held in the host's memory; a FIFO or device is refused, not read forever. */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let fd: number;
    try {
      fd = openRegularFile(path, { maxBytes: Number.MAX_SAFE_INTEGER, what: 'an .onnx model file' }).fd;
    } catch (err) {
      reject(err);
      return;
    }
    const hash = createHash('sha256');
    createReadStream('', { fd })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Names of settings whose values differ, for the stale message. */
export function changedSettings(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => stableStringify(a[k]) !== stableStringify(b[k])).sort();
}

export class ResultsStore {
  constructor(private readonly dir: string) {}

  private fileFor(modelPath: string): string {
    return join(this.dir, `${createHash('sha256').update(modelPath).digest('hex').slice(0, 24)}.json`);
  }

  private async read(modelPath: string): Promise<StoreFile | undefined> {
    let text: string;
    try {
      text = await readFile(this.fileFor(modelPath), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = JSON.parse(text) as StoreFile;
      if (parsed.storeVersion !== STORE_VERSION || parsed.modelPath !== modelPath || !Array.isArray(parsed.entries)) return undefined;
      // Results written by an older, incompatible schema are dropped rather than misread.
      return { ...parsed, entries: parsed.entries.filter((e) => e.result?.schemaVersion === RESULTS_SCHEMA_VERSION) };
    } catch {
      return undefined;
    }
  }

  async load(modelPath: string, current?: { modelSha256: string; settings: Readonly<Record<string, unknown>> }): Promise<LoadedResult | undefined> {
    const file = await this.read(modelPath);
    const latest = file?.entries[0];
    if (!file || !latest) return undefined;
    if (!current) return { entry: latest };
    const key = settingsKeyOf(current.settings);
    const exact = file.entries.find((e) => e.modelSha256 === current.modelSha256 && e.settingsKey === key);
    if (exact) return { entry: exact };
    const reasons: string[] = [];
    if (latest.modelSha256 !== current.modelSha256) reasons.push('the model file changed since this analysis');
    if (latest.settingsKey !== key) {
      const changed = changedSettings(latest.settings, current.settings);
      reasons.push(`settings changed since this analysis (${changed.length ? changed.join(', ') : 'analysis settings'})`);
    }
    return { entry: latest, staleReason: `${reasons.join('; ')}. Run "Analyze SEIS" again for fresh results.` };
  }

  async save(modelPath: string, entry: StoredEntry): Promise<void> {
    if (entry.result.incomplete) {
      // A partial result (running, cancelled, failed) must never replace good stored results.
      throw new Error(`an incomplete result (${entry.result.incomplete.reason}) is never stored as the results of ${modelPath}`);
    }
    await mkdir(this.dir, { recursive: true });
    const previous = await this.read(modelPath);
    const others = (previous?.entries ?? []).filter((e) => !(e.modelSha256 === entry.modelSha256 && e.settingsKey === entry.settingsKey));
    const file: StoreFile = { storeVersion: STORE_VERSION, modelPath, entries: [entry, ...others].slice(0, MAX_ENTRIES) };
    const target = this.fileFor(modelPath);
    writeFileAtomic(target, JSON.stringify(file));
  }

  /** Model paths with stored results and their latest entry, for Explorer badges after a reload. */
  async all(): Promise<{ modelPath: string; entry: StoredEntry }[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const out: { modelPath: string; entry: StoredEntry }[] = [];
    for (const name of names) {
      try {
        const parsed = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as StoreFile;
        const entry = parsed.entries?.[0];
        if (parsed.storeVersion === STORE_VERSION && entry?.result?.schemaVersion === RESULTS_SCHEMA_VERSION) out.push({ modelPath: parsed.modelPath, entry });
      } catch {
        // A damaged store file only loses that model's cached results; the others still load.
      }
    }
    return out;
  }
}
