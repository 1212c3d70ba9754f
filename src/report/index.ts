export { renderStandaloneReport, writeStandaloneReport, findWebviewBundle, ReportError, type StandaloneReportOptions } from './standaloneHtml';
