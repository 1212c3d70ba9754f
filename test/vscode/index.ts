/**
 * Entry the extension host loads for `--extensionTestsPath`: runs every bundled
 * *.vscode.test.js next to it with mocha and rejects when any test fails (the launcher then
 * exits non-zero).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

/** The launcher prints only console lines carrying this mark; the workbench's own chatter goes to its log. */
const MARK = '\u200b[seis-test]';

function markConsole(): () => void {
  const original = { log: console.log, error: console.error, warn: console.warn, info: console.info };
  const wrap = (fn: (...a: unknown[]) => void) => (...a: unknown[]): void => {
    if (typeof a[0] === 'string') fn(`${MARK}${a[0]}`, ...a.slice(1));
    else fn(MARK, ...a);
  };
  console.log = wrap(original.log);
  console.error = wrap(original.error);
  console.warn = wrap(original.warn);
  console.info = wrap(original.info);
  // Mocha's reporters print through a console.log reference taken when mocha was loaded.
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void };
  const originalBase = base.consoleLog;
  base.consoleLog = console.log;
  return () => {
    Object.assign(console, original);
    base.consoleLog = originalBase;
  };
}

export function run(): Promise<void> {
  const restore = markConsole();
  const grep = process.env.SEIS_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180_000, reporter: 'spec', ...(grep ? { grep } : {}) });
  for (const f of readdirSync(__dirname).filter((n) => n.endsWith('.vscode.test.js')).sort()) mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        restore();
        if (failures > 0) reject(new Error(`${failures} extension test(s) failed`));
        else resolve();
      });
    } catch (err) {
      restore();
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
