"""Generic ranks and dimensions: values from definitions, certificates through the checker."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from tnverify.theory import terracini as G
from tnverify.theory import jacobian as J
from tnverify.checker import check
from tnverify.numeric.modp import pick_prime, rank_profile
from tnverify.theorems.runner import run_instance

from tests.test_defects import _net_jacobian_rank

ROOT = Path(__file__).parent.parent / "proofs_checks"
FOLDERS = ["strassen_1983", "alexander_hirschowitz_1995", "abo_ottaviani_peterson_2009",
           "kileel_trager_bruna_2019", "finkel_2024", "usevich_2025"]


@pytest.mark.parametrize("blocks, R", [([(3, 1), (3, 1), (3, 1)], 4), ([(2, 1), (2, 1), (4, 1)], 3),
                                       ([(2, 1), (3, 2)], 3), ([(4, 1), (2, 1), (2, 1), (2, 1)], 5)])
def test_schur_rank_equals_plain_rank(blocks, R):
    spec = J.partial_spec(blocks, R)
    p = pick_prime(1)
    pt = J.random_parameters(spec, p, 2)
    r, rows, cols = G.jacobian_rank(spec, p, pt)
    M = J.build(spec, p, pt).matrix
    assert r == rank_profile(M, p).rank
    assert rank_profile(M[np.ix_(rows, cols)], p).rank == r  # the witness minor of the full Jacobian


def test_quadric_secants_by_formula():
    # rank <= R symmetric n x n matrices: dimension R n - R (R - 1) / 2 (classical)
    for n in (3, 4):
        for R in range(1, n):
            res = G.secant_dimension(symmetric=(n, 2), rank=R)
            assert res.lower == R * n - R * (R - 1) // 2


def test_3x3x3_and_certificate():
    r = G.generic_rank([3, 3, 3])
    assert (r.generic_rank, r.status, r.expected) == (5, "proved", 4)
    assert check(r.certificate.to_dict()).ok


def test_tampered_certificates_fail():
    cert = G.secant_dimension([3, 3, 3], 4).certificate.to_dict()
    bad = copy.deepcopy(cert)
    step = next(s for s in bad["steps"] if s["rule"] == "jacobian-rank-at-least")
    step["rank"] += 1
    step["minor"]["rows"].append(26 if 26 not in step["minor"]["rows"] else 0)
    step["minor"]["cols"].append(max(step["minor"]["cols"]) + 1)
    assert check(bad).status in ("NOT VERIFIED", "MALFORMED")
    bad = copy.deepcopy(cert)
    bad["conclusion"].append({"fact": "dim", "subject": bad["conclusion"][0]["subject"], "value": 27})
    assert check(bad).status == "NOT VERIFIED"


def test_neurovariety_values_and_identifiability():
    assert G.neurovariety([2, 1, 2, 2], 2).dim == 3
    d = G.deep_identifiability([2, 2, 2], 3)
    assert d["identifiable"] is True and d["lower"] == 6



@pytest.mark.parametrize("widths, dim", [((3, 4, 2, 1), 11), ((3, 3, 4, 2, 1), 17), ((4, 3, 4, 2, 1), 20)])
def test_last_hidden_width_two_is_a_product_and_sympy_agrees(widths, dim):
    """a_1 z_1^2 + a_2 z_2^2 = w_1 w_2: dim <= dim(pairs) - 1 meets the Jacobian; for (3, 4, 2, 1)
    sympy's exact Jacobian rank at random points (tnverify-free) reaches the proved bound and no more."""
    r = G.neurovariety(list(widths), 2)
    assert (r.status, r.lower, r.upper) == ("proved", dim, dim) and r.upper_source.startswith("product")
    if len(widths) == 4:
        assert max(_net_jacobian_rank(widths, 2, s) for s in range(2)) == dim
    assert check(r.certificate.to_dict()).status == "VERIFIED"


def test_unknown_is_reported_with_both_bounds():
    r = G.neurovariety([4, 5, 3, 1], 2)  # no split, suffix, product, symmetry or equation closes the gap
    assert (r.status, r.lower, r.upper) == ("unknown", 26, 27)
    assert check(r.certificate.to_dict()).status == "VERIFIED"  # both bounds are proved


@pytest.mark.parametrize("widths, dim, method", [((3, 5, 2, 1), 19, "split"), ((3, 3, 5, 2), 25, "suffix"),
                                                 ((4, 3, 5, 2), 28, "suffix")])
def test_secant_equations_of_a_part_settle_deep_networks(widths, dim, method):
    """(3, 5, 2) with t^3 is a defective Segre-Veronese secant (19, not 20, by its equations);
    a deep network that contains it as its head (split) or its tail (suffix) inherits the defect,
    and the checker derives the part's bound in the same certificate."""
    r = G.neurovariety(list(widths), 3)
    assert (r.status, r.lower, r.upper) == ("proved", dim, dim) and r.upper_source.startswith(method)
    d = r.certificate.to_dict()
    assert any(s["rule"] == "neurovariety-as-secant" for s in d["steps"])
    assert check(d).status == "VERIFIED"
    d["steps"] = [s for s in d["steps"] if s["rule"] != "neurovariety-as-secant"]
    assert check(d).status == "NOT VERIFIED"  # without the part's equations the bound does not follow


def test_suffix_step_needs_the_tail_bound():
    base = G.neurovariety([3, 3, 5, 2], 3).certificate.to_dict()
    step = next(s for s in base["steps"] if s.get("method") == "suffix")
    d = copy.deepcopy(base)
    next(s for s in d["steps"] if s.get("method") == "suffix")["rank"] = step["rank"] - 1
    assert check(d).status == "NOT VERIFIED"
    d = copy.deepcopy(base)
    d["steps"].append({**step, "id": "x", "variety": {"format": "polynet", "widths": [3, 5], "degree": 3}})
    assert check(d).status == "MALFORMED"


def test_product_step_cannot_be_bent():
    base = G.neurovariety([3, 4, 2, 1], 2).certificate.to_dict()
    prod_step = next(s for s in base["steps"] if s.get("method") == "product")
    d = copy.deepcopy(base)
    next(s for s in d["steps"] if s.get("method") == "product")["rank"] = 10
    assert check(d).status == "NOT VERIFIED"  # needs dim-at-most 11 of (3, 4, 2), which is 12
    d = copy.deepcopy(base)
    d["steps"] = [s for s in d["steps"] if s.get("method") != "ambient" or s["variety"]["widths"] != [3, 4, 2]]
    assert check(d).status == "NOT VERIFIED"  # without the pairs' bound
    d = copy.deepcopy(base)
    d["steps"].append({**prod_step, "id": "x", "variety": {"format": "polynet", "widths": [3, 4, 3, 1], "degree": 2}})
    v = check(d)
    assert v.status == "NOT VERIFIED" and "last hidden width of 2" in v.message
    d = copy.deepcopy(base)  # one variety, one spelling: a count written as a string is refused
    next(s for s in d["steps"] if s.get("method") == "product")["variety"]["widths"] = [3, "4", 2, 1]
    assert check(d).status == "MALFORMED"


@pytest.mark.parametrize("path", sorted(p for f in FOLDERS for p in (ROOT / f).glob("*.toml")
                                        if "slow = true" not in p.read_text()), ids=lambda p: p.stem)
def test_instances(path):
    res = run_instance(path)
    assert res.passed, res.message


@pytest.mark.parametrize("blocks,R", [([[3, 2], [2, 1], [2, 3]], 2), ([[4, 1], [3, 1], [2, 1]], 3), ([[3, 4]], 2)])
def test_checker_partial_symmetric_jacobian_equals_sympy_derivatives(blocks, R):
    """The checker's tabled Jacobian of sum_r prod_k l_{k,r}^{d_k} equals sympy's derivatives, entry by entry."""
    import itertools
    import random

    import sympy

    from tnverify.checker.families.terracini import _partial_minor

    p = 1_000_003
    rnd = random.Random(7)
    syms = [[sympy.Symbol(f"L{k}_{t}_{r}") for t in range(n) for r in range(R)] for k, (n, _) in enumerate(blocks)]
    pt = [[rnd.randrange(p) for _ in range(n * R)] for n, _ in blocks]
    monos = [list(itertools.combinations_with_replacement(range(n), d)) for n, d in blocks]
    params = [s for block in syms for s in block]
    subs = {s: v for block, vals in zip(syms, pt) for s, v in zip(block, vals)}
    expected = []
    for a in itertools.product(*monos):
        entry = sum(sympy.Mul(*[syms[k][t * R + r] for k in range(len(blocks)) for t in a[k]]) for r in range(R))
        expected.append([int(sympy.diff(entry, x).subs(subs)) % p for x in params])
    rows, cols = list(range(len(expected))), list(range(len(params)))
    assert _partial_minor({"blocks": blocks, "rank": R}, pt, p, rows, cols) == expected
    sub_r, sub_c = rows[1::3], cols[::2]
    assert _partial_minor({"blocks": blocks, "rank": R}, pt, p, sub_r, sub_c) == [[expected[i][j] for j in sub_c] for i in sub_r]
