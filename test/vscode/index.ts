/**
 * Entry the extension host loads for `--extensionTestsPath`: runs every bundled
 * *.vscode.test.js next to it with mocha and rejects when any test fails (the launcher then
 * exits non-zero).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/** The launcher prints only console lines carrying this mark; the workbench's own chatter goes to its log. */
const MARK = '\u200b[seis-test]';

function markConsole(): () => void {
  // Mocha's reporters print through Base.consoleLog; route it through one marked console.log line.
  // (Reassigning console.log itself has no effect in the extension host, which owns `console`.)
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void };
  const originalBase = base.consoleLog;
  const log = console.log.bind(console);
  base.consoleLog = (...a: unknown[]): void => log(`${MARK}${format(...a)}`);
  return () => {
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
