r"""Starting points of CP-ALS: SVD-based, random suited to the data, or given by the user.

The choice (docs/numeric.md has the measurements behind it):

* ``"svd"`` -- factor ``n`` holds the ``R`` leading left singular vectors of the unfolding
  ``X_(n)`` (TensorLy's ``initialize_cp(init="svd")``); where ``I_n < R`` the missing columns are
  random (drawn as below). With a mask the unfolding is completed first by ``repeats`` rounds of
  rank-``R`` SVD imputation (TensorLy's ``svd_mask_repeats``), starting from the mean of the
  observed entries.
* ``"random"`` -- independent entries whose law suits the data: uniform on ``[0, 1)`` for a
  non-negative tensor (TensorLy's ``random_cp``: a non-negative tensor is best fitted from the
  non-negative orthant, where a standard-normal start sits in a sign pattern that ALS must
  first undo), standard normal otherwise.
* ``"auto"`` -- ``"svd"`` where it is defined without random padding (every ``I_n >= R``) and
  no ``seed`` was given, ``"random"`` otherwise.

The weights of a generated start are fitted by least squares (``w = V^+ b`` with
``V = *_k A_k^T A_k`` and ``b_r = <X, a^0_r o ... o a^{N-1}_r>``), so the error reported for the
start is the best one for its directions; a user's start is taken as given.
"""
from __future__ import annotations

import numpy as np

from tnverify.errors import InputError, ShapeError
from tnverify.numeric._validate import EPS, as_float_tensor
from tnverify.numeric.mttkrp import mttkrp_f64, unfold

__all__ = ["INITS", "choose_init", "random_factors", "svd_factors", "split_cp", "fit_weights"]

#: The named starting points of :func:`tnverify.numeric.cp_als`.
INITS = ("auto", "svd", "random")


def choose_init(init, shape, R: int, seed) -> object:
    """``init`` with ``"auto"`` resolved: ``"svd"`` when every ``I_n >= R`` and ``seed`` is None."""
    if isinstance(init, str) and init == "auto":
        return "svd" if seed is None and min(shape) >= R else "random"
    return init


def random_factors(shape, R: int, rng, nonneg: bool) -> list:
    """Random ``(I_n, R)`` factors: uniform on ``[0, 1)`` if ``nonneg``, else standard normal."""
    draw = rng.random if nonneg else rng.standard_normal
    return [draw((I, R)) for I in shape]


def _leading(M: np.ndarray, R: int) -> tuple:
    U, S, Vt = np.linalg.svd(M, full_matrices=False)
    return U[:, :R], S[:R], Vt[:R]


def svd_factors(X: np.ndarray, R: int, rng, nonneg: bool, mask=None, repeats: int = 5) -> list:
    """Leading left singular vectors of each unfolding, padded with random columns where ``I_n < R``.

    With ``mask`` (weights in ``[0, 1]``, 0 = missing) each unfolding is completed by ``repeats``
    rounds of ``Y <- M * X + (1 - M) * Y_R`` (``Y_R`` its rank-``R`` truncated SVD), starting
    from the observed mean in the missing entries. ``O(N prod(I) max(I_n))`` per round.
    """
    out = []
    for n, I in enumerate(X.shape):
        Y = unfold(X, n)
        if mask is not None:
            Mn = unfold(mask, n)
            fill = float(np.sum(Mn * Y) / max(np.sum(Mn), EPS))
            Y = Mn * Y + (1.0 - Mn) * fill
            for _ in range(repeats):
                U, S, Vt = _leading(Y, R)
                Y = Mn * unfold(X, n) + (1.0 - Mn) * ((U * S) @ Vt)
        U = _leading(Y, R)[0]
        if U.shape[1] < R:
            U = np.hstack([U, random_factors((I,), R - U.shape[1], rng, nonneg)[0]])
        out.append(np.ascontiguousarray(U))
    return out


def split_cp(init, shape, R: int):
    """``(weights, factors)`` of a user's start: a CPResult, a TensorLy CPTensor or a pair.

    ``weights`` may be None (ones). One factor may be None: it is then the first to be solved
    for and is filled by its least-squares solution given the others.

    Raises
    ------
    InputError
        Not a pair, or more than one factor missing.
    ShapeError
        Factors or weights whose shapes do not fit the tensor and the rank.
    """
    try:
        w, F = init
        F = list(F)
    except (TypeError, ValueError):
        raise InputError("expected init as 'auto', 'svd', 'random' or a (weights, factors) pair / CPTensor, "
                         f"got {type(init).__name__}") from None
    F = [None if f is None else as_float_tensor(f, name=f"init factor {n}", min_order=2) for n, f in enumerate(F)]
    w = np.ones(R) if w is None else as_float_tensor(w, name="init weights").ravel()
    if sum(f is None for f in F) > 1:
        raise InputError(f"expected at most one init factor given as None, got {sum(f is None for f in F)}")
    if (len(F) != len(shape) or any(f is not None and f.shape != (I, R) for f, I in zip(F, shape))
            or w.shape != (R,)):
        got = [None if f is None else f.shape for f in F]
        raise ShapeError(f"expected init factors of shapes {[(I, R) for I in shape]} and {R} weights, "
                         f"got {got} and {w.shape[0]}")
    return w.copy(), [None if f is None else f.copy() for f in F]


def fit_weights(X: np.ndarray, F: list, R: int) -> np.ndarray:
    """Least-squares weights of the CP model with factors ``F``: ``V^+ b`` (see the module docstring).

    One MTTKRP (``2 R prod(I)`` flops) and an ``R x R`` pseudo-inverse.
    """
    V = np.ones((R, R))
    for f in F:
        V *= f.T @ f
    b = np.einsum("ir,ir->r", mttkrp_f64(X, [None] + F[1:], 0, R), F[0])
    return np.linalg.lstsq(V, b, rcond=R * EPS)[0]
