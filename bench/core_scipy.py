#!/usr/bin/env python3
"""The SciPy side of `npm run bench:core`: the same `seis score` work, written the way a numerical
Python engineer would write it for speed (the second baseline beside core_numpy.py's plain SVDs).

Usage: core_scipy.py CASES.json   (written by bench/core.bench.ts; same format and output as core_numpy.py)

Per case, timed from loading the two .npy files to the scores:
- matricize (b,c,h,w) -> (b*c, h*w) in float64, center the columns;
- the Gram on the smaller side only (A^T A when d <= n, A A^T otherwise), one BLAS product;
- all eigenvalues with scipy.linalg.eigvalsh (the tau rank needs the sorted spectrum, the trace the total);
- only the kept eigenvectors with scipy.linalg.eigh(..., subset_by_index=..., driver='evr');
- the other singular factor by one product; CCA from the k x k' products U^T U' and V^T V';
- each null permutation as one k x n x k' product U^T (P U') and a small CCA (S', V' do not change).
"""
import json
import sys
import time

import numpy as np
import scipy
import scipy.linalg

from core_numpy import blas_info, cca


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
    clean = np.load(case["clean"])
    transformed = np.load(case["transformed"])
    b, c, h, w = clean.shape
    a = clean.reshape(b * c, h * w).astype(np.float64)
    a2 = transformed.reshape(b * c, h * w).astype(np.float64)
    u, s, v = kept_basis(a, case["keep"])
    u2, s2, v2 = kept_basis(a2, case["keep"])
    vtv2 = v.T @ v2
    e, i = cca(u, s, v, u2, s2, v2, vtv2)
    nulls = [cca(u, s, v, u2[np.asarray(p)], s2, v2, vtv2) for p in case["permutations"]]
    return {
        "equivariance": e,
        "invariance": i,
        "rankClean": int(u.shape[1]),
        "rankTransformed": int(u2.shape[1]),
        "null": {
            "equivariance": float(np.mean([x[0] for x in nulls])),
            "invariance": float(np.mean([x[1] for x in nulls])),
            "permutations": len(nulls),
        },
    }


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    repeats = int(spec.get("repeats", 1))
    results = []
    for case in spec["cases"]:
        times, cpu = [], []
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            out = score(case)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        best = times.index(min(times))
        out.update(name=case["name"], seconds=times[best], cpuSeconds=cpu[best], allSeconds=times)
        results.append(out)
    json.dump({"numpy": np.__version__, "scipy": scipy.__version__, "python": sys.executable, "blas": blas_info(), "cases": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
