/**
 * The one reading of a score cell, used by every view: the CLI tables, the layer inspector, hovers and
 * decorations, the panel, the standalone report. Pure data + functions; safe for every bundle.
 *
 * Each score is judged against its own null (the same score with the pairing of clean and transformed
 * rows destroyed; docs/method.md, "The null"), never against a fixed level:
 * - `lost`        S_E is not clearly above its null: the spatial information is not linearly recoverable.
 * - `invariant`   S_E clearly above its null, S_I clearly above its null too, and S_I at least
 *                 INVARIANT_SHARE of S_E: the same features sit at the same places.
 * - `re-encoded`  S_E clearly above its null, S_I not (or far below S_E): kept but moved (equivariant).
 * - `underdetermined`  n < k + k′: canonical correlations approach 1 for any data; nothing to read.
 * - `no-null`     no null was computed (0 permutations): there is no baseline to read against.
 * - `undefined`   no score (a constant layer, NaN).
 * "Clearly above" means score − null > NULL_MARGIN.
 */

/** Margin a score must clear above its null to count as signal. */
export const NULL_MARGIN = 0.05;
/** S_I must reach this share of S_E (and clear its null) for a cell to read as invariant. */
export const INVARIANT_SHARE = 0.5;

export type Reading = 're-encoded' | 'invariant' | 'lost' | 'underdetermined' | 'no-null' | 'undefined';

/** The part of a score cell (ScoreCell or the core's PairScore) that a reading depends on. */
export interface ReadableCell {
  readonly equivariance: number | null;
  readonly invariance: number | null;
  readonly null?: { readonly equivariance: number | null; readonly invariance: number | null; readonly permutations?: number } | null;
  readonly underdetermined?: boolean;
}

/** JSON turns NaN/Infinity into null, so every number read from a document is checked. */
function finite(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

/** score − null, or undefined when either is missing. */
export function excessOverNull(cell: ReadableCell | undefined, measure: 'equivariance' | 'invariance'): number | undefined {
  if (!cell) return undefined;
  const score = finite(cell[measure]);
  const baseline = finite(cell.null?.[measure]);
  return score === undefined || baseline === undefined ? undefined : score - baseline;
}

export function clearlyAboveNull(cell: ReadableCell | undefined, measure: 'equivariance' | 'invariance'): boolean {
  const excess = excessOverNull(cell, measure);
  return excess !== undefined && excess > NULL_MARGIN;
}

export function readingOf(cell: ReadableCell | undefined): Reading {
  const e = finite(cell?.equivariance);
  const i = finite(cell?.invariance);
  if (!cell || e === undefined || i === undefined) return 'undefined';
  if (cell.underdetermined) return 'underdetermined';
  if (!cell.null || cell.null.permutations === 0 || finite(cell.null.equivariance) === undefined) return 'no-null';
  if (!clearlyAboveNull(cell, 'equivariance')) return 'lost';
  if (clearlyAboveNull(cell, 'invariance') && i >= INVARIANT_SHARE * e) return 'invariant';
  return 're-encoded';
}

/** Readings that say something about the layer (the others say why nothing can be said). */
export function isInformative(reading: Reading): reading is 're-encoded' | 'invariant' | 'lost' {
  return reading === 're-encoded' || reading === 'invariant' || reading === 'lost';
}

/** For narrow tables. */
export const READING_SHORT: Readonly<Record<Reading, string>> = {
  're-encoded': 're-encoded',
  invariant: 'invariant',
  lost: 'lost',
  underdetermined: 'underdet.',
  'no-null': 'no null',
  undefined: '—',
};

/** For legends and tooltips. */
export const READING_LABEL: Readonly<Record<Reading, string>> = {
  're-encoded': 're-encoded (equivariant)',
  invariant: 'invariant',
  lost: 'information lost',
  underdetermined: 'underdetermined',
  'no-null': 'no null computed',
  undefined: 'no score',
};

/** One sentence, for hovers, the CLI and the report. */
export const READING_TEXT: Readonly<Record<Reading, string>> = {
  're-encoded': 'S_E clearly above its null, S_I not: spatial information kept but moved (re-encoded, equivariant)',
  invariant: 'S_E and S_I both clearly above their nulls: the same features at the same places (invariant)',
  lost: 'S_E not clearly above its null: the spatial information is not linearly recoverable here (lost)',
  underdetermined: 'too few observations for the kept ranks (n < k + k′): canonical correlations approach 1 for any data; use more probe images',
  'no-null': 'no null was computed (0 permutations), so there is no baseline to read the scores against',
  undefined: 'no score for this cell (see its warnings): nothing to read',
};

/** The rule in words, for help texts and legends. */
export const READING_RULE = `a score counts as signal when it exceeds its null by more than ${NULL_MARGIN}; ` +
  `'lost' when S_E does not, 'invariant' when S_I does too and S_I ≥ ${INVARIANT_SHARE}·S_E, 're-encoded' otherwise; ` +
  `'underdetermined' when n < k + k′; 'no null' with 0 permutations`;
