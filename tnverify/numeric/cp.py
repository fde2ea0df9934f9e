r"""CP decomposition by alternating least squares: sweeps, line search, stopping rule, errors.

``X ~ [[w; A_0, ..., A_{N-1}]] = sum_r w_r a^0_r o ... o a^{N-1}_r``. The MTTKRPs come from
:mod:`tnverify.numeric.mttkrp` (jitted loops in :mod:`numba_kernels.mttkrp`); everything here is
numpy and LAPACK on ``R x R`` or ``I_n x R`` matrices. Results are *numerical* evidence only
(docs/architecture.md: the numeric tier proposes, the checker decides);
:mod:`tnverify.theory.cp_rank` turns exact-looking ones into checked certificates.

Conventions follow TensorLy: a CP value is ``(weights, factors)`` with ``factors[n]`` of shape
``(I_n, R)``; keywords ``rank``, ``n_iter_max``, ``tol``, ``init``, ``seed``; C-order unfoldings.
:class:`CPResult` unpacks as ``weights, factors = result`` and converts to and from TensorLy's
``CPTensor`` (TensorLy is an optional import).

References
----------
.. [1] T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51(3),
   2009.
.. [2] A.-H. Phan, P. Tichavsky, A. Cichocki, "Fast alternating LS algorithms for high order
   CANDECOMP/PARAFAC tensor factorizations", IEEE Trans. Signal Process. 61(19), 2013.
.. [3] R. Bro, "Multi-way analysis in the food industry", PhD thesis, Univ. Amsterdam, 1998.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field as dc_field

import numpy as np

from numba_kernels.mttkrp import reduce_leading, reduce_trailing

from tnverify.errors import InputError, ShapeError
from tnverify.numeric._validate import EPS, as_f64, as_float_tensor, as_generator, check_count, check_rank
from tnverify.numeric.mttkrp import best_split, kr_columns, mttkrp_f64, unfold

__all__ = ["CPResult", "cp_als", "cp_to_tensor"]

#: Below this relative error the norm identity ``||X||^2 - 2<X, Y> + ||Y||^2`` loses too many
#: digits (its absolute error is ~ eps ||X||^2, i.e. ~1e-8 on the relative error): the residual is
#: then computed explicitly.
EXACT_ERROR_BELOW = 1e-5
#: Elements of one block of the explicit residual (float64 scratch of 32 MB).
RESID_BLOCK = 1 << 22
#: Line search: the first sweep that may extrapolate, and the failures before the exponent grows.
LS_START, LS_MAX_FAIL = 6, 4


@dataclass
class CPResult:
    """A numerical CP decomposition ``X ~ sum_r weights[r] a^0_r o ... o a^{N-1}_r``.

    Unpacks like TensorLy's ``CPTensor``: ``weights, factors = result``. ``status`` is
    ``converged``, ``not converged`` or ``singular`` (see ``message``); ``rel_error`` is
    ``||X - Xhat||_F / ||X||_F``; ``method`` is ``als`` or ``jennrich``.
    """

    weights: np.ndarray
    factors: list
    n_iter: int
    rel_error: float
    status: str
    message: str = ""
    method: str = "als"
    extra: dict = dc_field(default_factory=dict)

    def __iter__(self):
        return iter((self.weights, self.factors))

    def __len__(self) -> int:
        return 2

    @property
    def rank(self) -> int:
        return int(self.weights.shape[0])

    def to_tensor(self) -> np.ndarray:
        """The full tensor of this decomposition (:func:`cp_to_tensor`)."""
        return cp_to_tensor(self.weights, self.factors)

    def to_tensorly(self):
        """This decomposition as a ``tensorly.cp_tensor.CPTensor`` (needs TensorLy)."""
        try:
            from tensorly.cp_tensor import CPTensor
        except ImportError:
            raise InputError("converting to a TensorLy CPTensor needs TensorLy (pip install tensorly)") from None
        return CPTensor((self.weights, list(self.factors)))


def cp_to_tensor(weights, factors) -> np.ndarray:
    """Full tensor ``sum_r w_r a^0_r o ... o a^{N-1}_r`` of a CP value (``(I_n, R)`` factors).

    One GEMM of ``A_0 diag(w)`` with the Khatri-Rao product of the other factors:
    ``2 R prod(I_n)`` flops.

    Raises
    ------
    ShapeError
        No factor, a factor that is not 2-D, or column counts that differ from each other or
        from the number of weights.

    Examples
    --------
    >>> import numpy as np
    >>> cp_to_tensor(np.ones(1), [np.ones((2, 1)), np.arange(3.0)[:, None]]).tolist()
    [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    """
    F = [as_f64(f, name="factor") for f in factors]
    w = as_f64(weights, name="weights").ravel()
    if not F or any(f.ndim != 2 or f.shape[1] != w.size for f in F):
        raise ShapeError(f"inconsistent CP value: expected factors (I_n, R) with R = {w.size} weights, "
                         f"got shapes {[f.shape for f in F]}")
    if len(F) == 1:
        return F[0] @ w
    out = (F[0] * w) @ kr_columns(F[1:], w.size).T
    return np.ascontiguousarray(out).reshape(tuple(f.shape[0] for f in F))


# ------------------------------------------------------------------ initialisation


def _split_cp(init, shape, R: int):
    """(weights, factors) from a CPResult, a TensorLy CPTensor or a (weights, factors) pair."""
    try:
        w, F = init
    except (TypeError, ValueError):
        raise InputError("expected init as 'random', 'svd' or a (weights, factors) pair / CPTensor") from None
    F = [as_float_tensor(f, name=f"init factor {n}", min_order=2) for n, f in enumerate(F)]
    w = np.ones(R) if w is None else as_float_tensor(w, name="init weights").ravel()
    if len(F) != len(shape) or any(f.shape != (I, R) for f, I in zip(F, shape)) or w.shape != (R,):
        got = [f.shape for f in F]
        raise ShapeError(f"expected init factors of shapes {[(I, R) for I in shape]} and {R} weights, "
                         f"got {got} and {w.shape[0]}")
    return w, F


def _init_factors(X: np.ndarray, R: int, init, rng) -> list:
    if isinstance(init, str):
        if init == "random":
            return [rng.standard_normal((I, R)) for I in X.shape]
        if init == "svd":
            out = []
            for n, I in enumerate(X.shape):
                U = np.linalg.svd(unfold(X, n), full_matrices=False)[0]
                if U.shape[1] < R:  # pad with random columns (TensorLy does the same)
                    U = np.hstack([U, rng.standard_normal((I, R - U.shape[1]))])
                out.append(np.ascontiguousarray(U[:, :R]))
            return out
        raise InputError(f"expected init 'random', 'svd' or a (weights, factors) pair, got {init!r}")
    w, F = _split_cp(init, X.shape, R)
    F[0] = F[0] * w
    return F


# ------------------------------------------------------------------ public


def cp_als(tensor, rank: int, *, n_iter_max: int = 100, tol: float = 1e-8, init="random", seed=None,
           linesearch: bool = False) -> CPResult:
    r"""CP decomposition of any order ``N >= 2`` by alternating least squares.

    Minimises ``||X - [[w; A_0, ..., A_{N-1}]]||_F`` mode by mode (Gauss-Seidel order
    ``0, ..., N-1``) [1]_. Mode ``n`` solves the normal equations of a linear least-squares
    problem,

    .. math:: U_n = X_{(n)} KR(A_k, k \ne n) \, V_n^{+}, \qquad
              V_n = \mathop{\ast}_{k \ne n} A_k^T A_k,

    then ``w`` = column norms of ``U_n`` and ``A_n = U_n diag(w)^{-1}``. ``V_n^+`` is applied
    through ``eigh``: eigenvalues below ``R eps lambda_max`` are dropped (minimum-norm step) and
    flagged as singular.

    Speed: a *dimension tree* [2]_ splits the modes at ``s``; with ``X`` viewed as the matrix
    ``X_mat`` of shape ``(prod I_{<s}, prod I_{>=s})``, the two BLAS products
    ``Z_L = X_mat KR(A_s, ..., A_{N-1})`` and ``Z_R = KR(A_0, ..., A_{s-1})^T X_mat`` give the
    MTTKRPs of all left (resp. right) modes by cheap jitted reductions, so a sweep costs **two**
    GEMM passes of ``2 R prod(I_k)`` flops (plain ALS needs ``N``) plus ``O(N R^3)``; ``s``
    minimises ``prod I_{<s} + prod I_{>=s}``. Measured on 2 cores: 1.6 ms per sweep for
    ``100^3, R = 10`` and 16 ms for ``200^3, R = 20``, 0.26x and 0.29x TensorLy 0.10 ``parafac``
    (``tnverify bench cp-als-vs-tensorly``).

    Error: the norm identity ``||X - Xhat||^2 = ||X||^2 - 2 <X, Xhat> + ||Xhat||^2`` with
    ``<X, Xhat>`` from the last MTTKRP (no reconstruction); below a relative error of ``1e-5``
    (where the identity loses digits) the residual is computed explicitly (one more GEMM pass).

    Line search (Bro [3]_, as TensorLy's ``parafac(linesearch=True)``): every second sweep from
    the 7th on, factors and weights are extrapolated along the last two sweeps,
    ``F + it^(1/p) (F - F_prev)``, and kept if the error decreases; ``p`` starts at 2 and grows by
    1 after 4 consecutive failures. The candidate's error costs one GEMM, reused by the next
    sweep when accepted.

    Parameters
    ----------
    tensor : array_like, order >= 2, finite
    rank : int >= 1
    n_iter_max : int >= 0
        Maximum number of sweeps.
    tol : float >= 0
        Stop when the relative error changes by less than ``tol`` between sweeps (``0`` runs
        ``n_iter_max`` sweeps).
    init : ``"random"`` (standard normal factors drawn from ``seed``), ``"svd"`` (leading left
        singular vectors of the unfoldings, padded with random columns) or a
        ``(weights, factors)`` pair / CPTensor / CPResult.
    seed : int, Generator or None
    linesearch : bool

    Returns
    -------
    CPResult
        Unit-norm factor columns (zero columns keep weight 0), scales in ``weights``; ``status``
        ``singular`` when the normal equations were numerically singular in the last sweep
        (rank-deficient factors: ``rank`` too large, or a degenerate / border-rank tensor) or the
        iterates stopped being finite (the last finite model is returned).

    Raises
    ------
    InputError, ShapeError
        Bad rank or counts, order < 2, NaN/Inf, inconsistent init.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> F = [rng.standard_normal((s, 2)) for s in (3, 4, 5)]
    >>> X = cp_to_tensor(np.ones(2), F)
    >>> res = cp_als(X, 2, n_iter_max=500, tol=1e-14, seed=0)
    >>> weights, factors = res
    >>> bool(np.allclose(cp_to_tensor(weights, factors), X, atol=1e-6))
    True
    """
    X = as_float_tensor(tensor, min_order=2)
    R = check_rank(rank)
    n_iter_max = check_count(n_iter_max, what="n_iter_max")
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) or not 0 <= tol < np.inf:
        raise InputError(f"expected a finite tol >= 0, got {tol!r}")
    F0 = _init_factors(X, R, init, as_generator(seed))
    w, F, it, err, status = _als(X, [np.ascontiguousarray(f, dtype=np.float64) for f in F0], R, n_iter_max,
                                 float(tol), bool(linesearch))
    msg = {"converged": f"converged after {it} iterations (relative error change < {tol:g})",
           "not converged": f"stopped at n_iter_max = {n_iter_max} before the error change fell below {tol:g}",
           "singular": ("the normal equations were numerically singular in the last sweep: the factors are "
                        "rank deficient (rank too large, or a degenerate / border-rank tensor)")}[status]
    return CPResult(w, F, it, err, status, msg, "als")


# ------------------------------------------------------------------ linear algebra of a sweep


def hadamard_grams(grams: list, skip: int, R: int) -> np.ndarray:
    """``V = *_{k != skip} G_k``, the Hadamard product of the Gram matrices (``skip = -1``: all)."""
    V = np.ones((R, R))
    for k, G in enumerate(grams):
        if k != skip:
            V *= G
    return V


def spd_solve_right(M: np.ndarray, V: np.ndarray):
    """``(M V^+, singular)`` for a symmetric PSD ``V`` (``R x R``), through ``eigh``.

    Eigenvalues ``<= R eps lambda_max`` are dropped (the minimum-norm solution); ``singular`` says
    whether any was. ``O(R^3 + I R^2)`` for ``M`` of shape ``(I, R)``.
    """
    lam, Q = np.linalg.eigh(V)
    lmax = lam[-1] if lam.size else 0.0
    keep = lam > max(lmax, 0.0) * V.shape[0] * EPS
    singular = (not bool(np.all(keep))) or lmax <= 0.0
    inv = np.zeros_like(lam)
    inv[keep] = 1.0 / lam[keep]
    return (M @ Q) * inv @ Q.T, singular


def normalise_columns(U: np.ndarray):
    """``(U / norms, norms)`` with the Euclidean column norms; zero columns are left as they are."""
    norms = np.sqrt(np.einsum("ir,ir->r", U, U))
    return np.ascontiguousarray(U / np.where(norms > 0.0, norms, 1.0)), norms


def _group_mttkrp_left(ZL, lshape, A, n, R):
    """MTTKRP of left-group mode ``n`` from ``ZL = X_mat KR(right factors)`` (``prod lshape x R``)."""
    P = math.prod(lshape[:n])
    Q = math.prod(lshape[n + 1:])
    if P == 1 and Q == 1:
        return ZL
    return reduce_trailing(ZL.reshape(P, lshape[n], Q, R), kr_columns(A[:n], R), kr_columns(A[n + 1:len(lshape)], R))


def _group_mttkrp_right(ZR, rshape, A, s, n, R):
    """MTTKRP of right-group mode ``n`` from ``ZR = KR(left factors)^T X_mat`` (``R x prod rshape``)."""
    j = n - s
    P = math.prod(rshape[:j])
    Q = math.prod(rshape[j + 1:])
    if P == 1 and Q == 1:
        return np.ascontiguousarray(ZR.T)
    KRpT = np.ascontiguousarray(kr_columns(A[s:n], R).T)
    KRqT = np.ascontiguousarray(kr_columns(A[n + 1:], R).T)
    outT = np.zeros((R, rshape[j]))
    reduce_leading(ZR.reshape(R, P, rshape[j], Q), KRpT, KRqT, outT, 0, 0)
    return np.ascontiguousarray(outT.T)


class _DimensionTree:
    """The tensor viewed through the dimension-tree split, and the error of a CP model of it."""

    def __init__(self, X: np.ndarray):
        shape = X.shape
        self.s = s = best_split(shape, range(1, X.ndim))
        self.lshape, self.rshape = shape[:s], shape[s:]
        Lp = math.prod(self.lshape)
        self.Xmat = X.reshape(Lp, X.size // Lp)
        self.Xl = X.reshape((Lp,) + self.rshape)  # the left group merged: its mode-0 MTTKRP is Z_L
        self.normX2 = float(np.dot(X.ravel(), X.ravel()))

    def z_left(self, A, R):
        """``Z_L = X_mat KR(A_s, ..., A_{N-1})`` (the BLAS formulation, see :func:`mttkrp_f64`)."""
        return mttkrp_f64(self.Xl, [None] + A[self.s:], 0, R, fused=False)

    def sq_error(self, ZL, w, A, grams, R) -> float:
        """``||X - Xhat||^2`` by the norm identity, ``<X, Xhat>`` from ``Z_L``."""
        iprod = float(np.einsum("lr,lr,r->", ZL, kr_columns(A[:self.s], R), w))
        return self.normX2 - 2.0 * iprod + float(w @ hadamard_grams(grams, -1, R) @ w)

    def residual_sq(self, w, A, R) -> float:
        """Explicit ``||X - Xhat||^2``, in row blocks of ``X_mat``."""
        KL = kr_columns(A[:self.s], R) * w
        KRrT = np.ascontiguousarray(kr_columns(A[self.s:], R).T)
        rows, cols = self.Xmat.shape
        step = max(1, RESID_BLOCK // max(cols, 1))
        total = 0.0
        for a in range(0, rows, step):
            D = self.Xmat[a:a + step] - KL[a:a + step] @ KRrT
            total += float(np.vdot(D, D))
        return total

    def rel_error(self, w, A, R, sq_estimate: float) -> float:
        """Relative error; the explicit residual replaces the identity when the fit is near exact."""
        normX = np.sqrt(self.normX2)
        est = np.sqrt(max(sq_estimate, 0.0)) / normX
        if est < EXACT_ERROR_BELOW:
            return np.sqrt(self.residual_sq(w, A, R)) / normX
        return est


def _sweep(m: _DimensionTree, A: list, grams: list, R: int, ZL):
    """One ALS sweep in place on ``A`` and ``grams``; returns ``(w, ||X - Xhat||^2, singular)``.

    ``ZL`` is reused when the line search already computed it for the current factors.
    """
    s, N = m.s, len(A)
    singular = False
    ZL = m.z_left(A, R) if ZL is None else ZL
    for n in range(s):
        M = _group_mttkrp_left(ZL, m.lshape, A, n, R)
        V = hadamard_grams(grams, n, R)
        U, sing = spd_solve_right(M, V)
        singular |= sing
        A[n], w = normalise_columns(U)
        grams[n] = A[n].T @ A[n]
    ZR = np.ascontiguousarray(kr_columns(A[:s], R).T @ m.Xmat)
    for n in range(s, N):
        M = _group_mttkrp_right(ZR, m.rshape, A, s, n, R)
        V = hadamard_grams(grams, n, R)
        U, sing = spd_solve_right(M, V)
        singular |= sing
        A[n], w = normalise_columns(U)
        grams[n] = A[n].T @ A[n]
    # ||X - Xhat||^2 from the last mode's MTTKRP: <X, Xhat> = <M, U>, ||Xhat||^2 = <U^T U, V>
    sq = m.normX2 - 2.0 * float(np.vdot(M, U)) + float(np.sum((U.T @ U) * V))
    return w, sq, singular


def _finite(w, A) -> bool:
    return bool(np.all(np.isfinite(w))) and all(np.all(np.isfinite(f)) for f in A)


def _extrapolate(m: _DimensionTree, A_last, w_last, A, w, R, jump):
    """Bro's candidate ``F_last + jump (F - F_last)`` with its grams, ``Z_L`` and relative error, or None."""
    cw = w_last + (w - w_last) * jump
    cA = []
    for k in range(len(A)):
        f, nrm = normalise_columns(A_last[k] + (A[k] - A_last[k]) * jump)
        cA.append(f)
        cw = cw * nrm
    if not _finite(cw, cA):
        return None
    cgrams = [f.T @ f for f in cA]
    ZLc = m.z_left(cA, R)
    return cA, cw, cgrams, ZLc, m.rel_error(cw, cA, R, m.sq_error(ZLc, cw, cA, cgrams, R))


def _als(X: np.ndarray, A: list, R: int, n_iter_max: int, tol: float, linesearch: bool):
    """The ALS iteration of :func:`cp_als` on validated input (float64 factors ``(I_n, R)``).

    Returns ``(weights, factors, sweeps completed, relative error, status word)``.
    """
    w = np.ones(R)
    for k in range(len(A)):
        A[k], nrm = normalise_columns(A[k])
        w = w * nrm
    m = _DimensionTree(X)
    if m.normX2 == 0.0:
        return np.zeros(R), A, 0, 0.0, "converged"
    grams = [f.T @ f for f in A]
    rel_prev = None
    rel = np.inf
    ZL_next = None
    acc_pow, acc_fail = 2.0, 0
    converged = singular = False
    n_done = 0
    for it in range(n_iter_max):
        if linesearch and it % 2 == 0:
            A_last, w_last = [f.copy() for f in A], w.copy()
        backup = ([f.copy() for f in A], w.copy(), [g.copy() for g in grams])
        try:
            w, sq, singular = _sweep(m, A, grams, R, ZL_next)
            ok = _finite(w, A)
        except np.linalg.LinAlgError:  # eigh on a non-finite Gram matrix
            ok = False
        ZL_next = None
        if not ok:
            A, w, grams = backup
            rel = m.rel_error(w, A, R, -1.0) if rel_prev is None else rel_prev
            return w, A, n_done, float(rel), "singular"
        n_done = it + 1
        rel = m.rel_error(w, A, R, sq)
        if linesearch and it % 2 == 0 and it >= LS_START:
            cand = _extrapolate(m, A_last, w_last, A, w, R, it ** (1.0 / acc_pow))
            if cand is not None and cand[4] < rel:
                A, w, grams, ZL_next, rel = cand
                acc_fail = 0
            else:
                acc_fail += 1
            if acc_fail == LS_MAX_FAIL:
                acc_pow += 1.0
                acc_fail = 0
        if rel_prev is not None and tol > 0 and abs(rel_prev - rel) < tol:
            converged = True
            break
        rel_prev = rel
    if n_done == 0:
        rel = m.rel_error(w, A, R, m.sq_error(m.z_left(A, R), w, A, grams, R))
    status = "singular" if singular else "converged" if converged else "not converged"
    return w, A, n_done, float(rel), status
