"""Benchmarks of the Kruskal-rank enumeration (group ``kruskal``).

* ``kruskal-throughput``: subsets decided per second by the numba kernel (depth-first,
  prefix reuse, both cores) against one python-flint ``nmod_mat.rank()`` per subset,
  side by side on the same random matrix and prime. Target: at least 20x.
* ``kruskal-12x24-command``: the whole ``tnverify kruskal FILE --json`` command (a fresh
  Python process: imports, loading, enumeration of ~9.7 million subsets, output) on a
  random 12 x 24 integer matrix. Target: under 2 s.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tnverify.bench import case, row, timeit
from tnverify.files import atomic_path
from tnverify.theory.kruskal import flint_kruskal_rank
from tnverify.numeric.kruskal_search import kruskal_search

PRIME = 2147483629


@case("kruskal-throughput", "kruskal")
def _throughput(repeat, quick):
    I, R = (8, 16) if quick else (10, 20)
    A = np.random.default_rng(0).integers(-100, 101, (I, R))
    ours_s, res = timeit(lambda: kruskal_search(A, PRIME), repeat)
    ours_rate = res.n_checked / ours_s
    cap = 20_000 if quick else 100_000
    t0 = time.perf_counter()
    _, _, n_base, _ = flint_kruskal_rank(A, PRIME, R, max_subsets=cap)
    base_s = time.perf_counter() - t0
    base_rate = n_base / base_s
    per = 1e6
    speed = ours_rate / base_rate
    note = (f"{I}x{R}, k-rank {res.k_lower}: ours {ours_rate:.3g} subsets/s ({res.n_checked} subsets), "
            f"flint {base_rate:.3g} subsets/s (first {n_base} subsets); speed-up {speed:.1f}x; times per 1e6 subsets")
    return [row("kruskal-throughput", "numba DFS kernel", per / ours_rate, "flint nmod_mat.rank per subset",
                per / base_rate, ">= 20x", speed >= 20, note)]


@case("kruskal-12x24-command", "kruskal")
def _command(repeat, quick):
    I, R = (10, 20) if quick else (12, 24)
    A = np.random.default_rng(0).integers(-100, 101, (I, R))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "A.npy"
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, A)
        cmd = [sys.executable, "-m", "tnverify.cli", "kruskal", str(path), "--json", "--no-progress"]
        times, out = [], None
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            out = json.loads(proc.stdout)
        ours_s = sorted(times)[len(times) // 2]
    kern_s, res = timeit(lambda: kruskal_search(A, PRIME), repeat)
    note = (f"k-rank {out['k_rank']} ({out['status']}), {out['n_checked']} subsets; "
            f"in-process kernel alone {kern_s:.3f} s")
    return [row("kruskal-12x24-command", f"tnverify kruskal {I}x{R} (whole command)", ours_s,
                "kernel call only (warm)", kern_s, "< 2 s", ours_s < 2.0, note)]
