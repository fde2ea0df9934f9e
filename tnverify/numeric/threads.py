r"""Thread counts of the numeric tier: the cores this process may use, numba's threads, BLAS's threads.

Finding (measured, figures and commands in docs/performance.md). On a machine that other
processes keep busy, multi-threaded OpenBLAS is what slowed CP-ALS down, not numba: the ALS sweep
calls no ``prange`` kernel (its jitted reductions are serial), numba's thread pool is never
started by it, and no numba kernel calls BLAS, so there is no nested parallelism. Nearly all of a
sweep is two large GEMMs, which OpenBLAS splits statically between its threads and joins at the
end: when another process holds one of the cores, the thread queued behind it finishes late and
the other waits. Measured on 2 busy cores, OpenBLAS's second thread bought nothing for the
``200^3`` sweep and made the median time of the small ``100^3`` one several times longer, while
two threads taking pieces of the same GEMMs dynamically were 1.25-1.5x faster than one under
load. TensorLy's sweep spends half or more of its time (51-71% measured) in single-threaded
unfolding copies, which merely run at their share of a core, so the same load cost it less.

Policy. :func:`cores` is the number of CPUs this process may run on: its affinity mask
(``os.sched_getaffinity``) capped by the cgroup CPU quota (v2 ``cpu.max``, v1
``cpu.cfs_quota_us / cpu.cfs_period_us``, rounded up). numba's thread count is lowered to it
once where the quota is below numba's default, the affinity mask (:func:`numba_threads`; a
``NUMBA_NUM_THREADS`` set by the user wins). The parallel passes of
:mod:`tnverify.numeric.mttkrp` and :mod:`tnverify.numeric.cp` run on :func:`on_threads`:
``numba_threads()`` threads (the caller is one) that take small pieces of work from a
shared counter (dynamic scheduling, so a thread that shares its core with another process takes
fewer pieces and nobody waits for it at a barrier), with OpenBLAS held at one thread meanwhile
(no nested parallelism; the previous count is restored afterwards). Entering that hold also
stops OpenBLAS's worker threads (``blas_thread_shutdown_``; OpenBLAS starts them again on its
next multi-threaded call): after a call, each worker spins on its core for about 0.1 s waiting
for more work, and a CP-ALS run that starts right after a large numpy product lost a core to it
for its first ~25 sweeps of ``100^3`` (4.5 instead of 2.5 ms each, measured). The load average is not used:
it trails the load by a minute, counts this process's own threads, and with dynamic pieces CP-ALS
on two threads was measured faster than on one thread under every load tried on two cores
(docs/performance.md). When the BLAS in use is not OpenBLAS (its thread count cannot be set
here), passes that call BLAS run on the calling thread alone and BLAS keeps its own threads.
"""
from __future__ import annotations

import ctypes
import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable

import numba

__all__ = ["cores", "numba_threads", "blas_threads", "single_blas_thread", "on_threads", "pieces"]

#: (setter, getter) names of the OpenBLAS thread count: the scipy-openblas builds that numpy and
#: scipy wheels ship (64-bit integer interface, prefixed symbols), then plain OpenBLAS.
_OPENBLAS_SYMBOLS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
                     ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
                     ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
                     ("openblas_set_num_threads", "openblas_get_num_threads"))

_lock = threading.Lock()
_state = {"blas": None, "depth": 0, "saved": 0, "numba": None}
_pools: dict = {}


#: Where the cgroup CPU quota is read: v2 ``cpu.max`` ("QUOTA PERIOD" or "max PERIOD"), then v1
#: (quota and period in two files, quota -1 for none).
CGROUP_FILES = (("/sys/fs/cgroup/cpu.max", None),
                ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"))


def _cgroup_quota() -> float | None:
    """CPUs allowed by the cgroup CPU quota (the first of :data:`CGROUP_FILES` found), or None."""
    for path, pair in CGROUP_FILES:
        try:
            with open(path) as f:
                text = f.read().split()
            if pair is not None:
                with open(pair) as f:
                    text = text[:1] + f.read().split()[:1]
        except OSError:
            continue
        if len(text) < 2 or text[0] in ("max", "-1"):
            return None
        try:
            quota, period = float(text[0]), float(text[1])
        except ValueError:
            return None
        return quota / period if quota > 0 and period > 0 else None
    return None


def cores() -> int:
    """CPUs this process may use: its affinity mask, capped by the cgroup CPU quota (rounded up); >= 1."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        n = min(n, math.ceil(quota))
    return max(1, n)


def numba_threads() -> int:
    """Threads for the parallel passes: numba's thread count, capped once by :func:`cores`.

    numba's default count is the affinity mask; when the cgroup quota allows fewer CPUs, the
    count is lowered with ``numba.set_num_threads`` (once; a ``NUMBA_NUM_THREADS`` set by the
    user is left alone). Once numba's thread pool runs, its current count is returned, so a later
    ``numba.set_num_threads`` by the caller is honoured; numba's pool is not started just to read
    it (a forked child of a process whose OpenMP pool ran must not use OpenMP).
    """
    from numba.np.ufunc import parallel

    if _state["numba"] is None:
        n = min(cores(), numba.config.NUMBA_NUM_THREADS)
        if "NUMBA_NUM_THREADS" in os.environ:
            n = numba.config.NUMBA_NUM_THREADS
        elif n < numba.config.NUMBA_NUM_THREADS:
            numba.set_num_threads(n)
        _state["numba"] = n
    return numba.get_num_threads() if parallel._is_initialized else _state["numba"]


def _openblas():
    """(set, get) of the loaded OpenBLAS thread count, or None when numpy's BLAS is not OpenBLAS."""
    if _state["blas"] is None:
        found = False
        try:
            with open("/proc/self/maps") as f:
                paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
        except OSError:
            paths = set()
        for path in sorted(paths):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in _OPENBLAS_SYMBOLS:
                setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
                if setter is not None and getter is not None:
                    setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                    park = getattr(lib, "blas_thread_shutdown_", None)
                    if park is not None:
                        park.argtypes, park.restype = [], ctypes.c_int
                    found = (setter, getter, park)
                    break
            if found:
                break
        _state["blas"] = found
    return _state["blas"] or None


def blas_threads() -> int | None:
    """OpenBLAS's current thread count, or None when it cannot be read (another BLAS)."""
    lib = _openblas()
    return None if lib is None else int(lib[1]())


@contextmanager
def single_blas_thread():
    """Hold OpenBLAS at one thread inside the block (nesting and concurrent callers allowed).

    The first caller to enter saves the process-wide count, sets it to one and, when it was
    larger, stops OpenBLAS's idle worker threads so that none spins on a core during the block
    (they are started again by OpenBLAS's next multi-threaded call); the last to leave restores
    the count.
    Yields True when the count could be set (OpenBLAS), False otherwise.
    """
    lib = _openblas()
    if lib is None:
        yield False
        return
    with _lock:
        if _state["depth"] == 0:
            _state["saved"] = int(lib[1]())
            lib[0](1)
            if _state["saved"] > 1 and lib[2] is not None:
                lib[2]()  # stop OpenBLAS's workers, which would spin on a core after their last call
        _state["depth"] += 1
    try:
        yield True
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                lib[0](_state["saved"])


def _pool(workers: int) -> ThreadPoolExecutor:
    """A thread pool of this process (a forked child never reuses its parent's pool)."""
    key = (os.getpid(), workers)
    if key not in _pools:
        _pools.clear()
        _pools[key] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tnverify-numeric")
    return _pools[key]


def on_threads(worker: Callable[[], object], threads: int | None = None, blas: bool = True) -> list:
    """``[worker(), ...]`` run on ``threads`` threads at once (default :func:`numba_threads`).

    The calling thread is one of them; the others come from a pool of this process. ``worker``
    should take its pieces of work from a shared iterator (:func:`pieces`). ``blas=True`` says
    that ``worker`` calls BLAS: OpenBLAS is then held at one thread while the workers run, and
    when that cannot be done (another BLAS) the work runs on the calling thread alone.
    """
    threads = numba_threads() if threads is None else max(1, int(threads))
    if threads == 1:
        return [worker()]
    with single_blas_thread() if blas else _nothing() as held:
        if blas and not held:
            return [worker()]
        futures = [_pool(threads - 1).submit(worker) for _ in range(threads - 1)]
        out = [worker()]
        out.extend(f.result() for f in futures)
    return out


@contextmanager
def _nothing():
    yield True


class pieces:
    """A thread-safe iterator of the pieces ``(lo, hi)`` of ``range(total)``, ``step`` items each."""

    def __init__(self, total: int, step: int):
        self.total, self.step = int(total), max(1, int(step))
        self._starts = itertools.count(0, self.step)  # next() of a count is atomic under the GIL

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, int]:
        lo = next(self._starts)
        if lo >= self.total:
            raise StopIteration
        return lo, min(self.total, lo + self.step)
