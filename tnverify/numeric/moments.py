r"""Moment-tensor methods: whitening and the robust tensor power method.

For ``M2 = sum_j w_j a_j a_j^T`` and ``M3 = sum_j w_j a_j o a_j o a_j`` (``w_j > 0``, ``k``
independent ``a_j``), a whitening ``W`` makes ``M3(W, W, W)`` orthogonally decomposable, and the
power method with deflation recovers its components (Anandkumar et al. [1]_ Sec. 4.3 and
Alg. 1). The power iterations are jitted (:func:`numba_kernels.moments.robust_power_method`);
this module draws the starting vectors, validates and turns status codes into words and
errors. Numerical evidence only (docs/architecture.md).

References
----------
.. [1] A. Anandkumar, R. Ge, D. Hsu, S. M. Kakade, M. Telgarsky, "Tensor decompositions for
   learning latent variable models", JMLR 15, 2014.
"""
from __future__ import annotations

import numpy as np

from numba_kernels.moments import robust_power_method

from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.numeric._validate import EPS, as_float_tensor, as_generator, check_rank, kernel_status

__all__ = ["whiten", "tensor_power_method", "power_method"]


def whiten(M2, k: int) -> np.ndarray:
    r"""Whitening matrix ``W`` (d x k) with ``W^T M2 W = I_k``.

    ``M2`` (symmetrised as ``(M2 + M2^T)/2``) has the eigendecomposition ``Q diag(lambda) Q^T``;
    ``W = Q_k diag(lambda_k)^{-1/2}`` for the ``k`` largest eigenvalues. For
    ``M2 = sum_j w_j a_j a_j^T`` with ``w_j > 0`` and ``k`` independent ``a_j``, the vectors
    ``sqrt(w_j) W^T a_j`` are orthonormal, so ``M3(W, W, W)`` is orthogonally decomposable
    ([1]_ Sec. 4.3).

    Parameters
    ----------
    M2 : array_like (d, d), symmetric positive semi-definite of rank >= k, finite
    k : int, 1 <= k <= d

    Returns
    -------
    W : ndarray (d, k)

    Raises
    ------
    InputError
        NaN/Inf, or ``k`` not an integer >= 1.
    ShapeError
        ``M2`` not square, or ``k > d``.
    NumericalError
        The ``k``-th largest eigenvalue is ``<= d eps lambda_max`` (weights of mixed sign, or
        rank < k), or LAPACK did not converge.

    Notes
    -----
    One symmetric eigendecomposition, ``O(d^3)``.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((5, 2)); M2 = A @ A.T
    >>> W = whiten(M2, 2)
    >>> bool(np.allclose(W.T @ M2 @ W, np.eye(2)))
    True
    """
    M = as_float_tensor(M2, name="second moment", min_order=2)
    k = check_rank(k, what="number of components")
    if M.ndim != 2 or M.shape[0] != M.shape[1] or k > M.shape[0]:
        raise ShapeError(f"expected a square matrix with at least {k} rows, got shape {M.shape}")
    d = M.shape[0]
    try:
        lam, Q = np.linalg.eigh(0.5 * (M + M.T))
    except np.linalg.LinAlgError:
        raise NumericalError("whitening failed: LAPACK's symmetric eigensolver did not converge") from None
    lam = lam[::-1][:k]
    if not lam[-1] > max(float(lam[0]), 0.0) * d * EPS:
        raise NumericalError(f"whitening failed: the second moment has fewer than {k} positive eigenvalues "
                             "(its weights are not all of one sign, or it has rank < k)")
    return np.ascontiguousarray(Q[:, ::-1][:, :k] * (1.0 / np.sqrt(lam)))


def tensor_power_method(T3, k: int, *, n_init: int = 10, n_iter: int = 100, tol: float = 1e-10, seed=None):
    r"""Robust tensor power method with deflation ([1]_ Alg. 1) on a symmetric ``d x d x d`` tensor.

    For ``T = sum_j lambda_j v_j o v_j o v_j`` (orthonormal ``v_j``, ``lambda_j > 0``; typically
    the whitened ``M3(W, W, W)``), each component is the best of ``n_init`` runs of the power map
    ``v <- T(I, v, v) / ||T(I, v, v)||`` from standard normal starts (drawn from ``seed``), refined
    by ``n_iter`` more steps and deflated, ``T <- T - lambda v o v o v``. A run stops once
    ``||v_new - v||_2 <= tol``.

    Parameters
    ----------
    T3 : array_like (d, d, d), symmetric (not checked), finite
    k : int, 1 <= k <= d
        Number of components.
    n_init : int >= 1
        Starting vectors per component.
    n_iter : int >= 1
        Power steps per run.
    tol : float >= 0
    seed : int, Generator or None

    Returns
    -------
    eigenvalues : ndarray (k,)
        ``lambda_j >= 0`` in order of extraction.
    eigenvectors : ndarray (d, k)
        Unit columns.
    status : str
        ``converged``, ``max iterations reached`` (a final run did not reach ``tol`` in ``n_iter`` steps,
        the word CP-ALS and HOOI use) or ``singular``
        (the deflated tensor vanished: fewer than ``k`` components).

    Raises
    ------
    InputError
        NaN/Inf, or counts / ``tol`` out of range.
    ShapeError
        Not a cubical tensor, or ``k > d``.

    Notes
    -----
    ``O(k (n_init + 1) n_iter d^3)`` flops, jitted.

    Examples
    --------
    >>> import numpy as np
    >>> Q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    >>> T = np.einsum('j,ij,kj,lj->ikl', [3.0, 2.0, 1.0, 0.5], Q, Q, Q)
    >>> lam, V, status = tensor_power_method(T, 4, seed=1)
    >>> status, np.round(lam, 8).tolist()
    ('converged', [3.0, 2.0, 1.0, 0.5])
    """
    T = as_float_tensor(T3, name="symmetric tensor", min_order=3)
    k = check_rank(k, what="number of components")
    if T.ndim != 3 or len(set(T.shape)) != 1 or k > T.shape[0]:
        raise ShapeError(f"expected a cubical d x d x d tensor with d >= {k}, got shape {T.shape}")
    n_init = check_rank(n_init, what="n_init")
    n_iter = check_rank(n_iter, what="n_iter")
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) or not 0 <= tol < np.inf:
        raise InputError(f"expected a finite tol >= 0, got {tol!r}")
    inits = as_generator(seed).standard_normal((k, n_init, T.shape[0]))
    lam, V, status = robust_power_method(T, inits, n_iter, k, float(tol))
    return lam, V, kernel_status(int(status), "tensor power method")


#: Short name of :func:`tensor_power_method`.
power_method = tensor_power_method
