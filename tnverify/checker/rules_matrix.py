"""Rules about ranks of matrices and flattenings.

``rank-at-least``
    ``{"matrix": REF, "rank": r, "minor": {"rows": [...], "cols": [...]}, "modulus": p | null}``.
    Rebuilds the r x r minor, clears row denominators, checks det != 0 (mod p, or
    over Z when ``modulus`` is null). Facts: rank-at-least r over Q; over GF(p) too
    when the matrix is an integer matrix.
``rank-at-most``, ``method`` one of

    ``kernel``: ``"kernel": [v_1..v_k], "support": [c_1..c_k], "modulus": p | null``.
    Checks M v_i = 0 (over Q, or mod p), and that the k x k block of the vectors at
    the support coordinates is diagonal with nonzero (mod p) diagonal, so the
    vectors are independent: rank <= n - k.

    ``factorization``: ``"left": U (m x r), "right": V (r x n)``; checks M == U V
    over Q: rank <= r.

    ``modular``: ``"primes": [p_1..p_k]``. Checks each p_i is prime and distinct,
    and rank(M mod p_i) <= r: facts over each GF(p_i). If moreover
    (prod p_i)^2 > product of the r+1 largest squared row norms (or column norms)
    of the row-cleared integer matrix, every (r+1)-minor D has |D| < prod p_i
    (Hadamard) and is divisible by every p_i, so D = 0: fact over Q.
"""
from __future__ import annotations

from tnverify.checker.kernel import (
    CheckFailure, Malformed, clear_rows, field, full_matrix, int_list, integer, is_integer_matrix,
    is_integer_object, matrix_ref, matrix_shape, num, prime, prod, rule, submatrix,
)
from tnverify.checker.linalg import det_int, det_mod_p, rank_mod_p


def _subject(ref: dict, fld: str) -> dict:
    return {"matrix": ref, "field": fld}


@rule("rank-at-least")
def rank_at_least(step: dict, ctx) -> list:
    ref = matrix_ref(field(step, "matrix", "step"), "step.matrix")
    m, n = matrix_shape(ctx, ref, "step.matrix")
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    minor = field(step, "minor", "step", dict)
    rows = int_list(field(minor, "rows", "step.minor"), "step.minor.rows", 0, m - 1)
    cols = int_list(field(minor, "cols", "step.minor"), "step.minor.cols", 0, n - 1)
    if len(rows) != r or len(cols) != r:
        raise Malformed(f"step.minor: expected {r} rows and {r} columns, got {len(rows)} and {len(cols)}")
    if r == 0:
        return [("rank-at-least", _subject(ref, "Q"), 0)]
    p = step.get("modulus")
    B = clear_rows(submatrix(ctx, ref, rows, cols, "step.minor"))
    if p is None:
        d = det_int(B)
        if d == 0:
            raise CheckFailure(f"the {r} x {r} minor at rows {_short(rows)}, cols {_short(cols)} is singular over Z")
        return [("rank-at-least", _subject(ref, "Q"), r)]
    p = prime(p, "step.modulus")
    d = det_mod_p(B, p)
    if d == 0:
        raise CheckFailure(
            f"the {r} x {r} minor at rows {_short(rows)}, cols {_short(cols)} has determinant 0 mod {p}"
        )
    facts = [("rank-at-least", _subject(ref, "Q"), r)]
    if is_integer_object(ctx, ref, "step.matrix"):  # "M mod p" needs every entry integral
        facts.append(("rank-at-least", _subject(ref, f"GF({p})"), r))
    return facts


def _short(xs, k=6):
    xs = list(xs)
    return "[" + ", ".join(map(str, xs[:k])) + (", ..." if len(xs) > k else "") + "]"


@rule("rank-at-most")
def rank_at_most(step: dict, ctx) -> list:
    ref = matrix_ref(field(step, "matrix", "step"), "step.matrix")
    m, n = matrix_shape(ctx, ref, "step.matrix")
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    method = field(step, "method", "step", str)
    if method == "shape":
        if r < min(m, n):
            raise CheckFailure(f"the shape {m} x {n} bounds the rank by {min(m, n)}, not by {r}")
        return [("rank-at-most", _subject(ref, "Q"), r)]
    if method == "kernel":
        return _kernel(step, ctx, ref, m, n, r)
    if method == "factorization":
        return _factorization(step, ctx, ref, m, n, r)
    if method == "modular":
        return _modular(step, ctx, ref, m, n, r)
    raise Malformed(f"step.method: expected shape, kernel, factorization or modular, got {method!r}")


def _kernel(step, ctx, ref, m, n, r):
    vecs = field(step, "kernel", "step", list)
    support = int_list(field(step, "support", "step"), "step.support", 0, n - 1)
    k = len(vecs)
    if len(support) != k:
        raise Malformed(f"step.support: expected {k} coordinates (one per kernel vector), got {len(support)}")
    if r < n - k:
        raise CheckFailure(f"{k} kernel vectors bound the rank by {n - k}, not by {r}")
    p = step.get("modulus")
    if p is not None:
        p = prime(p, "step.modulus")
    V = []
    for t, v in enumerate(vecs):
        if not isinstance(v, list) or len(v) != n:
            raise Malformed(f"step.kernel[{t}]: expected a vector of length {n}")
        V.append([num(x, f"step.kernel[{t}]") for x in v])
    if m * n * k > 50_000_000:
        raise Malformed(f"step.kernel: {m} x {n} times {k} vectors exceeds the checker limit")
    M = full_matrix(ctx, ref, "step.matrix")
    if p is not None:
        if not is_integer_matrix(M) or not is_integer_matrix(V):
            raise Malformed("step: a kernel mod p needs integer matrix and vector entries")
    for a, ca in enumerate(support):
        for b in range(k):
            x = V[b][ca]
            nz = (x % p != 0) if p is not None else (x != 0)
            if (a == b) != nz:
                raise CheckFailure(
                    f"kernel vectors are not diagonal on the support: vector {b} at coordinate {ca} is {x}"
                )
    for t, v in enumerate(V):
        for i, row in enumerate(M):
            s = sum(a * b for a, b in zip(row, v) if b)
            if (s % p if p is not None else s) != 0:
                raise CheckFailure(f"kernel vector {t} is not in the kernel: row {i} of M times it is {s}"
                                   + (f" (mod {p}: {s % p})" if p is not None else ""))
    fld = f"GF({p})" if p is not None else "Q"
    return [("rank-at-most", _subject(ref, fld), n - k)]


def _factorization(step, ctx, ref, m, n, r):
    U = _mat(field(step, "left", "step", list), m, r, "step.left")
    V = _mat(field(step, "right", "step", list), r, n, "step.right")
    M = full_matrix(ctx, ref, "step.matrix")
    for i in range(m):
        for j in range(n):
            s = sum(U[i][t] * V[t][j] for t in range(r))
            if s != M[i][j]:
                raise CheckFailure(f"(U V)[{i}][{j}] = {s} differs from M[{i}][{j}] = {M[i][j]}")
    return [("rank-at-most", _subject(ref, "Q"), r)]


def _mat(rows, m, n, where):
    if len(rows) != m or any(not isinstance(row, list) or len(row) != n for row in rows):
        raise Malformed(f"{where}: expected a {m} x {n} matrix")
    return [[num(x, where) for x in row] for row in rows]


def _modular(step, ctx, ref, m, n, r):
    primes = field(step, "primes", "step", list)
    if not primes:
        raise Malformed("step.primes: expected at least one prime")
    ps = [prime(p, f"step.primes[{i}]") for i, p in enumerate(primes)]
    if len(set(ps)) != len(ps):
        raise Malformed("step.primes: expected distinct primes")
    M = full_matrix(ctx, ref, "step.matrix")
    integral = is_integer_matrix(M)
    Mi = clear_rows(M)
    facts = []
    for p in ps:
        rp = rank_mod_p(Mi, p)
        if rp > r:
            raise CheckFailure(f"rank mod {p} is {rp}, more than the claimed {r}")
        if integral:
            facts.append(("rank-at-most", _subject(ref, f"GF({p})"), r))
    if r >= min(m, n):
        facts.append(("rank-at-most", _subject(ref, "Q"), r))
        return facts
    P2 = prod(p * p for p in ps)
    row_sq = sorted((sum(x * x for x in row) for row in Mi), reverse=True)[: r + 1]
    col_sq = sorted((sum(Mi[i][j] ** 2 for i in range(m)) for j in range(n)), reverse=True)[: r + 1]
    H2 = min(prod(row_sq), prod(col_sq))
    if P2 > H2:
        facts.append(("rank-at-most", _subject(ref, "Q"), r))
    elif step.get("field", "Q") == "Q":
        raise CheckFailure(
            f"the primes' product ({P2.bit_length() // 2} bits) does not exceed the Hadamard bound "
            f"of the ({r + 1})-minors ({H2.bit_length() // 2} bits); the bound holds only over GF(p)"
        )
    return facts
