/**
 * The eigensolver's request and answer as plain data: shared by the solver, the core's MatMulBackend
 * contract (src/seis/types.ts) and the worker-thread protocol, without tying those modules to the solver.
 */

export interface SymmetricEigen {
  /** Eigenvalues in descending order (all n). */
  readonly values: Float64Array;
  /** count × n, row i = unit eigenvector for values[i]. */
  readonly vectorRows: Float64Array;
  /** Number of eigenvector rows returned. */
  readonly count: number;
  readonly n: number;
}

/**
 * Which eigenvectors to return (plain data, so a request can cross a worker-thread boundary):
 * a count of leading ones, or as many as it takes for the leading eigenvalues to reach a fraction
 * of the total (SEIS's τ rule; see keptRank in ../score.ts).
 */
export interface EigenOptions {
  readonly vectors?: number | { readonly energyFraction: number; readonly totalEnergy: number };
  /** Eigenvector method: inverse iteration (default, falls back to QL) or QL with accumulated rotations. */
  readonly method?: 'inverse-iteration' | 'ql';
}
