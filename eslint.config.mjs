// Boundaries the linter enforces: only the host layer may import vscode; the SEIS core is pure.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'examples/**', '**/*.js', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/seis/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'vscode', message: 'src/seis is the pure math core: no vscode.' },
          { name: 'fs', message: 'src/seis is the pure math core: no file system.' },
          { name: 'node:fs', message: 'src/seis is the pure math core: no file system.' },
          { name: 'fs/promises', message: 'src/seis is the pure math core: no file system.' },
          { name: 'node:fs/promises', message: 'src/seis is the pure math core: no file system.' },
          { name: 'onnxruntime-node', message: 'src/seis takes its matmul backend as a parameter.' },
        ],
      }],
    },
  },
  {
    files: ['src/analysis/**/*.ts', 'src/cli/**/*.ts', 'src/shared/**/*.ts', 'src/io/**/*.ts', 'src/report/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/host and src/extension.ts may import vscode.' }] }],
    },
  },
  {
    files: ['webview-ui/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'Only src/host and src/extension.ts may import vscode.' }],
        patterns: [{ group: ['node:*', 'fs', 'path', 'child_process', 'onnxruntime-node', '**/src/analysis/*', '**/src/host/*'], message: 'webview-ui runs in a browser: shared types and rules come from src/shared.' }],
      }],
    },
  },
  {
    // The extension host never parses or runs a model: a native crash or a long parse must not take
    // it down. Everything it needs comes from the result document or through src/host/engine.ts.
    files: ['src/host/**/*.ts', 'src/extension.ts'],
    ignores: ['src/host/engine.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/analysis/*', '!**/analysis/protocol', '!**/analysis/runner', 'onnxruntime-node', 'onnx-proto'], message: 'The host reaches the analysis engine only through src/host/engine.ts (and reads results, not models).' }],
      }],
    },
  },
);
