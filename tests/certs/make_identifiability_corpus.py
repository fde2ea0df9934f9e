"""Regenerate the identifiability part of the corpus: ``python -m tests.certs.make_identifiability_corpus``.

Writes ``ident_*.json`` into valid/ (the checker must accept), invalid/ (well-formed, a step or
conclusion is false: NOT VERIFIED) and malformed/ (schema broken: MALFORMED): the COV criterion,
the parameter-count refutation and the Domanov-De Lathauwer C_m condition.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from tnverify.certificate import Certificate
from tnverify.theory.cov import cov_identifiability
from tnverify.theory.uniqueness import generic_uniqueness

HERE = Path(__file__).parent


def _save(kind: str, name: str, cert) -> None:
    d = cert.to_dict() if isinstance(cert, Certificate) else cert
    d.setdefault("meta", {}).pop("tool_version", None)
    (HERE / kind).mkdir(exist_ok=True)
    (HERE / kind / f"ident_{name}.json").write_text(json.dumps(d, indent=1) + "\n")


def _step(d: dict, rule: str) -> dict:
    return next(s for s in d["steps"] if s["rule"] == rule)


def main() -> None:
    cov = cov_identifiability([3, 3, 3], 3, seed=1).certificate.to_dict()
    count = cov_identifiability([2, 2, 2], 3).certificate.to_dict()
    dom = generic_uniqueness([4, 6, 7], 8, seed=1).certificate.to_dict()
    for name, d in (("cov_3x3x3_r3", cov), ("count_2x2x2_r3", count), ("domanov_4x6x7_r8", dom)):
        _save("valid", name, d)
    bad = copy.deepcopy(cov)  # a changed annihilator entry: no longer orthogonal to the tangent span
    _step(bad, "cov-identifiable")["annihilator"][0][0] += 1
    _save("invalid", "cov_annihilator_changed", bad)
    bad = copy.deepcopy(cov)  # the rank raised to the perfect rank: the criterion does not apply
    _step(bad, "cov-identifiable")["rank"] = 4
    _save("invalid", "cov_rank_raised", bad)
    bad = copy.deepcopy(cov)  # a claim of non-identifiability from the identifiability proof
    bad["conclusion"][-1]["value"] = False
    _save("invalid", "cov_conclusion_flipped", bad)
    bad = copy.deepcopy(count)  # the count without the dimension bound it rests on
    bad["steps"] = [s for s in bad["steps"] if s["rule"] != "dim-at-most"]
    _save("invalid", "count_without_bound", bad)
    bad = copy.deepcopy(count)  # rank 2 in 2x2x2: 2 x 4 = 8 is not above 8
    _step(bad, "cp-not-identifiable")["rank"] = 2
    bad["conclusion"][-1]["subject"]["rank"] = 2
    _save("invalid", "count_rank_lowered", bad)
    bad = copy.deepcopy(dom)  # the rank of C misstated: m changes and the rank facts do not match
    _step(bad, "domanov-uniqueness")["rank_c"] = 6
    _save("invalid", "domanov_rank_c_changed", bad)
    bad = copy.deepcopy(dom)  # k-ranks too small for the inequality
    _step(bad, "domanov-uniqueness")["k"] = [2, 2, 2]
    _save("invalid", "domanov_k_lowered", bad)
    bad = copy.deepcopy(cov)
    _step(bad, "cov-identifiable")["split"] = [0, 1, 2]
    _save("malformed", "cov_split_all_modes", bad)
    bad = copy.deepcopy(cov)
    _step(bad, "cov-identifiable")["contact_minors"] = []
    _save("malformed", "cov_contact_minors_missing", bad)


if __name__ == "__main__":
    main()
