"""The checker's compiled engine: its own numba kernel for the exhaustive k-subset test.

Imported only by :mod:`tnverify.checker.linalg`, and only when a search is large enough and
pure mode is off (:func:`tnverify.checker.linalg.first_dependent_subset` says when). It is written for the
checker, independently of ``numba_kernels`` (which the prover uses), and it implements the
same algorithm as the pure-Python engine ``linalg._first_dependent_python``: the corpus tests
run both engines, and a property test compares them with brute force (docs/certificates.md,
"The linear-algebra gate and ``TNVERIFY_CHECKER_PURE``").

The compiled code is cached on disk by numba (``cache=True``): the first call on a machine
compiles it (about a second), later processes load it (0.3-0.7 s).
"""
from __future__ import annotations

import numba
import numpy as np

#: Largest modulus: b0 x - f b with entries below p fits in int64 when p < 2^31.
MAX_MODULUS = 2**31


@numba.njit(cache=True)
def _first_dependent(cols, k, p):  # pragma: no cover - compiled; its Python twin is tested beside it
    n, m = cols.shape
    vec = np.empty((k, n, m), np.int64)  # vec[d, t]: candidate t reduced modulo the span of the d-prefix
    ids = np.empty((k, n), np.int64)
    cnt = np.zeros(k, np.int64)
    pos = np.zeros(k, np.int64)
    prefix = np.empty(k, np.int64)
    none = np.empty(0, np.int64)
    for c in range(n):
        nonzero = False
        for i in range(m):
            vec[0, c, i] = cols[c, i]
            if cols[c, i] != 0:
                nonzero = True
        if not nonzero:
            out = np.empty(1, np.int64)
            out[0] = c
            return out
        ids[0, c] = c
    if k == 1:
        return none
    cnt[0] = n
    d = 0
    while d >= 0:
        t = pos[d]
        if t >= cnt[d] or cnt[d] - t - 1 < k - d - 1:  # too few candidates left to reach size k
            d -= 1
            if d >= 0:
                pos[d] += 1
            continue
        L = m - d
        r = L - 1
        while vec[d, t, r] == 0:
            r -= 1
        b0 = vec[d, t, r]
        prefix[d] = ids[d, t]
        j = 0
        for t2 in range(t + 1, cnt[d]):
            f = vec[d, t2, r]
            zero = True
            for i in range(L - 1):  # coordinate r is eliminated; coordinate L - 1 moves into its slot
                src = L - 1 if i == r else i
                y = (b0 * vec[d, t2, src] - f * vec[d, t, src]) % p
                vec[d + 1, j, i] = y
                if y != 0:
                    zero = False
            if zero:
                out = np.empty(d + 2, np.int64)
                out[:d + 1] = prefix[:d + 1]
                out[d + 1] = ids[d, t2]
                return out
            ids[d + 1, j] = ids[d, t2]
            j += 1
        cnt[d + 1] = j
        if d + 2 == k:  # the k-subsets through this (k - 1)-prefix are all independent
            pos[d] += 1
        else:
            d += 1
            pos[d] = 0
    return none


def first_dependent(cols: list, k: int, p: int):
    """First dependent column set (a tuple) of size <= k, or None; ``cols[c]`` is column c in [0, p).

    Depth first over prefixes c_1 < ... < c_d, every later column kept reduced modulo the span
    of the prefix (fraction-free step ``y = b[r] x - x[r] b``, then coordinate r dropped), so a
    subset is dependent iff its last column reduces to zero. Cost O(sum_{s <= k} C(n, s) (m - s + 1))
    operations on int64; needs p < :data:`MAX_MODULUS`.
    """
    m = len(cols[0]) if cols else 0
    if type(k) is not int or not 1 <= k <= min(m, len(cols)) or p >= MAX_MODULUS:
        raise ValueError(f"first_dependent: expected an integer 1 <= k <= min({m}, {len(cols)}) and p < 2^31, "
                         f"got k = {k!r}, p = {p}")
    bad = _first_dependent(np.array(cols, dtype=np.int64), k, p)
    return tuple(int(c) for c in bad) if len(bad) else None
