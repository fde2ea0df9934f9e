r"""Jitted loops of exact elimination over GF(p) on a float64 work array.

The recursive driver (validation, the BLAS products, the PLUQ recursion, rank profile) is
:mod:`tnverify.numeric.pluq`; docs/architecture.md places this package below it. All kernels
work in place on the C-contiguous float64 array ``B`` (``n x m``, the transpose of the input)
whose entries are integers; ``p`` is a prime, ``pf = float(p)`` and ``pinv = 1 / pf``.

Exactness. Every value a kernel reduces is an integer ``y`` with ``|y| <= 2**53 - 2p`` (the
driver bounds inner dimensions by ``KC(p) = (2**53 - 2p) // (p-1)**2``), so ``y`` is exactly
representable and ``y - floor(y / p) p``, corrected by at most one ``p``, is its exact residue
(:func:`_red`). Panels of at most ``m <= KC(p)`` rows are updated in float64 up to ``m`` times
before their entries are reduced (*delayed reduction*, the FFLAS-FFPACK idea [1]_).

References
----------
.. [1] J.-G. Dumas, P. Giorgi, C. Pernet, "Dense linear algebra over word-size prime fields:
   the FFLAS and FFPACK packages", ACM TOMS 35(3), 2008.
"""
import numpy as np

from ._jit import njit
from ._modarith import inv_mod

__all__ = ["load_transposed", "factor_leaf", "apply_swaps", "unit_upper_inverse", "sub_reduce", "set_reduce"]


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


@njit
def load_transposed(A, p, B):
    """``B[j, i] = A[i, j]`` as float64 (int64 ``A``, 64 x 64 cache blocks); returns the number of
    entries of ``A`` outside ``[0, p)``. ``O(m n)``.
    """
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
def factor_leaf(B, r0, m, c0, p, pf, pinv, rowperm, colperm, swaps):
    """Unblocked elimination of rows r0..r0+m of B over columns c0.. (delayed reduction).

    Pivot rows are moved to r0.., pivot columns to c0.. (column swaps are applied inside the
    panel only and recorded in ``swaps`` as pairs for the other rows). On exit every entry of
    the panel is reduced; pivot row t holds the lower factor in columns < c0+t, the pivot at
    c0+t and the multipliers to its right; non-pivot rows are zero from column c0+r on.
    Pivoting takes the first nonzero entry (no numerical stability is needed mod p).
    Returns (rank of the panel, number of swaps recorded). ``O(m r (mc - c0))`` operations for
    a panel of rank ``r``; needs ``m <= KC(p)`` (delayed reduction).
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
def apply_swaps(B, skip0, skip1, swaps, nsw):
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
def unit_upper_inverse(B, r0, c0, k, pf, pinv):
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
def sub_reduce(B, i0, j0, T, pf, pinv):
    """B[i0 + a, j0 + b] = (B[i0 + a, j0 + b] - T[a, b]) mod p."""
    ni, nj = T.shape
    for a in range(ni):
        row = B[i0 + a]
        trow = T[a]
        for b in range(nj):
            row[j0 + b] = _red(row[j0 + b] - trow[b], pf, pinv)


@njit
def set_reduce(B, i0, j0, T, pf, pinv):
    """B[i0 + a, j0 + b] = T[a, b] mod p."""
    ni, nj = T.shape
    for a in range(ni):
        row = B[i0 + a]
        trow = T[a]
        for b in range(nj):
            row[j0 + b] = _red(trow[b], pf, pinv)
