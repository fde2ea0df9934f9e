"""``tnverify bench``: our time against a baseline, measured side by side in one run.

Each case returns rows ``{case, ours, ours_seconds, baseline, baseline_seconds,
ratio, target, met, note, load}`` where ``ratio = ours_seconds / baseline_seconds`` and
``target`` states the goal (a ratio bound or an absolute time). Times are medians
over ``repeat`` runs (slow baselines run once). Capability modules add cases with
:func:`case`; the case modules of this package are imported on first use.
``load`` names the background load that ran during the measurement
(:func:`background_load`; docs/performance.md).
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Callable

import numpy as np

from tnverify.errors import UnknownNameError

__all__ = ["case", "run", "table", "timeit", "timeit_capped", "row", "background_load", "LOADS"]

CASES: dict[str, tuple[str, Callable]] = {}

#: Background loads (``tnverify bench --load KIND``): the Python code each load process runs. It
#: prints ``ready`` once set up and stops by itself when its parent process is gone. ``numeric``
#: multiplies 1000 x 1000 matrices with numpy, its OpenBLAS on its default thread count (every
#: core); ``python`` is a pure-Python counting loop (one core each).
LOADS = {
    "none": None,
    "numeric": ("import os, numpy as np\nA = np.random.default_rng(0).standard_normal((1000, 1000))\n"
                "parent = os.getppid()\nprint('ready', flush=True)\n"
                "while os.getppid() == parent:\n    A @ A\n"),
    "python": ("import os\nparent = os.getppid()\nprint('ready', flush=True)\n"
               "while os.getppid() == parent:\n    for x in range(200000):\n        pass\n"),
}


@contextmanager
def background_load(kind: str, processes: int | None = None):
    """Keep ``processes`` CPU-bound processes of ``kind`` (a key of :data:`LOADS`) running in the block.

    ``processes`` defaults to the cores this process may use
    (:func:`tnverify.numeric.threads.cores`). The processes run the current interpreter on the
    code of :data:`LOADS`; the block starts once each has printed ``ready`` (numpy imported, data
    drawn), and they are killed when it ends, however it ends. Yields the ``Popen`` objects (an
    empty list for ``none``).
    """
    from tnverify.numeric.threads import cores

    code = LOADS[kind]
    procs = []
    try:
        if code is not None:
            for _ in range(processes or cores()):
                procs.append(subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                              stdin=subprocess.DEVNULL, text=True))
            for p in procs:
                p.stdout.readline()
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
            p.stdout.close()


def load_label(kind: str, processes: int | None = None) -> str:
    """How a row names its background load: ``none`` or ``KIND x N processes``."""
    if LOADS[kind] is None:
        return "none"
    from tnverify.numeric.threads import cores

    return f"{kind} x {processes or cores()} processes"


def case(name: str, group: str):
    """Register ``fn(repeat, quick) -> list of rows`` as a benchmark case."""

    def deco(fn):
        CASES[name] = (group, fn)
        return fn

    return deco


def timeit(fn, repeat: int = 3) -> tuple[float, object]:
    """Median wall time of ``fn()`` over ``repeat`` runs, and its last result."""
    times, out = [], None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _capped_worker(conn, fn, args):
    t0 = time.perf_counter()
    out = fn(*args)
    conn.send((time.perf_counter() - t0, out))


def timeit_capped(fn, args=(), cap: float = 300.0) -> tuple[float, object, bool]:
    """Run ``fn(*args)`` once in a child process for at most ``cap`` seconds.

    Returns ``(seconds, result, finished)``; when the cap is hit, ``seconds`` is
    the cap (a lower bound on the true time) and ``finished`` is False.
    """
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_capped_worker, args=(child, fn, args), daemon=True)
    proc.start()
    if parent.poll(cap):
        seconds, out = parent.recv()
        proc.join()
        return seconds, out, True
    proc.kill()
    proc.join()
    return cap, None, False


def _sympy_rank(rows):
    import sympy

    return sympy.Matrix(rows).rank()


def row(case_name, ours, ours_s, baseline, base_s, target, met, note="") -> dict:
    """One result row: our time and the baseline's, their ratio, the target and whether it is met."""
    return {
        "case": case_name, "ours": ours, "ours_seconds": round(ours_s, 6), "baseline": baseline,
        "baseline_seconds": None if base_s is None else round(base_s, 6),
        "ratio": None if not base_s else round(ours_s / base_s, 6),
        "target": target, "met": met, "note": note,
    }


def _load_all():
    from tnverify.bench import checker, defects, identifiability, implicit, kruskal, networks, numeric, terracini  # noqa: F401  (each registers its cases)


def run(selection=(), repeat: int = 3, quick: bool = False, load: str = "none") -> list[dict]:
    """Run the selected cases (names or group names; all when empty) beside the background ``load``.

    ``load`` is a key of :data:`LOADS`; its processes run during every case
    (:func:`background_load`) and each row records it under ``load``.
    """
    _load_all()
    names = list(CASES)
    if selection:
        chosen = []
        for s in selection:
            hits = [n for n in names if n == s or CASES[n][0] == s]
            if not hits:
                raise UnknownNameError("benchmark case", s, names + sorted({g for g, _ in CASES.values()}))
            chosen.extend(h for h in hits if h not in chosen)
        names = chosen
    rows = []
    with background_load(load):
        for n in names:
            rows.extend(CASES[n][1](repeat, quick))
    for r in rows:
        r["load"] = load_label(load)
    if quick:  # small sizes: a smoke run, the targets apply to the full sizes only
        for r in rows:
            r["met"], r["target"] = None, f"{r['target']} (full size only)"
    return rows


def table(rows: list[dict]) -> str:
    """A plain-text table of benchmark rows."""
    head = f"{'case':34} {'ours [s]':>10} {'baseline':34} {'base [s]':>10} {'ratio':>9}  target / met"
    lines = [head, "-" * len(head)]
    for r in rows:
        base_s = "-" if r["baseline_seconds"] is None else f"{r['baseline_seconds']:.4f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.4g}"
        met = {True: "yes", False: "NO", None: "-"}[r["met"]]
        lines.append(f"{r['case']:34} {r['ours_seconds']:10.4f} {str(r['baseline'])[:34]:34} {base_s:>10} {ratio:>9}  "
                     f"{r['target']} / {met}")
        if r.get("note"):
            lines.append(f"{'':36}{r['note']}")
        if r.get("load", "none") != "none":
            lines.append(f"{'':36}background load: {r['load']}")
    return "\n".join(lines)


# ----------------------------------------------------------------- rank cases
def _rand(shape, seed=0, lo=-100, hi=100):
    return np.random.default_rng(seed).integers(lo, hi + 1, shape)


def _warm_rank():
    """Load the cached numba kernels once: a one-time process cost, reported by numba-first-call-compile."""
    from tnverify.exact.rank import rank

    rank([[1, 2], [3, 4]])


@case("rank-full", "rank")
def _bench_rank_full(repeat, quick):
    from tnverify.checker import check
    from tnverify.exact.rank import rank_certificate
    from tnverify.exact import rank
    from tnverify.numeric.modp import to_nmod_mat

    _warm_rank()
    n = 256 if quick else 1024
    A = _rand((n, n))
    ours_s, res = timeit(lambda: rank(A), repeat)
    N = to_nmod_mat(A, res.prime)
    base_s, _ = timeit(lambda: N.rank(), repeat)
    build_s, _ = timeit(lambda: to_nmod_mat(A, res.prime).rank(), repeat)
    cert = rank_certificate(res, A, {"object": "M"})
    chk_s, v = timeit(lambda: check(cert.to_dict()), 1)
    note = f"rank {res.rank} {res.status}; build+rank baseline {build_s:.4f} s; checker {chk_s:.3f} s ({v.status})"
    return [row(f"rank-full-{n}", "rank with both witnesses", ours_s, "flint nmod_mat.rank() bare", base_s,
                "ratio <= 3", ours_s <= 3 * base_s and res.status == "proved", note)]


@case("rank-small", "rank")
def _bench_rank_small(repeat, quick):
    from tnverify.exact.rank import rank

    _warm_rank()
    n = 24 if quick else 64
    A = _rand((n, n), seed=1)
    ours_s, res = timeit(lambda: rank(A), max(repeat, 20))
    np_s, _ = timeit(lambda: np.linalg.matrix_rank(A.astype(float)), max(repeat, 20))
    sym_s, sr, done = timeit_capped(_sympy_rank, (A.tolist(),), cap=60.0 if quick else 300.0)
    ok = sr == res.rank if done else True
    note = (f"sympy rank {sr}, ours {res.rank}" if done else
            f"sympy stopped at the {sym_s:.0f} s cap: its time and the ratio are bounds (ratio <= shown)")
    return [
        row(f"rank-vs-sympy-{n}", "rank with both witnesses", ours_s, "sympy Matrix.rank()", sym_s,
            "ratio <= 0.001", ours_s <= 0.001 * sym_s and ok, note),
        row(f"rank-vs-numpy-{n}", "rank with both witnesses", ours_s, "numpy.linalg.matrix_rank (float)", np_s,
            "ratio < 1", ours_s < np_s),
    ]


@case("rank-vs-numpy-large", "rank")
def _bench_rank_numpy_large(repeat, quick):
    from tnverify.exact.rank import rank

    _warm_rank()
    n = 256 if quick else 1024
    A = _rand((n, n), seed=2)
    ours_s, res = timeit(lambda: rank(A), repeat)
    np_s, npr = timeit(lambda: np.linalg.matrix_rank(A.astype(float)), repeat)
    return [row(f"rank-vs-numpy-{n}", "rank with both witnesses", ours_s, "numpy.linalg.matrix_rank (float)",
                np_s, "informational", None, f"numpy (unproved) says {npr}, ours {res.rank} {res.status}")]


@case("rank-deficient", "rank")
def _bench_rank_deficient(repeat, quick):
    from tnverify.checker import check
    from tnverify.exact.rank import rank_certificate
    from tnverify.exact import rank
    from tnverify.numeric.modp import to_fmpz_mat

    _warm_rank()
    h = 64 if quick else 256
    P = _rand((2 * h, h), 3) @ _rand((h, 2 * h), 4)
    ours_s, res = timeit(lambda: rank(P), 1 if not quick else repeat)
    Z = to_fmpz_mat(P)
    base_s, br = timeit(lambda: Z.rank(), 1)
    cert = rank_certificate(res, P, {"object": "M"})
    chk_s, v = timeit(lambda: check(cert.to_dict()), 1)
    met = ours_s <= 10 and res.status == "proved" and res.rank == br == h
    return [row(f"rank-deficient-{2 * h}", "rank proof, both witnesses", ours_s, "flint fmpz_mat.rank() (no witness)",
                base_s, "ours <= 10 s, proved", met,
                f"rank {res.rank} {res.status} via {res.upper_method} ({len(res.primes)} primes); "
                f"checker {chk_s:.2f} s ({v.status})")]


@case("rank-probable", "rank")
def _bench_rank_probable(repeat, quick):
    from tnverify.exact import rank
    from tnverify.numeric.modp import to_nmod_mat

    _warm_rank()
    h = 128 if quick else 512
    P = _rand((2 * h, h), 5) @ _rand((h, 2 * h), 6)
    ours_s, res = timeit(lambda: rank(P, upper="probable"), repeat)
    N = to_nmod_mat(P, res.prime)
    base_s, _ = timeit(lambda: N.rank(), repeat)
    met = ours_s <= 2 and res.failure_probability is not None and res.failure_probability < 2.0**-60
    return [row(f"rank-probable-{2 * h}", "proved lower + probable upper", ours_s, "flint nmod_mat.rank() bare",
                base_s, "ours <= 2 s, failure < 2^-60", met,
                f"rank {res.rank} {res.status}, failure probability {res.failure_probability:.3g}")]
