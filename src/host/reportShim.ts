import type { AnalysisResult } from '../shared/results';
// Temporary until src/report/standaloneHtml.ts lands.
export function renderStandaloneReport(_results: AnalysisResult[], _options?: { title?: string }): string {
  throw new Error('the HTML report renderer is not part of this build yet');
}
