/**
 * The typed message protocol between the extension host (src/host/panel.ts) and the SEIS webview
 * (webview-ui/). Pure types + tiny guards: no vscode, no DOM, no node, so both bundles import it.
 *
 * Handshake: the webview posts `ready` once its script runs; the host sends nothing before that
 * (messages posted to a webview that has not attached its listener are lost). After `ready` the
 * host sends `showResults`; later `selectLayer` / `setTransform` / `progress` at any time.
 *
 * Request ids: a host message that expects an answer carries `requestId`; the webview answers
 * with the same id (e.g. `requestPng` → `exportPng`). Ids are chosen by the sender of the request.
 *
 * Bump WEBVIEW_PROTOCOL_VERSION on any incompatible change; the webview reports the version it
 * speaks in `ready`, so a stale cached bundle can be detected by the host.
 */
import type { AnalysisResult } from './results';

export const WEBVIEW_PROTOCOL_VERSION = 1 as const;

/** Identifies a layer across messages: the model (by index into the results shown) and the layer's tensor name. */
export interface LayerRef {
  /** Index into `ShowResultsMessage.results`; the panel shows one model, so usually 0. */
  readonly modelIndex: number;
  /** `LayerResult.name` (tensor name, unique within a model). */
  readonly layerName: string;
}

// ---------------------------------------------------------------------------------------------
// Host → webview
// ---------------------------------------------------------------------------------------------

/** Replace what the webview shows. Several results are shown side by side (model comparison). */
export interface ShowResultsMessage {
  readonly type: 'showResults';
  readonly results: readonly AnalysisResult[];
  /** When set, the results are from an earlier run that no longer matches the model or settings. */
  readonly stale?: { readonly reason: string };
  /** Initially selected transform id; defaults to the first transform of the first result. */
  readonly transformId?: string;
  /** Initially selected layer (e.g. restored from the tree view). */
  readonly selectedLayer?: LayerRef;
  /** One paragraph shown above the heatmaps under "What to look for" (the example tour, src/host/exampleGuide.ts). */
  readonly guide?: string;
}

/** Select (highlight and show details of) a layer, e.g. because it was picked in the tree view. */
export interface HostSelectLayerMessage {
  readonly type: 'selectLayer';
  readonly layer: LayerRef;
  /** Scroll the heatmap so the layer's row is visible (default true). */
  readonly reveal?: boolean;
}

/** Change the transform the depth profile, scatter and details use. */
export interface SetTransformMessage {
  readonly type: 'setTransform';
  readonly transformId: string;
}

/** Progress of a running analysis; the webview shows it as a bar over the (possibly stale) results. */
export interface ProgressMessage {
  readonly type: 'progress';
  /** Human-readable stage, e.g. "Running model on probes", "Scoring layers". */
  readonly stage: string;
  readonly done: number;
  /** 0 when unknown (indeterminate bar). */
  readonly total: number;
  /** `running` shows the bar; `done`, `cancelled` and `failed` hide it (with `message` shown for failed/cancelled). */
  readonly state: 'running' | 'done' | 'cancelled' | 'failed';
  readonly message?: string;
}

/** Ask the webview for a PNG of its charts; answered by `exportPng` with the same `requestId`. */
export interface RequestPngMessage {
  readonly type: 'requestPng';
  readonly requestId: number;
  /** Which chart; `overview` = both heatmaps side by side (the default). */
  readonly chart?: PngChart;
}

export type PngChart = 'overview' | 'equivariance' | 'invariance' | 'profile' | 'scatter';

/** Show an error in the panel (e.g. the analysis failed); earlier results stay visible. */
export interface ShowErrorMessage {
  readonly type: 'showError';
  readonly message: string;
}

export type HostToWebviewMessage =
  | ShowResultsMessage
  | HostSelectLayerMessage
  | SetTransformMessage
  | ProgressMessage
  | RequestPngMessage
  | ShowErrorMessage;

// ---------------------------------------------------------------------------------------------
// Webview → host
// ---------------------------------------------------------------------------------------------

/** First message of the webview; the host answers with `showResults`. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly protocolVersion: typeof WEBVIEW_PROTOCOL_VERSION;
}

/** The user selected a layer in the webview (click / Enter on a heatmap cell or table row). */
export interface WebviewSelectLayerMessage {
  readonly type: 'selectLayer';
  readonly layer: LayerRef;
}

/** The user changed the transform in the webview (so the tree view and decorations can follow). */
export interface TransformChangedMessage {
  readonly type: 'transformChanged';
  readonly transformId: string;
}

/** Answer to `requestPng`: either a `data:image/png;base64,...` URL or an error. */
export interface ExportPngMessage {
  readonly type: 'exportPng';
  readonly requestId: number;
  readonly dataUrl?: string;
  readonly error?: string;
}

export type ExportFormat = 'json' | 'csv' | 'html' | 'png';

/**
 * The user pressed an export button. The host owns the files: it asks for a location and writes
 * JSON/CSV/HTML itself; for `png` it sends `requestPng` and saves the `exportPng` answer.
 */
export interface RequestExportMessage {
  readonly type: 'requestExport';
  readonly format: ExportFormat;
}

/** The user asked to re-run the analysis of the shown model (button shown when results are stale). */
export interface RequestRerunMessage {
  readonly type: 'requestRerun';
}

/** Something failed inside the webview; the host logs it to the output channel. */
export interface WebviewErrorMessage {
  readonly type: 'webviewError';
  readonly message: string;
}

export type WebviewToHostMessage =
  | ReadyMessage
  | WebviewSelectLayerMessage
  | TransformChangedMessage
  | ExportPngMessage
  | RequestExportMessage
  | RequestRerunMessage
  | WebviewErrorMessage;

// ---------------------------------------------------------------------------------------------
// Persisted webview state (vscode.setState/getState; also what a WebviewPanelSerializer receives)
// ---------------------------------------------------------------------------------------------

export interface WebviewPersistedState {
  readonly protocolVersion: typeof WEBVIEW_PROTOCOL_VERSION;
  /** `ModelInfo.path` of each shown result, so the host's serializer can reload them after a restart. */
  readonly modelPaths: readonly string[];
  readonly transformId?: string;
  readonly selectedLayer?: LayerRef;
  /** ShowResultsMessage.guide, so a restored panel shows it again. */
  readonly guide?: string;
}

// ---------------------------------------------------------------------------------------------
// Guards: messages cross a trust boundary as `unknown`; check the discriminant before switching.
// ---------------------------------------------------------------------------------------------

const HOST_TO_WEBVIEW_TYPES: ReadonlySet<string> = new Set<HostToWebviewMessage['type']>([
  'showResults', 'selectLayer', 'setTransform', 'progress', 'requestPng', 'showError',
]);
const WEBVIEW_TO_HOST_TYPES: ReadonlySet<string> = new Set<WebviewToHostMessage['type']>([
  'ready', 'selectLayer', 'transformChanged', 'exportPng', 'requestExport', 'requestRerun', 'webviewError',
]);

function hasType(value: unknown): value is { type: string } {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function isHostToWebviewMessage(value: unknown): value is HostToWebviewMessage {
  return hasType(value) && HOST_TO_WEBVIEW_TYPES.has(value.type);
}

export function isWebviewToHostMessage(value: unknown): value is WebviewToHostMessage {
  return hasType(value) && WEBVIEW_TO_HOST_TYPES.has(value.type);
}

export function isWebviewPersistedState(value: unknown): value is WebviewPersistedState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<WebviewPersistedState>;
  return v.protocolVersion === WEBVIEW_PROTOCOL_VERSION && Array.isArray(v.modelPaths)
    && v.modelPaths.every((p) => typeof p === 'string');
}
