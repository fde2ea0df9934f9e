"""Regenerate the Kruskal part of the certificate corpus: ``python -m tests.certs.make_kruskal_corpus``.

Writes ``kruskal_*.json`` into valid/ (the checker must accept), invalid/ (well-formed, a
step or conclusion is false: NOT VERIFIED) and malformed/ (schema broken: MALFORMED).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from tnverify.certificate import Certificate
from tnverify.theory.kruskal import kruskal_certificate, kruskal_rank
from tnverify.theory.uniqueness import factors_uniqueness, generic_uniqueness, exact_jennrich, pnn_identifiability

HERE = Path(__file__).parent
E3 = [[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]]


def _save(kind: str, name: str, cert) -> None:
    d = cert.to_dict() if isinstance(cert, Certificate) else cert
    d.setdefault("meta", {}).pop("tool_version", None)
    (HERE / kind).mkdir(exist_ok=True)
    (HERE / kind / f"kruskal_{name}.json").write_text(json.dumps(d, indent=1) + "\n")


def _krank(A, field="Q"):
    return kruskal_certificate(kruskal_rank(A, field, seed=1), A).to_dict()


def valid() -> dict:
    T = np.einsum("ir,jr,kr->ijk", np.eye(3, dtype=np.int64), np.array([[1, 1, 1], [1, 2, 3], [1, 4, 9]]),
                  np.array([[1, 2, 3], [3, 1, 2]]))
    return {
        "krank_e1_e2_sum_e3": _krank(E3),
        "krank_zero_column": _krank([[1, 0, 2], [3, 0, 1]]),
        "krank_gf7": _krank(E3, "GF(7)"),
        "krank_rational": _krank([["1/2", 1, 0], ["1/3", "2/3", 1]]),
        "krank_shape_bound": _krank(np.random.default_rng(3).integers(-9, 10, (3, 6))),
        "unique_generic_4x4x4_R5": generic_uniqueness((4, 4, 4), 5).certificate.to_dict(),
        "unique_nway_2x2x2x2x2_R3": generic_uniqueness((2, 2, 2, 2, 2), 3).certificate.to_dict(),
        "unique_compound_3x4x6_R6": generic_uniqueness((3, 4, 6), 6).certificate.to_dict(),
        "unique_factors_planted": factors_uniqueness(
            [E3, np.eye(4, dtype=np.int64), [[1, 1, 1, 1], [1, 2, 3, 4], [1, 4, 9, 16], [1, 8, 27, 64]]]
        ).certificate.to_dict(),
        "jennrich_tensor": exact_jennrich(T).uniqueness.certificate.to_dict(),
        "pnn_identifiable_4_5_3": pnn_identifiability(4, 5, 3).certificate.to_dict(),
        "pnn_not_identifiable_3_4_3": pnn_identifiability(3, 4, 3).certificate.to_dict(),
        "u2_unique_3x3x5_R5": factors_uniqueness(_u2_factors(2)).certificate.to_dict(),
        "u2_not_unique_3x3x5_R5": factors_uniqueness(_u2_factors(0)).certificate.to_dict(),
    }


def _u2_factors(seed: int) -> list:
    """A, B 3 x 5 and C 5 x 5 in [-3, 3]: seed 0 not unique (U2 fails), seed 2 unique (a 1-dim kernel off the cone)."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-3, 4, (n, 5)) for n in (3, 3, 5)]


def _mut(d, fn):
    d = copy.deepcopy(d)
    fn(d)
    return d


def _step(d, rule):
    return next(s for s in d["steps"] if s["rule"] == rule)


def invalid(v: dict) -> dict:
    def overclaim(d):
        _step(d, "kruskal-rank-at-least")["k"] = 3
        d["conclusion"][0]["value"] = 3

    def wrong_kernel(d):
        _step(d, "kruskal-rank-at-most")["kernel"] = [1, 1, 1]

    def sum_too_small(d):
        s = _step(d, "kruskal-uniqueness")
        s["rank"] = 6

    def drop_krank_step(d):
        d["steps"] = [s for s in d["steps"] if s["id"] != "A-k-lower"]

    def not_full_rank(d):
        _step(d, "compound-uniqueness")["full_rank"] = 0  # A (3 x 6) has no rank-6 fact

    def not_veronese(d):
        d["objects"]["W_pow1"]["entries"][0][0] = 12345

    def count_true_claim_false(d):
        s = _step(d, "parameter-count-not-identifiable")
        s["inputs"], s["width"] = 4, 5
        d["conclusion"][0]["subject"].update(inputs=4, width=5)

    def tensor_mismatch(d):
        d["objects"]["T"]["entries"][0] = 99

    def gf_witness_not_mod_p(d):
        _step(d, "kruskal-rank-at-most")["kernel"] = [1, 1, 1]

    def kernel_off(d):
        _step(d, "jiang-sidiropoulos")["kernel"][0] += 1

    def cone_vector_claimed_unique(d):
        d["conclusion"][-1]["value"] = True

    def u2_rank_of_the_wrong_factor(d):
        _step(d, "jiang-sidiropoulos")["full_rank"] = 0  # A (3 x 5) has no rank-5 fact

    return {
        "u2_kernel_vector_not_in_the_kernel": _mut(v["u2_unique_3x3x5_R5"], kernel_off),
        "u2_unique_claimed_for_a_cone_vector": _mut(v["u2_not_unique_3x3x5_R5"], cone_vector_claimed_unique),
        "u2_factor_not_full_rank": _mut(v["u2_not_unique_3x3x5_R5"], u2_rank_of_the_wrong_factor),
        "overclaimed_lower": _mut(v["krank_e1_e2_sum_e3"], overclaim),
        "wrong_kernel_vector": _mut(v["krank_e1_e2_sum_e3"], wrong_kernel),
        "gf7_wrong_kernel_vector": _mut(v["krank_gf7"], gf_witness_not_mod_p),
        "kruskal_sum_too_small": _mut(v["unique_generic_4x4x4_R5"], sum_too_small),
        "kruskal_without_krank_fact": _mut(v["unique_generic_4x4x4_R5"], drop_krank_step),
        "compound_factor_not_full_rank": _mut(v["unique_compound_3x4x6_R6"], not_full_rank),
        "pnn_factor_not_veronese": _mut(v["pnn_identifiable_4_5_3"], not_veronese),
        "parameter_count_false": _mut(v["pnn_not_identifiable_3_4_3"], count_true_claim_false),
        "jennrich_tensor_mismatch": _mut(v["jennrich_tensor"], tensor_mismatch),
    }


def malformed(v: dict) -> dict:
    def unknown_key(d):
        _step(d, "kruskal-rank-at-least")["rows"] = [0, 1]

    def float_kernel(d):
        _step(d, "kruskal-rank-at-most")["kernel"] = "1.5"

    def subset_size(d):
        _step(d, "kruskal-rank-at-most")["subset"] = [0, 1]

    def too_few_factors(d):
        s = _step(d, "kruskal-uniqueness")
        s["factors"], s["k"] = s["factors"][:2], s["k"][:2]

    def huge_enumeration(d):
        d["objects"]["A"] = {"type": "matrix", "shape": [30, 60],
                             "entries": [[int(i == j) for j in range(60)] for i in range(30)]}
        _step(d, "kruskal-rank-at-least")["k"] = 30

    def compound_rows_count(d):
        _step(d, "compound-uniqueness")["rows"] = [0, 1]

    def u2_without_rank_witness(d):
        del _step(d, "jiang-sidiropoulos")["rows"]

    def u2_short_kernel(d):
        _step(d, "jiang-sidiropoulos")["kernel"].pop()

    return {
        "u2_without_rank_witness": _mut(v["u2_unique_3x3x5_R5"], u2_without_rank_witness),
        "u2_short_kernel_vector": _mut(v["u2_not_unique_3x3x5_R5"], u2_short_kernel),
        "unknown_hint_key": _mut(v["krank_e1_e2_sum_e3"], unknown_key),
        "float_kernel_entry": _mut(v["krank_e1_e2_sum_e3"], float_kernel),
        "witness_subset_size": _mut(v["krank_e1_e2_sum_e3"], subset_size),
        "two_factors": _mut(v["unique_generic_4x4x4_R5"], too_few_factors),
        "enumeration_over_limit": _mut(v["krank_e1_e2_sum_e3"], huge_enumeration),
        "compound_wrong_row_count": _mut(v["unique_compound_3x4x6_R6"], compound_rows_count),
    }


def main() -> None:
    v = valid()
    for kind, certs in (("valid", v), ("invalid", invalid(v)), ("malformed", malformed(v))):
        for name, d in certs.items():
            _save(kind, name, d)


if __name__ == "__main__":
    main()
