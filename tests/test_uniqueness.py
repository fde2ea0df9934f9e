"""CP uniqueness conditions, Jennrich, polynomial-network identifiability, and the proofs_checks instances."""
from __future__ import annotations

import copy
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import rank_one_combination_exists
from tnverify.checker import check
from tnverify.errors import InputError, NotExactError, ShapeError
from tnverify.theorems.instance import find_instances
from tnverify.theorems.runner import run_instance
from tnverify.checker.families.kruskal import _pair_cone
from tnverify.theory.uniqueness import (
    compound2, exact_jennrich, factors_uniqueness, generic_uniqueness, in_u2_cone, khatri_rao, pnn_identifiability,
    veronese,
)

ROOT = Path(__file__).parent.parent / "proofs_checks"
FOLDERS = ["kruskal_1977", "sidiropoulos_bro_2000", "jennrich_1993", "identifiability_pnn", "jiang_sidiropoulos_2004"]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 4), st.integers(2, 4))
def test_compound_is_the_matrix_of_2x2_minors(seed, I, R):
    A = np.random.default_rng(seed).integers(-5, 6, (I, R))
    C = compound2(A)
    S = sympy.Matrix(A.tolist())
    for a, rows in enumerate(itertools.combinations(range(I), 2)):
        for b, cols in enumerate(itertools.combinations(range(R), 2)):
            assert C[a, b] == S.extract(list(rows), list(cols)).det()


def test_khatri_rao_and_veronese_definitions():
    A, B = np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8], [9, 10]])
    K = khatri_rao(A, B)
    for r in range(2):
        assert list(K[:, r]) == list(np.kron(A[:, r], B[:, r]))
    W = np.array([[1, 2], [3, 5]])
    V = veronese(W, 2)  # monomials x0^2, x0 x1, x1^2
    assert V.tolist() == [[1, 4], [3, 10], [9, 25]]
    assert veronese(W, 1).tolist() == W.tolist()


def _uniq_certificate_ok(res):
    return res.certificate is not None and check(res.certificate.to_dict()).ok


@pytest.mark.parametrize("shape, R, status", [
    ((4, 4, 4), 5, "proved"), ((3, 3, 3), 3, "proved"), ((5, 5, 3), 6, "proved"),
    ((3, 4, 6), 6, "proved"), ((2, 2, 2, 2), 3, "refuted"), ((2, 2, 2, 2, 2), 3, "proved"),
])
def test_generic_uniqueness(shape, R, status):
    res = generic_uniqueness(shape, R)
    assert res.status == status
    assert res.values["k_ranks"] == [min(I, R) for I in shape]
    if status in ("proved", "refuted"):  # refuted: sigma_3 of 2x2x2x2 is defective, proved by equations
        assert _uniq_certificate_ok(res)
    else:
        assert res.verdict == "unknown" and res.certificate is None  # never "not unique"


def test_kruskal_sum_is_what_decides():
    # k-ranks [2, 4, 4], R = 4: 10 >= 10
    A = [[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    B = np.eye(4, dtype=np.int64)
    C = [[1, 1, 1, 1], [1, 2, 3, 4], [1, 4, 9, 16], [1, 8, 27, 64]]
    res = factors_uniqueness([A, B, C])
    assert res.status == "proved" and res.values["k_ranks"] == [2, 4, 4] and _uniq_certificate_ok(res)
    # a repeated column in A: 1 + 4 + 4 < 10, and the compound condition fails too; U2 then shows
    # that a_1 (x) (b_1 (x) c_1 + b_2 (x) c_2) has other decompositions: not unique
    A2 = [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    res2 = factors_uniqueness([A2, B, C])
    assert res2.status == "refuted" and res2.verdict == "not unique" and _uniq_certificate_ok(res2)
    assert any(c.held is False and c.name.startswith("compound") for c in res2.conditions)


def test_checker_rejects_a_kruskal_claim_above_the_derived_kranks():
    res = generic_uniqueness((3, 3, 3), 3)
    d = res.certificate.to_dict()
    step = next(s for s in d["steps"] if s["rule"] == "kruskal-uniqueness")
    step["rank"] = 4  # factors have 3 columns
    assert check(d).status == "NOT VERIFIED"
    d = res.certificate.to_dict()
    step = next(s for s in d["steps"] if s["rule"] == "kruskal-uniqueness")
    step["k"] = [3, 3, 1]
    assert check(d).status == "NOT VERIFIED"


def test_compound_certificate_is_rechecked():
    res = generic_uniqueness((3, 4, 6), 6)
    d = res.certificate.to_dict()
    step = next(s for s in d["steps"] if s["rule"] == "compound-uniqueness")
    step["rows"] = [0] * len(step["rows"])
    assert check(d).status == "MALFORMED"  # repeated rows
    d = res.certificate.to_dict()
    step = next(s for s in d["steps"] if s["rule"] == "compound-uniqueness")
    d["steps"] = [s for s in d["steps"] if s["rule"] != "rank-at-least"]
    assert check(d).status == "NOT VERIFIED"  # full column rank of C no longer derived


@pytest.mark.parametrize("factors, err", [
    ([np.eye(3, dtype=int), np.eye(3, dtype=int)], InputError),
    ([np.eye(3, dtype=int), np.eye(3, dtype=int), np.ones((3, 2), dtype=int)], ShapeError),
    ([np.eye(3), np.eye(3, dtype=int), np.eye(3, dtype=int)], NotExactError),
    ([np.zeros((0, 3), dtype=int), np.eye(3, dtype=int), np.eye(3, dtype=int)], ShapeError),
])
def test_bad_factors(factors, err):
    with pytest.raises(err):
        factors_uniqueness(factors)


def test_jennrich_recovers_rational_factors_exactly():
    rng = np.random.default_rng(5)
    A, B, C = rng.integers(-4, 5, (4, 3)), rng.integers(-4, 5, (3, 3)), rng.integers(-4, 5, (2, 3))
    T = np.einsum("ir,jr,kr->ijk", A, B, C)
    jr = exact_jennrich(T)
    assert jr.status == "proved" and jr.rank == 3
    Ah, Bh, Ch = jr.factors
    assert (np.einsum("ir,jr,kr->ijk", Ah, Bh, Ch) == T).all()
    for r in range(3):  # each recovered column is proportional to a true column
        assert any(sympy.Matrix(np.stack([Ah[:, r], A[:, s]], 1).tolist()).rank() == 1 for s in range(3))
    assert _uniq_certificate_ok(jr.uniqueness)


def test_jennrich_with_repeated_eigenvalues_is_unknown():
    A = B = np.eye(3, dtype=np.int64)
    C = np.array([[1, 2, 3], [2, 4, 1]])
    assert exact_jennrich(np.einsum("ir,jr,kr->ijk", A, B, C)).status == "unknown"


def test_jennrich_irrational_factors_are_unknown():
    # x^2 - 2 y^2 style slices: the eigenvalues of T1 T2^{-1} are +-sqrt(2)
    T = np.zeros((2, 2, 2), dtype=np.int64)
    T[:, :, 0] = [[1, 0], [0, 1]]
    T[:, :, 1] = [[0, 2], [1, 0]]
    assert exact_jennrich(T).status == "unknown"


@pytest.mark.parametrize("n, m, d, o, verdict", [
    (4, 5, 3, 1, "identifiable"), (3, 4, 3, 1, "not identifiable"), (3, 2, 2, 1, "unknown"),
    (3, 3, 2, 3, "identifiable"), (3, 5, 5, 1, "identifiable"),
])
def test_pnn(n, m, d, o, verdict):
    res = pnn_identifiability(n, m, d, o)
    assert res.verdict == verdict
    assert res.values["params_mod_scaling"] == m * (n + o - 1)
    assert res.values["ambient"] == o * math.comb(n + d - 1, d)
    if verdict != "unknown":
        assert _uniq_certificate_ok(res)


def test_parameter_count_rule_rejects_a_false_count():
    cert = {"format": "tnverify-certificate", "version": 1, "objects": {},
            "steps": [{"id": "c", "rule": "parameter-count-not-identifiable", "inputs": 4, "width": 5,
                       "outputs": 1, "degree": 3}],
            "conclusion": [{"fact": "generic-pnn-identifiable",
                            "subject": {"inputs": 4, "width": 5, "outputs": 1, "degree": 3}, "value": False}]}
    assert check(cert).status == "NOT VERIFIED"  # 20 <= 20


def test_pnn_groups_as_runs_reach_a_huge_degree_and_their_counts_are_checked():
    """Degree 10^5 with widths 3,3,1: the grouping [1 x 100000] is one run; the checker counts the modes
    (N = 100000) from the run and checks sum c_i k_i >= 2m + N - 1 (3 * 10^5 >= 100005)."""
    res = pnn_identifiability(3, 3, 100_000, 1)
    assert res.verdict == "identifiable"
    d = res.certificate.to_dict()
    step = next(s for s in d["steps"] if s["rule"] == "pnn-identifiable")
    assert step["groups"] == [1] and step["group_counts"] == [100_000] and check(d).ok
    step["group_counts"] = [99_999]  # no longer the degree
    assert check(d).status == "NOT VERIFIED"
    step["group_counts"], step["k"] = [100_000], [1]  # k-rank 1 per mode: 10^5 < 2m + N - 1
    assert check(d).status == "NOT VERIFIED"
    step["k"], step["groups"] = [3], [1] * 65  # more entries than the checker takes: use the counts
    assert check(d).status == "MALFORMED"


def test_pnn_rule_rebuilds_the_veronese_factors():
    res = pnn_identifiability(3, 3, 3, 1, W=[[1, 0, 1], [0, 1, 1], [0, 0, 1]], V=[[1, 1, 1]])
    assert res.verdict == "identifiable"
    d = res.certificate.to_dict()
    d["objects"]["W"]["entries"][0][0] = 2  # the factors no longer come from W
    assert check(d).status == "NOT VERIFIED"


def test_pnn_bad_input():
    with pytest.raises(InputError):
        pnn_identifiability(0, 3, 3)
    with pytest.raises(ShapeError):
        pnn_identifiability(3, 3, 3, W=np.eye(2, dtype=int))


def _fast_instances():
    out = []
    for f in find_instances([ROOT / d for d in FOLDERS]):
        if "slow = true" not in f.read_text():
            out.append(f)
    return out


@pytest.mark.parametrize("path", _fast_instances(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_instances(path):
    res = run_instance(path)
    assert res.passed, res.message


def test_best_grouping_matches_brute_force_over_compositions():
    import itertools
    import math

    from tnverify.theory.uniqueness import _best_grouping

    def compositions(d, parts):
        for cuts in itertools.combinations(range(1, d), parts - 1):
            b = (0,) + cuts + (d,)
            yield tuple(b[i + 1] - b[i] for i in range(parts))

    def gain(g, n, m):
        return sum(min(math.comb(n + a - 1, a), m) - 1 for a in g)

    for n, m, d, min_parts in itertools.product(range(1, 5), (1, 2, 5, 9), range(1, 11), (2, 3)):
        brute = [gain(g, n, m) for parts in range(min_parts, d + 1) for g in compositions(d, parts)]
        g = _best_grouping(n, m, d, min_parts)
        if not brute:
            assert g is None
            continue
        assert sum(g) == d and len(g) >= min_parts
        assert gain(g, n, m) == max(brute), (n, m, d, min_parts, g)


def test_pnn_identifiability_of_high_degree_is_fast():
    import time

    from tnverify.theory.uniqueness import pnn_identifiability

    t0 = time.perf_counter()
    res = pnn_identifiability(2, 3, 40, seed=0)
    assert time.perf_counter() - t0 < 20
    assert res.status in ("proved", "unknown")


# ------------------------------------------------------------------ condition U2 (Jiang-Sidiropoulos)
@settings(max_examples=40, deadline=None)
@given(st.integers(3, 4), st.data())
def test_u2_cone_membership_agrees_with_solving_d_i_d_j_equals_v(R, data):
    pairs = list(itertools.combinations(range(R), 2))
    v = data.draw(st.lists(st.integers(-2, 2), min_size=len(pairs), max_size=len(pairs)), label="v")
    d = sympy.symbols(f"d0:{R}")
    solvable = bool(sympy.solve([d[i] * d[j] - x for (i, j), x in zip(pairs, v)], d, dict=True))
    assert in_u2_cone(v, R) == solvable == _pair_cone(v, R)  # prover, checker, sympy


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=5, max_size=5), st.integers(1, 4))
def test_every_d_hat_is_in_the_cone_at_any_scale(d, c):
    v = [c * d[i] * d[j] for i, j in itertools.combinations(range(5), 2)]
    assert in_u2_cone(v, 5) and _pair_cone(v, 5)


@pytest.mark.parametrize("seed", range(6))
def test_u2_verdict_at_3x3x5_agrees_with_solving_for_a_rank_one_slice(seed):
    """C (5 x 5) has full column rank: unique iff no A diag(d) B^T of rank <= 1 with two or more d_r != 0."""
    rng = np.random.default_rng(seed)
    A, B, C = [rng.integers(-3, 4, (n, 5)) for n in (3, 3, 5)]
    res = factors_uniqueness([A, B, C])
    assert res.values["criterion"] == "U2"
    assert res.verdict == ("not unique" if rank_one_combination_exists(A, B) else "unique")
    assert res.status == {"unique": "proved", "not unique": "refuted"}[res.verdict]
    assert check(res.certificate.to_dict()).status == "VERIFIED"


def test_u2_certificates_are_rechecked_not_trusted():
    rng = np.random.default_rng(0)
    F14 = [rng.integers(-3, 4, (n, 14)) for n in (4, 6, 14)]
    good = factors_uniqueness(F14).certificate.to_dict()
    assert check(good).status == "VERIFIED"
    d = copy.deepcopy(good)
    step = next(s for s in d["steps"] if s["rule"] == "jiang-sidiropoulos")
    step["kernel"][0] += 1
    assert check(d).status == "NOT VERIFIED"  # no longer in the kernel
    d = copy.deepcopy(good)
    del next(s for s in d["steps"] if s["rule"] == "jiang-sidiropoulos")["rows"]
    assert check(d).status == "MALFORMED"  # U2 holds only with the rank witness
    rng = np.random.default_rng(0)
    bad = factors_uniqueness([rng.integers(-3, 4, (n, 5)) for n in (3, 3, 5)]).certificate.to_dict()
    assert check(bad).status == "VERIFIED"
    bad["conclusion"][-1]["value"] = True  # claim "unique" on a kernel vector in the cone
    assert check(bad).status == "NOT VERIFIED"


def test_u2_is_not_used_for_a_generic_claim():
    """U2 at a random point proves nothing generic ("not in the cone" is not open): the generic route skips it."""
    res = generic_uniqueness((3, 3, 5), 5)
    assert res.values.get("criterion") != "U2" and not any(c.name.startswith("U2") for c in res.conditions)


def test_u2_with_a_one_row_factor_is_not_unique_and_cheap():
    """A one-row factor makes T a matrix B diag(a) C^T: never unique for R >= 2 (C2 of that factor is empty)."""
    res = factors_uniqueness([[[1, 2, 3]], np.eye(3, dtype=int), np.eye(3, dtype=int)])
    assert (res.status, res.verdict) == ("refuted", "not unique")
    assert check(res.certificate.to_dict()).status == "VERIFIED"
    X = np.random.default_rng(0).integers(-3, 4, (60, 60))
    res = factors_uniqueness([X, np.ones((1, 60), dtype=int), np.eye(60, dtype=int)])  # never builds C2(I_60)
    assert res.verdict == "not unique" and check(res.certificate.to_dict()).status == "VERIFIED"


def test_u2_does_not_search_a_huge_kernel():
    R = 60
    rng = np.random.default_rng(0)
    res = factors_uniqueness([rng.integers(-3, 4, (3, R)), rng.integers(-3, 4, (3, R)), np.eye(R, dtype=int)])
    u2 = next(c for c in res.conditions if c.name.startswith("U2"))
    assert res.status == "unknown" and u2.held is None and "not searched" in u2.detail


def test_the_u2_checker_bounds_each_compound_matrix_before_building_it():
    R = 200
    d = {"format": "tnverify-certificate", "version": 1, "claim": {},
         "objects": {"A": {"type": "matrix", "shape": [R, R], "entries": np.eye(R, dtype=int).tolist()},
                     "B": {"type": "matrix", "shape": [2, R], "entries": np.ones((2, R), dtype=int).tolist()},
                     "C": {"type": "matrix", "shape": [R, R], "entries": np.eye(R, dtype=int).tolist()}},
         "steps": [{"id": "c", "rule": "rank-at-least", "matrix": {"object": "C"}, "rank": R,
                    "minor": {"rows": list(range(R)), "cols": list(range(R))}, "modulus": 101},
                   {"id": "u2", "rule": "jiang-sidiropoulos", "factors": [{"object": n} for n in "ABC"], "rank": R,
                    "full_rank": 2, "kernel": [1] + [0] * (R * (R - 1) // 2 - 1)}],
         "conclusion": [{"fact": "cp-unique", "subject": {"factors": [{"object": n} for n in "ABC"], "field": "C"},
                         "value": False}]}
    v = check(d)
    assert v.status == "MALFORMED" and "exceed the checker limit" in v.message


def test_the_prover_refuses_the_modes_the_checker_would_refuse():
    """A format or a list of factors beyond the checker's factor limit is bad input, not a rejected certificate."""
    from tnverify.checker.families.kruskal import MAX_FACTORS
    from tnverify.errors import InputError
    from tnverify.theory.uniqueness import MAX_MODES, factors_uniqueness, generic_uniqueness

    assert MAX_MODES == MAX_FACTORS
    with pytest.raises(InputError, match=f"at most {MAX_FACTORS} modes"):
        generic_uniqueness([2] * (MAX_FACTORS + 1), 2)
    with pytest.raises(InputError, match=f"at most {MAX_FACTORS} factor matrices"):
        factors_uniqueness([np.eye(2, dtype=np.int64)] * (MAX_FACTORS + 1))
