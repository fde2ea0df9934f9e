"""``tnverify bench``: the JSON schema of the rows, quick mode, and unknown case names."""
from __future__ import annotations

import json

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
