r"""Jitted loops of the multilinear products: Khatri-Rao pairs, MTTKRP reductions, fused MTTKRP rows.

The drivers that call them (unfolding, validation, the choice between the fused and the BLAS
formulation, the thread pool, CP-ALS and Jennrich) are in :mod:`tnverify.numeric.mttkrp`,
:mod:`tnverify.numeric.cp` and :mod:`tnverify.numeric.jennrich`; docs/architecture.md places this
package below them. Every kernel takes float64 C-contiguous arrays (the drivers convert once, so
each kernel compiles for one signature), allocates no Python objects and raises nothing.

Conventions (as TensorLy): the mode-``n`` unfolding ``X_(n)`` has rows ``i_n`` and columns the
C-order multi-index of the other modes; the Khatri-Rao product ``KR(A_1, ..., A_m)`` has row
``(i_1, ..., i_m)`` at the C-order position (the last matrix varies fastest). Then the MTTKRP of
mode ``n`` is

.. math:: M[i_n, r] = \sum_{i_k,\,k \ne n} X[i_0, \dots, i_{N-1}] \prod_{k \ne n} A_k[i_k, r]
          = \big(X_{(n)} KR(A_k, k \ne n)\big)[i_n, r].

Fused kernel (:func:`dot_rows`). The tensor is viewed as a C-order matrix ``X2`` of ``L`` rows of
length ``T``, ``T`` the product of the trailing modes ``s, ..., N-1`` (``s > n``); a row index is
the multi-index ``(i_0, ..., i_{s-1})`` of the *row modes*, and

.. math:: M[i_n, r] = \sum_{\mathrm{rows}} w[\mathrm{row}, r] \,
          \langle X2[\mathrm{row}], CT[r] \rangle, \qquad
          w[\mathrm{row}, r] = \prod_{k < s,\, k \ne n} A_k[i_k, r],

with ``CT = KR(A_s, ..., A_{N-1})^T`` (``R x T``). Rows are processed in tiles of about
:data:`TILE_ELEMS` entries: each tile is first read once sequentially (:func:`_stream`, the
software prefetch numba lacks: it brings the tile into L2 at full bandwidth, whereas the four
interleaved row streams of the micro-kernel defeat the hardware prefetcher, ~30% slower without
it); the micro-kernel then takes a 4-row by 4-rank register tile, 16 dot products vectorised along
the row, so each vector load feeds four fused multiply-adds. The kernel releases the GIL, so the
driver runs it on a thread pool. The last mode has no trailing mode to contract along the rows:
its update stores into the output in the inner loop, which numba cannot vectorise without a
no-alias guarantee (13 GFLOP/s per core measured, against 36 with ``prange``), so it stays with
the BLAS formulation (one GEMM, then :func:`reduce_leading`). Measured on 2 AVX-512 cores for
``200^3, R = 20``: fused modes 0 and 1 ~66-68 GFLOP/s, BLAS formulation 37-55, a large DGEMM
87-110.

References
----------
.. [1] T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51(3),
   2009.
.. [2] A.-H. Phan, P. Tichavsky, A. Cichocki, "Fast alternating LS algorithms for high order
   CANDECOMP/PARAFAC tensor factorizations", IEEE Trans. Signal Process. 61(19), 2013.
"""
import numpy as np

from ._jit import njit

__all__ = ["kr_pair", "reduce_trailing", "reduce_leading", "tile_rows", "dot_rows", "TILE_ELEMS"]

#: Entries of the tensor in one tile of :func:`dot_rows` (256 KB): the tile stays in L2 while the
#: ``R / 4`` passes of the micro-kernel read it again.
TILE_ELEMS = 1 << 15


@njit
def kr_pair(A, B):
    """Khatri-Rao product of two matrices: ``out[i J + j, r] = A[i, r] B[j, r]``.

    Parameters
    ----------
    A : ndarray (I, R)
    B : ndarray (J, R)

    Returns
    -------
    ndarray (I J, R)

    Notes
    -----
    ``I J R`` multiplications.
    """
    I, R = A.shape
    J = B.shape[0]
    out = np.empty((I * J, R))
    for i in range(I):
        for j in range(J):
            row = i * J + j
            for r in range(R):
                out[row, r] = A[i, r] * B[j, r]
    return out


@njit(fastmath=True, nogil=True)
def reduce_trailing(Z, KRp, KRq):
    """``out[i, r] = sum_{p, q} Z[p, i, q, r] KRp[p, r] KRq[q, r]``.

    The second half of an MTTKRP whose GEMM contracted the trailing modes: ``Z`` (``P x I x Q x R``)
    is ``X_mat KR(trailing)`` reshaped, ``KRp`` (``P x R``) and ``KRq`` (``Q x R``) the Khatri-Rao
    products of the modes before and after the output mode. ``O(P I Q R)`` flops.
    """
    P, I, Q, R = Z.shape
    out = np.zeros((I, R))
    w = np.empty((Q, R))
    for p in range(P):
        for q in range(Q):
            for r in range(R):
                w[q, r] = KRp[p, r] * KRq[q, r]
        for i in range(I):
            for q in range(Q):
                for r in range(R):
                    out[i, r] += Z[p, i, q, r] * w[q, r]
    return out


@njit(fastmath=True, nogil=True)
def reduce_leading(Y, KRpT, KRqT, outT, p_off, i_off):
    """``outT[r, i_off + i] += sum_{p, q} Y[r, p, i, q] KRpT[r, p_off + p] KRqT[r, q]``, in place.

    The second half of an MTTKRP whose GEMM contracted the leading modes: ``Y`` (``R x Pb x Ib x
    Q``) is a column block of ``KR(leading)^T X_mat`` reshaped; ``KRpT`` (``R x P``) and ``KRqT``
    (``R x Q``) are the transposed Khatri-Rao products of the modes between and after; ``p_off``,
    ``i_off`` place the block. ``O(R Pb Ib Q)`` flops.
    """
    R, Pb, Ib, Q = Y.shape
    if Q == 1:
        Y3 = Y.reshape(R, Pb, Ib)
        acc = np.empty(Ib)
        for r in range(R):
            acc[:] = 0.0
            for p in range(Pb):
                c = KRpT[r, p_off + p] * KRqT[r, 0]
                for i in range(Ib):
                    acc[i] += c * Y3[r, p, i]
            for i in range(Ib):
                outT[r, i_off + i] += acc[i]
    else:
        for r in range(R):
            for p in range(Pb):
                c = KRpT[r, p_off + p]
                for i in range(Ib):
                    s = 0.0
                    for q in range(Q):
                        s += Y[r, p, i, q] * KRqT[r, q]
                    outT[r, i_off + i] += c * s


@njit
def tile_rows(T):
    """Rows of length ``T`` in one tile of :func:`dot_rows`: a multiple of 4, at least 4."""
    return max(4, (TILE_ELEMS // T) // 4 * 4)


@njit
def _row_weights(row0, nr, rshape, skip, F, off, w, iout):
    """Row weights of rows ``row0 .. row0 + nr - 1`` into ``w[:nr]`` and ``iout[:nr]``.

    ``w[j, r] = prod_{k != skip} F[off[k] + i_k, r]`` where ``(i_0, ..., i_{s-1})`` is the C-order
    multi-index of row ``row0 + j`` over ``rshape``, and ``iout[j] = i_skip``. ``F`` stacks the
    factors of the row modes other than ``skip``. Cost ``O(nr s R)``.
    """
    s = rshape.size
    R = w.shape[1]
    for j in range(nr):
        idx = row0 + j
        for r in range(R):
            w[j, r] = 1.0
        io = 0
        for k in range(s - 1, -1, -1):
            d = rshape[k]
            ik = idx % d
            idx //= d
            if k == skip:
                io = ik
            else:
                b = off[k] + ik
                for r in range(R):
                    w[j, r] *= F[b, r]
        iout[j] = io


@njit(fastmath=True)
def _stream(X2, row0, nr):
    """Sum of rows ``row0 .. row0 + nr - 1`` of ``X2``: one sequential read of the tile."""
    t = 0.0
    for j in range(row0, row0 + nr):
        x = X2[j]
        for k in range(x.size):
            t += x[k]
    return t


@njit(fastmath=True)
def _dot(x, c):
    s = 0.0
    for k in range(x.size):
        s += x[k] * c[k]
    return s


@njit
def _put4(Y, j, r, s0, s1, s2, s3):
    Y[j, r] = s0
    Y[j, r + 1] = s1
    Y[j, r + 2] = s2
    Y[j, r + 3] = s3


@njit(fastmath=True, nogil=True)
def dot_rows(X2, lo, hi, rshape, n, F, off, CT, out):
    """Add the fused-MTTKRP terms of rows ``lo .. hi - 1`` of ``X2`` to ``out`` (``I_n x R``).

    Parameters
    ----------
    X2 : ndarray (L, T)
        The tensor as rows over the trailing modes.
    lo, hi : int
        The rows to process.
    rshape : int64 ndarray (s,)
        Dimensions of the row modes.
    n : int
        The output mode (``n < s``).
    F : ndarray (sum_{k < s, k != n} I_k, R)
        The factors of the row modes other than ``n``, stacked; ``off[k]`` is the first row of
        factor ``k``.
    off : int64 ndarray (s,)
    CT : ndarray (R, T)
        ``KR(A_s, ..., A_{N-1})^T``.
    out : ndarray (I_n, R)
        Accumulated in place.

    Returns
    -------
    float
        The sum of the rows read by the prefetch pass (returned so that it is not optimised away).

    Notes
    -----
    ``2 R T (hi - lo)`` flops for the dot products plus ``O((hi - lo) s R)`` for the row weights;
    scratch ``O(tile R)``.
    """
    T = X2.shape[1]
    R = CT.shape[0]
    tile = tile_rows(T)
    RR = R - R % 4
    w = np.empty((tile, R))
    Y = np.empty((tile, R))
    iout = np.empty(tile, np.int64)
    acc = 0.0
    for t0 in range(lo, hi, tile):
        nr = min(hi, t0 + tile) - t0
        acc += _stream(X2, t0, nr)
        _row_weights(t0, nr, rshape, n, F, off, w, iout)
        JJ = nr - nr % 4
        for r in range(0, RR, 4):
            c0 = CT[r]
            c1 = CT[r + 1]
            c2 = CT[r + 2]
            c3 = CT[r + 3]
            for j in range(0, JJ, 4):
                x0 = X2[t0 + j]
                x1 = X2[t0 + j + 1]
                x2 = X2[t0 + j + 2]
                x3 = X2[t0 + j + 3]
                s00 = s01 = s02 = s03 = 0.0
                s10 = s11 = s12 = s13 = 0.0
                s20 = s21 = s22 = s23 = 0.0
                s30 = s31 = s32 = s33 = 0.0
                for k in range(T):
                    a0 = x0[k]
                    a1 = x1[k]
                    a2 = x2[k]
                    a3 = x3[k]
                    b0 = c0[k]
                    b1 = c1[k]
                    b2 = c2[k]
                    b3 = c3[k]
                    s00 += a0 * b0
                    s01 += a0 * b1
                    s02 += a0 * b2
                    s03 += a0 * b3
                    s10 += a1 * b0
                    s11 += a1 * b1
                    s12 += a1 * b2
                    s13 += a1 * b3
                    s20 += a2 * b0
                    s21 += a2 * b1
                    s22 += a2 * b2
                    s23 += a2 * b3
                    s30 += a3 * b0
                    s31 += a3 * b1
                    s32 += a3 * b2
                    s33 += a3 * b3
                _put4(Y, j, r, s00, s01, s02, s03)
                _put4(Y, j + 1, r, s10, s11, s12, s13)
                _put4(Y, j + 2, r, s20, s21, s22, s23)
                _put4(Y, j + 3, r, s30, s31, s32, s33)
            for j in range(JJ, nr):
                x = X2[t0 + j]
                _put4(Y, j, r, _dot(x, c0), _dot(x, c1), _dot(x, c2), _dot(x, c3))
        for r in range(RR, R):
            for j in range(nr):
                Y[j, r] = _dot(X2[t0 + j], CT[r])
        for j in range(nr):
            o = out[iout[j]]
            for r in range(R):
                o[r] += w[j, r] * Y[j, r]
    return acc
