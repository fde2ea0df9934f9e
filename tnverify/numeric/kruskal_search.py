"""Kruskal-rank enumeration mod p: the validated wrapper of :mod:`numba_kernels.kruskal`.

:func:`kruskal_search` decides, for an integer matrix ``A`` (``I x R``) and a prime
``p < 2^31``, the largest ``k <= k_max`` such that every ``k`` columns of ``A`` are
linearly independent over GF(p). The kernel is a depth-first enumeration of column
subsets with an incremental echelon form (each subset costs ``O(I)`` operations
instead of ``O(k I)``), pruned by the rank mod p, parallel over numba threads.

Soundness. A column set independent mod p is independent over Q, so ``k_lower`` is a
proved lower bound on the Kruskal rank over Q as well as over GF(p). A dependent set
mod p need not be dependent over Q: the caller (:mod:`tnverify.theory.kruskal`) confirms it
with an exact kernel vector before it counts.

This is one of the few modules allowed to import :mod:`numba_kernels`: it validates
and normalises input (C-contiguous int64 residues), maps the kernel's status codes
to exceptions or flags, and never changes the mathematics.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numba_kernels import kruskal as _kr
from numba_kernels._jit import BAD_INPUT, NOT_CONVERGED, OK

from tnverify.errors import BudgetError, FieldError, InputError, ShapeError
from tnverify.numeric.modp import is_prime

__all__ = ["KruskalSearch", "kruskal_search", "kruskal_search_chunked", "count_subsets", "MAX_KERNEL_PRIME"]

#: Largest modulus the kernel accepts (products of two residues must fit in int64).
MAX_KERNEL_PRIME = 2**31 - 1


@dataclass(frozen=True)
class KruskalSearch:
    """Result of one kernel call.

    Attributes
    ----------
    k_lower : int
        Every ``k_lower`` columns are independent mod ``prime`` (hence over Q).
    witness : tuple of int
        Sorted columns, ``k_lower + 1`` of them, dependent mod ``prime``; empty when
        no dependency was found (``k_lower = min(k_max, R)``) or the search stopped
        on its budget.
    n_checked : int
        Number of column subsets whose (in)dependence was decided.
    converged : bool
        False when the budget ran out before the target size (``k_lower`` is still proved).
    prime : int
    """

    k_lower: int
    witness: tuple
    n_checked: int
    converged: bool
    prime: int


def count_subsets(R: int, k: int) -> int:
    """``sum_{j=1..min(k,R)} C(R, j)``: worst-case number of subsets a search up to size ``k`` tests."""
    return int(_kr.count_subsets(np.int64(R), np.int64(k)))


def _residues(A, p: int) -> np.ndarray:
    M = np.asarray(A)
    if M.ndim != 2:
        raise ShapeError(f"expected a 2-d matrix for a Kruskal rank, got shape {M.shape}")
    if M.size == 0:
        raise ShapeError(f"expected a nonempty matrix for a Kruskal rank, got shape {M.shape}")
    if M.dtype == object:
        try:
            return np.array([int(x) % p for x in M.ravel()], dtype=np.int64).reshape(M.shape)
        except (TypeError, ValueError):
            raise InputError("expected integer entries for a Kruskal rank mod p") from None
    if M.dtype.kind not in "iu":
        raise InputError(f"expected an integer matrix for a Kruskal rank mod p, got dtype {M.dtype}")
    if M.dtype == np.uint64:
        return np.array([int(x) % p for x in M.ravel()], dtype=np.int64).reshape(M.shape)
    return np.ascontiguousarray(np.mod(M.astype(np.int64, copy=False), np.int64(p)))


def kruskal_search(A, p: int, k_max: int | None = None, start_k: int = 0,
                   max_subsets: int | None = None) -> KruskalSearch:
    """Kruskal rank of the integer matrix ``A`` modulo the prime ``p``, up to ``k_max``.

    Parameters
    ----------
    A : (I, R) integer array (any integer dtype, or object of Python ints)
    p : prime, ``2 <= p < 2^31``
    k_max : largest k of interest (default R)
    start_k : a lower bound already proved (e.g. with another prime); subsets of at
        most ``start_k`` columns are not reported as dependent
    max_subsets : budget of subset tests (None: unlimited). The kernel lowers its target
        to the largest size whose worst case fits, so a partial result is still proved.

    Returns
    -------
    KruskalSearch

    Raises
    ------
    FieldError
        ``p`` not a prime below ``2^31``.
    BudgetError
        ``max_subsets`` too small to decide even the next size.

    Notes
    -----
    Cost: at most ``count_subsets(R, k)`` subsets, ``O(I)`` operations each.
    """
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 2 <= int(p) <= MAX_KERNEL_PRIME \
            or not is_prime(int(p)):
        raise FieldError(f"expected a prime modulus in [2, 2^31) for the Kruskal kernel, got {p!r}")
    p = int(p)
    Ap = _residues(A, p)
    R = Ap.shape[1]
    k_max = R if k_max is None else int(k_max)
    if k_max < 0:
        raise InputError(f"expected k_max >= 0, got {k_max}")
    budget = -1 if max_subsets is None else int(max_subsets)
    if max_subsets is not None and budget < 0:
        raise BudgetError(f"expected a nonnegative subset budget, got {max_subsets}")
    k, wit, n, status = _kr.kruskal_search(Ap, np.int64(p), np.int64(k_max), np.int64(max(0, start_k)),
                                          np.int64(budget))
    k, n, status = int(k), int(n), int(status)
    if status == BAD_INPUT:
        raise InputError(f"the Kruskal kernel refused a {Ap.shape[0]} x {R} matrix mod {p}")
    if status == NOT_CONVERGED and n == 0 and k <= max(0, start_k):
        need = count_subsets(R, k + 1)
        raise BudgetError(f"a budget of {budget} subsets cannot decide size {k + 1} "
                          f"(needs up to {need} subset tests for {R} columns)")
    if status not in (OK, NOT_CONVERGED):
        raise InputError(f"the Kruskal kernel returned the unknown status {status}")
    return KruskalSearch(k, tuple(int(c) for c in wit), n, status == OK, p)


def _chunk_task(task) -> tuple:
    """Chunk ``c``: subsets whose smallest column is ``c`` (module level, for executors)."""
    Ap, p, c, k_max = task
    a = Ap[:, c]
    nz = np.flatnonzero(a)
    if nz.size == 0:
        return c, 0, (c,), 1  # column c is zero: {c} is dependent
    rest = Ap[:, c + 1:]
    if rest.shape[1] == 0 or k_max <= 1:
        return c, None, (), 1
    # {c} + T is dependent mod p iff T is dependent modulo the span of column c:
    # eliminate coordinate i0 with the pivot a[i0] (fraction-free) and drop it.
    i0 = int(nz[0])
    B = np.mod(np.int64(a[i0]) * rest - np.outer(a, rest[i0]) % p, p)
    B = np.ascontiguousarray(np.delete(B, i0, axis=0))
    if B.shape[0] == 0:  # one row: any second column depends on column c
        return c, 1, (c, c + 1), 1
    res = kruskal_search(B, p, k_max - 1)
    if not res.witness:
        return c, None, (), res.n_checked + 1
    return c, 1 + res.k_lower, (c,) + tuple(c + 1 + j for j in res.witness), res.n_checked + 1


def kruskal_search_chunked(A, p: int, k_max: int | None = None, *, jobs: int = 1,
                           scheduler: str | None = None) -> KruskalSearch:
    """:func:`kruskal_search` split into ``R`` chunks run by an executor.

    Chunk ``c`` holds the column subsets whose smallest column is ``c``. With
    ``a_c != 0`` such a subset ``{c} + T`` is dependent mod p iff ``T`` is dependent
    after projecting every later column modulo ``a_c`` (one fraction-free elimination
    step), so chunk ``c`` is a Kruskal-rank search on ``R - c - 1`` projected columns
    and ``k = min(k_max, min_c (1 + k_c))``. Chunks run in local processes
    (``jobs``) or on a Dask cluster (``scheduler``); a chunk whose worker fails is an
    error, never silently dropped. No budget applies here (a full search).
    """
    from tnverify.parallel import TaskFailure, executor

    p = int(p)
    Ap = _residues(A, p)
    R = Ap.shape[1]
    k_max = R if k_max is None else min(int(k_max), R)
    ex = executor(jobs, scheduler)
    best = (k_max, ())
    n = 0
    try:
        for _, out in ex.map_unordered(_chunk_task, [(Ap, p, c, k_max) for c in range(R)]):
            if isinstance(out, TaskFailure):
                raise InputError(f"a Kruskal enumeration chunk failed on a worker: {out.message}")
            c, k_c, wit, n_c = out
            n += n_c
            if k_c is not None and (k_c < best[0] or (k_c == best[0] and best[1] and wit < best[1])):
                best = (k_c, wit)
    finally:
        ex.close()
    k, wit = best
    return KruskalSearch(k, wit if k < k_max else (), n, True, p)
