"""Exact core: ranks and witnesses against sympy, and against the definitions."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tnverify import exact
from tnverify.errors import FieldError, InputError, NotExactError, ShapeError
from tests.helpers import sympy_det, sympy_rank

ints = st.integers(-6, 6)
rats = st.one_of(ints, st.builds(Fraction, st.integers(-9, 9), st.integers(1, 5)))


@st.composite
def matrices(draw, entries=ints, max_dim=7):
    m = draw(st.integers(1, max_dim))
    n = draw(st.integers(1, max_dim))
    return [[draw(entries) for _ in range(n)] for _ in range(m)]


@st.composite
def low_rank(draw):
    """Products U V with small inner dimension: rank deficiency is the common case."""
    m, n, k = draw(st.integers(1, 8)), draw(st.integers(1, 8)), draw(st.integers(0, 4))
    U = np.array([[draw(ints) for _ in range(k)] for _ in range(m)], dtype=np.int64).reshape(m, k)
    V = np.array([[draw(ints) for _ in range(n)] for _ in range(k)], dtype=np.int64).reshape(k, n)
    return (U @ V).tolist()


def _check_witnesses(A, res, p=None):
    M = np.array(A, dtype=object)
    r = res.rank
    if r:
        minor = M[np.ix_(res.pivot_rows, res.pivot_cols)]
        d = sympy_det(minor.tolist())
        assert d != 0
        if p is not None:
            assert sympy_rank(minor.tolist(), p) == r
    if res.kernel is not None:
        for v in res.kernel:
            w = M.dot(np.array(v, dtype=object))
            assert all((x % p if p else x) == 0 for x in w)
        assert len(res.kernel) == M.shape[1] - r


@given(st.one_of(matrices(), low_rank()))
def test_rank_matches_sympy_and_witnesses_hold(A):
    res = exact.rank(A)
    assert res.rank == sympy_rank(A)
    assert res.status == "proved" and res.lower == res.upper == res.rank
    _check_witnesses(A, res)


@given(matrices(rats))
def test_rational_rank_matches_sympy(A):
    res = exact.rank(A)
    assert res.rank == sympy_rank(A)
    _check_witnesses(A, res)


@given(st.one_of(matrices(), low_rank()))
def test_rank_of_transpose(A):
    assert exact.rank(A).rank == exact.rank(np.array(A, dtype=object).T.tolist()).rank


@given(st.one_of(matrices(), low_rank()), st.sampled_from([2, 3, 5, 7, 101]))
def test_rank_over_gf_p(A, p):
    res = exact.rank(A, f"GF({p})")
    assert res.rank == sympy_rank(A, p)
    Ap = [[x % p for x in row] for row in A]
    _check_witnesses(Ap, res, p)


@pytest.mark.parametrize("method", ["modular", "probable"])
def test_large_deficient_upper_bound_methods(method):
    rng = np.random.default_rng(7)
    P = rng.integers(-50, 51, (60, 30)) @ rng.integers(-50, 51, (30, 70))
    res = exact.rank(P, upper=method, seed=3)
    assert res.rank == 30 == sympy_rank(P.tolist())
    assert res.upper_method == method
    if method == "modular":
        assert res.status == "proved"
        bits = sum(p.bit_length() - 1 for p in res.primes)
        assert bits >= exact.hadamard_log2(P, 31)[0]
    else:
        assert res.status == "probable" and 0 < res.failure_probability < 2.0**-60
        assert res.upper_proved == 60


def test_vandermonde_is_full_rank_where_floats_fail():
    """The reason tnverify exists: floating-point SVD misjudges the rank of an integer matrix."""
    V = np.vander(np.arange(1, 17)).astype(object)
    res = exact.rank(V)
    assert res.rank == 16 and res.status == "proved"
    assert sympy_rank(V.tolist()) == 16
    assert np.linalg.matrix_rank(np.vander(np.arange(1, 17)).astype(float)) < 16


def test_random_prime_is_prime_and_sized():
    rng = np.random.default_rng(0)
    ps = {exact.random_prime(rng) for _ in range(5)}
    assert len(ps) == 5
    assert all(exact.is_prime(p) and 2**61 <= p < 2**62 for p in ps)


@given(matrices(rats, max_dim=5))
def test_det_and_solve_against_sympy(A):
    n = min(len(A), len(A[0]))
    S = [row[:n] for row in A[:n]]
    d = exact.det(S)
    assert Fraction(d) == Fraction(int(sympy_det(S).numerator), int(sympy_det(S).denominator))
    if d != 0:
        b = [Fraction(i + 1) for i in range(n)]
        x = exact.solve(S, b)
        assert all(sum(Fraction(S[i][j]) * x[j] for j in range(n)) == b[i] for i in range(n))


@given(st.one_of(matrices(), low_rank()))
def test_nullspace_definition(A):
    K = exact.nullspace(A)
    M = np.array(A, dtype=object)
    assert len(K) == M.shape[1] - sympy_rank(A)
    for v in K:
        assert all(x == 0 for x in M.dot(np.array(v, dtype=object)))


def test_gf_p_det_solve_nullspace():
    A = [[1, 2], [3, 4]]
    assert exact.det(A, "GF(7)") == (1 * 4 - 2 * 3) % 7
    x = exact.solve(A, [1, 1], "GF(7)")
    assert [(A[i][0] * x[0] + A[i][1] * x[1]) % 7 for i in range(2)] == [1, 1]
    K = exact.nullspace([[1, 2], [2, 4]], "GF(5)")
    assert len(K) == 1 and (K[0][0] + 2 * K[0][1]) % 5 == 0


def test_solve_over_z():
    assert list(exact.solve([[2, 0], [0, 3]], [4, 9], "Z")) == [2, 3]
    with pytest.raises(InputError, match="no integer solution"):
        exact.solve([[2, 0], [0, 3]], [1, 1], "Z")
    with pytest.raises(InputError, match="inconsistent"):
        exact.solve([[1, 1], [1, 1]], [0, 1])


@pytest.mark.parametrize(
    "spec, err",
    [("GF(8)", FieldError), ("GF(1)", FieldError), ("R", FieldError), ("GF(x)", FieldError), (2**64 + 13, FieldError)],
)
def test_bad_fields(spec, err):
    with pytest.raises(err):
        exact.parse_field(spec)


@pytest.mark.parametrize(
    "data, err, words",
    [
        (np.array([[1.0, 2.0], [3.0, 4.0]]), NotExactError, "floating-point"),
        ([[1, float("nan")], [1, 2]], NotExactError, "NaN"),
        ([[1, 2], [3]], ShapeError, "rectangular"),
        ([], ShapeError, "nonempty"),
        ([[1, "x"], [1, 2]], NotExactError, "rational string"),
        ([[1, "1/0"], [1, 2]], NotExactError, "zero denominator"),
        ([[True, 1], [1, 2]], NotExactError, "boolean"),
    ],
)
def test_bad_matrices(data, err, words):
    with pytest.raises(err, match=words):
        exact.rank(data)


def test_rank_rejects_vectors_and_tensors():
    with pytest.raises(ShapeError, match="2-d"):
        exact.rank(np.zeros((2, 2, 2), dtype=np.int64))
