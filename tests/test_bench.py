"""``tnverify bench``: the JSON schema of the rows, quick mode, unknown case names, background loads."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tnverify import bench
from tnverify.cli import main

KEYS = {"case", "ours_seconds", "baseline", "baseline_seconds", "ratio", "target", "met"}


def test_bench_json_rows(capsys):
    code = main(["bench", "rank-full", "rank-deficient", "--quick", "--repeat", "1", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and len(rows) == 2
    for r in rows:
        assert KEYS <= set(r)
        assert r["ours_seconds"] > 0 and r["met"] is None and "full size only" in r["target"]
        if r["baseline_seconds"]:
            assert abs(r["ratio"] - r["ours_seconds"] / r["baseline_seconds"]) < 1e-3 * max(1.0, r["ratio"])
    assert "proved" in rows[1]["note"] and "VERIFIED" in rows[1]["note"]


def test_bench_unknown_case_lists_groups(capsys):
    code = main(["bench", "rank-fulll"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "did you mean rank-full" in err[0]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("kind", ["python", "numeric"])
def test_background_load_keeps_busy_processes_and_kills_them(kind):
    with bench.background_load(kind, 2) as procs:
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
        before = [_cpu_seconds(p.pid) for p in procs]
        time.sleep(1.0)
        assert all(_cpu_seconds(p.pid) - t >= 0.02 for p, t in zip(procs, before))  # they compute
    assert all(p.poll() is not None for p in procs)


def test_background_load_is_killed_when_the_block_raises_and_none_starts_nothing():
    with pytest.raises(RuntimeError):
        with bench.background_load("python", 1) as procs:
            raise RuntimeError
    assert procs and all(p.poll() is not None for p in procs)
    with bench.background_load("none") as procs:
        assert procs == []


def test_load_process_stops_when_its_parent_dies():
    starter = ("import subprocess, sys\n"
               f"p = subprocess.Popen([sys.executable, '-c', {bench.LOADS['python']!r}], stdout=subprocess.PIPE)\n"
               "p.stdout.readline()\nprint(p.pid, flush=True)\n")  # the parent exits at once
    pid = int(subprocess.run([sys.executable, "-c", starter], capture_output=True, text=True, timeout=60).stdout)
    deadline = time.time() + 20
    while time.time() < deadline and _state(pid) != "Z":
        time.sleep(0.1)
    alive = _state(pid) != "Z"
    if alive:
        os.kill(pid, 9)  # do not leave a busy loop behind when the test fails
    assert not alive


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_bench_rows_name_the_load(capsys):
    from tnverify.numeric.threads import cores

    code = main(["bench", "rank-full", "--quick", "--repeat", "1", "--json", "--load", "python"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and rows and all(r["load"] == f"python x {cores()} processes" for r in rows)
    main(["bench", "rank-full", "--quick", "--repeat", "1", "--json"])
    assert all(r["load"] == "none" for r in json.loads(capsys.readouterr().out))


def test_bench_unknown_load_is_a_one_line_error(capsys):
    code = main(["bench", "rank-full", "--load", "busy"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--load" in err[0] and "numeric" in err[0] and "'busy'" in err[0]
