#!/usr/bin/env python3
"""The SciPy side of `npm run bench:core`: the same `seis score` work, written the way a numerical
Python engineer would write it for speed (the second baseline beside core_numpy.py's plain SVDs).

Usage: core_scipy.py CASES.json   (written by bench/core.bench.ts; same format and output as core_numpy.py)

A case with "transforms" (bench:core --model: one layer of a real model's `seis analyze --dump-activations`)
is scored as a numerical Python engineer would score a layer: the clean basis once, then each transform's
basis and scores; its output has "scores", one entry per transform in the order given, each with the
count of canonical correlations tied by the core's rule (the case's "ties").

Per case, timed from loading the two .npy files to the scores:
- matricize (b,c,h,w) -> (b*c, h*w) in float64, center the columns;
- the Gram on the smaller side only (A^T A when d <= n, A A^T otherwise), one BLAS product;
- all eigenvalues with scipy.linalg.eigvalsh (the tau rank needs the sorted spectrum, the trace the total);
- only the kept eigenvectors with scipy.linalg.eigh(..., subset_by_index=..., driver='evr');
- the other singular factor by one product; CCA from the k x k' products U^T U' and V^T V';
- each null permutation as one k x n x k' product U^T (P U') and a small CCA (S', V' do not change).
"""

import numpy as np
import scipy
import scipy.linalg

from core_numpy import load_matrix, load_pair, run_cases, scores_from_bases


def kept_basis(a, tau):
    """(U, s, V) of the column-centered a, truncated at energy fraction tau, from the smaller Gram."""
    a = a - a.mean(axis=0, keepdims=True)
    n, d = a.shape
    gram = a.T @ a if d <= n else a @ a.T
    size = gram.shape[0]
    values = scipy.linalg.eigvalsh(gram, check_finite=False)[::-1]
    total = float(np.trace(gram))
    cumulative = np.cumsum(np.maximum(values, 0.0))
    reached = np.nonzero(cumulative >= tau * total - 1e-10 * total)[0]
    k = int(reached[0]) + 1 if len(reached) else size
    top, vectors = scipy.linalg.eigh(gram, subset_by_index=[size - k, size - 1], driver="evr", check_finite=False)
    order = np.arange(k)[::-1]
    s = np.sqrt(np.maximum(top[order], 0.0))
    vectors = vectors[:, order]
    if d <= n:
        return (a @ vectors) / s, s, vectors
    return vectors, s, (a.T @ vectors) / s


def score(case):
    a, a2 = load_pair(case)
    return scores_from_bases(kept_basis(a, case["keep"]), kept_basis(a2, case["keep"]), case["permutations"])


def score_layer(case):
    """One layer: the clean basis once, every transform against it (the clean side never changes)."""
    clean = kept_basis(load_matrix(case["clean"]), case["keep"])
    scores = []
    for path in case["transforms"]:
        transformed = kept_basis(load_matrix(path), case["keep"])
        scores.append(scores_from_bases(clean, transformed, case["permutations"], case["ties"]))
    return {"scores": scores}


def score_any(case):
    return score_layer(case) if "transforms" in case else score(case)


def main():
    run_cases(score_any, {"numpy": np.__version__, "scipy": scipy.__version__})


if __name__ == "__main__":
    main()
