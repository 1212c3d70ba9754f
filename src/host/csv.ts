/**
 * Results as CSV for spreadsheets: one row per (layer, transform), the input floor first.
 * Pure: no vscode, unit-tested in plain Node.
 */
import type { AnalysisResult, LayerResult, ScoreCell } from '../shared/results';

const HEADER = [
  'model', 'layer', 'node', 'op', 'shape', 'layout', 'positions', 'pooled_positions', 'status', 'transform', 'exact',
  'S_E', 'S_I', 'null_S_E', 'null_S_I', 'rank_clean', 'rank_transformed', 'r', 'observations', 'variables',
  'underdetermined', 'warnings', 'message',
];

/** RFC 4180 quoting; also defuses cells a spreadsheet would run as a formula (=, +, -, @). */
export function csvCell(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  if (/^[=+\-@]/.test(s) && !/^-?\d/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function scoreColumns(cell: ScoreCell | undefined): (string | number | boolean | undefined)[] {
  if (!cell) return Array(10).fill(undefined);
  return [
    cell.equivariance, cell.invariance, cell.null.equivariance, cell.null.invariance,
    cell.rankClean, cell.rankTransformed, cell.r, cell.observations, cell.variables, cell.underdetermined,
  ];
}

export function resultsToCsv(result: AnalysisResult): string {
  const rows: string[] = [HEADER.join(',')];
  const model = result.model.fileName;
  const row = (cells: (string | number | boolean | undefined)[]): void => {
    rows.push(cells.map(csvCell).join(','));
  };
  for (const t of result.transforms) {
    const cell = result.inputFloor[t.id];
    row([model, '(input floor)', '', 'Input', result.model.probeInputShape.join('x'), result.model.inputLayout, undefined, undefined,
      cell ? 'scored' : 'missing', t.id, t.exact, ...scoreColumns(cell), cell?.warnings.join(' | '), undefined]);
  }
  const layerRow = (layer: LayerResult, transformId: string | undefined, exact: boolean | undefined): void => {
    const cell = transformId ? layer.scores[transformId] : undefined;
    row([model, layer.name, layer.node, layer.op, layer.shape.join('x'), layer.layout, layer.positions, layer.pooledPositions,
      layer.status, transformId, exact, ...scoreColumns(cell), cell?.warnings.join(' | '), layer.message]);
  };
  for (const layer of result.layers) {
    if (layer.status !== 'scored' || result.transforms.length === 0) layerRow(layer, undefined, undefined);
    else for (const t of result.transforms) layerRow(layer, t.id, t.exact);
  }
  return `${rows.join('\r\n')}\r\n`;
}
