#!/usr/bin/env node
// Entry point of the `seis` command. Runs the bundled dist/cli.js when a build exists; otherwise
// (a fresh clone after `npm ci`) runs the TypeScript source through tsx. SEIS_CLI_SOURCE=1 forces
// the source, so tests always exercise the code in the working tree rather than a stale build.
'use strict';

const { existsSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'cli.js');
const source = path.join(root, 'src', 'cli', 'main.ts');

async function loadCli() {
  const useSource = process.env.SEIS_CLI_SOURCE === '1' || !existsSync(built);
  if (!useSource) return require(built);
  if (!existsSync(source)) {
    throw new Error(`neither ${built} nor ${source} exists; run 'npm run build' in ${root}`);
  }
  try {
    // Importing tsx's loader registers its hooks for everything imported afterwards, like
    // `node --import tsx` does (tsx's register APIs fail when called from CommonJS here).
    await import('tsx');
  } catch {
    throw new Error(`no build at ${built} and tsx is not installed; run 'npm ci' (or 'npm run build') in ${root}`);
  }
  const mod = await import(pathToFileURL(source).href);
  return typeof mod.main === 'function' ? mod : mod.default;
}

// A closed pipe (`seis score ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

function firstLine(err) {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);
}

loadCli().then(
  (cli) =>
    cli.main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
      (code) => {
        process.exitCode = code;
      },
      (err) => {
        process.stderr.write(`seis: unexpected failure: ${firstLine(err)}\n`);
        process.exitCode = 1;
      },
    ),
  (err) => {
    process.stderr.write(`seis: ${firstLine(err)}\n`);
    process.exitCode = 1;
  },
);
