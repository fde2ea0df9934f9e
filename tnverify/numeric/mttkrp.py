r"""Unfolding, Khatri-Rao product and MTTKRP: the multilinear products under every CP algorithm.

The loops are jitted in :mod:`numba_kernels.mttkrp`; this module validates, normalises dtypes,
chooses the formulation by shape and runs every formulation in pieces on the threads of
:func:`tnverify.numeric.threads.on_threads` (the layering is in docs/architecture.md, the thread
counts in docs/performance.md). Public functions raise :mod:`tnverify.errors` errors; the
functions without ``__all__`` entries (:func:`kr_columns`, :func:`mttkrp_f64`,
:func:`fused_mttkrp`, :func:`axpy_mttkrp`, :func:`fits_fused`, :func:`run_rows`,
:func:`best_split`, :func:`threads_for`, :func:`piece_size`, :func:`summed`,
:func:`wide_registers`)
take already validated float64 C-contiguous arrays and serve :mod:`tnverify.numeric.cp` and
:mod:`tnverify.numeric.jennrich`.

Conventions (as TensorLy)
-------------------------
* **Unfolding**: ``X_(n)`` has rows ``i_n`` and columns the C-order multi-index of the other
  modes in increasing order (the last mode varies fastest). Kolda-Bader [1]_ use the Fortran
  order; convert by reversing the order of the other modes.
* **Khatri-Rao**: ``KR(A_1, ..., A_m)`` has row ``(i_1, ..., i_m)`` at the C-order position (the
  last matrix varies fastest), so that ``X_(n) = A_n diag(w) KR(A_k, k != n)^T`` for
  ``X = [[w; A_0, ..., A_{N-1}]]``.

References
----------
.. [1] T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51(3),
   2009.
.. [2] A.-H. Phan, P. Tichavsky, A. Cichocki, "Fast alternating LS algorithms for high order
   CANDECOMP/PARAFAC tensor factorizations", IEEE Trans. Signal Process. 61(19), 2013.
"""
from __future__ import annotations

import functools
import math
from typing import Callable

import numba
import numpy as np

from numba_kernels.mttkrp import axpy_rows, dot_rows, kr_pair, reduce_leading, tile_rows

from tnverify.errors import InputError, ShapeError
from tnverify.numeric._validate import as_f64
from tnverify.numeric.threads import numba_threads, on_threads, pieces

__all__ = ["unfold", "khatri_rao", "mttkrp"]

#: Elements (float64) of one block of the intermediate ``R x cols`` product of the BLAS
#: formulation (2 MB): the block is reduced while it is still in cache, and scratch stays bounded.
BLOCK_ELEMS = 1 << 18
#: Rows shorter than this do not vectorise well: the fused kernels take rows of at least this
#: length (of the trailing modes), shorter ones go to the BLAS formulation.
MIN_ROW = 64
#: Largest rank for which the fused kernels are used when numba compiles for 16 vector registers
#: (:func:`wide_registers` False): above it the BLAS formulation was faster on every shape measured
#: (fused / BLAS time 1.0-2.2 at R = 10-50, 0.45-1.0 at R = 3; 200^3, 100^3, 30x40x50x60 and
#: 500x500x20, idle 2-core AVX2 machine). With 32 registers they are used at every rank.
FUSED_MAX_RANK = 4
#: Largest ``R x T`` block of a fused kernel (1 MB): the trailing Khatri-Rao product that
#: :func:`numba_kernels.mttkrp.dot_rows` reads once per row, the accumulator that
#: :func:`numba_kernels.mttkrp.axpy_rows` updates once per row; both must stay in cache, so larger
#: ones go to the BLAS formulation.
MAX_KR_ENTRIES = 1 << 17
#: Below this many tensor entries the parallel passes run on the calling thread only.
SERIAL_BELOW = 1 << 17
#: Pieces of work handed out per thread (dynamic scheduling: a thread that shares its core with
#: another process simply takes fewer pieces; :mod:`tnverify.numeric.threads`).
PIECES_PER_THREAD = 8
#: Fewest tiles in a piece of a fused kernel (when there are at least two such pieces per thread):
#: the first tile of a piece is read before any arithmetic, the others are prefetched while the
#: previous one is computed.
MIN_PIECE_TILES = 4


@functools.cache
def wide_registers() -> bool:
    """Whether numba compiles for 32 vector registers: the x86 feature ``avx512f`` (AVX-512).

    The register tiles of the fused kernels (4 x 4 accumulators plus their operands) fit in 32
    vector registers; with 16 (AVX2) they spill to the stack. Read as numba reads it: its
    ``CPU_FEATURES`` setting, else the host's features.
    """
    features = numba.config.CPU_FEATURES
    if features is None:
        try:  # numba's own reading of the host (an internal module: absent, assume 16 registers)
            from numba.core.codegen import get_host_cpu_features
        except ImportError:  # pragma: no cover - every numba this project supports has it
            return False
        features = get_host_cpu_features()
    return "+avx512f" in features.split(",")


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_mode(mode, N: int) -> int:
    if not _is_int(mode) or not 0 <= mode < N:
        raise InputError(f"expected a mode in 0..{N - 1} for an order-{N} tensor, got {mode!r}")
    return int(mode)


# ----------------------------------------------------------------------------- public


def unfold(tensor, mode: int) -> np.ndarray:
    """Mode-``mode`` unfolding ``X_(n)``: rows ``i_n``, columns C-order over the other modes.

    Parameters
    ----------
    tensor : array_like, order >= 1
    mode : int, ``0 <= mode < N``

    Returns
    -------
    ndarray (I_n, prod_{k != n} I_k)
        A float64 C-contiguous copy.

    Raises
    ------
    InputError
        Non-numeric data or a mode out of range.

    Notes
    -----
    One permuted copy, ``O(prod I_k)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(24.0).reshape(2, 3, 4)
    >>> bool(np.array_equal(unfold(X, 1)[:, 5], X[1, :, 1]))
    True
    """
    X = as_f64(tensor, name="tensor")
    n = _check_mode(mode, X.ndim)
    return np.ascontiguousarray(np.moveaxis(X, n, 0)).reshape(X.shape[n], -1)


def khatri_rao(mats) -> np.ndarray:
    r"""Column-wise Kronecker (Khatri-Rao) product of any number of matrices.

    For ``A_k`` of shape ``(I_k, R)``, ``KR(A_1, ..., A_m)`` has shape ``(I_1 ... I_m, R)`` and
    column ``r`` equal to ``kron(A_1[:, r], ..., A_m[:, r])``:

    .. math:: KR[(i_1, \dots, i_m), r] = \prod_k A_k[i_k, r],

    the row multi-index in C order (the last matrix varies fastest), as TensorLy's
    ``khatri_rao`` [1]_.

    Parameters
    ----------
    mats : sequence of array_like
        At least one matrix; all with the same number of columns ``R``.

    Returns
    -------
    ndarray (prod I_k, R)
        float64, C-contiguous.

    Raises
    ------
    ShapeError
        No matrix, a matrix that is not 2-D, or different column counts.

    Notes
    -----
    Jitted pairwise products, left to right: ``R sum_{j <= m} prod_{k <= j} I_k`` (``~ R prod
    I_k``) multiplications; memory the output.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.arange(6.0).reshape(3, 2); B = np.arange(4.0).reshape(2, 2) + 1
    >>> K = khatri_rao([A, B])
    >>> bool(np.array_equal(K[:, 1], np.kron(A[:, 1], B[:, 1])))
    True
    """
    mats = [as_f64(m, name="matrix") for m in mats]
    if not mats or any(m.ndim != 2 for m in mats) or len({m.shape[1] for m in mats}) != 1:
        raise ShapeError(f"expected one or more matrices with the same number of columns, got shapes "
                         f"{[m.shape for m in mats]}")
    if len(mats) == 1:
        return mats[0].copy()
    return kr_columns(mats, mats[0].shape[1])


def mttkrp(tensor, factors, mode: int) -> np.ndarray:
    r"""Matricised tensor times Khatri-Rao product ``M = X_(n) KR(A_k, k != n)``.

    .. math:: M[i_n, r] = \sum_{i_k,\,k \ne n} X[i_0, \dots, i_{N-1}] \prod_{k \ne n} A_k[i_k, r]

    (TensorLy's ``unfolding_dot_khatri_rao`` with unit weights). The full Khatri-Rao product of
    the other modes is never formed and the tensor is never permuted. Three formulations, the
    first two *fused* (one pass over the tensor viewed as C-order rows over its trailing modes,
    each row weighted by the factor rows of its leading indices, in pieces on several threads):

    * **weighted rows** (``n >= 1``; rows over the trailing modes ``s, ..., N-1`` with
      ``1 <= s <= n`` as small as possible such that the row length ``T >= 64``, ``R T <= 2**17``
      and there are at least 4 rows; in particular the last mode): the jitted
      :func:`numba_kernels.mttkrp.axpy_rows` adds the weighted rows into an ``R x T`` accumulator,
      whose modes other than ``n`` are then reduced (:func:`axpy_mttkrp`);
    * **row dot products** (``n < N - 1``; the shortest trailing block after ``n`` with
      ``T >= 64``, ``R T <= 2**17`` and at least 4 rows): the jitted
      :func:`numba_kernels.mttkrp.dot_rows` takes the dot products of each row with the columns
      of the trailing Khatri-Rao product (:func:`fused_mttkrp`);
    * **BLAS** (otherwise): the C-contiguous tensor is viewed as a matrix so that one contraction
      is a BLAS GEMM against a *partial* Khatri-Rao product, and the remaining modes are reduced by
      a jitted kernel while the product is still in cache [2]_ (:func:`mttkrp_f64`).

    The fused formulations are tried first (weighted rows, then row dot products) when numba
    compiles for 32 vector registers (AVX-512, :func:`wide_registers`); with 16, only the row dot
    products and only for ``R <= FUSED_MAX_RANK``, where they were measured faster than BLAS.

    Parameters
    ----------
    tensor : array_like
        Real tensor of order ``N >= 2`` (converted once to float64 C order; values unchecked).
    factors : sequence of array_like
        ``N`` matrices ``(I_k, R)``; ``factors[mode]`` is ignored (it may be ``None``).
    mode : int
        ``0 <= mode < N``.

    Returns
    -------
    ndarray (I_mode, R)
        float64.

    Raises
    ------
    InputError
        Non-numeric data or a mode out of range.
    ShapeError
        Order < 2, or factors that do not fit the tensor.

    Notes
    -----
    ``2 R prod(I_k)`` flops. Fused: extra memory ``O(R (T + threads I_n + threads tile))``, plus
    ``O(s R)`` work per row for the row weights (``s`` row modes) and ``O(R T)`` for the final
    reduction of the weighted rows. BLAS: ``O(R prod(I_k) / L)`` for the reduction, ``L`` the
    product of the dimensions contracted by BLAS; extra memory ``O(R (L + prod(I_k) / L))``, the
    second term in blocks of at most ``2**18`` entries. Measured on 2 AVX-512 cores (numpy's
    OpenBLAS DGEMM 85-104 GFLOP/s) on ``200^3, R = 20``: 66-78 GFLOP/s per mode, 69-84% of DGEMM,
    the BLAS formulation 39-54 (``tnverify bench mttkrp-vs-dgemm``; docs/performance.md has the
    other shapes and says what limits it).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((3, 4, 5)); F = [rng.standard_normal((s, 2)) for s in X.shape]
    >>> ref = unfold(X, 1) @ khatri_rao([F[0], F[2]])
    >>> bool(np.allclose(mttkrp(X, F, 1), ref))
    True
    """
    X = as_f64(tensor, name="tensor")
    if X.ndim < 2:
        raise ShapeError(f"expected a tensor of order >= 2 for an MTTKRP, got shape {X.shape}")
    n = _check_mode(mode, X.ndim)
    factors = list(factors)
    if len(factors) != X.ndim:
        raise ShapeError(f"expected {X.ndim} factors for an order-{X.ndim} tensor, got {len(factors)}")
    A = [None if k == n else as_f64(f, name=f"factor {k}") for k, f in enumerate(factors)]
    ranks = {f.shape[1] for f in A if f is not None and f.ndim == 2}
    if len(ranks) != 1 or any(f is not None and (f.ndim != 2 or f.shape[0] != X.shape[k]) for k, f in enumerate(A)):
        raise ShapeError(f"expected factors of shapes (I_k, R) for the tensor of shape {X.shape}, got "
                         f"{[None if f is None else f.shape for f in A]}")
    return mttkrp_f64(X, A, n, ranks.pop())


# ----------------------------------------------------------------------------- drivers (validated input)


def kr_columns(mats, R: int) -> np.ndarray:
    """Khatri-Rao product of validated float64 C-contiguous ``(I_k, R)`` matrices; ``ones((1, R))`` if none."""
    if len(mats) == 0:
        return np.ones((1, R))
    out = mats[0]
    for m in mats[1:]:
        out = kr_pair(out, m)
    return out


def summed(parts: list) -> np.ndarray:
    """The sum of the private outputs of the threads of :func:`tnverify.numeric.threads.on_threads`."""
    out = parts[0]
    for part in parts[1:]:
        out += part
    return out


def threads_for(entries: int) -> int:
    """Threads for a pass over ``entries`` tensor entries: one below ``SERIAL_BELOW``, else :func:`numba_threads`."""
    return numba_threads() if entries >= SERIAL_BELOW else 1


def piece_size(total: int, cap: int, threads: int) -> int:
    """Items per piece: at most ``cap``, and about ``PIECES_PER_THREAD`` pieces per thread."""
    return max(1, min(cap, -(-total // (PIECES_PER_THREAD * threads))))


def run_rows(X2: np.ndarray, args: tuple, out_shape: tuple, threads: int,
             kernel: Callable[..., float] = dot_rows) -> np.ndarray:
    """Sum over threads of ``kernel(X2, lo, hi, *args, out)`` over all rows of ``X2``.

    ``kernel`` is :func:`numba_kernels.mttkrp.dot_rows` or :func:`numba_kernels.mttkrp.axpy_rows`.
    The rows are cut into about ``PIECES_PER_THREAD * threads`` pieces of whole tiles (at least
    ``MIN_PIECE_TILES`` tiles each while that leaves two pieces per thread), taken
    dynamically by ``threads`` workers (:func:`tnverify.numeric.threads.on_threads`; the calling
    thread is one of them), each with a private output of shape ``out_shape``; the kernel releases
    the GIL. Below ``SERIAL_BELOW`` entries, or with one thread, one call on the calling thread.
    """
    L, T = X2.shape
    if threads <= 1 or X2.size < SERIAL_BELOW:
        out = np.zeros(out_shape)
        kernel(X2, 0, L, *args, out)
        return out
    tile = tile_rows(T)
    tiles = -(-L // tile)
    per_piece = max(1, tiles // (PIECES_PER_THREAD * threads), min(MIN_PIECE_TILES, tiles // (2 * threads)))
    todo = pieces(L, per_piece * tile)

    def worker():
        out = np.zeros(out_shape)
        for lo, hi in todo:
            kernel(X2, lo, hi, *args, out)
        return out

    return summed(on_threads(worker, threads, blas=False))


def fits_fused(T: int, R: int, size: int) -> bool:
    """Whether a fused kernel takes rows of length ``T`` at rank ``R`` for a tensor of ``size`` entries.

    The rows must be at least ``MIN_ROW`` long, the ``R x T`` block (trailing Khatri-Rao product
    or accumulator) must have at most ``MAX_KR_ENTRIES`` entries, and there must be at least 4
    rows (one register tile).
    """
    return MIN_ROW <= T and R * T <= MAX_KR_ENTRIES and size // T >= 4


def fused_mttkrp(X: np.ndarray, A: list, n: int, R: int):
    """MTTKRP of mode ``n`` by row dot products (:func:`numba_kernels.mttkrp.dot_rows`), or None.

    The rows run over the trailing modes ``s, ..., N-1`` with ``s > n`` as large as possible such
    that the row length ``T`` is at least ``MIN_ROW``. None when no such split exists (in
    particular for the last mode), when the trailing Khatri-Rao ``R x T`` has more than
    ``MAX_KR_ENTRIES`` entries, or when there are fewer than 4 rows.
    """
    shape = X.shape
    N = X.ndim
    s = next((c for c in range(N - 1, n, -1) if math.prod(shape[c:]) >= MIN_ROW), None)
    if s is None:
        return None
    T = math.prod(shape[s:])
    if not fits_fused(T, R, X.size):
        return None
    off = np.zeros(s, dtype=np.int64)
    mats, pos = [], 0
    for k in range(s):
        off[k] = pos
        if k != n:
            mats.append(A[k])
            pos += shape[k]
    F = np.ascontiguousarray(np.vstack(mats)) if mats else np.zeros((0, R))
    rshape = np.array(shape[:s], dtype=np.int64)
    X2 = X.reshape(X.size // T, T)
    CT = np.ascontiguousarray(kr_columns(A[s:], R).T)
    return run_rows(X2, (rshape, n, F, off, CT), (shape[n], R), numba_threads())


def axpy_mttkrp(X: np.ndarray, A: list, n: int, R: int):
    """MTTKRP of mode ``n`` by weighted rows (:func:`numba_kernels.mttkrp.axpy_rows`), or None.

    The rows run over the modes ``0, ..., s-1`` with ``1 <= s <= n`` as small as possible (the
    longest rows) such that the row length ``T = I_s ... I_{N-1}`` is at least ``MIN_ROW``, the
    ``R x T`` accumulator of a thread has at most ``MAX_KR_ENTRIES`` entries and there are at
    least 4 rows; None when no ``s`` qualifies (in particular for mode 0). The accumulators of
    the threads are summed, then the modes ``s, ..., N-1`` other than ``n`` are reduced
    (:func:`numba_kernels.mttkrp.reduce_leading`, ``O(R T)``).
    """
    shape = X.shape
    s = next((c for c in range(1, n + 1) if fits_fused(math.prod(shape[c:]), R, X.size)), None)
    if s is None:
        return None
    T = math.prod(shape[s:])
    off = np.zeros(s, dtype=np.int64)
    off[1:] = np.cumsum(shape[:s - 1])
    F = np.ascontiguousarray(np.vstack(A[:s]))
    ZT = run_rows(X.reshape(X.size // T, T), (np.array(shape[:s], dtype=np.int64), F, off), (R, T),
                  numba_threads(), kernel=axpy_rows)
    if s == n == X.ndim - 1:
        return np.ascontiguousarray(ZT.T)
    P, In, Q = math.prod(shape[s:n]), shape[n], math.prod(shape[n + 1:])
    outT = np.zeros((R, In))
    reduce_leading(ZT.reshape(R, P, In, Q), np.ascontiguousarray(kr_columns(A[s:n], R).T),
                   np.ascontiguousarray(kr_columns(A[n + 1:], R).T), outT, 0, 0)
    return np.ascontiguousarray(outT.T)


def _lead_reduce_blocked(Xm, W, P, In, Q, KRpT, KRqT, threads: int):
    """``outT (R, In)``: the reduction of ``Y = W^T Xm`` (``W``: ``Lp x R``) over ``p`` and ``q``.

    ``Y`` is produced in column blocks of at most ``BLOCK_ELEMS / R`` columns (whole p-slices, or
    whole i-slices when ``P == 1``), each reduced while it is still in cache; the blocks are the
    pieces of :func:`tnverify.numeric.threads.on_threads` (one-thread GEMM and reduction per
    block, private outputs summed).
    """
    R = W.shape[1]
    WT = np.ascontiguousarray(W.T)
    cols = max(1, BLOCK_ELEMS // R)
    inner = In * Q if P > 1 else Q
    todo = pieces(P if P > 1 else In, piece_size(P if P > 1 else In, max(1, cols // inner), threads))

    def worker():
        outT = np.zeros((R, In))
        for o0, o1 in todo:
            Yc = WT @ Xm[:, o0 * inner:o1 * inner]
            if P > 1:
                reduce_leading(Yc.reshape(R, o1 - o0, In, Q), KRpT, KRqT, outT, o0, 0)
            else:
                reduce_leading(Yc.reshape(R, 1, o1 - o0, Q), KRpT, KRqT, outT, 0, o0)
        return outT

    return summed(on_threads(worker, threads))


def best_split(shape, candidates) -> int:
    """The first ``c`` of ``candidates`` minimising ``prod(shape[:c]) + prod(shape[c:])``.

    The size of the two sides when a tensor is viewed as a matrix with rows over the modes
    before ``c`` (the order of ``candidates`` breaks ties).
    """
    return min(candidates, key=lambda c: math.prod(shape[:c]) + math.prod(shape[c:]))


def mttkrp_f64(X: np.ndarray, A: list, n: int, R: int, fused: bool = True) -> np.ndarray:
    """MTTKRP of mode ``n`` for validated input (``X`` float64 C-contiguous, order ``N >= 2``;
    ``A[k]`` float64 C-contiguous ``(I_k, R)`` for ``k != n``).

    The formulation is chosen as :func:`mttkrp` says (:func:`axpy_mttkrp`, then
    :func:`fused_mttkrp`, with 32 vector registers; :func:`fused_mttkrp` for ``R <=
    FUSED_MAX_RANK`` only with 16); ``fused=False`` forces the BLAS formulation. All run on
    :func:`tnverify.numeric.threads.on_threads` (``numba_threads()`` threads, dynamic pieces, BLAS
    held at one thread).
    """
    shape = X.shape
    N = X.ndim
    total = X.size
    if R == 0 or total == 0:
        return np.zeros((shape[n], R))
    M = None
    if fused and wide_registers():
        M = axpy_mttkrp(X, A, n, R)
        if M is None:
            M = fused_mttkrp(X, A, n, R)
    elif fused and R <= FUSED_MAX_RANK:
        M = fused_mttkrp(X, A, n, R)
    if M is not None:
        return M
    threads = threads_for(total)
    if n == 0:
        # Trailing contraction of the last q modes with the output transposed,
        # Y = KR(A_{N-q}..A_{N-1})^T X(I_0 * mid, T)^T of shape (R, I_0, mid), then a reduction
        # over the middle modes. q minimises T + total / T, ties -> smaller q (a long output
        # dimension makes the better GEMM). Done in row blocks of X so that Y stays in cache.
        q = N - best_split(shape, range(N - 1, 0, -1))
        T = math.prod(shape[N - q:])
        I0 = shape[0]
        mid = total // T // I0
        KRtT = np.ascontiguousarray(kr_columns(A[N - q:], R).T)
        KRmT = np.ascontiguousarray(kr_columns(A[1:N - q], R).T)
        ones = np.ones((R, 1))
        Xr = X.reshape(I0 * mid, T)
        todo = pieces(I0, piece_size(I0, max(1, (BLOCK_ELEMS // R) // mid), threads))

        def worker():
            outT = np.zeros((R, I0))
            for o0, o1 in todo:
                Yc = KRtT @ Xr[o0 * mid:o1 * mid].T
                reduce_leading(Yc.reshape(R, 1, o1 - o0, mid), ones, KRmT, outT, 0, o0)
            return outT

        return np.ascontiguousarray(summed(on_threads(worker, threads)).T)
    # Leading contraction of the first p <= n modes: Y = KR(A_0..A_{p-1})^T X(L_p, rest) has
    # shape (R, rest); the GEMM with the short inner dimension and the long output runs near
    # the memory bandwidth. p minimises L_p + total / L_p, ties -> smaller p.
    p = best_split(shape, range(1, n + 1))
    Lp = math.prod(shape[:p])
    KRl = kr_columns(A[:p], R)
    P = math.prod(shape[p:n])
    In = shape[n]
    Q = math.prod(shape[n + 1:])
    KRpT = np.ascontiguousarray(kr_columns(A[p:n], R).T)
    KRqT = np.ascontiguousarray(kr_columns(A[n + 1:], R).T)
    outT = _lead_reduce_blocked(X.reshape(Lp, total // Lp), KRl, P, In, Q, KRpT, KRqT, threads)
    return np.ascontiguousarray(outT.T)
