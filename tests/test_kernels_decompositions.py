"""Float decompositions (tnverify.numeric over the jitted numba_kernels) against plain-numpy references.

Each algorithm is checked against its definition: unfoldings and Khatri-Rao products entry by entry,
MTTKRP against einsum, CP-ALS iterates against a plain ALS sweep, planted factors recovered, the HOSVD
error bound, exact TT ranks. A last test checks that numba_kernels holds jitted functions only.
Tiny shapes only: after numba compilation (cached) the whole file runs in a few seconds.
"""
import importlib
import inspect
import itertools
import pkgutil

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numba_kernels
from numba_kernels._jit import BAD_INPUT, NOT_CONVERGED, OK, SINGULAR
from numba_kernels.moments import robust_power_method
from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.numeric.cp import cp_als, cp_to_tensor
from tnverify.numeric.jennrich import jennrich
from tnverify.numeric.moments import tensor_power_method, whiten
from tnverify.numeric.mttkrp import SERIAL_BELOW, fused_mttkrp, khatri_rao, mttkrp, run_rows, unfold
from tnverify.numeric.tucker import hosvd, st_hosvd, tt_svd, tt_to_tensor, tucker_to_tensor

# ----------------------------------------------------------------------------- references


def ref_unfold(X, n):
    """Rows i_n; columns: C-order multi-index over the other modes in increasing order."""
    others = [k for k in range(X.ndim) if k != n]
    M = np.empty((X.shape[n], int(np.prod([X.shape[k] for k in others]))))
    for idx in itertools.product(*[range(s) for s in X.shape]):
        col = 0
        for k in others:
            col = col * X.shape[k] + idx[k]
        M[idx[n], col] = X[idx]
    return M


def ref_khatri_rao(mats):
    R = mats[0].shape[1]
    cols = []
    for r in range(R):
        c = np.ones(1)
        for m in mats:
            c = np.kron(c, m[:, r])
        cols.append(c)
    return np.stack(cols, axis=1)


def ref_cp(weights, factors):
    X = np.zeros(tuple(f.shape[0] for f in factors))
    for r, w in enumerate(weights):
        term = np.array(w)
        for f in factors:
            term = np.multiply.outer(term, f[:, r])
        X += term
    return X


def ref_mode_product(X, M, n):
    """X x_n M (M: J x I_n)."""
    return np.moveaxis(np.tensordot(M, X, axes=(1, n)), 0, n)


def match_columns(A, B):
    """Best |cosine| permutation match of the columns of B to those of A; returns min |cos|."""
    An = A / np.linalg.norm(A, axis=0)
    Bn = B / np.linalg.norm(B, axis=0)
    C = np.abs(An.T @ Bn)
    perm = np.argmax(C, axis=1)
    assert sorted(perm.tolist()) == list(range(A.shape[1])), "not a permutation"
    return float(np.min(C[np.arange(A.shape[1]), perm])), perm


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# ----------------------------------------------------------------------------- unfold / KR


def test_unfold_convention():
    X = np.random.default_rng(0).standard_normal((2, 3, 4, 2))
    for n in range(4):
        np.testing.assert_array_equal(unfold(X, n), ref_unfold(X, n))
    for bad in (4, -1, 1.0, True):
        with pytest.raises(InputError, match="mode"):
            unfold(X, bad)


@pytest.mark.parametrize("sizes", [(3,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
def test_khatri_rao_matches_kron_columns(sizes):
    rng = np.random.default_rng(len(sizes))
    mats = [rng.standard_normal((s, 3)) for s in sizes]
    K = khatri_rao(mats)
    assert K.shape == (int(np.prod(sizes)), 3) and K.flags.c_contiguous and K.dtype == np.float64
    np.testing.assert_array_equal(K, ref_khatri_rao(mats))


def test_khatri_rao_integer_input_and_bad_input():
    A = np.arange(6).reshape(3, 2)
    B = np.arange(4).reshape(2, 2)
    np.testing.assert_array_equal(khatri_rao([A, B]), ref_khatri_rao([A.astype(float), B]))
    for bad in ([], [np.ones((2, 2)), np.ones((2, 3))], [np.ones(3)]):
        with pytest.raises(ShapeError):
            khatri_rao(bad)
    with pytest.raises(InputError, match="complex"):
        khatri_rao([np.ones((2, 2)) * 1j])


# ----------------------------------------------------------------------------- MTTKRP


@pytest.mark.parametrize(
    "shape", [(4, 5), (3, 4, 5), (5, 3, 4), (2, 3, 4, 3), (3, 2, 2, 3, 2), (1, 4, 3)]
)
def test_mttkrp_matches_unfold_times_khatri_rao(shape):
    rng = np.random.default_rng(sum(shape))
    X = rng.standard_normal(shape)
    F = [rng.standard_normal((s, 3)) for s in shape]
    for n in range(len(shape)):
        ref = ref_unfold(X, n) @ ref_khatri_rao([F[k] for k in range(len(shape)) if k != n])
        got = mttkrp(X, F, n)
        assert got.shape == (shape[n], 3)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def ref_mttkrp_einsum(X, F, n):
    """M[i_n, r] = sum over the other indices of X * prod_{k != n} F_k[i_k, r] (numpy.einsum)."""
    letters = "abcdefgh"[:X.ndim]
    ops = [X] + [F[k] for k in range(X.ndim) if k != n]
    subs = [letters] + [letters[k] + "z" for k in range(X.ndim) if k != n]
    return np.einsum(",".join(subs) + "->" + letters[n] + "z", *ops, optimize=True)


# Shapes whose trailing modes hold >= 64 entries (the fused kernel); row counts and ranks that
# leave remainders of the 4 x 4 register tile, several tiles, and order 2 to 5.
FUSED_CASES = [((70, 66), 3), ((3, 4, 100), 5), ((7, 9, 65), 4), ((13, 5, 67, 3), 7),
               ((2, 3, 2, 130), 1), ((9, 8, 8, 8), 6), ((2, 2, 64), 2), ((3, 700, 64), 9),
               ((2, 3, 4, 5, 70), 3)]


def test_fused_mttkrp_declines_a_trailing_khatri_rao_larger_than_the_cache():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 20000, 20))  # trailing block after mode 0: 400000 entries
    F = [rng.standard_normal((s, 4)) for s in X.shape]
    assert fused_mttkrp(X, F, 0, 4) is None
    np.testing.assert_allclose(mttkrp(X, F, 0), ref_mttkrp_einsum(X, F, 0), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("shape,R", FUSED_CASES)
def test_fused_mttkrp_matches_einsum(shape, R):
    rng = np.random.default_rng(sum(shape) + R)
    X = rng.standard_normal(shape)
    F = [rng.standard_normal((s, R)) for s in shape]
    fused_modes = 0
    for n in range(len(shape)):
        ref = ref_mttkrp_einsum(X, F, n)
        direct = fused_mttkrp(X, F, n, R)
        # the dispatch rule: the shortest trailing block after n with >= 64 entries, its
        # Khatri-Rao of at most 2**17 entries, and at least 4 rows
        T = next((int(np.prod(shape[c:])) for c in range(len(shape) - 1, n, -1)
                  if np.prod(shape[c:]) >= 64), None)
        if T is None or R * T > 2**17 or X.size // T < 4:
            assert direct is None
        else:
            fused_modes += 1
            np.testing.assert_allclose(direct, ref, rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(mttkrp(X, F, n), ref, rtol=1e-11, atol=1e-11)
    assert fused_modes >= 1


def test_fused_mttkrp_threads_agree_with_serial():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 331, 150))  # > SERIAL_BELOW entries; rows not a multiple of a piece
    assert X.size >= SERIAL_BELOW
    F = [rng.standard_normal((s, 6)) for s in X.shape]
    X2 = X.reshape(-1, 150)
    args = (np.array([3, 331]), 1, np.ascontiguousarray(F[0]), np.zeros(2, dtype=np.int64),
            np.ascontiguousarray(F[2].T))
    one = run_rows(X2, args, (331, 6), 1)
    for threads in (2, 3):
        np.testing.assert_allclose(run_rows(X2, args, (331, 6), threads), one, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(one, ref_mttkrp_einsum(X, F, 1), rtol=1e-11, atol=1e-11)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.integers(64, 90), st.integers(1, 9),
       st.integers(0, 2**32 - 1))
def test_fused_mttkrp_property(lead, last, R, seed):
    shape = tuple(lead) + (last,)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(shape)
    F = [rng.standard_normal((s, R)) for s in shape]
    for n in range(len(shape)):
        np.testing.assert_allclose(mttkrp(X, F, n), ref_mttkrp_einsum(X, F, n), rtol=1e-10, atol=1e-10)


def test_mttkrp_ignores_own_factor_and_rejects_bad_input():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, 4, 5))
    F = [rng.standard_normal((s, 2)) for s in X.shape]
    np.testing.assert_allclose(mttkrp(X, [F[0], None, F[2]], 1), mttkrp(X, F, 1))
    with pytest.raises(InputError, match="mode"):
        mttkrp(X, F, 3)
    for bad in (F[:2], [F[0], F[1], F[2][:, :1]], [F[0], F[1], F[2][:4]], [F[0], np.ones(4), F[2]]):
        with pytest.raises(ShapeError):
            mttkrp(X, bad, 0)
    with pytest.raises(ShapeError, match="order"):
        mttkrp(np.ones(3), [np.ones((3, 1))], 0)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), R=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_mttkrp_property(shape, R, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(shape)
    F = [rng.standard_normal((s, R)) for s in shape]
    n = seed % len(shape)
    ref = ref_unfold(X, n) @ ref_khatri_rao([F[k] for k in range(len(shape)) if k != n])
    np.testing.assert_allclose(mttkrp(X, F, n), ref, rtol=1e-11, atol=1e-11)


# ----------------------------------------------------------------------------- CP-ALS


def ref_als_sweep(X, F):
    """One plain ALS sweep (unnormalised factors), from the definition."""
    F = [f.copy() for f in F]
    N = X.ndim
    for n in range(N):
        others = [F[k] for k in range(N) if k != n]
        KR = ref_khatri_rao(others)
        V = np.ones((F[0].shape[1],) * 2)
        for f in others:
            V *= f.T @ f
        F[n] = np.linalg.solve(V, (ref_unfold(X, n) @ KR).T).T
    return F


def test_cp_als_iterates_equal_plain_als():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3, 4, 5))
    init = [rng.standard_normal((s, 2)) for s in X.shape]
    F = init
    for it in range(1, 4):
        F = ref_als_sweep(X, F)
        res = cp_als(X, 2, init=(None, init), n_iter_max=it, tol=0.0)
        assert res.n_iter == it and res.status == "max iterations reached"
        Xhat = ref_cp(np.ones(2), F)
        np.testing.assert_allclose(ref_cp(res.weights, res.factors), Xhat, rtol=1e-9, atol=1e-10)
        assert abs(res.rel_error - rel(Xhat, X)) < 1e-10


@pytest.mark.parametrize(
    "shape,R", [((4, 5, 6), 3), ((3, 4, 3, 5), 2), ((6, 2, 5), 2), ((5, 6), 2)]
)
@pytest.mark.parametrize("linesearch", [False, True])
def test_cp_als_recovers_planted_low_rank(shape, R, linesearch):
    rng = np.random.default_rng(7)
    F = [rng.standard_normal((s, R)) for s in shape]
    X = ref_cp(np.ones(R), F)
    init = [f + 0.05 * rng.standard_normal(f.shape) for f in F]
    res = cp_als(X, R, init=(None, init), n_iter_max=1000, tol=1e-13, linesearch=linesearch)
    assert res.status == "converged", (res.status, res.n_iter, res.rel_error)
    assert res.rel_error < 1e-8
    assert abs(res.rel_error - rel(ref_cp(*res), X)) < 1e-12
    for f in res.factors:
        np.testing.assert_allclose(np.linalg.norm(f, axis=0), 1.0)
    if len(shape) >= 3:  # essential uniqueness (Kruskal): the factors are recovered
        for f, g in zip(res.factors, F):
            assert match_columns(g, f)[0] > 1 - 1e-6


def test_cp_als_linesearch_needs_fewer_sweeps():
    rng = np.random.default_rng(11)
    F = [rng.standard_normal((s, 3)) for s in (5, 6, 7)]
    X = ref_cp(np.ones(3), F)
    init = (None, [f + 0.3 * rng.standard_normal(f.shape) for f in F])
    plain = cp_als(X, 3, init=init, n_iter_max=2000, tol=1e-13)
    fast = cp_als(X, 3, init=init, n_iter_max=2000, tol=1e-13, linesearch=True)
    assert plain.status == fast.status == "converged" and plain.rel_error < 1e-8 and fast.rel_error < 1e-8
    assert fast.n_iter <= plain.n_iter


def test_cp_als_statuses_and_bad_input():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 4, 5))
    init = [rng.standard_normal((s, 2)) for s in X.shape]
    for bad in (init[:2], [init[0], init[1], init[2][:, :1]]):
        with pytest.raises(ShapeError):
            cp_als(X, 2, init=(None, bad))
    with pytest.raises(ShapeError, match="order"):
        cp_als(np.ones(3), 1)
    Xn = X.copy()
    Xn[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        cp_als(Xn, 2)
    with pytest.raises(InputError, match="NaN"):
        cp_als(X, 2, init=(None, [init[0] * np.nan, init[1], init[2]]))
    with pytest.raises(InputError, match="n_iter_max"):
        cp_als(X, 2, n_iter_max=-1)
    with pytest.raises(InputError, match="tol"):
        cp_als(X, 2, tol=None)
    # zero tensor
    res = cp_als(np.zeros((3, 4, 5)), 2, init=(None, init))
    assert res.status == "converged" and res.rel_error == 0.0 and np.all(res.weights == 0)
    # n_iter_max = 0: the normalised initial model and its error
    res = cp_als(X, 2, init=(None, init), n_iter_max=0)
    assert res.n_iter == 0 and res.status == "max iterations reached"
    assert abs(res.rel_error - rel(ref_cp(np.ones(2), init), X)) < 1e-12
    # identical columns: the normal equations are singular at every sweep
    dup = [np.repeat(f[:, :1], 2, axis=1) for f in init]
    assert cp_als(X, 2, init=(None, dup), n_iter_max=5).status == "singular"


def test_cp_to_tensor_matches_reference():
    rng = np.random.default_rng(13)
    F = [rng.standard_normal((s, 3)) for s in (2, 3, 4, 2)]
    w = rng.standard_normal(3)
    np.testing.assert_allclose(cp_to_tensor(w, F), ref_cp(w, F), atol=1e-13)
    with pytest.raises(ShapeError, match="inconsistent CP value"):
        cp_to_tensor(w[:2], F)


# ----------------------------------------------------------------------------- Jennrich


@pytest.mark.parametrize(
    "shape,R", [((5, 6, 7), 4), ((4, 4, 3), 4), ((6, 5, 2), 3), ((3, 3, 8), 1)]
)
def test_jennrich_recovers_planted_factors(shape, R):
    rng = np.random.default_rng(R + sum(shape))
    F = [rng.standard_normal((s, R)) for s in shape]
    X = ref_cp(np.ones(R), F)
    res = jennrich(X, R, seed=rng)
    A, B, C = res.factors
    assert res.status == "converged"
    assert A.shape == (shape[0], R) and B.shape == (shape[1], R) and C.shape == (shape[2], R)
    cA, pA = match_columns(F[0], A)
    cB, pB = match_columns(F[1], B)
    assert cA > 1 - 1e-8 and cB > 1 - 1e-8
    assert np.array_equal(pA, pB)  # the same permutation pairs a_r with b_r
    assert rel(ref_cp(*res), X) < 1e-8 and abs(res.rel_error - rel(ref_cp(*res), X)) < 1e-12


def test_jennrich_statuses_and_errors():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4, 5))
    with pytest.raises(ShapeError, match=r"min\(I, J\)"):
        jennrich(X, 4)
    with pytest.raises(ShapeError, match="order 3"):
        jennrich(X[..., None], 1)
    # complex pencil: slices span {I, J} with J a rotation (real rank 3, complex rank 2)
    T = np.stack([np.eye(2), np.array([[0.0, -1.0], [1.0, 0.0]])], axis=2)
    with pytest.raises(NumericalError, match="not distinct"):
        jennrich(T, 2, seed=0)
    res = jennrich(T, 2, seed=0, strict=False)
    A = res.factors[0]
    assert res.status == "singular" and np.all(np.isfinite(A)) and A.shape == (2, 2)
    assert np.linalg.matrix_rank(A) == 2  # Re w, Im w of the conjugate pair
    # the slice T(z2) is singular when R exceeds the rank of the tensor
    F = [rng.standard_normal((s, 2)) for s in (4, 4, 3)]
    with pytest.raises(NumericalError, match="singular"):
        jennrich(ref_cp(np.ones(2), F), 3, seed=0, strict=False)


# ----------------------------------------------------------------------------- Tucker


def tucker_planted(shape, ranks, rng):
    G = rng.standard_normal(ranks)
    U = [np.linalg.qr(rng.standard_normal((s, r)))[0] for s, r in zip(shape, ranks)]
    X = G
    for n, u in enumerate(U):
        X = ref_mode_product(X, u, n)
    return X


@pytest.mark.parametrize("sequential", [False, True])
def test_hosvd_full_and_planted(sequential):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 4, 5))
    core, U, err = hosvd(X, sequential=sequential)
    assert core.shape == (3, 4, 5) and err < 1e-13
    Xhat = core
    for n, u in enumerate(U):
        np.testing.assert_allclose(u.T @ u, np.eye(u.shape[1]), atol=1e-12)
        Xhat = ref_mode_product(Xhat, u, n)
    np.testing.assert_allclose(Xhat, X, atol=1e-12)
    np.testing.assert_allclose(tucker_to_tensor(core, U), X, atol=1e-12)
    # planted multilinear rank (2, 3, 2): truncation is exact
    Y = tucker_planted((5, 6, 4), (2, 3, 2), rng)
    core, U, err = hosvd(Y, ranks=(2, 3, 2), sequential=sequential)
    assert core.shape == (2, 3, 2) and err < 1e-12
    np.testing.assert_allclose(tucker_to_tensor(core, U), Y, atol=1e-12)
    for n, u in enumerate(U):  # U_n spans the column space of the unfolding
        P = u @ u.T
        Yn = ref_unfold(Y, n)
        np.testing.assert_allclose(P @ Yn, Yn, atol=1e-12)


def test_hosvd_truncation_error_bound_and_bad_ranks():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((4, 5, 6))
    ranks = (2, 3, 3)
    bound = sum(np.sum(np.linalg.svd(ref_unfold(X, n), compute_uv=False)[r:] ** 2)
                for n, r in enumerate(ranks))
    for fn in (lambda X, r: hosvd(X, r, sequential=False), st_hosvd):
        core, U, err = fn(X, ranks)
        assert np.sum((tucker_to_tensor(core, U) - X) ** 2) <= bound * (1 + 1e-10)
        assert abs(err - rel(tucker_to_tensor(core, U), X)) < 1e-12
        with pytest.raises(ShapeError, match="3 multilinear ranks"):
            fn(X, (2, 3))
        with pytest.raises(InputError, match="multilinear rank"):
            fn(X, (0, 3, 3))
        core, U, err = fn(X, 10)  # capped at I_n
        assert core.shape == X.shape
    # hosvd factors are the leading left singular vectors of each unfolding
    core, U, _ = hosvd(X, ranks, sequential=False)
    for n, r in enumerate(ranks):
        Us = np.linalg.svd(ref_unfold(X, n))[0][:, :r]
        np.testing.assert_allclose(np.abs(Us.T @ U[n]), np.eye(r), atol=1e-8)
    with pytest.raises(ShapeError, match="Tucker"):
        tucker_to_tensor(core, U[:2])


# ----------------------------------------------------------------------------- TT


def tt_planted(shape, ranks, rng):
    rr = (1,) + tuple(ranks) + (1,)
    return [rng.standard_normal((rr[k], n, rr[k + 1])) for k, n in enumerate(shape)]


def ref_tt(cores):
    X = cores[0]
    for g in cores[1:]:
        X = np.tensordot(X, g, axes=(X.ndim - 1, 0))
    return X[0, ..., 0]


@pytest.mark.parametrize("shape,ranks", [((2, 3, 4), (2, 3)), ((3, 3, 3, 3), (2, 2, 2)),
                                         ((2, 2, 2, 2, 2), (2, 3, 3, 2)), ((4, 5), (3,))])
def test_tt_svd_exact_ranks(shape, ranks):
    rng = np.random.default_rng(len(shape))
    X = ref_tt(tt_planted(shape, ranks, rng))
    cores, err = tt_svd(X)
    assert err < 1e-12
    got = [c.shape[2] for c in cores[:-1]]
    expect = [np.linalg.matrix_rank(X.reshape(int(np.prod(shape[:k + 1])), -1))
              for k in range(len(shape) - 1)]
    assert got == expect
    for k, c in enumerate(cores):
        assert c.shape[1] == shape[k]
        if k < len(cores) - 1:  # left-orthonormal
            M = c.reshape(-1, c.shape[2])
            np.testing.assert_allclose(M.T @ M, np.eye(c.shape[2]), atol=1e-12)
    np.testing.assert_allclose(ref_tt(cores), X, atol=1e-12)
    np.testing.assert_allclose(tt_to_tensor(cores), X, atol=1e-12)


def test_tt_svd_full_random_eps_caps_and_bad_input():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((3, 4, 2, 3))
    cores, err = tt_svd(X)
    assert [c.shape for c in cores] == [(1, 3, 3), (3, 4, 6), (6, 2, 3), (3, 3, 1)]
    np.testing.assert_allclose(ref_tt(cores), X, atol=1e-12)
    for eps in (0.05, 0.3, 0.7):
        cores, err = tt_svd(X, eps=eps)
        assert rel(ref_tt(cores), X) <= eps and abs(err - rel(ref_tt(cores), X)) < 1e-12
    cores, err = tt_svd(X, max_ranks=2)
    assert max(c.shape[2] for c in cores) <= 2
    cores, err = tt_svd(X, max_ranks=(1, 2, 1))
    assert [c.shape[2] for c in cores] == [1, 2, 1, 1]
    with pytest.raises(ShapeError, match="3 TT ranks"):
        tt_svd(X, max_ranks=(1, 2))
    for eps in (-1.0, np.inf, "x"):
        with pytest.raises(InputError, match="eps"):
            tt_svd(X, eps=eps)
    with pytest.raises(InputError, match="TT rank"):
        tt_svd(X, max_ranks=0)
    with pytest.raises(ShapeError, match="TT value"):
        tt_to_tensor([np.ones((1, 2, 2)), np.ones((3, 2, 1))])
    cores, err = tt_svd(np.zeros((2, 3)))
    assert [c.shape for c in cores] == [(1, 2, 1), (1, 3, 1)]
    cores, err = tt_svd(np.arange(4.0))
    assert cores[0].shape == (1, 4, 1) and err == 0.0


# ----------------------------------------------------------------------------- moments


def test_whitening():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((6, 3))
    M2 = A @ np.diag([1.0, 2.0, 0.5]) @ A.T
    W = whiten(M2, 3)
    assert W.shape == (6, 3)
    np.testing.assert_allclose(W.T @ M2 @ W, np.eye(3), atol=1e-10)
    with pytest.raises(NumericalError, match="fewer than 4 positive eigenvalues"):
        whiten(M2, 4)  # rank 3 < k
    with pytest.raises(InputError):
        whiten(M2, 0)
    with pytest.raises(ShapeError):
        whiten(M2[:, :5], 2)


def test_power_method_recovers_orthogonal_components():
    rng = np.random.default_rng(8)
    d, k = 5, 4
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0][:, :k]
    lam = np.array([4.0, 3.0, 2.0, 1.0])
    T = np.einsum("j,ij,kj,lj->ikl", lam, Q, Q, Q)
    lams, V, status = tensor_power_method(T, k, n_iter=200, seed=rng)
    assert status == "converged"
    np.testing.assert_allclose(lams, lam, rtol=1e-10)  # largest first
    np.testing.assert_allclose(np.abs(np.sum(V * Q, axis=0)), 1.0, atol=1e-10)


def test_whitening_then_power_method_recovers_nonorthogonal_components():
    # M2 = sum w_j a_j a_j^T, M3 = sum w_j a_j^(x3); whiten, power, unwhiten
    rng = np.random.default_rng(10)
    d, k = 6, 3
    Aj = rng.standard_normal((d, k))
    wj = np.array([1.0, 2.0, 3.0])
    M2 = (Aj * wj) @ Aj.T
    M3 = np.einsum("j,ij,kj,lj->ikl", wj, Aj, Aj, Aj)
    W = whiten(M2, k)
    T = np.einsum("ikl,ia,kb,lc->abc", M3, W, W, W)
    lams, V, status = tensor_power_method(T, k, n_init=8, n_iter=500, seed=rng)
    assert status == "converged"
    # a_j = (W^T)^+ v_j * lambda_j and w_j = 1 / lambda_j^2
    rec = np.linalg.pinv(W.T) @ V * lams
    c, perm = match_columns(Aj, rec)
    assert c > 1 - 1e-8
    np.testing.assert_allclose(1.0 / lams[np.argsort(perm)] ** 2, wj, rtol=1e-8)
    np.testing.assert_allclose(rec[:, np.argsort(perm)], Aj, rtol=1e-7, atol=1e-8)


def test_power_method_kernel_status_codes_and_driver_words():
    rng = np.random.default_rng(12)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0][:, :2]
    T = np.einsum("j,ij,kj,lj->ikl", [2.0, 1.0], Q, Q, Q)
    inits = rng.standard_normal((3, 4, 4))
    assert robust_power_method(T, inits, 200, 3, 1e-10)[2] == SINGULAR  # only 2 components
    assert robust_power_method(T, inits[:2], 1, 2, 0.0)[2] == NOT_CONVERGED
    assert robust_power_method(T, inits[:2], 200, 2, 1e-10)[2] == OK
    assert robust_power_method(T, np.zeros((2, 2, 4)), 10, 2, 1e-10)[2] == BAD_INPUT
    assert tensor_power_method(T, 3, seed=0)[2] == "singular"
    assert tensor_power_method(T, 2, n_iter=1, tol=0.0, seed=0)[2] == "max iterations reached"
    with pytest.raises(ShapeError):
        tensor_power_method(T, 5)
    with pytest.raises(ShapeError):
        tensor_power_method(T[:, :, :3], 2)
    for kw in ({"n_iter": 0}, {"n_init": 0}, {"tol": -1.0}):
        with pytest.raises(InputError):
            tensor_power_method(T, 2, **kw)


# ----------------------------------------------------------------------------- numba_kernels


def test_numba_kernels_holds_jitted_functions_only():
    """Every public function defined in numba_kernels (the decorator module aside) is a numba dispatcher.

    Algorithms (sweeps, drivers, validation) belong to tnverify.numeric; a kernel module keeps jitted
    loops, their private helpers and constants. Classes are not allowed either.
    """
    names = [m.name for m in pkgutil.iter_modules(numba_kernels.__path__) if m.name != "_jit"]
    assert {"mttkrp", "moments", "modp", "kruskal", "_modarith"} <= set(names)
    bad = []
    for name in names:
        mod = importlib.import_module(f"numba_kernels.{name}")
        for attr, obj in vars(mod).items():
            if attr.startswith("_"):
                continue
            if isinstance(obj, numba.core.registry.CPUDispatcher):
                assert hasattr(obj, "py_func")
                continue
            if inspect.isclass(obj) and obj.__module__ == mod.__name__:
                bad.append(f"numba_kernels.{name}.{attr} is a class")
            elif callable(obj) and getattr(obj, "__module__", None) == mod.__name__:
                bad.append(f"numba_kernels.{name}.{attr} is not jitted")
    assert not bad, "\n".join(bad)
