"""Sampled tensor-network Jacobians under hostile sizes: large layers answer ``unknown`` with bounds at once,
and the checker refuses an oversize minor before it builds anything."""
from __future__ import annotations

import json
import math

import pytest

LAYER = ["layer-dim", "--row-factors", "4,4,4,4,4", "--col-factors", "4,4,4,4,4", "--json"]

BIG = [
    ("tucker", "16"),  # core 16^5: a minor of about 10^6 rows
    ("ht", "64"),
    ("tr", "10"),  # about 7900 rows: over the certified side at budget 1
    ("tt", "64"),  # gauge action over the budget as well
]


@pytest.mark.parametrize("fmt,rank", BIG, ids=[f"{f}-{r}" for f, r in BIG])
def test_large_ranks_of_the_1024_layer_give_bounds_at_once(cli, fmt, rank):
    r = cli(*LAYER, "--format", fmt, "--ranks", rank, timeout=30)
    assert r.code == 3 and "Traceback" not in r.err, r.err
    d = json.loads(r.out)
    assert d["status"] == "unknown" and d["lower"] is None and d["upper"] <= d["params"]
    assert any("no lower bound" in n or "no certificate" in n for n in d["notes"])


def test_sixteen_factors_answer_at_once(cli):
    r = cli("layer-dim", "--format", "tt", "--row-factors", ",".join(["2"] * 16), "--col-factors",
            ",".join(["2"] * 16), "--ranks", "256", "--json", timeout=30)
    assert r.code == 3 and "Traceback" not in r.err and json.loads(r.out)["status"] == "unknown"


def test_the_checker_refuses_a_minor_over_its_work_limit(cli, tmp_path):
    from tnverify.checker import network_eval
    from tnverify.theory import jacobian as J

    spec = J.tr_spec([16, 16, 16], [60, 60, 60])  # 4096 entries, about 1.3e6 multiply-adds per row
    n = math.ceil(network_eval.MAX_WORK / network_eval.network_plan(spec)["work"]) + 1
    assert n < 16 ** 3
    point = [[[[1] * 60 for _ in range(16)] for _ in range(60)] for _ in range(3)]
    cert = {"format": "tnverify-certificate", "version": 1, "claim": {}, "objects": {}, "steps": [
        {"id": "j", "rule": "jacobian-rank-at-least", "map": spec, "point": point, "modulus": 1000003, "rank": n,
         "minor": {"rows": list(range(n)), "cols": list(range(n))}}],
        "conclusion": [{"fact": "dim-at-least", "subject": {"variety": spec}, "value": n}]}
    f = tmp_path / "c.json"
    f.write_text(json.dumps(cert))
    r = cli("check", f, timeout=20)
    assert r.code == 2 and "MALFORMED" in r.out and "exceed the checker limit" in r.out, (r.out, r.err)
