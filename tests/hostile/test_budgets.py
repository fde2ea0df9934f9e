"""Requests over the budget are refused before any work: one line naming the request, what it needs and --budget.

Each reproducer once ran out of memory (19.9 GB for a catalog product instance), hung, or printed a
traceback. Every command here runs under the harness's 3 GiB address-space cap and time limit, so a
request that allocated or looped before checking its size would fail the test.
"""
from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

INSTANCE = """[claim]
theorem = "matrix-rank"
statement = "an instance far over the budget"
source = "tests/hostile/test_budgets.py"
expect = "proved"

[params]
{params}

[expected]
rank = 2
"""


def _refused(r, *words) -> None:
    """Exit 2 and one error line that names the request (``words``), what it needs and the flag."""
    assert r.code == 2, (r.code, r.err[-2000:])
    assert r.one_line_error, r.err[-2000:]
    line = [ln for ln in r.err.splitlines() if ln.startswith("tnverify: error:")][0]
    assert "needs about" in line and "(budget " in line and "--budget N" in line, line
    for w in words:
        assert w in line, (w, line)


def _instance(tmp_path: Path, params: str) -> Path:
    folder = tmp_path / "classical_ranks"  # instances live in a folder named after a reference key
    folder.mkdir(exist_ok=True)
    path = folder / "x.toml"
    path.write_text(INSTANCE.format(params=params))
    return path


# ------------------------------------------------------------------ catalog instances
@pytest.mark.parametrize("params, words", [
    ('family = "product"\nm = 1000000000\ninner = 2\nn = 1000000000', ["product example", "1000000000 x 2"]),
    ('family = "vandermonde"\nn = 1000000000', ["vandermonde example", "1000000000"]),
])
def test_catalog_instance_over_the_budget_is_refused_by_prove_and_run(cli, tmp_path, params, words):
    path = _instance(tmp_path, params)
    _refused(cli("prove", path), *words)
    _refused(cli("run", path.parent), *words)


def test_a_budget_factor_reaches_worker_processes(cli, tmp_path):
    path = _instance(tmp_path, 'family = "hilbert"\nn = 12')
    r = cli("run", path.parent, "--jobs", "2", "--budget", "1e-12")  # a 12 x 12 rank over a 1e-12 budget
    _refused(r, "hilbert example")


# ------------------------------------------------------------------ files
def test_rank_of_a_large_npy_is_refused_from_its_header(cli, tmp_path):
    path = tmp_path / "z.npy"
    np.lib.format.open_memmap(path, mode="w+", dtype=np.int8, shape=(100000, 1000)).flush()  # all zero, sparse
    _refused(cli("rank", path), "100000 x 1000", "of memory")


# ------------------------------------------------------------------ formats and loops
def test_symmetric_generic_rank_with_huge_sizes_is_refused_and_its_warning_is_short(cli):
    r = cli("generic-rank", "--symmetric", "--vars", "1000000", "--degree", "1000000")
    _refused(r, "generic rank", "S^1000000(C^1000000)")
    warning = [ln for ln in r.err.splitlines() if ln.startswith("tnverify: warning:")]
    assert len(warning) == 1 and len(warning[0]) < 200 and "(1000000 entries)" in warning[0], warning


def test_ah_table_is_bounded_as_a_whole_not_per_row(cli):
    _refused(cli("ah-table", "--n-max", "100000", "--d-max", "100000"), "the table n in 2..100000")


def test_neurovariety_with_astronomically_many_evaluation_points_is_refused_not_a_traceback(cli):
    _refused(cli("neurovariety", "--widths", "1000,1000,1000", "--degree", "50"), "widths 1000,1000,1000")


@pytest.mark.parametrize("args, words", [
    (["secant", "--shape", "1000,1000,1000", "--rank", "1000"], ["1000x1000x1000"]),
    (["neuro-plot", "--widths", "1000,1000,1000", "--max-degree", "50", "-o", "{tmp}/n.png"], ["degrees 1..50"]),
    (["kruskal", "--shape", "40,80"], ["generic Kruskal rank of 40 x 80"]),
    (["unique", "--shape", "1000,1000,1000", "--rank", "1000"], ["rank-1000 CP"]),
    (["identifiable", "--widths", "1000,1000", "--degree", "50"], ["1000 inputs, 1000 neurons"]),
    (["learn", "--widths", "4,2", "--sweep", "1000,100000000000", "-o", "{tmp}/s.csv"], ["sweep over 2 sample sizes"]),
    (["learn", "--widths", "50,3", "--activation", "cube", "--exact"], ["exact third moment"]),
    (["draw", "--arch", "cp", "--inputs", "1000000", "--rank", "5", "-o", "{tmp}/d.png"], ["drawing a network"]),
    (["draw", "--arch", "overlap", "--inputs", "2000", "--widths", "2", "-o", "{tmp}/d.png"], ["drawing a network"]),
    (["separation", "--arch", "tt", "--inputs", "50", "--widths", "2"], ["showing rank"]),
    (["separation", "--arch", "convac", "--inputs", "8", "--widths", "100000"], ["random point of convac", "weight entries"]),
    (["separation", "--arch", "mixed", "--inputs", "8", "--widths", "100000"], ["random point of mixed", "weight entries"]),
])
def test_every_engine_refuses_before_it_starts(cli, tmp_path, args, words):
    _refused(cli(*[a.replace("{tmp}", str(tmp_path)) for a in args]), *words)


def test_the_flag_raises_the_budget_and_wins_over_the_environment(cli):
    tiny = {"TNVERIFY_BUDGET": "1e-9"}
    _refused(cli("generic-rank", "--shape", "2,2,2", env=tiny), "generic rank of the format 2x2x2")
    r = cli("generic-rank", "--shape", "2,2,2", "--budget", "1", env=tiny)
    assert r.code == 0 and "generic rank of 2x2x2 over C = 2 (proved)" in r.out, r.err


# ------------------------------------------------------------------ a scheduler that does not answer
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the block ends: nothing listens there


@pytest.mark.parametrize("args", [["rank", "{tmp}/m.json"], ["kruskal", "--shape", "3,4"]])
def test_an_unreachable_scheduler_is_an_error_even_where_no_work_needs_it(cli, tmp_path, args):
    (tmp_path / "m.json").write_text("[[1, 2], [3, 4]]")  # full rank: no upper-bound prime would use the cluster
    address = f"tcp://127.0.0.1:{_closed_port()}"
    r = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args], "--scheduler", address)
    assert r.code == 2 and r.one_line_error, r.err
    assert f"cannot reach the Dask scheduler at '{address}'" in r.err


def test_rank_counts_the_checkers_memory_and_no_check_drops_it(cli, tmp_path):
    """The check of a rank certificate holds about 80 bytes per entry; at a budget that the rank alone
    fits but the check does not, rank refuses before reading the data and --no-check runs."""
    f = tmp_path / "z.npy"
    np.save(f, np.zeros((3000, 500), dtype=np.int8))
    o = cli("rank", f, "--budget", "0.027")  # 116 MB: the rank (108 MB) fits, the check (120 MB) does not
    assert o.code == 2 and "checking the certificate" in o.err and "--no-check" in o.err, o.err
    o = cli("rank", f, "--budget", "0.027", "--no-check")
    assert o.code == 0 and "checker: not run" in o.out, o.err
