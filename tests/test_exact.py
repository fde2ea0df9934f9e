"""Exact core: ranks and witnesses against sympy and the definitions; the number codec; fields."""
from __future__ import annotations

import json
from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy
from hypothesis import given, strategies as st

from tnverify import exact
from tnverify.errors import FieldError, InputError, NotExactError, ShapeError
from tnverify.numbers import MAX_DIGITS, enc, strict_json_loads, to_exact, to_fmpq
from tnverify.results import STATUSES, Bounds
from tests.helpers import parse_number, sympy_det, sympy_rank

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


def test_nonzero_minor_is_nonzero_and_maximal():
    A = [[1, 2, 3], [2, 4, 6], [1, 0, 1], [0, 2, 2]]
    rows, cols, p = exact.nonzero_minor(A)
    assert len(rows) == len(cols) == sympy_rank(A) == 2 and exact.is_prime(p)
    assert sympy_det([[A[i][j] for j in cols] for i in rows]) != 0


def test_an_unlucky_prime_restarts_with_the_next_seed_and_records_both():
    p0 = exact.rank([[1, 0], [0, 1]], seed=11).prime  # the lower-bound prime of seed 11
    res = exact.rank([[1, 0], [0, p0]], seed=11)  # rank 2 over Q, rank 1 mod p0
    assert res.rank == 2 and res.status == "proved"
    assert res.seeds == [11, 12] and res.seed == 12 and res.prime != p0


def test_rank_results_state_status_notion_field_and_seeds():
    d = exact.rank([[1, 2], [2, 4]], seed=3).to_dict()
    assert (d["status"], d["notion"], d["field"], d["seeds"], d["rank"]) == ("proved", "rank", "Q", [3], 1)
    assert d["status"] in STATUSES and json.loads(json.dumps(d)) == d
    assert exact.rank([[1, 2], [3, 4]], "GF(2)").to_dict()["field"] == "GF(2)"
    with pytest.raises(ValueError, match="status"):
        Bounds(lower=0, upper=1, status="likely", notion="rank", field="Q")
    with pytest.raises(ValueError, match="notion"):
        Bounds(lower=0, upper=1, status="proved", notion="tensor rank", field="Q")


# ---------------------------------------------------------------- the number codec
@given(rats | st.integers(-(2**80), 2**80))
def test_numbers_round_trip_through_json_strings_and_flint(x):
    x = to_exact(x)
    assert isinstance(x, int) or x.denominator != 1
    assert parse_number(json.loads(json.dumps(enc(x)))) == x  # the test suite's own reader
    assert to_exact(enc(x) if isinstance(enc(x), str) else str(x)) == x
    assert to_exact(to_fmpq(x)) == x and to_exact(flint.fmpq(x.numerator, x.denominator)) == x
    assert to_exact(sympy.Rational(x.numerator, x.denominator)) == x


def test_numbers_normalise_and_read_every_exact_type():
    assert to_exact(Fraction(6, 3)) == 2 and type(to_exact(Fraction(6, 3))) is int
    assert to_exact(" -6/8 ") == Fraction(-3, 4) and to_exact(np.int64(-5)) == -5
    assert to_exact(flint.fmpz(7)) == 7 and to_exact(sympy.Integer(9)) == 9
    assert enc(2**53 - 1) == 2**53 - 1 and enc(2**53) == str(2**53) and enc(Fraction(4, 2)) == 2


@pytest.mark.parametrize("x, words", [(1.0, "float"), (float("nan"), "NaN"), (True, "boolean"), ("3/", "rational"),
                                      ("/3", "rational"), ("1/0", "zero denominator"), ("0x10", "rational"),
                                      (sympy.Float(0.5), "Float")])
def test_to_exact_refuses_what_is_not_exact(x, words):
    with pytest.raises(NotExactError, match=words):
        to_exact(x)


def test_enc_refuses_strings_floats_and_booleans():
    for x in ("3", 0.5, True, np.float64(2.0)):
        with pytest.raises(NotExactError):
            enc(x)


def test_strict_json_refuses_floats_constants_and_overlong_integers_but_reads_long_ones():
    with pytest.raises(NotExactError, match="float"):
        strict_json_loads("[1, 2.0]")
    with pytest.raises(NotExactError, match="constant"):
        strict_json_loads("[NaN]")
    with pytest.raises(InputError, match="digits"):
        strict_json_loads("[" + "9" * (MAX_DIGITS + 1) + "]")
    big = 10**6000 + 1  # beyond Python's default int/str digit limit (str(big) would raise)
    text = enc(big)
    assert isinstance(text, str) and len(text) == 6001 and to_exact(text) == big
    assert strict_json_loads(json.dumps([text])) == [text] and strict_json_loads("[" + text + "]") == [big]


# ---------------------------------------------------------------- fields and arrays
def test_field_reduce_is_the_residue_map_and_checks_its_prime():
    F = exact.parse_field("GF(7)")
    M = exact.as_exact_array([[Fraction(1, 2), -1], [3, 10]])
    assert F.reduce(M).tolist() == [[4, 6], [3, 3]]  # 2 * 4 = 8 = 1 mod 7
    assert exact.Q.reduce(M) is M and str(F) == "GF(7)" and exact.parse_field(7) == F
    with pytest.raises(NotExactError, match="not invertible mod 7"):
        exact.reduce_mod(exact.as_exact_array([[Fraction(1, 14)]]), 7)
    for bad in (("GF", 8), ("GF", None), ("R", None), ("Q", 5)):
        with pytest.raises(FieldError):
            exact.Field(*bad)


def test_det_over_z_refuses_rationals_and_fractions_reduce_over_gf_p():
    with pytest.raises(NotExactError, match="over Z"):
        exact.det([[Fraction(1, 2), 0], [0, 1]], "Z")
    assert exact.det([[Fraction(1, 2), 0], [0, 1]], "GF(5)") == 3  # 1/2 = 3 mod 5
    assert exact.to_fmpq_mat(exact.as_exact_array([["1/2", 3]])).tolist() == [[flint.fmpq(1, 2), flint.fmpq(3)]]
