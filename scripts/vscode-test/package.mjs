#!/usr/bin/env node
// `npm run package [-- --target <vsce target>]`: production build, then a platform-specific VSIX
// with @vscode/vsce that carries only that platform's onnxruntime-node binaries. Default target:
// linux-x64. The .vscodeignore in the repository is the linux-x64 list; for another target its
// napi-v6 line is rewritten into a temporary ignore file. Prints the VSIX path and size.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// vsce target → onnxruntime-node 1.30.0 binary folder (it ships no darwin-x64 or armhf build).
const ORT_DIRS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

const argv = process.argv.slice(2);
const ti = argv.indexOf('--target');
const target = ti >= 0 ? argv[ti + 1] : 'linux-x64';
const ortDir = ORT_DIRS[target];
if (!ortDir) {
  process.stderr.write(`[package] no onnxruntime-node binaries for target "${target}"; supported: ${Object.keys(ORT_DIRS).join(', ')}\n`);
  process.exit(1);
}
const binaries = join(ROOT, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', ...ortDir.split('/'));
if (!existsSync(join(binaries, 'onnxruntime_binding.node'))) {
  process.stderr.write(`[package] ${binaries} has no onnxruntime_binding.node: run npm install first.\n`);
  process.exit(1);
}

function run(what, cmd, args) {
  try {
    execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  } catch {
    process.stderr.write(`[package] ${what} failed (its output is above); no VSIX written.\n`);
    process.exit(1);
  }
}
if (!argv.includes('--skip-build')) run('the production build', process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--production']);
for (const f of ['dist/extension.js', 'dist/analysisWorker.js', 'dist/webview/main.js']) {
  if (!existsSync(join(ROOT, f))) {
    process.stderr.write(`[package] the build did not produce ${f}; the VSIX would not work.\n`);
    process.exit(1);
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'seis-package-'));
const ignoreFile = join(tmp, 'vscodeignore');
const base = readFileSync(join(ROOT, '.vscodeignore'), 'utf8');
writeFileSync(ignoreFile, base.replace('!node_modules/onnxruntime-node/bin/napi-v6/linux/x64/**', `!node_modules/onnxruntime-node/bin/napi-v6/${ortDir}/**`));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const out = join(ROOT, `${pkg.name}-${target}-${pkg.version}.vsix`);
try {
  run('vsce package', process.execPath, [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package',
    '--target', target, '--ignoreFile', ignoreFile, '--out', out,
    // No public repository URL yet: keep the README's relative links as they are.
    '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links']);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
// What vsce actually wrote: size limit, example files, icon/walkthrough media, README links.
try {
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'checkVsix.ts'), out], { cwd: ROOT, stdio: 'inherit' });
} catch {
  rmSync(out, { force: true });
  process.stderr.write('[package] the VSIX check failed (its output is above); the VSIX was deleted.\n');
  process.exit(1);
}
const mb = (statSync(out).size / 2 ** 20).toFixed(1);
process.stdout.write(`[package] ${out} (${mb} MiB, ${target})\n`);
