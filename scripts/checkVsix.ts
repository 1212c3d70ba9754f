/**
 * Checks a packaged VSIX for what the Marketplace page and the example tour need, reading the zip
 * itself (what vsce wrote, not what .vscodeignore is meant to do):
 *   node --import tsx scripts/checkVsix.ts seis-lens-linux-x64-0.1.0.vsix
 * - at most 20 MiB;
 * - the example tour's files (src/host/exampleGuide.ts), and no other example model or tensor;
 * - package.json's icon and every walkthrough image / markdown it names (and what that markdown links);
 * - every README link: anchors name a heading, relative targets are inside the VSIX.
 * Run by scripts/vscode-test/package.mjs after vsce; exits non-zero with the list of problems.
 */
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { EXAMPLE_FILES } from '../src/host/exampleGuide';
import { brokenLinks } from './readmeLinks';

export const VSIX_LIMIT_BYTES = 20 * 2 ** 20;
const ROOT_IN_VSIX = 'extension/';

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  readonly method: number;
  readonly compressedSize: number;
  readonly localHeaderOffset: number;
}

/** The central directory of a (non-zip64) archive. */
export function zipEntries(zip: Buffer): ZipEntry[] {
  const END = 0x06054b50;
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END) { end = i; break; }
  }
  if (end < 0) throw new Error('not a zip file: no end-of-central-directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`damaged zip: central directory entry ${k} has a bad signature`);
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localHeaderOffset: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

export function zipRead(zip: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localHeaderOffset;
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`${entry.name}: zip compression method ${entry.method} is not supported here`);
}

interface WalkthroughMedia { image?: string | { light?: string; dark?: string; hc?: string; hcLight?: string }; markdown?: string; svg?: string }

/** Files package.json points into the extension: the icon and the walkthrough media. */
export function manifestFiles(pkg: { icon?: string; contributes?: { walkthroughs?: { steps?: { media?: WalkthroughMedia }[] }[] } }): string[] {
  const files: string[] = [];
  if (pkg.icon) files.push(pkg.icon);
  for (const w of pkg.contributes?.walkthroughs ?? []) {
    for (const step of w.steps ?? []) {
      const m = step.media ?? {};
      if (typeof m.image === 'string') files.push(m.image);
      else if (m.image) files.push(...Object.values(m.image).filter((x): x is string => typeof x === 'string'));
      if (m.markdown) files.push(m.markdown);
      if (m.svg) files.push(m.svg);
    }
  }
  return files;
}

/** Problems with the VSIX (empty when it is fine) and figures to print. */
export function checkVsix(file: string): { problems: string[]; figures: string[] } {
  const zip = readFileSync(file);
  const entries = zipEntries(zip);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const has = (rel: string): boolean => byName.has(ROOT_IN_VSIX + posix.normalize(rel));
  const problems: string[] = [];
  const size = statSync(file).size;
  if (size > VSIX_LIMIT_BYTES) problems.push(`the VSIX is ${(size / 2 ** 20).toFixed(1)} MiB, above the 20 MiB limit`);

  let exampleBytes = 0;
  for (const f of EXAMPLE_FILES) {
    const e = byName.get(ROOT_IN_VSIX + f);
    if (!e) problems.push(`${f} is missing: "SEIS: Try the Example Models" would fail (see .vscodeignore)`);
    else exampleBytes += e.size;
  }
  const isExampleData = (name: string): boolean => name.startsWith(`${ROOT_IN_VSIX}examples/`) && /\.(onnx|npy)$/.test(name);
  const strays = entries.filter((e) => isExampleData(e.name) && !EXAMPLE_FILES.includes(e.name.slice(ROOT_IN_VSIX.length)));
  for (const e of strays) problems.push(`${e.name} is packaged but the example tour does not use it`);

  const manifest = byName.get(`${ROOT_IN_VSIX}package.json`);
  if (!manifest) problems.push('extension/package.json is missing');
  else {
    for (const f of manifestFiles(JSON.parse(zipRead(zip, manifest).toString('utf8')))) {
      const entry = byName.get(ROOT_IN_VSIX + posix.normalize(f));
      if (!entry) {
        problems.push(`package.json names ${f}, which is not in the VSIX`);
        continue;
      }
      // A walkthrough page's own links resolve against its folder.
      if (f.endsWith('.md')) {
        const dir = posix.dirname(f);
        problems.push(...brokenLinks(zipRead(zip, entry).toString('utf8'), (rel) => has(posix.join(dir, rel))).map((p) => `${f} ${p}`));
      }
    }
  }
  // The Marketplace page is the asset the manifest names (vsce renames README.md to readme.md).
  const vsixManifest = byName.get('extension.vsixmanifest');
  const detailsPath = vsixManifest && /Type="Microsoft\.VisualStudio\.Services\.Content\.Details" Path="([^"]+)"/.exec(zipRead(zip, vsixManifest).toString('utf8'))?.[1];
  const readme = detailsPath ? byName.get(detailsPath) : undefined;
  if (!readme) problems.push('the VSIX has no details page (README): the Marketplace page would be empty');
  else problems.push(...brokenLinks(zipRead(zip, readme).toString('utf8'), has).map((p) => `${readme.name} ${p}`));

  const figures = [
    `${file}: ${(size / 2 ** 20).toFixed(2)} MiB (${size} bytes), ${entries.length} files`,
    `example files: ${EXAMPLE_FILES.map((f) => `${f} ${byName.get(ROOT_IN_VSIX + f)?.size ?? 'missing'} B`).join(', ')}; together ${(exampleBytes / 1024).toFixed(0)} KiB`,
  ];
  return { problems, figures };
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node --import tsx scripts/checkVsix.ts FILE.vsix\n');
    process.exit(2);
  }
  const { problems, figures } = checkVsix(file);
  for (const f of figures) process.stdout.write(`[checkVsix] ${f}\n`);
  for (const p of problems) process.stderr.write(`[checkVsix] ${p}\n`);
  if (problems.length) process.exit(1);
  process.stdout.write('[checkVsix] ok: size, example files, icon and walkthrough media, README links\n');
}

if (process.argv[1] && /checkVsix\.ts$/.test(process.argv[1])) main();
