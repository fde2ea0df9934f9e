"""Regenerate the CP part of the certificate corpus: ``python -m tests.certs.make_cp_corpus``.

Writes ``cp_*.json`` into valid/ (the checker must accept), invalid/ (well-formed, a step or
conclusion is false: NOT VERIFIED) and malformed/ (schema broken: MALFORMED). Rules:
cp-decomposition, cp-rank-from-flattening, cp-rank-pencil, border-rank-curve,
gaussian-moment-identity (tnverify/checker/families/cp.py).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from tnverify.certificate import Certificate
from tnverify.exact.examples import matmul_tensor, strassen_2x2, w_curve, w_tensor
from tnverify.theory.cp_rank import border_rank_certificate, cp_certificate, cp_rank_bounds
from tnverify.theory.learning import moment_certificate, random_network

HERE = Path(__file__).parent


def _save(kind: str, name: str, cert) -> None:
    d = cert.to_dict() if isinstance(cert, Certificate) else cert
    d.setdefault("meta", {}).pop("tool_version", None)
    (HERE / kind).mkdir(exist_ok=True)
    (HERE / kind / f"cp_{name}.json").write_text(json.dumps(d, indent=1) + "\n")


def _planted():
    rng = np.random.default_rng(0)
    F = [rng.integers(-3, 4, (n, 3)) for n in (3, 4, 5)]
    return np.einsum("ir,jr,kr->ijk", *F), F


def valid() -> dict:
    T, F = _planted()
    w_border = border_rank_certificate(w_tensor(), *w_curve(3))
    rational = cp_certificate(np.array([[[1, 0], [0, 0]], [[0, 0], [0, 1]]]),
                              [np.array([["1/2", 0], [0, 3]], dtype=object), np.array([[2, 0], [0, "1/3"]], dtype=object),
                               np.array([[1, 0], [0, 1]])])
    net = random_network(3, 2, "poly:0,1,-1,1", seed=4, integer=True)
    return {
        "planted_3x4x5_rank3": cp_rank_bounds(T, seed=1).certificate.to_dict(),
        "w_rank3_pencil": cp_rank_bounds(w_tensor(), numeric_search=False).certificate.to_dict(),
        "w_border_rank2_curve": w_border.to_dict(),
        "w4_border_rank2_curve": border_rank_certificate(w_tensor(4), *w_curve(4)).to_dict(),
        "strassen_222_bounds_4_7": cp_rank_bounds(matmul_tensor(2), factors=strassen_2x2(),
                                                  numeric_search=False).certificate.to_dict(),
        "rational_factors": rational.to_dict(),
        "moment_identity_cubic_poly": moment_certificate(net).to_dict(),
    }


def _step(d, rule):
    return next(s for s in d["steps"] if s["rule"] == rule)


def invalid(v: dict) -> dict:
    out = {}
    d = copy.deepcopy(v["planted_3x4x5_rank3"])
    d["objects"]["T_F1"]["entries"][0][0] = d["objects"]["T_F1"]["entries"][0][0] + 1
    out["decomposition_factor_changed"] = d
    d = copy.deepcopy(v["planted_3x4x5_rank3"])
    d["conclusion"] = [{"fact": "cp-rank-at-least", "subject": {"tensor": {"object": "T"}, "field": "Q"}, "value": 4}]
    out["lower_overclaimed"] = d
    d = copy.deepcopy(v["planted_3x4x5_rank3"])
    d["steps"] = [s for s in d["steps"] if s["rule"] != "rank-at-least"]
    out["flattening_without_rank_fact"] = d
    d = copy.deepcopy(v["planted_3x4x5_rank3"])
    d["conclusion"] = [{"fact": "cp-rank-at-most", "subject": {"tensor": {"object": "T"}, "field": "GF(7)"},
                        "value": 3}]
    out["decomposition_other_field"] = d
    # a diagonal 2 x 2 x 2 tensor: its pencil is diagonalizable (rank 2)
    diag = cp_certificate(np.array([[[1, 0], [0, 0]], [[0, 0], [0, 1]]]), [np.eye(2, dtype=int)] * 3)
    diag.add_step("cp-rank-pencil", tensor="T", z1=[1, 0], z2=[0, 1])
    diag.conclusion = [{"fact": "cp-rank-at-least", "subject": {"tensor": {"object": "T"}, "field": "C"}, "value": 3}]
    out["pencil_diagonalizable"] = diag.to_dict()
    d = copy.deepcopy(v["w_rank3_pencil"])
    _step(d, "cp-rank-pencil")["z1"] = [1, 1]
    _step(d, "cp-rank-pencil")["z2"] = [1, 1]  # S1 = S2: M = I is diagonalizable
    out["pencil_equal_slices"] = d
    d = copy.deepcopy(v["w_border_rank2_curve"])
    _step(d, "border-rank-curve")["degree"] = 0
    out["curve_wrong_degree"] = d
    d = copy.deepcopy(v["w_border_rank2_curve"])
    _step(d, "border-rank-curve")["weights"] = [[1], [1]]  # the t^0 terms no longer cancel
    out["curve_not_vanishing"] = d
    d = copy.deepcopy(v["w_border_rank2_curve"])
    d["conclusion"].append({"fact": "cp-rank-at-most", "subject": {"tensor": {"object": "T"}, "field": "C"},
                            "value": 2})
    out["border_rank_is_not_rank"] = d
    d = copy.deepcopy(v["moment_identity_cubic_poly"])
    d["objects"]["M3"]["entries"][1] = str(int(d["objects"]["M3"]["entries"][1]) + 1)
    out["moment_entry_changed"] = d
    d = copy.deepcopy(v["moment_identity_cubic_poly"])
    _step(d, "gaussian-moment-identity")["activation"] = [0, 1, -1, 2]  # (the u^2 term does not matter)
    out["moment_other_activation"] = d
    return out


def malformed(v: dict) -> dict:
    out = {}
    d = copy.deepcopy(v["planted_3x4x5_rank3"])
    _step(d, "cp-decomposition")["hint"] = 1
    out["unknown_step_key"] = d
    d = copy.deepcopy(v["planted_3x4x5_rank3"])
    _step(d, "cp-decomposition")["factors"] = _step(d, "cp-decomposition")["factors"][:2]
    out["too_few_factors"] = d
    d = copy.deepcopy(v["planted_3x4x5_rank3"])
    _step(d, "cp-decomposition")["weights"] = [1, 2]
    out["weights_wrong_length"] = d
    d = copy.deepcopy(v["w_border_rank2_curve"])
    _step(d, "border-rank-curve")["factors"][0][0][0] = [0] * 65
    out["curve_polynomial_too_long"] = d
    d = copy.deepcopy(v["planted_3x4x5_rank3"])
    d["steps"].append({"id": "p", "rule": "cp-rank-pencil", "tensor": "T", "z1": [1] * 5, "z2": [0] * 5})
    out["pencil_not_square"] = d
    d = copy.deepcopy(v["moment_identity_cubic_poly"])
    _step(d, "gaussian-moment-identity")["activation"] = [1] * 12
    out["moment_degree_over_limit"] = d
    return out


def main() -> None:
    v = valid()
    for name, cert in v.items():
        _save("valid", name, cert)
    for name, cert in invalid(v).items():
        _save("invalid", name, cert)
    for name, cert in malformed(v).items():
        _save("malformed", name, cert)


if __name__ == "__main__":
    main()
