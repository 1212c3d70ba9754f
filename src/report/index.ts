export { renderStandaloneReport, writeStandaloneReport, findWebviewBundle, ReportError, type StandaloneReportOptions } from './standaloneHtml';
export { seriesReportHtml, seriesSection, writeSeriesReport, changedBeyondIntervals } from './seriesHtml';
