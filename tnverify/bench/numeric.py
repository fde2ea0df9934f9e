"""Benchmarks of the numeric decompositions (group ``numeric``), side by side in one run.

* ``cp-als-vs-tensorly``: CP-ALS time per sweep against TensorLy's ``parafac`` (numpy backend)
  on random rank-10 100^3 and rank-20 200^3 tensors (low rank plus 1% noise), with the same
  initial factors, the same number of sweeps (``tol = 0``) and both final errors reported.
  Target: ours <= 0.5x, also beside a background load (``tnverify bench cp-als-vs-tensorly --load
  numeric``). Without TensorLy the baseline is reported as unavailable (met = None).
* ``cp-als-mask-vs-tensorly``, ``cp-als-fixed-modes-vs-tensorly``: the same with 10% of the
  entries missing (``mask``; errors over the observed entries), resp. with mode 0 fixed.
* ``mttkrp-vs-dgemm``: MTTKRP GFLOP/s (``2 R prod(I)`` flops, every mode) against the DGEMM
  GFLOP/s of a 2000 x 2000 product measured in the same run. Target: >= 60%.

Figures, loads and what limits each case: docs/performance.md.
* ``jennrich-200``: Jennrich on a 200^3 tensor of rank 200: time and recovery error
  (max over components of 1 - |cos| between true and matched recovered columns of A).
* ``numba-cache``: first-call time of the kernels in a fresh process with an empty numba cache
  (compilation) against a second fresh process on the same cache, and whether the second
  process wrote no new cache files (no recompilation).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tnverify import numeric
from tnverify.bench import case, row, timeit


def _low_rank(n: int, R: int, seed: int, noise: float = 0.01):
    rng = np.random.default_rng(seed)
    F = [rng.standard_normal((n, R)) for _ in range(3)]
    X = numeric.cp_to_tensor(np.ones(R), F)
    X += noise * np.linalg.norm(X) / np.sqrt(X.size) * rng.standard_normal(X.shape)
    init = [rng.standard_normal((n, R)) for _ in range(3)]
    return X, init


def _versus_tensorly(repeat, quick, label: str, mask_fraction: float = 0.0, fixed_modes=None):
    """Rows of CP-ALS against TensorLy's ``parafac`` with the same start, sweeps and options."""
    try:
        import tensorly as tl
        from tensorly.cp_tensor import CPTensor
        from tensorly.decomposition import parafac
    except ImportError:
        tl = None
    sizes = [(40, 5, 20)] if quick else [(100, 10, 30), (200, 20, 20)]
    rows = []
    for n, R, iters in sizes:
        X, init = _low_rank(n, R, seed=n)
        mask = None
        if mask_fraction:
            mask = (np.random.default_rng(n + 1).random(X.shape) >= mask_fraction).astype(float)
        opts = {"mask": mask, "fixed_modes": fixed_modes}
        numeric.cp_als(X[:4, :4, :4], 2, n_iter_max=2, init=(None, [f[:4, :2] for f in init]))  # compile
        ours_s, res = timeit(lambda: numeric.cp_als(X, R, n_iter_max=iters, tol=0.0, init=(None, init), **opts),
                             repeat)
        name = f"{label}-{n}^3-rank{R}"
        if tl is None:
            rows.append(row(name, f"cp_als {iters} sweeps", ours_s / iters, "tensorly parafac: unavailable", None,
                            "<= 0.5x tensorly", None, "pip install tensorly for the baseline"))
            continue
        tl.set_backend("numpy")
        base_s, cpt = timeit(lambda: parafac(X, R, n_iter_max=iters, init=CPTensor((np.ones(R), [f.copy() for f in init])),
                                             tol=0.0, **opts), repeat)
        W = np.ones(X.shape) if mask is None else mask
        base_err = float(np.sqrt(np.sum(W * (X - tl.cp_to_tensor(cpt)) ** 2) / np.sum(W * X ** 2)))
        ratio = ours_s / base_s
        what = ", ".join(f"{k}={'10% missing' if k == 'mask' else v}" for k, v in opts.items() if v is not None)
        rows.append(row(name, f"cp_als {iters} sweeps, per sweep", ours_s / iters,
                        f"tensorly {tl.__version__} parafac, per sweep", base_s / iters, "<= 0.5x tensorly", ratio <= 0.5,
                        f"final rel. error ours {res.rel_error:.6g}, tensorly {base_err:.6g}; same init and sweeps"
                        + (f"; {what}" if what else "")))
    return rows


@case("cp-als-vs-tensorly", "numeric")
def _cp_als(repeat, quick):
    return _versus_tensorly(repeat, quick, "cp-als")


@case("cp-als-mask-vs-tensorly", "numeric")
def _cp_als_mask(repeat, quick):
    return _versus_tensorly(repeat, quick, "cp-als-mask", mask_fraction=0.1)


@case("cp-als-fixed-modes-vs-tensorly", "numeric")
def _cp_als_fixed(repeat, quick):
    return _versus_tensorly(repeat, quick, "cp-als-fixed-modes", fixed_modes=[0])


def _gflops(flops, seconds):
    return flops / seconds / 1e9


@case("mttkrp-vs-dgemm", "numeric")
def _mttkrp(repeat, quick):
    n, R = (100, 10) if quick else (200, 20)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, n, n))
    F = [rng.standard_normal((n, R)) for _ in range(3)]
    numeric.mttkrp(X[:3, :3, :3], [f[:3] for f in F], 1)  # compile
    flops = 2.0 * R * X.size
    t_modes = [timeit(lambda m=m: numeric.mttkrp(X, F, m), max(repeat, 5))[0] for m in range(3)]
    ours_s = float(np.mean(t_modes))
    m = 1000 if quick else 2000
    A, B = rng.standard_normal((m, m)), rng.standard_normal((m, m))
    base_s, _ = timeit(lambda: A @ B, max(repeat, 3))
    g_ours, g_gemm = _gflops(flops, ours_s), _gflops(2.0 * m ** 3, base_s)
    note = (f"MTTKRP {n}^3 rank {R}: {g_ours:.1f} GFLOP/s (modes {', '.join(f'{_gflops(flops, t):.1f}' for t in t_modes)})"
            f"; DGEMM {m}x{m}: {g_gemm:.1f} GFLOP/s; {100 * g_ours / g_gemm:.0f}% of DGEMM")
    return [row(f"mttkrp-{n}^3-rank{R}", "mttkrp (mean over modes)", ours_s, f"DGEMM {m}^2 (numpy)", base_s,
                ">= 60% of DGEMM GFLOP/s", g_ours >= 0.6 * g_gemm, note)]


@case("jennrich-200", "numeric")
def _jennrich(repeat, quick):
    from tnverify.theory.learning import recovery_error

    n = 60 if quick else 200
    rng = np.random.default_rng(1)
    F = [rng.standard_normal((n, n)) for _ in range(3)]
    X = numeric.cp_to_tensor(np.ones(n), F)
    ours_s, res = timeit(lambda: numeric.jennrich(X, n, seed=0), repeat)
    err, _ = recovery_error(F[0], res.factors[0])
    return [row(f"jennrich-{n}^3-rank{n}", "jennrich (numba + LAPACK)", ours_s, "-", None, "report time and error",
                None, f"recovery error (max 1 - |cos|, columns of A) {err:.3g}; fit rel. error {res.rel_error:.3g}")]


_PROBE = """
import time, numpy as np
t0 = time.perf_counter()
from tnverify import numeric
rng = np.random.default_rng(0)
X = rng.standard_normal((5, 6, 7))
numeric.cp_als(X, 3, n_iter_max=3, seed=0, linesearch=True)
numeric.jennrich(X, 3, seed=0, strict=False)
numeric.mttkrp(X, [rng.standard_normal((s, 3)) for s in X.shape], 1)
Y = rng.standard_normal((3, 4, 64))  # rows of >= 64 entries: the fused kernel
for m in (0, 1):
    numeric.mttkrp(Y, [rng.standard_normal((s, 3)) for s in Y.shape], m)
numeric.tensor_power_method(rng.standard_normal((4, 4, 4)), 2, seed=0)
print(time.perf_counter() - t0)
"""


def _cache_files(d: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in d.rglob("*") if p.suffix in (".nbi", ".nbc")}


@case("numba-cache", "numeric")
def _numba_cache(repeat, quick):
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "NUMBA_CACHE_DIR": d}
        run = lambda: float(subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,  # noqa: E731
                                           text=True, check=True).stdout.strip())
        t0 = time.perf_counter()
        cold = run()
        cold_wall = time.perf_counter() - t0
        before = _cache_files(Path(d))
        t0 = time.perf_counter()
        warm = run()
        warm_wall = time.perf_counter() - t0
        after = _cache_files(Path(d))
    rewritten = [p.name for p in after if before.get(p) != after[p]]
    met = bool(before) and not rewritten and warm < cold
    note = (f"first calls incl. import: cold cache {cold:.2f} s (process {cold_wall:.2f} s), warm cache {warm:.2f} s "
            f"(process {warm_wall:.2f} s); {len(before)} cache files, rewritten by the 2nd process: {len(rewritten)}")
    return [row("numba-first-call-compile", "fresh process, empty cache", cold, "fresh process, warm cache", warm,
                "2nd process does not recompile", met, note)]
