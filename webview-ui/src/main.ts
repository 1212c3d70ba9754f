/**
 * Entry of the webview bundle (dist/webview/main.js + main.css). Mounts into #seis-root or #app
 * (created if the page has neither). In VS Code it posts `ready` and waits for `showResults`; in the
 * standalone report it renders the results embedded in the page.
 */
import './styles.css';
import { WEBVIEW_PROTOCOL_VERSION } from '../../src/shared/webviewProtocol';
import { App } from './app';
import { createBridge, readEmbeddedReport } from './bridge';

function start(): void {
  const bridge = createBridge();
  document.body.classList.add(bridge.kind === 'vscode' ? 'seis-vscode' : 'seis-standalone');
  // #seis-root in the report; the extension's panel page provides #app.
  let root = document.getElementById('seis-root') ?? document.getElementById('app');
  if (!root) {
    root = document.createElement('div');
    root.id = 'seis-root';
    document.body.append(root);
  }
  window.addEventListener('error', (e) => bridge.post({ type: 'webviewError', message: e.message }));

  let embedded;
  try {
    embedded = readEmbeddedReport(document);
  } catch (err) {
    root.textContent = `This SEIS report cannot be shown: ${err instanceof Error ? err.message : String(err)} Re-create it with "seis analyze --html".`;
    return;
  }
  const app = new App(root, bridge, embedded?.title);
  bridge.onMessage((m) => app.handle(m));
  if (embedded) app.showResults({ type: 'showResults', results: embedded.results });
  bridge.post({ type: 'ready', protocolVersion: WEBVIEW_PROTOCOL_VERSION });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
