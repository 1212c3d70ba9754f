/**
 * The standalone HTML report's contract between its writer (src/report) and the page script
 * (webview-ui): the id of the `<script type="application/json">` element holding the results.
 */
export const REPORT_DATA_ID = 'seis-report-data';
