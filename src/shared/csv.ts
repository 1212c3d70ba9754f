/**
 * The one CSV form of a result, for spreadsheets, written by both the CLI (`seis analyze --csv`) and
 * the extension's export: one row per (layer, transform), the input floor first. Pure: no vscode, no fs.
 *
 * Layer and tensor names come from the model file, so they are hostile input: a cell a spreadsheet
 * would run as a formula is defused (see csvCell).
 */
import type { AnalysisResult, LayerResult, ScoreCell } from '../shared/results';

const HEADER = [
  'model', 'layer', 'node', 'op', 'shape', 'layout', 'positions', 'pooled_positions', 'status', 'transform', 'exact',
  'S_E', 'S_I', 'null_S_E', 'null_S_I', 'rank_clean', 'rank_transformed', 'r', 'observations', 'variables',
  'underdetermined', 'warnings', 'message',
];

/**
 * RFC 4180 quoting. A text cell starting with = + - @ TAB or CR is one a spreadsheet may evaluate
 * (OWASP "CSV injection"), so it gets a leading apostrophe; numbers are written as numbers and
 * never need it.
 */
export function csvCell(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
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
