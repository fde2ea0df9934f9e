"""Rules about the rank of a matrix object, or of a flattening of a tensor object.

A matrix reference ``REF`` is ``{"object": NAME}`` (a matrix) or ``{"object": NAME, "rows":
[modes]}`` (the flattening of a tensor: rows = C order over ``rows``, columns = C order over the
other modes). Subjects are ``{"matrix": REF, "field": "Q" | "GF(p)"}``; a GF(p) fact needs a
matrix whose entries are all integers, so that "M mod p" is defined.
"""
from __future__ import annotations

from math import prod
from operator import mul

from tnverify.checker.families.matrices import (
    full_matrix, is_integer_matrix, is_integer_object, matrix_ref, matrix_shape, submatrix,
)
from tnverify.checker.kernel import (
    STEPLESS, CheckFailure, Malformed, check_minor, clear_rows, field, int_list, integer, minor_hint, num, prime,
    rank_mod, rule, show,
)


def _subject(ref: dict, fld: str) -> dict:
    return {"matrix": ref, "field": fld}


def _shape_bound(ctx, kind: str, subject: dict, value) -> bool:
    """``rank-at-most`` min(m, n) of a matrix (over Q, or GF(p) for integer entries) needs no step."""
    if kind != "rank-at-most" or set(subject) != {"matrix", "field"}:
        return False
    try:  # only for a well-formed subject
        m, n = matrix_shape(ctx, subject["matrix"], "conclusion")
        fld = subject["field"]
        if fld != "Q":
            if not (isinstance(fld, str) and fld.startswith("GF(") and fld.endswith(")")):
                raise Malformed(f"expected the field Q or GF(p), got {show(fld)}")
            if fld != f"GF({prime(fld[3:-1], 'conclusion.field')})":
                raise Malformed(f"expected the field written GF(p), got {show(fld)}")
            if not is_integer_object(ctx, subject["matrix"], "conclusion"):
                raise Malformed("a GF(p) fact needs a matrix with integer entries")
        return value >= min(m, n)
    except (Malformed, CheckFailure):
        return False


STEPLESS.append(_shape_bound)


@rule("rank-at-least")
def rank_at_least(step: dict, ctx) -> list:
    """``rank-at-least``: a hinted r x r submatrix is nonsingular, so the rank is at least r.

    Step ``{"matrix": REF, "rank": r, "minor": {"rows": [...], "cols": [...]}, "modulus": p | null}``.
    The checker takes the submatrix of its own parse of the object and hands it to
    :func:`~tnverify.checker.kernel.check_minor` (det != 0 mod p, or over Z when ``modulus``
    is null). A nonsingular r x r submatrix makes r rows independent: rank >= r over Q, and,
    mod p, over GF(p) for an integer matrix (a minor nonzero mod p is a nonzero integer;
    docs/mathematics.md, section 1). Facts: ``rank-at-least`` r (Q; GF(p)). Cost: one r x r
    determinant, O(r^3).
    """
    ref = matrix_ref(field(step, "matrix", "step"), "step.matrix")
    m, n = matrix_shape(ctx, ref, "step.matrix")
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    rows, cols = minor_hint(step, m, n, r)
    if r == 0:
        return [("rank-at-least", _subject(ref, "Q"), 0)]
    p = step.get("modulus")
    if p is not None:
        p = prime(p, "step.modulus")
    check_minor(submatrix(ctx, ref, rows, cols, "step.minor"), r, p, f"at rows {_short(rows)}, cols {_short(cols)}")
    facts = [("rank-at-least", _subject(ref, "Q"), r)]
    if p is None:
        return facts
    if is_integer_object(ctx, ref, "step.matrix"):  # "M mod p" needs every entry integral
        facts.append(("rank-at-least", _subject(ref, f"GF({p})"), r))
    return facts


def _short(xs, k=6):
    xs = list(xs)
    return "[" + ", ".join(map(str, xs[:k])) + (", ..." if len(xs) > k else "") + "]"


@rule("rank-at-most")
def rank_at_most(step: dict, ctx) -> list:
    """``rank-at-most``: ``{"matrix": REF, "rank": r, "method": METHOD, ...}``; fact ``rank-at-most``.

    ``shape``: r >= min(m, n), as no matrix has more independent rows or columns.
    ``kernel``, ``factorization``, ``modular``: see :func:`_kernel`, :func:`_factorization`,
    :func:`_modular` (docs/mathematics.md, section 2.1).
    """
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
    """``"kernel": [v_1..v_k], "support": [c_1..c_k], "modulus": p | null``: rank <= n - k.

    Checks M v_i = 0 (over Q, or mod p) and that the vectors restricted to the support
    coordinates form a diagonal block with nonzero (mod p) diagonal: they are independent, so
    the kernel has dimension >= k and the rank is <= n - k.
    """
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
    """``"left": U (m x r), "right": V (r x n)``: M == U V exactly, so rank M <= rank U <= r (over Q)."""
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
    """``"primes": [p_1..p_k]``: rank(M mod p_i) <= r for distinct primes (row-cleared M).

    Facts over each GF(p_i) (integer matrices only). Over Q: every (r+1)-minor D is divisible
    by every p_i, and when (prod p_i)^2 exceeds the product of the r+1 largest squared row (or
    column) norms, |D| < prod p_i by Hadamard's inequality, so D = 0 and rank M <= r
    (docs/mathematics.md, section 2.1). Cost: one rank mod p_i per prime, O(m n min(m, n)).
    """
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
        rp = rank_mod(Mi, p)
        if rp > r:
            raise CheckFailure(f"rank mod {p} is {rp}, more than the claimed {r}")
        if integral:
            facts.append(("rank-at-most", _subject(ref, f"GF({p})"), r))
    if r >= min(m, n):
        facts.append(("rank-at-most", _subject(ref, "Q"), r))
        return facts
    P2 = prod(p * p for p in ps)
    row_sq = sorted((sum(map(mul, row, row)) for row in Mi), reverse=True)[: r + 1]
    col_sq = sorted((sum(map(mul, col, col)) for col in zip(*Mi)), reverse=True)[: r + 1]
    H2 = min(prod(row_sq), prod(col_sq))
    if P2 > H2:
        facts.append(("rank-at-most", _subject(ref, "Q"), r))
    elif step.get("field", "Q") == "Q":
        raise CheckFailure(
            f"the primes' product ({P2.bit_length() // 2} bits) does not exceed the Hadamard bound "
            f"of the ({r + 1})-minors ({H2.bit_length() // 2} bits); the bound holds only over GF(p)"
        )
    return facts
