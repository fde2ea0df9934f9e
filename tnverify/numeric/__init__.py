"""Floating-point tensor decompositions: the one wrapper around :mod:`numba_kernels.decompositions`.

This module validates user input (NaN/Inf, order, rank, applicability), normalises arrays to
float64 C-contiguous (so each jitted kernel compiles for one signature), seeds every random
initialisation from ``seed`` (a :class:`numpy.random.Generator`; the kernels never draw random
numbers) and turns kernel status codes into messages or :class:`tnverify.errors.NumericalError`.
Results are *numerical* evidence: they never prove anything by themselves
(:mod:`tnverify.theory.cp_rank` turns exact-looking ones into checked certificates).

Conventions follow the ecosystem (TensorLy): a CP value is ``(weights, factors)`` with
``factors[n]`` of shape ``(I_n, R)``; keywords ``rank``, ``n_iter_max``, ``tol``, ``init``,
``seed``; the mode-``n`` unfolding is C-order (TensorLy's ``unfold``; Kolda-Bader use Fortran
order). :class:`CPResult` unpacks as ``weights, factors = result`` and converts to and from
TensorLy's ``CPTensor`` when TensorLy is installed (an optional import only).

References
----------
.. [1] T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51(3), 2009.
.. [2] S. E. Leurgans, R. T. Ross, R. B. Abel, SIAM J. Matrix Anal. Appl. 14(4), 1993.
.. [3] A. Anandkumar, R. Ge, D. Hsu, S. M. Kakade, M. Telgarsky, "Tensor decompositions for learning
   latent variable models", JMLR 15, 2014.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field as dc_field
from pathlib import Path

import numpy as np

from numba_kernels import decompositions as K
from numba_kernels import moments as KM
from numba_kernels import tucker as KT
from numba_kernels._jit import BAD_INPUT, NOT_CONVERGED, OK, SINGULAR

from tnverify.errors import InputError, NumericalError, ShapeError

__all__ = ["CPResult", "cp_als", "jennrich", "hosvd", "tt_svd", "whiten", "tensor_power_method",
           "cp_to_tensor", "tucker_to_tensor", "tt_to_tensor", "khatri_rao", "mttkrp", "unfold",
           "as_float_tensor", "load_float_array", "check_rank", "STATUS_TEXT"]

#: Kernel status code -> words used in results and messages.
STATUS_TEXT = {OK: "converged", NOT_CONVERGED: "not converged", SINGULAR: "singular", BAD_INPUT: "bad input"}
#: Largest number of entries a numeric input file may hold.
MAX_ENTRIES = 200_000_000


# ------------------------------------------------------------------ validation
def as_float_tensor(data, *, name: str = "tensor", min_order: int = 1) -> np.ndarray:
    """``data`` as a float64 C-contiguous array, refusing NaN/Inf, empty arrays and low orders.

    Raises
    ------
    InputError
        Non-numeric data, NaN or Inf entries.
    ShapeError
        An empty array or an order below ``min_order``.
    """
    if np.iscomplexobj(data):
        raise InputError(f"expected a real {name}, got complex entries (dtype {np.asarray(data).dtype})")
    try:
        X = np.ascontiguousarray(np.asarray(data, dtype=np.float64))
    except (TypeError, ValueError) as e:
        raise InputError(f"expected a real numeric {name}, got data numpy cannot read as float64: {e}") from None
    if X.ndim < min_order:
        raise ShapeError(f"expected a {name} of order >= {min_order}, got order {X.ndim} (shape {X.shape})")
    if X.size == 0:
        raise ShapeError(f"expected a nonempty {name}, got shape {X.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(np.dot(X.ravel(), X.ravel()))  # one pass: NaN, Inf and overflow all show here
    if not finite:
        bad = int(np.count_nonzero(~np.isfinite(X)))
        if bad:
            raise InputError(f"expected finite entries in the {name}, got {bad} NaN or Inf value(s)")
        raise InputError(f"expected entries whose squares sum to a finite float64, got a {name} with "
                         f"max |entry| {float(np.max(np.abs(X))):.3g} (rescale it)")
    return X


def check_rank(rank, *, what: str = "rank") -> int:
    """A positive integer rank (else :class:`InputError`)."""
    if isinstance(rank, (bool, np.bool_)) or not isinstance(rank, (int, np.integer)):
        raise InputError(f"expected an integer {what} >= 1, got {rank!r}")
    if rank < 1:
        raise InputError(f"expected {what} >= 1, got {rank}")
    return int(rank)


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def load_float_array(path) -> np.ndarray:
    """A real tensor from ``.npy`` (numeric dtypes, no pickle), ``.json`` (nested lists) or ``.txt``.

    Floats are allowed (this is the numeric path); NaN/Inf are refused. Exact data goes through
    :func:`tnverify.exact.io.load_array` instead.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"expected an existing file, got {os.fspath(path)!r}")
    ext = p.suffix.lower()
    if ext == ".npy":
        try:
            with open(p, "rb") as fh:
                version = np.lib.format.read_magic(fh)
                read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                        else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read(fh)
        except Exception as e:  # noqa: BLE001 - any header problem is bad input
            raise InputError(f"expected a .npy file, could not read the header of {p.name}: {e}") from None
        if dtype.hasobject:
            raise InputError(f"{p.name} holds an object array; a numeric decomposition needs a numeric dtype")
        if int(np.prod(shape)) > MAX_ENTRIES:
            raise InputError(f"expected at most {MAX_ENTRIES} entries in {p.name}, got shape {shape}")
        data = np.load(p, allow_pickle=False)
    elif ext == ".json":
        try:
            data = json.loads(p.read_text())
        except json.JSONDecodeError as e:
            raise InputError(f"expected valid JSON in {p.name}: {e.msg} at line {e.lineno}") from None
    elif ext == ".txt":
        try:
            data = np.loadtxt(p, ndmin=2)
        except ValueError as e:
            raise InputError(f"expected whitespace-separated numbers in {p.name}: {e}") from None
    else:
        raise InputError(f"expected a .npy, .json or .txt file, got {p.name!r}")
    return as_float_tensor(data, name=f"tensor in {p.name}")


# ------------------------------------------------------------------ CP results
@dataclass
class CPResult:
    """A numerical CP decomposition ``X ~ sum_r weights[r] a^0_r o ... o a^{N-1}_r``.

    Unpacks like TensorLy's ``CPTensor``: ``weights, factors = result``. ``status`` is
    ``converged``, ``not converged`` or ``singular`` (see ``message``); ``rel_error`` is
    ``||X - Xhat||_F / ||X||_F``.
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
        return K.cp_to_tensor(self.weights, self.factors)

    def to_tensorly(self):
        """This decomposition as a ``tensorly.cp_tensor.CPTensor`` (needs TensorLy)."""
        try:
            from tensorly.cp_tensor import CPTensor
        except ImportError:
            raise InputError("converting to a TensorLy CPTensor needs TensorLy (pip install tensorly)") from None
        return CPTensor((self.weights, list(self.factors)))


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
                U = np.linalg.svd(K.unfold(X, n), full_matrices=False)[0]
                if U.shape[1] < R:  # pad with random columns (TensorLy does the same)
                    U = np.hstack([U, rng.standard_normal((I, R - U.shape[1]))])
                out.append(np.ascontiguousarray(U[:, :R]))
            return out
        raise InputError(f"expected init 'random', 'svd' or a (weights, factors) pair, got {init!r}")
    w, F = _split_cp(init, X.shape, R)
    F[0] = F[0] * w
    return F


def cp_als(tensor, rank: int, *, n_iter_max: int = 100, tol: float = 1e-8, init="random", seed=None,
           linesearch: bool = False) -> CPResult:
    r"""CP decomposition of any order ``N >= 2`` by alternating least squares.

    Minimises ``||X - [[w; A_0, ..., A_{N-1}]]||_F`` mode by mode (normal equations with the
    Hadamard product of Gram matrices, MTTKRPs by a dimension tree: two GEMMs per sweep) [1]_.

    Parameters
    ----------
    tensor : array_like, order >= 2, finite
    rank : int >= 1
    n_iter_max : int >= 0
    tol : float
        Stop when the relative error changes by less than ``tol``.
    init : ``"random"`` (standard normal factors drawn from ``seed``), ``"svd"`` (leading left
        singular vectors of the unfoldings) or a ``(weights, factors)`` pair / CPTensor.
    seed : int, Generator or None
    linesearch : bool
        Bro's extrapolation (as TensorLy's ``parafac(linesearch=True)``).

    Returns
    -------
    CPResult
        Unit-norm factor columns, scales in ``weights``.

    Raises
    ------
    InputError, ShapeError
        Bad rank, order < 2, NaN/Inf, inconsistent init.
    NumericalError
        The kernel rejected input the wrapper accepted (an internal inconsistency).

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
    if isinstance(n_iter_max, bool) or not isinstance(n_iter_max, (int, np.integer)) or n_iter_max < 0:
        raise InputError(f"expected n_iter_max >= 0, got {n_iter_max!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) or not 0 <= tol < np.inf:
        raise InputError(f"expected a finite tol >= 0, got {tol!r}")
    F0 = _init_factors(X, R, init, _rng(seed))
    w, F, it, err, status = K.cp_als(X, F0, int(n_iter_max), float(tol), bool(linesearch))
    if status == BAD_INPUT:
        raise NumericalError("CP-ALS rejected its input after validation (non-finite initial factors?)")
    msg = {OK: f"converged after {it} iterations (relative error change < {tol:g})",
           NOT_CONVERGED: f"stopped at n_iter_max = {n_iter_max} before the error change fell below {tol:g}",
           SINGULAR: ("the normal equations were numerically singular in the last sweep: the factors are "
                      "rank deficient (rank too large, or a degenerate / border-rank tensor)")}[status]
    return CPResult(w, F, int(it), float(err), STATUS_TEXT[status], msg, "als")


def jennrich(tensor, rank: int, *, seed=None, tries: int = 3, strict: bool = True) -> CPResult:
    r"""Jennrich's simultaneous diagonalisation of a 3-way tensor (Leurgans-Ross-Abel [2]_).

    ``T(z) = A diag(C^T z) B^T`` for random ``z1, z2`` (drawn from ``seed``); the eigenvectors of
    ``T(z1) T(z2)^+`` are the columns of ``A``. Needs ``R <= min(I, J)``, ``A`` and ``B`` of
    full column rank and ``k_C >= 2``. Up to ``tries`` pairs ``(z1, z2)`` are drawn.

    Parameters
    ----------
    strict : bool
        When every pair gives a singular projected slice or complex eigenvalue pairs: raise
        (default), or return the last result (real parts) with status ``singular``, as noisy
        data (e.g. an empirical moment) may need.

    Raises
    ------
    ShapeError
        Order != 3, or ``rank > min(I, J)`` (the method does not apply).
    NumericalError
        ``strict`` and singular projected slices (``rank`` exceeds the rank of the slices) or
        complex eigenvalue pairs (the ratios are not distinct: not identifiable from these slices).

    Examples
    --------
    >>> import numpy as np
    >>> F = [np.arange(1.0, 4.0)[:, None] ** np.arange(2) for _ in range(3)]
    >>> res = jennrich(cp_to_tensor(np.ones(2), F), 2, seed=0)
    >>> res.status, bool(res.rel_error < 1e-10)
    ('converged', True)
    """
    X = as_float_tensor(tensor, min_order=3)
    if X.ndim != 3:
        raise ShapeError(f"Jennrich's algorithm needs a tensor of order 3, got order {X.ndim}")
    R = check_rank(rank)
    I, J, Kd = X.shape
    if R > min(I, J):
        raise ShapeError(f"Jennrich's algorithm needs rank <= min(I, J) = {min(I, J)} for shape {X.shape}, got {R}")
    rng = _rng(seed)
    for _ in range(max(1, tries)):
        z1, z2 = rng.standard_normal(Kd), rng.standard_normal(Kd)
        A, B, C, status = K.jennrich(X, z1, z2, R)
        if status == OK or (status == SINGULAR and A.shape[1] == R and np.any(A)):
            if status == OK:
                break
    if status == SINGULAR and (strict or not np.any(A)):
        raise NumericalError(f"Jennrich failed for rank {R}: the projected slices are singular or the eigenvalue "
                             "ratios are not distinct (rank too large, or the factors are not identifiable "
                             "this way); try --method als")
    if status not in (OK, SINGULAR):
        raise NumericalError(f"Jennrich's kernel reported status {STATUS_TEXT.get(status, status)}")
    w = np.linalg.norm(C, axis=0)
    C = C / np.where(w > 0, w, 1.0)
    Xh = K.cp_to_tensor(w, [A, B, C])
    err = float(np.linalg.norm(X - Xh) / max(np.linalg.norm(X), np.finfo(float).tiny))
    msg = "algebraic (no iterations)" if status == OK else \
        "eigenvalue ratios not numerically distinct: real parts used, result unreliable"
    return CPResult(w, [A, B, C], 0, err, "converged" if status == OK else "singular", msg, "jennrich")


# ------------------------------------------------------------------ Tucker, TT
def hosvd(tensor, ranks=None, *, sequential: bool = True):
    """Truncated (sequentially truncated by default) HOSVD: ``(core, factors, rel_error)``.

    ``ranks`` None / int / sequence (None entries = full). See
    :func:`numba_kernels.decompositions.st_hosvd` for the error bound.
    """
    X = as_float_tensor(tensor)
    if ranks is not None:
        for r in (ranks if isinstance(ranks, (list, tuple)) else [ranks]):
            if r is not None:
                check_rank(r, what="multilinear rank")
        if isinstance(ranks, (list, tuple)) and len(ranks) != X.ndim:
            raise ShapeError(f"expected {X.ndim} multilinear ranks, got {len(ranks)}")
    core, F, status = (KT.st_hosvd if sequential else KT.hosvd)(X, ranks)
    if status != OK:
        raise NumericalError(f"HOSVD failed: {STATUS_TEXT[status]} (LAPACK SVD did not converge)")
    err = float(np.linalg.norm(X - KT.tucker_to_tensor(core, F)) / max(np.linalg.norm(X), np.finfo(float).tiny))
    return core, F, err


def tt_svd(tensor, max_ranks=None, *, eps=None):
    """TT-SVD (Oseledets): ``(cores, rel_error)`` with cores of shape ``(r_{k-1}, n_k, r_k)``."""
    X = as_float_tensor(tensor)
    if max_ranks is not None:
        for r in (max_ranks if isinstance(max_ranks, (list, tuple)) else [max_ranks]):
            check_rank(r, what="TT rank")
    if eps is not None and not (float(eps) >= 0.0):
        raise InputError(f"expected eps >= 0, got {eps!r}")
    cores, status = KT.tt_svd(X, max_ranks, eps)
    if status == BAD_INPUT:
        raise ShapeError(f"expected {X.ndim - 1} TT ranks for an order-{X.ndim} tensor, got {max_ranks!r}")
    if status != OK:
        raise NumericalError(f"TT-SVD failed: {STATUS_TEXT[status]}")
    err = float(np.linalg.norm(X - KT.tt_to_tensor(cores)) / max(np.linalg.norm(X), np.finfo(float).tiny))
    return cores, err


# ------------------------------------------------------------------ moments
def whiten(M2, k: int) -> np.ndarray:
    """Whitening ``W`` (d x k) with ``W^T M2 W = I_k`` for a PSD ``M2`` of rank >= k ([3]_ Sec. 4.3)."""
    M = as_float_tensor(M2, name="second moment", min_order=2)
    k = check_rank(k, what="number of components")
    if M.ndim != 2 or M.shape[0] != M.shape[1] or k > M.shape[0]:
        raise ShapeError(f"expected a square matrix with at least {k} rows, got shape {M.shape}")
    W, status = KM.whitening(M, k)
    if status == SINGULAR:
        raise NumericalError(f"whitening failed: the second moment has fewer than {k} positive eigenvalues "
                             "(its weights are not all of one sign, or it has rank < k)")
    if status != OK:
        raise NumericalError(f"whitening failed: {STATUS_TEXT[status]}")
    return W


def tensor_power_method(T3, k: int, *, n_init: int = 10, n_iter: int = 100, tol: float = 1e-10, seed=None):
    """Robust tensor power method with deflation ([3]_ Alg. 1) on a symmetric d x d x d tensor.

    Returns ``(eigenvalues (k,), eigenvectors (d, k), status)``; ``status`` is a word of
    :data:`STATUS_TEXT` (``singular`` when fewer than k components exist).
    """
    T = as_float_tensor(T3, name="symmetric tensor", min_order=3)
    k = check_rank(k, what="number of components")
    if T.ndim != 3 or len(set(T.shape)) != 1 or k > T.shape[0]:
        raise ShapeError(f"expected a cubical d x d x d tensor with d >= {k}, got shape {T.shape}")
    inits = _rng(seed).standard_normal((k, n_init, T.shape[0]))
    lam, V, status = KM.symmetric_tensor_power_method(T, inits, int(n_iter), k, float(tol))
    if status == BAD_INPUT:
        raise NumericalError("the tensor power method rejected its input after validation")
    return lam, V, STATUS_TEXT[status]


# ------------------------------------------------------------------ pass-throughs
def cp_to_tensor(weights, factors) -> np.ndarray:
    """Full tensor of a CP value (``(I_n, R)`` factors)."""
    out = K.cp_to_tensor(weights, factors)
    if out.shape == (0, 0):
        raise ShapeError("inconsistent CP value: factors need the same number of columns as there are weights")
    return out


def tucker_to_tensor(core, factors) -> np.ndarray:
    return KT.tucker_to_tensor(core, factors)


def tt_to_tensor(cores) -> np.ndarray:
    return KT.tt_to_tensor(cores)


def khatri_rao(mats) -> np.ndarray:
    return K.khatri_rao(mats)


def mttkrp(tensor, factors, mode: int) -> np.ndarray:
    return K.mttkrp(tensor, factors, mode)


def unfold(tensor, mode: int) -> np.ndarray:
    return K.unfold(tensor, mode)
