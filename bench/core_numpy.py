#!/usr/bin/env python3
"""The numpy/OpenBLAS side of `npm run bench:core`: the same `seis score` work as the TS core.

Usage: core_numpy.py CASES.json   (written by bench/core.bench.ts)
CASES.json: {"cases": [{"name", "clean", "transformed", "keep", "nullPermutations", "permutations": [[...], ...]}]}
Prints one JSON object on stdout: {"numpy", "blas", "cases": [{"name", "seconds", "cpuSeconds", "equivariance", ...}]}
(cpuSeconds = CPU time of all the process's threads: steadier than wall time on a shared machine).

Per case, timed from loading the two .npy files to the scores (as `seis score` does):
matricize (b,c,h,w) -> (b*c, h*w); center columns; thin SVD via LAPACK (np.linalg.svd, gesdd) of
each matrix; truncation at tau; SVD of U^T U'; S_E, S_I per docs/method.md; the null with the same
row permutations as the TS core (passed in, so the scores can be compared number for number).
"""
import ctypes
import json
import sys
import time

import numpy as np


def blas_info():
    """Which OpenBLAS build and kernel numpy runs (threadpoolctl when installed, else ask the library)."""
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: v for k, v in lib.items() if k in ("internal_api", "version", "architecture", "threading_layer", "num_threads", "filepath")}
            for lib in threadpool_info()
        ]
    except ImportError:
        pass
    found = []
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and ".so" in line})
    for path in paths:
        entry = {"filepath": path}
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("openblas_", ""), ("scipy_openblas_", "64_"), ("openblas_", "64_")):
            corename = getattr(lib, f"{prefix}get_corename{suffix}", None)
            if corename is None:
                continue
            corename.restype = ctypes.c_char_p
            config = getattr(lib, f"{prefix}get_config{suffix}")
            config.restype = ctypes.c_char_p
            threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
            entry.update(architecture=corename().decode(), config=config().decode(), num_threads=threads())
            break
        found.append(entry)
    return found


def kept_svd(a, tau):
    a = a - a.mean(axis=0, keepdims=True)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    energy = s * s
    fraction = np.cumsum(energy) / energy.sum()
    reached = np.nonzero(fraction >= tau - 1e-10)[0]
    k = int(reached[0]) + 1 if len(reached) else len(s)
    return u[:, :k], s[:k], vt[:k].T


def cca(u, s, v, u2, s2, v2, vtv2, ties=None):
    m, rho, nt = np.linalg.svd(u.T @ u2, full_matrices=False)
    r = min(u.shape[1], u2.shape[1])
    rho = np.minimum(rho[:r], 1.0)
    mt = m[:, :r] / s[:, None]  # S^-1 m_i: w_i = V mt_i, and V has orthonormal columns
    nt2 = nt.T[:, :r] / s2[:, None]
    dots = np.abs(np.sum(mt * (vtv2 @ nt2), axis=0))
    cos = np.minimum(dots / (np.linalg.norm(mt, axis=0) * np.linalg.norm(nt2, axis=0)), 1.0)
    return float(rho.mean()), float(np.mean(rho * cos)), tied_pairs(rho, ties) if ties else 0


def tied_pairs(rho, ties):
    """Neighbouring canonical correlations tied by the core's rule (ties: its "tolerance" and "minRho",
    passed in by the bench): inside such a block the canonical pairs are not unique, the core picks its
    documented basis (docs/method.md, "Ties") and a plain SVD whatever its rounding gives, so S_I may
    differ there."""
    return int(np.sum((rho[:-1] - rho[1:] <= ties["tolerance"]) & (rho[:-1] > ties["minRho"])))


def load_matrix(path):
    """A (b,c,h,w) activation tensor as its (b*c, h*w) float64 matricization."""
    tensor = np.load(path)
    b, c, h, w = tensor.shape
    return tensor.reshape(b * c, h * w).astype(np.float64)


def load_pair(case):
    """The two activation tensors as matrices, rows paired."""
    return load_matrix(case["clean"]), load_matrix(case["transformed"])


def scores_from_bases(clean_basis, transformed_basis, permutations, ties=None):
    """S_E, S_I and their null from the two kept bases (U, s, V); each null permutes the rows of U'."""
    u, s, v = clean_basis
    u2, s2, v2 = transformed_basis
    vtv2 = v.T @ v2
    e, i, tied = cca(u, s, v, u2, s2, v2, vtv2, ties)
    nulls = [cca(u, s, v, u2[np.asarray(p)], s2, v2, vtv2, ties) for p in permutations]
    return {
        "equivariance": e,
        "invariance": i,
        "tiedPairs": tied + sum(x[2] for x in nulls),
        "rankClean": int(u.shape[1]),
        "rankTransformed": int(u2.shape[1]),
        "null": {
            "equivariance": float(np.mean([x[0] for x in nulls])),
            "invariance": float(np.mean([x[1] for x in nulls])),
            "permutations": len(nulls),
        },
    }


def score(case):
    a, a2 = load_pair(case)
    return scores_from_bases(kept_svd(a, case["keep"]), kept_svd(a2, case["keep"]), case["permutations"])


def run_cases(score_case, versions):
    """Times score_case on every case of the spec file named on the command line; prints JSON."""
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    repeats = int(spec.get("repeats", 1))
    results = []
    for case in spec["cases"]:
        times, cpu = [], []
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            out = score_case(case)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        best = times.index(min(times))
        out.update(name=case["name"], seconds=times[best], cpuSeconds=cpu[best], allSeconds=times)
        results.append(out)
    json.dump({**versions, "python": sys.executable, "blas": blas_info(), "cases": results}, sys.stdout)
    sys.stdout.write("\n")


def main():
    run_cases(score, {"numpy": np.__version__})


if __name__ == "__main__":
    main()
