"""Executors: in-process, local processes and a local Dask cluster give the same results;
a dying worker is retried or reported, never lost."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tnverify.cli import main
from tnverify.parallel import TaskFailure, executor
from tests.helpers import sympy_rank

CLASSICAL = Path(__file__).parent.parent / "proofs_checks" / "classical_ranks"


def square(x):
    return x * x


def die_on_three(x):
    if x == 3:
        os._exit(1)  # the worker process dies
    return x


def fail_on_two(x):
    if x == 2:
        raise ValueError("two is not allowed")
    return x


def _collect(ex, fn, items):
    out = dict(ex.map_unordered(fn, items))
    ex.close()
    return [out[i] for i in range(len(items))]


def test_in_process_and_processes_agree():
    items = list(range(7))
    assert _collect(executor(1), square, items) == _collect(executor(2), square, items) == [x * x for x in items]


def test_errors_are_reported_not_lost():
    for ex in (executor(1), executor(2)):
        res = _collect(ex, fail_on_two, [0, 1, 2, 3])
        assert res[:2] == [0, 1] and res[3] == 3
        assert isinstance(res[2], TaskFailure) and "two is not allowed" in res[2].message


def test_dying_process_worker_is_reported():
    res = _collect(executor(2, retries=1), die_on_three, [0, 1, 2, 3, 4])
    assert isinstance(res[3], TaskFailure) and res[3].kind == "lost"
    # innocent tasks sharing the broken pool are retried, so every one has its value
    assert [r for i, r in enumerate(res) if i != 3] == [0, 1, 2, 4]


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", host="127.0.0.1")
        yield cluster.scheduler_address
        cluster.close()


def test_dask_cluster_runs_instances_like_in_process(dask_cluster, capsys):
    main(["run", str(CLASSICAL), "--json"])
    serial = json.loads(capsys.readouterr().out)
    code = main(["run", str(CLASSICAL), "--json", "--scheduler", dask_cluster])
    dist = json.loads(capsys.readouterr().out)
    key = lambda d: sorted((r["id"], r["got"], r["passed"], r["verdict"]) for r in d["results"])
    assert code == 0 and key(serial) == key(dist) and dist["executor"].startswith("dask")


def test_dask_worker_death_is_reported(dask_cluster):
    res = _collect(executor(scheduler=dask_cluster, retries=0), die_on_three, [0, 1, 2, 3])
    assert isinstance(res[3], TaskFailure) and res[3].kind == "lost"
    # a task that shared a dying worker may be retried or reported lost; it is never missing
    assert all(r == i or (isinstance(r, TaskFailure) and r.kind == "lost") for i, r in enumerate(res))
    assert sum(r == i for i, r in enumerate(res)) >= 1


def test_unreachable_scheduler_is_a_one_line_error(capsys):
    code = main(["run", str(CLASSICAL / "hilbert_12.toml"), "--scheduler", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "cannot reach the Dask scheduler" in err[0]


def test_sweep_points_through_processes_match_serial(tmp_path, capsys):
    base = ["sweep", "--arch", "convac", "--over", "inputs", "--values", "4,8", "-M", "2", "--widths", "2",
            "--shallow", "cp", "--shallow-width", "4", "--json"]
    assert main(base + ["-o", str(tmp_path / "a.csv")]) == 0
    serial = json.loads(capsys.readouterr().out)["rows"]
    assert main(base + ["-o", str(tmp_path / "b.csv"), "--jobs", "2"]) == 0
    par = json.loads(capsys.readouterr().out)["rows"]
    strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith("seconds")} for r in rows]
    assert strip(serial) == strip(par) and serial[1]["deep_rank"] == 16 and serial[1]["shallow_rank"] == 4


def test_modular_primes_through_processes_match_serial():
    import numpy as np

    from tnverify.exact.rank import rank

    rng = np.random.default_rng(5)
    P = rng.integers(-30, 31, (50, 20)) @ rng.integers(-30, 31, (20, 60))
    a = rank(P, upper="modular", seed=4)
    b = rank(P, upper="modular", seed=4, jobs=2)
    assert (a.rank, a.status, a.primes) == (b.rank, b.status, b.primes) == (20, "proved", a.primes)
    assert len(a.primes) >= 2


def test_kruskal_chunks_through_an_executor_match_one_search(dask_cluster):
    import numpy as np

    from tnverify.theory.kruskal import kruskal_rank
    from tnverify.numeric.kruskal_search import kruskal_search, kruskal_search_chunked

    rng = np.random.default_rng(8)
    A = rng.integers(-3, 4, (4, 9))
    A[:, 7] = A[:, 1] - A[:, 4]  # a planted dependency of size 3
    p = 1000003
    one = kruskal_search(A, p)
    for ex in ({"jobs": 2}, {"scheduler": dask_cluster}):
        ch = kruskal_search_chunked(A, p, **ex)
        assert ch.k_lower == one.k_lower == 2 and len(ch.witness) == 3
        assert sympy_rank(A[:, list(ch.witness)].tolist()) < 3
    assert kruskal_rank(A, jobs=2).k_rank == 2


def test_kruskal_chunks_agree_with_one_search_on_random_matrices():
    import numpy as np

    from tnverify.numeric.kruskal_search import kruskal_search, kruskal_search_chunked

    rng = np.random.default_rng(9)
    for _ in range(60):
        I, R = int(rng.integers(1, 6)), int(rng.integers(1, 9))
        A = rng.integers(-2, 3, (I, R))
        assert kruskal_search_chunked(A, 10007).k_lower == kruskal_search(A, 10007).k_lower
