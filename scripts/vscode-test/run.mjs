#!/usr/bin/env node
// `npm run test:vscode`: bundles the extension-host test suites (test/vscode/*.vscode.test.ts),
// prepares a fresh workspace with real models, and runs them inside a real VS Code with
// @vscode/test-electron's runTests.
//   offline (default here): VS Code = code-server 4.100.3 + Debian Chromium via ./launcher.mjs
//                           (run scripts/vscode-test/install.sh once);
//   SEIS_VSCODE_ONLINE=1:   the standard flow, runTests downloads VS Code 1.100.3 (needs internet).
// Expects `npm run build` to have produced dist/ (the npm script does it first).
// SEIS_TEST_GREP=pattern runs only the matching tests.
// Exit code: 0 when every test passed, non-zero otherwise.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'out', 'test', 'vscode');
const online = process.env.SEIS_VSCODE_ONLINE === '1';

function die(message) {
  process.stderr.write(`[test:vscode] ${message}\n`);
  process.exit(1);
}

// --vsix FILE: test the packaged extension (unpacked) instead of the working tree.
const vsixArg = process.argv.indexOf('--vsix');
let extensionRoot = ROOT;
let unpacked;
if (vsixArg >= 0) {
  const vsix = resolve(process.argv[vsixArg + 1] ?? '');
  if (!existsSync(vsix)) die(`--vsix ${vsix}: no such file (build one with npm run package)`);
  unpacked = mkdtempSync(join(tmpdir(), 'seis-vsix-'));
  try {
    execFileSync('python3', ['-m', 'zipfile', '-e', vsix, unpacked], { stdio: 'inherit' });
  } catch {
    die(`could not unpack ${vsix} (needs python3)`);
  }
  extensionRoot = join(unpacked, 'extension');
  process.stdout.write(`[test:vscode] testing the packaged extension from ${vsix}\n`);
}
for (const f of ['dist/extension.js', 'dist/analysisWorker.js', 'dist/webview/main.js']) {
  if (!existsSync(join(extensionRoot, f))) die(`${join(extensionRoot, f)} is missing: run \`npm run build\` first (npm run test:vscode does).`);
}

// Suites run inside the extension host, which loads plain CommonJS: bundle each one.
rmSync(OUT, { recursive: true, force: true });
const suites = readdirSync(join(ROOT, 'test', 'vscode')).filter((f) => f.endsWith('.vscode.test.ts'));
if (suites.length === 0) die('no test/vscode/*.vscode.test.ts suites found');
await build({
  entryPoints: [join(ROOT, 'test', 'vscode', 'index.ts'), ...suites.map((s) => join(ROOT, 'test', 'vscode', s))],
  outdir: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'mocha', 'onnxruntime-node'],
  logLevel: 'warning',
});

// A fresh workspace per run: real models copied in, so tests may overwrite or corrupt them freely.
const workspace = mkdtempSync(join(tmpdir(), 'seis-vscode-ws-'));
const models = join(workspace, 'models');
mkdirSync(models);
const cls = join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
if (!existsSync(cls)) die(`${cls} is missing: run npm install (the PaddleOCR models are a devDependency).`);
copyFileSync(cls, join(models, 'cls.onnx'));
// Big enough (PP-OCRv4 text detector, ~190 captured layers) that a Cancel lands mid-run, after the first partial results.
copyFileSync(join(dirname(cls), 'ch_PP-OCRv4_det_infer.onnx'), join(models, 'det.onnx'));
// A PyTorch export (examples/, issue 5) and the kind of module source a user would have beside it.
const example = join(ROOT, 'examples', 'models', 'cnn-plain.onnx');
if (existsSync(example)) copyFileSync(example, join(models, 'cnn-plain.onnx'));
writeFileSync(join(workspace, 'cnn_plain.py'), [
  'import torch.nn as nn',
  '',
  'class Encoder(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)',
  '        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)',
  '        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)',
  '        self.conv4 = nn.Conv2d(64, 64, 3, padding=1)',
  '',
  'class Head(nn.Module):',
  '    def __init__(self, channels=64):',
  '        super().__init__()',
  '        self.fc = nn.Linear(channels, 10)',
  '',
  'class Cnn(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.encoder = Encoder()',
  '        self.head = Head()',
  '',
].join('\n'));
// Small but real analyses: the tests check the flow, not the science, and this machine is shared.
mkdirSync(join(workspace, '.vscode'));
writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({
  'seis.probes.count': 8,
  'seis.transforms': ['rot180', 'flip-h'],
  'seis.maxPositions': 256,
  'seis.nullPermutations': 2,
}, null, 2));
writeFileSync(join(workspace, 'README.txt'), 'Scratch workspace of the SEIS Lens integration tests; deleted after the run.\n');

const common = {
  ...(online ? { version: '1.100.3' } : { vscodeExecutablePath: join(ROOT, 'scripts', 'vscode-test', 'launcher.mjs') }),
  extensionDevelopmentPath: extensionRoot,
  extensionTestsPath: join(OUT, 'index.js'),
  launchArgs: [workspace, '--disable-extensions'],
};
let code = 1;
try {
  code = await runTests({ ...common, extensionTestsEnv: { SEIS_TEST_WORKSPACE: workspace, SEIS_TEST_GREP: process.env.SEIS_TEST_GREP ?? '' } });
  // Second, short pass in a workspace that is NOT trusted (offline launcher only: it controls trust).
  if (code === 0 && !online && !process.env.SEIS_TEST_GREP) {
    process.stdout.write('[test:vscode] untrusted-workspace pass\n');
    code = await runTests({ ...common, extensionTestsEnv: { SEIS_TEST_WORKSPACE: workspace, SEIS_TEST_GREP: 'untrusted workspace', SEIS_VSCODE_UNTRUSTED: '1' } });
  }
  // Third, short pass in an empty window (no folder): what a new user sees first (issue 12).
  if (code === 0 && !online && !process.env.SEIS_TEST_GREP) {
    process.stdout.write('[test:vscode] empty-window pass\n');
    code = await runTests({ ...common, launchArgs: ['--disable-extensions'], extensionTestsEnv: { SEIS_TEST_GREP: 'empty window' } });
  }
} catch (err) {
  process.stderr.write(`[test:vscode] ${err instanceof Error ? err.message : String(err)}\n`);
  code = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
  if (unpacked) rmSync(unpacked, { recursive: true, force: true });
}
process.exit(code);
