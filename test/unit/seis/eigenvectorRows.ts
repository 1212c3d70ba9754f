import type { SymmetricEigen } from '../../../src/seis/linalg/eigenTypes';

/** The solver's eigenvectors as rows (count × n, row v = vector v): how these tests index them. */
export function eigenvectorRows(eig: SymmetricEigen): Float64Array {
  const { n, count, vectorColumns } = eig;
  const rows = new Float64Array(count * n);
  for (let i = 0; i < n; i++) for (let v = 0; v < count; v++) rows[v * n + i] = vectorColumns[i * count + v];
  return rows;
}
