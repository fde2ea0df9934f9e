"""Regenerate the matrix-rank part of the certificate corpus: ``python -m tests.certs.make_corpus``.

valid/     certificates the checker must accept (made by the prover);
invalid/   well-formed certificates with a false step or conclusion (NOT VERIFIED);
malformed/ certificates that break the schema (MALFORMED).
Every checker bug ever fixed adds a file here (by hand, or below).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from tnverify.certificate import Certificate, matrix_object, tensor_object
from tnverify.exact.rank import rank_certificate
from tnverify.exact import as_exact_array, rank
from tnverify.exact.tensor import flatten

HERE = Path(__file__).parent


def _save(kind: str, name: str, cert) -> None:
    d = cert.to_dict() if isinstance(cert, Certificate) else cert
    (HERE / kind).mkdir(exist_ok=True)
    (HERE / kind / f"{name}.json").write_text(json.dumps(d, indent=1) + "\n")


def _rank_cert(A, field="Q", **kw):
    M = as_exact_array(A)
    res = rank(M, field, seed=1, **kw)
    return rank_certificate(res, M, {"object": "M"})


def valid() -> dict:
    rng = np.random.default_rng(11)
    out = {
        "rank_full_shape": _rank_cert([[2, 1, 0], [1, 3, 1], [0, 1, 4]]),
        "rank_kernel": _rank_cert([[1, 2, 3], [2, 4, 6], [1, 0, 1]]),
        "rank_one_two_kernel_vectors": _rank_cert([[1, 2, 3], [2, 4, 6], [-1, -2, -3]]),
        "rank_rational_kernel": _rank_cert([["1/2", 1, 2], [1, 2, 4], [0, "3/5", 1]]),
        "rank_gf7_kernel": _rank_cert([[1, 2, 3], [3, 6, 2], [0, 0, 1]], "GF(7)"),
        "rank_modular": _rank_cert(rng.integers(-9, 10, (24, 12)) @ rng.integers(-9, 10, (12, 26)), upper="modular"),
    }
    lower_only = _rank_cert(rng.integers(-9, 10, (20, 6)) @ rng.integers(-9, 10, (6, 20)), upper="probable")
    out["rank_lower_only"] = lower_only
    T = rng.integers(-3, 4, (2, 3, 2, 3))
    res = rank(flatten(T, (0, 2)), seed=1)
    cert = Certificate(objects={"T": tensor_object(T)})
    out["rank_tensor_flattening"] = rank_certificate(res, flatten(T, (0, 2)), {"object": "T", "rows": [0, 2]}, cert)
    U, V = rng.integers(-5, 6, (4, 2)), rng.integers(-5, 6, (2, 5))
    lower = rank(U @ V, seed=1)
    fac = Certificate(objects={"M": matrix_object(U @ V)})
    fac.add_step("rank-at-least", id="lower", matrix={"object": "M"}, rank=2,
                 minor={"rows": lower.pivot_rows, "cols": lower.pivot_cols}, modulus=None)
    fac.add_step("rank-at-most", id="upper", matrix={"object": "M"}, rank=2, method="factorization",
                 left=U.tolist(), right=V.tolist())
    fac.conclude("rank-at-least", {"matrix": {"object": "M"}, "field": "Q"}, 2)
    fac.conclude("rank-at-most", {"matrix": {"object": "M"}, "field": "Q"}, 2)
    out["rank_factorization_det_over_Z"] = fac
    return out


def _mut(cert, fn):
    d = copy.deepcopy(cert.to_dict())
    fn(d)
    return d


def invalid(v: dict) -> dict:
    def set_step(name, key, value, idx=0):
        def f(d):
            d["steps"][idx][key] = value
        return lambda: _mut(v[name], f)

    def f_singular_minor(d):
        d["steps"][0]["minor"] = {"rows": [0, 1], "cols": [0, 1]}  # rows 0,1 are dependent

    def f_kernel_entry(d):
        d["steps"][1]["kernel"][0][0] = d["steps"][1]["kernel"][0][0] + 1

    def f_not_diagonal(d):
        d["steps"][1]["kernel"][1] = d["steps"][1]["kernel"][0]  # a repeated vector is not independent

    def f_overclaim(d):
        d["conclusion"][0]["value"] = 3

    def f_few_primes(d):
        d["steps"][1]["primes"] = d["steps"][1]["primes"][:1]

    def f_rank_too_small(d):
        d["steps"][1]["rank"] = 11
        d["conclusion"][1]["value"] = 11

    def f_other_subject(d):
        d["conclusion"][0]["subject"]["field"] = "GF(5)"

    def f_nonprime(d):
        d["steps"][0]["modulus"] = 15

    def f_bad_factor(d):
        d["steps"][1]["left"][0][0] = d["steps"][1]["left"][0][0] + 1

    def f_shape_claim(d):
        d["steps"][1] = {"id": "upper", "rule": "rank-at-most", "matrix": {"object": "M"}, "rank": 1, "method": "shape"}

    def f_entry_changed(d):
        d["objects"]["M"]["entries"][1][0] = 3  # row 1 no longer 2 x row 0: rank becomes 3

    def f_probable_claimed_proved(d):
        d["conclusion"].append({"fact": "rank-at-most", "subject": d["conclusion"][0]["subject"], "value": 6})

    def f_tensor_rows(d):
        d["steps"][0]["matrix"]["rows"] = [0, 1]
        d["conclusion"][0]["subject"]["matrix"]["rows"] = [0, 1]

    gf_rational = Certificate(objects={"M": {"type": "matrix", "shape": [2, 2], "entries": [["1/7", 1], [0, 1]]}})
    gf_rational.add_step("rank-at-least", id="lower", matrix={"object": "M"}, rank=1,
                         minor={"rows": [1], "cols": [1]}, modulus=7)
    gf_rational.conclude("rank-at-least", {"matrix": {"object": "M"}, "field": "GF(7)"}, 1)
    return {
        "gf_fact_for_matrix_with_denominator_p": gf_rational.to_dict(),
        "singular_minor": _mut(v["rank_kernel"], f_singular_minor),
        "kernel_vector_wrong": _mut(v["rank_kernel"], f_kernel_entry),
        "kernel_vectors_dependent": _mut(v["rank_one_two_kernel_vectors"], f_not_diagonal),
        "conclusion_overclaims": _mut(v["rank_kernel"], f_overclaim),
        "modular_too_few_primes": _mut(v["rank_modular"], f_few_primes),
        "modular_rank_understated": _mut(v["rank_modular"], f_rank_too_small),
        "conclusion_other_field": _mut(v["rank_kernel"], f_other_subject),
        "modulus_not_prime": _mut(v["rank_modular"], f_nonprime),
        "factorization_wrong": _mut(v["rank_factorization_det_over_Z"], f_bad_factor),
        "shape_bound_too_small": _mut(v["rank_kernel"], f_shape_claim),
        "matrix_entry_changed": _mut(v["rank_kernel"], f_entry_changed),
        "probable_upper_claimed": _mut(v["rank_lower_only"], f_probable_claimed_proved),
        "flattening_changed": _mut(v["rank_tensor_flattening"], f_tensor_rows),
    }


def malformed(v: dict) -> dict:
    base = v["rank_kernel"].to_dict()

    def m(fn):
        d = copy.deepcopy(base)
        fn(d)
        return d

    out = {
        "unknown_rule": m(lambda d: d["steps"][0].__setitem__("rule", "rank-guess")),
        "missing_rank": m(lambda d: d["steps"][0].pop("rank")),
        "wrong_format": m(lambda d: d.__setitem__("format", "other")),
        "future_version": m(lambda d: d.__setitem__("version", 99)),
        "huge_declared_shape": m(lambda d: d["objects"]["M"].__setitem__("shape", [10**9, 10**9])),
        "ragged_entries": m(lambda d: d["objects"]["M"]["entries"][1].pop()),
        "minor_index_out_of_range": m(lambda d: d["steps"][0]["minor"].__setitem__("rows", [0, 7])),
        "unknown_object": m(lambda d: d["steps"][0].__setitem__("matrix", {"object": "X"})),
        "empty_conclusion": m(lambda d: d.__setitem__("conclusion", [])),
        "unknown_top_level_field": m(lambda d: d.__setitem__("extra", 1)),
        "scientific_notation_string": m(lambda d: d["objects"]["M"]["entries"][0].__setitem__(0, "1e5")),
        "repeated_minor_rows": m(lambda d: d["steps"][0]["minor"].__setitem__("rows", [0, 0])),
        "top_level_list": [base],
    }
    return out


RAW_MALFORMED = {
    "not_json.json": "{ this is not json",
    "float_entry.json": None,  # built from base with a float literal
    "nan_entry.json": None,
    "empty_file.json": "",
}


def main() -> None:
    v = valid()
    for name, c in v.items():
        _save("valid", name, c)
    for name, d in invalid(v).items():
        _save("invalid", name, d)
    for name, d in malformed(v).items():
        _save("malformed", name, d)
    text = json.dumps(v["rank_kernel"].to_dict())
    (HERE / "malformed" / "not_json.json").write_text(RAW_MALFORMED["not_json.json"])
    (HERE / "malformed" / "empty_file.json").write_text("")
    (HERE / "malformed" / "float_entry.json").write_text(text.replace('"entries": [[1, 2, 3]', '"entries": [[1.0, 2, 3]', 1))
    (HERE / "malformed" / "nan_entry.json").write_text(text.replace('"entries": [[1, 2, 3]', '"entries": [[NaN, 2, 3]', 1))


if __name__ == "__main__":
    main()
