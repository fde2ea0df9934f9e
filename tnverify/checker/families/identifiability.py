"""Rules about generic identifiability beyond Kruskal and the Domanov-De Lathauwer uniqueness conditions.

Rules: ``cov-identifiable`` (the Chiantini-Ottaviani-Vannieuwenhoven criterion at one integer
point), ``cp-not-identifiable`` (a dimension bound below the parameter count: positive-dimensional
fibres) and ``domanov-uniqueness`` (``C_m(A) (.) C_m(B)`` of full column rank with Domanov and De
Lathauwer's k-rank inequality). The facts are ``generic-cp-unique`` for a format, rank and
symmetry (false: not identifiable), and, for given factors, ``cp-rank`` and ``cp-unique`` as the
kruskal family derives them. Each rule builds its matrices from the data of the step (the point,
the factors) by its own evaluation, and hands every minor to ``check_minor``. The mathematics:
docs/mathematics.md, section 4.
"""
from __future__ import annotations

import itertools
from math import comb, prod

from tnverify.checker.families.kruskal import _subject, _three_factors, _unique_facts
from tnverify.checker.families.matrices import full_matrix
from tnverify.checker.kernel import (
    CheckFailure, Malformed, check_minor, clear_rows, field, int_list, integer, minor_hint, prime, rule,
)

#: Largest ambient dimension prod n_k of a format the COV rule accepts.
MAX_AMBIENT = 20_000
#: Largest number of multiply-adds the COV rule may spend re-deriving its matrices.
MAX_WORK = 200_000_000
#: Largest m-subset count of a compound matrix (rows or columns) the Domanov rule builds.
MAX_COMPOUND = 200_000


def _keys(step: dict, allowed: set) -> None:
    extra = set(step) - allowed
    if extra:
        raise Malformed(f"unknown keys {sorted(extra)}")


def _format(step: dict) -> tuple[list, int]:
    dims = int_list(field(step, "format", "step"), "step.format", 2, 10_000, distinct=False)
    if len(dims) < 3:
        raise Malformed(f"step.format: expected at least 3 modes, got {len(dims)}")
    N = prod(dims)
    if N > MAX_AMBIENT:
        raise Malformed(f"step.format: ambient dimension {N} exceeds the checker limit {MAX_AMBIENT}")
    r = integer(field(step, "rank", "step"), "step.rank", 1, N)
    return dims, r


def _residue_matrix(x, rows: int, cols: int, p: int, where: str) -> list:
    if not isinstance(x, list) or len(x) != rows:
        raise Malformed(f"{where}: expected {rows} rows")
    out = []
    for i, row in enumerate(x):
        if not isinstance(row, list) or len(row) != cols:
            raise Malformed(f"{where}[{i}]: expected {cols} entries")
        out.append([integer(v, f"{where}[{i}]") % p for v in row])
    return out


def _multi_indices(dims: list) -> list:
    return list(itertools.product(*[range(n) for n in dims]))


@rule("cov-identifiable")
def cov_identifiable(step: dict, ctx) -> list:
    """``cov-identifiable``: the COV criterion at an integer point proves generic identifiability.

    ``{"format": [n_1..n_d], "rank": r, "modulus": p, "point": [A_1..A_d] (n_k x r residues),
    "jacobian_minor", "annihilator": N_T (m x prod n_k), "annihilator_minor", "contact_minors": [r
    minors], "split": [modes G], "split_minor"}``. With s = sum n_k - d + 1 and m = prod n_k - r s:

    1. the checker builds the Jacobian J of ``sum_i a_i^1 (x) .. (x) a_i^d`` (rows: C-order
       multi-indices; column ``sum_{k'<k} n_k' r + j r + i`` is ``a_i^1 (x) .. e_j .. (x) a_i^d``)
       at the hinted r s x r s minor: nonsingular mod p, so rank J >= r s, and rank J <= dim
       sigma_r <= r s always: rank J = r s (over Q and mod p);
    2. it checks ``N_T J = 0`` mod p entry by entry and an m x m minor of N_T: N_T spans the
       annihilator of T = colspan J mod p (its dimension is prod n_k - r s = m);
    3. for each term i it builds the contact matrix ``K_i`` (rows ``(k, j, l)``, columns ``(k', c)``;
       entry: row l of N_T contracted with a_i on every mode but k (index j) and k' (index c), 0
       when k = k') at the hinted (sum n_k - d)-minor: the contact locus {x : T_x X in T} has
       only the d scaling directions at p_i, so p_i is isolated in it;
    4. the Khatri-Rao product of the modes outside G has rank r (hinted minor) and the
       Khatri-Rao product of G has no zero and no two proportional columns mod p: the span of
       the r points meets the Segre variety only in them.

    Every condition is a nonvanishing minor (open), so it holds for general points; the COV
    argument then gives generic r-identifiability (Chiantini, Ottaviani, Vannieuwenhoven 2014).
    Fact: ``generic-cp-unique`` true for the format and rank. Cost: O(m r d prod n_k + (r s)^3).
    """
    _keys(step, {"id", "rule", "format", "rank", "modulus", "point", "jacobian_minor", "annihilator",
                 "annihilator_minor", "contact_minors", "split", "split_minor"})
    dims, r = _format(step)
    d, N, S = len(dims), prod(dims), sum(dims)
    s = S - d + 1
    rs, m = r * s, N - r * s
    if m < 1:
        raise CheckFailure(f"r s = {rs} >= prod n_k = {N}: the criterion needs a strictly subgeneric rank")
    if m * r * d * N + (S * m) * S * r > MAX_WORK:
        raise Malformed(f"the COV criterion for rank {r} in {dims} exceeds the checker limit")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    pts = field(step, "point", "step", list)
    if len(pts) != d:
        raise Malformed(f"step.point: expected {d} factor matrices, got {len(pts)}")
    A = [_residue_matrix(x, n, r, p, f"step.point[{k}]") for k, (x, n) in enumerate(zip(pts, dims))]
    idx = _multi_indices(dims)
    # 1. the Jacobian's minor
    rows, cols = minor_hint({"minor": field(step, "jacobian_minor", "step", dict)}, N, r * S, rs, "step.jacobian_minor")
    offs = [sum(dims[:k]) * r for k in range(d)]

    def jac(I, col):
        k = max(t for t in range(d) if offs[t] <= col)
        j, i = divmod(col - offs[k], r)
        if I[k] != j:
            return 0
        return prod(A[t][I[t]][i] for t in range(d) if t != k) % p

    check_minor([[jac(idx[a], b) for b in cols] for a in rows], rs, p, "of the Terracini Jacobian", residues=True)
    # 2. the annihilator
    Nt = _residue_matrix(field(step, "annihilator", "step"), m, N, p, "step.annihilator")
    arows, acols = minor_hint({"minor": field(step, "annihilator_minor", "step", dict)}, m, N, m,
                              "step.annihilator_minor")
    check_minor([[Nt[a][b] for b in acols] for a in arows], m, p, "of the annihilator", residues=True)
    for i in range(r):
        w = [[prod(A[t][I[t]][i] for t in range(d) if t != k) % p for I in idx] for k in range(d)]
        for l in range(m):
            row = Nt[l]
            for k in range(d):
                acc = [0] * dims[k]
                for I, x, y in zip(idx, row, w[k]):
                    if x and y:
                        acc[I[k]] += x * y
                bad = next((j for j in range(dims[k]) if acc[j] % p), None)
                if bad is not None:
                    raise CheckFailure(f"annihilator row {l} is not orthogonal to the tangent direction (mode {k}, "
                                       f"coordinate {bad}, term {i}) mod {p}")
    # 3. the contact matrices
    minors = field(step, "contact_minors", "step", list)
    if len(minors) != r:
        raise Malformed(f"step.contact_minors: expected {r} minors (one per term), got {len(minors)}")
    roff = [sum(dims[:k]) * m for k in range(d)]
    coff = [sum(dims[:k]) for k in range(d)]
    for i, mh in enumerate(minors):
        kr, kc = minor_hint({"minor": mh}, S * m, S, S - d, f"step.contact_minors[{i}]")

        def entry(row, col):
            k = max(t for t in range(d) if roff[t] <= row)
            j, l = divmod(row - roff[k], m)
            k2 = max(t for t in range(d) if coff[t] <= col)
            c = col - coff[k2]
            if k2 == k:
                return 0
            tot = 0
            for I, x in zip(idx, Nt[l]):
                if x and I[k] == j and I[k2] == c:
                    tot += x * prod(A[t][I[t]][i] for t in range(d) if t not in (k, k2))
            return tot % p

        check_minor([[entry(a, b) for b in kc] for a in kr], S - d, p, f"of the contact matrix at term {i}",
                    residues=True)
    # 4. the span of the points
    G = int_list(field(step, "split", "step"), "step.split", 0, d - 1)
    rest = [k for k in range(d) if k not in G]
    if not G or not rest:
        raise Malformed("step.split: expected a nonempty proper subset of the modes")
    kr_rows = _multi_indices([dims[k] for k in rest])
    wr, wc = minor_hint({"minor": field(step, "split_minor", "step", dict)}, len(kr_rows), r, r, "step.split_minor")
    check_minor([[prod(A[k][kr_rows[a][t]][b] for t, k in enumerate(rest)) % p for b in wc] for a in wr], r, p,
                f"of the Khatri-Rao product of modes {rest}", residues=True)
    g_rows = _multi_indices([dims[k] for k in G])
    seen = set()
    for i in range(r):
        col = [prod(A[k][I[t]][i] for t, k in enumerate(G)) % p for I in g_rows]
        lead = next((x for x in col if x), 0)
        if not lead:
            raise CheckFailure(f"column {i} of the Khatri-Rao product of modes {G} is zero mod {p}")
        inv = pow(lead, p - 2, p)
        key = tuple(x * inv % p for x in col)
        if key in seen:
            raise CheckFailure(f"two columns of the Khatri-Rao product of modes {G} are proportional mod {p}")
        seen.add(key)
    return [("generic-cp-unique", {"format": dims, "rank": r, "symmetric": False}, True)]


@rule("cp-not-identifiable")
def cp_not_identifiable(step: dict, ctx) -> list:
    """``cp-not-identifiable``: dim sigma_r below the parameter count: positive-dimensional fibres.

    ``{"format": [n_1..n_d], "rank": r}``. Requires a ``dim-at-most`` fact u for the variety
    ``{"format": "partial-symmetric", "blocks": [[n_k, 1]...], "rank": r}`` (from any rule: the
    ambient dimension, an equation) with ``u < r s``, s = sum n_k - d + 1. The parameter map
    (r points of the Segre cone, r s parameters modulo the scalings inside each term) then has
    fibres of dimension >= r s - u > 0 at every point, so a general rank-r tensor has infinitely
    many decompositions. Fact: ``generic-cp-unique`` false.
    """
    _keys(step, {"id", "rule", "format", "rank"})
    dims = int_list(field(step, "format", "step"), "step.format", 2, 10_000, distinct=False)
    if len(dims) < 3:
        raise Malformed(f"step.format: expected at least 3 modes, got {len(dims)}")
    r = integer(field(step, "rank", "step"), "step.rank", 1, 10**6)
    rs = r * (sum(dims) - len(dims) + 1)
    variety = {"format": "partial-symmetric", "blocks": [[n, 1] for n in dims], "rank": r}
    ctx.require("dim-at-most", {"variety": variety}, rs - 1, "the secant variety (below the parameter count)")
    return [("generic-cp-unique", {"format": dims, "rank": r, "symmetric": False}, False)]


def _det(M: list) -> int:
    """Determinant of a small integer matrix by fraction-free elimination (Bareiss)."""
    n = len(M)
    M = [row[:] for row in M]
    sign, prev = 1, 1
    for k in range(n - 1):
        if M[k][k] == 0:
            sw = next((i for i in range(k + 1, n) if M[i][k]), None)
            if sw is None:
                return 0
            M[k], M[sw] = M[sw], M[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                M[i][j] = (M[i][j] * M[k][k] - M[i][k] * M[k][j]) // prev
        prev = M[k][k]
    return sign * M[n - 1][n - 1] if n else 1


@rule("domanov-uniqueness")
def domanov_uniqueness(step: dict, ctx) -> list:
    """``domanov-uniqueness``: Domanov and De Lathauwer's C_m condition proves rank R and uniqueness.

    ``{"factors": [A, B, C], "rank": R, "role": c, "rank_c": r_C, "k": [k_1, k_2, k_3], "rows": [...],
    "modulus": p, "tensor": NAME (optional)}``. Factor ``c`` plays C, the other two (in order) A and
    B. Requires rank-at-least and rank-at-most r_C over Q for factor c (its exact rank),
    kruskal-rank-at-least k_i over Q for each factor, ``max(min(k_A, k_B - 1), min(k_A - 1, k_B)) +
    k_C >= R + 1``, and builds ``C_m(A) (.) C_m(B)`` with m = R - r_C + 2 itself (entry of row
    (I, J) and column S: det A[I, S] det B[J, S], m-subsets in lexicographic order, row index
    ``a * C(rows B, m) + b``) and checks its C(R, m) x C(R, m) minor at the hinted rows
    (all columns) mod p: full column rank. Then rank T = R and the CPD is unique (Domanov, De
    Lathauwer 2013, Part II; docs/mathematics.md, section 4). The generic fact for the format is
    derived only when r_C = min(rows of C, R), the generic rank of C: every condition is then
    open in the factors.
    """
    _keys(step, {"id", "rule", "factors", "rank", "role", "rank_c", "k", "rows", "modulus", "tensor"})
    R, refs, shapes = _three_factors(step, ctx, "the C_m condition")
    c = integer(field(step, "role", "step"), "step.role", 0, 2)
    a, b = [i for i in range(3) if i != c]
    rc = integer(field(step, "rank_c", "step"), "step.rank_c", 1, R)
    ctx.require("rank-at-least", _subject(refs[c], "Q"), rc, f"factor {c} (rank of C)")
    ctx.require("rank-at-most", _subject(refs[c], "Q"), rc, f"factor {c} (rank of C)")
    ks = int_list(field(step, "k", "step"), "step.k", 1, R, distinct=False)
    if len(ks) != 3:
        raise Malformed(f"step.k: expected 3 Kruskal ranks, got {len(ks)}")
    for i in range(3):
        ctx.require("kruskal-rank-at-least", _subject(refs[i], "Q"), ks[i], f"factor {i}")
    kA, kB, kC = ks[a], ks[b], ks[c]
    if max(min(kA, kB - 1), min(kA - 1, kB)) + kC < R + 1:
        raise CheckFailure(f"max(min(k_A, k_B - 1), min(k_A - 1, k_B)) + k_C = "
                           f"{max(min(kA, kB - 1), min(kA - 1, kB)) + kC} < R + 1 = {R + 1}")
    mm = R - rc + 2
    if mm > min(shapes[a], shapes[b]):
        raise CheckFailure(f"m = {mm} exceeds the rows of A or B: C_m is empty")
    ncols = comb(R, mm)
    nra, nrb = comb(shapes[a], mm), comb(shapes[b], mm)
    if max(ncols, nra, nrb) > MAX_COMPOUND or ncols * ncols > 4_000_000:
        raise Malformed(f"the compound matrices C_{mm} exceed the checker limit")
    rows = int_list(field(step, "rows", "step"), "step.rows", 0, nra * nrb - 1)
    if len(rows) != ncols:
        raise Malformed(f"step.rows: expected C({R},{mm}) = {ncols} rows, got {len(rows)}")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    X = clear_rows(full_matrix(ctx, refs[a], "step.factors"))
    Y = clear_rows(full_matrix(ctx, refs[b], "step.factors"))
    sa = list(itertools.combinations(range(shapes[a]), mm))
    sb = list(itertools.combinations(range(shapes[b]), mm))
    cs = list(itertools.combinations(range(R), mm))
    M = []
    for row in rows:
        I, Jr = sa[row // nrb], sb[row % nrb]
        M.append([_det([[X[i][t] for t in S] for i in I]) * _det([[Y[j][t] for t in S] for j in Jr]) for S in cs])
    check_minor(M, ncols, p, f"of C_{mm}(F{a}) (.) C_{mm}(F{b}) at the hinted rows")
    facts = _unique_facts(step, ctx, refs, shapes, R)
    if rc < min(shapes[c], R):  # m is not the generic one: the point proves nothing about generic factors
        facts = [f for f in facts if f[0] != "generic-cp-unique"]
    return facts
