"""Kruskal rank: against a brute force (itertools + sympy), certificates through the checker, budgets, bad input."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import parse_number, rank_one_combination_exists, sympy_rank
from tnverify.checker import check
from tnverify.errors import BudgetError, FieldError, NotExactError, ShapeError
from tnverify.theory.kruskal import flint_kruskal_rank, generic_kruskal_rank, kruskal_certificate, kruskal_rank
from tnverify.numeric.kruskal_search import kruskal_search


def brute_krank(A, p=None) -> int:
    """Largest k with every k columns independent, by sympy ranks of every subset."""
    A = np.asarray(A, dtype=object)
    R = A.shape[1]
    for s in range(1, R + 1):
        for S in itertools.combinations(range(R), s):
            if sympy_rank(A[:, list(S)].tolist(), p) < s:
                return s - 1
    return R


def planted(seed, I, R, size):
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, (I, R))
    S = rng.choice(R, size=size, replace=False)
    A[:, S[-1]] = A[:, S[:-1]] @ rng.integers(-2, 3, size - 1)
    return A


def test_e1_e2_sum_e3_has_krank_2_and_an_exact_witness():
    A = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    res = kruskal_rank(A)
    assert (res.k_rank, res.status, res.witness) == (2, "proved", [0, 1, 2])
    assert not (A[:, res.witness] @ np.array(res.kernel)).any() and any(res.kernel)
    assert check(kruskal_certificate(res, A).to_dict()).ok


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 4), st.integers(1, 6), st.integers(1, 4))
def test_matches_brute_force_over_Q(seed, I, R, size):
    A = planted(seed, I, R, min(size, R)) if size > 1 and R > 1 else np.random.default_rng(seed).integers(-2, 3, (I, R))
    res = kruskal_rank(A, seed=seed)
    assert res.status == "proved" and res.k_rank == brute_krank(A)
    if res.witness:
        assert sympy_rank(A[:, res.witness].tolist()) < len(res.witness)
    cert = kruskal_certificate(res, A)
    assert check(cert.to_dict()).ok


@pytest.mark.parametrize("seed", range(4))
def test_the_stepwise_search_does_not_stop_where_no_limit_was_given(monkeypatch, seed):
    """Calls grow at most 4-fold between sizes to measure the rate for --timeout; with no timeout and
    no subset budget a size more than 4 times the work so far must still be searched (it once
    returned 'unknown: budget' with --budget 0)."""
    import tnverify.theory.kruskal as K

    monkeypatch.setattr(K, "FIRST_CALL_SUBSETS", 5)
    monkeypatch.setattr(K, "ONE_CALL_SUBSETS", 0)  # the stepwise path, on a small matrix
    A = np.random.default_rng(seed).integers(-9, 10, (4, 12))
    res = kruskal_rank(A, seed=seed, max_subsets=None)
    assert res.status == "proved" and res.k_rank == brute_krank(A)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([2, 3, 5, 7]))
def test_matches_brute_force_over_small_fields(seed, p):
    A = np.random.default_rng(seed).integers(0, p, (3, 5))
    res = kruskal_rank(A, f"GF({p})")
    assert res.status == "proved" and res.k_rank == brute_krank(A, p)
    assert check(kruskal_certificate(res, A).to_dict()).ok


def test_field_changes_the_answer():
    A = [[1, 1], [1, 3]]
    assert kruskal_rank(A).k_rank == 2 and kruskal_rank(A, "GF(2)").k_rank == 1


def test_rational_entries_are_exact():
    res = kruskal_rank([["1/2", 1, 0], ["1/3", "2/3", 1]])
    assert res.k_rank == 1 and res.witness == [0, 1]


def test_unlucky_prime_is_not_taken_for_a_dependency(monkeypatch):
    # column (0, q) is zero mod q only: the first prime sees a dependency that is not one over Q
    q = 2147483629
    A = [[1, 0], [0, q]]
    res = kruskal_search(np.array(A), q)
    assert res.k_lower == 0 and res.witness == (1,)
    primes = iter([q, 1000003])
    monkeypatch.setattr("tnverify.theory.kruskal.random_prime", lambda *a, **k: next(primes))
    out = kruskal_rank(A)
    assert out.k_rank == 2 and out.primes == [q, 1000003] and out.prime == 1000003
    assert check(kruskal_certificate(out, A).to_dict()).ok


def test_budget_reports_a_proved_interval():
    A = np.random.default_rng(0).integers(-50, 51, (8, 16))
    res = kruskal_rank(A, max_subsets=2000)
    assert res.status == "unknown" and res.reason == "budget" and res.n_checked <= 2000
    assert 1 <= res.lower < res.upper == 8
    full = kruskal_rank(A)
    assert full.k_rank == 8 and res.lower <= full.k_rank <= res.upper


def test_timeout_schedule_agrees_with_one_call():
    A = np.random.default_rng(1).integers(-50, 51, (7, 14))
    assert kruskal_rank(A, timeout=30).k_rank == kruskal_rank(A).k_rank == 7


def test_k_max_gives_a_lower_bound_and_the_rank_bounds_above():
    A = np.random.default_rng(2).integers(-9, 10, (5, 9))
    res = kruskal_rank(A, k_max=3)
    assert res.lower == 3 and res.upper == 5 and res.status == "unknown"


def test_flint_reference_agrees_with_the_kernel():
    A = planted(3, 5, 9, 4)
    p = 1000003
    k, w, n, ok = flint_kruskal_rank(A, p, 9)
    res = kruskal_search(A, p)
    assert ok and k == res.k_lower and tuple(w) == res.witness


def test_large_prime_field_uses_the_reference_enumeration():
    p = (1 << 61) - 1
    A = [[1, 0, 1], [0, 1, p + 1]]
    res = kruskal_rank(A, f"GF({p})")
    assert res.k_rank == 2 and check(kruskal_certificate(res, A).to_dict()).ok


def test_generic_matrices_reach_min_shape():
    res, A = generic_kruskal_rank(4, 7)
    assert res.status == "proved" and res.k_rank == 4 and brute_krank(A) == 4
    assert check(kruskal_certificate(res, A).to_dict()).ok


@pytest.mark.parametrize("bad, err", [
    (np.zeros((0, 3), dtype=np.int64), ShapeError),
    (np.array([[1.0, 2.0]]), NotExactError),
    ([[1, float("nan")]], NotExactError),
])
def test_bad_matrices_are_refused(bad, err):
    with pytest.raises(err):
        kruskal_rank(bad)


def test_budget_too_small_to_start():
    with pytest.raises(BudgetError):
        kruskal_rank(np.eye(4, dtype=np.int64), max_subsets=2)
    with pytest.raises(BudgetError):
        kruskal_rank(np.eye(4, dtype=np.int64), max_subsets=0)


def test_wrapper_refuses_big_or_composite_moduli():
    with pytest.raises(FieldError):
        kruskal_search(np.eye(2, dtype=np.int64), 2**31 + 11)
    with pytest.raises(FieldError):
        kruskal_search(np.eye(2, dtype=np.int64), 15)


# ------------------------------------------------------------------ checker rules
def _cert(A, steps, conclusion):
    return {"format": "tnverify-certificate", "version": 1, "claim": {},
            "objects": {"A": {"type": "matrix", "shape": list(np.shape(A)), "entries": np.asarray(A).tolist()}},
            "steps": steps, "conclusion": conclusion}


SUBJ = {"matrix": {"object": "A"}, "field": "Q"}


def test_checker_enumerates_and_rejects_an_overclaim():
    A = [[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    ok = _cert(A, [{"id": "s", "rule": "kruskal-rank-at-least", "matrix": {"object": "A"}, "k": 2,
                    "modulus": 1000003}], [{"fact": "kruskal-rank-at-least", "subject": SUBJ, "value": 2}])
    assert check(ok).status == "VERIFIED"
    bad = json.loads(json.dumps(ok))
    bad["steps"][0]["k"] = 3
    bad["conclusion"][0]["value"] = 3
    v = check(bad)
    assert v.status == "NOT VERIFIED" and "[0, 1, 2]" in v.message


def test_checker_rejects_a_wrong_kernel_vector_and_a_zero_vector():
    A = [[1, 0, 1], [0, 1, 1]]
    step = {"id": "s", "rule": "kruskal-rank-at-most", "matrix": {"object": "A"}, "k": 1, "subset": [0, 1],
            "kernel": [1, 1]}
    concl = [{"fact": "kruskal-rank-at-most", "subject": SUBJ, "value": 1}]
    assert check(_cert(A, [step], concl)).status == "NOT VERIFIED"
    step.update(kernel=[0, 0])
    assert check(_cert(A, [step], concl)).status == "NOT VERIFIED"


def test_checker_malformed_kruskal_steps():
    A = [[1, 0], [0, 1]]
    base = {"id": "s", "rule": "kruskal-rank-at-least", "matrix": {"object": "A"}, "k": 2, "modulus": 7}
    concl = [{"fact": "kruskal-rank-at-least", "subject": SUBJ, "value": 2}]
    assert check(_cert(A, [{**base, "hint": 1}], concl)).status == "MALFORMED"
    assert check(_cert(A, [{**base, "k": "x"}], concl)).status == "MALFORMED"
    wide = np.ones((2, 60), dtype=int).tolist()
    big = {**base, "k": 2}
    c = _cert(wide, [big], concl)
    assert check(c).status == "NOT VERIFIED"  # columns 0, 1 equal


# ------------------------------------------------------------------ corpus mutations (kruskal_*.json)
CERTS = __import__("pathlib").Path(__file__).parent / "certs"


def _obj(cert, ref):
    o = cert["objects"][ref["object"] if isinstance(ref, dict) else ref]
    if o["type"] == "matrix":
        return np.array([[parse_number(x) for x in row] for row in o["entries"]], dtype=object)
    return np.array([parse_number(x) for x in o["entries"]], dtype=object).reshape(o["shape"])


def _field_p(f):
    return int(f[3:-1]) if f.startswith("GF") else None


def _kruskal_sufficient(mats) -> bool:
    """Brute-force k-ranks satisfy the N-way Kruskal inequality, or (N = 3) the compound condition holds."""
    from tnverify.theory.uniqueness import compound2, khatri_rao

    R = mats[0].shape[1]
    ks = [brute_krank(M) for M in mats]
    if min(ks) >= 1 and sum(ks) >= 2 * R + len(mats) - 1:
        return True
    if len(mats) == 3 and R >= 2:
        for fr in range(3):
            x, y = [i for i in range(3) if i != fr]
            if sympy_rank(mats[fr].tolist()) == R:
                K = khatri_rao(compound2(mats[x]), compound2(mats[y]))
                if K.shape[0] >= K.shape[1] and sympy_rank(K.tolist()) == K.shape[1]:
                    return True
    return False


def fact_true(cert, fact) -> bool:
    """Independent truth (brute force, sympy) of a conclusion fact of a Kruskal-family certificate."""
    import math

    from tnverify.theory.uniqueness import veronese

    kind, subj, val = fact["fact"], fact["subject"], fact["value"]
    if kind.startswith("kruskal-rank") or kind.startswith("rank-at"):
        M = _obj(cert, subj["matrix"])
        p = _field_p(subj["field"])
        r = brute_krank(M, p) if kind.startswith("kruskal") else sympy_rank(M.tolist(), p)
        return r >= val if kind.endswith("at-least") else r <= val
    if kind in ("cp-unique", "cp-rank") and "factors" in subj:
        mats = [_obj(cert, r) for r in subj["factors"]]
        R = mats[0].shape[1]
        if _kruskal_sufficient(mats):
            unique = True
        else:  # with a factor of full column rank, Jiang-Sidiropoulos decide exactly (solved by sympy)
            full = [i for i, F in enumerate(mats) if sympy_rank(F.tolist()) == R]
            if len(mats) != 3 or not full:
                return False
            x, y = [i for i in range(3) if i != full[0]]
            unique = not rank_one_combination_exists(mats[x], mats[y])
        return (val is unique) if kind == "cp-unique" else (unique and val == R)
    if kind in ("cp-unique", "cp-rank-at-least", "cp-rank-at-most"):
        step = next(s for s in cert["steps"] if s.get("tensor") == subj["tensor"]["object"])
        mats = [_obj(cert, r) for r in step["factors"]]
        T = _obj(cert, subj["tensor"]["object"])
        letters = "abcdefgh"[: len(mats)]
        rebuilt = np.einsum(",".join(f"{c}r" for c in letters) + "->" + letters, *mats)
        R, exact = mats[0].shape[1], bool((rebuilt == T).all())
        if kind == "cp-rank-at-most":
            return exact and val >= R
        if kind == "cp-rank-at-least":
            return exact and _kruskal_sufficient(mats) and val <= R
        return exact and _kruskal_sufficient(mats) and val is True
    if kind == "generic-cp-unique":
        return val is True and any(_kruskal_sufficient([_obj(cert, r) for r in s["factors"]])
                                   for s in cert["steps"] if "factors" in s and s["rule"] != "pnn-identifiable")
    if kind in ("pnn-identifiable", "generic-pnn-identifiable"):
        if val is False:
            n, m, o, d = subj["inputs"], subj["width"], subj["outputs"], subj["degree"]
            return m * (n + o - 1) > o * math.comb(n + d - 1, d)
        step = next(s for s in cert["steps"] if s["rule"] == "pnn-identifiable")
        W, V = _obj(cert, step["weights"]), _obj(cert, step["coefficients"])
        if "inputs" in subj and (subj["inputs"], subj["width"], subj["outputs"], subj["degree"]) != (
                W.shape[0], W.shape[1], V.shape[0], step["degree"]):
            return False
        mats = [veronese(W, a).astype(object) for a in step["groups"]] + ([V] if V.shape[0] > 1 else [])
        if V.shape[0] == 1:
            if any(x == 0 for x in V[0]):
                return False
            mats[0] = mats[0] * V[0]
        return len(mats) >= 3 and _kruskal_sufficient(mats)
    raise AssertionError(f"no oracle for {kind}")


def _mutations(cert):
    for name, o in cert["objects"].items():
        if o["type"] == "matrix":
            cells = [(i, j) for i in range(len(o["entries"])) for j in range(len(o["entries"][0]))]
            for (i, j) in cells[:: max(1, len(cells) // 4)]:
                def f(d, name=name, i=i, j=j):
                    d["objects"][name]["entries"][i][j] = parse_number(d["objects"][name]["entries"][i][j]) + 1
                yield f
    for s, step in enumerate(cert["steps"]):
        for key in ("k", "rank", "inputs", "width", "outputs", "degree"):
            if isinstance(step.get(key), int):
                for delta in (-1, 1):
                    def f(d, s=s, key=key, delta=delta):
                        d["steps"][s][key] += delta
                    yield f
        if isinstance(step.get("k"), list):
            def f(d, s=s):
                d["steps"][s]["k"][0] += 1
            yield f
        if step["rule"] == "kruskal-rank-at-most" and "kernel" in step:
            def f(d, s=s):
                d["steps"][s]["kernel"][0] = parse_number(d["steps"][s]["kernel"][0]) + 1
            yield f
    for c, fact in enumerate(cert["conclusion"]):
        if isinstance(fact["value"], bool):
            def f(d, c=c):
                d["conclusion"][c]["value"] = not d["conclusion"][c]["value"]
            yield f
        else:
            for delta in (-1, 1):
                def f(d, c=c, delta=delta):
                    d["conclusion"][c]["value"] += delta
                yield f


@pytest.mark.parametrize("path", sorted((CERTS / "valid").glob("kruskal_*.json")), ids=lambda p: p.stem)
def test_corpus_mutations_are_rejected_or_still_true(path):
    import copy

    base = json.loads(path.read_text())
    assert all(fact_true(base, f) for f in base["conclusion"])
    n = 0
    for fn in _mutations(base):
        d = copy.deepcopy(base)
        fn(d)
        if check(d).status == "VERIFIED":
            assert all(fact_true(d, f) for f in d["conclusion"]), d
        n += 1
    assert n >= 5


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6), m=st.integers(1, 5), n=st.integers(1, 9),
       p=st.sampled_from([2, 3, 5, 7, 970_261, 2**31 - 1]))
def test_checker_subset_enumeration_matches_brute_force(seed, m, n, p):
    """The checker's two k-subset engines (Python, with its pairwise last level, and its own numba
    kernel) decide every k like a brute-force rank of every column subset, and any witness they
    return is dependent."""
    import flint

    from tnverify.checker import compiled, linalg

    rng = np.random.default_rng(seed)
    A = rng.integers(0, p, (m, n))
    if n > 1 and rng.random() < 0.5:  # plant a proportional pair, the case the last level hashes
        A[:, n - 1] = (A[:, 0] * int(rng.integers(1, p))) % p
    cols = [[int(A[i, c]) for i in range(m)] for c in range(n)]

    def independent(S):
        return flint.nmod_mat([[cols[c][i] for c in S] for i in range(m)], p).rank() == len(S)

    for k in range(1, min(m, n) + 1):
        truth = all(independent(S) for S in itertools.combinations(range(n), k))
        for bad in (linalg._first_dependent_python(cols, k, p), compiled.first_dependent(cols, k, p)):
            assert (bad is None) == truth
            if bad is not None:
                assert len(bad) <= k and list(bad) == sorted(set(bad)) and not independent(bad)


def test_the_search_stops_where_the_checker_could_not_certify_a_lower_bound():
    """The subsets of up to 3 of 600 columns are more than 2e7 (the checker counts all sizes together): the
    checker would refuse k >= 3, so the search proves k >= 2 and stops there, with a reason that says so;
    its certificate verifies."""
    from tnverify.checker.families.kruskal import MAX_KRANK_SUBSETS
    from tnverify.theory.kruskal import CHECKABLE_SUBSETS

    assert CHECKABLE_SUBSETS == MAX_KRANK_SUBSETS
    X = np.random.default_rng(0).integers(-10**6, 10**6, (3, 600))
    res = kruskal_rank(X)
    assert (res.status, res.lower) == ("unknown", 2) and "checker enumerates" in res.reason
    assert check(kruskal_certificate(res, X).to_dict()).ok
