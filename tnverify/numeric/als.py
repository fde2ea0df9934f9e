r"""The CP-ALS driver: options with TensorLy's semantics, restarts, stopping rule, honest status.

The sweep itself (dimension tree, jitted reductions, normal equations) is in
:mod:`tnverify.numeric.cp`; the starting points in :mod:`tnverify.numeric.cp_init`. The options
follow TensorLy 0.10's ``parafac`` (``fixed_modes``, ``mask``, ``callback``, ``return_errors``,
``orthogonalise``, ``sparsity``, ``linesearch``, ``normalize_factors``, ``svd_mask_repeats``);
docs/numeric.md compares the two and lists where they differ.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from tnverify.errors import InputError
from tnverify.numeric._validate import as_float_tensor, as_generator, check_count, check_mask, check_rank
from tnverify.numeric.cp import (CPResult, _DimensionTree, _sweep, cp_to_tensor, extrapolate, finite, hadamard_grams,
                                 normalise_columns, spd_solve_right)
from tnverify.numeric.cp_init import INITS, choose_init, fit_weights, random_factors, split_cp, svd_factors
from tnverify.numeric.mttkrp import mttkrp_f64
from tnverify.numeric.threads import single_blas_thread

__all__ = ["cp_als"]

#: Line search: the first sweep that may extrapolate, and the failures before the exponent grows.
LS_START, LS_MAX_FAIL = 6, 4


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_options(X, n_iter_max, tol, fixed_modes, mask, callback, orthogonalise, sparsity, n_init, repeats):
    """Validated options: ``(fixed set, mask or None, orthogonalise-up-to, sparse count or 0)``."""
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) or not 0 <= tol < np.inf:
        raise InputError(f"expected a finite tol >= 0, got {tol!r}")
    fixed = set()
    for n in ([] if fixed_modes is None else list(fixed_modes)):
        if not _is_int(n) or not 0 <= n < X.ndim:
            raise InputError(f"expected fixed_modes in 0..{X.ndim - 1} for an order-{X.ndim} tensor, got {n!r}")
        fixed.add(int(n))
    mask = check_mask(mask, X.shape)
    if callback is not None and not callable(callback):
        raise InputError(f"expected a callable callback(cp, rel_error) or None, got {type(callback).__name__}")
    if isinstance(orthogonalise, (bool, np.bool_)) or orthogonalise is None:
        orth = n_iter_max if orthogonalise else -1
    elif _is_int(orthogonalise) and orthogonalise >= 0:
        orth = int(orthogonalise) if orthogonalise else -1
    else:
        raise InputError(f"expected orthogonalise as a bool or a sweep count >= 0, got {orthogonalise!r}")
    card = 0
    if sparsity is not None and sparsity is not False:
        if isinstance(sparsity, (float, np.floating)) and 0.0 <= sparsity <= 1.0:
            card = int(sparsity * X.size)
        elif _is_int(sparsity) and sparsity >= 0:
            card = int(sparsity)
        else:
            raise InputError(f"expected sparsity as a fraction in [0, 1] or a count >= 0, got {sparsity!r}")
    check_count(n_init, what="n_init")
    if n_init < 1:
        raise InputError(f"expected n_init >= 1, got {n_init}")
    check_count(repeats, what="svd_mask_repeats")
    return fixed, mask, orth, card


def sparsify(D: np.ndarray, card: int) -> np.ndarray:
    """The ``card`` entries of ``D`` largest in absolute value, zeros elsewhere (TensorLy's ``sparsify_tensor``)."""
    if card >= D.size:
        return D.copy()
    S = np.zeros(D.size)
    if card > 0:
        keep = np.argpartition(np.abs(D.ravel()), D.size - card)[D.size - card:]
        S[keep] = D.ravel()[keep]
    return S.reshape(D.shape)


class _Explicit:
    """Errors by reconstruction, for a mask (EM-ALS imputation) or a sparse part.

    With a mask ``M`` the fitted tensor is ``X = M * X0 + (1 - M) * Xhat`` (refilled after every
    sweep, Kiers' majorisation for weights in ``[0, 1]``), and the error is
    ``sqrt(sum M (X0 - Xhat)^2 / sum M X0^2)``.
    """

    def __init__(self, X0, X, mask, card, tree):
        self.X0, self.X, self.mask, self.card, self.tree = X0, X, mask, card, tree
        W = X0 if mask is None else X0 * mask
        self.norm2 = max(float(np.vdot(W, X0)), np.finfo(float).tiny)

    def error(self, w, A):
        """``(relative error, Xhat, M * (X0 - Xhat))``: one reconstruction GEMM, elementwise passes."""
        Xhat = cp_to_tensor(w, A)
        E = self.X0 - Xhat
        D = E if self.mask is None else E * self.mask
        sq = float(np.vdot(D, E))
        if self.card:
            S = sparsify(D, self.card)
            sq -= float(np.vdot(S, 2.0 * E - S)) if self.mask is None else float(np.vdot(S, S))
        return float(np.sqrt(max(sq, 0.0) / self.norm2)), Xhat, D

    def refill(self, Xhat, D) -> None:
        """``X <- Xhat + M (X0 - Xhat)`` in place (the views of the dimension tree follow)."""
        if self.mask is not None:
            np.add(Xhat, D, out=self.X)
            self.tree.normX2 = float(np.vdot(self.X, self.X))


def _start(X, R, init, rng, mask, repeats, fixed):
    """``(weights, factors)`` of a start, the one missing user factor (if any) solved for."""
    nonneg = float((X if mask is None else X[mask > 0]).min(initial=0.0)) >= 0.0
    if isinstance(init, str):
        if init not in INITS:
            raise InputError(f"expected init in {', '.join(map(repr, INITS))} or a (weights, factors) pair, "
                             f"got {init!r}")
        F = (svd_factors(X, R, rng, nonneg, mask, repeats) if init == "svd"
             else random_factors(X.shape, R, rng, nonneg))
        return None, F
    return split_cp(init, X.shape, R)


def _solve_missing(X, F, R):
    """Fill the one None factor by its least-squares solution given the others (weights absorbed).

    The model ``sum_r w_r a^0_r o ... o a^{N-1}_r`` is linear in ``U_j = A_j diag(w)``, so
    ``U_j = X_(j) KR(A_k, k != j) V_j^+``; the weights become ones.
    """
    j = next(n for n, f in enumerate(F) if f is None)
    V = hadamard_grams([np.ones((R, R)) if f is None else f.T @ f for f in F], j, R)
    F = list(F)
    F[j] = spd_solve_right(mttkrp_f64(X, F, j, R), V)[0]
    return np.ones(R), F


def _result(w, A, free, normalize, **kw) -> CPResult:
    w, A = w.copy(), [f.copy() for f in A]
    if not normalize and free:
        A[free[-1]] = A[free[-1]] * w
        w = np.ones_like(w)
    return CPResult(w, A, **kw)


def _run(X0, R, init, rng, o):
    """One CP-ALS run from one start; ``o`` holds the validated options."""
    fixed, mask, free = o["fixed"], o["mask"], [n for n in range(X0.ndim) if n not in o["fixed"]]
    w, F = _start(X0, R, init, rng, mask, o["repeats"], fixed)
    X = X0
    if mask is not None:  # the start is fitted with the observed mean at the missing entries
        X = mask * X0 + (1.0 - mask) * float(np.vdot(mask, X0) / max(mask.sum(), 1e-300))
    if any(f is None for f in F):
        if next(n for n, f in enumerate(F) if f is None) in fixed:
            raise InputError("expected an init factor for every fixed mode, got None")
        w, F = _solve_missing(X, [None if f is None else np.ascontiguousarray(f) for f in F], R)
    A = [np.ascontiguousarray(f, dtype=np.float64) for f in F]
    wn = np.ones(R)
    for k in free:
        A[k], nrm = normalise_columns(A[k])
        wn = wn * nrm
    w = fit_weights(X, A, R) if w is None else w * wn
    if mask is not None and o["missing_start"] == "given":
        X[...] = X0
    m = _DimensionTree(X)
    ex = _Explicit(X0, X, mask, o["card"], m) if (mask is not None or o["card"]) else None
    snap = lambda st, rel, it: _result(w, A, free, o["normalize"], n_iter=it, rel_error=rel,  # noqa: E731
                                       status=st, errors=list(errors))
    errors: list = []
    rel = None
    if ex is not None:
        rel, Xhat, D = ex.error(w, A)
        if o["missing_start"] == "model":
            ex.refill(Xhat, D)
    if m.normX2 == 0.0 and ex is None:
        return _finish(np.zeros(R), A, 0, 0.0, "converged", float("nan"), errors, ex, free, o)
    if not free:
        rel = rel if rel is not None else m.rel_error(w, A, R, m.sq_error(m.z_left(A, R), w, A, [f.T @ f for f in A], R))
        return _finish(w, A, 0, rel, "all modes fixed", float("nan"), errors, ex, free, o)
    if o["callback"] is not None or o["n_iter_max"] == 0:
        if rel is None:
            rel = m.rel_error(w, A, R, m.sq_error(m.z_left(A, R), w, A, [f.T @ f for f in A], R))
        if o["callback"] is not None and o["callback"](snap("running", rel, 0), rel) is True:
            return _finish(w, A, 0, rel, "stopped by callback", float("nan"), errors, ex, free, o)
    grams = [f.T @ f for f in A]
    rel_prev, change, status = None, float("nan"), "max iterations reached"
    ZL_next, acc_pow, acc_fail, singular, n_done = None, 2.0, 0, False, 0
    for it in range(o["n_iter_max"]):
        if it <= o["orth"]:
            for k in free:
                if A[k].shape[0] >= R:
                    A[k] = np.ascontiguousarray(np.linalg.qr(A[k])[0])
                    grams[k] = A[k].T @ A[k]
            ZL_next = None
        if o["linesearch"] and it % 2 == 0:
            A_last, w_last = [f.copy() for f in A], w.copy()
        backup = ([f.copy() for f in A], w.copy(), [g.copy() for g in grams])
        try:
            w, sq, singular = _sweep(m, A, grams, R, ZL_next, free, o["l2_reg"])
            ok = finite(w, A)
        except np.linalg.LinAlgError:  # eigh on a non-finite Gram matrix
            ok = False
        ZL_next = None
        if not ok:
            A, w, grams = backup
            if rel is None:
                rel = m.rel_error(w, A, R, m.sq_error(m.z_left(A, R), w, A, grams, R))
            return _finish(w, A, n_done, rel, "singular", change, errors, ex, free, o)
        n_done = it + 1
        if ex is None:
            rel = m.rel_error(w, A, R, sq)
        else:
            rel, Xhat, D = ex.error(w, A)
            ex.refill(Xhat, D)
        if o["linesearch"] and it % 2 == 0 and it >= LS_START:
            cand = extrapolate(A_last, w_last, A, w, it ** (1.0 / acc_pow), free)
            if cand is not None:
                cA, cw = cand
                if ex is None:
                    ZLc = m.z_left(cA, R)
                    crel = m.rel_error(cw, cA, R, m.sq_error(ZLc, cw, cA, [f.T @ f for f in cA], R))
                else:
                    crel, cXhat, cD = ex.error(cw, cA)
            if cand is not None and crel < rel:
                A, w, rel, acc_fail = cA, cw, crel, 0
                grams = [f.T @ f for f in A]
                if ex is None:
                    ZL_next = ZLc
                else:
                    ex.refill(cXhat, cD)
            else:
                acc_fail += 1
            if acc_fail == LS_MAX_FAIL:
                acc_pow, acc_fail = acc_pow + 1.0, 0
        errors.append(float(rel))
        change = float("nan") if rel_prev is None else abs(rel_prev - rel)
        if o["callback"] is not None and o["callback"](snap("running", float(rel), n_done), float(rel)) is True:
            status = "stopped by callback"
            break
        decrease = float("nan") if rel_prev is None else rel_prev - rel
        if rel_prev is not None and o["tol"] > 0 and (decrease if o["signed"] else change) < o["tol"]:
            status = "converged"
            break
        rel_prev = rel
    if singular and status != "stopped by callback":
        status = "singular"
    return _finish(w, A, n_done, float(rel), status, change, errors, ex, free, o)


def _finish(w, A, n_done, rel, status, change, errors, ex, free, o) -> CPResult:
    tol, n_iter_max = o["tol"], o["n_iter_max"]
    rule = "decreased by less than" if o["signed"] else f"changed by {change:.3g} <"
    msg = {"converged": f"converged after {n_done} iterations: the relative error {rule} tol = {tol:g}",
           "max iterations reached": (f"max iterations reached (n_iter_max = {n_iter_max}); the last sweep changed "
                                      f"the relative error by {change:.3g} (tol = {tol:g})"),
           "stopped by callback": f"the callback asked to stop after {n_done} iterations",
           "all modes fixed": "every mode is fixed: the start is returned",
           "singular": ("the normal equations were numerically singular in the last sweep: the factors are "
                        "rank deficient (rank too large, or a degenerate / border-rank tensor)")}[status]
    if status == "converged" and not errors:
        msg = "the zero tensor: the zero model is exact"
    res = _result(w, A, free, o["normalize"], n_iter=n_done, rel_error=float(rel), status=status, message=msg,
                  method="als", errors=list(errors), error_change=float(change))
    if o["card"]:
        D = ex.error(w, A)[2]
        res.sparse_component = sparsify(D, o["card"])
    return res


def cp_als(tensor, rank: int, *, n_iter_max: int = 100, tol: float = 1e-8, init="auto", seed=None,
           linesearch: bool = False, fixed_modes=None, mask=None, callback: Callable | None = None,
           return_errors: bool = False, orthogonalise=False, sparsity=None, normalize_factors: bool = True,
           n_init: int = 1, svd_mask_repeats: int = 5, l2_reg: float = 0.0, cvg_criterion: str = "abs_rec_error",
           missing_start: str = "model"):
    r"""CP decomposition of any order ``N >= 2`` by alternating least squares.

    Minimises ``||X - [[w; A_0, ..., A_{N-1}]]||_F`` mode by mode (Gauss-Seidel order
    ``0, ..., N-1``, fixed modes skipped) [1]_. Mode ``n`` solves the normal equations of a
    linear least-squares problem,

    .. math:: U_n = X_{(n)} KR(A_k, k \ne n) \, V_n^{+}, \qquad
              V_n = \mathop{\ast}_{k \ne n} A_k^T A_k,

    then ``w`` = column norms of ``U_n`` and ``A_n = U_n diag(w)^{-1}``. ``V_n^+`` is applied
    through ``eigh``: eigenvalues below ``R eps lambda_max`` are dropped (minimum-norm step) and
    flagged as singular.

    Speed: a *dimension tree* [2]_ splits the modes at ``s``; the two BLAS products
    ``Z_L = X_mat KR(A_s, ..., A_{N-1})`` and ``Z_R = KR(A_0, ..., A_{s-1})^T X_mat`` give the
    MTTKRPs of all left (resp. right) modes by jitted reductions, so a sweep costs **two** GEMM
    passes of ``2 R prod(I_k)`` flops plus ``O(N R^3)`` (one pass when a whole side is fixed). The
    run holds OpenBLAS at one thread and runs the passes in pieces on
    :func:`tnverify.numeric.threads.on_threads` (docs/performance.md). Measured on 2 cores:
    0.2-0.45x TensorLy 0.10 ``parafac`` per sweep, plain, masked and with fixed modes
    (``tnverify bench numeric``; docs/numeric.md).

    Error: the norm identity ``||X - Xhat||^2 = ||X||^2 - 2 <X, Xhat> + ||Xhat||^2`` with
    ``<X, Xhat>`` from the last MTTKRP; below ``1e-5`` the residual is computed explicitly. With a
    ``mask`` or ``sparsity`` the error is computed by reconstruction (one more GEMM pass).

    Stopping rule: after a sweep, stop when ``|e_{k-1} - e_k| < tol`` (``e_k`` the relative error
    after sweep ``k``, ``k >= 2``; TensorLy's ``cvg_criterion="abs_rec_error"``), or with
    ``cvg_criterion="rec_error"`` when the signed decrease ``e_{k-1} - e_k < tol`` (an increase
    stops the run too). ``status`` is
    ``converged`` only when this rule fired, ``max iterations reached`` otherwise, and
    ``error_change`` holds ``|e_{k-1} - e_k|`` of the last sweep.

    Start (``init``; :mod:`tnverify.numeric.cp_init`): ``"auto"`` (default) is ``"svd"`` where it
    is defined without random padding (every ``I_n >= R``) and no ``seed`` is given, else
    ``"random"``. ``"svd"``: leading left singular vectors of the unfoldings. ``"random"``:
    uniform ``[0, 1)`` entries for non-negative data (as TensorLy's ``random_cp``), standard normal
    otherwise. The weights of a generated start are fitted by least squares. ``n_init > 1``
    restarts from further random starts (the first start is ``init``) and keeps the best final
    error. Over 20 seeds of TensorLy's accuracy check (rank 4 fitted to rank-3 data with uniform
    factors, 70 sweeps, ``tol = 1e-6``) this start succeeds at least as often as TensorLy's
    (docs/numeric.md).

    Parameters
    ----------
    tensor : array_like, order >= 2, finite
    rank : int >= 1
    n_iter_max : int >= 0
        Maximum number of sweeps.
    tol : float >= 0
        The stopping rule's threshold (``0`` runs ``n_iter_max`` sweeps).
    init : ``"auto"``, ``"svd"``, ``"random"`` or a ``(weights, factors)`` pair / CPTensor / CPResult
        A user's start is copied, never modified; one factor of a free mode may be None (it is
        filled by its least-squares solution given the others).
    seed : int, Generator or None
        Every random draw (random start, SVD padding, restarts).
    linesearch : bool
        Bro's extrapolation [3]_ (as TensorLy): every second sweep from the 7th on, free factors
        and weights move to ``F + k^(1/p) (F - F_prev)`` if that lowers the error; ``p`` starts at
        2 and grows by 1 after 4 consecutive failures.
    fixed_modes : iterable of int, optional
        Modes whose factors stay at their start, returned unchanged (unlike TensorLy, the last
        mode may be fixed too). All modes fixed: the start is returned (``all modes fixed``).
    mask : array_like of the tensor's shape, entries in ``[0, 1]``, optional
        Weights of the fit, 0 = missing (tensor completion). EM-ALS [4]_: the fitted tensor is
        ``M * X + (1 - M) * Xhat``, refilled after every sweep, which for weights in ``[0, 1]``
        decreases ``sum M (X - Xhat)^2`` monotonically; the error is
        ``sqrt(sum M (X - Xhat)^2 / sum M X^2)``. The start is fitted with the observed mean at
        the missing entries.
    callback : callable ``callback(cp, rel_error)``, optional
        Called once on the start and once after every sweep with a :class:`CPResult` snapshot;
        returning ``True`` stops the run (``stopped by callback``).
    return_errors : bool
        Return ``(result, errors)``, ``errors`` the relative error after each sweep.
    orthogonalise : bool or int
        Replace each free factor with ``I_n >= R`` by the Q of its QR decomposition before sweeps
        ``0, ..., k`` (``True``: every sweep), as TensorLy; the error is then not monotone.
    sparsity : float in [0, 1] or int, optional
        TensorLy's sparse part: ``S`` keeps the ``card`` largest entries of the (masked) residual
        ``X - Xhat`` (``card = sparsity * X.size`` for a float, else ``sparsity``); the reported
        error is that of ``X - Xhat - S``, which the stopping rule uses, and ``S`` is returned in
        ``sparse_component``. As in TensorLy, ``S`` does not enter the least-squares fit.
    normalize_factors : bool
        True: unit-norm columns of the free factors, scales in ``weights``. False: weights all
        one, the scales in the last free factor. Fixed factors are never rescaled.
    n_init : int >= 1
    svd_mask_repeats : int >= 0
        Rounds of SVD imputation per unfolding for ``init="svd"`` with a mask.
    l2_reg : float >= 0
        Ridge penalty of each mode's least-squares step: ``U_n = X_(n) KR V_n^{-1}`` becomes
        ``U_n = X_(n) KR (V_n + l2_reg I)^{-1}``, the minimiser of ``||X_(n) - U_n KR^T||^2 +
        l2_reg ||U_n||^2`` with the other factors at unit norm and ``U_n`` holding the weights.
        TensorLy applies the same penalty to its own scaling of the factors (unnormalised within a
        sweep), so with ``l2_reg > 0`` the iterates differ from TensorLy's (docs/numeric.md). The
        reported error is the plain reconstruction error, without the penalty.
    cvg_criterion : ``"abs_rec_error"`` or ``"rec_error"``
        The stopping rule above.
    missing_start : ``"model"`` or ``"given"``
        With a ``mask``, what the first sweep sees at the missing entries: ``"model"`` the start's
        reconstruction (the values given there are never read), ``"given"`` the values of
        ``tensor`` there, a first guess (TensorLy's ``parafac``; a guess far off slows or spoils
        the fit).

    Returns
    -------
    CPResult, or ``(CPResult, errors)`` with ``return_errors``
        ``status`` as above, or ``singular`` when the normal equations were numerically singular
        in the last sweep or the iterates stopped being finite (the last finite model is returned).

    Raises
    ------
    InputError, ShapeError
        Bad rank, counts or options, order < 2, NaN/Inf, a mask of another shape or outside
        ``[0, 1]``, an inconsistent init.

    References
    ----------
    .. [1] T. G. Kolda, B. W. Bader, SIAM Review 51(3), 2009.
    .. [2] A.-H. Phan, P. Tichavsky, A. Cichocki, IEEE Trans. Signal Process. 61(19), 2013.
    .. [3] R. Bro, "Multi-way analysis in the food industry", PhD thesis, Univ. Amsterdam, 1998.
    .. [4] G. Tomasi, R. Bro, "PARAFAC and missing values", Chemom. Intell. Lab. Syst. 75, 2005;
       H. A. L. Kiers, "Weighted least squares fitting using ordinary least squares algorithms",
       Psychometrika 62, 1997.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> F = [rng.standard_normal((s, 2)) for s in (3, 4, 5)]
    >>> X = cp_to_tensor(np.ones(2), F)
    >>> res = cp_als(X, 2, n_iter_max=500, tol=1e-14, seed=0)
    >>> weights, factors = res
    >>> bool(np.allclose(cp_to_tensor(weights, factors), X, atol=1e-6)), res.status
    (True, 'converged')
    """
    X = as_float_tensor(tensor, min_order=2)
    R = check_rank(rank)
    n_iter_max = check_count(n_iter_max, what="n_iter_max")
    fixed, mask, orth, card = _check_options(X, n_iter_max, tol, fixed_modes, mask, callback, orthogonalise,
                                             sparsity, n_init, svd_mask_repeats)
    o = {"fixed": fixed, "mask": mask, "orth": orth, "card": card, "tol": float(tol), "n_iter_max": n_iter_max,
         "callback": callback, "linesearch": bool(linesearch), "normalize": bool(normalize_factors),
         "repeats": int(svd_mask_repeats)}
    if isinstance(l2_reg, bool) or not isinstance(l2_reg, (int, float, np.integer, np.floating)) \
            or not 0 <= l2_reg < np.inf:
        raise InputError(f"expected a finite l2_reg >= 0, got {l2_reg!r}")
    if cvg_criterion not in ("abs_rec_error", "rec_error"):
        raise InputError(f"expected cvg_criterion 'abs_rec_error' or 'rec_error', got {cvg_criterion!r}")
    if missing_start not in ("model", "given"):
        raise InputError(f"expected missing_start 'model' or 'given', got {missing_start!r}")
    o["l2_reg"], o["signed"], o["missing_start"] = float(l2_reg), cvg_criterion == "rec_error", missing_start
    rng = as_generator(seed)
    best = None
    with single_blas_thread():
        for k in range(int(n_init)):
            start = choose_init(init, X.shape, R, seed) if k == 0 else "random"
            res = _run(X, R, start, rng, o)
            if best is None or res.rel_error < best.rel_error:
                best = res
    if n_init > 1:
        best.extra["n_init"] = int(n_init)
    return (best, list(best.errors)) if return_errors else best
