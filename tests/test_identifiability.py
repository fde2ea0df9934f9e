"""Generic identifiability beyond Kruskal (COV criterion) and the Domanov-De Lathauwer condition.

The ranks the prover certifies mod p are compared with independent float computations (SVD of
the block matrix that defines the contact condition, built here from its definition) and with
sympy; the statuses with formats whose identifiability is known from the literature.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy

from tnverify.checker import check
from tnverify.errors import InputError
from tnverify.theory.cov import cov_identifiability, criteria_ranges, cov_max_rank
from tnverify.theory.domanov import compound
from tnverify.theory.uniqueness import factors_uniqueness, generic_uniqueness


def _rank_one(vecs):
    out = vecs[0]
    for v in vecs[1:]:
        out = np.multiply.outer(out, v)
    return out.ravel()


def _contact_kernel_dim(dims, r, seed=0):
    """dim {v : H_kj v in span(J)} at term 0, from the definition, by float SVD (independent of the prover)."""
    rng = np.random.default_rng(seed)
    A = [rng.standard_normal((n, r)) for n in dims]
    d = len(dims)
    cols = []
    for i in range(r):
        for k in range(d):
            for j in range(dims[k]):
                vecs = [A[t][:, i] for t in range(d)]
                vecs[k] = np.eye(dims[k])[j]
                cols.append(_rank_one(vecs))
    Jm = np.array(cols).T
    rJ = np.linalg.matrix_rank(Jm)
    blocks = []
    for k in range(d):  # H_kj v for v = (v^1..v^d): column (k', c)
        for j in range(dims[k]):
            H = []
            for k2 in range(d):
                for c in range(dims[k2]):
                    if k2 == k:
                        H.append(np.zeros(math.prod(dims)))
                        continue
                    vecs = [A[t][:, 0] for t in range(d)]
                    vecs[k], vecs[k2] = np.eye(dims[k])[j], np.eye(dims[k2])[c]
                    H.append(_rank_one(vecs))
            blocks.append(np.array(H).T)
    S, nb = sum(dims), len(blocks)
    B = np.zeros((nb * math.prod(dims), S + nb * Jm.shape[1]))
    for b, H in enumerate(blocks):
        rows = slice(b * math.prod(dims), (b + 1) * math.prod(dims))
        B[rows, :S] = H
        B[rows, S + b * Jm.shape[1]:S + (b + 1) * Jm.shape[1]] = -Jm
    kernel = B.shape[1] - np.linalg.matrix_rank(B)
    return rJ, kernel - nb * (Jm.shape[1] - rJ)


@pytest.mark.parametrize("dims, r, identifiable", [
    ([3, 3, 3], 3, True), ([4, 4, 4], 5, True), ([2, 2, 2, 2], 2, True), ([3, 3, 4], 4, True),
    ([4, 4, 4], 6, False), ([2, 2, 2, 2, 2], 5, False),
])
def test_contact_kernel_matches_an_independent_float_computation(dims, r, identifiable):
    rJ, kdim = _contact_kernel_dim(dims, r)
    s = sum(dims) - len(dims) + 1
    assert rJ == r * s  # not defective
    assert (kdim == len(dims)) == identifiable  # d scaling directions only, or a positive-dimensional contact locus
    res = cov_identifiability(dims, r)
    assert res.status == ("proved" if identifiable else "unknown")
    if identifiable:
        assert check(res.certificate.to_dict()).ok


@pytest.mark.parametrize("dims, r, status", [
    ([6, 6, 6], 13, "proved"), ([5, 5, 3], 6, "proved"), ([4, 4, 4, 4], 7, "proved"),
    ([6, 6, 3], 8, "unknown"),  # weakly defective (COV's exceptions)
    ([4, 4, 3], 5, "refuted"),  # defective (Abo-Ottaviani-Peterson): dim sigma_5 <= 44 < 45 by equations
    ([3, 4, 5], 6, "unknown"),  # perfect: identifiable (HOOS), not decided here
    ([3, 3, 3], 4, "refuted"), ([3, 3, 7], 7, "refuted"),
    # unbalanced formats beyond (n_1 - 1)(n_2 - 1) + 1: not generically identifiable, never "proved"
    ([3, 3, 6], 5, "unknown"), ([3, 4, 8], 7, "unknown"),
    ([2, 2, 3, 3], 5, "refuted"),  # defective (P1 x P1 x Pn x Pn at r = 2n + 1): two 6 x 6 flattenings
])
def test_known_formats(dims, r, status):
    res = cov_identifiability(dims, r)
    assert res.status == status
    if status != "unknown":
        assert check(res.certificate.to_dict()).ok
    if status == "refuted" and res.detail.startswith("r s"):  # the count, checked here by hand
        assert r * (sum(dims) - len(dims) + 1) > math.prod(dims)


def test_jacobian_rank_of_the_certificate_point_matches_sympy():
    res = cov_identifiability([2, 2, 3], 1)
    step = res.certificate.to_dict()["steps"][0]
    p, A = step["modulus"], [np.array(M) for M in step["point"]]
    cols = []
    for k in range(3):
        for j in range(A[k].shape[0]):
            vecs = [A[t][:, 0] for t in range(3)]
            vecs[k] = np.eye(A[k].shape[0], dtype=np.int64)[j]
            cols.append(_rank_one(vecs).tolist())
    assert sympy.Matrix(cols).T.rank() == sum([2, 2, 3]) - 3 + 1 == len(step["jacobian_minor"]["rows"])
    assert p > 2


def test_tampered_point_is_rejected():
    d = cov_identifiability([3, 3, 3], 3).certificate.to_dict()
    d["steps"][0]["point"][0][0][0] += 1  # the annihilator no longer matches the point
    assert check(d).status == "NOT VERIFIED"


def test_compound_matches_sympy_minors():
    A = np.array([[1, 2, 0, 3], [4, -1, 2, 2], [0, 5, 1, -2], [3, 3, 3, 1]], dtype=object)
    C3 = compound(A, 3)
    M = sympy.Matrix(A.tolist())
    for a, rows in enumerate(itertools.combinations(range(4), 3)):
        for b, cols in enumerate(itertools.combinations(range(4), 3)):
            assert C3[a, b] == M.extract(list(rows), list(cols)).det()


def test_domanov_reaches_beyond_kruskal_and_compound():
    rng = np.random.default_rng(5)
    Fs = [rng.integers(-20, 21, (n, 8)) for n in (5, 5, 7)]
    res = factors_uniqueness(Fs, seed=1)
    assert res.status == "proved" and res.values["criterion"] == "Domanov-De Lathauwer"
    assert sum(res.values["k_ranks"]) < 2 * 8 + 2  # Kruskal fails
    assert check(res.certificate.to_dict()).ok
    # a repeated column in A: two columns of A and of C_m(A) coincide, the condition fails
    Fs[0][:, 1] = Fs[0][:, 0]
    assert factors_uniqueness(Fs, seed=1).status == "unknown"


def test_ranges_table():
    rows = dict((c, r) for c, r, _ in criteria_ranges([6, 6, 6]))
    assert rows["Kruskal / Sidiropoulos-Bro"] == "R <= 8"  # 3 min(6, R) >= 2R + 2
    assert rows["Chiantini-Ottaviani-Vannieuwenhoven"].endswith("proves r = 13")
    assert rows["parameter count (not identifiable)"] == "r >= 14" and cov_max_rank([6, 6, 6]) == 13


@pytest.mark.parametrize("dims, r, words", [
    ([3, 1, 3], 2, "at least 2"), ([3, 0, 3], 2, "at least 2"), ([3, 3], 2, "at least 3 modes"),
    ([2, 2, 2], 9, "at most the ambient dimension 8"), ([2, 2, 2], 0, "rank >= 1"),
])
def test_bad_formats_are_input_errors(dims, r, words):
    with pytest.raises(InputError, match=words):
        cov_identifiability(dims, r)
    with pytest.raises(InputError):
        generic_uniqueness(dims, r)
