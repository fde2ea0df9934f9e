"""Rules about Kruskal ranks, CP uniqueness and identifiability of 2-layer polynomial networks.

Subjects: ``{"matrix": REF, "field": "Q" | "GF(p)"}`` for Kruskal ranks (REF as in
rules_matrix), ``{"factors": [REF, ...], "field": "C"}`` for a CP decomposition given by
its factor matrices, ``{"tensor": NAME, "field": F}`` for a tensor object.

Rules: ``kruskal-rank-at-least``, ``kruskal-rank-at-most``, ``kruskal-uniqueness``,
``compound-uniqueness`` (its minor goes to ``check_minor``), ``jiang-sidiropoulos`` (U_2), ``pnn-identifiable``,
``parameter-count-not-identifiable``; each function's docstring says what it checks and why
that proves its fact.

The generic facts of ``kruskal-uniqueness`` / ``compound-uniqueness`` (``generic-cp-unique``
for the format, rank and symmetry) hold because every condition used is Zariski open in
the factors and holds at the given integer point, which makes the open set nonempty.
"""
from __future__ import annotations

import itertools
from math import comb, prod

from tnverify.checker.families.matrices import (
    full_matrix, is_integer_matrix, is_integer_object, matrix_ref, matrix_shape, submatrix,
)
from tnverify.checker.kernel import (
    CheckFailure, Malformed, check_k_subsets, check_minor, clear_rows, field, int_list, integer, note, num, prime, rule,
)

#: Largest number of column subsets the enumeration of ``kruskal-rank-at-least`` may visit.
MAX_KRANK_SUBSETS = 20_000_000
#: The same for a modulus >= 2^31, which only the Python engine handles (about 3 us a subset).
MAX_KRANK_SUBSETS_LARGE_P = 2_000_000
#: Largest number of Kruskal factors.
MAX_FACTORS = 64
#: Largest degree of a polynomial network, and largest group of its Veronese factors (``pnn-identifiable``).
MAX_PNN_DEGREE, MAX_GROUP = 10**9, 64


def _subject(ref: dict, fld: str) -> dict:
    return {"matrix": ref, "field": fld}


def _count_subsets(n: int, k: int) -> int:
    s = 0
    for j in range(1, min(k, n) + 1):
        s += comb(n, j)
        if s > MAX_KRANK_SUBSETS:
            break
    return s


@rule("kruskal-rank-at-least")
def kruskal_rank_at_least(step: dict, ctx) -> list:
    """``kruskal-rank-at-least``: every k-subset of columns is independent mod p.

    ``{"matrix": REF, "k": k, "modulus": p}``. The checker enumerates EVERY k-subset of
    columns itself (``kernel.check_k_subsets``: depth first, eliminating the common prefix
    once, mod p) and checks that each is independent mod p. Rows are cleared of denominators
    first. Facts: kruskal-rank-at-least k over Q (independent mod p implies independent over Q: a nonzero
    maximal minor mod p is a nonzero integer; docs/mathematics.md, section 4), and over GF(p)
    for an integer matrix. Cost O(sum_{s <= k} C(n, s) m) operations mod p
    (in Python, or compiled by numba for large problems), at most :data:`MAX_KRANK_SUBSETS` subsets
    (:data:`MAX_KRANK_SUBSETS_LARGE_P` for p >= 2^31).
    """
    _keys(step, {"id", "rule", "matrix", "k", "modulus"})
    ref = matrix_ref(field(step, "matrix", "step"), "step.matrix")
    m, n = matrix_shape(ctx, ref, "step.matrix")
    k = integer(field(step, "k", "step"), "step.k", 0)
    if k > n:
        raise CheckFailure(f"a matrix with {n} columns has Kruskal rank at most {n}, not {k}")
    if k > m:
        raise CheckFailure(f"{k} columns of length {m} cannot be independent")
    if k == 0:
        facts = [("kruskal-rank-at-least", _subject(ref, "Q"), 0)]
        if step.get("modulus") is not None:
            p = prime(step["modulus"], "step.modulus")
            if is_integer_object(ctx, ref, "step.matrix"):
                facts.append(("kruskal-rank-at-least", _subject(ref, f"GF({p})"), 0))
        return facts
    p = prime(field(step, "modulus", "step"), "step.modulus")
    subsets = _count_subsets(n, k)
    if subsets > MAX_KRANK_SUBSETS:
        raise Malformed(f"enumerating the {k}-subsets of {n} columns exceeds the checker limit {MAX_KRANK_SUBSETS}")
    if p >= 2**31 and subsets > MAX_KRANK_SUBSETS_LARGE_P:
        raise Malformed(f"enumerating the {k}-subsets of {n} columns mod a prime >= 2^31 exceeds the checker limit "
                        f"{MAX_KRANK_SUBSETS_LARGE_P} for such primes (its compiled engine needs p < 2^31); "
                        "use a smaller prime")
    M = full_matrix(ctx, ref, "step.matrix")
    integral = is_integer_matrix(M)
    Mi = clear_rows(M)
    check_k_subsets([[Mi[i][c] % p for i in range(m)] for c in range(n)], k, p)
    facts = [("kruskal-rank-at-least", _subject(ref, "Q"), k)]
    if integral:
        facts.append(("kruskal-rank-at-least", _subject(ref, f"GF({p})"), k))
    return facts


@rule("kruskal-rank-at-most")
def kruskal_rank_at_most(step: dict, ctx) -> list:
    """``kruskal-rank-at-most``: k + 1 columns with a nonzero kernel vector (or the shape).

    ``{"matrix": REF, "k": k, "subset": [k+1 columns], "kernel": [k+1 numbers], "modulus": p | null}``.
    Checks the vector is nonzero and ``M[:, subset] v = 0`` (over Q, or mod p): those k + 1
    columns are dependent, so k_M <= k. Without ``subset``/``kernel``: the shape,
    k >= min(rows, columns), over ``"field"`` (default Q). Cost O(m k). Fact:
    ``kruskal-rank-at-most`` k.
    """
    _keys(step, {"id", "rule", "matrix", "k", "subset", "kernel", "modulus", "field"})
    ref = matrix_ref(field(step, "matrix", "step"), "step.matrix")
    m, n = matrix_shape(ctx, ref, "step.matrix")
    k = integer(field(step, "k", "step"), "step.k", 0)
    if "subset" not in step:  # the shape: k columns independent needs k <= rows
        if k < min(m, n):
            raise CheckFailure(f"the shape {m} x {n} bounds the Kruskal rank by {min(m, n)}, not by {k}")
        fld = field(step, "field", "step", str) if "field" in step else "Q"
        if fld != "Q":
            if not (fld.startswith("GF(") and fld.endswith(")")):
                raise Malformed(f"step.field: expected Q or GF(p), got {fld!r}")
            fld = f"GF({prime(fld[3:-1], 'step.field')})"
            if not is_integer_object(ctx, ref, "step.matrix"):
                raise Malformed("step: a GF(p) fact needs a matrix with integer entries (store it reduced mod p)")
        return [("kruskal-rank-at-most", _subject(ref, fld), k)]
    subset = int_list(field(step, "subset", "step"), "step.subset", 0, n - 1)
    if len(subset) != k + 1:
        raise Malformed(f"step.subset: expected {k + 1} columns for k = {k}, got {len(subset)}")
    vec = field(step, "kernel", "step", list)
    if len(vec) != k + 1:
        raise Malformed(f"step.kernel: expected {k + 1} numbers, got {len(vec)}")
    v = [num(x, f"step.kernel[{i}]") for i, x in enumerate(vec)]
    p = step.get("modulus")
    B = submatrix(ctx, ref, range(m), subset, "step.subset")
    if p is not None:
        p = prime(p, "step.modulus")
        if not is_integer_object(ctx, ref, "step.matrix") or not all(isinstance(x, int) for x in v):
            raise Malformed("step: a kernel vector mod p needs integer matrix and vector entries")
        if all(x % p == 0 for x in v):
            raise CheckFailure(f"the kernel vector is zero mod {p}")
    elif all(x == 0 for x in v):
        raise CheckFailure("the kernel vector is zero")
    for i, row in enumerate(B):
        s = sum(a * b for a, b in zip(row, v))
        if (s % p if p is not None else s) != 0:
            raise CheckFailure(f"columns {subset} times the kernel vector give {s} in row {i}, not 0"
                               + (f" (mod {p})" if p is not None else ""))
    return [("kruskal-rank-at-most", _subject(ref, f"GF({p})" if p is not None else "Q"), k)]


# ------------------------------------------------------------------ uniqueness
def _keys(step: dict, allowed: set) -> None:
    extra = set(step) - allowed
    if extra:
        raise Malformed(f"unknown keys {sorted(extra)}")


def _factors(step, ctx, R: int, lo: int = 3) -> tuple[list, list]:
    refs = field(step, "factors", "step", list)
    if not lo <= len(refs) <= MAX_FACTORS:
        raise Malformed(f"step.factors: expected {lo} to {MAX_FACTORS} factor matrices, got {len(refs)}")
    shapes = []
    for i, r in enumerate(refs):
        matrix_ref(r, f"step.factors[{i}]")
        mi, ni = matrix_shape(ctx, r, f"step.factors[{i}]")
        if ni != R:
            raise CheckFailure(f"factor {i} has {ni} columns, the decomposition has rank {R}")
        shapes.append(mi)
    return refs, shapes


def _tensor_facts(step, ctx, refs, R: int) -> list:
    """With ``"tensor": NAME``: check T == sum_r F_1[:, r] (x) ... (x) F_N[:, r] exactly."""
    name = step.get("tensor")
    if name is None:
        return []
    T = ctx.obj(name, "step.tensor")
    if T["type"] != "tensor":
        raise Malformed(f"step.tensor: {name!r} is a {T['type']}, not a tensor")
    Fs = [full_matrix(ctx, r, f"step.factors[{i}]") for i, r in enumerate(refs)]
    shape = [len(F) for F in Fs]
    if T["shape"] != shape:
        raise CheckFailure(f"the tensor has shape {T['shape']}, the factors give {shape}")
    for idx, t in zip(itertools.product(*[range(s) for s in shape]), T["flat"]):
        s = sum(prod(F[i][r] for F, i in zip(Fs, idx)) for r in range(R))
        if s != t:
            raise CheckFailure(f"T{list(idx)} = {t} but the CP factors give {s}")
    # Kruskal: rank over C is R; the rational factors give rank <= R over Q, and rank over
    # Q >= rank over R >= rank over C. So the CP rank is R over Q, R and C.
    sub = {"tensor": {"object": name}}
    facts = [(kind, {**sub, "field": f}, R) for f in ("Q", "R", "C") for kind in ("cp-rank-at-least", "cp-rank-at-most")]
    return facts + [("cp-unique", {**sub, "field": "C"}, True)]


def _unique_facts(step, ctx, refs, shapes, R: int) -> list:
    sub = {"factors": refs, "field": "C"}
    facts = [("cp-rank", sub, R), ("cp-unique", sub, True)]
    names = [r.get("object") if set(r) == {"object"} else None for r in refs]
    if None not in names:
        if len(set(names)) == len(names):
            facts.append(("generic-cp-unique", {"format": shapes, "rank": R, "symmetric": False}, True))
        elif len(set(names)) == 1:
            facts.append(("generic-cp-unique", {"format": shapes, "rank": R, "symmetric": True}, True))
    return facts + _tensor_facts(step, ctx, refs, R)


@rule("kruskal-uniqueness")
def kruskal_uniqueness(step: dict, ctx) -> list:
    """``kruskal-uniqueness``: Kruskal's inequality proves rank R and essential uniqueness.

    ``{"factors": [REF_1..REF_N], "rank": R, "k": [k_1..k_N], "tensor": NAME (optional)}``.
    Requires kruskal-rank-at-least k_n over Q for every factor, every factor with R
    columns, k_n >= 1 and sum k_n >= 2R + N - 1 (Kruskal 1977 for N = 3; Sidiropoulos
    and Bro 2000). Then the rank of [[F_1, ..., F_N]] is R and its CP decomposition is
    essentially unique (over C, hence over every subfield).
    """
    _keys(step, {"id", "rule", "factors", "rank", "k", "tensor"})
    R = integer(field(step, "rank", "step"), "step.rank", 1, 10**6)
    refs, shapes = _factors(step, ctx, R)
    ks = int_list(field(step, "k", "step"), "step.k", 0, None, distinct=False)
    if len(ks) != len(refs):
        raise Malformed(f"step.k: expected {len(refs)} Kruskal ranks, got {len(ks)}")
    for i, (r, k) in enumerate(zip(refs, ks)):
        if k < 1:
            raise CheckFailure(f"factor {i} needs Kruskal rank >= 1 (no zero column), got {k}")
        ctx.require("kruskal-rank-at-least", _subject(r, "Q"), k, f"factor {i}")
    N = len(refs)
    if sum(ks) < 2 * R + N - 1:
        raise CheckFailure(f"sum of Kruskal ranks {sum(ks)} < 2R + N - 1 = {2 * R + N - 1}")
    return _unique_facts(step, ctx, refs, shapes, R)


def _pairs(n: int) -> list:
    return list(itertools.combinations(range(n), 2))


def _three_factors(step: dict, ctx, what: str) -> tuple[int, list, list]:
    """``(R, refs, shapes)`` of a rule about exactly three factors with R >= 2 columns."""
    R = integer(field(step, "rank", "step"), "step.rank", 2, 2000)
    refs, shapes = _factors(step, ctx, R)
    if len(refs) != 3:
        raise Malformed(f"step.factors: {what} needs 3 factors, got {len(refs)}")
    return R, refs, shapes


def _minor2(F: list, i1: int, i2: int, r1: int, r2: int):
    """The 2 x 2 minor of F at rows i1 < i2 and columns r1 < r2: an entry of C2(F)."""
    return F[i1][r1] * F[i2][r2] - F[i1][r2] * F[i2][r1]


@rule("compound-uniqueness")
def compound_uniqueness(step: dict, ctx) -> list:
    """``compound-uniqueness``: a full-column-rank compound matrix proves rank R and essential uniqueness.

    ``{"factors": [A, B, C], "rank": R, "full_rank": i, "rows": [...], "modulus": p, "tensor": NAME (opt.)}``.
    Requires rank-at-least R over Q for factor i; builds C2(X) (.) C2(Y) for the other two
    factors X, Y (in order) itself and checks the C(R,2) x C(R,2) minor at the hinted rows
    (all columns) is nonzero mod p: full column rank. R >= 2. Then rank R and essential
    uniqueness (Jiang, Sidiropoulos 2004; De Lathauwer 2006, Thm 4.1-4.2; docs/mathematics.md,
    section 4). Cost: C(R,2)^2 entries, then one C(R,2) x C(R,2) determinant mod p.
    """
    _keys(step, {"id", "rule", "factors", "rank", "full_rank", "rows", "modulus", "tensor"})
    R, refs, shapes = _three_factors(step, ctx, "the compound condition")
    fr = integer(step.get("full_rank", 2), "step.full_rank", 0, 2)
    ctx.require("rank-at-least", _subject(refs[fr], "Q"), R, f"factor {fr} (full column rank)")
    x, y = [i for i in range(3) if i != fr]
    pr = _pairs(R)
    npairs = len(pr)
    rx, ry = _pairs(shapes[x]), _pairs(shapes[y])
    rows = int_list(field(step, "rows", "step"), "step.rows", 0, len(rx) * len(ry) - 1)
    if len(rows) != npairs:
        raise Malformed(f"step.rows: expected C({R},2) = {npairs} rows, got {len(rows)}")
    if npairs * npairs > 4_000_000:
        raise Malformed(f"a {npairs} x {npairs} compound minor exceeds the checker limit")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    X = clear_rows(full_matrix(ctx, refs[x], "step.factors"))
    Y = clear_rows(full_matrix(ctx, refs[y], "step.factors"))
    B = []
    for row in rows:
        (a1, a2), (b1, b2) = rx[row // len(ry)], ry[row % len(ry)]
        B.append([_minor2(X, a1, a2, r1, r2) * _minor2(Y, b1, b2, r1, r2) for r1, r2 in pr])
    check_minor(B, npairs, p, f"of C2(F{x}) (.) C2(F{y}) at the hinted rows")
    return _unique_facts(step, ctx, refs, shapes, R)


def _pair_cone(v: list, R: int) -> bool:
    """Is v = (d_i d_j)_{i<j} (pairs in lexicographic order) for some complex d?

    v = 0: d = 0. Else take the first pair (i0, j0) with v != 0: every such d has d_i0 != 0
    and d_k = v_{i0 k} / d_i0 (k != i0), so the pairs (k, l) without i0 need
    v_{i0 k} v_{i0 l} = s v_{kl} for one s = d_i0^2 != 0 (solvable over C).
    """
    pairs = _pairs(R)
    val = dict(zip(pairs, v))
    start = next((q for q in pairs if val[q] != 0), None)
    if start is None:
        return True
    i0 = start[0]
    row = {k: val[(min(i0, k), max(i0, k))] for k in range(R) if k != i0}
    s = None  # as the fraction (numerator, denominator)
    for k, l in pairs:
        if i0 == k or i0 == l:
            continue
        num, den = row[k] * row[l], val[(k, l)]
        if den == 0 and num != 0 or den != 0 and num == 0:
            return False
        if den != 0:
            if s is not None and num * s[1] != s[0] * den:
                return False
            s = (num, den)
    return True


@rule("jiang-sidiropoulos")
def jiang_sidiropoulos(step: dict, ctx) -> list:
    """``jiang-sidiropoulos``: with C of full column rank, condition U_2 decides uniqueness of [[A, B, C]].

    ``{"factors": [A, B, C], "rank": R, "full_rank": i, "kernel": [v_S for the pairs S],
    "rows": [...], "cols": [...], "modulus": p, "tensor": NAME (optional)}``. Requires
    rank-at-least R over Q for factor i. For the other two factors X, Y (in order) the checker
    builds M = C2(X) (.) C2(Y) itself (all rows) and checks M v = 0 exactly with v != 0 an
    integer vector. Jiang and Sidiropoulos (2004; Domanov and De Lathauwer 2013, Part I): the CPD
    is unique iff no nonzero (d_i d_j)_{i<j} lies in ker M.

    * v = (d_i d_j) for some complex d (checked exactly, :func:`_pair_cone`): U_2 fails. Fact:
      ``cp-unique`` false for the factors (another decomposition with R terms exists).
    * Otherwise ``rows``/``cols`` must give a nonzero (C(R,2) - 1)-minor of M mod p, so
      ker M = span(v); the cone is closed under scaling, so it meets ker M only in 0: U_2
      holds. Facts: ``cp-rank`` R and ``cp-unique`` true for the factors (and the tensor facts
      with ``tensor``). No generic fact: "not in the cone" is not an open condition.

    Cost: C(I_X, 2) C(I_Y, 2) C(R, 2) products of two 2 x 2 minors and one determinant mod p.
    """
    _keys(step, {"id", "rule", "factors", "rank", "full_rank", "kernel", "rows", "cols", "modulus", "tensor"})
    R, refs, shapes = _three_factors(step, ctx, "condition U_2")
    fr = integer(field(step, "full_rank", "step"), "step.full_rank", 0, 2)
    ctx.require("rank-at-least", _subject(refs[fr], "Q"), R, f"factor {fr} (full column rank)")
    x, y = [i for i in range(3) if i != fr]
    pr = _pairs(R)
    rx, ry = _pairs(shapes[x]), _pairs(shapes[y])
    if rx and ry and (len(rx) * len(ry) * len(pr) > 20_000_000 or max(len(rx), len(ry)) * len(pr) > 4_000_000):
        raise Malformed(f"the compound matrices C2 ({len(rx)} and {len(ry)} rows, {len(pr)} columns) exceed the "
                        "checker limit")
    v = [integer(t, "step.kernel") for t in field(step, "kernel", "step", list)]
    if len(v) != len(pr):
        raise Malformed(f"step.kernel: expected C({R},2) = {len(pr)} entries, got {len(v)}")
    if not any(v):
        raise CheckFailure("the kernel vector is zero")
    CX = CY = []  # a factor with one row: C2 has no rows, M v = 0 holds for every v
    if rx and ry:
        X = clear_rows(full_matrix(ctx, refs[x], "step.factors"))
        Y = clear_rows(full_matrix(ctx, refs[y], "step.factors"))
        CX = [[_minor2(X, a1, a2, r1, r2) for r1, r2 in pr] for a1, a2 in rx]
        CY = [[_minor2(Y, b1, b2, r1, r2) for r1, r2 in pr] for b1, b2 in ry]
    for a, u in enumerate(CX):
        for b, w in enumerate(CY):
            if sum(s * t * c for s, t, c in zip(u, w, v)) != 0:
                raise CheckFailure(f"the kernel vector is not in the kernel of C2(F{x}) (.) C2(F{y}): row {a * len(ry) + b}")
    sub = {"factors": refs, "field": "C"}
    if _pair_cone(v, R):
        note("kernel vector = (d_i d_j): U2 fails")
        return [("cp-unique", sub, False)]
    n = len(pr) - 1
    rows = int_list(field(step, "rows", "step"), "step.rows", 0, len(rx) * len(ry) - 1)
    cols = int_list(field(step, "cols", "step"), "step.cols", 0, len(pr) - 1)
    if len(rows) != n or len(cols) != n:
        raise Malformed(f"step.rows/cols: expected C({R},2) - 1 = {n} of each, got {len(rows)} and {len(cols)}")
    if n * n > 4_000_000:
        raise Malformed(f"a {n} x {n} compound minor exceeds the checker limit")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    M = [[CX[row // len(ry)][c] * CY[row % len(ry)][c] for c in cols] for row in rows]
    check_minor(M, n, p, f"of C2(F{x}) (.) C2(F{y}) at the hinted rows and columns")
    return [("cp-rank", sub, R), ("cp-unique", sub, True)] + _tensor_facts(step, ctx, refs, R)


# ------------------------------------------------------------ polynomial networks
def _veronese(W: list, a: int) -> list:
    n, m = len(W), len(W[0])
    combos = list(itertools.combinations_with_replacement(range(n), a))
    return [[prod(W[i][j] for i in c) for j in range(m)] for c in combos]


@rule("pnn-identifiable")
def pnn_identifiable(step: dict, ctx) -> list:
    """``pnn-identifiable``: Kruskal's condition on Veronese factors identifies a 2-layer polynomial network.

    ``{"weights": W, "coefficients": V, "degree": d, "groups": [a_1..a_N], "factors": [F_1..F_N],
    "k": [k_1..k_N] (+ k_V last when V has more than one row), "group_counts": [c_1..c_N]
    (optional, default all 1: group i stands for c_i equal groups)}``. f(x) = V (W^T x)^{d}
    (entrywise power), W n x m, V o x m. The checker rebuilds each F_i as the degree-a_i
    Veronese matrix of W (column j = the monomials of w_j, in the order of
    ``itertools.combinations_with_replacement``), requires kruskal facts on F_i (and on V
    when o > 1; when o = 1 it checks every v_j != 0), and the N-way Kruskal inequality
    for the grouped tensor sum_j v_j (x) w_j^{(x)a_1} (x) ... (sum_i k_i >= 2m + N - 1,
    Sidiropoulos and Bro 2000). Facts: the network is identifiable up to permutation and
    scaling at this point, and (all conditions being Zariski open and met at a point) for
    generic weights of its widths and degree (docs/mathematics.md, section 4).
    """
    _keys(step, {"id", "rule", "weights", "coefficients", "degree", "groups", "factors", "k", "group_counts"})
    wref = matrix_ref(field(step, "weights", "step"), "step.weights")
    vref = matrix_ref(field(step, "coefficients", "step"), "step.coefficients")
    n, m = matrix_shape(ctx, wref, "step.weights")
    o, mv = matrix_shape(ctx, vref, "step.coefficients")
    if mv != m:
        raise CheckFailure(f"coefficients have {mv} columns, weights {m}")
    d = integer(field(step, "degree", "step"), "step.degree", 1, MAX_PNN_DEGREE)
    groups = int_list(field(step, "groups", "step"), "step.groups", 1, MAX_GROUP, distinct=False)
    if len(groups) > MAX_FACTORS:
        raise Malformed(f"step.groups: expected at most {MAX_FACTORS} entries (repeats go in group_counts), "
                        f"got {len(groups)}")
    counts = int_list(step.get("group_counts", [1] * len(groups)), "step.group_counts", 1, d, distinct=False)
    if len(counts) != len(groups):
        raise Malformed(f"step.group_counts: expected {len(groups)} counts, got {len(counts)}")
    if sum(a * c for a, c in zip(groups, counts)) != d:
        raise CheckFailure(f"the groups {groups} (counts {counts}) do not add up to the degree {d}")
    frefs = field(step, "factors", "step", list)
    if len(frefs) != len(groups):
        raise Malformed(f"step.factors: expected {len(groups)} factor matrices, got {len(frefs)}")
    N = sum(counts) + (1 if o > 1 else 0)  # the number of modes of the grouped tensor
    if N < 3:
        raise CheckFailure(f"Kruskal's condition needs at least 3 factors, the grouping gives {N}")
    ks = int_list(field(step, "k", "step"), "step.k", 1, None, distinct=False)
    if len(ks) != len(groups) + (1 if o > 1 else 0):
        raise Malformed(f"step.k: expected {len(groups) + (1 if o > 1 else 0)} Kruskal ranks, got {len(ks)}")
    for a in set(groups):
        if comb(n + a - 1, a) * m > 5_000_000:
            raise Malformed(f"the degree-{a} Veronese matrix of a {n} x {m} weight matrix exceeds the checker limit")
    W = full_matrix(ctx, wref, "step.weights")
    V = full_matrix(ctx, vref, "step.coefficients")
    for i, (a, fref) in enumerate(zip(groups, frefs)):
        matrix_ref(fref, f"step.factors[{i}]")
        if full_matrix(ctx, fref, f"step.factors[{i}]") != _veronese(W, a):
            raise CheckFailure(f"factor {i} is not the degree-{a} Veronese matrix of the weights")
        ctx.require("kruskal-rank-at-least", _subject(fref, "Q"), ks[i], f"factor {i}")
    if o > 1:
        ctx.require("kruskal-rank-at-least", _subject(vref, "Q"), ks[-1], "coefficients")
    else:
        zero = [j for j in range(m) if V[0][j] == 0]
        if zero:
            raise CheckFailure(f"neuron {zero[0]} has output coefficient 0")
    total = sum(k * c for k, c in zip(ks, counts)) + (ks[-1] if o > 1 else 0)
    if total < 2 * m + N - 1:
        raise CheckFailure(f"sum of Kruskal ranks {total} < 2m + N - 1 = {2 * m + N - 1}")
    point = {"weights": wref, "coefficients": vref, "degree": d}
    generic = {"inputs": n, "width": m, "outputs": o, "degree": d}
    return [("pnn-identifiable", point, True), ("generic-pnn-identifiable", generic, True)]


@rule("parameter-count-not-identifiable")
def parameter_count(step: dict, ctx) -> list:
    """``parameter-count-not-identifiable``: too many parameters for the space of outputs: not identifiable.

    ``{"inputs": n, "width": m, "outputs": o, "degree": d}``. Checks m (n + o - 1) >
    o C(n + d - 1, d): parameters modulo the m-dimensional scaling symmetry exceed the
    dimension of the space of output forms, so every fibre of the parameter map has
    dimension >= m (n + o) - o C(n + d - 1, d) > m at every point: NOT identifiable
    (generic fact false; docs/mathematics.md, section 4).
    """
    _keys(step, {"id", "rule", "inputs", "width", "outputs", "degree"})
    n = integer(field(step, "inputs", "step"), "step.inputs", 1, 10**6)
    m = integer(field(step, "width", "step"), "step.width", 1, 10**6)
    o = integer(field(step, "outputs", "step"), "step.outputs", 1, 10**6)
    d = integer(field(step, "degree", "step"), "step.degree", 1, 1000)
    params = m * (n + o - 1)
    ambient = o * comb(n + d - 1, d)
    if params <= ambient:
        raise CheckFailure(f"parameters modulo scaling m(n + o - 1) = {params} do not exceed "
                           f"the ambient dimension o C(n + d - 1, d) = {ambient}")
    return [("generic-pnn-identifiable", {"inputs": n, "width": m, "outputs": o, "degree": d}, False)]

