"""Regenerate the sampled tensor-network part of the corpus: ``python -m tests.certs.make_tn_rows_corpus``.

valid/tnrows_*.json      made by the prover (tnverify.theory.layers on layers of 256 entries, sampled rows);
invalid/tnrows_*.json    well-formed, a false step (NOT VERIFIED);
malformed/tnrows_*.json  schema violations and checker limits (MALFORMED).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from tnverify.theory import jacobian as J
from tnverify.theory import layers as L

HERE = Path(__file__).parent


def _save(kind: str, name: str, d: dict) -> None:
    (HERE / kind).mkdir(exist_ok=True)
    (HERE / kind / f"tnrows_{name}.json").write_text(json.dumps(d, indent=1) + "\n")


def _step(d, rule, method=None):
    return next(s for s in d["steps"] if s["rule"] == rule and (method is None or s.get("method") == method))


def _cert(fmt, rows, cols, ranks) -> dict:
    res = L.layer_dimension(L.make_layer(fmt, rows, cols, ranks))
    assert res.status == "proved" and "sampled" in res.lower_source, res.to_dict()
    return res.certificate.to_dict()


def valid() -> dict:
    return {
        "tt_256_entries_rank_2": _cert("tt", (2, 2, 2, 2), (2, 2, 2, 2), (2,)),
        "tr_64_entries_ranks_2": _cert("tr", (2, 2, 2), (2, 2, 2), (2,)),
        "ht_256_entries_rank_2": _cert("ht", (2, 2, 2, 2), (2, 2, 2, 2), (2,)),
    }


def invalid(v: dict) -> dict:
    out = {}
    d = copy.deepcopy(v["tt_256_entries_rank_2"])
    s = _step(d, "jacobian-rank-at-least")  # one more row and column than the dimension: singular
    s["minor"]["rows"].append(next(i for i in range(256) if i not in s["minor"]["rows"]))
    s["minor"]["cols"].append(next(j for j in range(48) if j not in s["minor"]["cols"]))
    s["rank"] += 1
    d["conclusion"] = [c for c in d["conclusion"] if c["fact"] == "dim-at-least"]
    d["conclusion"][0]["value"] += 1
    out["minor_larger_than_the_dimension"] = d
    d = copy.deepcopy(v["tt_256_entries_rank_2"])
    s = _step(d, "jacobian-rank-at-least")
    s["point"][0] = [[0] * len(s["point"][0][0]) for _ in s["point"][0]]  # core 0 zero: the others' columns vanish
    out["point_with_a_zero_core"] = d
    d = copy.deepcopy(v["tt_256_entries_rank_2"])
    s = _step(d, "jacobian-rank-at-least")
    s["minor"]["rows"] = list(range(s["rank"]))  # i_0 = i_1 = 0 throughout: core-0 columns of i_0 > 0 vanish
    out["leading_rows_instead_of_the_hinted_ones"] = d
    d = copy.deepcopy(v["tr_64_entries_ranks_2"])
    s = _step(d, "dim-at-most", "gauge")
    s["point"] = [[[[0] * len(m[0]) for _ in m] for m in core] for core in s["point"]]  # no gauge action at 0
    out["gauge_minor_at_the_zero_point"] = d
    return out


def malformed(v: dict) -> dict:
    out = {}
    d = copy.deepcopy(v["tt_256_entries_rank_2"])
    _step(d, "jacobian-rank-at-least")["minor"]["rows"][-1] = 256  # the tensor has 256 entries
    out["row_past_the_last_entry"] = d
    d = copy.deepcopy(v["tt_256_entries_rank_2"])
    s = _step(d, "jacobian-rank-at-least")
    s["minor"]["rows"][1] = s["minor"]["rows"][0]
    out["minor_rows_repeated"] = d
    d = copy.deepcopy(v["ht_256_entries_rank_2"])
    s = _step(d, "jacobian-rank-at-least")
    s["map"] = J.tt_spec([1] * 65, [1] * 64)  # over the checker's 64 cores
    s["point"] = [[[[1]]] if 0 < k < 64 else [[1]] for k in range(65)]
    out["network_with_65_cores"] = d
    return out


def main() -> None:
    v = valid()
    for name, d in v.items():
        _save("valid", name, d)
    for name, d in invalid(v).items():
        _save("invalid", name, d)
    for name, d in malformed(v).items():
        _save("malformed", name, d)


if __name__ == "__main__":
    main()
