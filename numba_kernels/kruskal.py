"""Kruskal rank (k-rank) of an integer matrix mod a prime p: the hot loop, in numba.

The k-rank of an ``I x R`` matrix ``A`` is the largest ``k`` such that EVERY set of ``k`` columns
is linearly independent (Kruskal 1977). This module decides it mod a prime ``p < 2**31``
(so a product of two residues fits in int64).

Modular soundness
-----------------
A column set independent mod p is independent over Q (a nonzero maximal minor mod p is nonzero
over Z); a set dependent mod p may be independent over Q. The k-rank computed here is therefore
a LOWER bound for the k-rank over Q, and when it is below the target the kernel returns the
dependent column set it found, so that the caller can confirm the dependency over Q (or retry
with another prime).

Algorithm
---------
The matrix is first replaced by its reduced row echelon form mod p (``r = rank_p(A)`` rows,
``E = U A`` with ``U`` invertible, so exactly the same column sets are dependent; tall matrices
shrink and many entries become 0). Then a depth-first enumeration of column subsets
``c_1 < c_2 < ... < c_d`` in lexicographic order with an incremental elimination: the work array
``V[d]`` holds every column ``c > c_d`` reduced modulo the span of the current prefix
``{c_1..c_d}``, *compressed* to ``r - d`` coordinates (row identities are irrelevant for rank).
Extending the prefix by ``c`` is one fraction-free rank-one step
``V[d+1][c'] = b[r0] V[d][c'] - V[d][c'][r0] b`` with ``b = V[d][c]`` and ``r0`` a nonzero
coordinate of ``b`` (coordinate ``r0`` becomes 0 and is dropped), on the ``r - d`` coordinates of
each later column ``c'``; no modular inverse, and backtracking just goes back to the level ``d``
array. A subset ``prefix + {c'}`` is dependent iff its compressed vector is zero, so every subset
costs ``O(r - d)`` modular operations instead of ``O(d r)``; children that will not be
expanded are only tested for zero (stopping at the first nonzero coordinate), not stored.

Every subset of size ``s`` is a node at depth ``s`` whose parent is its ``(s-1)``-prefix; so the
search keeps a bound ``allowed`` (initially the target ``K``), visits only nodes of size
``<= allowed`` and lowers ``allowed`` to ``s - 1`` as soon as a dependent ``s``-set is found
(only strictly smaller dependent sets matter from then on). At the end the smallest size ``s*``
of a dependent set has been found (a circuit of size ``s*`` has all its prefixes independent and
``allowed >= s* - 1`` throughout, so it is reached), hence k-rank = ``s* - 1`` (or ``K`` if none
was found). The children of a node are all tested before any is descended into (stopping at
the first dependent one), which finds a dependency of size ``d+1`` without exploring the
subtrees of its siblings; this also makes the first dependent set found of the final size the
lexicographically smallest one.

Parallelism: subsets of size ``< m`` (m = 3 for ``R <= 48``, 2 for ``R <= 600``, else 1; this
covers zero columns and parallel pairs) are checked serially first; then every ``m``-prefix
(subtree) is a task, claimed in lexicographic order from an atomic counter by the workers of
one ``prange`` loop (numba's own ``prange`` schedule is static and the subtrees are very
unbalanced: the first task of R = 24 holds ~7% of the work, the last ones a single subset). The
smallest dependent size found so far is published with an atomic min of ``size * n_tasks +
task``, so that other workers prune: a worker on task ``u`` only looks for sizes ``< s`` if the
best is held by an earlier task, ``<= s`` if by a later one. The result is deterministic:
``k_lower`` always, and the witness is the lexicographically smallest dependent set of the
minimal size (when no ``start_k`` lift happens), independent of thread timing: the winning
task is never pruned by the others. Only ``n_subsets_checked`` may vary from run to run when
dependencies are found.

Pruning: ``k <= rank_p(A)``, so the target is ``K = min(k_max, R, rank_p(A))``, and when the
search proves all ``K``-sets independent with ``K = rank_p(A) < min(k_max, R)``, the witness is
``{0, ..., K}`` (any ``K + 1`` columns are dependent mod p).

Budget: the number of subsets tested for a complete search up to size ``L`` is at most
``count_subsets(R, L) = sum_{j=1..L} C(R, j)`` (exactly that when nothing is dependent). With
``max_subsets >= 0`` the search target is lowered in advance to the largest ``L`` whose worst
case fits in the budget, so that a partial search never has to be thrown away (a DFS stopped
half-way proves nothing about any size >= 2) and ``n_subsets_checked <= max_subsets`` always
holds; if ``L`` is below the real target the status is ``NOT_CONVERGED`` with the proved bound
``L``.

Compilation: everything is compiled with ``cache=True``; pass C-contiguous int64 arrays (another
layout compiles a second specialisation of :func:`kruskal_search`).

Public API (all jitted; see the docstrings): :func:`kruskal_search`, :func:`count_subsets`,
:func:`n_choose_k`, :func:`rank_modp`, :func:`echelon_modp`. Status codes come from
:mod:`numba_kernels._jit`.
"""
import numpy as np
import numba
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._modarith import inv_mod, is_prime_small
from ._jit import BAD_INPUT, NOT_CONVERGED, OK, njit, pnjit

#: Saturation value of :func:`n_choose_k` / :func:`count_subsets` (no int64 overflow in sums).
SATURATED = 1 << 62
_BIG = np.int64(9223372036854775807)  # "no dependency found" code
#: Number of worker slots of the parallel phase (an upper bound on the threads used; numba's
#: thread count is not readable from cached code, and surplus workers cost nothing).
_NW = 64


# --------------------------------------------------------------------------------------------
# atomics (numba exposes none for CPU threads): fetch-add, min, load on an int64 array cell
# --------------------------------------------------------------------------------------------
def _cell_ptr(context, builder, arrty, aryv, idxv):
    ary = context.make_array(arrty)(context, builder, aryv)
    return cgutils.get_item_pointer(context, builder, arrty, ary, [idxv], wraparound=False)


@intrinsic
def _atomic_add(typingctx, arr, idx, val):
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.dtype == types.int64):
        return None
    sig = types.int64(arr, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        ptr = _cell_ptr(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", ptr, args[2], "seq_cst")

    return sig, codegen


@intrinsic
def _atomic_min(typingctx, arr, idx, val):
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.dtype == types.int64):
        return None
    sig = types.int64(arr, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        ptr = _cell_ptr(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("min", ptr, args[2], "seq_cst")

    return sig, codegen


@intrinsic
def _atomic_load(typingctx, arr, idx):
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.dtype == types.int64):
        return None
    sig = types.int64(arr, types.int64)

    def codegen(context, builder, signature, args):
        ptr = _cell_ptr(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "monotonic", 8)

    return sig, codegen


# --------------------------------------------------------------------------------------------
# small helpers (explicit loops: numpy conveniences multiply numba's compile time)
# --------------------------------------------------------------------------------------------
@njit
def _filled(n, val):
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = val
    return out


@njit
def _first_columns(n):
    """The column set {0, ..., n-1}."""
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = i
    return out


@njit
def _load_columns(V, A):
    """V[0][c, i] = A[i, c]: columns of A as contiguous rows."""
    I, R = A.shape
    for c in range(R):
        for i in range(I):
            V[0, c, i] = A[i, c]


@njit
def n_choose_k(n, k):
    """Binomial coefficient C(n, k) as int64; 0 if k < 0 or k > n. Saturates to
    ``SATURATED = 2**62`` (conservatively: from about ``2**62 / k`` on)."""
    if k < 0 or k > n:
        return np.int64(0)
    if k > n - k:
        k = n - k
    c = np.int64(1)
    for j in range(1, k + 1):
        num = np.int64(n - k + j)
        if c > SATURATED // num:
            return np.int64(SATURATED)
        c = c * num // j  # = C(n-k+j, j), exact
    return c


@njit
def count_subsets(R, k):
    """``sum_{j=1..min(k,R)} C(R, j)``: the worst-case number of subsets a k-rank search up to
    size ``k`` tests (int64, saturated at ``SATURATED = 2**62``)."""
    s = np.int64(0)
    for j in range(1, min(k, R) + 1):
        s += n_choose_k(R, j)
        if s >= SATURATED:
            return np.int64(SATURATED)
    return s


@njit
def echelon_modp(A_modp, p):
    """(r, E): the rank r of A mod p and its reduced row echelon form E (r x R, C order).

    E = U A for an invertible U, so a set of columns of E is dependent iff the same columns of A
    are (mod p): the k-rank search runs on E, which has only r rows and many zeros.
    """
    I, R = A_modp.shape
    M = A_modp.copy()
    r = 0
    for c in range(R):
        if r == I:
            break
        piv = -1
        for i in range(r, I):
            if M[i, c] != 0:
                piv = i
                break
        if piv < 0:
            continue
        if piv != r:
            for j in range(c, R):
                t = M[r, j]
                M[r, j] = M[piv, j]
                M[piv, j] = t
        inv = inv_mod(M[r, c], p)
        for j in range(c, R):
            M[r, j] = M[r, j] * inv % p
        for i in range(I):
            if i != r:
                f = M[i, c]
                if f != 0:
                    for j in range(c, R):
                        M[i, j] = (M[i, j] - f * M[r, j]) % p
        r += 1
    E = np.empty((r, R), np.int64)
    for i in range(r):
        for j in range(R):
            E[i, j] = M[i, j]
    return np.int64(r), E


@njit
def rank_modp(A_modp, p):
    """Rank of A (entries in [0, p), p prime < 2**31) by Gaussian elimination mod p."""
    return echelon_modp(A_modp, p)[0]


# --------------------------------------------------------------------------------------------
# the search
# --------------------------------------------------------------------------------------------
@njit(inline="always")
def _reduce(t, p, pinv):
    """t mod p for 0 <= t < 2 p**2 (quotient by float, off by at most one, then corrected)."""
    q = np.int64(np.float64(t) * pinv)
    r = t - q * p
    if r < 0:
        r += p
    elif r >= p:
        r -= p
    return r


@njit
def _scan0(V, R, I):
    """Root of the search: first zero column of V[0] (R x I), or -1."""
    for c in range(R):
        nz = np.int64(0)
        for i in range(I):
            nz |= V[0, c, i]
        if nz == 0:
            return c
    return -1


@njit
def _expand(V, d, piv, p, pinv, R, I, stop_at_zero, store):
    """Fill V[d][c] (c > piv) from V[d-1] by eliminating with pivot column ``piv``.

    V[d-1][c] is stored on its first L = I - (d-1) coordinates, V[d][c] on L - 1: with r0 the
    last nonzero coordinate of b = V[d-1][piv], the fraction-free step
    ``y = b[r0] x - x[r0] b`` kills coordinate r0 (then coordinate L-1 is moved into slot r0).
    Same span, no modular inverse. Returns the first column c > piv whose new vector is zero
    (i.e. prefix + {piv, c} is dependent), or -1; with ``stop_at_zero`` it stops there (the
    columns after c are then not filled). Without ``store`` the new vectors are only tested for
    zero (stopping at their first nonzero coordinate) and V[d] is not written: for children that
    will not be expanded. V[d-1][piv] must be nonzero.
    """
    L = I - (d - 1)
    last = L - 1
    r0 = last
    while V[d - 1, piv, r0] == 0:
        r0 -= 1
    b0 = V[d - 1, piv, r0]
    pp = p * p
    first_zero = -1
    for c in range(piv + 1, R):
        f = V[d - 1, c, r0]
        nz = np.int64(0)
        if not store:
            if f == 0:
                for i in range(L):
                    if V[d - 1, c, i] != 0:
                        nz = 1
                        break
            else:
                for i in range(L):
                    if _reduce(b0 * V[d - 1, c, i] + (pp - f * V[d - 1, piv, i]), p, pinv) != 0:
                        nz = 1
                        break
            if nz == 0 and first_zero < 0:
                first_zero = c
                if stop_at_zero:
                    return c
            continue
        if f == 0:
            for i in range(L):
                v = V[d - 1, c, i]
                V[d, c, i] = v
                nz |= v
        else:
            for i in range(L):
                v = _reduce(b0 * V[d - 1, c, i] + (pp - f * V[d - 1, piv, i]), p, pinv)
                V[d, c, i] = v
                nz |= v
        if r0 < last:
            V[d, c, r0] = V[d, c, last]
        if nz == 0 and first_zero < 0:
            first_zero = c
            if stop_at_zero:
                return c
    return first_zero


@njit
def _allowed(Kp, loc_best, h, u, NT):
    """Largest effective size still worth searching for in task u, given the shared best h."""
    a = min(Kp, loc_best - 1)
    if h != _BIG:
        sg = h // NT
        tg = h - sg * NT
        lim = sg - 1 if tg <= u else sg
        if lim < a:
            a = lim
    return a


@njit
def _dfs(V, path, cur, d0, maxdepth, Kp, s0, p, pinv, R, I, hint, u, NT, loc_best, wit):
    """Search the subtree of the independent node path[0:d0] (V[0..d0-1] valid).

    Visits nodes of size <= maxdepth whose effective size max(size, s0) is <= the allowed
    bound. Returns (loc_best, raw_size, count): the best effective dependent size found (unchanged
    if none), the raw size of the witness written to ``wit`` (0 if none), subsets tested.
    """
    count = np.int64(0)
    raw = np.int64(0)
    h_last = _atomic_load(hint, 0)
    allowed = _allowed(Kp, loc_best, h_last, u, NT)
    if d0 + 1 > maxdepth or max(d0 + 1, s0) > allowed:
        return loc_best, raw, count
    last = path[d0 - 1] if d0 > 0 else -1
    if last >= R - 1:
        return loc_best, raw, count
    if d0 == 0:
        z = _scan0(V, R, I)
        count += R
    else:
        store = d0 + 2 <= maxdepth and max(d0 + 2, s0) <= allowed
        z = _expand(V, d0, last, p, pinv, R, I, True, store)
        count += (z - last) if z >= 0 else (R - 1 - last)
    if z >= 0:
        for i in range(d0):
            wit[i] = path[i]
        wit[d0] = z
        raw = d0 + 1
        loc_best = max(d0 + 1, s0)
        _atomic_min(hint, 0, loc_best * NT + u)
        return loc_best, raw, count
    d = d0
    cur[d] = last + 1
    while True:
        c = cur[d]
        if c >= R:
            if d == d0:
                break
            d -= 1
            continue
        h = _atomic_load(hint, 0)
        if h != h_last:
            h_last = h
            allowed = _allowed(Kp, loc_best, h, u, NT)
        if d + 2 > maxdepth or max(d + 2, s0) > allowed:
            if d == d0:
                break
            d -= 1
            continue
        cur[d] = c + 1
        if c == R - 1:
            continue
        path[d] = c
        store = d + 3 <= maxdepth and max(d + 3, s0) <= allowed
        z = _expand(V, d + 1, c, p, pinv, R, I, True, store)
        count += (z - c) if z >= 0 else (R - 1 - c)
        if z >= 0:
            eff = max(d + 2, s0)
            if eff < loc_best:
                loc_best = eff
                for i in range(d + 1):
                    wit[i] = path[i]
                wit[d + 1] = z
                raw = d + 2
                allowed = _allowed(Kp, loc_best, h_last, u, NT)
                _atomic_min(hint, 0, eff * NT + u)
            continue
        d += 1
        cur[d] = c + 1
    return loc_best, raw, count


@njit
def _worker(w, A, tasks, m, Kp, s0, p, pinv, R, I, hint, counter,
            best_code, best_raw, best_wit, counts):
    """One worker: claim m-prefix tasks in lexicographic order until none is left.

    The workspace is allocated at the first successful claim, so surplus workers cost nothing.
    """
    NT = tasks.shape[0]
    V = np.empty((0, 0, 0), np.int64)
    path = np.empty(0, np.int64)
    cur = np.empty(0, np.int64)
    wit = np.empty(0, np.int64)
    pref = _filled(m, -1)
    valid = 0  # levels V[1..valid] are valid for pref[0:valid]
    my_code = _BIG
    my_raw = np.int64(0)
    cnt = np.int64(0)
    while True:
        t = _atomic_add(counter, 0, 1)
        if t >= NT:
            break
        if V.shape[0] == 0:
            V = np.empty((Kp + 1, R, I), np.int64)
            _load_columns(V, A)
            path = np.empty(Kp + 2, np.int64)
            cur = np.empty(Kp + 2, np.int64)
            wit = np.empty(Kp + 2, np.int64)
        h = _atomic_load(hint, 0)
        if max(m, s0) > _allowed(Kp, _BIG, h, t, NT):
            continue  # nothing smaller than the known best can be in this task
        # prefix levels V[1..m-1], reusing those shared with the previous task
        j = 0
        while j < valid and pref[j] == tasks[t, j]:
            j += 1
        for i in range(m):
            pref[i] = tasks[t, i]
            path[i] = tasks[t, i]
        for lvl in range(j + 1, m):
            _expand(V, lvl, pref[lvl - 1], p, pinv, R, I, False, True)
        valid = m - 1
        # the task node itself: is V[m-1][c_m] zero?
        cm = tasks[t, m - 1]
        L = I - (m - 1)
        nz = np.int64(0)
        for i in range(L):
            nz |= V[m - 1, cm, i]
        cnt += 1
        if nz == 0:
            eff = max(m, s0)
            code = eff * NT + t
            if code < my_code:
                my_code = code
                my_raw = m
                for i in range(m):
                    best_wit[w, i] = tasks[t, i]
            _atomic_min(hint, 0, code)
            continue
        lb, raw, c2 = _dfs(V, path, cur, m, Kp, Kp, s0, p, pinv, R, I, hint, t, NT,
                           _BIG, wit)
        cnt += c2
        if raw > 0:
            code = lb * NT + t
            if code < my_code:
                my_code = code
                my_raw = raw
                for i in range(raw):
                    best_wit[w, i] = wit[i]
    best_code[w] = my_code
    best_raw[w] = my_raw
    counts[w] = cnt


@njit
def _make_tasks(R, m):
    """All m-subsets of range(R) in lexicographic order (NT x m)."""
    NT = n_choose_k(R, m)
    out = np.empty((NT, m), np.int64)
    comb = _first_columns(m)
    for t in range(NT):
        for i in range(m):
            out[t, i] = comb[i]
        i = m - 1
        while i >= 0 and comb[i] == R - m + i:
            i -= 1
        if i < 0:
            break
        comb[i] += 1
        for j in range(i + 1, m):
            comb[j] = comb[j - 1] + 1
    return out


@njit
def _witness(raw_wit, raw, size, R):
    """Sorted witness of ``size`` columns: the raw dependent set padded with the smallest others."""
    out = np.empty(size, np.int64)
    used = _filled(R, 0)
    for i in range(raw):
        out[i] = raw_wit[i]
        used[raw_wit[i]] = 1
    k = raw
    c = 0
    while k < size:
        if used[c] == 0:
            out[k] = c
            used[c] = 1
            k += 1
        c += 1
    for i in range(1, size):  # insertion sort (size is small)
        x = out[i]
        j = i - 1
        while j >= 0 and out[j] > x:
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = x
    return out


@pnjit
def _run_workers(A, tasks, m, Kp, s0, p, pinv, R, I, hint, counter, best_code, best_raw,
                 best_wit, counts):
    """The only parallel region: best_code.size workers drain the task queue."""
    for w in numba.prange(best_code.size):
        _worker(w, A, tasks, m, Kp, s0, p, pinv, R, I, hint, counter, best_code, best_raw,
                best_wit, counts)


@njit
def kruskal_search(A_modp, p, k_max, start_k, max_subsets):
    """Kruskal rank of A mod p, up to ``k_max``, by an incremental-elimination DFS.

    Parameters
    ----------
    A_modp : int64[:, :] (I x R), entries already reduced to ``[0, p)``.
    p : int64 prime, ``2 <= p < 2**31``.
    k_max : int64 >= 0, the largest k of interest (values above R are clamped to R).
    start_k : int64, a lower bound the caller already holds (e.g. proved over Q with another
        prime): the result is never below ``min(start_k, k_max, R)``. A set of at most
        ``start_k`` columns that happens to be dependent mod p is reported padded to
        ``start_k + 1`` columns. Use 0 for no prior knowledge.
    max_subsets : int64 budget of subset tests; negative means unlimited.

    Returns
    -------
    (k_lower, dep_subset, n_subsets_checked, status)
    k_lower : int64. With status OK: ``max(min(start_k, k_max, R), min(k_max, R, k-rank of A
        mod p))``. Every set of at most k_lower columns is independent mod p, hence over Q
        (except for sets of size <= start_k, which the caller vouched for). With NOT_CONVERGED:
        the bound proved within the budget (same meaning), below ``min(k_max, R, rank_p(A))``.
    dep_subset : int64[:] sorted column indices. Length ``k_lower + 1``, a set of columns that is
        linearly dependent mod p, iff status is OK and ``k_lower < min(k_max, R)``; otherwise
        length 0. Deterministic: when ``start_k <= k-rank mod p`` (always with start_k = 0) it
        is the lexicographically smallest dependent set of size ``k_lower + 1``; with a lift it
        is a dependent set of at most start_k columns padded with the smallest other columns.
        Confirm it over Q before concluding that the k-rank over Q is k_lower.
    n_subsets_checked : int64, number of column subsets whose (in)dependence was decided: at
        most ``count_subsets(R, min(k_max, R))``, exactly ``count_subsets(R, k_lower)`` when no
        dependent set was met, and at most ``max_subsets`` when that is not negative. May vary
        between runs (threads) when dependencies are found.
    status : int64, OK; NOT_CONVERGED (the worst-case cost of the next size did not fit in
        ``max_subsets``; ``k_lower`` is still proved); BAD_INPUT (p not a prime in [2, 2**31),
        k_max < 0, or an entry outside [0, p)): then ``k_lower = 0`` and nothing is proved.
        SINGULAR is never returned.
    """
    empty = np.empty(0, np.int64)
    I, R = A_modp.shape
    if p < 2 or p >= 2147483648 or k_max < 0 or not is_prime_small(p):
        return np.int64(0), empty, np.int64(0), np.int64(BAD_INPUT)
    for i in range(I):
        for c in range(R):
            if A_modp[i, c] < 0 or A_modp[i, c] >= p:
                return np.int64(0), empty, np.int64(0), np.int64(BAD_INPUT)
    km = min(k_max, np.int64(R))
    sk = min(max(start_k, np.int64(0)), km)
    rk, E = echelon_modp(A_modp, p)
    I = rk  # search on the r x R echelon form: same column matroid
    K = min(km, rk)
    if sk >= K:
        # nothing to search: k_lower = sk; if sk < km then sk >= rank, so any sk+1 columns
        # are dependent mod p
        if sk < km:
            return sk, _first_columns(sk + 1), np.int64(0), np.int64(OK)
        return sk, empty, np.int64(0), np.int64(OK)
    # budget: the largest target whose worst case fits
    Kp = K
    if max_subsets >= 0:
        Kp = sk
        for L in range(sk + 1, K + 1):
            if count_subsets(R, L) <= max_subsets:
                Kp = L
            else:
                break
        if Kp == sk:
            return sk, empty, np.int64(0), np.int64(NOT_CONVERGED)
    s0 = sk + 1  # smallest effective dependent size that can change the answer
    pinv = 1.0 / np.float64(p)

    m = 3 if R <= 48 else (2 if R <= 600 else 1)

    # 1) serial: every subset of size < m (zero columns, parallel pairs, ...)
    D = min(m - 1, Kp)
    V = np.empty((D + 1, R, I), np.int64)
    _load_columns(V, E)
    path = np.empty(D + 2, np.int64)
    cur = np.empty(D + 2, np.int64)
    wit = np.empty(D + 2, np.int64)
    dummy = _filled(1, _BIG)
    lb, raw, n0 = _dfs(V, path, cur, 0, D, Kp, s0, p, pinv, R, I, dummy, 0, 1, _BIG, wit)
    if raw > 0:
        return lb - 1, _witness(wit, raw, lb, R), n0, np.int64(OK)

    # 2) parallel: every m-prefix is a task, claimed from an atomic counter by NW workers
    # (numba's prange schedule is static; surplus workers find the queue empty and return)
    total = n0
    nw = _NW if Kp >= m else 1
    best_code = _filled(nw, _BIG)
    best_raw = _filled(nw, 0)
    best_wit = np.empty((nw, Kp + 2), np.int64)
    NT = np.int64(1)
    if Kp >= m:
        tasks = _make_tasks(R, m)
        NT = tasks.shape[0]
        hint = _filled(1, _BIG)
        counter = _filled(1, 0)
        counts = _filled(nw, 0)
        _run_workers(E, tasks, m, Kp, s0, p, pinv, R, I, hint, counter, best_code, best_raw,
                     best_wit, counts)
        for w in range(nw):
            total += counts[w]
    bw = 0
    for w in range(1, nw):
        if best_code[w] < best_code[bw]:
            bw = w
    if best_code[bw] != _BIG:
        eff = best_code[bw] // NT
        return eff - 1, _witness(best_wit[bw], best_raw[bw], eff, R), total, np.int64(OK)
    if Kp < K:
        return Kp, empty, total, np.int64(NOT_CONVERGED)
    if K < km:  # K = rank mod p: any K+1 columns are dependent
        return K, _first_columns(K + 1), total, np.int64(OK)
    return K, empty, total, np.int64(OK)
