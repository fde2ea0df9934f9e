r"""Tucker and tensor-train decompositions by SVDs: HOSVD, sequentially truncated HOSVD, TT-SVD.

Pure numpy / LAPACK (no jitted loop pays off here: the work is in the SVDs and in mode products
done as GEMMs). Numerical evidence only (docs/architecture.md). C-order unfoldings, as in
:mod:`tnverify.numeric.mttkrp`; the mode-``n`` product ``X x_n M`` contracts mode ``n`` of ``X``
with the columns of ``M``.

References
----------
.. [1] L. De Lathauwer, B. De Moor, J. Vandewalle, "A multilinear singular value
   decomposition", SIAM J. Matrix Anal. Appl. 21(4), 2000.
.. [2] N. Vannieuwenhoven, R. Vandebril, K. Meerbergen, "A new truncation strategy for the
   higher-order singular value decomposition", SIAM J. Sci. Comput. 34(2), 2012.
.. [3] I. V. Oseledets, "Tensor-train decomposition", SIAM J. Sci. Comput. 33(5), 2011.
"""
from __future__ import annotations

import math

import numpy as np

from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.numeric._validate import EPS, as_f64, as_float_tensor, check_rank, relative_error
from tnverify.numeric.mttkrp import unfold

__all__ = ["hosvd", "st_hosvd", "tucker_to_tensor", "tt_svd", "tt_to_tensor"]


def _mode_dot_t(X: np.ndarray, U: np.ndarray, n: int) -> np.ndarray:
    """``X x_n U^T``: contract mode ``n`` of ``X`` (size ``I_n``) with the rows of ``U`` (``I_n x r``)."""
    shape = X.shape
    L = math.prod(shape[:n])
    In = shape[n]
    Rr = math.prod(shape[n + 1:])
    r = U.shape[1]
    if L == 1:
        out = U.T @ X.reshape(In, Rr)
    elif Rr == 1:
        out = X.reshape(L, In) @ U
    else:
        out = np.matmul(U.T, X.reshape(L, In, Rr))
    return np.ascontiguousarray(out).reshape(shape[:n] + (r,) + shape[n + 1:])


def _leading_left_sv(M: np.ndarray, r: int) -> np.ndarray:
    """``r`` leading left singular vectors, completed to an orthonormal set if ``r`` exceeds the rank bound.

    For a wide ``M`` (``m x n``, ``n > 2m``) the triangular factor of ``M^T = Q R`` is computed
    first and ``U`` is taken from the SVD of the small ``R^T`` (the same left singular vectors,
    backward stable, without forming ``V``).
    """
    m, n = M.shape
    if n > 2 * m:
        U = np.linalg.svd(np.linalg.qr(M.T, mode="r").T)[0]
    else:
        U = np.linalg.svd(M, full_matrices=n < r)[0]
    return np.ascontiguousarray(U[:, :r])


def _multilinear_ranks(ranks, shape) -> list:
    """None / int / list or tuple of ints or None (None = full) -> one int per mode, capped at ``I_n``."""
    N = len(shape)
    if ranks is None:
        return list(shape)
    if isinstance(ranks, (list, tuple)):
        if len(ranks) != N:
            raise ShapeError(f"expected {N} multilinear ranks, got {len(ranks)}")
    else:
        ranks = [ranks] * N
    return [I if r is None else min(check_rank(r, what="multilinear rank"), I) for r, I in zip(ranks, shape)]


def hosvd(tensor, ranks=None, *, sequential: bool = True):
    r"""Truncated higher-order SVD: ``(core, factors, rel_error)``.

    ``sequential=False``: the HOSVD of De Lathauwer, De Moor and Vandewalle [1]_. ``U_n`` = the
    ``r_n`` leading left singular vectors of the unfolding ``X_(n)``;
    ``core = X x_0 U_0^T x_1 ... x_{N-1} U_{N-1}^T``, so ``X ~ core x_0 U_0 ... x_{N-1} U_{N-1}``.

    ``sequential=True`` (default): the sequentially truncated HOSVD of Vannieuwenhoven, Vandebril
    and Meerbergen [2]_. The modes are processed in the order ``0, ..., N-1``: ``U_n`` = ``r_n``
    leading left singular vectors of the mode-``n`` unfolding of the *current* core, then
    ``core <- core x_n U_n^T``; cheaper, since each SVD is of an already truncated core.

    Both are exact when ``r_n >= rank X_(n)`` for all ``n``, and in general satisfy
    ``||X - Xhat||^2 <= sum_n sum_{i > r_n} sigma_i(X_(n))^2``. When ``r_n`` exceeds the rank
    bound of the unfolding, ``U_n`` is completed to an orthonormal set and the core gets zero slices.

    Parameters
    ----------
    tensor : array_like, order >= 1, finite
    ranks : None, int or list / tuple of ints (or None entries)
        Multilinear ranks; ``None`` = full; each is capped at ``I_n``.
    sequential : bool

    Returns
    -------
    core : ndarray (r_0, ..., r_{N-1})
    factors : list of ndarray (I_n, r_n)
        Orthonormal columns.
    rel_error : float
        ``||X - Xhat||_F / ||X||_F``.

    Raises
    ------
    InputError
        NaN/Inf, or a rank that is not an integer >= 1.
    ShapeError
        A number of ranks other than the order.
    NumericalError
        LAPACK's SVD did not converge.

    Notes
    -----
    HOSVD: ``O(sum_n I_n prod(I_k))`` for the SVDs (one unfolding copy each), plus the core
    contraction ``O(sum_n r_n prod(...))``. ST-HOSVD: the ``n``-th SVD is of a tensor already
    truncated in modes ``< n``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((3, 4, 5))
    >>> core, U, err = hosvd(X, sequential=False)
    >>> bool(np.allclose(tucker_to_tensor(core, U), X)), bool(err < 1e-12)
    (True, True)
    """
    X = as_float_tensor(tensor)
    rk = _multilinear_ranks(ranks, X.shape)
    factors = []
    core = X
    try:
        for n in range(X.ndim):
            src = core if sequential else X
            factors.append(_leading_left_sv(unfold(src, n), rk[n]))
            if sequential:
                core = _mode_dot_t(core, factors[n], n)
    except np.linalg.LinAlgError:
        raise NumericalError("HOSVD failed: LAPACK's SVD did not converge") from None
    if not sequential:
        for n in range(X.ndim):
            core = _mode_dot_t(core, factors[n], n)
    core = np.ascontiguousarray(core)
    return core, factors, relative_error(X, tucker_to_tensor(core, factors))


def st_hosvd(tensor, ranks=None):
    """Sequentially truncated HOSVD [2]_: :func:`hosvd` with ``sequential=True``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((3, 4, 5))
    >>> core, U, err = st_hosvd(X, ranks=(3, 4, 5))
    >>> bool(np.allclose(tucker_to_tensor(core, U), X))
    True
    """
    return hosvd(tensor, ranks, sequential=True)


def tucker_to_tensor(core, factors) -> np.ndarray:
    """Full tensor ``core x_0 U_0 x_1 ... x_{N-1} U_{N-1}`` (``U_n`` of shape ``(I_n, r_n)``).

    ``O(sum_n I_n r_n prod(...))`` flops, one GEMM per mode.

    Raises
    ------
    ShapeError
        One factor per core mode with ``r_n`` columns is needed.

    Examples
    --------
    >>> import numpy as np
    >>> tucker_to_tensor(np.ones((1, 1)), [np.ones((2, 1)), np.ones((3, 1))]).shape
    (2, 3)
    """
    G = as_f64(core, name="core")
    F = [as_f64(f, name="factor") for f in factors]
    if len(F) != G.ndim or any(f.ndim != 2 or f.shape[1] != G.shape[k] for k, f in enumerate(F)):
        raise ShapeError(f"inconsistent Tucker value: a core of shape {G.shape} and factors {[f.shape for f in F]}")
    for n, f in enumerate(F):
        G = _mode_dot_t(G, np.ascontiguousarray(f.T), n)
    return G


def _tt_caps(max_ranks, d: int) -> list:
    if max_ranks is None:
        return [None] * (d - 1)
    if isinstance(max_ranks, (list, tuple, np.ndarray)):
        max_ranks = list(max_ranks)
        if len(max_ranks) == d + 1 and max_ranks[0] == max_ranks[-1] == 1:  # TensorLy's form [1, r_0, ..., 1]
            max_ranks = max_ranks[1:-1]
        if len(max_ranks) != d - 1:
            raise ShapeError(f"expected {d - 1} TT ranks (or TensorLy's {d + 1} with 1 at both ends) for an "
                             f"order-{d} tensor, got {max_ranks!r}")
        return [check_rank(r, what="TT rank") for r in max_ranks]
    return [check_rank(max_ranks, what="TT rank")] * (d - 1)


def tt_svd(tensor, max_ranks=None, *, eps=None):
    r"""Tensor-train decomposition by sequential SVDs (TT-SVD, Oseledets [3]_ Alg. 1): ``(cores, rel_error)``.

    ``X[i_0, ..., i_{d-1}] = G_0[:, i_0, :] G_1[:, i_1, :] ... G_{d-1}[:, i_{d-1}, :]`` with cores
    ``G_k`` of shape ``(r_{k-1}, n_k, r_k)``, ``r_{-1} = r_{d-1} = 1``. At step ``k`` the remainder
    is reshaped to ``(r_{k-1} n_k, n_{k+1} ... n_{d-1})`` and split by a truncated SVD; ``G_k``
    holds the left singular vectors (left-orthonormal cores), ``Sigma V^T`` is carried on.

    Truncation rank at step ``k``:

    * ``eps`` given: the smallest ``r`` with ``sqrt(sum_{i >= r} sigma_i^2) <= delta``,
      ``delta = eps ||X||_F / sqrt(d - 1)``, which guarantees ``||X - X_TT||_F <= eps ||X||_F``;
    * otherwise the numerical rank with ``numpy.linalg.matrix_rank``'s tolerance
      ``sigma_max max(m, n) eps_machine`` (exact TT: ``r_k`` = rank of the contiguous unfolding
      ``X.reshape(n_0 ... n_k, -1)``);
    * ``max_ranks`` caps the result (quasi-optimal, [3]_).

    Every ``r_k >= 1`` (a zero tensor gives rank-one zero cores).

    Parameters
    ----------
    tensor : array_like, order d >= 1, finite
    max_ranks : None, int or list / tuple of d - 1 ints
        Or TensorLy's ``tensor_train`` form, ``d + 1`` ints with ``1`` at both ends.
    eps : None or float >= 0

    Returns
    -------
    cores : list of ndarray (r_{k-1}, n_k, r_k)
    rel_error : float

    Raises
    ------
    InputError
        NaN/Inf, a rank that is not an integer >= 1, or ``eps`` not a finite number >= 0.
    ShapeError
        A number of TT ranks other than ``d - 1``.
    NumericalError
        An SVD did not converge.

    Notes
    -----
    ``O(sum_k r_{k-1} n_k min(r_{k-1} n_k, n_{k+1} ... n_{d-1}) n_{k+1} ... n_{d-1})``, dominated by
    the first SVD, ``O(n_0 min(n_0, N/n_0) N)`` for ``N = prod n_k``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((2, 3, 4))
    >>> cores, err = tt_svd(X)
    >>> [c.shape for c in cores], bool(np.allclose(tt_to_tensor(cores), X))
    ([(1, 2, 2), (2, 3, 4), (4, 4, 1)], True)
    """
    X = as_float_tensor(tensor)
    d = X.ndim
    caps = _tt_caps(max_ranks, d)
    if eps is not None:
        try:
            eps = float(eps)
        except (TypeError, ValueError):
            raise InputError(f"expected eps >= 0, got {eps!r}") from None
        if not 0.0 <= eps < np.inf:
            raise InputError(f"expected eps >= 0, got {eps!r}")
    shape = X.shape
    if d == 1:
        return [X.reshape(1, shape[0], 1).copy()], 0.0
    delta = None if eps is None else eps * np.sqrt(float(np.dot(X.ravel(), X.ravel()))) / np.sqrt(d - 1)
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
                tolr = S[0] * max(C.shape) * EPS if S.size else 0.0
                r = int(np.count_nonzero(S > tolr))
            if caps[k] is not None:
                r = min(r, caps[k])
            r = max(r, 1)
            Ur = np.ascontiguousarray(U[:, :r])
            cores.append(Ur.reshape(r_prev, shape[k], r))
            C = Ur.T @ C if wide else np.ascontiguousarray(S[:r, None] * Vt[:r])
            r_prev = r
    except np.linalg.LinAlgError:
        raise NumericalError("TT-SVD failed: LAPACK's SVD did not converge") from None
    cores.append(C.reshape(r_prev, shape[d - 1], 1))
    return cores, relative_error(X, tt_to_tensor(cores))


def tt_to_tensor(cores) -> np.ndarray:
    """Full tensor of a TT (a list of ``(r_{k-1}, n_k, r_k)`` cores, ``r_{-1} = r_{d-1} = 1``).

    Left to right, one GEMM per core: ``O(sum_k (n_0 ... n_k) r_{k-1} r_k)`` flops.

    Raises
    ------
    ShapeError
        No core, a core that is not 3-D, or bond dimensions that do not match.

    Examples
    --------
    >>> import numpy as np
    >>> tt_to_tensor([np.ones((1, 2, 1)), np.ones((1, 3, 1))]).shape
    (2, 3)
    """
    G = [as_f64(g, name="TT core") for g in cores]
    if (not G or any(g.ndim != 3 for g in G) or G[0].shape[0] != 1 or G[-1].shape[2] != 1
            or any(G[k].shape[2] != G[k + 1].shape[0] for k in range(len(G) - 1))):
        raise ShapeError(f"inconsistent TT value: expected cores (r_(k-1), n_k, r_k) with r = 1 at both ends, "
                         f"got shapes {[g.shape for g in G]}")
    out = G[0].reshape(G[0].shape[1], G[0].shape[2])
    for g in G[1:]:
        out = out @ g.reshape(g.shape[0], -1)
        out = out.reshape(-1, g.shape[2])
    return out.reshape(tuple(g.shape[1] for g in G))
