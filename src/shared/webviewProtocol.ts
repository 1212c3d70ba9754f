/**
 * The typed message protocol between the extension host (src/host/panel.ts) and the SEIS webview
 * (webview-ui/). Pure types + tiny guards: no vscode, no DOM, no node, so both bundles import it.
 *
 * Handshake: the webview posts `ready` once its script runs; the host sends nothing before that
 * (messages posted to a webview that has not attached its listener are lost). After `ready` the
 * host sends `showResults`; later `selectLayer` / `setTransform` / `progress` at any time.
 *
 * Requests: a host message that expects an answer carries `messageId`; the webview's answer carries
 * `inReplyTo` with that id (src/shared/channel.ts). HostRequestReplies says which answer type
 * answers which request type; the compiler holds both sides to it.
 *
 * Bump WEBVIEW_PROTOCOL_VERSION on any incompatible change; the webview reports the version it
 * speaks in `ready`, and the host refuses a different one with a message that says what to do (a
 * stale cached bundle). Version 2: request ids became messageId / inReplyTo.
 */
import type { ReplyEnvelope, RequestEnvelope } from './channel';
import { isSeriesResult, type AnalysisResult, type SeriesResult } from './results';

export const WEBVIEW_PROTOCOL_VERSION = 2 as const;

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
  /** A checkpoint series (src/host/series.ts): shown above `results`, which then hold the checkpoint whose details are open. */
  readonly series?: SeriesResult;
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

/** Ask the webview for a PNG of its charts; answered by `exportPng` in reply to its `messageId`. */
export interface RequestPngMessage extends RequestEnvelope {
  readonly type: 'requestPng';
  /** Which chart; `overview` = both heatmaps side by side (the default). */
  readonly chart?: PngChart;
}

/** `sweep` and `difference` exist only when the panel shows them (a swept family; two models). */
export type PngChart = 'overview' | 'equivariance' | 'invariance' | 'profile' | 'scatter' | 'sweep' | 'difference' | 'series';

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

/**
 * First message of the webview; the host answers with `showResults`. The version is any number on
 * the wire, so a bundle speaking another one is recognised (and refused) rather than ignored.
 */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly protocolVersion: number;
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
export interface ExportPngMessage extends ReplyEnvelope {
  readonly type: 'exportPng';
  readonly dataUrl?: string;
  readonly error?: string;
}

/** `node-data`: one score per layer as Model Explorer node data (src/shared/nodeData.ts). */
export type ExportFormat = 'json' | 'csv' | 'html' | 'png' | 'node-data';

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

/**
 * The user asked for the canonical patterns of a layer whose results did not store them. The host
 * runs that layer and transform again with the shown run's settings (a run like any other: progress,
 * Cancel) and answers by showing the results with the patterns merged, or by an error.
 */
export interface RequestPatternsMessage {
  readonly type: 'requestPatterns';
  readonly layer: LayerRef;
  readonly transformId: string;
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
  | RequestPatternsMessage
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
  /** A series panel: every checkpoint's file (SeriesCheckpoint.model.path), so the host restores the series, not one checkpoint. */
  readonly seriesPaths?: readonly string[];
}

/** Which webview answer answers which host request (src/shared/channel.ts). */
export interface HostRequestReplies {
  readonly requestPng: ExportPngMessage;
}

/** The host messages that expect an answer. */
export type HostRequest = Extract<HostToWebviewMessage, RequestEnvelope>;

/**
 * The host's side of the ready handshake: undefined when the webview speaks this protocol, else the
 * mismatch in words (what happened and what to do).
 */
export function handshakeProblem(ready: ReadyMessage): string | undefined {
  return ready.protocolVersion === WEBVIEW_PROTOCOL_VERSION ? undefined : protocolMismatchMessage(ready.protocolVersion);
}

function protocolMismatchMessage(webviewVersion: unknown): string {
  return `The SEIS panel's script speaks webview protocol ${String(webviewVersion)}, this extension speaks ${WEBVIEW_PROTOCOL_VERSION}: `
    + 'the panel loaded a stale copy of its bundle. Close the panel and open it again (SEIS: Open Results Panel); '
    + 'if this persists, rebuild (npm run build) or reinstall the extension.';
}

// ---------------------------------------------------------------------------------------------
// Guards: messages cross a trust boundary as `unknown`. Each type's payload is checked, not only
// its discriminant, so a handler never reads a field that is not there.
// ---------------------------------------------------------------------------------------------

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optional = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v);
/**
 * A guard for a string union, built from an object keyed by every member: a member missing from the
 * object (or one that is not in the union) is a compile error, which a plain list does not give.
 */
const oneOf = <T extends string>(members: Readonly<Record<T, true>>) => (v: unknown): v is T => typeof v === 'string' && Object.hasOwn(members, v);

const isPngChart = oneOf<PngChart>({ overview: true, equivariance: true, invariance: true, profile: true, scatter: true, sweep: true, difference: true, series: true });
const isExportFormat = oneOf<ExportFormat>({ json: true, csv: true, html: true, png: true, 'node-data': true });
const isProgressState = oneOf<ProgressMessage['state']>({ running: true, done: true, cancelled: true, failed: true });

function isLayerRef(v: unknown): v is LayerRef {
  return isObject(v) && isCount(v.modelIndex) && isString(v.layerName);
}

/** A result document as far as the webview relies on it before reading it defensively. */
function isResultLike(v: unknown): v is AnalysisResult {
  return isObject(v) && Array.isArray(v.layers) && Array.isArray(v.transforms);
}

/**
 * One payload check per message type. The mapped types make the compiler reject a message type
 * without a check, and a check for a type that does not exist.
 */
const HOST_TO_WEBVIEW: { readonly [K in HostToWebviewMessage['type']]: (m: Fields) => boolean } = {
  showResults: (m) => Array.isArray(m.results) && m.results.every(isResultLike)
    && optional(m.stale, (s) => isObject(s) && isString(s.reason)) && optional(m.transformId, isString)
    && optional(m.selectedLayer, isLayerRef) && optional(m.guide, isString) && optional(m.series, isSeriesResult),
  selectLayer: (m) => isLayerRef(m.layer) && optional(m.reveal, (r) => typeof r === 'boolean'),
  setTransform: (m) => isString(m.transformId),
  progress: (m) => isString(m.stage) && isFiniteNumber(m.done) && isFiniteNumber(m.total) && isProgressState(m.state) && optional(m.message, isString),
  requestPng: (m) => isCount(m.messageId) && optional(m.chart, isPngChart),
  showError: (m) => isString(m.message),
};

const WEBVIEW_TO_HOST: { readonly [K in WebviewToHostMessage['type']]: (m: Fields) => boolean } = {
  ready: (m) => typeof m.protocolVersion === 'number',
  selectLayer: (m) => isLayerRef(m.layer),
  transformChanged: (m) => isString(m.transformId),
  exportPng: (m) => isCount(m.inReplyTo) && optional(m.dataUrl, isString) && optional(m.error, isString),
  requestExport: (m) => isExportFormat(m.format),
  requestRerun: () => true,
  requestPatterns: (m) => isLayerRef(m.layer) && isString(m.transformId),
  webviewError: (m) => isString(m.message),
};

function check<T>(table: Readonly<Record<string, (m: Fields) => boolean>>, value: unknown): value is T {
  if (!isObject(value) || !isString(value.type) || !Object.hasOwn(table, value.type)) return false;
  return table[value.type]!(value);
}

export function isHostToWebviewMessage(value: unknown): value is HostToWebviewMessage {
  return check<HostToWebviewMessage>(HOST_TO_WEBVIEW, value);
}

/** For a message of a host type whose payload fails its check: what was refused. Else undefined. */
export function hostMessageProblem(value: unknown): string | undefined {
  if (!isObject(value) || !isString(value.type) || !Object.hasOwn(HOST_TO_WEBVIEW, value.type) || isHostToWebviewMessage(value)) return undefined;
  return `ignored a "${value.type}" message whose payload does not match the protocol (${JSON.stringify(value).slice(0, 160)})`;
}

export function isWebviewToHostMessage(value: unknown): value is WebviewToHostMessage {
  return check<WebviewToHostMessage>(WEBVIEW_TO_HOST, value);
}

export function isWebviewPersistedState(value: unknown): value is WebviewPersistedState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<WebviewPersistedState>;
  return v.protocolVersion === WEBVIEW_PROTOCOL_VERSION && Array.isArray(v.modelPaths)
    && v.modelPaths.every((p) => typeof p === 'string')
    && (v.seriesPaths === undefined || (Array.isArray(v.seriesPaths) && v.seriesPaths.every((p) => typeof p === 'string')));
}
