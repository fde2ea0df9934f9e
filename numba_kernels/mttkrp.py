r"""Jitted loops of the multilinear products: Khatri-Rao pairs, MTTKRP reductions, fused MTTKRP rows.

The drivers that call them (unfolding, validation, the choice between the fused and the BLAS
formulations, the thread pool, CP-ALS and Jennrich) are in :mod:`tnverify.numeric.mttkrp`,
:mod:`tnverify.numeric.cp` and :mod:`tnverify.numeric.jennrich`; docs/architecture.md places this
package below them. Every kernel takes float64 C-contiguous arrays (the drivers convert once, so
each kernel compiles for one signature), allocates no Python objects and raises nothing.

Conventions (as TensorLy): the mode-``n`` unfolding ``X_(n)`` has rows ``i_n`` and columns the
C-order multi-index of the other modes; the Khatri-Rao product ``KR(A_1, ..., A_m)`` has row
``(i_1, ..., i_m)`` at the C-order position (the last matrix varies fastest). Then the MTTKRP of
mode ``n`` is

.. math:: M[i_n, r] = \sum_{i_k,\,k \ne n} X[i_0, \dots, i_{N-1}] \prod_{k \ne n} A_k[i_k, r]
          = \big(X_{(n)} KR(A_k, k \ne n)\big)[i_n, r].

Fused kernels (:func:`dot_rows`, :func:`axpy_rows`). The tensor is viewed as a C-order matrix
``X2`` of ``L`` rows of length ``T``, ``T`` the product of the trailing modes ``s, ..., N-1``; a
row index is the multi-index ``(i_0, ..., i_{s-1})`` of the *row modes*. For an output mode among
the row modes (``n < s``), :func:`dot_rows` takes dot products along the rows,

.. math:: M[i_n, r] = \sum_{\mathrm{rows}} w[\mathrm{row}, r] \,
          \langle X2[\mathrm{row}], CT[r] \rangle, \qquad
          w[\mathrm{row}, r] = \prod_{k < s,\, k \ne n} A_k[i_k, r],

with ``CT = KR(A_s, ..., A_{N-1})^T`` (``R x T``); for an output mode among the trailing modes
(``n >= s``, in particular the last mode), :func:`axpy_rows` adds up the weighted rows,

.. math:: Z^T[r, :] = \sum_{\mathrm{rows}} w[\mathrm{row}, r] \, X2[\mathrm{row}, :], \qquad
          w[\mathrm{row}, r] = \prod_{k < s} A_k[i_k, r],

and the driver reduces ``Z^T`` (``R x T``) over the trailing modes other than ``n``
(:func:`reduce_leading`). Both kernels read each tensor entry from memory once and do ``2 R``
flops with it. Rows are processed in tiles of about :data:`TILE_ELEMS` entries (they stay in L2
while the ``R / 4`` rank passes read them again); the row weights of a tile come first
(:func:`_row_weights`). The register tiles are 4 rows by 4 ranks (the ``R mod 4`` other ranks by
2 and 1): :func:`dot_rows` keeps 16 dot products in registers, vectorised along the row, so each
vector load feeds four fused multiply-adds; :func:`axpy_rows` vectorises along the row too and
updates 4 rows of ``Z^T`` with 4 tensor rows, 16 fused multiply-adds for 8 loads and 4 stores
(numba vectorises the update after a run-time check that the rows do not overlap). Memory
streaming: the first tile of a call is read once sequentially (:func:`_stream`); while a tile is
being computed, the next one is brought into L2 by software prefetches spread evenly over the
register-tile steps (:func:`_prefetch`, the LLVM intrinsic, so the loads from memory overlap the
arithmetic). Without either, the four interleaved row streams of the register tile defeat the
hardware prefetcher. Measured on 2 AVX-512 cores for ``200^3, R = 20``, one thread: without
streaming 27 GFLOP/s, the tile read first 36, prefetched during the previous tile 44 (numpy's
one-thread DGEMM ~50); two threads 66-78 per mode (DGEMM 85-104). The kernels release the GIL,
so the driver runs them on a thread pool.

References
----------
.. [1] T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51(3),
   2009.
.. [2] A.-H. Phan, P. Tichavsky, A. Cichocki, "Fast alternating LS algorithms for high order
   CANDECOMP/PARAFAC tensor factorizations", IEEE Trans. Signal Process. 61(19), 2013.
"""
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import njit

__all__ = ["kr_pair", "reduce_trailing", "reduce_leading", "tile_rows", "dot_rows", "axpy_rows", "TILE_ELEMS"]

#: Entries of the tensor in one tile of :func:`dot_rows` and :func:`axpy_rows` (256 KB): the tile
#: stays in L2 while the ``R / 4`` rank passes read it again, beside the next tile being prefetched.
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
    """Rows of length ``T`` in a tile of :func:`dot_rows` and :func:`axpy_rows`: a multiple of 4, at least 4."""
    return max(4, (TILE_ELEMS // T) // 4 * 4)


@njit
def _row_weights(row0, nr, rshape, skip, F, off, w, iout):
    """Row weights of rows ``row0 .. row0 + nr - 1`` into ``w[:nr]`` and ``iout[:nr]``.

    ``w[j, r] = prod_{k != skip} F[off[k] + i_k, r]`` where ``(i_0, ..., i_{s-1})`` is the C-order
    multi-index of row ``row0 + j`` over ``rshape``, and ``iout[j] = i_skip`` (0 when ``skip >= s``:
    every row mode is weighted). ``F`` stacks the factors of the weighted row modes. The
    multi-index is divided out once and then stepped like an odometer. Cost ``O(nr s R)``.
    """
    s = rshape.size
    R = w.shape[1]
    idx = np.empty(s, np.int64)
    rest = row0
    for k in range(s - 1, -1, -1):
        idx[k] = rest % rshape[k]
        rest //= rshape[k]
    for j in range(nr):
        for r in range(R):
            w[j, r] = 1.0
        for k in range(s):
            if k != skip:
                b = off[k] + idx[k]
                for r in range(R):
                    w[j, r] *= F[b, r]
        iout[j] = idx[skip] if skip < s else 0
        k = s - 1
        idx[k] += 1
        while k > 0 and idx[k] == rshape[k]:
            idx[k] = 0
            k -= 1
            idx[k] += 1


@njit(fastmath=True)
def _stream(X2, row0, nr):
    """Sum of rows ``row0 .. row0 + nr - 1`` of ``X2``: one sequential read of the tile."""
    t = 0.0
    for j in range(row0, row0 + nr):
        x = X2[j]
        for k in range(x.size):
            t += x[k]
    return t


@intrinsic
def _prefetch(typingctx, ary, i):
    """Software prefetch of the cache line of ``ary[i]`` into L2 (``llvm.prefetch``, read, locality 1).

    ``ary`` is a 1-D float64 array. A prefetch neither faults nor waits for the line. numba's
    intrinsics are written in LLVM IR; its types are taken from numba's ``cgutils`` (this package
    imports numpy and numba only).
    """
    if not (isinstance(ary, types.Array) and ary.ndim == 1 and ary.dtype == types.float64):
        return None
    sig = types.void(ary, types.intp)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        ir, i32 = cgutils.ir, cgutils.int32_t
        fnty = ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [cgutils.voidptr_t], fnty)
        builder.call(fn, [builder.bitcast(ptr, cgutils.voidptr_t), i32(0), i32(1), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@njit
def _ahead(X1, pf):
    """Prefetch ``pf[2]`` cache lines of ``X1`` from entry ``pf[0]`` on, not past ``pf[1]``; advance ``pf[0]``."""
    stop = min(pf[1], pf[0] + 8 * pf[2])
    for i in range(pf[0], stop, 8):
        _prefetch(X1, i)
    pf[0] = stop


@njit
def _plan_ahead(pf, T, start, stop, steps):
    """Plan ``pf`` to prefetch rows ``start .. stop - 1`` (of length ``T``) in ``steps`` calls of :func:`_ahead`."""
    pf[0] = start * T
    pf[1] = stop * T
    pf[2] = ((stop - start) * T // 8) // max(1, steps) + 1


@njit
def _rank_tiles(R):
    """Register tiles per 4 rows for ``R`` ranks: ``R // 4`` of 4 ranks, then one of 2 and one of 1 as needed."""
    return R // 4 + (R % 4) // 2 + R % 2


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


@njit(fastmath=True)
def _dots4(X2, t0, nr, CT, r, Y, X1, pf):
    """``Y[j, r + g] = <X2[t0 + j], CT[r + g]>`` for ``j < nr``, ``g < 4``: 4 rows by 4 ranks at a time.

    One :func:`_ahead` step of the prefetch plan ``pf`` per 4 rows (also in the other tile kernels).
    """
    T = X2.shape[1]
    c0 = CT[r]
    c1 = CT[r + 1]
    c2 = CT[r + 2]
    c3 = CT[r + 3]
    JJ = nr - nr % 4
    for j in range(0, JJ, 4):
        _ahead(X1, pf)
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


@njit(fastmath=True)
def _dots2(X2, t0, nr, CT, r, Y, X1, pf):
    """``Y[j, r + g] = <X2[t0 + j], CT[r + g]>`` for ``j < nr``, ``g < 2``: 4 rows by 2 ranks at a time."""
    T = X2.shape[1]
    c0 = CT[r]
    c1 = CT[r + 1]
    JJ = nr - nr % 4
    for j in range(0, JJ, 4):
        _ahead(X1, pf)
        x0 = X2[t0 + j]
        x1 = X2[t0 + j + 1]
        x2 = X2[t0 + j + 2]
        x3 = X2[t0 + j + 3]
        s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = 0.0
        for k in range(T):
            b0 = c0[k]
            b1 = c1[k]
            s00 += x0[k] * b0
            s01 += x0[k] * b1
            s10 += x1[k] * b0
            s11 += x1[k] * b1
            s20 += x2[k] * b0
            s21 += x2[k] * b1
            s30 += x3[k] * b0
            s31 += x3[k] * b1
        Y[j, r], Y[j, r + 1] = s00, s01
        Y[j + 1, r], Y[j + 1, r + 1] = s10, s11
        Y[j + 2, r], Y[j + 2, r + 1] = s20, s21
        Y[j + 3, r], Y[j + 3, r + 1] = s30, s31
    for j in range(JJ, nr):
        x = X2[t0 + j]
        Y[j, r], Y[j, r + 1] = _dot(x, c0), _dot(x, c1)


@njit(fastmath=True)
def _dots1(X2, t0, nr, CT, r, Y, X1, pf):
    """``Y[j, r] = <X2[t0 + j], CT[r]>`` for ``j < nr``: 4 rows at a time."""
    T = X2.shape[1]
    c = CT[r]
    JJ = nr - nr % 4
    for j in range(0, JJ, 4):
        _ahead(X1, pf)
        x0 = X2[t0 + j]
        x1 = X2[t0 + j + 1]
        x2 = X2[t0 + j + 2]
        x3 = X2[t0 + j + 3]
        s0 = s1 = s2 = s3 = 0.0
        for k in range(T):
            b = c[k]
            s0 += x0[k] * b
            s1 += x1[k] * b
            s2 += x2[k] * b
            s3 += x3[k] * b
        Y[j, r], Y[j + 1, r], Y[j + 2, r], Y[j + 3, r] = s0, s1, s2, s3
    for j in range(JJ, nr):
        Y[j, r] = _dot(X2[t0 + j], c)


@njit(fastmath=True, nogil=True)
def dot_rows(X2, lo, hi, rshape, n, F, off, CT, out):
    """Add the fused-MTTKRP terms of rows ``lo .. hi - 1`` of ``X2`` to ``out`` (``I_n x R``).

    ``out[i_n(j), r] += w[j, r] <X2[j], CT[r]>`` for every row ``j`` (module docstring).

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
        The sum of the first tile, read before any arithmetic (returned so that the read is not
        optimised away).

    Notes
    -----
    ``2 R T (hi - lo)`` flops for the dot products plus ``O((hi - lo) s R)`` for the row weights;
    scratch ``O(tile R)``. Ranks go in register tiles of 4 rows by 4 ranks, the ``R mod 4``
    others by 2 and 1; each tile after the first is prefetched while the one before is computed.
    """
    T = X2.shape[1]
    R = CT.shape[0]
    tile = tile_rows(T)
    w = np.empty((tile, R))
    Y = np.empty((tile, R))
    iout = np.empty(tile, np.int64)
    X1 = X2.reshape(X2.size)
    pf = np.zeros(3, np.int64)
    acc = _stream(X2, lo, min(hi, lo + tile) - lo)
    for t0 in range(lo, hi, tile):
        nr = min(hi, t0 + tile) - t0
        _plan_ahead(pf, T, t0 + nr, min(hi, t0 + nr + tile), (nr // 4) * _rank_tiles(R))
        _row_weights(t0, nr, rshape, n, F, off, w, iout)
        r = 0
        while r + 4 <= R:
            _dots4(X2, t0, nr, CT, r, Y, X1, pf)
            r += 4
        if r + 2 <= R:
            _dots2(X2, t0, nr, CT, r, Y, X1, pf)
            r += 2
        if r < R:
            _dots1(X2, t0, nr, CT, r, Y, X1, pf)
        for j in range(nr):
            o = out[iout[j]]
            for r in range(R):
                o[r] += w[j, r] * Y[j, r]
    return acc


@njit(fastmath=True)
def _axpy4(X2, t0, nr, w, r, ZT, X1, pf):
    """``ZT[r + g] += sum_{j < nr} w[j, r + g] X2[t0 + j]`` for ``g < 4``: 4 rows by 4 ranks at a time."""
    T = X2.shape[1]
    z0 = ZT[r]
    z1 = ZT[r + 1]
    z2 = ZT[r + 2]
    z3 = ZT[r + 3]
    JJ = nr - nr % 4
    for j in range(0, JJ, 4):
        _ahead(X1, pf)
        x0 = X2[t0 + j]
        x1 = X2[t0 + j + 1]
        x2 = X2[t0 + j + 2]
        x3 = X2[t0 + j + 3]
        w00, w01, w02, w03 = w[j, r], w[j + 1, r], w[j + 2, r], w[j + 3, r]
        w10, w11, w12, w13 = w[j, r + 1], w[j + 1, r + 1], w[j + 2, r + 1], w[j + 3, r + 1]
        w20, w21, w22, w23 = w[j, r + 2], w[j + 1, r + 2], w[j + 2, r + 2], w[j + 3, r + 2]
        w30, w31, w32, w33 = w[j, r + 3], w[j + 1, r + 3], w[j + 2, r + 3], w[j + 3, r + 3]
        for k in range(T):
            a0 = x0[k]
            a1 = x1[k]
            a2 = x2[k]
            a3 = x3[k]
            z0[k] += w00 * a0 + w01 * a1 + w02 * a2 + w03 * a3
            z1[k] += w10 * a0 + w11 * a1 + w12 * a2 + w13 * a3
            z2[k] += w20 * a0 + w21 * a1 + w22 * a2 + w23 * a3
            z3[k] += w30 * a0 + w31 * a1 + w32 * a2 + w33 * a3
    for j in range(JJ, nr):
        x = X2[t0 + j]
        b0, b1, b2, b3 = w[j, r], w[j, r + 1], w[j, r + 2], w[j, r + 3]
        for k in range(T):
            a = x[k]
            z0[k] += b0 * a
            z1[k] += b1 * a
            z2[k] += b2 * a
            z3[k] += b3 * a


@njit(fastmath=True)
def _axpy2(X2, t0, nr, w, r, ZT, X1, pf):
    """``ZT[r + g] += sum_{j < nr} w[j, r + g] X2[t0 + j]`` for ``g < 2``: 4 rows by 2 ranks at a time."""
    T = X2.shape[1]
    z0 = ZT[r]
    z1 = ZT[r + 1]
    JJ = nr - nr % 4
    for j in range(0, JJ, 4):
        _ahead(X1, pf)
        x0 = X2[t0 + j]
        x1 = X2[t0 + j + 1]
        x2 = X2[t0 + j + 2]
        x3 = X2[t0 + j + 3]
        w00, w01, w02, w03 = w[j, r], w[j + 1, r], w[j + 2, r], w[j + 3, r]
        w10, w11, w12, w13 = w[j, r + 1], w[j + 1, r + 1], w[j + 2, r + 1], w[j + 3, r + 1]
        for k in range(T):
            a0 = x0[k]
            a1 = x1[k]
            a2 = x2[k]
            a3 = x3[k]
            z0[k] += w00 * a0 + w01 * a1 + w02 * a2 + w03 * a3
            z1[k] += w10 * a0 + w11 * a1 + w12 * a2 + w13 * a3
    for j in range(JJ, nr):
        x = X2[t0 + j]
        b0, b1 = w[j, r], w[j, r + 1]
        for k in range(T):
            a = x[k]
            z0[k] += b0 * a
            z1[k] += b1 * a


@njit(fastmath=True)
def _axpy1(X2, t0, nr, w, r, ZT, X1, pf):
    """``ZT[r] += sum_{j < nr} w[j, r] X2[t0 + j]``: 4 rows at a time."""
    T = X2.shape[1]
    z = ZT[r]
    JJ = nr - nr % 4
    for j in range(0, JJ, 4):
        _ahead(X1, pf)
        x0 = X2[t0 + j]
        x1 = X2[t0 + j + 1]
        x2 = X2[t0 + j + 2]
        x3 = X2[t0 + j + 3]
        b0, b1, b2, b3 = w[j, r], w[j + 1, r], w[j + 2, r], w[j + 3, r]
        for k in range(T):
            z[k] += b0 * x0[k] + b1 * x1[k] + b2 * x2[k] + b3 * x3[k]
    for j in range(JJ, nr):
        x = X2[t0 + j]
        b = w[j, r]
        for k in range(T):
            z[k] += b * x[k]


@njit(fastmath=True, nogil=True)
def axpy_rows(X2, lo, hi, rshape, F, off, ZT):
    """Add the weighted rows ``lo .. hi - 1`` of ``X2`` to ``ZT`` (``R x T``).

    ``ZT[r, :] += sum_j w[j, r] X2[j, :]``, ``w[j, r] = prod_{k < s} F[off[k] + i_k, r]`` for
    the multi-index ``(i_0, ..., i_{s-1})`` of row ``j`` (module docstring).

    Parameters
    ----------
    X2 : ndarray (L, T)
        The tensor as rows over the trailing modes ``s, ..., N-1``.
    lo, hi : int
        The rows to process.
    rshape : int64 ndarray (s,)
        Dimensions of the row modes.
    F : ndarray (sum_{k < s} I_k, R)
        The factors of all row modes, stacked; ``off[k]`` is the first row of factor ``k``.
    off : int64 ndarray (s,)
    ZT : ndarray (R, T)
        Accumulated in place.

    Returns
    -------
    float
        The sum of the first tile, read before any arithmetic (returned so that the read is not
        optimised away).

    Notes
    -----
    ``2 R T (hi - lo)`` flops plus ``O((hi - lo) s R)`` for the row weights; scratch
    ``O(tile R)``. Ranks go in tiles of 4 rows by 4 ranks, the ``R mod 4`` others by 2 and 1; each
    tile after the first is prefetched while the one before is computed.
    """
    T = X2.shape[1]
    R = ZT.shape[0]
    s = rshape.size
    tile = tile_rows(T)
    w = np.empty((tile, R))
    iout = np.empty(tile, np.int64)
    X1 = X2.reshape(X2.size)
    pf = np.zeros(3, np.int64)
    acc = _stream(X2, lo, min(hi, lo + tile) - lo)
    for t0 in range(lo, hi, tile):
        nr = min(hi, t0 + tile) - t0
        _plan_ahead(pf, T, t0 + nr, min(hi, t0 + nr + tile), (nr // 4) * _rank_tiles(R))
        _row_weights(t0, nr, rshape, s, F, off, w, iout)
        r = 0
        while r + 4 <= R:
            _axpy4(X2, t0, nr, w, r, ZT, X1, pf)
            r += 4
        if r + 2 <= R:
            _axpy2(X2, t0, nr, w, r, ZT, X1, pf)
            r += 2
        if r < R:
            _axpy1(X2, t0, nr, w, r, ZT, X1, pf)
    return acc
