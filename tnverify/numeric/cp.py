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
from tnverify.numeric._validate import EPS, as_f64
from tnverify.numeric.mttkrp import best_split, kr_columns, mttkrp_f64, piece_size, threads_for
from tnverify.numeric.threads import on_threads, pieces

__all__ = ["CPResult", "cp_als", "cp_to_tensor"]

#: Below this relative error the norm identity ``||X||^2 - 2<X, Y> + ||Y||^2`` loses too many
#: digits (its absolute error is ~ eps ||X||^2, i.e. ~1e-8 on the relative error): the residual is
#: then computed explicitly.
EXACT_ERROR_BELOW = 1e-5
#: Elements of one block of the explicit residual (float64 scratch of 32 MB).
RESID_BLOCK = 1 << 22


@dataclass
class CPResult:
    """A numerical CP decomposition ``X ~ sum_r weights[r] a^0_r o ... o a^{N-1}_r``.

    Unpacks like TensorLy's ``CPTensor``: ``weights, factors = result``. ``status`` is
    ``converged`` (the stopping rule fired: the relative error changed by less than ``tol``),
    ``max iterations reached`` (it did not, within ``n_iter_max`` sweeps), ``stopped by callback``,
    ``all modes fixed`` (nothing to fit) or ``singular`` (see ``message``); ``error_change`` is
    the change of the relative error over the last sweep (NaN before any sweep); ``rel_error`` is
    ``||X - Xhat||_F / ||X||_F`` (with a mask, over the observed entries, weighted; with a sparse
    part, of ``X - Xhat - S``); ``errors`` the relative error after each sweep;
    ``sparse_component`` the sparse part ``S`` when one was asked for; ``method`` is ``als`` or
    ``jennrich``.
    """

    weights: np.ndarray
    factors: list
    n_iter: int
    rel_error: float
    status: str
    message: str = ""
    method: str = "als"
    extra: dict = dc_field(default_factory=dict)
    errors: list = dc_field(default_factory=list)
    error_change: float = float("nan")
    sparse_component: np.ndarray | None = None

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
        """``Z_L = X_mat KR(A_s, ..., A_{N-1})``: the mode-0 MTTKRP of the merged view, by :func:`mttkrp_f64`
        (a fused kernel where it applies: 1.3-1.9x faster than the BLAS formulation at 100^3 rank 10,
        200^3 rank 20 and 30x40x50x60 rank 10)."""
        return mttkrp_f64(self.Xl, [None] + A[self.s:], 0, R)

    def z_right(self, A, R):
        """``Z_R = KR(A_0, ..., A_{s-1})^T X_mat`` (``R x prod I_{>=s}``), column pieces on :func:`on_threads`."""
        KLT = np.ascontiguousarray(kr_columns(A[:self.s], R).T)
        cols = self.Xmat.shape[1]
        ZR = np.empty((R, cols))
        threads = threads_for(self.Xmat.size)
        todo = pieces(cols, piece_size(cols, cols, threads))

        def worker():
            for a, b in todo:
                ZR[:, a:b] = KLT @ self.Xmat[:, a:b]

        on_threads(worker, threads)
        return ZR

    def sq_error(self, ZL, w, A, grams, R) -> float:
        """``||X - Xhat||^2`` by the norm identity, ``<X, Xhat>`` from ``Z_L``."""
        iprod = float(np.einsum("lr,lr,r->", ZL, kr_columns(A[:self.s], R), w))
        return self.normX2 - 2.0 * iprod + float(w @ hadamard_grams(grams, -1, R) @ w)

    def residual_sq(self, w, A, R) -> float:
        """Explicit ``||X - Xhat||^2``, in row blocks of ``X_mat`` (the pieces of :func:`on_threads`)."""
        KL = kr_columns(A[:self.s], R) * w
        KRrT = np.ascontiguousarray(kr_columns(A[self.s:], R).T)
        rows, cols = self.Xmat.shape
        threads = threads_for(self.Xmat.size)
        todo = pieces(rows, piece_size(rows, max(1, RESID_BLOCK // max(cols, 1)), threads))

        def worker():
            total = 0.0
            for a, b in todo:
                D = self.Xmat[a:b] - KL[a:b] @ KRrT
                total += float(np.vdot(D, D))
            return total

        return float(sum(on_threads(worker, threads)))

    def rel_error(self, w, A, R, sq_estimate: float) -> float:
        """Relative error; the explicit residual replaces the identity when the fit is near exact."""
        normX = np.sqrt(self.normX2)
        est = np.sqrt(max(sq_estimate, 0.0)) / normX
        if est < EXACT_ERROR_BELOW:
            return np.sqrt(self.residual_sq(w, A, R)) / normX
        return est


def _sweep(m: _DimensionTree, A: list, grams: list, R: int, ZL, free: list, l2_reg: float = 0.0):
    """One ALS sweep in place on the ``free`` modes of ``A`` (and on ``grams``).

    ``l2_reg > 0`` solves each mode's ridge problem ``U_n = M_n (V_n + l2_reg I)^{-1}`` (the
    penalty on the weighted factor, the other factors at unit norm).

    Returns ``(w, ||X - Xhat||^2, singular)``. The error comes from the last updated mode ``n``:
    no factor changes after it, so ``<X, Xhat> = <M_n, U_n>`` and ``||Xhat||^2 = <U_n^T U_n, V_n>``.
    A group of the dimension tree whose modes are all fixed costs no GEMM pass. ``ZL`` is reused
    when the line search already computed it for the current factors.
    """
    s = m.s
    singular = False
    last = None
    if any(n < s for n in free):
        ZL = m.z_left(A, R) if ZL is None else ZL
    ZR = None
    for n in free:
        if n < s:
            M = _group_mttkrp_left(ZL, m.lshape, A, n, R)
        else:
            ZR = m.z_right(A, R) if ZR is None else ZR
            M = _group_mttkrp_right(ZR, m.rshape, A, s, n, R)
        V = hadamard_grams(grams, n, R)
        if l2_reg:
            V[np.diag_indices(R)] += l2_reg
        U, sing = spd_solve_right(M, V)
        singular |= sing
        A[n], w = normalise_columns(U)
        grams[n] = A[n].T @ A[n]
        last = (M, U, V)
    M, U, V = last
    if l2_reg:
        V = V.copy()
        V[np.diag_indices(R)] -= l2_reg  # ||Xhat||^2 needs the plain Gram product
    sq = m.normX2 - 2.0 * float(np.vdot(M, U)) + float(np.sum((U.T @ U) * V))
    return w, sq, singular


def finite(w, A) -> bool:
    """Whether the weights and every factor are finite."""
    return bool(np.all(np.isfinite(w))) and all(np.all(np.isfinite(f)) for f in A)


def extrapolate(A_last, w_last, A, w, jump, free: list):
    """Bro's candidate ``F_last + jump (F - F_last)`` on the free modes (unit columns), or None if not finite."""
    cw = w_last + (w - w_last) * jump
    cA = list(A)
    for k in free:
        cA[k], nrm = normalise_columns(A_last[k] + (A[k] - A_last[k]) * jump)
        cw = cw * nrm
    return (cA, cw) if finite(cw, cA) else None


from tnverify.numeric.als import cp_als  # noqa: E402  (the driver; it builds on the sweep above)
