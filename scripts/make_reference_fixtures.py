#!/usr/bin/env python3
"""Reference SEIS scores computed outside the project, with numpy/LAPACK.

Writes test/fixtures/reference/: activation pairs as .npy, expected.json with the scores, and
npy/ with files written by numpy itself (format versions, dtypes, and files the reader must refuse).

This is an independent implementation of docs/method.md, deliberately the textbook route
rather than the core's: thin SVD of each centered matrix (LAPACK gesdd via np.linalg.svd),
truncation at tau, SVD of U^T U', then S_E = mean rho and S_I = mean rho_i |cos(V S^-1 m_i, V' S'^-1 n_i)|
formed in the d-dimensional variable space. The null permutes the rows of A' (row i takes source
row perm[i]) with the project's seeded shuffle, ported below, and averages the permutations.

When canonical correlations coincide (A' a pure spatial permutation of A, n < k + k'), their canonical
directions m_i are not unique and S_I depends on the basis chosen inside the tied block. The project
fixes that choice (align_tied below, the same rule as src/seis/score.ts, implemented independently).
Correlations nearly but not exactly tied (gap between 1e-9 and RHO_GAP) leave S_I ill-determined:
those cases record `compare.invariance = false` and the reason; S_E and the ranks are always well defined.

Run: python3 scripts/make_reference_fixtures.py   (Debian: apt-get install python3-numpy)
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "reference")
DEFAULT_SEED = 260204054  # DEFAULT_SEIS_OPTIONS.seed in src/seis/types.ts
MASK32 = 0xFFFFFFFF
# Canonical correlations closer than this make S_I basis-dependent beyond the 1e-6 tolerance.
RHO_GAP = 1e-4
# Canonical correlations this close count as tied (TIE_TOLERANCE in src/seis/score.ts).
TIE = 1e-9
# tau must not sit within this of a cumulative-energy step, or k depends on rounding.
TAU_MARGIN = 1e-7


# ---- the project's seeded permutations (src/seis/random.ts), ported to check the null exactly ----
def _create_random(seed):
    state = seed & MASK32

    def next_value():
        nonlocal state
        state = (state + 0x9E3779B9) & MASK32
        z = state
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & MASK32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK32
        z = (z ^ (z >> 16)) & MASK32
        return z / 4294967296.0

    return next_value


def seeded_permutation(n, seed):
    rand = _create_random(seed)
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(rand() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def null_permutation(n, seed, index):
    return seeded_permutation(n, (seed + ((index + 1) * 0x27D4EB2D)) & MASK32)


# ---- docs/method.md, step by step ----
def matricize(x, layout, orientation):
    """Observations x variables, float64, rows in the spec's order."""
    x = np.asarray(x, dtype=np.float64)
    if layout == "tokens":
        b, t, dim = x.shape
        g = int(round(np.sqrt(t - 1))) if t > 1 else 0
        if t > 1 and g >= 1 and g * g == t - 1:
            x = x[:, 1:, :]  # drop the class token
        b, t, dim = x.shape
        if orientation == "channel":
            return x.reshape(b * t, dim)
        return x.transpose(0, 2, 1).reshape(b * dim, t)
    if layout == "NHWC":
        x = x.transpose(0, 3, 1, 2)
    b, c, h, w = x.shape
    if orientation == "channel":
        return x.transpose(0, 2, 3, 1).reshape(b * h * w, c)
    return x.reshape(b * c, h * w)


def kept_svd(a, tau):
    a = a - a.mean(axis=0, keepdims=True)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    energy = s**2
    total = energy.sum()
    fraction = np.cumsum(energy) / total
    reached = np.nonzero(fraction >= tau)[0]
    k = int(reached[0]) + 1 if len(reached) else len(s)  # smallest k whose energy fraction reaches tau
    margin = min(abs(fraction[k - 1] - tau), abs(tau - fraction[k - 2]) if k >= 2 else 1.0)
    return u[:, :k], s[:k], vt[:k].T, k, margin


def align_tied(m, n, rho):
    """The project's rule for tied canonical correlations (the paper is silent): inside each block of
    rho equal within TIE, use the basis obtained by Gram-Schmidt of the clean principal axes e_1, e_2, ...
    projected onto the block's span. Computed here from the projector, independently of the core's code."""
    m, n = m.copy(), n.copy()
    r = len(rho)
    start = 0
    while start < r:
        end = start + 1
        while end < r and rho[end - 1] - rho[end] <= TIE:
            end += 1
        size = end - start
        if size > 1 and rho[start] > 1e-6:
            block = m[:, start:end]
            projector = block @ block.T
            chosen = []
            for axis in range(m.shape[0]):
                t = projector[:, axis].copy()
                for q in chosen:
                    t -= (q @ t) * q
                norm = np.linalg.norm(t)
                if norm < 1e-4:  # (|t|^2 < 1e-8 in the core)
                    continue
                chosen.append(t / norm)
                if len(chosen) == size:
                    break
            if len(chosen) == size:
                new_block = np.stack(chosen, axis=1)
                coefficients = block.T @ new_block  # new_block = block @ coefficients
                m[:, start:end] = new_block
                n[:, start:end] = n[:, start:end] @ coefficients
        start = end
    return m, n


def cca(u, s, v, u2, s2, v2):
    m, rho, nt = np.linalg.svd(u.T @ u2, full_matrices=False)
    r = min(u.shape[1], u2.shape[1])
    rho = np.minimum(rho[:r], 1.0)
    m, n = align_tied(m[:, :r], nt.T[:, :r], rho)
    w = v @ (m / s[:, None])  # w_i = V S^-1 m_i, columns
    vv = v2 @ (n / s2[:, None])  # v_i = V' S'^-1 n_i
    cos = np.abs(np.sum(w * vv, axis=0)) / (np.linalg.norm(w, axis=0) * np.linalg.norm(vv, axis=0))
    cos = np.minimum(cos, 1.0)
    return float(rho.mean()), float(np.mean(rho * cos)), rho


def min_rho_gap(rho):
    """Smallest gap between weighted canonical correlations that are not tied (ties are resolved by
    align_tied); a gap this small but above TIE leaves the directions, hence S_I, ill-determined."""
    significant = np.sort(rho[rho > 1e-6])[::-1]
    gaps = -np.diff(significant)
    gaps = gaps[gaps > TIE]
    return float(np.min(gaps)) if len(gaps) else float("inf")


def seis(clean, transformed, layout, orientation="spatial", tau=0.99, perms=3, seed=DEFAULT_SEED):
    a = matricize(clean, layout, orientation)
    a2 = matricize(transformed, layout, orientation)
    n, d = a.shape
    u, s, v, k, margin = kept_svd(a, tau)
    u2, s2, v2, k2, margin2 = kept_svd(a2, tau)
    if min(margin, margin2) < TAU_MARGIN:
        raise SystemExit(f"tau={tau} sits within {TAU_MARGIN} of an energy step: change the case")
    e, i, rho = cca(u, s, v, u2, s2, v2)
    permutations = [null_permutation(n, seed, p) for p in range(perms)]
    null_e, null_i, null_gap = [], [], float("inf")
    for perm in permutations:
        pe, pi, prho = cca(u, s, v, u2[perm], s2, v2)
        null_e.append(pe)
        null_i.append(pi)
        null_gap = min(null_gap, min_rho_gap(prho))
    gap = min_rho_gap(rho)
    reasons = []
    if gap < RHO_GAP:
        reasons.append(f"canonical correlations within {gap:.2e} of each other: the canonical directions (and S_I) are not unique")
    if null_gap < RHO_GAP:
        reasons.append(f"null canonical correlations within {null_gap:.2e}: null S_I not unique")
    return {
        "expected": {
            "equivariance": e,
            "invariance": i,
            "rankClean": k,
            "rankTransformed": k2,
            "r": min(k, k2),
            "observations": n,
            "variables": d,
            "underdetermined": bool(n < k + k2),
            "canonicalCorrelations": [float(x) for x in rho],
            "null": {
                "equivariance": float(np.mean(null_e)) if perms else None,
                "invariance": float(np.mean(null_i)) if perms else None,
                "permutations": perms,
            },
        },
        "compare": {"invariance": gap >= RHO_GAP, "nullInvariance": null_gap >= RHO_GAP},
        "notes": reasons,
        "permutations": permutations,
        "tauMargin": float(min(margin, margin2)),
        "rhoGap": gap if np.isfinite(gap) else None,  # None: no untied pair of weighted correlations
    }


# ---- realistic-looking activations: spatially smooth fields with channel structure + noise ----
def smooth(rng, shape, width):
    """Gaussian random field along the last two axes, low-passed in Fourier space."""
    noise = rng.standard_normal(shape)
    h, w = shape[-2], shape[-1]
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    kernel = np.exp(-((fy**2 + fx**2) * (2 * np.pi * width) ** 2) / 2)
    field = np.real(np.fft.ifft2(np.fft.fft2(noise) * kernel))
    return field / field.std()


def activations(rng, b, c, h, w, latent=4, noise=0.1, width=1.0):
    z = smooth(rng, (b, latent, h, w), width)
    mix = rng.standard_normal((c, latent)) * (0.6 ** np.arange(latent))[None, :]
    x = np.einsum("cl,blhw->bchw", mix, z)
    return x + noise * rng.standard_normal(x.shape)


def rot90(x):
    return np.rot90(x, k=1, axes=(-2, -1))


def cases(rng):
    out = []
    a = activations(rng, 12, 8, 6, 6)
    out.append(("random_pair", a, 0.8 * a + 0.6 * activations(rng, 12, 8, 6, 6), {}, np.float32,
                "correlated pair: A' = 0.8 A + 0.6 independent field"))
    out.append(("identity", a, None, {}, np.float32, "A' = A: S_E = 1 and S_I = 1"))
    out.append(("rot90_exact", a, rot90(a), {}, np.float32,
                "A' = rot90 of A's maps (a pure column permutation): S_E = 1, S_I < 1"))
    out.append(("rot90_noisy", a, rot90(a) + 0.3 * activations(rng, 12, 8, 6, 6), {}, np.float32,
                "rot90 of the maps plus an independent field"))
    out.append(("independent", activations(rng, 12, 8, 6, 6), activations(rng, 12, 8, 6, 6), {}, np.float64,
                "independent fields (float64 files): S_E at the null"))
    coeffs = rng.standard_normal((10, 6, 3))
    patterns = smooth(rng, (3, 5, 5), 0.8).reshape(3, 25)
    low = (coeffs @ patterns).reshape(10, 6, 5, 5)
    low2 = ((coeffs + 0.7 * rng.standard_normal(coeffs.shape)) @ rot90(patterns.reshape(3, 5, 5)).reshape(3, 25)).reshape(10, 6, 5, 5)
    out.append(("low_rank", low, low2, {}, np.float64, "exactly rank 3 before centering, both sides"))
    wide = activations(rng, 4, 6, 8, 8, latent=3, noise=0.02, width=1.5)
    out.append(("wide", wide, rot90(wide) + 0.2 * activations(rng, 4, 6, 8, 8, latent=3, noise=0.02, width=1.5),
                {"keep": 0.9}, np.float32, "n = 24 < d = 64 (Gram on the observation side), tau = 0.9"))
    tiny = activations(rng, 2, 3, 8, 8)
    out.append(("underdetermined", tiny, rot90(tiny) + 0.5 * activations(rng, 2, 3, 8, 8), {}, np.float32,
                "n = 6 observations, d = 64: n < k + k'"))
    grid = activations(rng, 8, 12, 4, 4).transpose(0, 2, 3, 1).reshape(8, 16, 12)  # (b, tokens, dim)
    cls = rng.standard_normal((8, 1, 12))
    grid2 = (rot90(grid.reshape(8, 4, 4, 12).transpose(0, 3, 1, 2)) + 0.3 * activations(rng, 8, 12, 4, 4))
    grid2 = grid2.transpose(0, 2, 3, 1).reshape(8, 16, 12)
    out.append(("tokens_cls", np.concatenate([cls, grid], axis=1),
                np.concatenate([rng.standard_normal((8, 1, 12)), grid2], axis=1), {}, np.float32,
                "(b, 1 + 4^2, dim) tokens: the class token is dropped"))
    ch = activations(rng, 6, 10, 5, 5)
    out.append(("channel_orientation", ch, rot90(ch) + 0.3 * activations(rng, 6, 10, 5, 5),
                {"orientation": "channel"}, np.float32, "the transposed diagnostic: observations = b*h*w"))
    nhwc = activations(rng, 6, 5, 6, 6)
    nhwc2 = rot90(nhwc) + 0.3 * activations(rng, 6, 5, 6, 6)
    out.append(("nhwc", nhwc.transpose(0, 2, 3, 1), nhwc2.transpose(0, 2, 3, 1), {"layout": "NHWC"}, np.float32,
                "(b, h, w, c) files scored with layout NHWC"))
    half = activations(rng, 12, 8, 6, 6)
    out.append(("float16", half, rot90(half) + 0.3 * activations(rng, 12, 8, 6, 6), {"nullPermutations": 5, "seed": 7},
                np.float16, "float16 files (reference computed from the float16 values); 5 permutations, seed 7"))
    big = activations(rng, 16, 16, 8, 8, latent=6, width=1.2)
    out.append(("medium_rot90", big, rot90(big) + 0.2 * activations(rng, 16, 16, 8, 8, latent=6, width=1.2), {}, np.float32,
                "n = 256, d = 64: large enough that the onnxruntime backend runs its GEMMs"))
    return out


def write_npy_fixtures():
    """Files written by numpy itself, for the reader's tests."""
    folder = os.path.join(OUT, "npy")
    os.makedirs(folder, exist_ok=True)
    base = (np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 11.5) / 4
    for version in [(1, 0), (2, 0), (3, 0)]:
        for dtype in ["<f2", "<f4", "<f8"]:
            name = f"v{version[0]}_{dtype[1:]}.npy"
            with open(os.path.join(folder, name), "wb") as f:
                np.lib.format.write_array(f, base.astype(dtype), version=version)
    np.save(os.path.join(folder, "scalar_f8.npy"), np.float64(2.5))
    np.save(os.path.join(folder, "empty_f4.npy"), np.zeros((0, 3), dtype=np.float32))
    np.save(os.path.join(folder, "vector_f4.npy"), np.array([1.5, -2.0, 3.25], dtype=np.float32))
    np.save(os.path.join(folder, "big_endian_f4.npy"), base.astype(">f4"))
    np.save(os.path.join(folder, "fortran_f4.npy"), np.asfortranarray(base.astype("<f4")))
    np.save(os.path.join(folder, "int32.npy"), np.arange(6, dtype="<i4").reshape(2, 3))
    np.save(os.path.join(folder, "object.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(os.path.join(folder, "structured.npy"), np.zeros(2, dtype=[("x", "<f4"), ("y", "<f4")]))
    np.save(os.path.join(folder, "complex64.npy"), np.zeros(2, dtype="<c8"))
    with open(os.path.join(folder, "v1_f4.npy"), "rb") as f:
        whole = f.read()
    with open(os.path.join(folder, "truncated_f4.npy"), "wb") as f:
        f.write(whole[:-5])
    half = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08, np.inf, -np.inf, np.nan],
                    dtype="<f2")
    np.save(os.path.join(folder, "f2_specials.npy"), half)
    values = {
        "base": base.reshape(-1).tolist(),
        "shape": list(base.shape),
        "f2_specials": [None if np.isnan(x) else (str(x) if np.isinf(x) else float(x)) for x in half.astype(np.float64)],
    }
    with open(os.path.join(folder, "values.json"), "w") as f:
        json.dump(values, f, indent=1)
        f.write("\n")


def main():
    rng = np.random.default_rng(20260204)
    os.makedirs(OUT, exist_ok=True)
    entries = []
    for name, clean, transformed, options, dtype, description in cases(rng):
        clean = clean.astype(dtype)
        clean_file = f"{name}.clean.npy"
        np.save(os.path.join(OUT, clean_file), clean)
        if transformed is None:
            transformed, transformed_file = clean, clean_file
        else:
            transformed = transformed.astype(dtype)
            transformed_file = f"{name}.transformed.npy"
            np.save(os.path.join(OUT, transformed_file), transformed)
        layout = options.get("layout", "tokens" if clean.ndim == 3 else "NCHW")
        result = seis(
            clean, transformed, layout,
            orientation=options.get("orientation", "spatial"),
            tau=options.get("keep", 0.99),
            perms=options.get("nullPermutations", 3),
            seed=options.get("seed", DEFAULT_SEED),
        )
        entries.append({
            "name": name,
            "description": description,
            "clean": clean_file,
            "transformed": transformed_file,
            "dtype": np.dtype(dtype).name,
            "options": {
                "keep": options.get("keep", 0.99),
                "nullPermutations": options.get("nullPermutations", 3),
                "seed": options.get("seed", DEFAULT_SEED),
                "orientation": options.get("orientation", "spatial"),
                **({"layout": options["layout"]} if "layout" in options else {}),
            },
            **result,
        })
        ex = result["expected"]
        print(f"{name:20s} n={ex['observations']:4d} d={ex['variables']:3d} k={ex['rankClean']:3d} k'={ex['rankTransformed']:3d} "
              f"S_E={ex['equivariance']:.6f} S_I={ex['invariance']:.6f} null=({ex['null']['equivariance']:.4f}, "
              f"{ex['null']['invariance']:.4f}) compare S_I={result['compare']['invariance']} gap={result['rhoGap'] if result['rhoGap'] is not None else float('inf'):.1e}",
              file=sys.stderr)
    document = {
        "generator": "scripts/make_reference_fixtures.py",
        "numpy": np.__version__,
        "method": "numpy.linalg.svd (LAPACK) of the centered matrices; docs/method.md formulas in variable space",
        "tolerance": 1e-6,
        "cases": entries,
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    write_npy_fixtures()


if __name__ == "__main__":
    main()
