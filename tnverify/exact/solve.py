"""Determinants, kernels, linear systems and nonzero minors over Q, Z and GF(p).

Inputs are exact arrays (:mod:`tnverify.exact.arrays`) and fields
(:mod:`tnverify.exact.fields`); results are exact: ``int`` and ``Fraction``
over Q and Z, residues in [0, p) over GF(p). The arithmetic is FLINT's
(``fmpq_mat``, ``fmpz_mat``, ``nmod_mat``) [1]_. Checks against the definitions
(``A @ X == B``, ``A @ v == 0``) are in ``tests/test_exact.py``; README.md,
"Exact ranks with witnesses", lists this API.

References
----------
.. [1] The FLINT team, FLINT: Fast Library for Number Theory (fmpq_mat, nmod_mat).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from tnverify.errors import InputError, NotExactError, ShapeError
from tnverify.exact.arrays import as_exact_array, as_exact_matrix, integer_rows, to_fmpq_mat
from tnverify.exact.fields import Field, parse_field
from tnverify.exact.rank import modular_kernel, rank, rational_kernel
from tnverify.numbers import to_exact
from tnverify.numeric.modp import rref_pivots, to_nmod_mat

__all__ = ["det", "nullspace", "solve", "nonzero_minor"]


def nonzero_minor(A, *, seed: int | None = None) -> tuple[list[int], list[int], int]:
    """Rows and columns of a maximal nonzero minor of ``A``, and the prime it was found with.

    The minor ``A[rows][:, cols]`` is nonzero mod the prime, hence a nonzero integer
    (after clearing row denominators), hence nonzero over Q (docs/mathematics.md,
    section 1); its size is the rank of ``A``. Cost: that of :func:`tnverify.exact.rank`.

    Examples
    --------
    >>> nonzero_minor([[1, 2], [2, 4], [0, 1]])[:2]
    ([0, 2], [0, 1])
    """
    res = rank(A, seed=seed)
    return res.pivot_rows, res.pivot_cols, res.prime


def det(A, field: "str | Field" = "Q"):
    """Determinant over Q (``Fraction`` or ``int``), Z (``int``) or GF(p) (``int`` in [0, p)).

    Complexity: FLINT's fraction-free / multimodular determinant for Q and Z,
    O(n^3) word operations for GF(p).

    Examples
    --------
    >>> det([[1, 2], [3, 4]]), det([["1/2", 0], [0, 3]]), det([[1, 2], [3, 4]], "GF(7)")
    (-2, Fraction(3, 2), 5)
    """
    F = parse_field(field)
    M = as_exact_matrix(A)
    if M.shape[0] != M.shape[1]:
        raise ShapeError(f"expected a square matrix for det, got shape {M.shape}")
    if F.kind == "GF":
        return int(to_nmod_mat(F.reduce(M), F.p).det())
    if F.kind == "Z" and M.dtype == object and any(isinstance(x, Fraction) for x in M.ravel()):
        raise NotExactError("expected integer entries for det over Z, got rationals")
    return to_exact(to_fmpq_mat(M).det())


def nullspace(A, field: "str | Field" = "Q") -> list[list]:
    """A basis of the right kernel {x : A x = 0}.

    Over Q and Z the basis vectors are primitive integer vectors (a basis of the
    rational kernel, not necessarily of the integer lattice); over GF(p) the entries
    are in [0, p). Vector j has a nonzero entry at the j-th non-pivot column and
    zeros at the other non-pivot columns, so independence is visible. Cost: one
    :func:`tnverify.exact.rank` with the kernel witness (over Q), one echelon form
    mod p (over GF(p)).

    Examples
    --------
    >>> nullspace([[1, 2, 3], [2, 4, 6]])
    [[-2, 1, 0], [-3, 0, 1]]
    """
    F = parse_field(field)
    M = as_exact_matrix(A)
    if F.kind == "GF":
        vecs, _ = modular_kernel(F.reduce(M), F.p)
        return vecs
    Mi = integer_rows(M)
    res = rank(Mi, seed=0, upper="kernel")
    if res.rank == Mi.shape[1]:
        return []
    if res.kernel is not None:
        return res.kernel
    return rational_kernel(Mi, res.pivot_rows, res.pivot_cols)


def solve(A, B, field: "str | Field" = "Q"):
    """Solve A X = B exactly; returns X as a numpy object array (or a vector when B is one).

    Over Q any consistent system is solved (a particular solution, free variables
    set to 0); over Z the solution must be unique and integral; over GF(p) entries
    are in [0, p). Raises :class:`~tnverify.errors.InputError` for an inconsistent
    system. Cost: one reduced echelon form of the m x (n + k) augmented matrix [A | B]
    (FLINT), O(m (n + k) min(m, n + k)) field operations.

    Examples
    --------
    >>> list(solve([[2, 0], [0, 4]], [1, 1]))
    [Fraction(1, 2), Fraction(1, 4)]
    """
    F = parse_field(field)
    M = as_exact_matrix(A, "A")
    Bv = as_exact_array(B, name="B")
    vec = Bv.ndim == 1
    Bm = Bv.reshape(-1, 1) if vec else Bv
    if Bm.ndim != 2 or Bm.shape[0] != M.shape[0]:
        raise ShapeError(f"expected B with {M.shape[0]} rows to match A {M.shape}, got shape {Bv.shape}")
    n, k = M.shape[1], Bm.shape[1]
    aug = np.concatenate([M, Bm], axis=1).astype(object)
    if F.kind == "GF":
        R, r = to_nmod_mat(F.reduce(aug), F.p).rref()
    else:
        R, r = to_fmpq_mat(aug).rref()
    piv = rref_pivots(R, r, n + k)
    if piv and piv[-1] >= n:
        raise InputError("the system A X = B is inconsistent over " + str(F))
    X = np.zeros((n, k), dtype=object)
    for i, c in enumerate(piv):
        for t in range(k):
            X[c, t] = to_exact(R[i, n + t]) if F.kind != "GF" else int(R[i, n + t])
    if F.kind == "Z":
        if r < n:
            raise InputError(f"solve over Z needs a unique solution; the system has {n - r} free variables")
        if any(isinstance(x, Fraction) for x in X.ravel()):
            raise InputError("the system A X = B has no integer solution (its unique solution is not integral)")
    return X[:, 0] if vec else X
