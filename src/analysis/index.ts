/**
 * The analysis engine's public surface, for the CLI and the extension host. Callers that must stay
 * responsive use startAnalysis (a child process); runAnalysis runs in the calling process.
 */
export { startAnalysis, AnalysisRunError, type AnalysisHandle, type RunnerOptions } from './runner';
export { runAnalysis, TOOL_VERSION, type EngineHooks, type PreparedRun, type RunOptions } from './engine';
export { AnalysisError, type AnalysisErrorCode } from './errors';
export type { AnalysisRequest, AnalysisProgress, AnalysisStage, NormalizeName } from './protocol';
export { DEFAULT_TRANSFORMS, parseTransform, parseTransforms } from './transforms';
export { DEFAULT_MAX_LAYERS } from './layers';
export { isProbablyOnnx } from './onnxModel';
