"""The checker against the prover (group ``checker``): check time over prove time, and peak memory.

For every case the prover runs in this process, warm: one untimed call, then the median of at
least ``repeat`` runs that add up to :data:`STEADY` seconds. The certificate is written to a
temporary file, and ``tnverify.checker.check`` runs in a fresh Python process on that file, first
cold (the first call loads the checker's compiled kernel and FLINT's code, when the certificate
needs them), then warm (more calls, counted as for the prover; the cold call alone when it took
over :data:`WARM_AFTER` seconds). Measured: the time of the ``check`` calls alone (not the
interpreter's start) and the process's peak resident memory (``VmHWM`` of
``/proc/self/status``, which includes Python and the imports, about 30 MB). Targets: the warm
check at most half the warm prover's time, and under 1 GB; the cold time is in the row's note.

Cases: exact rank 1024 x 1024 (both witnesses), Kruskal rank 12 x 24 (large enough for the
checker's compiled kernel), a generic rank by Terracini, the separation ranks of ``networks``
(deep ConvAC N=16 M=8 at a product point, the same certificate by the sketched route, deep ConvAC
N=24 over the pairs tree, the depth-2 RAC T=24 Start-End), and the two open sets of
``relu-depth-not-complete`` (deep ReLU/max N=8, M=3: a rank on one, a shallow match on all 3^8
sequences of the other). ``quick`` runs smaller sizes.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tnverify.bench import case, row

__all__: list = []

#: Peak memory target of a check (bytes).
MEMORY_TARGET = 2**30

# Peak memory is the process's own high-water mark (VmHWM, reset by exec), not ru_maxrss: on Linux
# ru_maxrss keeps the forking parent's resident size across the exec.
_CHILD = (
    "import json, re, statistics, sys, time\n"
    "from tnverify.checker import check\n"
    "text, repeat, warm_after, steady = open(sys.argv[1]).read(), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])\n"
    "def run():\n"
    "    t0 = time.perf_counter(); v = check(text); return time.perf_counter() - t0, v\n"
    "cold, v = run()\n"
    "warm = [cold] if cold > warm_after else []\n"
    "while cold <= warm_after and (len(warm) < repeat or sum(warm) < steady and len(warm) < 1000):\n"
    "    warm.append(run()[0])\n"
    "hwm = int(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1)) * 1024\n"
    "print(json.dumps({'seconds': statistics.median(warm), 'cold': cold, 'status': v.status, 'maxrss': hwm}))\n"
)
#: A check slower than this (seconds) is not repeated: its warm time is its cold time.
WARM_AFTER = 5.0
#: Fast runs, of the prover and of the check, are repeated until they add up to this many seconds
#: (at most 1000 runs): a median of a few millisecond-long runs moves by half from run to run.
STEADY = 0.5


def steady_time(fn, repeat: int) -> tuple[float, object]:
    """Median wall time of ``fn()``, after one untimed call, over at least ``repeat`` runs that add up
    to :data:`STEADY` s, and its result."""
    fn()
    times, out = [], None
    while not times or len(times) < repeat or sum(times) < STEADY and len(times) < 1000:
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def check_in_child(cert: dict, repeat: int = 1) -> dict:
    """Check ``cert`` in a fresh process: ``{"seconds" (warm), "cold", "status", "maxrss"}`` (bytes)."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "cert.json"
        path.write_text(json.dumps(cert))
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(repeat), str(WARM_AFTER), str(STEADY)],
                              capture_output=True, text=True, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    if proc.returncode:
        return {"seconds": float("nan"), "cold": float("nan"), "status": f"crashed: {proc.stderr.strip()[-200:]}",
                "maxrss": 0}
    return json.loads(proc.stdout)


def _row(name: str, what: str, prove_s: float, cert: dict, repeat: int = 1) -> dict:
    c = check_in_child(cert, repeat)
    ok = c["status"] == "VERIFIED"
    ratio_ok = c["seconds"] <= 0.5 * prove_s
    mem_ok = c["maxrss"] <= MEMORY_TARGET
    note = (f"{what}; check {c['status']}, cold {c['cold']:.4g} s, peak memory {c['maxrss'] / 2**20:.0f} MB "
            f"({'under' if mem_ok else 'OVER'} 1 GB)")
    return row(f"checker-{name}", "check (warm)", c["seconds"], "prove (warm)", prove_s,
               "check <= 0.5 x prove, < 1 GB", ok and ratio_ok and mem_ok, note)


def _rank(quick, repeat):
    from tnverify.exact.rank import rank_certificate
    from tnverify.exact.rank import rank

    n = 256 if quick else 1024
    A = np.random.default_rng(0).integers(-100, 101, (n, n))
    s, res = steady_time(lambda: rank(A), repeat)
    return _row(f"rank-{n}", f"rank {res.rank} ({res.status})", s, rank_certificate(res, A, {"object": "M"}).to_dict(),
                repeat)


def _kruskal(quick, repeat):
    from tnverify.theory.kruskal import kruskal_certificate, kruskal_rank

    I, R = (8, 16) if quick else (12, 24)
    A = np.random.default_rng(0).integers(-100, 101, (I, R))
    s, res = steady_time(lambda: kruskal_rank(A), repeat)
    return _row(f"kruskal-{I}x{R}", f"k-rank {res.lower} ({res.status})", s,
                kruskal_certificate(res, A).to_dict(), repeat)


def _generic(quick, repeat):
    from tnverify.theory.terracini import generic_rank

    n = 6 if quick else 12
    s, res = steady_time(lambda: generic_rank([n, n, n], tries=1), repeat)
    return _row(f"generic-rank-{n}x{n}x{n}", f"generic rank {res.generic_rank} ({res.status})", s,
                res.certificate.to_dict(), repeat)


def _separation(name, arch, partition, product=True, repeat=1):
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.separation import architecture_separation

    rows = parse_partition(partition, arch.N)
    s, res = steady_time(lambda: architecture_separation(arch, rows, product=product), repeat)
    route = "product point" if res.factors else f"sketch {res.sketch_shape}"
    return _row(name, f"rank {res.rank} ({res.status}), {route}", s, res.certificate.to_dict(), repeat)


def _relu_match(quick, repeat):
    from tnverify.theorems.rectifier import relu_depth_not_complete

    M = 2 if quick else 3
    s, out = steady_time(lambda: relu_depth_not_complete(inputs=8, features=M, widths=M), repeat)
    v = out.values
    return _row(f"relu-depth-not-complete-8x{M}", f"rank >= {v['deep_lower']} needs >= "
                f"{v['shallow_width_at_least']} channels; matched by {v['match_channels']} ({out.status})", s,
                out.certificate.to_dict(), repeat)


@case("checker", "checker")
def _bench_checker(repeat, quick):
    from tnverify.networks.architectures import spec

    M = 4 if quick else 8
    out = [_rank(quick, repeat), _kruskal(quick, repeat), _generic(quick, repeat)]
    deep = spec("convac", 16, M, 3 if not quick else 2)
    out.append(_separation(f"separation-deep-16x{M}", deep, "interleaved", repeat=repeat))
    out.append(_separation(f"separation-deep-16x{M}-sketched", deep, "interleaved", product=False))
    N = 16 if quick else 24
    out.append(_separation(f"separation-deep-{N}", spec("convac", N, 2, 2, tree="pairs"), "interleaved",
                           repeat=repeat))
    T = 12 if quick else 24
    out.append(_separation(f"separation-rac-{T}", spec("rac", T, 2, 3, shared=True, depth=2), "start-end"))
    out.append(_relu_match(quick, repeat))
    return out
