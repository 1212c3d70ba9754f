#!/usr/bin/env node
// Stands in for the VS Code executable that @vscode/test-electron would download (impossible
// offline): `runTests({ vscodeExecutablePath: <this file> })` spawns it with VS Code's CLI
// arguments. It starts a fresh code-server (VS Code 1.100.3 server + workbench, installed by
// install.sh), opens the workbench in headless Debian Chromium with the extension-test payload,
// and exits with the code the workbench reports when the mocha run in the extension host ends.
//
// Environment: SEIS_VSCODE_TEST_TIMEOUT_S (default 600), SEIS_VSCODE_KEEP=1 keeps the temp folder
// (logs, screenshot) even on success, CHROMIUM (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runUiChecks } from './ui-checks.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CODE_SERVER = join(ROOT, '.vscode-test', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// SEIS_VSCODE_UNTRUSTED=1 keeps workspace trust on, so the folder opens in restricted mode.
const untrusted = process.env.SEIS_VSCODE_UNTRUSTED === '1';
const TIMEOUT_MS = Number(process.env.SEIS_VSCODE_TEST_TIMEOUT_S || 600) * 1000;

function fail(message) {
  process.stderr.write(`[vscode-test launcher] ${message}\n`);
  process.exit(1);
}

function log(message) {
  process.stdout.write(`[vscode-test launcher] ${message}\n`);
}

// VS Code CLI arguments: `--name=value` flags and positional folders. Everything else that
// test-electron passes (--no-sandbox, --disable-updates, profile dirs...) does not apply here.
const args = process.argv.slice(2);
const flag = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const devPath = flag('extensionDevelopmentPath');
const testsPath = flag('extensionTestsPath');
const folder = args.find((a) => !a.startsWith('-'));
if (!devPath || !testsPath) fail('expected --extensionDevelopmentPath= and --extensionTestsPath= (run through scripts/vscode-test/run.mjs)');
if (!existsSync(CODE_SERVER)) fail(`code-server is not installed at ${CODE_SERVER}. Run: bash scripts/vscode-test/install.sh`);
if (!existsSync(CHROMIUM)) fail(`Chromium not found at ${CHROMIUM}. Run: bash scripts/vscode-test/install.sh (or set CHROMIUM=)`);

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  fail('playwright-core is missing: run npm install in the project');
}

function freePort() {
  return new Promise((res, rej) => {
    const server = createServer();
    server.unref();
    server.on('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

async function waitForHealth(url, child, deadline) {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const r = await fetch(url);
      if (r.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

// Every run gets its own folders: an old extension host can hold workspace locks for hours.
const tmp = mkdtempSync(join(tmpdir(), 'seis-vscode-test-'));
const dirs = Object.fromEntries(['user-data', 'extensions', 'xdg-config', 'xdg-data', 'tmp', 'chromium'].map((d) => [d, join(tmp, d)]));
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
mkdirSync(join(dirs['user-data'], 'User'), { recursive: true });
// The welcome walkthrough would steal focus from the editors the tests open.
writeFileSync(join(dirs['user-data'], 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'telemetry.telemetryLevel': 'off',
  // Untrusted pass: restricted mode without the modal that would otherwise ask at startup.
  ...(untrusted ? { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.untrustedFiles': 'open' } : {}),
}));
const configFile = join(tmp, 'code-server.yaml');
writeFileSync(configFile, 'auth: none\ncert: false\n');
const env = { ...process.env, SEIS_UI_CHECKS: '1', TMPDIR: dirs.tmp, XDG_CONFIG_HOME: dirs['xdg-config'], XDG_DATA_HOME: dirs['xdg-data'] };
// Set when this runs from a VS Code terminal; they would point code-server at that other instance.
delete env.VSCODE_IPC_HOOK_CLI;
delete env.ELECTRON_RUN_AS_NODE;
// No gallery is reachable here: point code-server's at a closed local port so its queries fail at
// once (a real DNS lookup of open-vsx.org takes ~16 s to give up, and the workbench waits for it).
const DEAD = 'http://127.0.0.1:9';
const serverEnv = {
  ...env,
  EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: `${DEAD}/gallery`, itemUrl: `${DEAD}/item`, resourceUrlTemplate: `${DEAD}/{publisher}/{name}/{version}/{path}` }),
};

let server;
let context;
let exiting = false;
async function cleanup(code) {
  if (exiting) return;
  exiting = true;
  try { await context?.close(); } catch { /* browser already gone */ }
  if (server && server.exitCode === null) {
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ }
    await new Promise((r) => setTimeout(r, 300));
    try { process.kill(-server.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  if (code === 0 && process.env.SEIS_VSCODE_KEEP !== '1') rmSync(tmp, { recursive: true, force: true });
  else log(`logs kept in ${tmp}`);
  process.exit(code);
}
process.on('SIGINT', () => void cleanup(130));
process.on('SIGTERM', () => void cleanup(143));

const port = await freePort();
const serverLog = join(tmp, 'code-server.log');
const logStream = createWriteStream(serverLog);
server = spawn(process.execPath, [
  CODE_SERVER,
  '--bind-addr', `127.0.0.1:${port}`,
  '--auth', 'none',
  '--disable-telemetry',
  '--disable-update-check',
  ...(untrusted ? [] : ['--disable-workspace-trust']),
  '--disable-getting-started-override',
  '--user-data-dir', dirs['user-data'],
  '--extensions-dir', dirs.extensions,
  '--config', configFile,
], { env: serverEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
server.stdout.pipe(logStream);
server.stderr.pipe(logStream);

const started = Date.now();
if (!(await waitForHealth(`http://127.0.0.1:${port}/healthz`, server, started + 60_000))) {
  process.stderr.write(readFileSync(serverLog, 'utf8'));
  log('code-server did not become healthy within 60 s');
  await cleanup(1);
}
log(`code-server ${port} up in ${Date.now() - started} ms`);

const remote = (p) => `vscode-remote://127.0.0.1:${port}${resolve(p)}`;
const payload = [['extensionDevelopmentPath', remote(devPath)], ['extensionTestsPath', remote(testsPath)]];
const url = `http://127.0.0.1:${port}/?${folder ? `folder=${encodeURIComponent(resolve(folder))}&` : ''}payload=${encodeURIComponent(JSON.stringify(payload))}`;

let exitResolve;
const exitCode = new Promise((r) => (exitResolve = r));
context = await chromium.launchPersistentContext(dirs.chromium, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1400, height: 900 },
  env,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
log(`chromium up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
// Nothing outside this code-server is reachable; failing such requests at once (instead of waiting
// for DNS to give up) keeps the workbench from stalling on the extension gallery.
await context.route((u) => u.hostname !== '127.0.0.1' && u.protocol !== 'data:' && u.protocol !== 'blob:', (route) => route.abort('internetdisconnected'));
const page = context.pages()[0] ?? (await context.newPage());
// The workbench forwards console output here (its own and the extension host's). Test output
// (marked by test/vscode/index.ts) goes to stdout; the rest to workbench.log, printed on failure.
const MARK = '\u200b[seis-test]';
const UI_CHECK_REQUEST = '[seis-ui-check] run';
const workbenchLog = createWriteStream(join(tmp, 'workbench.log'));
function formatConsole(logArgs) {
  const list = Array.isArray(logArgs) ? [...logArgs] : [logArgs];
  const str = (a) => (typeof a === 'string' ? a : JSON.stringify(a));
  let first = typeof list[0] === 'string' ? list.shift() : '';
  // console.log's printf-style placeholders, as mocha's reporters use them.
  first = first.replace(/%[sdifoOj%]/g, (m) => (m === '%%' ? '%' : list.length ? str(list.shift()) : m));
  return [first, ...list.map(str)].filter((x) => x !== '').join(' ');
}
let uiChecksRunning = false;
await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
  const text = formatConsole(logArgs);
  workbenchLog.write(`[${((Date.now() - started) / 1000).toFixed(1)}s ${type}] ${text}\n`);
  if (text.includes(UI_CHECK_REQUEST) && folder && !uiChecksRunning) {
    // A test asks for the checks that need the real UI; it waits for the answer file.
    uiChecksRunning = true;
    void runUiChecks(page, { outDir: tmp, log: (m) => log(`ui: ${m}`) })
      .then((failures) => writeFileSync(join(resolve(folder), '.seis-ui-check.json'), JSON.stringify({ failures, screenshots: tmp })))
      .finally(() => { uiChecksRunning = false; });
    return;
  }
  if (text.includes(MARK)) (type === 'error' ? process.stderr : process.stdout).write(`${text.split(MARK).join('')}\n`);
});
await page.exposeFunction('codeAutomationExit', (code) => exitResolve(Number(code) || 0));
// Console errors of every frame, webviews included (CSP violations show up here).
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') workbenchLog.write(`[frame ${m.type()}] ${m.text()}\n`); });
context.on('response', (r) => { if (r.status() >= 400) workbenchLog.write(`[http ${r.status()}] ${r.url()}\n`); });
page.on('pageerror', (e) => writeFileSync(join(tmp, 'page-errors.log'), `${e.stack ?? e}\n`, { flag: 'a' }));
await page.goto(url);
log(`workbench page loaded after ${((Date.now() - started) / 1000).toFixed(1)} s`);

const timer = setTimeout(() => exitResolve('timeout'), TIMEOUT_MS);
const result = await exitCode;
clearTimeout(timer);
if (result === 'timeout') {
  try { await page.screenshot({ path: join(tmp, 'timeout.png') }); } catch { /* page gone */ }
  process.stderr.write(readFileSync(join(tmp, 'workbench.log'), 'utf8').split('\n').slice(-40).join('\n'));
  log(`no result from the extension tests within ${TIMEOUT_MS / 1000} s; screenshot and code-server log in ${tmp}`);
  await cleanup(1);
}
if (result !== 0) {
  try { await page.screenshot({ path: join(tmp, 'failure.png') }); } catch { /* page gone */ }
  log(`failed: workbench console in ${join(tmp, 'workbench.log')}, code-server log in ${serverLog}`);
}
log(`extension tests finished with exit code ${result} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
await cleanup(result);
