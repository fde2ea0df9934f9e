r"""Jennrich's algorithm (simultaneous diagonalisation) for a float 3-way tensor.

Numerical evidence only (docs/architecture.md: the numeric tier proposes, the checker decides);
the exact algorithm over Q lives in :mod:`tnverify.theory`. The only jitted work is the final
MTTKRP (:mod:`tnverify.numeric.mttkrp`); the rest is LAPACK.

References
----------
.. [1] S. E. Leurgans, R. T. Ross, R. B. Abel, "A decomposition for three-way arrays",
   SIAM J. Matrix Anal. Appl. 14(4), 1993.
.. [2] T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51(3),
   2009, Sec. 3.3.
"""
from __future__ import annotations

import numpy as np

from tnverify.errors import NumericalError, ShapeError
from tnverify.numeric._validate import EPS, as_float_tensor, as_generator, check_rank, relative_error
from tnverify.numeric.cp import CPResult, cp_to_tensor, normalise_columns, spd_solve_right
from tnverify.numeric.mttkrp import mttkrp_f64

__all__ = ["jennrich"]


def jennrich(tensor, rank: int, *, seed=None, tries: int = 3, strict: bool = True) -> CPResult:
    r"""CP decomposition of a 3-way tensor by simultaneous diagonalisation (Leurgans-Ross-Abel [1]_).

    For ``T = sum_{r<R} a_r o b_r o c_r`` with ``A`` (I x R) and ``B`` (J x R) of full column rank
    and ``R <= min(I, J)``, the slices ``T(z) = sum_k z_k T[:, :, k] = A diag(C^T z) B^T`` satisfy
    ``T(z1) T(z2)^+ = A D A^+`` with ``D = diag(C^T z1 / C^T z2)``: the eigenvectors for the
    nonzero eigenvalues are the columns of ``A``, unique up to permutation and scale when the
    ratios are distinct, which holds for generic ``z1, z2`` when ``k_C >= 2``.

    Algorithm, for ``z1, z2`` standard normal (drawn from ``seed``): ``U`` (I x R) and ``V``
    (J x R) = leading singular vectors of ``[T(z1), T(z2)]`` and ``[T(z1); T(z2)]``;
    ``S_i = U^T T(z_i) V``; eigenvectors ``W`` of ``S_1 S_2^{-1}``, ``A = U W``; the rows of
    ``W^{-1} S_i = diag(C^T z_i) (V^T B)^T`` give ``B`` (from the slice with the larger row); ``C``
    by least squares, ``C^T = ((A^T A) * (B^T B))^{-1} KR(A, B)^T X_mat`` (one MTTKRP). ``A`` and
    ``B`` get unit columns, ``C`` is normalised into ``weights``. Up to ``tries`` pairs
    ``(z1, z2)`` are drawn until one gives distinct real eigenvalue ratios; the last pair decides.

    Parameters
    ----------
    tensor : array_like (I, J, K), finite
    rank : int, ``1 <= rank <= min(I, J)``
    seed : int, Generator or None
    tries : int
        Pairs ``(z1, z2)`` to try (at least one).
    strict : bool
        When the last pair gives complex eigenvalue pairs or a singular Gram matrix for ``C``:
        raise (default), or return that model (a conjugate pair contributes the real and
        imaginary parts of its eigenvector) with status ``singular``, as noisy data (e.g. an
        empirical moment) may need.

    Returns
    -------
    CPResult
        ``method = "jennrich"``, ``n_iter = 0``; columns in the eigenvalue order of ``eig``.

    Raises
    ------
    ShapeError
        Order != 3, or ``rank > min(I, J)`` (the method does not apply).
    NumericalError
        The projected slice ``S_2`` is numerically singular (``rank`` exceeds the rank of the
        slices), the eigenbasis is defective, LAPACK did not converge, or (``strict``) the
        eigenvalue ratios are not numerically distinct (not identifiable from these slices).

    Notes
    -----
    Two GEMVs ``O(IJK)`` for the slices, SVDs and an eigenproblem ``O((I + J) R^2 + R^3)``, and one
    MTTKRP ``2 IJK R`` flops for ``C``, per try.

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
    rng = as_generator(seed)
    for _ in range(max(1, tries)):
        z1, z2 = rng.standard_normal(Kd), rng.standard_normal(Kd)
        factors, reliable = _diagonalise(X, z1, z2, R)
        if reliable:
            break
    if factors is None or (strict and not reliable):
        raise NumericalError(f"Jennrich failed for rank {R}: the projected slices are singular or the eigenvalue "
                             "ratios are not distinct (rank too large, or the factors are not identifiable "
                             "this way); try --method als")
    A, B, C = factors
    w = np.linalg.norm(C, axis=0)
    C = C / np.where(w > 0, w, 1.0)
    err = relative_error(X, cp_to_tensor(w, [A, B, C]))
    if reliable:
        return CPResult(w, [A, B, C], 0, err, "converged", "algebraic (no iterations)", "jennrich")
    return CPResult(w, [A, B, C], 0, err, "singular",
                    "eigenvalue ratios not numerically distinct: real parts used, result unreliable", "jennrich")


def _diagonalise(X: np.ndarray, z1: np.ndarray, z2: np.ndarray, R: int):
    """``((A, B, C), reliable)`` for one pair ``(z1, z2)``; ``(None, False)`` when it fails.

    Unreliable: complex eigenvalue pairs (each pair replaced by the real basis ``(Re w, Im w)`` of
    its invariant plane) or a singular Gram matrix for ``C``. Failure: a singular ``S_2``, a
    defective eigenbasis, non-finite factors or LAPACK non-convergence.
    """
    I, J, K = X.shape
    try:
        Xm = X.reshape(I * J, K)
        T1 = (Xm @ z1).reshape(I, J)
        T2 = (Xm @ z2).reshape(I, J)
        U = np.linalg.svd(np.hstack([T1, T2]), full_matrices=False)[0][:, :R]
        V = np.linalg.svd(np.vstack([T1, T2]), full_matrices=False)[2][:R].T
        S1 = U.T @ T1 @ V
        S2 = U.T @ T2 @ V
        sv = np.linalg.svd(S2, compute_uv=False)
        if not sv[0] > 0.0 or sv[-1] <= sv[0] * R * EPS * 16:
            return None, False
        evals, W = np.linalg.eig(np.linalg.solve(S2.T, S1.T).T)  # S1 S2^{-1}
        reliable = True
        if np.iscomplexobj(evals) or np.iscomplexobj(W):
            # eig returns conjugate pairs (lambda, conj(lambda)) as consecutive columns (w, conj(w))
            Wr = np.array(W.real)
            im = np.asarray(evals).imag
            j = 0
            while j < R:
                if im[j] != 0.0:
                    reliable = False
                    if j + 1 < R:
                        Wr[:, j + 1] = W[:, j].imag
                        j += 1
                j += 1
            W = Wr
        A, _ = normalise_columns(U @ W)
        Winv_S1 = np.linalg.solve(W, S1)
        Winv_S2 = np.linalg.solve(W, S2)
    except np.linalg.LinAlgError:  # LAPACK did not converge, or a defective eigenbasis
        return None, False
    n1 = np.einsum("rj,rj->r", Winv_S1, Winv_S1)
    n2 = np.einsum("rj,rj->r", Winv_S2, Winv_S2)
    Bt = np.where((n1 > n2)[:, None], Winv_S1, Winv_S2)  # rows ~ b~_r^T
    B, _ = normalise_columns(V @ Bt.T)
    # C^T = G^{-1} KR(A, B)^T X_mat   (the mode-2 MTTKRP)
    C, singular = spd_solve_right(mttkrp_f64(X, [A, B, None], 2, R), (A.T @ A) * (B.T @ B))
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(B)) and np.all(np.isfinite(C))):
        return None, False
    return (A, B, np.ascontiguousarray(C)), reliable and not singular
