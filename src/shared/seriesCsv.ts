/**
 * The CSV form of a checkpoint series: one row per checkpoint × layer × transform, in training order,
 * with each score's null and (when computed) interval. Cells are written by the project's one CSV cell
 * rule (./csv.ts). A layer a checkpoint lacks is one row with status `missing`; a checkpoint that could
 * not be analysed is one row with status `failed`. Pure: no vscode, no fs.
 */
import { csvCell } from './csv';
import type { ScoreCell, SeriesResult } from './results';

const HEADER = [
  'checkpoint', 'step', 'model', 'sha256', 'layer', 'op', 'status', 'transform', 'exact',
  'S_E', 'S_I', 'null_S_E', 'null_S_I', 'S_E_low', 'S_E_high', 'S_I_low', 'S_I_high', 'underdetermined', 'message',
];

function scoreColumns(cell: ScoreCell | undefined): (number | boolean | undefined)[] {
  if (!cell) return Array(9).fill(undefined);
  const iv = cell.intervals;
  return [
    cell.equivariance, cell.invariance, cell.null.equivariance, cell.null.invariance,
    iv?.equivariance.low, iv?.equivariance.high, iv?.invariance.low, iv?.invariance.high, cell.underdetermined,
  ];
}

export function seriesToCsv(series: SeriesResult): string {
  const rows: string[] = [HEADER.join(',')];
  const row = (cells: (string | number | boolean | null | undefined)[]) => rows.push(cells.map(csvCell).join(','));
  for (const c of series.checkpoints) {
    const head = [c.label, c.step, c.model.fileName, c.model.sha256];
    if (c.failed) {
      row([...head, undefined, undefined, 'failed', undefined, undefined, ...scoreColumns(undefined), c.message]);
      continue;
    }
    for (const layer of c.layers) {
      if (layer.status !== 'scored') {
        row([...head, layer.name, layer.op, layer.status, undefined, undefined, ...scoreColumns(undefined), layer.message]);
        continue;
      }
      for (const t of series.transforms) row([...head, layer.name, layer.op, layer.status, t.id, layer.scores[t.id]?.exact, ...scoreColumns(layer.scores[t.id]), layer.message]);
    }
    for (const name of c.missingLayers ?? []) row([...head, name, undefined, 'missing', undefined, undefined, ...scoreColumns(undefined), c.message]);
  }
  return `${rows.join('\r\n')}\r\n`;
}
