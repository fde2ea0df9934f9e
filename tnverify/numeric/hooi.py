r"""Iterated Tucker decomposition: higher-order orthogonal iteration (HOOI), with fixed factors and a mask.

Pure numpy / LAPACK, as :mod:`tnverify.numeric.tucker`: the work is in mode products done as
GEMMs and in SVDs of small unfoldings, where no jitted loop pays off. Numerical evidence only
(docs/architecture.md). Options and semantics follow TensorLy 0.10's ``tucker``
(docs/numeric.md).

References
----------
.. [1] L. De Lathauwer, B. De Moor, J. Vandewalle, "On the best rank-1 and rank-(R1, ..., RN)
   approximation of higher-order tensors", SIAM J. Matrix Anal. Appl. 21(4), 2000.
.. [2] H. A. L. Kiers, "Weighted least squares fitting using ordinary least squares
   algorithms", Psychometrika 62, 1997.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

import numpy as np

from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.numeric._validate import (as_float_tensor, as_generator, check_count, check_mask, relative_error)
from tnverify.numeric.cp_init import random_factors
from tnverify.numeric.mttkrp import unfold
from tnverify.numeric.tucker import _leading_left_sv, _mode_dot_t, _multilinear_ranks, tucker_to_tensor

__all__ = ["TuckerResult", "tucker_hooi"]


@dataclass
class TuckerResult:
    """A Tucker decomposition ``X ~ core x_0 U_0 ... x_{N-1} U_{N-1}``; unpacks as ``core, factors``.

    ``status``: ``converged`` (the stopping rule fired), ``max iterations reached``, or
    ``all modes fixed``; ``error_change`` the change of the relative error over the last
    iteration (NaN before two iterations); ``errors`` the relative error after each iteration.
    """

    core: np.ndarray
    factors: list
    rel_error: float
    n_iter: int
    status: str
    message: str = ""
    errors: list = dc_field(default_factory=list)
    error_change: float = float("nan")

    def __iter__(self):
        return iter((self.core, self.factors))

    def __len__(self) -> int:
        return 2

    def to_tensor(self) -> np.ndarray:
        """The full tensor (:func:`tnverify.numeric.tucker.tucker_to_tensor`)."""
        return tucker_to_tensor(self.core, self.factors)


def _project(X, Q, skip: int = -1):
    """``X x_k Q_k^T`` over every mode ``k != skip``."""
    for k, q in enumerate(Q):
        if k != skip:
            X = _mode_dot_t(X, q, k)
    return X


def _user_factors(init, shape, rk):
    """The factors of a user's start: ``(core, factors)``, a TuckerTensor or a list of factors."""
    try:
        parts = list(init)
    except TypeError:
        raise InputError(f"expected init 'svd', 'random', (core, factors) or a list of factors, got "
                         f"{type(init).__name__}") from None
    if len(parts) == 2 and isinstance(parts[1], (list, tuple)) and np.ndim(parts[0]) == len(shape):
        parts = list(parts[1])
    F = [as_float_tensor(f, name=f"init factor {n}", min_order=2) for n, f in enumerate(parts)]
    if len(F) != len(shape) or any(f.shape != (I, r) for f, I, r in zip(F, shape, rk)):
        raise ShapeError(f"expected init factors of shapes {[(I, r) for I, r in zip(shape, rk)]}, "
                         f"got {[f.shape for f in F]}")
    return F


def _orthonormal(F):
    """``(Q, R)`` of a reduced QR, ``Q`` C-contiguous."""
    Q, R = np.linalg.qr(F)
    return np.ascontiguousarray(Q), R


def tucker_hooi(tensor, ranks=None, *, fixed_factors=None, mask=None, init="svd", seed=None, n_iter_max: int = 100,
                tol: float = 1e-4, return_errors: bool = False):
    r"""Tucker decomposition by higher-order orthogonal iteration (HOOI) [1]_.

    Maximises ``||X x_0 U_0^T ... x_{N-1} U_{N-1}^T||`` over orthonormal ``U_n`` (``I_n x r_n``),
    i.e. minimises ``||X - core x_0 U_0 ... x_{N-1} U_{N-1}||_F`` with ``core = X x_n U_n^T``. One
    iteration updates each free mode ``n`` in turn: ``U_n`` = the ``r_n`` leading left singular
    vectors of the mode-``n`` unfolding of ``X x_{k != n} U_k^T``; then the core. The error
    ``sqrt(||X||^2 - ||core||^2) / ||X||`` never increases.

    Stopping rule: after iteration ``k >= 2``, stop when ``|e_{k-1} - e_k| < tol``; ``status`` is
    ``converged`` only then, ``max iterations reached`` otherwise (``error_change`` beside it).

    Parameters
    ----------
    tensor : array_like, order >= 1, finite
    ranks : None, int or list of ints (None entries = full)
        Multilinear ranks, each capped at ``I_n``.
    fixed_factors : iterable of int, optional
        Modes whose factors stay as given in ``init`` (needs a user init) and are returned
        unchanged. A fixed factor need not be orthonormal: the iteration works with the Q of its
        QR decomposition (the same column space) and the returned core is expressed in the
        given factor, ``core = core_Q x_k R_k^+``.
    mask : array_like of the tensor's shape, entries in ``[0, 1]``, optional
        Weights of the fit, 0 = missing. EM (Kiers' majorisation [2]_): the fitted tensor is
        ``M * X + (1 - M) * Xhat``, refilled before every iteration (first from the start);
        the error is ``sqrt(sum M (X - Xhat)^2 / sum M X^2)``.
    init : ``"svd"`` (truncated HOSVD; with a mask, of the tensor with missing entries at the
        observed mean), ``"random"`` (orthonormalised random factors: uniform for non-negative
        data, standard normal otherwise), ``(core, factors)``, a TuckerTensor, or a list of
        factors (the core is then the projection of the tensor).
    seed : int, Generator or None
    n_iter_max : int >= 0
    tol : float >= 0
    return_errors : bool
        Return ``(result, errors)``.

    Returns
    -------
    TuckerResult, or ``(TuckerResult, errors)``
        ``rel_error`` computed from the reconstruction.

    Raises
    ------
    InputError, ShapeError
        Bad ranks, counts, mask or init; fixed factors without a user init.
    NumericalError
        An SVD did not converge.

    Notes
    -----
    Per iteration and free mode ``n``: the mode products of ``X`` with the other factors
    (``O(r prod(I))`` for the first, less after) and an SVD of an ``I_n x prod_{k != n} r_k``
    matrix; with a mask, one reconstruction per iteration.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = tucker_to_tensor(rng.standard_normal((2, 2, 2)), [rng.standard_normal((s, 2)) for s in (4, 5, 6)])
    >>> res = tucker_hooi(X, (2, 2, 2))
    >>> bool(res.rel_error < 1e-10), res.status
    (True, 'converged')
    """
    X0 = as_float_tensor(tensor)
    N = X0.ndim
    rk = _multilinear_ranks(ranks, X0.shape)
    n_iter_max = check_count(n_iter_max, what="n_iter_max")
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) or not 0 <= tol < np.inf:
        raise InputError(f"expected a finite tol >= 0, got {tol!r}")
    M = check_mask(mask, X0.shape)
    fixed = set()
    for n in ([] if fixed_factors is None else list(fixed_factors)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n < N:
            raise InputError(f"expected fixed_factors in 0..{N - 1} for an order-{N} tensor, got {n!r}")
        fixed.add(int(n))
    if fixed and isinstance(init, str):
        raise InputError(f"fixed_factors {sorted(fixed)} need their values: pass init=(core, factors) or a list of factors")
    rng = as_generator(seed)
    X = X0.copy() if M is not None else X0
    if M is not None:
        X[...] = M * X0 + (1.0 - M) * float(np.vdot(M, X0) / max(M.sum(), 1e-300))
    try:
        if isinstance(init, str) and init == "svd":
            Q = [_leading_left_sv(unfold(X, n), rk[n]) for n in range(N)]
            Rf = [None] * N
        elif isinstance(init, str) and init == "random":
            nonneg = float((X0 if M is None else X0[M > 0]).min(initial=0.0)) >= 0.0
            Q = [_orthonormal(random_factors((I,), r, rng, nonneg)[0])[0] for I, r in zip(X0.shape, rk)]
            Rf = [None] * N
        elif isinstance(init, str):
            raise InputError(f"expected init 'svd', 'random', (core, factors) or a list of factors, got {init!r}")
        else:
            given = _user_factors(init, X0.shape, rk)
            QR = [_orthonormal(f) for f in given]
            Q = [q for q, _ in QR]
            Rf = [QR[n][1] if n in fixed else None for n in range(N)]
        free = [n for n in range(N) if n not in fixed]
        core = _project(X, Q)
        errors: list = []
        rel_prev, change, status, it = None, float("nan"), "max iterations reached", 0
        obs2 = max(float(np.vdot(X0 if M is None else M * X0, X0)), np.finfo(float).tiny)
        for it in range(1, n_iter_max + 1) if free else ():
            if M is not None:
                X[...] = M * X0 + (1.0 - M) * tucker_to_tensor(core, Q)
            for n in free:
                Q[n] = _leading_left_sv(unfold(_project(X, Q, skip=n), n), rk[n])
            core = _project(X, Q)
            if M is None:
                normX2 = float(np.vdot(X, X))
                rel = float(np.sqrt(abs(normX2 - float(np.vdot(core, core))) / max(normX2, np.finfo(float).tiny)))
            else:
                E = X0 - tucker_to_tensor(core, Q)
                rel = float(np.sqrt(float(np.vdot(M * E, E)) / obs2))
            errors.append(rel)
            if rel_prev is not None:
                change = abs(rel_prev - rel)
                if tol > 0 and change < tol:
                    status = "converged"
                    break
            rel_prev = rel
    except np.linalg.LinAlgError:
        raise NumericalError("HOOI failed: LAPACK's SVD or QR did not converge") from None
    if not free:
        status, it = "all modes fixed", 0
    factors = [Q[n] for n in range(N)]
    for n in fixed:
        core = _mode_dot_t(core, np.linalg.pinv(Rf[n]).T, n)
        factors[n] = given[n].copy()
    Xhat = tucker_to_tensor(core, factors)
    rel_error = (relative_error(X0, Xhat) if M is None
                 else float(np.sqrt(float(np.vdot(M * (X0 - Xhat), X0 - Xhat)) / obs2)))
    n_done = it if free else 0
    msg = {"converged": f"converged after {n_done} iterations: the relative error changed by {change:.3g} < tol = {tol:g}",
           "max iterations reached": (f"max iterations reached (n_iter_max = {n_iter_max}); the last iteration changed "
                                      f"the relative error by {change:.3g} (tol = {tol:g})"),
           "all modes fixed": "every factor is fixed: the core is the least-squares projection"}[status]
    res = TuckerResult(np.ascontiguousarray(core), factors, rel_error, n_done, status, msg, errors, float(change))
    return (res, list(errors)) if return_errors else res
