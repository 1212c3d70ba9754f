// Bundles every entry point that exists: the extension, the CLI, the analysis child process and the
// webview. Entries are optional so the build works while parts of the project are still missing.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info' };
const nodeEntries = [
  { in: 'src/extension.ts', out: 'dist/extension.js' },
  { in: 'src/cli/main.ts', out: 'dist/cli.js' },
  { in: 'src/analysis/worker.ts', out: 'dist/analysisWorker.js' },
  { in: 'src/analysis/seriesWorker.ts', out: 'dist/seriesWorker.js' },
  { in: 'src/analysis/eigenWorker.ts', out: 'dist/eigenWorker.js' },
].filter((entry) => existsSync(entry.in));

const jobs = nodeEntries.map((entry) =>
  build({
    ...common,
    entryPoints: [entry.in],
    outfile: entry.out,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // onnxruntime-node carries native binaries; vscode is provided by the host.
    external: ['vscode', 'onnxruntime-node'],
  }),
);

if (existsSync('webview-ui/src/main.ts')) {
  jobs.push(
    build({
      ...common,
      entryPoints: { main: 'webview-ui/src/main.ts' },
      outdir: 'dist/webview',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      loader: { '.css': 'css' },
    }),
  );
}

await Promise.all(jobs);
