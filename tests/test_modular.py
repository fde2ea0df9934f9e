"""tnverify.numeric.modp: ranks mod p against sympy, witnesses, fallback, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tnverify.numeric import modp
from tnverify.errors import FieldError, NotExactError, ShapeError
from tnverify.exact import det
from tests.helpers import sympy_rank


@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 9), st.integers(0, 10**6))
def test_rank_matches_sympy_and_witness_is_nonsingular(m, n, k, seed):
    rng = np.random.default_rng(seed)
    k = min(k, m, n)
    A = rng.integers(-5, 6, (m, k)) @ rng.integers(-5, 6, (k, n)) if k else np.zeros((m, n), dtype=np.int64)
    p = 10007
    res = modp.rank_profile(A, p)
    assert res.rank == sympy_rank(A.tolist(), p)
    if res.rank:
        assert int(det(A[np.ix_(res.rows, res.cols)], f"GF({p})")) % p != 0


def test_large_prime_falls_back_to_flint():
    A = np.array([[1, 2], [3, 4]])
    res = modp.rank_profile(A, 2**61 - 1)
    assert res.engine == "flint" and res.rank == 2
    assert modp.rank_profile(A, 7).engine == "blas"


def test_object_and_negative_entries():
    A = np.array([[2**70, -1], [2**71, -2]], dtype=object)
    assert modp.rank(A, 101) == sympy_rank(A.tolist(), 101)


def test_matmul_mod_is_exact():
    p = 1048573
    rng = np.random.default_rng(0)
    A, B = rng.integers(0, p, (5, 20000)), rng.integers(0, p, (20000, 3))
    ref = (A.astype(object) @ B.astype(object)) % p
    assert (modp.matmul_mod(A, B, p) == ref.astype(np.int64)).all()


@pytest.mark.parametrize("bad, err", [(np.ones((2, 2)), NotExactError), (np.ones(3, dtype=np.int64), ShapeError)])
def test_bad_input(bad, err):
    with pytest.raises(err):
        modp.rank_profile(bad, 7)


def test_non_prime_refused():
    with pytest.raises(FieldError):
        modp.rank_profile(np.eye(2, dtype=np.int64), 91)
