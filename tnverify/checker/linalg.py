"""The checker's exact linear algebra, and its single gate to FLINT.

Every determinant and rank the checker relies on is computed here, and no other checker
module imports python-flint. Two engines:

``python``
    Bareiss' fraction-free elimination over Z, and Gaussian elimination mod p, in plain
    Python (``O(n^3)`` operations).
``flint``
    python-flint's ``fmpz_mat`` / ``nmod_mat`` (FLINT, an independent and widely used
    library), for problems above :data:`PURE_PYTHON_WORK` multiply-adds.

FLINT's matrices are built through ``fmpz_mat`` (the reduction mod p happens in C, about half
the cost of building an ``nmod_mat`` from Python residues), and FLINT runs on every available
core (``flint.ctx.threads``) for problems above :data:`THREADED_WORK` multiply-adds; the old
thread count is restored afterwards.

With the environment variable ``TNVERIFY_CHECKER_PURE=1`` (read at every call) FLINT is never
used: the prover uses FLINT too, so a FLINT defect cannot then make both accept a false minor.
Each function returns its value together with the name of the engine that computed it
(docs/certificates.md, "The linear-algebra gate and ``TNVERIFY_CHECKER_PURE``").

References
----------
.. [1] E. H. Bareiss, "Sylvester's identity and multistep integer-preserving Gaussian
   elimination", Math. Comp. 22(103) (1968), 565-578.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

try:  # an accelerator for large problems; the pure-Python engine needs nothing
    import flint
except ImportError:  # pragma: no cover - flint is a dependency of the package
    flint = None

#: Above this many multiply-adds, work goes to FLINT (unless pure mode is on).
PURE_PYTHON_WORK = 2_000_000
#: Above this many multiply-adds, FLINT uses every core this process may run on.
THREADED_WORK = 10**9


def pure_mode() -> bool:
    """Is FLINT switched off (``TNVERIFY_CHECKER_PURE=1``, or python-flint missing)?"""
    return flint is None or os.environ.get("TNVERIFY_CHECKER_PURE") == "1"


def _engine(work: int) -> str:
    return "python" if pure_mode() or work <= PURE_PYTHON_WORK else "flint"


@contextmanager
def _flint_threads(work: int):
    """FLINT on every available core for the duration, when ``work`` is above :data:`THREADED_WORK`."""
    if work <= THREADED_WORK:
        yield
        return
    old = flint.ctx.threads
    flint.ctx.threads = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    try:
        yield
    finally:
        flint.ctx.threads = old


def _nmod_mat(m: int, n: int, flat: list, p: int):
    """The m x n ``nmod_mat`` of the integers ``flat`` (row-major, any sign and size) mod p."""
    return flint.nmod_mat(flint.fmpz_mat(m, n, flat), p)


def det(flat: list, n: int, p: int | None, reduced: bool = False) -> tuple[int, str]:
    """Determinant of the n x n integer matrix with row-major entries ``flat``: (value, engine).

    Over Z when ``p`` is None (Bareiss' fraction-free elimination [1]_: every intermediate
    entry is a minor of the matrix, so its size is bounded by Hadamard's bound), else mod the
    prime p, in [0, p), by Gaussian elimination; ``reduced``: the entries are already in [0, p).
    Cost O(n^3) operations on integers (mod p: word-size residues); FLINT's engine above
    :data:`PURE_PYTHON_WORK` unless :func:`pure_mode`.
    """
    engine = _engine(n**3)
    if engine == "flint":
        with _flint_threads(n**3):
            if p is None:
                return int(flint.fmpz_mat(n, n, flat).det()), engine
            return int(_nmod_mat(n, n, flat, p).det()), engine
    if p is None:
        return _bareiss([flat[i * n:(i + 1) * n] for i in range(n)]), engine
    return _echelon_mod_p([[x % p for x in flat[i * n:(i + 1) * n]] for i in range(n)], p, True)[1], engine


def det_rows_mod_p(rows, n: int, p: int) -> tuple[int, str]:
    """Determinant mod the prime p of the n x n integer matrix whose rows an iterator yields: (value, engine).

    The FLINT engine writes each row into an ``nmod_mat`` as it arrives, so only the matrix
    (one machine word per entry) and one row are held, never n^2 Python integers; the
    ``python`` engine collects the rows and calls :func:`det`. Same value and cost as
    :func:`det`. Raises ValueError unless exactly n rows of n entries arrive.
    """
    engine = _engine(n**3)
    if engine != "flint":
        got = [list(row) for row in rows]
        if len(got) != n or any(len(row) != n for row in got):
            raise ValueError(f"det_rows_mod_p: expected {n} rows of {n} entries")
        return det([x for row in got for x in row], n, p)
    M = flint.nmod_mat(n, n, p)
    i = -1
    for i, row in enumerate(rows):
        if i >= n or len(row) != n:
            raise ValueError(f"det_rows_mod_p: expected {n} rows of {n} entries")
        for j, x in enumerate(row):
            M[i, j] = x  # FLINT reduces any integer mod p
    if i != n - 1:
        raise ValueError(f"det_rows_mod_p: expected {n} rows, got {i + 1}")
    with _flint_threads(n**3):
        return int(M.det()), engine


def rank_mod_p(rows: list, p: int) -> tuple[int, str]:
    """Rank over GF(p) of an integer matrix given by its rows: (value, engine).

    The number of pivots of a row echelon form of ``M mod p``; O(m n min(m, n)) operations
    mod p, FLINT's ``nmod_mat.rank`` above :data:`PURE_PYTHON_WORK` unless :func:`pure_mode`.
    """
    m = len(rows)
    n = len(rows[0]) if m else 0
    engine = _engine(m * n * min(m, n))
    if engine == "flint":
        with _flint_threads(m * n * min(m, n)):
            return _nmod_mat(m, n, [x for row in rows for x in row], p).rank(), engine
    return _echelon_mod_p([[x % p for x in row] for row in rows], p, False)[0], engine


def _bareiss(A: list) -> int:
    """Exact determinant of a square integer matrix (rows, modified in place), fraction-free.

    Every intermediate entry is a minor of A, so its size is bounded by Hadamard's bound.
    """
    n = len(A)
    sign, prev = 1, 1
    for k in range(n - 1):
        if A[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if A[i][k] != 0), None)
            if swap is None:
                return 0
            A[k], A[swap] = A[swap], A[k]
            sign = -sign
        akk, row_k = A[k][k], A[k]
        for i in range(k + 1, n):
            row_i, aik = A[i], A[i][k]
            for j in range(k + 1, n):
                row_i[j] = (row_i[j] * akk - aik * row_k[j]) // prev
        prev = akk
    return sign * A[n - 1][n - 1] if n else 1


def _echelon_mod_p(A: list, p: int, square: bool) -> tuple[int, int]:
    """Gaussian elimination of the rows A (entries in [0, p), modified in place): (rank, det mod p).

    With ``square`` it stops at the first column without a pivot (the determinant is then 0).
    """
    m = len(A)
    n = len(A[0]) if m else 0
    r, d = 0, 1
    for c in range(n):
        piv = next((i for i in range(r, m) if A[i][c]), None)
        if piv is None:
            if square:
                return r, 0
            continue
        if piv != r:
            A[r], A[piv] = A[piv], A[r]
            d = -d
        top = A[r]
        d = d * top[c] % p
        inv = pow(top[c], -1, p)
        for i in range(r + 1, m):
            f = A[i][c] * inv % p
            if f:
                row = A[i]
                row[c:] = [(x - f * y) % p for x, y in zip(row[c:], top[c:])]
        r += 1
        if r == m:
            break
    return r, d % p
