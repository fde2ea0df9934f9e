"""Exact elimination mod p (tnverify.numeric.pluq over the jitted numba_kernels.modp) against python-flint.

Every rank is compared with ``flint.nmod_mat(...).rank()``; every witness minor is rebuilt from
the input and its determinant recomputed by flint. Shapes are small but large enough
(> 2 * LEAF columns) to run the recursive BLAS path, and the inner-dimension chunking is forced
with a prime near P_MAX and a tiny GEMM scratch buffer.
"""
import numpy as np
import pytest

flint = pytest.importorskip("flint")

from tnverify.errors import FieldError, InputError, NotExactError, ShapeError  # noqa: E402
from tnverify.numeric import pluq  # noqa: E402

P20 = 1048573  # largest prime below 2**20: the fast path
P_BIG = 11863279  # a prime just below P_MAX: exact inner dimension only 64 -> chunked products
PRIMES = [2, 3, 101, 65521, P20, P_BIG]


def _flint(A, p):
    m, n = A.shape
    return flint.nmod_mat(m, n, [int(x) for x in A.ravel()], p)


def _flint_rank(A, p):
    if A.shape[0] == 0 or A.shape[1] == 0:
        return 0
    return _flint(A, p).rank()


def _mulmod(U, V, p):
    """Exact U @ V mod p through python ints (small shapes only)."""
    if U.shape[1] == 0:
        return np.zeros((U.shape[0], V.shape[1]), dtype=np.int64)
    return np.array((_flint(U, p) * _flint(V, p)).entries(), dtype=np.int64).reshape(
        U.shape[0], V.shape[1])


def _check_profile(A, p):
    r, rows, cols = pluq.pluq_rank_profile(A, p)
    assert r == _flint_rank(A, p)
    assert rows.dtype == np.int64 and cols.dtype == np.int64
    assert len(rows) == len(cols) == r
    assert len(set(rows.tolist())) == r and len(set(cols.tolist())) == r
    if r:
        assert 0 <= rows.min() and rows.max() < A.shape[0]
        assert 0 <= cols.min() and cols.max() < A.shape[1]
        assert _flint(np.ascontiguousarray(A[np.ix_(rows, cols)]), p).det() != 0
    return r


def _cases(rng, p):
    """(name, matrix) pairs: random, low rank, planted zeros, duplicates, sparse, odd shapes."""
    out = []
    for m, n in [(1, 1), (1, 90), (90, 1), (7, 5), (70, 70), (97, 130), (150, 66), (65, 200)]:
        out.append((f"rand{m}x{n}", rng.integers(0, p, (m, n))))
    for m, n, k in [(80, 90, 0), (80, 90, 1), (100, 120, 37), (130, 100, 64), (140, 140, 139)]:
        out.append((f"lowrank{m}x{n}r{k}",
                    _mulmod(rng.integers(0, p, (m, k)), rng.integers(0, p, (k, n)), p)))
    A = rng.integers(0, p, (110, 95))
    A[rng.random(110) < 0.3] = 0
    A[:, rng.random(95) < 0.3] = 0
    out.append(("zero_rows_cols", A))
    A = rng.integers(0, p, (100, 40))
    out.append(("dup_cols", A[:, rng.integers(0, 40, 120)]))
    out.append(("dup_rows", A[rng.integers(0, 100, 160)].T.copy()))
    out.append(("sparse", rng.integers(0, p, (120, 110)) * (rng.random((120, 110)) < 0.03)))
    out.append(("zero", np.zeros((40, 75), dtype=np.int64)))
    # forces a pivot swap at almost every step: a permuted (partial) identity with a dense tail
    P = np.zeros((100, 100), dtype=np.int64)
    P[rng.permutation(100)[:80], rng.permutation(100)[:80]] = 1
    P[:, 90:] = rng.integers(0, p, (100, 10))
    out.append(("perm_like", P))
    tri = np.triu(rng.integers(1, p, (96, 96)))
    out.append(("upper_tri_flipped", tri[::-1].copy()))
    return [(name, np.ascontiguousarray(A, dtype=np.int64)) for name, A in out]


@pytest.mark.parametrize("p", PRIMES)
def test_rank_profile_matches_flint(p):
    rng = np.random.default_rng(p)
    for name, A in _cases(rng, p):
        try:
            _check_profile(A, p)
        except AssertionError as exc:  # pragma: no cover - diagnostic
            raise AssertionError(f"case {name}, shape {A.shape}, p={p}") from exc


def test_random_shapes_and_ranks():
    rng = np.random.default_rng(12345)
    for trial in range(60):
        p = PRIMES[trial % len(PRIMES)]
        m, n = (int(x) for x in rng.integers(1, 110, 2))
        k = int(rng.integers(0, min(m, n) + 1))
        A = _mulmod(rng.integers(0, p, (m, k)), rng.integers(0, p, (k, n)), p)
        if trial % 3 == 0:
            A[:, rng.random(n) < 0.2] = 0
        r = _check_profile(A, p)
        assert r <= k


def test_chunked_products_and_small_buffer(monkeypatch):
    """Row-chunked GEMMs (tiny scratch buffer) and inner-dimension chunks (KC = 64)."""
    assert pluq.inner_bound(P_BIG) >= pluq.KC_MIN
    assert pluq.inner_bound(P_BIG) < 300  # so products with inner dimension > 300 get split
    monkeypatch.setattr(pluq, "BUF_ELEMS", 1000)
    rng = np.random.default_rng(7)
    for p in (P20, P_BIG):
        _check_profile(rng.integers(0, p, (330, 300)), p)
        _check_profile(_mulmod(rng.integers(0, p, (300, 250)), rng.integers(0, p, (250, 340)), p),
                       p)


def test_doc_example_empty_and_other_dtypes():
    A = np.array([[1, 2, 3], [2, 4, 6], [0, 1, 1]], dtype=np.int64)
    r, rows, cols = pluq.pluq_rank_profile(A, 7)
    assert (r, rows.tolist(), cols.tolist()) == (2, [0, 2], [0, 1])
    assert pluq.pluq_rank_profile(np.zeros((0, 5), dtype=np.int64), 7)[0] == 0
    assert pluq.pluq_rank_profile(np.zeros((5, 0), dtype=np.int64), 7)[0] == 0
    assert pluq.pluq_rank_profile(np.eye(3, dtype=np.int32), 5)[0] == 3  # other int dtypes accepted
    assert pluq.pluq_rank_profile(np.eye(3, dtype=np.int64), np.int64(7))[0] == 3


def test_bad_input():
    A = np.eye(3, dtype=np.int64)
    for p in (0, 1, 4, 91, 2**20, pluq.P_MAX + 1, 2**31 - 1, "x", 7.0, True, None):
        assert not pluq.is_admissible_prime(p)
        with pytest.raises(FieldError):
            pluq.pluq_rank_profile(A, p)
    assert pluq.is_admissible_prime(P20) and pluq.is_admissible_prime(2)
    assert pluq.is_admissible_prime(P_BIG) and flint.fmpz(P_BIG).is_prime()
    assert pluq.pluq_rank_profile(A * 6, 7)[0] == 3
    for bad in (A * 7, A * 8, -A):  # entries outside [0, p)
        with pytest.raises(InputError, match="residues"):
            pluq.pluq_rank_profile(bad, 7)
    with pytest.raises(NotExactError):
        pluq.pluq_rank_profile(A.astype(np.float64), 7)
    with pytest.raises(ShapeError):
        pluq.pluq_rank_profile(np.arange(3), 7)


def test_prime_bound_is_exact():
    """KC(p) (p-1)^2 + 2p <= 2^53 < (KC(p)+1) (p-1)^2 + 2p, and P_MAX is the last admitted p."""
    for p in (3, 101, P20, P_BIG, pluq.P_MAX):
        kc = pluq.inner_bound(p)
        assert kc * (p - 1) ** 2 + 2 * p <= 2**53 < (kc + 1) * (p - 1) ** 2 + 2 * p
    assert pluq.inner_bound(P20) >= 8192
    assert pluq.inner_bound(pluq.P_MAX) >= pluq.KC_MIN > pluq.inner_bound(pluq.P_MAX + 1)
    assert pluq.KC_MIN >= pluq.LEAF
