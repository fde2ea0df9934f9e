r"""Fused MTTKRP kernel that reads the tensor once from memory (modes ``n < N - 1``).

The tensor ``X`` of shape ``(I_0, ..., I_{N-1})`` is viewed as a C-order matrix ``X2`` of
``L`` *rows* of length ``T``: ``T`` is the product of the trailing modes ``s, ..., N-1`` (with
``s > n``) and a row index is the C-order multi-index ``(i_0, ..., i_{s-1})`` of the *row
modes*. The MTTKRP of mode ``n`` (see :func:`numba_kernels.decompositions.mttkrp`) is then

.. math:: M[i_n, r] = \sum_{\mathrm{rows}} w[\mathrm{row}, r] \, \langle X2[\mathrm{row}], CT[r] \rangle

with ``CT = KR(A_s, ..., A_{N-1})^T`` of shape ``(R, T)`` and the row weight
``w[row, r] = prod_{k < s, k != n} A_k[i_k, r]``. No Khatri-Rao product of more than the
trailing modes (at most :data:`MAX_KR_ENTRIES` entries) and no intermediate of the size of the
tensor is formed.

The rows are processed in tiles of about :data:`TILE_ELEMS` entries. Each tile is first read
once sequentially (a vectorised sum: the software prefetch that numba otherwise lacks; it
brings the tile into the L2 cache at full memory bandwidth, whereas the four interleaved row
streams of the micro-kernel defeat the hardware prefetcher, ~30% slower without it). The
micro-kernel takes a 4-row by 4-rank register tile: 16 dot products vectorised along the row,
so that each vector load feeds four fused multiply-adds. The rows are shared dynamically
between threads (:func:`run_rows`; the kernel releases the GIL).

The last mode (``n = N - 1``) has no trailing mode to contract along the rows; its update
``M^T[r, :] += w[row, r] X2[row]`` stores into the output in the inner loop, which numba cannot
vectorise without a no-alias guarantee (measured 13 GFLOP/s per core, against 36 with
``prange``'s no-alias arguments), so it stays with the BLAS formulation.

Measured on 2 AVX-512 cores for ``200^3``, ``R = 20``: ~66-68 GFLOP/s for modes 0 and 1,
against 37-55 for the BLAS formulation (one GEMM against a partial Khatri-Rao product, then a
reduction) and 87-110 for a large DGEMM.
"""
import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._jit import njit

#: Entries of the tensor in one tile (256 KB): the tile stays in L2 while the R/4 passes of
#: the dot kernel read it again.
TILE_ELEMS = 1 << 15
#: The kernel needs rows of at least this length to vectorise well; shorter rows go to the
#: BLAS formulation.
MIN_ROW = 64
#: Largest trailing Khatri-Rao (``R x T`` entries, 1 MB) the kernel takes: it is read once per
#: row, so it must stay in cache; larger ones go to the BLAS formulation.
MAX_KR_ENTRIES = 1 << 17
#: Below this many tensor entries the kernels run on the calling thread only.
SERIAL_BELOW = 1 << 17
#: Pieces of rows handed out per thread (dynamic scheduling: a thread that shares its core with
#: another process simply takes fewer pieces).
PIECES_PER_THREAD = 8

_pools: dict = {}


def _pool(workers):
    """A thread pool of this process (a forked child never reuses its parent's pool)."""
    key = (os.getpid(), workers)
    if key not in _pools:
        _pools.clear()
        _pools[key] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mttkrp")
    return _pools[key]


def run_rows(kernel, X2, args, out_shape, threads):
    """Sum over threads of ``kernel(X2, lo, hi, *args, out)`` for the rows of ``X2``.

    The rows are cut into about ``PIECES_PER_THREAD * threads`` pieces of whole tiles, taken
    dynamically by ``threads`` workers (the calling thread is one of them), each with a private
    output of shape ``out_shape``; the kernels release the GIL.
    """
    L, T = X2.shape
    if threads <= 1 or X2.size < SERIAL_BELOW:
        out = np.zeros(out_shape)
        kernel(X2, 0, L, *args, out)
        return out
    tile = max(4, (TILE_ELEMS // T) // 4 * 4)
    piece = max(tile, -(-L // (PIECES_PER_THREAD * threads)) // tile * tile)
    starts = itertools.count(0, piece)  # next() is atomic under the GIL

    def worker():
        out = np.zeros(out_shape)
        for lo in starts:
            if lo >= L:
                break
            kernel(X2, lo, min(L, lo + piece), *args, out)
        return out

    futures = [_pool(threads - 1).submit(worker) for _ in range(threads - 1)]
    out = worker()
    for f in futures:
        out += f.result()
    return out


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
    """Add the dot-kernel terms of rows ``lo .. hi - 1`` to ``out (I_n, R)``; returns the prefetch sum."""
    T = X2.shape[1]
    R = CT.shape[0]
    tile = max(4, (TILE_ELEMS // T) // 4 * 4)
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
