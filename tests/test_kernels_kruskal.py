"""Tests of numba_kernels.kruskal: k-rank mod p against a brute force (itertools + flint)."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from flint import nmod_mat
from hypothesis import given, settings
from hypothesis import strategies as st

from numba_kernels._jit import BAD_INPUT, NOT_CONVERGED, OK
from numba_kernels.kruskal import (
    count_subsets,
    echelon_modp,
    kruskal_search,
    n_choose_k,
    rank_modp,
)

P_BIG = 2147483647  # 2**31 - 1, the largest admissible prime


# ------------------------------------------------------------------ reference implementation
def rank_p(A, cols, p):
    A = np.asarray(A)
    if A.shape[0] == 0 or len(cols) == 0:
        return 0
    return nmod_mat([[int(A[i, c]) for c in cols] for i in range(A.shape[0])], p).rank()


def dependent_p(A, cols, p):
    return rank_p(A, cols, p) < len(cols)


def brute_krank(A, p, k_max):
    """(k, first dependent subset of size k+1 in lexicographic order, or None), k <= k_max."""
    R = A.shape[1]
    for s in range(1, min(k_max, R) + 1):
        for S in itertools.combinations(range(R), s):
            if dependent_p(A, S, p):
                return s - 1, S
    return min(k_max, R), None


def run(A, p, k_max, start_k=0, max_subsets=-1):
    A = np.ascontiguousarray(np.asarray(A, dtype=np.int64) % p)
    k, w, n, st_ = kruskal_search(A, np.int64(p), np.int64(k_max), np.int64(start_k),
                                  np.int64(max_subsets))
    return int(k), tuple(int(x) for x in w), int(n), int(st_)


def check_against_brute(A, p, k_max, start_k=0):
    """Full contract of an unbudgeted call, compared with the brute force."""
    A = np.asarray(A, dtype=np.int64) % p
    R = A.shape[1]
    k, w, n, status = run(A, p, k_max, start_k)
    assert status == OK
    kb, Sb = brute_krank(A, p, k_max)
    km = min(k_max, R)
    sk = min(max(start_k, 0), km)
    assert k == max(sk, kb)
    if k < km:
        assert len(w) == k + 1 and list(w) == sorted(set(w)) and all(0 <= c < R for c in w)
        assert dependent_p(A, w, p)
        if sk <= kb:  # no lift: the lexicographically smallest dependent set of minimal size
            assert w == Sb
    else:
        assert w == ()
    assert 0 <= n <= count_subsets(R, km)
    return k, w, n


def planted(rng, I, R, n_dep, size, lo=-3, hi=3):
    """Random integer matrix with n_dep planted dependencies on ``size`` columns each."""
    A = rng.integers(lo, hi + 1, size=(I, R))
    for _ in range(n_dep):
        S = rng.choice(R, size=size, replace=False)
        coef = rng.integers(-2, 3, size=size - 1)
        A[:, S[-1]] = A[:, S[:-1]] @ coef
    return A


# ------------------------------------------------------------------ fixed cases
def test_tricky_e1_e2_sum_e3():
    A = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    for p in (2, 3, 101, P_BIG):
        k, w, n, st_ = run(A, p, 10)
        assert (k, w, st_) == (2, (0, 1, 2), OK)
        assert rank_modp(np.ascontiguousarray(A % p), p) == 3


def test_zero_column():
    A = np.array([[1, 0, 0, 2], [0, 1, 0, 3], [0, 0, 0, 5]])
    assert run(A, 101, 4)[:2] == (0, (2,))
    assert run(np.zeros((3, 2), np.int64), 7, 5)[:2] == (0, (0,))
    assert run(np.zeros((0, 3), np.int64), 7, 5)[:2] == (0, (0,))  # no rows: every column is 0
    assert run(np.zeros((3, 0), np.int64), 7, 5)[:2] == (0, ())  # no columns: k = R = 0


def test_parallel_columns():
    A = np.array([[1, 2, 0], [3, 4, 1], [5, 6, 7]])
    A[:, 2] = 5 * A[:, 0]
    assert run(A, 101, 3)[:2] == (1, (0, 2))


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_identity_full(n):
    E = np.eye(n, dtype=np.int64)
    k, w, cnt, st_ = run(E, 101, 100)
    assert (k, w, st_) == (n, (), OK)
    assert cnt == 2**n - 1 == count_subsets(n, n)
    assert run(E, 101, n - 1)[:2] == (n - 1, ())  # k_max below R: no witness


def test_rank_cap_wide_matrix():
    """I < R, generic: k = I, and any I+1 columns are dependent: witness {0..I}."""
    rng = np.random.default_rng(3)
    A = rng.integers(-50, 51, size=(3, 7))
    k, w, n, st_ = run(A, P_BIG, 7)
    assert (k, w, st_) == (3, (0, 1, 2, 3), OK)
    assert n == count_subsets(7, 3)
    # and the plain brute force agrees
    check_against_brute(A, P_BIG, 7)


def test_fano_like_mod2():
    """Over GF(2) the 7 nonzero vectors of F_2^3: every pair independent, 3 dependent."""
    cols = [c for c in itertools.product([0, 1], repeat=3) if any(c)]
    A = np.array(cols).T
    k, w, n, st_ = run(A, 2, 7)
    assert k == 2 and dependent_p(A, w, 2) and st_ == OK
    check_against_brute(A, 2, 7)


def test_dependent_mod_p_only():
    """[[1, 1], [0, p]] is independent over Q, dependent mod p: the witness is returned."""
    p = 101
    A = np.array([[1, 1], [0, p]])
    assert run(A, p, 2)[:2] == (1, (0, 1))
    assert run(A, 103, 2)[:2] == (2, ())


def test_bad_input():
    A = np.eye(3, dtype=np.int64)
    assert run(A, 101, 3)[3] == OK
    for p in (1, 0, 9, 100, 2**31 + 11, 2**32):
        res = kruskal_search(A, np.int64(p), np.int64(3), np.int64(0), np.int64(-1))
        assert res[3] == BAD_INPUT and res[0] == 0 and len(res[1]) == 0
    assert kruskal_search(A, np.int64(101), np.int64(-1), np.int64(0), np.int64(-1))[3] == BAD_INPUT
    B = A.copy()
    B[0, 0] = 101  # not reduced
    assert kruskal_search(B, np.int64(101), np.int64(3), np.int64(0), np.int64(-1))[3] == BAD_INPUT
    B[0, 0] = -1
    assert kruskal_search(B, np.int64(101), np.int64(3), np.int64(0), np.int64(-1))[3] == BAD_INPUT


def test_binomials():
    for n in range(0, 40):
        for k in range(-1, n + 2):
            assert n_choose_k(n, k) == (math.comb(n, k) if 0 <= k <= n else 0)
    assert count_subsets(24, 12) == sum(math.comb(24, j) for j in range(1, 13)) == 9740685
    assert count_subsets(5, 99) == 31
    assert n_choose_k(200, 100) == 2**62  # saturated
    assert count_subsets(200, 100) == 2**62


def test_echelon_and_rank():
    rng = np.random.default_rng(4)
    for _ in range(20):
        p = int(rng.choice([2, 5, 101, P_BIG]))
        I, R = (int(x) for x in rng.integers(1, 9, size=2))
        A = planted(rng, I, R, 2, min(R, 2)) % p if R >= 2 else rng.integers(0, p, (I, R))
        A = np.ascontiguousarray(A, dtype=np.int64)
        r, E = echelon_modp(A, p)
        assert r == rank_modp(A, p) == rank_p(A, range(R), p)
        assert E.shape == (r, R) and E.flags.c_contiguous
        if r:  # same row space: stacking adds no rank
            assert rank_p(np.vstack([A, E]), range(R), p) == r == rank_p(E, range(R), p)


# ------------------------------------------------------------------ budget
def test_budget_not_converged_proves_levels():
    rng = np.random.default_rng(11)
    A = rng.integers(-100, 101, size=(6, 14))  # generic: k = 6
    R = 14
    full = count_subsets(R, 6)
    k, w, n, st_ = run(A, P_BIG, 14)
    assert (k, w, st_, n) == (6, tuple(range(7)), OK, full)
    for L in range(0, 6):
        for budget in (count_subsets(R, L), count_subsets(R, L + 1) - 1):
            k, w, n, st_ = run(A, P_BIG, 14, 0, budget)
            assert (k, w, st_) == (L, (), NOT_CONVERGED)
            assert n <= budget
            # the bound is proved: every L-subset is independent (spot check + brute for L<=3)
            if L <= 3:
                assert all(not dependent_p(A % P_BIG, S, P_BIG)
                           for S in itertools.combinations(range(R), L))
    k, w, n, st_ = run(A, P_BIG, 14, 0, full)
    assert (k, st_) == (6, OK) and n == full
    # a caller-known bound and no budget to improve it
    assert run(A, P_BIG, 14, 4, count_subsets(R, 5) - 1)[::3] == (4, NOT_CONVERGED)


def test_budget_finds_small_dependency_exactly():
    rng = np.random.default_rng(12)
    A = planted(rng, 8, 16, 1, 3, -20, 20)
    kb, Sb = brute_krank(A % P_BIG, P_BIG, 16)
    assert kb == 2
    k, w, n, st_ = run(A, P_BIG, 16, 0, count_subsets(16, 4))
    assert (k, w, st_) == (2, Sb, OK)
    assert n <= count_subsets(16, 4)


# ------------------------------------------------------------------ start_k
def test_start_k_lift_and_consistency():
    rng = np.random.default_rng(5)
    A = rng.integers(-9, 10, size=(5, 9))
    A[:, 4] = 0
    # a caller lower bound "2" (not true mod p here): the zero column is padded to 3 columns
    k, w, n, st_ = run(A, 101, 9, 2)
    assert (k, st_) == (2, OK) and len(w) == 3 and 4 in w and dependent_p(A % 101, w, 101)
    # start_k >= rank mod p: nothing to search
    B = rng.integers(-9, 10, size=(2, 5))
    assert run(B, P_BIG, 5, 3) == (3, (0, 1, 2, 3), 0, OK)
    assert run(B, P_BIG, 3, 3) == (3, (), 0, OK)
    # a true lower bound does not change the answer nor the witness
    C = planted(rng, 6, 10, 2, 4, -9, 9)
    ref = run(C, P_BIG, 10)
    for sk in range(0, ref[0] + 1):
        assert run(C, P_BIG, 10, sk)[:2] == ref[:2]


# ------------------------------------------------------------------ random / planted
@pytest.mark.parametrize("seed", range(12))
def test_planted_against_brute(seed):
    rng = np.random.default_rng(100 + seed)
    I = int(rng.integers(2, 7))
    R = int(rng.integers(4, 12))
    size = int(rng.integers(2, min(I, R) + 2))
    A = planted(rng, I, R, int(rng.integers(0, 3)), size)
    for p in (3, 101, P_BIG):
        check_against_brute(A, p, R)
        check_against_brute(A, p, int(rng.integers(0, R + 1)))


def test_large_residues_no_overflow():
    """Entries near p = 2**31 - 1 with dependencies planted mod p."""
    rng = np.random.default_rng(7)
    p = P_BIG
    A = rng.integers(p - 1000, p, size=(6, 11)).astype(object)
    A[:, 9] = (A[:, 1] * (p - 2) + A[:, 5] * (p - 3) + A[:, 7] * 12345) % p
    A[:, 10] = (A[:, 0] * (p - 1) + A[:, 3] * (p - 7)) % p
    A = np.array(A, dtype=np.int64)
    k, w, _ = check_against_brute(A, p, 11)
    assert (k, w) == (2, (0, 3, 10))


def test_parallel_path_deterministic():
    """R > 3 uses the task queue; k and witness must not depend on thread timing."""
    rng = np.random.default_rng(21)
    A = planted(rng, 9, 18, 4, 6, -30, 30)
    A = A % P_BIG
    res = {run(A, P_BIG, 18)[:2] for _ in range(15)}
    assert len(res) == 1
    k, w = res.pop()
    # brute-force check of the minimal size only where it is cheap: all sets of size <= k are
    # independent (checked by flint on a sample) and w is dependent of size k + 1
    assert dependent_p(A, w, P_BIG) and len(w) == k + 1
    first = next(S for S in itertools.combinations(range(18), k + 1) if dependent_p(A, S, P_BIG))
    assert w == first
    for S in itertools.islice(itertools.combinations(range(18), k), 3000):
        assert not dependent_p(A, S, P_BIG)


def test_generic_medium_full_count():
    rng = np.random.default_rng(8)
    A = rng.integers(-100, 101, size=(7, 16))
    k, w, n, st_ = run(A, P_BIG, 16)
    assert (k, w, st_) == (7, tuple(range(8)), OK)
    assert n == count_subsets(16, 7)
    # tall: the echelon reduction leaves 7 rows, same answer
    T = np.vstack([A, A[:3] * 2 + A[3:6]])
    assert run(T, P_BIG, 16)[:3] == (k, w, n)


def _krank_two_rows(A, p):
    """Reference for 2 x R matrices (k-rank <= 2): zero columns, then parallel pairs."""
    R = A.shape[1]
    zero = [c for c in range(R) if not A[:, c].any()]
    if zero:
        return 0, (zero[0],)
    first, best = {}, None
    for j in range(R):
        v = [int(x) for x in A[:, j]]
        inv = pow(next(x for x in v if x), -1, p)
        key = tuple(x * inv % p for x in v)
        if key in first:
            best = min(best or (R, R), (first[key], j))
        else:
            first[key] = j
    return (1, best) if best else (2, (0, 1, 2))


@pytest.mark.parametrize("R", [49, 60, 601, 650])
def test_wide_task_layouts(R):
    """R > 48 uses 2-column task prefixes, R > 600 single columns."""
    rng = np.random.default_rng(R)
    for trial in range(4):
        p = (101, 1009, P_BIG, P_BIG)[trial]
        A = rng.integers(0, p, size=(2, R))
        if trial == 1:
            A[:, R - 1] = 0
        if trial == 2:
            A[:, R - 2] = A[:, R - 5] * 3 % p
            A[:, 300 % R] = A[:, 200 % R] * 5 % p
        k, w, n, st_ = run(A, p, 4)
        assert st_ == OK and (k, w) == _krank_two_rows(A, p)
    # 4 rows, random residues mod 2**31-1: an accidental dependency among <= 3 columns has
    # probability < C(R, 3) / p**2 < 1e-10, so the planted triple is the answer
    A = rng.integers(0, P_BIG, size=(4, R))
    A[:, R - 1] = (A[:, 7] + 5 * A[:, R - 3]) % P_BIG
    assert run(A, P_BIG, 3)[:2] == (2, (7, R - 3, R - 1))
    assert run(A, P_BIG, 3, 0, count_subsets(R, 2))[::3] == (2, NOT_CONVERGED)


# ------------------------------------------------------------------ hypothesis
@st.composite
def small_matrices(draw):
    I = draw(st.integers(0, 4))
    R = draw(st.integers(0, 7))
    p = draw(st.sampled_from([2, 3, 5, 7, 101, P_BIG]))
    vals = draw(st.lists(st.integers(-2, 2), min_size=I * R, max_size=I * R))
    A = np.array(vals, dtype=np.int64).reshape(I, R) % p
    k_max = draw(st.integers(0, 8))
    start_k = draw(st.integers(-1, 4))
    return A, p, k_max, start_k


@settings(deadline=None)
@given(small_matrices())
def test_hypothesis_against_brute(case):
    A, p, k_max, start_k = case
    check_against_brute(A, p, k_max, start_k)


@settings(deadline=None)
@given(small_matrices(), st.integers(0, 40))
def test_hypothesis_budget_sound(case, budget):
    A, p, k_max, _ = case
    R = A.shape[1]
    k, w, n, status = run(A, p, k_max, 0, budget)
    kb, _ = brute_krank(A, p, k_max)
    assert n <= budget
    if status == OK:
        assert k == kb
    else:
        assert status == NOT_CONVERGED and w == () and k <= kb and k < min(k_max, R)
        assert count_subsets(R, k + 1) > budget  # the next level did not fit
