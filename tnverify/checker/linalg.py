"""The checker's exact linear algebra, and its single gate to FLINT and to its compiled kernel.

Every determinant, rank and k-subset test the checker relies on is computed here, and no other
checker module imports python-flint or ``checker/compiled.py``. Three engines:

``python``
    Bareiss' fraction-free elimination over Z, Gaussian elimination mod p, and the
    depth-first k-subset enumeration mod p, in plain Python (``O(n^3)`` operations for a
    determinant).
``flint``
    python-flint's ``fmpz_mat`` / ``nmod_mat`` (FLINT, an independent and widely used
    library), for determinants and ranks above :data:`PURE_PYTHON_WORK` multiply-adds.
``numba``
    ``checker/compiled.py``, the checker's own numba kernel of the same k-subset enumeration
    (written apart from the prover's ``numba_kernels``), for large searches with p < 2^31
    (:func:`first_dependent_subset` says when).

FLINT's matrices are built through ``fmpz_mat`` (the reduction mod p happens in C, about half
the cost of building an ``nmod_mat`` from Python residues), and FLINT runs on every available
core (``flint.ctx.threads``) for problems above :data:`THREADED_WORK` multiply-adds; the old
thread count is restored afterwards.

With the environment variable ``TNVERIFY_CHECKER_PURE=1`` (read at every call) neither FLINT
nor numba is used: the prover uses both too, so a defect in either cannot then make both accept
a false claim. Each function returns its value together with the name of the engine that
computed it (docs/certificates.md, "The linear-algebra gate and ``TNVERIFY_CHECKER_PURE``").

References
----------
.. [1] E. H. Bareiss, "Sylvester's identity and multistep integer-preserving Gaussian
   elimination", Math. Comp. 22(103) (1968), 565-578.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from math import comb

try:  # an accelerator for large problems; the pure-Python engine needs nothing
    import flint
except ImportError:  # pragma: no cover - flint is a dependency of the package
    flint = None

#: Above this many multiply-adds, work goes to FLINT or numba (unless pure mode is on).
PURE_PYTHON_WORK = 2_000_000
#: Above this much k-subset work of the Python engine (about 0.3 us a unit: 0.45 s for 1.4e6 on a
#: 10 x 20 matrix), the compiled kernel is worth its start-up (0.3-0.7 s in a fresh process).
COMPILED_WORK = 2 * 10**6
#: The compiled kernel's operations cost about 1/75 of the Python engine's (measured on 10 x 20 and
#: 12 x 24); it is used only while it does less than this many times the Python engine's work.
COMPILED_SPEEDUP = 30
#: Above this many multiply-adds, FLINT uses every core this process may run on.
THREADED_WORK = 10**9


def pure_mode() -> bool:
    """Are FLINT and numba switched off (``TNVERIFY_CHECKER_PURE`` set, or python-flint missing)?

    Any value but an empty one, ``0``, ``false``, ``no`` or ``off`` (any case, spaces around)
    switches them off: a value meant as "on" is never ignored.
    """
    value = os.environ.get("TNVERIFY_CHECKER_PURE", "").strip().lower()
    return flint is None or value not in ("", "0", "false", "no", "off")


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


#: A matrix with at least this fraction of zero entries is written into FLINT entry by entry.
SPARSE_ZEROS = 0.6


def _nmod_mat(m: int, n: int, flat: list, p: int):
    """The m x n ``nmod_mat`` of the integers ``flat`` (row-major, any sign and size) mod p.

    Dense: through ``fmpz_mat`` (about 140 ns an entry). At least :data:`SPARSE_ZEROS` zeros
    (Jacobians of CP points: 3R nonzeros a row): a zero ``nmod_mat`` and its nonzero entries
    written one by one (about 35 ns an entry and 200 ns a nonzero).
    """
    if not flat or flat.count(0) < SPARSE_ZEROS * len(flat):
        return flint.nmod_mat(flint.fmpz_mat(m, n, flat), p)
    M = flint.nmod_mat(m, n, p)
    for i in range(m):
        row = flat[i * n:(i + 1) * n]
        for j in [j for j, x in enumerate(row) if x]:
            M[i, j] = row[j]  # FLINT reduces any integer mod p
    return M


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


def first_dependent_subset(cols: list, k: int, p: int) -> tuple[tuple | None, str]:
    """The first linearly dependent set of at most k columns mod p, or None: (subset, engine).

    ``cols[c]`` is column c of an m x n matrix, reduced into [0, p); 1 <= k <= min(m, n). None
    means every k-subset of columns is independent mod p (Kruskal rank >= k). A dependent
    subset of size s <= k extends to a dependent k-subset. A matrix with more rows than
    columns is first cut to the r <= n rows of its echelon form (:func:`_echelon_columns`).
    Depth first over prefixes c_1 < ... < c_d, eliminating each prefix once: every subset of
    size s <= k is one candidate reduced at its (s-1)-prefix, so the cost is
    O(sum_{s <= k} C(n, s) (m - s + 1)) operations mod p.

    Engines: ``python`` (:func:`_first_dependent_python`), or the same search compiled by
    numba (``numba``, ``checker/compiled.py``, p < 2^31) unless :func:`pure_mode`. Loading the
    compiled kernel costs 0.3-0.7 s in a fresh process, so numba takes the search when the
    Python engine's work is above :data:`COMPILED_WORK`. The Python engine decides the last level by hashing,
    the kernel pair by pair (C(n, k) (m - k + 1) more operations), so numba is used only while
    its work is below :data:`COMPILED_SPEEDUP` times the Python engine's: for k = 2 and many
    columns (6000 x 200: 0.14 s in Python, 8 s compiled) the Python engine runs.
    """
    m = len(cols[0]) if cols else 0
    if type(k) is not int or not 1 <= k <= min(m, len(cols)):
        raise ValueError(f"first_dependent_subset: expected an integer 1 <= k <= min({m}, {len(cols)}), got {k!r}")
    if m > len(cols):  # row operations keep every column dependency: search the r <= n echelon rows
        cols = _echelon_columns(cols, p)
        m = len(cols[0])
        if m < k:  # rank r < k: any k columns are dependent
            return tuple(range(k)), "python"
    n = len(cols)
    level = [comb(n, s) * (m - s + 1) for s in range(1, k + 1)]  # the candidates reduced at each size
    python_work = n * m + sum(level[:-1])  # the last level is one hashed pass (:func:`_pairwise`)
    compiled_work = n * m + sum(level)
    if (not pure_mode() and p < 2**31 and python_work > COMPILED_WORK
            and compiled_work < COMPILED_SPEEDUP * python_work):
        compiled = _compiled()
        if compiled is not None:
            return compiled.first_dependent(cols, k, p), "numba"
    return _first_dependent_python(cols, k, p), "python"


def _echelon_columns(cols: list, p: int) -> list:
    """The columns of a row echelon form of the matrix with columns ``cols``, mod p, cut to its r nonzero rows.

    E = U A with U invertible mod p, so exactly the same sets of columns are dependent. r >= 1
    coordinates are kept (one zero row when A = 0). Cost O(m n r), by FLINT's ``rref`` above
    :data:`PURE_PYTHON_WORK` unless :func:`pure_mode`.
    """
    n, m = len(cols), len(cols[0])
    if _engine(m * n * n) == "flint":
        E, r = _nmod_mat(m, n, [cols[c][i] for i in range(m) for c in range(n)], p).rref()
        rows = [[int(x) for x in row] for row in E.tolist()[:max(r, 1)]]
    else:
        A = [[cols[c][i] % p for c in range(n)] for i in range(m)]
        r = _echelon_mod_p(A, p, False)[0]
        rows = A[:max(r, 1)]
    return [[row[c] for row in rows] for c in range(n)]


#: The module ``checker/compiled.py`` once :func:`_compiled` has loaded it (False: it cannot be loaded).
_COMPILED = None


def _compiled():
    """The module ``checker/compiled.py`` (loaded on first use), or None when it cannot be loaded.

    Any failure to load it (numba missing, or no writable place for numba's cache, which numba
    reports as a RuntimeError) leaves the Python engine in charge, for the rest of the process.
    """
    global _COMPILED
    if _COMPILED is None:
        try:
            from tnverify.checker import compiled
        except Exception:  # noqa: BLE001 - an accelerator that cannot load is simply not used
            _COMPILED = False
            return None
        _COMPILED = compiled
    return _COMPILED or None


def _first_dependent_python(cols: list, k: int, p: int):
    """First dependent column set (a tuple) among the subsets of size <= k that extend to a k-subset, or None.

    ``cols[c]`` is column c reduced mod p. Depth-first over prefixes c_1 < ... < c_d: every
    later column is kept reduced modulo the span of the prefix and compressed to the
    coordinates that are not pivots yet (fraction-free step ``y = b[r] x - x[r] b`` with b
    the reduced pivot column, b[r] != 0, then coordinate r dropped), so a subset is
    dependent iff its last column reduces to zero. The last two levels are one pass
    (:func:`_pairwise`): two nonzero reduced columns are dependent iff they are proportional.
    Subsets of size k are never stored. Cost: O(sum_{s <= k - 1} C(n, s) (m - s)) operations
    (the k-subsets are decided by their (k - 2)-prefixes, one hashed normal form per column).
    """
    for c, v in enumerate(cols):
        if not any(v):
            return (c,)
    if k == 1:
        return None
    return _extend((), list(enumerate(cols)), k, p)


def _extend(prefix: tuple, cand: list, k: int, p: int):
    """Children of the independent node ``prefix`` (its candidates ``cand`` are nonzero)."""
    d = len(prefix)
    if d + 2 == k:
        return _pairwise(prefix, cand, p)
    for t, (c, b) in enumerate(cand):
        if len(cand) - t - 1 < k - d - 1:
            break
        L = len(b)
        r = L - 1
        while b[r] == 0:
            r -= 1
        b0 = b[r]
        bp = b[:L - 1]
        if r != L - 1:
            bp[r] = b[L - 1]
        nxt = []
        for c2, x in cand[t + 1:]:
            f = x[r]
            if r != L - 1:  # move coordinate L-1 into the pivot slot r, drop it
                last = x[L - 1]
                x = x[:L - 1]
                x[r] = last
            if f == 0:
                nxt.append((c2, x[:L - 1]))
                continue
            y = [(b0 * xi - f * bi) % p for xi, bi in zip(x, bp)]
            if not any(y):
                return prefix + (c, c2)
            nxt.append((c2, y))
        bad = _extend(prefix + (c,), nxt, k, p)
        if bad is not None:
            return bad
    return None


def _pairwise(prefix: tuple, cand: list, p: int):
    """The last two levels at once: ``prefix + (c, c2)`` for the first dependent pair of ``cand``, or None.

    The candidates are nonzero vectors mod p (reduced modulo the span of ``prefix``), so
    ``prefix + (c, c2)`` is dependent iff c and c2 are proportional, that is, iff they have
    the same normal form (the vector divided by its first nonzero coordinate). One pass with
    a dictionary of normal forms: O(|cand| L) operations instead of O(|cand|^2 L) for the
    pairs.
    """
    seen = {}
    for c, x in cand:
        j = 0
        while x[j] == 0:
            j += 1
        inv = pow(x[j], -1, p)
        key = (j,) + tuple(xi * inv % p for xi in x[j + 1:])
        first = seen.setdefault(key, c)
        if first != c:
            return prefix + (first, c)
    return None



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
