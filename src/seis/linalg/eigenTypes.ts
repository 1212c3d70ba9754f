/**
 * The eigensolver's request and answer as plain data: shared by the solver, the core's MatMulBackend
 * contract (src/seis/types.ts) and the worker-thread protocol, without tying those modules to the solver.
 */

export interface SymmetricEigen {
  /** Eigenvalues in descending order (all n). */
  readonly values: Float64Array;
  /**
   * n × count, row-major: column j is the unit eigenvector for values[j]. Columns because every
   * caller wants the vectors side by side (V of a decomposition, the right singular vectors), and
   * the blocked back-transformation already works on them that way.
   */
  readonly vectorColumns: Float64Array;
  /** Number of eigenvectors returned. */
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
