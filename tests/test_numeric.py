"""tnverify.numeric: validation, seeding, status messages, TensorLy interop, MTTKRP kernels (references: numpy)."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from numba_kernels.mttkrp import axpy_rows
from tnverify import numeric
from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.numeric.mttkrp import SERIAL_BELOW, axpy_mttkrp, fits_fused, fused_mttkrp, mttkrp_f64, run_rows


def _planted(shape=(4, 5, 6), R=2, seed=0):
    rng = np.random.default_rng(seed)
    F = [rng.standard_normal((n, R)) for n in shape]
    return np.einsum("ir,jr,kr->ijk", *F), F


def test_cp_als_fits_planted_and_unpacks():
    X, _ = _planted()
    res = numeric.cp_als(X, 2, n_iter_max=500, tol=1e-14, seed=0)
    weights, factors = res
    assert [f.shape for f in factors] == [(4, 2), (5, 2), (6, 2)]
    assert np.allclose(np.einsum("r,ir,jr,kr->ijk", weights, *factors), X, atol=1e-6)
    assert res.rel_error < 1e-6 and res.status == "converged"


def test_seed_makes_runs_reproducible_and_different_seeds_differ():
    X, _ = _planted(R=3)
    a = numeric.cp_als(X, 2, n_iter_max=3, tol=0, seed=5)
    b = numeric.cp_als(X, 2, n_iter_max=3, tol=0, seed=5)
    c = numeric.cp_als(X, 2, n_iter_max=3, tol=0, seed=6)
    assert np.array_equal(a.factors[0], b.factors[0])
    assert not np.allclose(a.factors[0], c.factors[0])


def test_init_pair_is_used_and_checked():
    X, F = _planted()
    res = numeric.cp_als(X, 2, n_iter_max=0, init=(np.ones(2), F))
    assert res.rel_error < 1e-12
    with pytest.raises(ShapeError):
        numeric.cp_als(X, 3, init=(np.ones(2), F))


def test_not_converged_is_reported():
    X, _ = _planted(R=3)
    res = numeric.cp_als(X, 3, n_iter_max=1, tol=1e-30, seed=0)
    assert res.status == "max iterations reached" and "n_iter_max" in res.message


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_rank_below_one_or_not_integer(bad):
    with pytest.raises(InputError, match="rank"):
        numeric.cp_als(np.ones((2, 2, 2)), bad)


def test_nan_and_inf_refused():
    X = np.ones((2, 2, 2))
    X[0, 1, 0] = np.inf
    with pytest.raises(InputError, match="NaN or Inf"):
        numeric.cp_als(X, 1)
    X[0, 1, 0] = np.nan
    with pytest.raises(InputError, match="NaN or Inf"):
        numeric.jennrich(X, 1)


def test_order_checks():
    with pytest.raises(ShapeError, match="order"):
        numeric.cp_als(np.ones(3), 1)
    with pytest.raises(ShapeError, match="order >= 3"):
        numeric.jennrich(np.ones((2, 2)), 1)


def test_jennrich_rank_above_min_ij_is_input_error():
    with pytest.raises(ShapeError, match=r"min\(I, J\)"):
        numeric.jennrich(np.ones((2, 3, 5)), 3)


def test_jennrich_recovers_planted_columns():
    X, F = _planted((5, 6, 4), R=3, seed=1)
    res = numeric.jennrich(X, 3, seed=0)
    cos = np.abs((F[0] / np.linalg.norm(F[0], axis=0)).T @ res.factors[0])
    assert np.allclose(np.sort(cos.max(axis=1)), 1.0, atol=1e-8)
    assert res.rel_error < 1e-8


def test_jennrich_singular_raises_numerical_error():
    X, _ = _planted((4, 4, 4), R=1)
    with pytest.raises(NumericalError, match="singular"):
        numeric.jennrich(X, 3, seed=0)


def test_hosvd_and_tt_exact_at_full_rank():
    X = np.random.default_rng(0).standard_normal((3, 4, 5))
    core, F, err = numeric.hosvd(X)
    assert err < 1e-12 and core.shape == (3, 4, 5)
    cores, err = numeric.tt_svd(X)
    assert err < 1e-12 and [c.shape[2] for c in cores] == [3, 5, 1]
    with pytest.raises(InputError):
        numeric.tt_svd(X, 0)


def test_whitening_and_power_method_on_orthogonal_tensor():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 3))
    M2 = A @ A.T
    W = numeric.whiten(M2, 3)
    assert np.allclose(W.T @ M2 @ W, np.eye(3))
    with pytest.raises(NumericalError):
        numeric.whiten(-M2, 3)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0][:, :2]
    T = np.einsum("j,ij,kj,lj->ikl", [3.0, 1.0], Q, Q, Q)
    lam, V, status = numeric.tensor_power_method(T, 2, seed=0)
    assert status == "converged" and np.allclose(lam, [3.0, 1.0])


def test_tensorly_roundtrip():
    tl = pytest.importorskip("tensorly")
    from tensorly.cp_tensor import CPTensor

    X, F = _planted()
    res = numeric.cp_als(X, 2, n_iter_max=0, init=CPTensor((np.ones(2), F)))
    cpt = res.to_tensorly()
    assert np.allclose(tl.cp_to_tensor(cpt), res.to_tensor())


def test_load_float_array_formats(tmp_path):
    X = np.arange(8.0).reshape(2, 2, 2) / 3
    np.save(tmp_path / "x.npy", X)
    (tmp_path / "x.json").write_text("[[[0.5, 1], [2, 3]], [[4, 5], [6, 7]]]")
    (tmp_path / "bad.json").write_text("[[NaN, 1]]")
    assert np.array_equal(numeric.load_float_array(tmp_path / "x.npy"), X)
    assert numeric.load_float_array(tmp_path / "x.json")[0, 0, 0] == 0.5
    with pytest.raises(InputError, match="NaN or Inf"):
        numeric.load_float_array(tmp_path / "bad.json")
    with pytest.raises(InputError):
        numeric.load_float_array(tmp_path / "missing.npy")


def test_facade_exports_the_public_api():
    for name in numeric.__all__:
        assert getattr(numeric, name) is not None, name
    assert numeric.power_method is numeric.tensor_power_method
    X = np.random.default_rng(1).standard_normal((3, 4, 5))
    a, b = numeric.st_hosvd(X, 2), numeric.hosvd(X, 2)
    assert all(np.array_equal(u, v) for u, v in zip(a[1], b[1])) and a[2] == b[2]


def test_power_method_rejects_bad_counts():
    T = np.ones((3, 3, 3))
    with pytest.raises(InputError, match="n_init"):
        numeric.power_method(T, 1, n_init=0)
    with pytest.raises(ShapeError):
        numeric.power_method(np.ones((3, 3, 2)), 1)


# ----------------------------------------------------------------------------- MTTKRP kernels


def _einsum_mttkrp(X, F, n):
    """M[i_n, r] = sum over the other indices of X * prod_{k != n} F_k[i_k, r] (numpy.einsum)."""
    letters = "abcdefgh"[:X.ndim]
    ops = [X] + [F[k] for k in range(X.ndim) if k != n]
    subs = [letters] + [letters[k] + "z" for k in range(X.ndim) if k != n]
    return np.einsum(",".join(subs) + "->" + letters[n] + "z", *ops, optimize=True)


# Row modes, trailing modes and ranks: odd sizes, every rank remainder mod 4, row counts that are
# not multiples of the 4-row tile, several tiles (the prefetch plan runs across them), order 2-4.
AXPY_CASES = [((7,), (67,), 1), ((3, 5), (65,), 2), ((9, 7), (33, 3), 3), ((2, 3, 5), (70,), 5),
              ((41, 13), (67,), 6), ((5, 3), (2, 101), 7), ((11,), (1031,), 9), ((3, 333), (131,), 4)]


@pytest.mark.parametrize("lead,trail,R", AXPY_CASES)
def test_axpy_rows_matches_einsum(lead, trail, R):
    rng = np.random.default_rng(sum(lead) + sum(trail) + R)
    X = rng.standard_normal(lead + trail)
    A = [rng.standard_normal((d, R)) for d in lead]
    T = int(np.prod(trail))
    X2 = X.reshape(-1, T)
    F = np.ascontiguousarray(np.vstack(A))
    off = np.concatenate([[0], np.cumsum(lead[:-1])]).astype(np.int64)
    rshape = np.array(lead, dtype=np.int64)
    letters = "abc"[:len(lead)]
    W = np.einsum(",".join(f"{c}z" for c in letters) + "->" + letters + "z", *A).reshape(-1, R)
    L = X2.shape[0]
    for lo, hi in ((0, L), (1, L - 2), (L // 3, L // 3 + 5)):
        ZT = np.zeros((R, T))
        axpy_rows(X2, lo, hi, rshape, F, off, ZT)
        np.testing.assert_allclose(ZT, W[lo:hi].T @ X2[lo:hi], rtol=1e-11, atol=1e-11)
    ZT = np.ones((R, T))
    axpy_rows(X2, 0, L, rshape, F, off, ZT)  # accumulates
    ref = np.einsum(letters + "t," + ",".join(f"{c}z" for c in letters) + "->zt", X.reshape(lead + (T,)), *A)
    np.testing.assert_allclose(ZT, 1.0 + ref, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("shape,R", [((5, 7, 67), 3), ((3, 4, 5, 66), 6), ((9, 130, 1), 5),
                                     ((4, 65, 3, 3), 9), ((101, 3, 70), 11), ((6, 4, 80), 2),
                                     ((3, 5, 7, 11), 10)])
def test_mttkrp_formulations_agree_with_einsum(shape, R, monkeypatch):
    """Weighted rows, row dot products and BLAS, as chosen with 32 and with 16 vector registers."""
    rng = np.random.default_rng(sum(shape) + R)
    X = rng.standard_normal(shape)
    F = [rng.standard_normal((s, R)) for s in shape]
    used = set()
    for n in range(len(shape)):
        ref = _einsum_mttkrp(X, F, n)
        axpy, dot = axpy_mttkrp(X, F, n, R), fused_mttkrp(X, F, n, R)
        rows = [int(np.prod(shape[c:])) for c in range(1, n + 1)]
        assert (axpy is None) == (not any(fits_fused(T, R, X.size) for T in rows))
        for name, M in (("axpy", axpy), ("dot", dot), ("blas", mttkrp_f64(X, F, n, R, fused=False))):
            if M is not None:
                used.add(name)
                np.testing.assert_allclose(M, ref, rtol=1e-11, atol=1e-11, err_msg=f"{name}, mode {n}")
        for wide in (True, False):
            monkeypatch.setattr(sys.modules[mttkrp_f64.__module__], "wide_registers", lambda wide=wide: wide)
            np.testing.assert_allclose(numeric.mttkrp(X, F, n), ref, rtol=1e-11, atol=1e-11)
    assert "blas" in used and used & {"axpy", "dot"}


def test_axpy_mttkrp_threads_agree_with_serial():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((331, 3, 150))  # > SERIAL_BELOW entries; rows not a multiple of a piece
    assert X.size >= SERIAL_BELOW
    F = [rng.standard_normal((s, 6)) for s in X.shape]
    args = (np.array([331, 3]), np.ascontiguousarray(np.vstack(F[:2])), np.array([0, 331]))
    X2 = X.reshape(-1, 150)
    one = run_rows(X2, args, (6, 150), 1, kernel=axpy_rows)
    for threads in (2, 3):
        many = run_rows(X2, args, (6, 150), threads, kernel=axpy_rows)
        np.testing.assert_allclose(many, one, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(one.T, _einsum_mttkrp(X, F, 2), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(axpy_mttkrp(X, F, 2, 6), _einsum_mttkrp(X, F, 2), rtol=1e-11, atol=1e-11)
    assert axpy_mttkrp(X, F, 0, 6) is None  # no row mode before mode 0
