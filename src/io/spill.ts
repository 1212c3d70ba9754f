/**
 * A run's pooled activations on disk, for when they exceed the memory budget. Keeping them in memory
 * would force the layers into groups and the probes to be run once per group (the classifier at
 * 224²: 8 groups, 8× the inference); writing each pass to a file costs a sequential write and one
 * read per layer and transform instead. One folder per run, `seis-spill-<pid>-<random>` under the
 * chosen parent; each file is deleted as soon as its layer has read it, and the folder when the run
 * ends however it ends. A folder left by a killed run is removed by the next run that spills there
 * (its process id no longer exists).
 */
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, write } from 'node:fs';
import { open, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'seis-spill-';

function writeAt(fd: number, bytes: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, bytes, offset, length, position, (err, written) => (err ? reject(err) : resolve(written))));
}

/** Bytes a non-root user may still write under `dir`, or undefined when the system cannot tell. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes spill folders of runs whose process is gone (killed before they could clean up). */
function sweepStale(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.startsWith(PREFIX) ? name.slice(PREFIX.length).split('-')[0] : NaN);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) {
      try {
        rmSync(join(parent, name), { recursive: true, force: true });
      } catch {
        // Someone else's folder or already gone: not ours to insist on.
      }
    }
  }
}

/**
 * One file per pass and layer, written batch by batch at its offset. A write runs on libuv's thread
 * pool, so the kernel's copy into the page cache overlaps the next batch's inference instead of
 * holding the thread that also scores (the recognizer: 4.3 s of that thread's time, 1.6 GB written);
 * `values` must stay untouched until the write settles, and close() waits for them all.
 */
export interface SpillWriter {
  write(values: Float32Array, offsetValues: number): Promise<void>;
  close(): Promise<void>;
}

export class SpillStore {
  private disposed = false;

  private constructor(readonly dir: string) {}

  static create(parent: string): SpillStore {
    sweepStale(parent);
    return new SpillStore(mkdtempSync(join(parent, `${PREFIX}${process.pid}-`)));
  }

  private path(pass: number, layer: number): string {
    return join(this.dir, `${pass}-${layer}.f32`);
  }

  writer(pass: number, layer: number): SpillWriter {
    const fd = openSync(this.path(pass, layer), 'w');
    let open = true;
    const inFlight = new Set<Promise<void>>();
    return {
      write: (values, offsetValues) => {
        const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        const writing = (async () => {
          let done = 0;
          while (done < bytes.length) done += await writeAt(fd, bytes, done, bytes.length - done, offsetValues * 4 + done);
        })();
        const tracked = writing.finally(() => inFlight.delete(tracked));
        // Observed here: a failed write is reported by the caller that awaits it, never unhandled.
        tracked.catch(() => undefined);
        inFlight.add(tracked);
        return tracked;
      },
      close: async () => {
        await Promise.allSettled([...inFlight]);
        if (open) closeSync(fd);
        open = false;
      },
    };
  }

  /** Reads a layer's pass back (`length` values) and deletes its file. */
  async take(pass: number, layer: number, length: number): Promise<Float32Array> {
    const path = this.path(pass, layer);
    const out = new Float32Array(length);
    const bytes = new Uint8Array(out.buffer);
    const handle = await open(path, 'r');
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, done);
        if (bytesRead === 0) throw new Error(`${path} ended after ${done} of ${bytes.length} bytes (was the temporary folder cleaned up during the run?)`);
        done += bytesRead;
      }
    } finally {
      await handle.close();
    }
    await unlink(path).catch(() => undefined);
    return out;
  }

  /** Deletes a layer's pass without reading it (the layer failed before it). */
  drop(pass: number, layer: number): void {
    void unlink(this.path(pass, layer)).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await rm(this.dir, { recursive: true, force: true });
  }
}
