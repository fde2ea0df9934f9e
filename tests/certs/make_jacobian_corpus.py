"""Regenerate the Jacobian part of the certificate corpus: ``python -m tests.certs.make_jacobian_corpus``.

valid/jacobian_*.json      made by the prover (tnverify.theory.terracini);
invalid/jacobian_*.json    well-formed, a false step or conclusion (NOT VERIFIED);
malformed/jacobian_*.json  schema violations (MALFORMED).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from tnverify.theory import jacobian as J
from tnverify.theory import koszul as K
from tnverify.theory import terracini as G

HERE = Path(__file__).parent


def _save(kind: str, name: str, d: dict) -> None:
    (HERE / kind).mkdir(exist_ok=True)
    (HERE / kind / f"jacobian_{name}.json").write_text(json.dumps(d, indent=1) + "\n")


def _step(d, rule):
    return next(s for s in d["steps"] if s["rule"] == rule)


def valid() -> dict:
    return {
        "generic_rank_2x2x2": G.generic_rank([2, 2, 2]).certificate.to_dict(),
        "generic_rank_3x3x3_koszul": G.generic_rank([3, 3, 3]).certificate.to_dict(),
        "generic_rank_ternary_quartics": G.generic_rank(symmetric=(3, 4)).certificate.to_dict(),
        "secant_4_of_3x3x3": G.secant_dimension([3, 3, 3], 4).certificate.to_dict(),
        "neurovariety_2_1_2_2": G.neurovariety([2, 1, 2, 2], 2).certificate.to_dict(),
        "neurovariety_2_2_2_r3": G.neurovariety([2, 2, 2], 3).certificate.to_dict(),
        "tt_gauge": G.format_dimension(J.tt_spec([2, 3, 2], [2, 2])).certificate.to_dict(),
        "neurovariety_3_5_1_r4_by_secant_equations": G.neurovariety([3, 5, 1], 4).certificate.to_dict(),
        "neurovariety_3_2_2_1_r2_first_layer": G.neurovariety([3, 2, 2, 1], 2).certificate.to_dict(),
        "neurovariety_2_2_3_2_r2_split": G.neurovariety([2, 2, 3, 2], 2).certificate.to_dict(),
        "neurovariety_3_3_2_1_r2_orthogonal": G.neurovariety([3, 3, 2, 1], 2).certificate.to_dict(),
        "border_rank_random_3x3x3_by_filling":
            K.border_rank_lower(np.random.default_rng(0).integers(-5, 6, (3, 3, 3))).certificate.to_dict(),
    }


def invalid(v: dict) -> dict:
    out = {}
    d = copy.deepcopy(v["secant_4_of_3x3x3"])
    s = _step(d, "jacobian-rank-at-least")  # columns 0..26 hold all of term 0's A and B columns, which are
    s["rank"] = 27                          # dependent (scaling a_0 by c and b_0 by 1/c): singular minor
    s["minor"] = {"rows": list(range(27)), "cols": list(range(27))}
    out["singular_scaling_minor"] = d
    d = copy.deepcopy(v["secant_4_of_3x3x3"])
    d["conclusion"].append({"fact": "dim", "subject": d["conclusion"][0]["subject"], "value": 27})
    out["dim_overclaimed"] = d
    d = copy.deepcopy(v["generic_rank_2x2x2"])
    _step(d, "dim-at-most")["rank"] = 3  # parameter bound of sigma_1 is 4, not 3
    out["parameter_bound_understated"] = d
    d = copy.deepcopy(v["generic_rank_3x3x3_koszul"])
    s = _step(d, "secant-not-filling")
    s["rank"] = 8
    s["minor"] = {"rows": s["minor"]["rows"][:8], "cols": s["minor"]["cols"][:8]}  # 8 <= 2 x 4: no bound
    out["koszul_rank_not_enough"] = d
    d = copy.deepcopy(v["generic_rank_ternary_quartics"])
    name = _step(d, "secant-not-filling")["tensor"]
    d["objects"][name]["entries"][1] = int(d["objects"][name]["entries"][1]) + 1  # no longer symmetric
    out["catalecticant_tensor_not_symmetric"] = d
    d = copy.deepcopy(v["neurovariety_2_1_2_2"])
    _step(d, "dim-at-most")["variety"] = {"format": "polynet", "widths": [2, 2, 2, 2], "degree": 2}
    _step(d, "dim-at-most")["rank"] = 3
    out["bottleneck_without_bottleneck"] = d
    d = copy.deepcopy(v["generic_rank_3x3x3_koszul"])
    d["conclusion"].append({"fact": "generic-rank", "subject": d["conclusion"][-1]["subject"], "value": 4})
    out["generic_rank_wrong"] = d
    d = copy.deepcopy(v["neurovariety_3_5_1_r4_by_secant_equations"])
    _step(d, "neurovariety-as-secant")["rank"] = 13  # the secant's equations give 14, not 13
    out["neurovariety_as_secant_understated"] = d
    d = copy.deepcopy(v["neurovariety_3_5_1_r4_by_secant_equations"])
    for s in d["steps"]:  # the same step moved to degree 3: no bound on sigma_5 of cubics was derived
        if s["rule"] in ("neurovariety-as-secant", "jacobian-rank-at-least", "dimension", "filling"):
            s.get("variety", s.get("map"))["degree"] = 3
    for c in d["conclusion"]:
        c["subject"]["variety"]["degree"] = 3
    out["neurovariety_as_secant_other_degree"] = d
    d = copy.deepcopy(v["neurovariety_3_2_2_1_r2_first_layer"])
    s = next(s for s in d["steps"] if s.get("method") == "first-layer")
    s["variety"] = {"format": "polynet", "widths": [2, 2, 2, 1], "degree": 2}  # d_1 = d_0: nothing to reduce
    s["rank"] = 5
    out["first_layer_not_narrower"] = d
    d = copy.deepcopy(v["neurovariety_3_2_2_1_r2_first_layer"])
    next(s for s in d["steps"] if s.get("method") == "first-layer")["rank"] = 6  # 2 + 5 is 7, not 6
    out["first_layer_understated"] = d
    out.update(_forged_network_bounds(v))
    d = copy.deepcopy(v["border_rank_random_3x3x3_by_filling"])
    _step(d, "border-rank-at-most-by-filling")["rank"] = 4  # sigma_4 of 3x3x3 was not shown to fill
    out["border_filling_rank_understated"] = d
    return out


def _net(widths, degree=2) -> dict:
    return {"format": "polynet", "widths": widths, "degree": degree}


def _forged_network_bounds(v: dict) -> dict:
    """False network bounds built from true facts about OTHER varieties: each must fail at its own guard."""
    def cert(steps, variety, value):
        return {"format": "tnverify-certificate", "version": 1, "claim": {}, "objects": {}, "steps": steps,
                "conclusion": [{"fact": "dim-at-most", "subject": {"variety": variety}, "value": value}]}

    out = {}
    # widths (2, 4, 1): a first layer WIDER than the input; 4 (2 - 4) + 10 would "give" dim <= 2 (truth 3)
    out["first_layer_wider_than_input"] = cert(
        [{"id": "sub", "rule": "dim-at-most", "variety": _net([4, 4, 1]), "method": "ambient", "rank": 10},
         {"id": "fl", "rule": "dim-at-most", "variety": _net([2, 4, 1]), "method": "first-layer", "rank": 2}],
        _net([2, 4, 1]), 2)
    # (3, 2, 2, 1): the sub-network must keep the square first layer (2, 2, 2, 1), not drop it (2, 2, 1)
    out["first_layer_with_a_shallower_network"] = cert(
        [{"id": "sub", "rule": "dim-at-most", "variety": _net([2, 2, 1]), "method": "ambient", "rank": 3},
         {"id": "fl", "rule": "dim-at-most", "variety": _net([3, 2, 2, 1]), "method": "first-layer", "rank": 5}],
        _net([3, 2, 2, 1]), 5)
    # (3, 5, 2), t^4: two outputs make the secant P^1 x v_4(P^2); the Waring fact about S^4(C^3) is not it
    d = copy.deepcopy(v["neurovariety_3_5_1_r4_by_secant_equations"])
    eq = _step(d, "dim-at-most-by-equations")
    # (2, 2, 3, 2) split after layer 1 needs the polynet (2, 2); a fact about (2, 3) is another network
    # t^3 has no orthogonal symmetry: the same count for (3, 3, 2, 1) with t^3 is false (true dimension 12)
    out["orthogonal_for_a_cubic_network"] = cert(
        [{"id": "o", "rule": "dim-at-most", "variety": _net([3, 3, 2, 1], 3), "method": "orthogonal", "rank": 11}],
        _net([3, 3, 2, 1], 3), 11)
    out["split_with_another_prefix"] = cert(
        [{"id": "sub", "rule": "dim-at-most", "variety": _net([2, 3]), "method": "ambient", "rank": 6},
         {"id": "sp", "rule": "dim-at-most", "variety": _net([2, 2, 3, 2]), "method": "split", "layer": 2,
          "rank": 6}],
        _net([2, 2, 3, 2]), 6)
    out["as_secant_waring_fact_for_two_outputs"] = cert(
        [eq, {"id": "as", "rule": "neurovariety-as-secant", "variety": _net([3, 5, 2], 4), "rank": 14}],
        _net([3, 5, 2], 4), 14)
    return out


def malformed(v: dict) -> dict:
    out = {}
    d = copy.deepcopy(v["secant_4_of_3x3x3"])
    _step(d, "jacobian-rank-at-least")["map"]["format"] = "segre"
    out["unknown_format"] = d
    d = copy.deepcopy(v["secant_4_of_3x3x3"])
    _step(d, "jacobian-rank-at-least")["point"].pop()
    out["point_missing_block"] = d
    d = copy.deepcopy(v["secant_4_of_3x3x3"])
    _step(d, "jacobian-rank-at-least")["hint"] = 1
    out["unknown_step_key"] = d
    d = copy.deepcopy(v["secant_4_of_3x3x3"])
    _step(d, "jacobian-rank-at-least")["map"]["blocks"] = [[10**6, 1]] * 3
    out["huge_ambient"] = d
    d = copy.deepcopy(v["neurovariety_2_1_2_2"])
    _step(d, "dim-at-most")["method"] = "intuition"
    out["unknown_bound_method"] = d
    d = copy.deepcopy(v["neurovariety_3_5_1_r4_by_secant_equations"])
    _step(d, "neurovariety-as-secant")["variety"]["widths"] = [3, 5, 1, 1]  # two hidden layers: no secant
    out["neurovariety_as_secant_deep"] = d
    d = copy.deepcopy(v["neurovariety_3_2_2_1_r2_first_layer"])
    next(s for s in d["steps"] if s.get("method") == "first-layer")["variety"] = {
        "format": "partial-symmetric", "blocks": [[3, 2]], "rank": 2}
    out["first_layer_on_a_secant"] = d
    d = copy.deepcopy(v["border_rank_random_3x3x3_by_filling"])
    _step(d, "border-rank-at-most-by-filling")["tensor"] = "missing"
    out["border_filling_unknown_tensor"] = d
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
