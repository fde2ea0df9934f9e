r"""Jitted loops of the robust tensor power method (symmetric third-order tensors).

The driver (validation, random starting vectors, whitening, status words and errors) is
:mod:`tnverify.numeric.moments`; docs/architecture.md places this package below it. Float64
C-contiguous arrays; random starting vectors are passed in; problems are status codes of
:mod:`numba_kernels._jit`, never exceptions.

References
----------
.. [1] A. Anandkumar, R. Ge, D. Hsu, S. M. Kakade, M. Telgarsky, "Tensor decompositions for
   learning latent variable models", JMLR 15, 2014.
"""
import numpy as np

from ._jit import BAD_INPUT, NOT_CONVERGED, OK, SINGULAR, njit

__all__ = ["robust_power_method"]


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
def robust_power_method(T, inits, n_iter, k, tol):
    r"""Robust tensor power method with deflation (Anandkumar et al. [1]_ Algorithm 1).

    For an (approximately) orthogonally decomposable symmetric tensor
    ``T = sum_j lambda_j v_j o v_j o v_j`` (orthonormal ``v_j``, ``lambda_j > 0``), each component
    is found by running the power map ``v <- T(I, v, v) / ||T(I, v, v)||`` from the ``L`` starting
    vectors ``inits[c]`` for at most ``n_iter`` steps, keeping the one with the largest
    ``lambda = T(v, v, v)``, running ``n_iter`` more steps from it, and deflating
    ``T <- T - lambda v o v o v``. A run stops early once ``||v_new - v||_2 <= tol``.

    Parameters
    ----------
    T : ndarray (d, d, d)
        Symmetric (not checked; ``T(I, v, v)`` contracts the last two modes); not modified.
    inits : ndarray (k, L, d)
        Starting vectors (random, drawn by the caller).
    n_iter : int >= 1
    k : int, 1 <= k <= d
    tol : float >= 0

    Returns
    -------
    lams : ndarray (k,)
        ``lambda_j >= 0`` in order of extraction (a negative ``T(v, v, v)`` flips ``v``).
    V : ndarray (d, k)
        Unit columns.
    status : int
        ``OK``; ``NOT_CONVERGED`` some component's final run did not reach ``tol``;
        ``SINGULAR`` the deflated tensor vanished numerically on the iterate
        (``||T(I, v, v)|| <= 64 d eps ||T||_F``: fewer than ``k`` components); ``BAD_INPUT``
        every starting vector of a component is zero or non-finite.

    Notes
    -----
    ``O(k (L + 1) n_iter d^3)`` flops (each power step is a ``d^3`` contraction), ``O(d^3)``
    memory for the deflated copy.
    """
    d = T.shape[0]
    L = inits.shape[1]
    Tw = T.copy()
    lams = np.zeros(k)
    V = np.zeros((d, k))
    u = np.empty(d)
    v = np.empty(d)
    best = np.empty(d)
    status = OK
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
            return lams, V, BAD_INPUT  # every starting vector of this component is zero
        for i in range(d):
            v[i] = best[i]
        lam, conv, zero = _power_iterate(Tw, v, n_iter, tol, zero_tol, u)
        if zero or abs(lam) <= zero_tol:
            status = SINGULAR  # the deflated tensor vanishes on v (fewer than k components)
        elif not conv and status == OK:
            status = NOT_CONVERGED
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
