/**
 * The webview runs in two places: inside a VS Code webview (acquireVsCodeApi exists; messages and
 * state go through it) and in the standalone HTML report (no host; the results are embedded in
 * the page). The app talks to a Bridge and never checks which one it has.
 */
import {
  hostMessageProblem,
  isHostToWebviewMessage,
  isWebviewPersistedState,
  type HostToWebviewMessage,
  type WebviewPersistedState,
  type WebviewToHostMessage,
} from '../../src/shared/webviewProtocol';
import type { AnalysisResult } from '../../src/shared/results';
import { REPORT_DATA_ID } from '../../src/shared/report';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Bridge {
  readonly kind: 'vscode' | 'standalone';
  post(message: WebviewToHostMessage): void;
  onMessage(handler: (message: HostToWebviewMessage) => void): void;
  getState(): WebviewPersistedState | undefined;
  setState(state: WebviewPersistedState): void;
}


/** What the standalone report embeds in `<script type="application/json" id="seis-report-data">`. */
export interface EmbeddedReport {
  readonly title?: string;
  readonly results: readonly AnalysisResult[];
}

function listener(post: (message: WebviewToHostMessage) => void): (handler: (message: HostToWebviewMessage) => void) => void {
  return (handler) => window.addEventListener('message', (event: MessageEvent) => {
    if (isHostToWebviewMessage(event.data)) {
      handler(event.data);
      return;
    }
    // Anything else (extensions, devtools) may post to the window too and is ignored; one of our
    // types with a payload that does not check out is a host bug, so the host's log hears of it.
    const problem = hostMessageProblem(event.data);
    if (problem) post({ type: 'webviewError', message: problem });
  });
}

export function createBridge(): Bridge {
  if (typeof acquireVsCodeApi === 'function') {
    const api = acquireVsCodeApi();
    const post = (m: WebviewToHostMessage): void => api.postMessage(m);
    return {
      kind: 'vscode',
      post,
      onMessage: listener(post),
      getState: () => {
        const s = api.getState();
        return isWebviewPersistedState(s) ? s : undefined;
      },
      setState: (s) => api.setState(s),
    };
  }
  // Standalone: messages still work (tests and embedding pages drive the UI through
  // window.postMessage); outgoing messages are dropped and state lives in the URL hash only.
  return {
    kind: 'standalone',
    post: () => undefined,
    onMessage: listener(() => undefined),
    getState: () => undefined,
    setState: () => undefined,
  };
}

export function readEmbeddedReport(doc: Document): EmbeddedReport | undefined {
  const el = doc.getElementById(REPORT_DATA_ID);
  if (!el || !el.textContent) return undefined;
  const parsed = JSON.parse(el.textContent) as Partial<EmbeddedReport>;
  if (!parsed || !Array.isArray(parsed.results)) throw new Error('The embedded report data has no "results" array.');
  return { title: parsed.title, results: parsed.results };
}
