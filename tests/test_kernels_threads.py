"""Thread counts of the numeric tier: cores from affinity and cgroup quota, BLAS held at one
thread, dynamic pieces, and results that do not depend on the number of threads."""
from __future__ import annotations

import importlib
import os
import threading

import numpy as np
import pytest

from tnverify.numeric import cp, threads

mk = importlib.import_module("tnverify.numeric.mttkrp")  # the package's ``mttkrp`` is the function

needs_openblas = pytest.mark.skipif(threads.blas_threads() is None, reason="numpy's BLAS is not OpenBLAS")


def _files(tmp_path, v2=None, v1=None):
    """CGROUP_FILES pointing at a fake v2 file (text) and fake v1 files ((quota, period) texts)."""
    out = []
    if v2 is not None:
        (tmp_path / "cpu.max").write_text(v2)
    out.append((str(tmp_path / "cpu.max"), None))
    if v1 is not None:
        (tmp_path / "quota").write_text(v1[0])
        (tmp_path / "period").write_text(v1[1])
    out.append((str(tmp_path / "quota"), str(tmp_path / "period")))
    return tuple(out)


@pytest.mark.parametrize("v2, v1, quota", [
    ("max 100000\n", None, None),
    ("150000 100000\n", None, 1.5),
    ("50000 100000\n", ("200000", "100000"), 0.5),  # v2 wins when present
    (None, ("-1\n", "100000\n"), None),
    (None, ("300000\n", "100000\n"), 3.0),
    (None, None, None),
])
def test_cores_is_affinity_capped_by_the_quota_rounded_up(tmp_path, monkeypatch, v2, v1, quota):
    monkeypatch.setattr(threads, "CGROUP_FILES", _files(tmp_path, v2, v1))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 5, 7})
    expected = 6 if quota is None else min(6, -(-quota // 1))
    assert threads.cores() == expected


def test_cores_at_least_one(tmp_path, monkeypatch):
    monkeypatch.setattr(threads, "CGROUP_FILES", _files(tmp_path, "1000 100000\n"))
    assert threads.cores() == 1


@needs_openblas
def test_single_blas_thread_nests_and_restores():
    before = threads.blas_threads()
    with threads.single_blas_thread() as held:
        assert held and threads.blas_threads() == 1
        with threads.single_blas_thread():
            assert threads.blas_threads() == 1
        assert threads.blas_threads() == 1  # the inner exit does not restore yet
    assert threads.blas_threads() == before
    with pytest.raises(ZeroDivisionError):
        with threads.single_blas_thread():
            1 / 0
    assert threads.blas_threads() == before


def _tasks() -> int:
    return len(os.listdir("/proc/self/task"))


@needs_openblas
@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or (threads.blas_threads() or 1) < 2,
                    reason="needs /proc and a multi-threaded OpenBLAS")
def test_single_blas_thread_stops_the_idle_workers_and_blas_still_works():
    A = np.random.default_rng(0).standard_normal((400, 400))
    expected = A @ A  # a multi-threaded product starts OpenBLAS's workers
    tol = 1e-13 * A.shape[0] * np.abs(A).max() ** 2
    running = _tasks()
    with threads.single_blas_thread():
        assert _tasks() < running  # the workers were stopped, not left spinning
        # one thread sums in another order: the entries agree up to the rounding of their terms
        np.testing.assert_allclose(A @ A, expected, rtol=0, atol=tol)
    np.testing.assert_allclose(A @ A, expected, rtol=0, atol=tol)  # OpenBLAS starts them again
    assert _tasks() >= running


@needs_openblas
@pytest.mark.parametrize("n", [1, 2, 3])
def test_on_threads_runs_n_workers_with_one_blas_thread(n):
    before = threads.blas_threads()
    todo = threads.pieces(1000, 7)
    barrier = threading.Barrier(n, timeout=10)

    def worker():
        barrier.wait()  # all n run at the same time
        got = [p for p in todo]
        return threading.get_ident(), threads.blas_threads(), got

    out = threads.on_threads(worker, n)
    assert len(out) == n and len({ident for ident, _, _ in out}) == n
    assert out[0][0] == threading.get_ident()  # the caller is one of the workers
    assert all(b == (1 if n > 1 else before) for _, b, _ in out)
    got = sorted(p for _, _, ps in out for p in ps)
    assert got == [(lo, min(1000, lo + 7)) for lo in range(0, 1000, 7)]  # each piece exactly once
    assert threads.blas_threads() == before


def test_on_threads_without_blas_leaves_the_blas_count(monkeypatch):
    before = threads.blas_threads()
    assert threads.on_threads(threads.blas_threads, 2, blas=False) == [before, before]


def test_on_threads_runs_alone_when_blas_cannot_be_held(monkeypatch):
    monkeypatch.setattr(threads, "_openblas", lambda: None)
    assert threads.on_threads(threading.get_ident, 3) == [threading.get_ident()]


def test_numba_threads_within_cores_and_small_passes_serial():
    assert 1 <= threads.numba_threads() <= threads.cores() or "NUMBA_NUM_THREADS" in os.environ
    assert mk.threads_for(mk.SERIAL_BELOW - 1) == 1 and mk.threads_for(mk.SERIAL_BELOW) == threads.numba_threads()


def test_numba_threads_lowered_to_the_quota_once(tmp_path, monkeypatch):
    import numba
    from numba.np.ufunc import parallel

    monkeypatch.setattr(threads, "CGROUP_FILES", _files(tmp_path, "100000 100000\n"))  # one CPU
    monkeypatch.setitem(threads._state, "numba", None)
    monkeypatch.setattr(parallel, "_is_initialized", False)
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    calls = []
    monkeypatch.setattr(threads.numba, "set_num_threads", calls.append)
    assert threads.numba_threads() == 1 and threads.numba_threads() == 1
    assert calls == ([1] if numba.config.NUMBA_NUM_THREADS > 1 else [])


def _reference(X, F, n):
    letters = "abcdefgh"[:X.ndim]
    ops = [X] + [F[k] for k in range(X.ndim) if k != n]
    spec = letters + "," + ",".join(f"{letters[k]}r" for k in range(X.ndim) if k != n) + f"->{letters[n]}r"
    return np.einsum(spec, *ops)


@pytest.mark.parametrize("workers", [1, 2, 3, 5])
@pytest.mark.parametrize("shape, mode", [((60, 50, 50), 2), ((60, 50, 50), 0), ((6, 7, 8, 500), 2),
                                         ((300, 5, 200), 2), ((5, 300, 200), 1)])
def test_blas_mttkrp_same_for_any_thread_count(monkeypatch, workers, shape, mode):
    monkeypatch.setattr(mk, "numba_threads", lambda: workers)
    rng = np.random.default_rng(len(shape) + mode)
    X = rng.standard_normal(shape)
    assert X.size >= mk.SERIAL_BELOW and mk.threads_for(X.size) == workers
    F = [rng.standard_normal((s, 6)) for s in shape]
    got = mk.mttkrp_f64(X, [None if k == mode else F[k] for k in range(len(shape))], mode, 6, fused=False)
    np.testing.assert_allclose(got, _reference(X, F, mode), rtol=1e-10, atol=1e-10)


def test_cp_als_same_iterates_for_any_thread_count(monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 30, 120))
    init = (None, [rng.standard_normal((s, 5)) for s in X.shape])
    runs = []
    assert X.size >= mk.SERIAL_BELOW
    for workers in (1, 2, 4):
        monkeypatch.setattr(mk, "numba_threads", lambda w=workers: w)
        runs.append(cp.cp_als(X, 5, n_iter_max=8, tol=0.0, init=init, linesearch=True))
    for r in runs[1:]:
        assert r.n_iter == runs[0].n_iter == 8
        np.testing.assert_allclose(r.to_tensor(), runs[0].to_tensor(), rtol=1e-8, atol=1e-8)
        assert abs(r.rel_error - runs[0].rel_error) < 1e-10


@needs_openblas
def test_cp_als_restores_the_blas_thread_count():
    before = threads.blas_threads()
    X = np.random.default_rng(0).standard_normal((20, 20, 20))
    cp.cp_als(X, 3, n_iter_max=3, seed=0)
    assert threads.blas_threads() == before
