"""Float decomposition kernels (numba_kernels.decompositions) against plain-numpy references.

Tiny shapes only: after numba compilation (cached) the whole file runs in a few seconds.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numba_kernels._jit import BAD_INPUT, NOT_CONVERGED, OK, SINGULAR
from numba_kernels.decompositions import cp_als, cp_to_tensor, jennrich, khatri_rao, mttkrp, unfold
from numba_kernels.moments import symmetric_tensor_power_method, whitening
from numba_kernels.tucker import hosvd, st_hosvd, tt_svd, tt_to_tensor, tucker_to_tensor

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
    assert unfold(X, 4).shape == (0, 0)


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
    assert khatri_rao([]).shape == (0, 0)
    assert khatri_rao([np.ones((2, 2)), np.ones((2, 3))]).shape == (0, 0)
    assert khatri_rao([np.ones(3)]).shape == (0, 0)


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
    from numba_kernels.decompositions import _mttkrp_fused_call

    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 20000, 20))  # trailing block after mode 0: 400000 entries
    F = [rng.standard_normal((s, 4)) for s in X.shape]
    assert _mttkrp_fused_call(X, F, 0, 4) is None
    np.testing.assert_allclose(mttkrp(X, F, 0), ref_mttkrp_einsum(X, F, 0), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("shape,R", FUSED_CASES)
def test_fused_mttkrp_matches_einsum(shape, R):
    from numba_kernels.decompositions import _mttkrp_fused_call

    rng = np.random.default_rng(sum(shape) + R)
    X = rng.standard_normal(shape)
    F = [rng.standard_normal((s, R)) for s in shape]
    fused_modes = 0
    for n in range(len(shape)):
        ref = ref_mttkrp_einsum(X, F, n)
        direct = _mttkrp_fused_call(X, F, n, R)
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
    from numba_kernels import _mttkrp_fused as FZ

    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 331, 150))  # > SERIAL_BELOW entries; rows not a multiple of a piece
    assert X.size >= FZ.SERIAL_BELOW
    F = [rng.standard_normal((s, 6)) for s in X.shape]
    X2 = X.reshape(-1, 150)
    args = (np.array([3, 331]), 1, np.ascontiguousarray(F[0]), np.zeros(2, dtype=np.int64),
            np.ascontiguousarray(F[2].T))
    one = FZ.run_rows(FZ.dot_rows, X2, args, (331, 6), 1)
    for threads in (2, 3):
        np.testing.assert_allclose(FZ.run_rows(FZ.dot_rows, X2, args, (331, 6), threads), one,
                                   rtol=1e-12, atol=1e-12)
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
    assert mttkrp(X, F, 3).shape == (0, 0)
    assert mttkrp(X, F[:2], 0).shape == (0, 0)
    assert mttkrp(X, [F[0], F[1], F[2][:, :1]], 0).shape == (0, 0)
    assert mttkrp(X, [F[0], F[1], F[2][:4]], 0).shape == (0, 0)
    assert mttkrp(np.ones(3), [np.ones((3, 1))], 0).shape == (0, 0)


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
        w, A, n_iter, err, status = cp_als(X, init, n_iter_max=it, tol=0.0)
        assert n_iter == it and status == NOT_CONVERGED
        Xhat = ref_cp(np.ones(2), F)
        np.testing.assert_allclose(ref_cp(w, A), Xhat, rtol=1e-9, atol=1e-10)
        assert abs(err - rel(Xhat, X)) < 1e-10


@pytest.mark.parametrize(
    "shape,R", [((4, 5, 6), 3), ((3, 4, 3, 5), 2), ((6, 2, 5), 2), ((5, 6), 2)]
)
@pytest.mark.parametrize("linesearch", [False, True])
def test_cp_als_recovers_planted_low_rank(shape, R, linesearch):
    rng = np.random.default_rng(7)
    F = [rng.standard_normal((s, R)) for s in shape]
    X = ref_cp(np.ones(R), F)
    init = [f + 0.05 * rng.standard_normal(f.shape) for f in F]
    w, A, n_iter, err, status = cp_als(X, init, n_iter_max=1000, tol=1e-13, linesearch=linesearch)
    assert status == OK, (status, n_iter, err)
    assert err < 1e-8
    assert abs(err - rel(ref_cp(w, A), X)) < 1e-12
    for f in A:
        np.testing.assert_allclose(np.linalg.norm(f, axis=0), 1.0)
    if len(shape) >= 3:  # essential uniqueness (Kruskal): the factors are recovered
        for f, g in zip(A, F):
            assert match_columns(g, f)[0] > 1 - 1e-6


def test_cp_als_linesearch_needs_fewer_sweeps():
    rng = np.random.default_rng(11)
    F = [rng.standard_normal((s, 3)) for s in (5, 6, 7)]
    X = ref_cp(np.ones(3), F)
    init = [f + 0.3 * rng.standard_normal(f.shape) for f in F]
    plain = cp_als(X, init, n_iter_max=2000, tol=1e-13)
    fast = cp_als(X, init, n_iter_max=2000, tol=1e-13, linesearch=True)
    assert plain[4] == OK and fast[4] == OK and plain[3] < 1e-8 and fast[3] < 1e-8
    assert fast[2] <= plain[2]


def test_cp_als_status_codes():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 4, 5))
    init = [rng.standard_normal((s, 2)) for s in X.shape]
    # bad input: never raises
    assert cp_als(X, init[:2])[4] == BAD_INPUT
    assert cp_als(X, [init[0], init[1], init[2][:, :1]])[4] == BAD_INPUT
    assert cp_als(np.ones(3), [np.ones((3, 1))])[4] == BAD_INPUT
    Xn = X.copy()
    Xn[0, 0, 0] = np.nan
    assert cp_als(Xn, init)[4] == BAD_INPUT
    assert cp_als(X, init, n_iter_max=-1)[4] == BAD_INPUT
    assert cp_als(X, init, tol=None)[4] == BAD_INPUT
    assert cp_als(X, [f[:, :0] for f in init])[4] == BAD_INPUT
    # zero tensor
    w, A, n_iter, err, status = cp_als(np.zeros((3, 4, 5)), init)
    assert status == OK and err == 0.0 and np.all(w == 0)
    # n_iter_max = 0: the normalised initial model and its error
    w, A, n_iter, err, status = cp_als(X, init, n_iter_max=0)
    assert n_iter == 0 and status == NOT_CONVERGED
    assert abs(err - rel(ref_cp(np.ones(2), init), X)) < 1e-12
    # identical columns: the normal equations are singular at every sweep
    dup = [np.repeat(f[:, :1], 2, axis=1) for f in init]
    assert cp_als(X, dup, n_iter_max=5)[4] == SINGULAR


# ----------------------------------------------------------------------------- Jennrich


@pytest.mark.parametrize(
    "shape,R", [((5, 6, 7), 4), ((4, 4, 3), 4), ((6, 5, 2), 3), ((3, 3, 8), 1)]
)
def test_jennrich_recovers_planted_factors(shape, R):
    rng = np.random.default_rng(R + sum(shape))
    F = [rng.standard_normal((s, R)) for s in shape]
    X = ref_cp(np.ones(R), F)
    A, B, C, status = jennrich(X, rng.standard_normal(shape[2]), rng.standard_normal(shape[2]), R)
    assert status == OK
    assert A.shape == (shape[0], R) and B.shape == (shape[1], R) and C.shape == (shape[2], R)
    cA, pA = match_columns(F[0], A)
    cB, pB = match_columns(F[1], B)
    assert cA > 1 - 1e-8 and cB > 1 - 1e-8
    assert np.array_equal(pA, pB)  # the same permutation pairs a_r with b_r
    assert rel(ref_cp(np.ones(R), [A, B, C]), X) < 1e-8


def test_jennrich_status_codes():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4, 5))
    z = rng.standard_normal(5)
    A, B, C, status = jennrich(X, z, z + 1, 4)  # R > min(I, J)
    assert status == SINGULAR and A.shape == (3, 4) and not A.any()
    assert jennrich(X, z[:4], z, 2)[3] == BAD_INPUT
    assert jennrich(X, z, z, 0)[3] == BAD_INPUT
    assert jennrich(X[0], z, z, 1)[3] == BAD_INPUT
    # complex pencil: slices span {I, J} with J a rotation (real rank 3, complex rank 2)
    T = np.stack([np.eye(2), np.array([[0.0, -1.0], [1.0, 0.0]])], axis=2)
    A, B, C, status = jennrich(T, np.array([1.0, 0.3]), np.array([0.2, 1.0]), 2)
    assert status == SINGULAR and np.all(np.isfinite(A)) and A.shape == (2, 2)
    assert np.linalg.matrix_rank(A) == 2  # Re w, Im w of the conjugate pair
    # the slice T(z2) is singular when R exceeds the rank of the tensor
    F = [rng.standard_normal((s, 2)) for s in (4, 4, 3)]
    assert jennrich(ref_cp(np.ones(2), F), z[:3], z[1:4], 3)[3] == SINGULAR


# ----------------------------------------------------------------------------- Tucker


def tucker_planted(shape, ranks, rng):
    G = rng.standard_normal(ranks)
    U = [np.linalg.qr(rng.standard_normal((s, r)))[0] for s, r in zip(shape, ranks)]
    X = G
    for n, u in enumerate(U):
        X = ref_mode_product(X, u, n)
    return X


@pytest.mark.parametrize("fn", [hosvd, st_hosvd])
def test_hosvd_full_and_planted(fn):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 4, 5))
    core, U, status = fn(X)
    assert status == OK and core.shape == (3, 4, 5)
    Xhat = core
    for n, u in enumerate(U):
        np.testing.assert_allclose(u.T @ u, np.eye(u.shape[1]), atol=1e-12)
        Xhat = ref_mode_product(Xhat, u, n)
    np.testing.assert_allclose(Xhat, X, atol=1e-12)
    np.testing.assert_allclose(tucker_to_tensor(core, U), X, atol=1e-12)
    # planted multilinear rank (2, 3, 2): truncation is exact
    Y = tucker_planted((5, 6, 4), (2, 3, 2), rng)
    core, U, status = fn(Y, ranks=(2, 3, 2))
    assert status == OK and core.shape == (2, 3, 2)
    np.testing.assert_allclose(tucker_to_tensor(core, U), Y, atol=1e-12)
    for n, u in enumerate(U):  # U_n spans the column space of the unfolding
        P = u @ u.T
        Yn = ref_unfold(Y, n)
        np.testing.assert_allclose(P @ Yn, Yn, atol=1e-12)


def test_hosvd_truncation_error_bound_and_status():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((4, 5, 6))
    ranks = (2, 3, 3)
    bound = sum(np.sum(np.linalg.svd(ref_unfold(X, n), compute_uv=False)[r:] ** 2)
                for n, r in enumerate(ranks))
    for fn in (hosvd, st_hosvd):
        core, U, status = fn(X, ranks)
        assert status == OK
        assert np.sum((tucker_to_tensor(core, U) - X) ** 2) <= bound * (1 + 1e-10)
        assert fn(X, (2, 3))[2] == BAD_INPUT
        assert fn(X, (0, 3, 3))[2] == BAD_INPUT
        core, U, status = fn(X, 10)  # capped at I_n
        assert status == OK and core.shape == X.shape
    # hosvd factors are the leading left singular vectors of each unfolding
    core, U, _ = hosvd(X, ranks)
    for n, r in enumerate(ranks):
        Us = np.linalg.svd(ref_unfold(X, n))[0][:, :r]
        np.testing.assert_allclose(np.abs(Us.T @ U[n]), np.eye(r), atol=1e-8)


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
    cores, status = tt_svd(X)
    assert status == OK
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


def test_tt_svd_full_random_eps_and_caps():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((3, 4, 2, 3))
    cores, status = tt_svd(X)
    assert status == OK and [c.shape for c in cores] == [(1, 3, 3), (3, 4, 6), (6, 2, 3), (3, 3, 1)]
    np.testing.assert_allclose(ref_tt(cores), X, atol=1e-12)
    for eps in (0.05, 0.3, 0.7):
        cores, status = tt_svd(X, eps=eps)
        assert status == OK and rel(ref_tt(cores), X) <= eps
    cores, status = tt_svd(X, max_ranks=2)
    assert status == OK and max(c.shape[2] for c in cores) <= 2
    cores, status = tt_svd(X, max_ranks=(1, 2, 1))
    assert [c.shape[2] for c in cores] == [1, 2, 1, 1]
    assert tt_svd(X, max_ranks=(1, 2))[1] == BAD_INPUT
    assert tt_svd(X, eps=-1.0)[1] == BAD_INPUT
    cores, status = tt_svd(np.zeros((2, 3)))
    assert status == OK and [c.shape for c in cores] == [(1, 2, 1), (1, 3, 1)]
    cores, status = tt_svd(np.arange(4.0))
    assert status == OK and cores[0].shape == (1, 4, 1)


# ----------------------------------------------------------------------------- moments


def test_whitening():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((6, 3))
    M2 = A @ np.diag([1.0, 2.0, 0.5]) @ A.T
    W, status = whitening(M2, 3)
    assert status == OK and W.shape == (6, 3)
    np.testing.assert_allclose(W.T @ M2 @ W, np.eye(3), atol=1e-10)
    W, status = whitening(M2, 4)  # rank 3 < k
    assert status == SINGULAR and not W[:, 3].any()
    assert whitening(M2, 0)[1] == BAD_INPUT
    assert whitening(M2[:, :5], 2)[1] == BAD_INPUT


def test_power_method_recovers_orthogonal_components():
    rng = np.random.default_rng(8)
    d, k = 5, 4
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0][:, :k]
    lam = np.array([4.0, 3.0, 2.0, 1.0])
    T = np.einsum("j,ij,kj,lj->ikl", lam, Q, Q, Q)
    lams, V, status = symmetric_tensor_power_method(T, rng.standard_normal((10, d)), 200, k)
    assert status == OK
    np.testing.assert_allclose(lams, lam, rtol=1e-10)  # largest first
    np.testing.assert_allclose(np.abs(np.sum(V * Q, axis=0)), 1.0, atol=1e-10)
    # per-component starting vectors (k, L, d) give the same result
    lams2, V2, status2 = symmetric_tensor_power_method(T, rng.standard_normal((k, 3, d)), 200, k)
    assert status2 == OK and np.allclose(lams2, lam)


def test_whitening_then_power_method_recovers_nonorthogonal_components():
    # MATH.md section 7: M2 = sum w_j a_j a_j^T, M3 = sum w_j a_j^(x3); whiten, power, unwhiten
    rng = np.random.default_rng(10)
    d, k = 6, 3
    Aj = rng.standard_normal((d, k))
    wj = np.array([1.0, 2.0, 3.0])
    M2 = (Aj * wj) @ Aj.T
    M3 = np.einsum("j,ij,kj,lj->ikl", wj, Aj, Aj, Aj)
    W, status = whitening(M2, k)
    assert status == OK
    T = np.einsum("ikl,ia,kb,lc->abc", M3, W, W, W)
    lams, V, status = symmetric_tensor_power_method(T, rng.standard_normal((8, k)), 500, k)
    assert status == OK
    # a_j = (W^T)^+ v_j * lambda_j and w_j = 1 / lambda_j^2
    rec = np.linalg.pinv(W.T) @ V * lams
    c, perm = match_columns(Aj, rec)
    assert c > 1 - 1e-8
    np.testing.assert_allclose(1.0 / lams[np.argsort(perm)] ** 2, wj, rtol=1e-8)
    np.testing.assert_allclose(rec[:, np.argsort(perm)], Aj, rtol=1e-7, atol=1e-8)


def test_power_method_status_codes():
    rng = np.random.default_rng(12)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0][:, :2]
    T = np.einsum("j,ij,kj,lj->ikl", [2.0, 1.0], Q, Q, Q)
    inits = rng.standard_normal((4, 4))
    assert symmetric_tensor_power_method(T, inits, 200, 3)[2] == SINGULAR  # only 2 components
    assert symmetric_tensor_power_method(T, inits, 1, 2, tol=0.0)[2] == NOT_CONVERGED
    assert symmetric_tensor_power_method(T, inits, 10, 5)[2] == BAD_INPUT
    assert symmetric_tensor_power_method(T, inits, 0, 2)[2] == BAD_INPUT
    assert symmetric_tensor_power_method(T, inits[:, :3], 10, 2)[2] == BAD_INPUT
    assert symmetric_tensor_power_method(T[:, :, :3], inits, 10, 2)[2] == BAD_INPUT
    assert symmetric_tensor_power_method(T, np.zeros((2, 4)), 10, 2)[2] == BAD_INPUT


# ----------------------------------------------------------------------------- helpers


def test_cp_to_tensor_matches_reference():
    rng = np.random.default_rng(13)
    F = [rng.standard_normal((s, 3)) for s in (2, 3, 4, 2)]
    w = rng.standard_normal(3)
    np.testing.assert_allclose(cp_to_tensor(w, F), ref_cp(w, F), atol=1e-13)
    assert cp_to_tensor(w[:2], F).shape == (0, 0)
