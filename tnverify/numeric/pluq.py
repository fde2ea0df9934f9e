r"""Rank profile over GF(p) of a large dense matrix by a recursive PLUQ elimination on float64 BLAS.

Every arithmetic result is the true residue mod p. The bulk of the work is float64 matrix
products (BLAS through :func:`numpy.matmul`, multi-threaded) that are *exact* because all operands
are integers in ``[0, p)`` and every partial sum stays below ``2**53``: with inner dimension ``k``
the sum is at most ``k (p-1)**2`` (the FFLAS-FFPACK idea [1]_). Each product is reduced mod p
right after it is computed; inner dimensions longer than the exact bound are split into chunks.
Pivot search and the small panel factorisations are the jitted loops of :mod:`numba_kernels.modp`
(with *delayed reduction*: a panel of at most ``LEAF`` rows is updated up to ``LEAF`` times in
float64 before its entries are reduced). :func:`tnverify.numeric.modp.rank_profile` is the entry
point that chooses between this engine and FLINT; the tiers are in docs/architecture.md.

Prime-size constraint
---------------------
Let ``KC(p) = (2**53 - 2p) // (p-1)**2`` (:func:`inner_bound`) be the longest exact inner
dimension: a residue minus a sum of ``k <= KC(p)`` products of residues lies in
``[-(2**53 - 2p), p)``, every partial sum is an exactly representable integer, and the float
reduction ``y - floor(y / p) p`` (corrected by one ``p``) is exact there. The engine requires ``p``
prime and ``KC(p) >= KC_MIN = 64`` (panels of ``LEAF = 32`` rows, explicitly inverted triangular
blocks of at most ``min(TRSM_LEAF, KC(p))`` columns), i.e. ``2 <= p <= P_MAX = 11863284`` (largest
admissible prime 11863279). Primes below ``2**20`` are the fast path: ``KC >= 8192``, so for
matrices with at most 16384 columns every product is a single BLAS call. A smaller prime only
makes an accidental rank drop more likely (Schwartz-Zippel: probability <= degree / p); it is never
unsound, because a minor that is nonzero mod p is nonzero over Z.

Algorithm
---------
The input ``A`` (m x n) is copied, transposed, into a float64 work array ``B = A^T`` (n x m, C
order) so that a column of ``A`` is a contiguous row of ``B``. ``B`` is factorised by a recursive
(Toledo-style [2]_) elimination that splits the rows of ``B`` in halves: factor the top half, solve
a unit-triangular system for the bottom-left block (recursive TRSM whose leaves multiply by an
explicitly inverted triangle), update the bottom-right Schur complement with one GEMM, factor it,
and rotate the pivot rows of the second half next to those of the first. Pivoting takes the
*first* nonzero entry (no numerical stability is needed mod p), so generic matrices need no swaps
at all. The result is a PLUQ decomposition ``A[row_perm][:, col_perm] = L U`` with ``L`` unit lower
triangular and ``U`` upper triangular with ``r`` nonzero pivots, so the leading ``r x r`` block is
nonsingular: its rows and columns are the witness. Cost ``O(m n r)`` field operations, almost all
in BLAS; memory one float64 copy of ``A`` plus a 16 MB scratch buffer.

The jitted kernels are deliberately sequential: numba's OpenMP workers spin between parallel
regions and, interleaved with the BLAS threads on few cores, made the products 4x slower. All
parallelism comes from BLAS. Under CPU oversubscription multi-threaded OpenBLAS degrades badly;
callers that share the machine may prefer one BLAS thread (e.g. threadpoolctl).

References
----------
.. [1] J.-G. Dumas, P. Giorgi, C. Pernet, "Dense linear algebra over word-size prime fields:
   the FFLAS and FFPACK packages", ACM TOMS 35(3), 2008.
.. [2] S. Toledo, "Locality of reference in LU decomposition with partial pivoting",
   SIAM J. Matrix Anal. Appl. 18(4), 1997.
"""
from __future__ import annotations

import flint
import numpy as np

from numba_kernels.modp import apply_swaps, factor_leaf, load_transposed, set_reduce, sub_reduce, unit_upper_inverse

from tnverify.errors import FieldError, InputError, NotExactError, ShapeError

__all__ = ["pluq_rank_profile", "inner_bound", "is_admissible_prime", "P_MAX", "KC_MIN", "LEAF"]

#: Rows (of ``A^T``, i.e. columns of ``A``) handled by one jitted panel factorisation.
LEAF = 32
#: Largest triangular block inverted explicitly (then applied with one BLAS product).
TRSM_LEAF = 128
#: Smallest admissible exact inner dimension ``KC(p)``; must be >= LEAF (delayed reduction).
KC_MIN = 64
#: Elements of the GEMM scratch buffer (float64): products are done in row chunks of this size.
BUF_ELEMS = 1 << 21
_TWO53 = 1 << 53


def inner_bound(p: int) -> int:
    """Longest exact float64 inner dimension ``KC(p) = (2**53 - 2p) // (p-1)**2`` for a prime ``p``.

    A dot product of ``k <= KC(p)`` pairs of residues in ``[0, p)``, subtracted from a residue, lies
    in ``(-(2**53 - 2p), p)``: it is an exactly representable integer at every partial sum and its
    float reduction mod p (``floor(y / p)`` corrected by one) is exact.
    """
    p = int(p)
    if p <= 1:
        return 0
    return (_TWO53 - 2 * p) // ((p - 1) * (p - 1))


def _largest_admissible_modulus() -> int:
    lo, hi = 2, 1 << 27
    while lo < hi:  # the largest p with inner_bound(p) >= KC_MIN (inner_bound decreases in p)
        mid = (lo + hi + 1) // 2
        if inner_bound(mid) >= KC_MIN:
            lo = mid
        else:
            hi = mid - 1
    return lo


#: Largest modulus admitted (primes only): ``inner_bound(P_MAX) >= KC_MIN``.
P_MAX = _largest_admissible_modulus()


def is_admissible_prime(p) -> bool:
    """True when ``p`` is an integer (not a bool), a prime and ``p <= P_MAX``."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer)):
        return False
    return 2 <= int(p) <= P_MAX and bool(flint.fmpz(int(p)).is_prime())


class _Elim:
    """The recursive elimination of the work array ``B = A^T`` (module docstring, Algorithm)."""

    __slots__ = ("B", "p", "pf", "pinv", "kc", "tl", "buf", "rowperm", "colperm", "swaps")

    def __init__(self, B, p):
        n, m = B.shape
        self.B = B
        self.p = np.int64(p)
        self.pf = float(p)
        self.pinv = 1.0 / float(p)
        self.kc = min(inner_bound(p), 1 << 40)
        self.tl = min(TRSM_LEAF, self.kc)
        self.buf = np.empty(max(1, min(BUF_ELEMS, n * m)), dtype=np.float64)
        self.rowperm = np.arange(n, dtype=np.int64)
        self.colperm = np.arange(m, dtype=np.int64)
        self.swaps = np.empty(2 * LEAF, dtype=np.int64)

    def gemm_sub(self, i0, i1, j0, j1, a_c0, b_r0, k):
        """``B[i0:i1, j0:j1] -= B[i0:i1, a_c0:a_c0+k] @ B[b_r0:b_r0+k, j0:j1]`` (mod p)."""
        if i1 <= i0 or j1 <= j0 or k <= 0:
            return
        B = self.B
        nj = j1 - j0
        rows = max(1, self.buf.size // nj)
        for kk0 in range(0, k, self.kc):
            kk1 = min(k, kk0 + self.kc)
            right = B[b_r0 + kk0:b_r0 + kk1, j0:j1]
            for a0 in range(i0, i1, rows):
                a1 = min(i1, a0 + rows)
                T = self.buf[: (a1 - a0) * nj].reshape(a1 - a0, nj)
                np.matmul(B[a0:a1, a_c0 + kk0:a_c0 + kk1], right, out=T)
                sub_reduce(B, a0, j0, T, self.pf, self.pinv)

    def trsm(self, i0, i1, c0, r0, k):
        """Rows ``i0..i1``: ``B[i, c0:c0+k] <- B[i, c0:c0+k] U^{-1}``, ``U`` unit upper at ``B[r0:, c0:]``."""
        if i1 <= i0 or k <= 0:
            return
        if k <= self.tl:
            # X = Y U^{-1} with one small exact product (k <= KC(p))
            V = unit_upper_inverse(self.B, r0, c0, k, self.pf, self.pinv)
            B = self.B
            rows = max(1, self.buf.size // k)
            for a0 in range(i0, i1, rows):
                a1 = min(i1, a0 + rows)
                T = self.buf[: (a1 - a0) * k].reshape(a1 - a0, k)
                np.matmul(B[a0:a1, c0:c0 + k], V, out=T)
                set_reduce(B, a0, c0, T, self.pf, self.pinv)
            return
        k1 = _split(k)
        self.trsm(i0, i1, c0, r0, k1)
        self.gemm_sub(i0, i1, c0 + k1, c0 + k, c0, r0, k1)
        self.trsm(i0, i1, c0 + k1, r0 + k1, k - k1)

    def factor(self, r0, m, c0):
        """Eliminate rows ``r0..r0+m`` of ``B`` over columns ``c0..``; returns their rank."""
        B = self.B
        mc = B.shape[1]
        if m <= 0 or c0 >= mc:
            return 0
        if m <= LEAF:
            r, nsw = factor_leaf(B, r0, m, c0, self.p, self.pf, self.pinv, self.rowperm, self.colperm, self.swaps)
            if nsw > 0:
                apply_swaps(B, r0, r0 + m, self.swaps, nsw)
            return r
        m1 = _split(m)
        r1 = self.factor(r0, m1, c0)
        R0, R1 = r0 + m1, r0 + m
        if r1 > 0:
            self.trsm(R0, R1, c0, r0, r1)
            self.gemm_sub(R0, R1, c0 + r1, mc, c0, r0, r1)
        r2 = self.factor(R0, m - m1, c0 + r1)
        if r2 > 0 and r1 < m1:
            # rows [r0+r1, R0) are non-pivot; bring the r2 pivot rows [R0, R0+r2) before them
            a, b, c = r0 + r1, R0, R0 + r2
            if b - a <= c - b:
                tmp = B[a:b].copy()
                B[a:a + (c - b)] = B[b:c]
                B[a + (c - b):c] = tmp
            else:
                tmp = B[b:c].copy()
                B[c - (b - a):c] = B[a:b]
                B[a:a + (c - b)] = tmp
            self.rowperm[a:c] = np.concatenate((self.rowperm[b:c], self.rowperm[a:b]))
        return r1 + r2


def _split(m: int) -> int:
    """First half of a split of ``m > LEAF`` rows, a multiple of ``LEAF``."""
    h = (m + 1) // 2
    return min(m - 1, ((h + LEAF - 1) // LEAF) * LEAF)


def pluq_rank_profile(A, p: int):
    """Rank of ``A`` over GF(p) with the rows and columns of a nonsingular ``r x r`` minor.

    Parameters
    ----------
    A : (m, n) integer array with entries in ``[0, p)`` (int64, or another integer dtype, converted)
    p : int
        A prime ``<= P_MAX`` (fast below ``2**20``; module docstring).

    Returns
    -------
    rank : int
    pivot_rows, pivot_cols : int64 ndarray (rank,)
        Increasing, such that ``A[np.ix_(pivot_rows, pivot_cols)]`` is nonsingular mod p.

    Raises
    ------
    FieldError
        ``p`` is not an admissible prime.
    ShapeError
        ``A`` is not 2-D.
    NotExactError
        ``A`` has a non-integer dtype (or uint64).
    InputError
        An entry outside ``[0, p)``.

    Notes
    -----
    PLUQ elimination (first-nonzero pivoting), recursive, with exact float64 BLAS products:
    ``O(m n r)`` operations, one float64 copy of ``A`` as workspace.

    Examples
    --------
    >>> import numpy as np
    >>> r, rows, cols = pluq_rank_profile(np.array([[1, 2, 3], [2, 4, 6], [0, 1, 1]]), 7)
    >>> (r, rows.tolist(), cols.tolist())
    (2, [0, 2], [0, 1])
    """
    if not is_admissible_prime(p):
        raise FieldError(f"expected a prime modulus in [2, {P_MAX}] for the BLAS elimination, got {p!r}")
    p = int(p)
    A = np.asarray(A)
    if A.ndim != 2:
        raise ShapeError(f"expected a 2-d matrix for a rank mod p, got shape {A.shape}")
    if A.dtype.kind not in "iu" or A.dtype == np.uint64:
        raise NotExactError(f"expected an integer matrix for a rank mod p, got dtype {A.dtype}")
    A = np.ascontiguousarray(A, dtype=np.int64)
    m, n = A.shape
    B = np.empty((n, m), dtype=np.float64)
    if m and n and load_transposed(A, np.int64(p), B) != 0:
        raise InputError(f"expected residues in [0, {p}) for the BLAS elimination mod {p}")
    E = _Elim(B, p)
    r = E.factor(0, n, 0)
    # B = A^T: pivot rows of B are pivot columns of A and vice versa
    return int(r), np.sort(E.colperm[:r]), np.sort(E.rowperm[:r])
