"""Tucker and tensor-train decompositions: HOSVD, sequentially truncated HOSVD, TT-SVD.

Float64, C-contiguous arrays; conventions and status codes as in
:mod:`numba_kernels.decompositions` (C-order unfoldings, ``OK`` / ``NOT_CONVERGED`` /
``BAD_INPUT``; bad input never raises).

References
----------
.. [1] L. De Lathauwer, B. De Moor, J. Vandewalle, "A multilinear singular value
   decomposition", SIAM J. Matrix Anal. Appl. 21(4), 2000.
.. [2] N. Vannieuwenhoven, R. Vandebril, K. Meerbergen, "A new truncation strategy for the
   higher-order singular value decomposition", SIAM J. Sci. Comput. 34(2), 2012.
.. [3] I. V. Oseledets, "Tensor-train decomposition", SIAM J. Sci. Comput. 33(5), 2011.
"""
import numpy as np

from ._jit import BAD_INPUT, NOT_CONVERGED, OK
from ._common import _EPS, _f64, _prod, _empty, _is_int
from .decompositions import unfold

__all__ = ["hosvd", "st_hosvd", "tucker_to_tensor", "tt_svd", "tt_to_tensor"]


def _mode_dot_t(X, U, n):
    """X x_n U^T: contract mode n of X (size I_n) with the rows of U (I_n x r)."""
    shape = X.shape
    L = _prod(shape[:n])
    In = shape[n]
    Rr = _prod(shape[n + 1:])
    r = U.shape[1]
    if L == 1:
        out = U.T @ X.reshape(In, Rr)
    elif Rr == 1:
        out = X.reshape(L, In) @ U
    else:
        out = np.matmul(U.T, X.reshape(L, In, Rr))
    return np.ascontiguousarray(out).reshape(shape[:n] + (r,) + shape[n + 1:])


def _tucker_ranks(ranks, shape):
    """int / None / sequence -> list of ints (None = full), or None when malformed."""
    N = len(shape)
    if ranks is None:
        return list(shape)
    if _is_int(ranks):
        ranks = [int(ranks)] * N
    try:
        ranks = list(ranks)
    except TypeError:
        return None
    if len(ranks) != N:
        return None
    out = []
    for r, I in zip(ranks, shape):
        if r is None:
            r = I
        if not _is_int(r) or r < 1:
            return None
        out.append(int(r))
    return out


def _leading_left_sv(M, r):
    """r leading left singular vectors (completed to an orthonormal set if r > rank bound).

    For a wide M (m x n, n > 2m) the triangular factor of ``M^T = Q R`` is computed first and
    ``U`` is taken from the SVD of the small ``R^T`` (same left singular vectors, backward
    stable, without forming ``V``).
    """
    m, n = M.shape
    if n > 2 * m:
        Rf = np.linalg.qr(M.T, mode="r")
        U = np.linalg.svd(Rf.T)[0]
    else:
        U = np.linalg.svd(M, full_matrices=n < r)[0]
    return np.ascontiguousarray(U[:, :r])


def hosvd(tensor, ranks=None):
    r"""Truncated higher-order SVD (De Lathauwer, De Moor, Vandewalle [1]_).

    ``U_n`` = the ``r_n`` leading left singular vectors of the unfolding ``X_(n)``;
    ``core = X x_0 U_0^T x_1 ... x_{N-1} U_{N-1}^T``, so
    ``X ~ core x_0 U_0 ... x_{N-1} U_{N-1}`` (exact when ``r_n >= rank X_(n)`` for all n;
    in general ``||X - Xhat||^2 <= sum_n sum_{i > r_n} sigma_i(X_(n))^2``).

    Parameters
    ----------
    tensor : array_like
        Order ``N >= 1``.
    ranks : None, int or sequence of int (or None entries)
        Multilinear ranks; ``None`` = full; each is capped at ``I_n``.

    Returns
    -------
    core : ndarray (r_0, ..., r_{N-1})
    factors : list of ndarray (I_n, r_n) with orthonormal columns
    status : int
        ``OK``; ``NOT_CONVERGED`` if LAPACK's SVD did not converge; ``BAD_INPUT`` for
        malformed ranks (wrong length, < 1), an empty or non-finite tensor (then
        ``core`` is the input and ``factors`` is empty).

    Notes
    -----
    Cost ``O(sum_n I_n prod(I_k))`` for the SVDs (one unfolding copy each) plus the core
    contraction ``O(sum_n r_n prod(...))``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((3, 4, 5))
    >>> core, U, status = hosvd(X)
    >>> bool(np.allclose(tucker_to_tensor(core, U), X))
    True
    """
    return _hosvd(tensor, ranks, sequential=False)


def st_hosvd(tensor, ranks=None):
    r"""Sequentially truncated HOSVD (Vannieuwenhoven, Vandebril, Meerbergen [2]_).

    Processes the modes in the order ``0, ..., N-1``: ``U_n`` = ``r_n`` leading left singular
    vectors of the mode-``n`` unfolding of the *current* core, then ``core <- core x_n U_n^T``.
    Cheaper than :func:`hosvd` (each SVD is on an already truncated core) with the same error
    bound ``||X - Xhat||^2 <= sum_n sum_{i > r_n} sigma_i(X_(n))^2``.

    Parameters, returns and status as :func:`hosvd` (``r_n`` is capped at ``I_n``; when ``r_n``
    exceeds the rank bound of the current unfolding, ``U_n`` is completed to an orthonormal set
    and the core gets zero slices, as in :func:`hosvd`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((3, 4, 5))
    >>> core, U, status = st_hosvd(X, ranks=(3, 4, 5))
    >>> bool(np.allclose(tucker_to_tensor(core, U), X))
    True
    """
    return _hosvd(tensor, ranks, sequential=True)


def _hosvd(tensor, ranks, sequential):
    try:
        X = _f64(tensor)
    except (TypeError, ValueError):
        return _empty(), [], BAD_INPUT
    rk = _tucker_ranks(ranks, X.shape)
    if X.ndim < 1 or X.size == 0 or rk is None or not np.all(np.isfinite(X)):
        return X, [], BAD_INPUT
    N = X.ndim
    factors = []
    core = X
    try:
        for n in range(N):
            src = core if sequential else X
            Un = _leading_left_sv(unfold(src, n), min(rk[n], src.shape[n]))
            factors.append(Un)
            if sequential:
                core = _mode_dot_t(core, Un, n)
    except np.linalg.LinAlgError:
        return X, [], NOT_CONVERGED
    if not sequential:
        for n in range(N):
            core = _mode_dot_t(core, factors[n], n)
    return np.ascontiguousarray(core), factors, OK


def tucker_to_tensor(core, factors):
    """Full tensor ``core x_0 U_0 x_1 ... x_{N-1} U_{N-1}``; empty ``(0, 0)`` if inconsistent.

    Examples
    --------
    >>> import numpy as np
    >>> tucker_to_tensor(np.ones((1, 1)), [np.ones((2, 1)), np.ones((3, 1))]).shape
    (2, 3)
    """
    try:
        G = _f64(core)
        F = [_f64(f) for f in factors]
    except (TypeError, ValueError):
        return _empty()
    if len(F) != G.ndim or any(f.ndim != 2 or f.shape[1] != G.shape[k] for k, f in enumerate(F)):
        return _empty()
    for n, f in enumerate(F):
        G = _mode_dot_t(G, np.ascontiguousarray(f.T), n)
    return G


def tt_svd(tensor, max_ranks=None, eps=None):
    r"""Tensor-train decomposition by sequential SVDs (TT-SVD, Oseledets [3]_ Alg. 1).

    ``X[i_0, ..., i_{d-1}] = G_0[:, i_0, :] G_1[:, i_1, :] ... G_{d-1}[:, i_{d-1}, :]`` with
    cores ``G_k`` of shape ``(r_{k-1}, n_k, r_k)``, ``r_{-1} = r_{d-1} = 1``. At step ``k`` the
    remainder is reshaped to ``(r_{k-1} n_k, n_{k+1} ... n_{d-1})`` and split by a truncated SVD;
    ``G_k`` holds the left singular vectors (left-orthonormal cores), ``Sigma V^T`` is carried on.

    Truncation rank at step ``k``:

    * ``eps`` given: the smallest ``r`` with ``sqrt(sum_{i >= r} sigma_i^2) <= delta``,
      ``delta = eps ||X||_F / sqrt(d - 1)``, which guarantees ``||X - X_TT||_F <= eps ||X||_F``;
    * otherwise the numerical rank with ``numpy.linalg.matrix_rank``'s tolerance
      ``sigma_max max(m, n) eps_machine`` (exact TT: ``r_k`` = rank of the contiguous unfolding
      ``X.reshape(n_0 ... n_k, -1)``);
    * ``max_ranks`` (int or sequence of ``d - 1`` ints) caps the result (quasi-optimal, [3]_).

    Every ``r_k >= 1`` (a zero tensor gives rank-one zero cores).

    Parameters
    ----------
    tensor : array_like, order d >= 1
    max_ranks : None, int or sequence of d-1 ints
    eps : None or float >= 0

    Returns
    -------
    cores : list of ndarray (r_{k-1}, n_k, r_k)
    status : int
        ``OK``; ``NOT_CONVERGED`` if an SVD did not converge; ``BAD_INPUT`` for malformed
        ``max_ranks`` / ``eps`` or an empty / non-finite tensor (``cores`` empty).

    Notes
    -----
    Cost ``O(sum_k r_{k-1} n_k min(r_{k-1} n_k, n_{k+1} ... n_{d-1}) n_{k+1} ... n_{d-1})``,
    dominated by the first SVD, ``O(n_0 min(n_0, N/n_0) N)`` for ``N = prod n_k``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((2, 3, 4))
    >>> cores, status = tt_svd(X)
    >>> [c.shape for c in cores], bool(np.allclose(tt_to_tensor(cores), X))
    ([(1, 2, 2), (2, 3, 4), (4, 4, 1)], True)
    """
    try:
        X = _f64(tensor)
    except (TypeError, ValueError):
        return [], BAD_INPUT
    d = X.ndim
    if d < 1 or X.size == 0 or not np.all(np.isfinite(X)):
        return [], BAD_INPUT
    if max_ranks is None:
        caps = [None] * (d - 1)
    elif _is_int(max_ranks):
        caps = [int(max_ranks)] * (d - 1)
    else:
        try:
            caps = list(max_ranks)
        except TypeError:
            return [], BAD_INPUT
        if len(caps) != d - 1:
            return [], BAD_INPUT
    if any(c is not None and (not _is_int(c) or c < 1) for c in caps):
        return [], BAD_INPUT
    if eps is not None:
        try:
            eps = float(eps)
        except (TypeError, ValueError):
            return [], BAD_INPUT
        if not (eps >= 0.0 and np.isfinite(eps)):
            return [], BAD_INPUT
    shape = X.shape
    if d == 1:
        return [X.reshape(1, shape[0], 1).copy()], OK
    delta = None
    if eps is not None:
        delta = eps * np.sqrt(float(np.dot(X.ravel(), X.ravel()))) / np.sqrt(d - 1)
    cores = []
    C = X
    r_prev = 1
    try:
        for k in range(d - 1):
            C = C.reshape(r_prev * shape[k], -1)
            wide = C.shape[1] > 2 * C.shape[0]
            if wide:  # singular values and U from the small triangular factor of C^T
                U, S, _ = np.linalg.svd(np.linalg.qr(C.T, mode="r").T)
            else:
                U, S, Vt = np.linalg.svd(C, full_matrices=False)
            if delta is not None:
                tail = np.sqrt(np.maximum(np.cumsum((S * S)[::-1])[::-1], 0.0))
                # tail[r] = sqrt(sum_{i >= r} S_i^2); smallest r with tail[r] <= delta
                ok = np.nonzero(tail <= delta)[0]
                r = int(ok[0]) if ok.size else S.size
            else:
                tolr = S[0] * max(C.shape) * _EPS if S.size else 0.0
                r = int(np.count_nonzero(S > tolr))
            if caps[k] is not None:
                r = min(r, caps[k])
            r = max(r, 1)
            Ur = np.ascontiguousarray(U[:, :r])
            cores.append(Ur.reshape(r_prev, shape[k], r))
            C = Ur.T @ C if wide else np.ascontiguousarray(S[:r, None] * Vt[:r])
            r_prev = r
    except np.linalg.LinAlgError:
        return [], NOT_CONVERGED
    cores.append(C.reshape(r_prev, shape[d - 1], 1))
    return cores, OK


def tt_to_tensor(cores):
    """Full tensor of a TT (list of ``(r_{k-1}, n_k, r_k)`` cores); empty ``(0, 0)`` if bad.

    Examples
    --------
    >>> import numpy as np
    >>> tt_to_tensor([np.ones((1, 2, 1)), np.ones((1, 3, 1))]).shape
    (2, 3)
    """
    try:
        G = [_f64(g) for g in cores]
    except (TypeError, ValueError):
        return _empty()
    if len(G) == 0 or any(g.ndim != 3 for g in G) or G[0].shape[0] != 1 or G[-1].shape[2] != 1:
        return _empty()
    if any(G[k].shape[2] != G[k + 1].shape[0] for k in range(len(G) - 1)):
        return _empty()
    out = G[0].reshape(G[0].shape[1], G[0].shape[2])
    for g in G[1:]:
        out = out @ g.reshape(g.shape[0], -1)
        out = out.reshape(-1, g.shape[2])
    return out.reshape(tuple(g.shape[1] for g in G))
