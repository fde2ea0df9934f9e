"""Exact dense linear algebra over GF(p) for large matrices: rank profile with witness, det.

Every arithmetic result is the true residue mod p. The bulk of the work is done by float64
matrix products (BLAS through :func:`numpy.matmul`, multi-threaded) that are *exact* because
all operands are integers in ``[0, p)`` and every partial sum stays below ``2**53``: with inner
dimension ``k`` the sum is at most ``k (p-1)**2`` (the FFLAS-FFPACK idea [1]_). Each product is
reduced mod p right after it is computed; inner dimensions longer than the exact bound are
split into chunks. Pivot search and the small panel factorisations are jitted (numba) with
*delayed reduction*: a panel of at most ``LEAF`` rows is updated up to ``LEAF`` times in float64
before its entries are reduced.

Prime-size constraint
---------------------
Let ``KC(p) = (2**53 - 2p) // (p-1)**2`` (:func:`inner_bound`) be the longest exact inner
dimension: a residue minus a sum of ``k <= KC(p)`` products of residues lies in
``[-(2**53 - 2p), p)``, every partial sum is an exactly representable integer, and the float
reduction ``y - floor(y / p) p`` (corrected by one ``p``) is exact there. The kernels require
``p`` prime and ``KC(p) >= KC_MIN = 64`` (panels of ``LEAF = 32`` rows, explicitly inverted
triangular blocks of at most ``min(TRSM_LEAF, KC(p))`` columns), i.e.
``2 <= p <= P_MAX = 11863284`` (largest admissible prime 11863279). Otherwise the status is
``BAD_INPUT``. Primes below ``2**20`` are the fast path: ``KC >= 8192``, so for matrices with at
most 16384 columns every product is a single BLAS call. A smaller prime only makes an accidental
rank drop more likely (Schwartz-Zippel: probability <= degree / p); it is never unsound, because
a minor that is nonzero mod p is nonzero over Z.

Algorithm
---------
The input ``A`` (m x n) is copied, transposed, into a float64 work array ``B = A^T`` (n x m,
C order) so that a column of ``A`` is a contiguous row of ``B``. ``B`` is factorised by a
recursive (Toledo-style [2]_) elimination that splits the rows of ``B`` in halves: factor the
top half, solve a unit-triangular system for the bottom-left block (recursive TRSM whose leaves
multiply by an explicitly inverted triangle), update the bottom-right Schur complement with one
GEMM, factor it, and rotate the pivot rows of the second half next to those of the first.
Pivoting takes the *first* nonzero entry (no numerical stability is needed mod p), so generic
matrices need no swaps at all. The result is a PLUQ decomposition
``A[row_perm][:, col_perm] = L U`` with ``L`` unit lower triangular and ``U`` upper triangular
with ``r`` nonzero pivots, so the leading ``r x r`` block is nonsingular: its rows and columns
are the witness. Cost ``O(m n r)`` field operations, almost all in BLAS; memory one float64
copy of ``A`` plus a 16 MB scratch buffer.

The jitted kernels are deliberately sequential: numba's OpenMP workers spin between parallel
regions and, interleaved with the BLAS threads on few cores, made the products 4x slower.
All parallelism comes from BLAS. Under CPU oversubscription multi-threaded OpenBLAS degrades
badly; callers that share the machine may prefer one BLAS thread (e.g. threadpoolctl).

All public functions return a status code first (:mod:`numba_kernels._jit`): ``OK`` or
``BAD_INPUT`` (not 2-D, non-integer dtype, entry outside ``[0, p)``, ``p`` not an admissible
prime). They never raise for bad data.

References
----------
.. [1] J.-G. Dumas, P. Giorgi, C. Pernet, "Dense linear algebra over word-size prime fields:
   the FFLAS and FFPACK packages", ACM TOMS 35(3), 2008.
.. [2] S. Toledo, "Locality of reference in LU decomposition with partial pivoting",
   SIAM J. Matrix Anal. Appl. 18(4), 1997.
"""
import numpy as np
from ._modarith import inv_mod, is_prime_small
from ._jit import BAD_INPUT, OK, njit

__all__ = [
    "rank_profile_modp",
    "rank_modp",
    "det_modp",
    "reduce_modp",
    "inner_bound",
    "is_admissible_prime",
    "P_MAX",
    "KC_MIN",
    "LEAF",
]

#: Rows (of ``A^T``, i.e. columns of ``A``) handled by one jitted panel factorisation.
LEAF = 32
#: Largest triangular block inverted explicitly (then applied with one BLAS product).
TRSM_LEAF = 128
#: Smallest admissible exact inner dimension ``KC(p)``; must be >= LEAF (delayed reduction).
KC_MIN = 64
#: Elements of the GEMM scratch buffer (float64): products are done in row chunks of this size.
_BUF_ELEMS = 1 << 21
_TWO53 = 1 << 53


def inner_bound(p):
    """Longest exact float64 inner dimension ``KC(p) = (2**53 - 2p) // (p-1)**2`` for prime p.

    A dot product of ``k <= KC(p)`` pairs of residues in ``[0, p)``, subtracted from a residue,
    lies in ``(-(2**53 - 2p), p)``: it is an exactly representable integer at every partial sum
    and its float reduction mod p (floor(y / p) corrected by one) is exact.
    """
    p = int(p)
    if p <= 1:
        return 0
    return (_TWO53 - 2 * p) // ((p - 1) * (p - 1))


def _compute_pmax():
    lo, hi = 2, 1 << 27
    while lo < hi:  # largest p with inner_bound(p) >= KC_MIN
        mid = (lo + hi + 1) // 2
        if inner_bound(mid) >= KC_MIN:
            lo = mid
        else:
            hi = mid - 1
    return lo


#: Largest modulus admitted (primes only): ``inner_bound(P_MAX) >= KC_MIN``.
P_MAX = _compute_pmax()


# ----------------------------------------------------------------------------------------------
# scalar helpers
# ----------------------------------------------------------------------------------------------


def _as_int(p):
    """``p`` as a Python int if it is an integer (not a bool, not a float), else None."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer)):
        return None
    return int(p)


def is_admissible_prime(p):
    """True when ``p`` is a prime integer with ``p <= P_MAX`` (see the module docstring)."""
    p = _as_int(p)
    return p is not None and 2 <= p <= P_MAX and bool(is_prime_small(p))


@njit
def _red(y, pf, pinv):
    """Exact residue in [0, p) of an integer-valued float64 ``|y| <= 2**53 - 2p``."""
    q = np.floor(y * pinv)
    r = y - q * pf
    if r < 0.0:
        r += pf
    elif r >= pf:
        r -= pf
    return r


# ----------------------------------------------------------------------------------------------
# public reduction helper
# ----------------------------------------------------------------------------------------------


@njit
def _reduce_int(x, p, out):
    for i in range(x.size):
        r = x[i] % p
        if r < 0:
            r += p
        out[i] = r
    return OK


@njit
def _reduce_float(x, p, out):
    lim = 9007199254740992.0  # 2**53
    for i in range(x.size):
        v = x[i]
        if not (abs(v) <= lim) or np.floor(v) != v:
            return BAD_INPUT
        r = np.int64(v) % p
        if r < 0:
            r += p
        out[i] = r
    return OK


def reduce_modp(X, p):
    """Residues of an integer-valued int64 or float64 array, mod p, as int64 in ``[0, p)``.

    Parameters
    ----------
    X : ndarray of int64 (any values) or float64 (integer values with ``|x| <= 2**53``), any shape
    p : int, ``1 <= p < 2**62``

    Returns
    -------
    status : int
        ``OK``, or ``BAD_INPUT`` (other dtype, a non-integer / non-finite / too large float,
        bad ``p``); then ``out`` is None.
    out : ndarray of int64, same shape as ``X`` (C order)

    Examples
    --------
    >>> import numpy as np
    >>> reduce_modp(np.array([-1, 7, 12]), 5)[1].tolist()
    [4, 2, 2]
    """
    X = np.asarray(X)
    p = _as_int(p)
    if p is None or p < 1 or p >= (1 << 62):
        return BAD_INPUT, None
    flat = np.ascontiguousarray(X).reshape(-1)
    out = np.empty(flat.size, dtype=np.int64)
    if X.dtype == np.int64:
        st = _reduce_int(flat, np.int64(p), out)
    elif X.dtype.kind in "iub" and X.dtype.itemsize <= 8 and X.dtype != np.uint64:
        st = _reduce_int(flat.astype(np.int64), np.int64(p), out)
    elif X.dtype == np.float64:
        st = _reduce_float(flat, np.int64(p), out)
    else:
        return BAD_INPUT, None
    if st != OK:
        return st, None
    return OK, out.reshape(X.shape)


# ----------------------------------------------------------------------------------------------
# jitted kernels of the elimination (all operate on the C-contiguous float64 work array B)
# ----------------------------------------------------------------------------------------------


@njit
def _load_transposed(A, p, B):
    """B[j, i] = A[i, j] as float64; returns the number of entries outside [0, p)."""
    m, n = A.shape
    T = 64
    nbj = (n + T - 1) // T
    bad = np.zeros(nbj, dtype=np.int64)
    for bj in range(nbj):
        j0 = bj * T
        j1 = min(n, j0 + T)
        cnt = 0
        for i0 in range(0, m, T):
            i1 = min(m, i0 + T)
            for j in range(j0, j1):
                for i in range(i0, i1):
                    v = A[i, j]
                    if v < 0 or v >= p:
                        cnt += 1
                    B[j, i] = v
        bad[bj] = cnt
    return bad.sum()


@njit
def _leaf(B, r0, m, c0, p, pf, pinv, rowperm, colperm, swaps):
    """Unblocked elimination of rows r0..r0+m of B over columns c0.. (delayed reduction).

    Pivot rows are moved to r0.., pivot columns to c0.. (column swaps are applied inside the
    panel only and recorded in ``swaps`` as pairs for the other rows). On exit every entry of
    the panel is reduced; pivot row t holds the lower factor in columns < c0+t, the pivot at
    c0+t and the multipliers to its right; non-pivot rows are zero from column c0+r on.
    Returns (rank of the panel, number of swaps recorded).
    """
    mc = B.shape[1]
    s = 0
    nsw = 0
    order = np.empty(m, dtype=np.int64)
    nonpiv = np.empty(m, dtype=np.int64)
    nn = 0
    for k in range(m):
        j = r0 + k
        c = c0 + s
        if c >= mc:
            nonpiv[nn] = k
            nn += 1
            continue
        pc = -1
        for q in range(c, mc):
            v = _red(B[j, q], pf, pinv)
            B[j, q] = v
        for q in range(c, mc):
            if B[j, q] != 0.0:
                pc = q
                break
        if pc < 0:
            nonpiv[nn] = k
            nn += 1
            continue
        if pc != c:
            for i in range(r0, r0 + m):
                t = B[i, c]
                B[i, c] = B[i, pc]
                B[i, pc] = t
            t2 = colperm[c]
            colperm[c] = colperm[pc]
            colperm[pc] = t2
            swaps[2 * nsw] = c
            swaps[2 * nsw + 1] = pc
            nsw += 1
        inv = float(inv_mod(np.int64(B[j, c]), p))
        rowj = B[j]
        for q in range(c + 1, mc):
            rowj[q] = _red(rowj[q] * inv, pf, pinv)
        for kk in range(k + 1, m):
            rowi = B[r0 + kk]
            u = _red(rowi[c], pf, pinv)
            rowi[c] = u
            if u != 0.0:
                for q in range(c + 1, mc):
                    rowi[q] -= u * rowj[q]
        order[s] = k
        s += 1
    if nn > 0 and s > 0:
        # move the pivot rows to the top of the panel, keeping their order
        for t in range(nn):
            order[s + t] = nonpiv[t]
        moved = False
        for t in range(m):
            if order[t] != t:
                moved = True
                break
        if moved:
            tmp = np.empty((m, mc), dtype=np.float64)
            tperm = np.empty(m, dtype=np.int64)
            for t in range(m):
                tmp[t, :] = B[r0 + order[t], :]
                tperm[t] = rowperm[r0 + order[t]]
            for t in range(m):
                B[r0 + t, :] = tmp[t, :]
                rowperm[r0 + t] = tperm[t]
    return s, nsw


@njit
def _apply_swaps(B, skip0, skip1, swaps, nsw):
    """Apply the recorded column swaps, in order, to every row of B outside [skip0, skip1)."""
    n = B.shape[0]
    for i in range(n):
        if i >= skip0 and i < skip1:
            continue
        row = B[i]
        for t in range(nsw):
            a = swaps[2 * t]
            b = swaps[2 * t + 1]
            v = row[a]
            row[a] = row[b]
            row[b] = v


@njit
def _unit_upper_inverse(B, r0, c0, k, pf, pinv):
    """Inverse mod p of the unit upper triangular U with strict upper part B[r0:r0+k, c0:c0+k]."""
    V = np.zeros((k, k), dtype=np.float64)
    row = np.empty(k, dtype=np.float64)
    for i in range(k - 1, -1, -1):
        # V[i, :] = e_i - sum_{j > i} U[i, j] V[j, :]   (V is unit upper triangular)
        for q in range(k):
            row[q] = 0.0
        row[i] = 1.0
        for j in range(i + 1, k):
            u = B[r0 + i, c0 + j]
            if u != 0.0:
                for q in range(j, k):
                    row[q] -= u * V[j, q]
        for q in range(i, k):
            V[i, q] = _red(row[q], pf, pinv)
    return V


@njit
def _sub_reduce(B, i0, j0, T, pf, pinv):
    """B[i0 + a, j0 + b] = (B[i0 + a, j0 + b] - T[a, b]) mod p."""
    ni, nj = T.shape
    for a in range(ni):
        row = B[i0 + a]
        trow = T[a]
        for b in range(nj):
            row[j0 + b] = _red(row[j0 + b] - trow[b], pf, pinv)


@njit
def _set_reduce(B, i0, j0, T, pf, pinv):
    """B[i0 + a, j0 + b] = T[a, b] mod p."""
    ni, nj = T.shape
    for a in range(ni):
        row = B[i0 + a]
        trow = T[a]
        for b in range(nj):
            row[j0 + b] = _red(trow[b], pf, pinv)


@njit
def _diag_prod(B, r, p):
    d = np.int64(1)
    for t in range(r):
        d = (d * np.int64(B[t, t])) % p
    return d


@njit
def _perm_sign(perm):
    n = perm.size
    seen = np.zeros(n, dtype=np.bool_)
    sign = 1
    for i in range(n):
        if not seen[i]:
            j = i
            length = 0
            while not seen[j]:
                seen[j] = True
                j = perm[j]
                length += 1
            if length % 2 == 0:
                sign = -sign
    return sign


# ----------------------------------------------------------------------------------------------
# recursive driver (Python: orchestrates BLAS products and the jitted kernels)
# ----------------------------------------------------------------------------------------------


class _Elim:
    __slots__ = ("B", "p", "pf", "pinv", "kc", "tl", "buf", "rowperm", "colperm", "swaps")

    def __init__(self, B, p):
        n, m = B.shape
        self.B = B
        self.p = np.int64(p)
        self.pf = float(p)
        self.pinv = 1.0 / float(p)
        self.kc = min(inner_bound(p), 1 << 40)
        self.tl = min(TRSM_LEAF, self.kc)
        self.buf = np.empty(max(1, min(_BUF_ELEMS, n * m)), dtype=np.float64)
        self.rowperm = np.arange(n, dtype=np.int64)
        self.colperm = np.arange(m, dtype=np.int64)
        self.swaps = np.empty(2 * LEAF, dtype=np.int64)

    def gemm_sub(self, i0, i1, j0, j1, a_c0, b_r0, k):
        """B[i0:i1, j0:j1] -= B[i0:i1, a_c0:a_c0+k] @ B[b_r0:b_r0+k, j0:j1]   (mod p)."""
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
                _sub_reduce(B, a0, j0, T, self.pf, self.pinv)

    def trsm(self, i0, i1, c0, r0, k):
        """Rows i0..i1: B[i, c0:c0+k] <- B[i, c0:c0+k] U^{-1}, U unit upper at B[r0:, c0:]."""
        if i1 <= i0 or k <= 0:
            return
        if k <= self.tl:
            # X = Y U^{-1} with one small exact product (k <= KC(p))
            V = _unit_upper_inverse(self.B, r0, c0, k, self.pf, self.pinv)
            B = self.B
            rows = max(1, self.buf.size // k)
            for a0 in range(i0, i1, rows):
                a1 = min(i1, a0 + rows)
                T = self.buf[: (a1 - a0) * k].reshape(a1 - a0, k)
                np.matmul(B[a0:a1, c0:c0 + k], V, out=T)
                _set_reduce(B, a0, c0, T, self.pf, self.pinv)
            return
        k1 = _split(k)
        self.trsm(i0, i1, c0, r0, k1)
        self.gemm_sub(i0, i1, c0 + k1, c0 + k, c0, r0, k1)
        self.trsm(i0, i1, c0 + k1, r0 + k1, k - k1)

    def factor(self, r0, m, c0):
        """Eliminate rows r0..r0+m of B over columns c0..; returns their rank."""
        B = self.B
        mc = B.shape[1]
        if m <= 0 or c0 >= mc:
            return 0
        if m <= LEAF:
            r, nsw = _leaf(B, r0, m, c0, self.p, self.pf, self.pinv,
                           self.rowperm, self.colperm, self.swaps)
            if nsw > 0:
                _apply_swaps(B, r0, r0 + m, self.swaps, nsw)
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


def _split(m):
    """First half of a split of m > LEAF rows, a multiple of LEAF."""
    h = (m + 1) // 2
    return min(m - 1, ((h + LEAF - 1) // LEAF) * LEAF)


def _prepare(A, p):
    """Validate; return (status, B = A^T as float64, p as int)."""
    if not is_admissible_prime(p):
        return BAD_INPUT, None, 0
    p = int(p)
    A = np.asarray(A)
    if A.ndim != 2:
        return BAD_INPUT, None, p
    if A.dtype != np.int64:
        if A.dtype.kind not in "iu" or A.dtype == np.uint64:
            return BAD_INPUT, None, p
        A = A.astype(np.int64)
    A = np.ascontiguousarray(A)
    m, n = A.shape
    B = np.empty((n, m), dtype=np.float64)
    if m and n and _load_transposed(A, np.int64(p), B) != 0:
        return BAD_INPUT, None, p
    return OK, B, p


def _run(A, p):
    st, B, p = _prepare(A, p)
    if st != OK:
        return st, None, 0
    E = _Elim(B, p)
    r = E.factor(0, B.shape[0], 0)
    return OK, E, r


def rank_profile_modp(A, p):
    """Rank of ``A`` over GF(p) with a nonsingular ``r x r`` witness minor.

    Parameters
    ----------
    A : (m, n) int64 array with entries in ``[0, p)`` (other integer dtypes are converted)
    p : int, a prime with ``p <= P_MAX`` (fast for ``p < 2**20``, see module docstring)

    Returns
    -------
    status : int
        ``OK`` or ``BAD_INPUT`` (then ``rank == -1`` and the index arrays are empty).
    rank : int
    pivot_rows, pivot_cols : int64 arrays of length ``rank``, each sorted increasingly, such
        that ``A[np.ix_(pivot_rows, pivot_cols)]`` has nonzero determinant mod p.

    Notes
    -----
    PLUQ elimination (first-nonzero pivoting), recursive, with exact float64 BLAS products:
    ``O(m n r)`` operations, one float64 copy of ``A`` as workspace.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1, 2, 3], [2, 4, 6], [0, 1, 1]], dtype=np.int64)
    >>> st, r, rows, cols = rank_profile_modp(A, 7)
    >>> (st, r, rows.tolist(), cols.tolist())
    (0, 2, [0, 2], [0, 1])
    """
    st, E, r = _run(A, p)
    empty = np.empty(0, dtype=np.int64)
    if st != OK:
        return st, -1, empty, empty
    # B = A^T: pivot rows of B are pivot columns of A and vice versa
    pivot_cols = np.sort(E.rowperm[:r])
    pivot_rows = np.sort(E.colperm[:r])
    return OK, int(r), pivot_rows, pivot_cols


def rank_modp(A, p):
    """``(status, rank)`` of ``A`` over GF(p); see :func:`rank_profile_modp` (rank -1 on error)."""
    st, r, _, _ = rank_profile_modp(A, p)
    return st, r


def det_modp(A, p):
    """``(status, det A mod p)`` in ``[0, p)`` for a square ``A`` with entries in ``[0, p)``.

    ``BAD_INPUT`` (det -1) for a non-square matrix or the reasons of :func:`rank_profile_modp`.
    The 0 x 0 determinant is 1.

    Examples
    --------
    >>> import numpy as np
    >>> det_modp(np.array([[1, 2], [3, 4]]), 7)   # -2 mod 7
    (0, 5)
    """
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        return BAD_INPUT, -1
    st, E, r = _run(A, p)
    if st != OK:
        return st, -1
    n = A.shape[0]
    if r < n:
        return OK, 0
    d = int(_diag_prod(E.B, r, E.p))
    if _perm_sign(E.rowperm) * _perm_sign(E.colperm) < 0:
        d = (-d) % int(E.p)
    return OK, d
