"""Moment-tensor methods: whitening and the symmetric tensor power method with deflation.

Float64, C-contiguous arrays; status codes as in :mod:`numba_kernels.decompositions`.
Random starting vectors are passed in.

References
----------
.. [1] A. Anandkumar, R. Ge, D. Hsu, S. M. Kakade, M. Telgarsky, "Tensor decompositions for
   learning latent variable models", JMLR 15, 2014.
"""
import numpy as np

from ._jit import BAD_INPUT, NOT_CONVERGED, OK, SINGULAR, njit
from ._common import _EPS, _f64, _empty, _is_int

__all__ = ["whitening", "symmetric_tensor_power_method"]


@njit
def _t_ivv(T, v, out):
    """out_i = T(I, v, v)_i = sum_{j,k} T[i, j, k] v_j v_k."""
    d = T.shape[0]
    for i in range(d):
        s = 0.0
        for j in range(d):
            t = 0.0
            for k in range(d):
                t += T[i, j, k] * v[k]
            s += t * v[j]
        out[i] = s


@njit
def _power_iterate(T, v, n_iter, tol, zero_tol, u):
    """Normalised power iterations v <- T(I,v,v)/||T(I,v,v)|| in place.

    Returns (lam, converged, zero): lam = T(v, v, v) at the final v; zero when
    ||T(I,v,v)|| <= zero_tol (the tensor vanishes numerically along v).
    """
    d = v.shape[0]
    converged = False
    zero = False
    for _ in range(n_iter):
        _t_ivv(T, v, u)
        nrm = 0.0
        for i in range(d):
            nrm += u[i] * u[i]
        nrm = np.sqrt(nrm)
        if nrm <= zero_tol or not np.isfinite(nrm):
            zero = True
            break
        diff = 0.0
        for i in range(d):
            u[i] /= nrm
            diff += (u[i] - v[i]) ** 2
            v[i] = u[i]
        if np.sqrt(diff) <= tol:
            converged = True
            break
    _t_ivv(T, v, u)
    lam = 0.0
    for i in range(d):
        lam += u[i] * v[i]
    return lam, converged, zero


@njit
def _power_method_kernel(T, inits, n_iter, k, tol):
    """Robust tensor power method with deflation (Algorithm 1 of Anandkumar et al. 2014).

    T: d x d x d (copied), inits: k x L x d. Returns (lams (k,), V (d, k), status).
    """
    d = T.shape[0]
    L = inits.shape[1]
    Tw = T.copy()
    lams = np.zeros(k)
    V = np.zeros((d, k))
    u = np.empty(d)
    v = np.empty(d)
    best = np.empty(d)
    status = 0
    normT = 0.0
    for i in range(d):
        for j in range(d):
            for kk in range(d):
                normT += T[i, j, kk] * T[i, j, kk]
    # deflation leaves roundoff of order d eps ||T||: below this the tensor is numerically zero
    zero_tol = 64.0 * d * 2.220446049250313e-16 * np.sqrt(normT)
    for c in range(k):
        best_lam = -np.inf
        have = False
        for ell in range(L):
            nrm = 0.0
            for i in range(d):
                v[i] = inits[c, ell, i]
                nrm += v[i] * v[i]
            nrm = np.sqrt(nrm)
            if nrm == 0.0 or not np.isfinite(nrm):
                continue
            for i in range(d):
                v[i] /= nrm
            lam, conv, zero = _power_iterate(Tw, v, n_iter, tol, zero_tol, u)
            if (not have) or lam > best_lam:
                best_lam = lam
                have = True
                for i in range(d):
                    best[i] = v[i]
        if not have:
            return lams, V, 3  # BAD_INPUT: every starting vector of this component is zero
        for i in range(d):
            v[i] = best[i]
        lam, conv, zero = _power_iterate(Tw, v, n_iter, tol, zero_tol, u)
        if zero or abs(lam) <= zero_tol:
            status = 2  # SINGULAR: the deflated tensor vanishes on v (fewer than k components)
        elif not conv and status == 0:
            status = 1  # NOT_CONVERGED
        if lam < 0.0:  # odd order: T(-v,-v,-v) = -T(v,v,v)
            lam = -lam
            for i in range(d):
                v[i] = -v[i]
        lams[c] = lam
        for i in range(d):
            V[i, c] = v[i]
        for i in range(d):
            a = lam * v[i]
            for j in range(d):
                b = a * v[j]
                for kk in range(d):
                    Tw[i, j, kk] -= b * v[kk]
    return lams, V, status


def whitening(M2, k):
    r"""Whitening matrix ``W`` (d x k) with ``W^T M2 W = I_k`` (Anandkumar et al. [1]_ Sec. 4.3).

    ``M2`` (symmetrised as ``(M2 + M2^T)/2``) has eigen-decomposition ``Q diag(lambda) Q^T``;
    ``W = Q_k diag(lambda_k)^{-1/2}`` for the ``k`` largest eigenvalues. For
    ``M2 = sum_j w_j a_j a_j^T`` with ``w_j > 0`` and independent ``a_j`` (k of them), the
    vectors ``sqrt(w_j) W^T a_j`` are orthonormal, which makes the whitened third moment
    ``M3(W, W, W)`` orthogonally decomposable.

    Parameters
    ----------
    M2 : array_like (d, d), symmetric positive semi-definite of rank >= k
    k : int, 1 <= k <= d

    Returns
    -------
    W : ndarray (d, k)
    status : int
        ``OK``; ``SINGULAR`` when the k-th largest eigenvalue is ``<= d eps lambda_max``
        (the corresponding columns of ``W`` are zero); ``BAD_INPUT`` for a non-square or
        non-finite ``M2`` or a bad ``k`` (``W`` empty).

    Notes
    -----
    One symmetric eigendecomposition, ``O(d^3)``.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((5, 2)); M2 = A @ A.T
    >>> W, status = whitening(M2, 2)
    >>> status, bool(np.allclose(W.T @ M2 @ W, np.eye(2)))
    (0, True)
    """
    try:
        M = _f64(M2)
    except (TypeError, ValueError):
        return _empty(), BAD_INPUT
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0 or not np.all(np.isfinite(M)):
        return _empty(), BAD_INPUT
    d = M.shape[0]
    if not _is_int(k) or not 1 <= k <= d:
        return _empty(), BAD_INPUT
    try:
        lam, Q = np.linalg.eigh(0.5 * (M + M.T))
    except np.linalg.LinAlgError:
        return _empty(), NOT_CONVERGED
    lam = lam[::-1][:k]
    Q = Q[:, ::-1][:, :k]
    thresh = max(float(lam[0]), 0.0) * d * _EPS
    good = lam > thresh
    scale = np.zeros(k)
    scale[good] = 1.0 / np.sqrt(lam[good])
    W = np.ascontiguousarray(Q * scale)
    return W, (OK if bool(np.all(good)) else SINGULAR)


def symmetric_tensor_power_method(T3, init_vectors, n_iter, k, tol=1e-10):
    r"""Robust tensor power method with deflation (Anandkumar et al. [1]_ Algorithm 1).

    For an (approximately) orthogonally decomposable symmetric tensor
    ``T = sum_j lambda_j v_j o v_j o v_j`` (orthonormal ``v_j``, ``lambda_j > 0``, typically the
    whitened moment ``M3(W, W, W)``), each component is found by running the power map
    ``v <- T(I, v, v) / ||T(I, v, v)||`` from ``L`` starting vectors for at most ``n_iter``
    steps, keeping the one with the largest ``lambda = T(v, v, v)``, running ``n_iter`` more
    steps from it, and deflating ``T <- T - lambda v o v o v``. Iterations stop early once
    ``||v_new - v|| <= tol``.

    Parameters
    ----------
    T3 : array_like (d, d, d)
        Symmetric tensor (not checked; ``T(I, v, v)`` contracts the last two modes).
    init_vectors : array_like (L, d) or (k, L, d)
        Starting vectors (random, passed in); a 2-D array is reused for every component.
    n_iter : int >= 1
    k : int, 1 <= k <= d
        Number of components.
    tol : float
        Convergence threshold on the step ``||v_new - v||_2``.

    Returns
    -------
    eigenvalues : ndarray (k,), ``lambda_j >= 0`` in order of extraction
    eigenvectors : ndarray (d, k), unit columns
    status : int
        ``OK``; ``NOT_CONVERGED`` some component's final run did not reach ``tol`` within
        ``n_iter`` steps; ``SINGULAR`` the deflated tensor vanished numerically on the
        iterate (``||T(I, v, v)|| <= 64 d eps ||T||_F``: ``T`` has fewer than ``k``
        components); ``BAD_INPUT`` wrong shapes, ``k`` or ``n_iter`` out of range, non-finite
        data, or all starting vectors of a component zero.

    Notes
    -----
    ``O(k (L + 1) n_iter d^3)`` flops (each power step is a ``d^3`` contraction), jitted.

    Examples
    --------
    >>> import numpy as np
    >>> Q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    >>> T = np.einsum('j,ij,kj,lj->ikl', [3.0, 2.0, 1.0, 0.5], Q, Q, Q)
    >>> inits = np.random.default_rng(1).standard_normal((5, 4))
    >>> lam, V, status = symmetric_tensor_power_method(T, inits, 100, 4)
    >>> status, np.round(lam, 8).tolist()
    (0, [3.0, 2.0, 1.0, 0.5])
    """
    try:
        T = _f64(T3)
        V0 = _f64(init_vectors)
        tol = float(tol)
    except (TypeError, ValueError):
        return np.zeros(0), _empty(), BAD_INPUT
    if T.ndim != 3 or not (T.shape[0] == T.shape[1] == T.shape[2]) or T.shape[0] == 0:
        return np.zeros(0), _empty(), BAD_INPUT
    d = T.shape[0]
    if not _is_int(k) or not 1 <= k <= d or not _is_int(n_iter) or n_iter < 1:
        return np.zeros(0), _empty(), BAD_INPUT
    if V0.ndim == 2 and V0.shape[1] == d and V0.shape[0] >= 1:
        V0 = np.ascontiguousarray(np.broadcast_to(V0, (int(k),) + V0.shape))
    if V0.ndim != 3 or V0.shape[0] != k or V0.shape[2] != d or V0.shape[1] < 1:
        return np.zeros(0), _empty(), BAD_INPUT
    if not (np.all(np.isfinite(T)) and np.all(np.isfinite(V0)) and np.isfinite(tol)):
        return np.zeros(0), _empty(), BAD_INPUT
    lams, V, status = _power_method_kernel(T, V0, int(n_iter), int(k), max(tol, 0.0))
    return lams, V, int(status)
