"""Rules: upper bounds on dimensions from equations (defect certificates), Koszul-Young flattenings.

A *matrix family* is a matrix ``M(x)`` whose entries are linear forms in the coordinates ``x`` of a
tensor of shape ``(n_1, ..., n_N)`` (C order), with a number ``k`` such that ``rank M(x) <= k`` at
every rank-one tensor, hence ``rank M(x) <= k R`` on the secant variety sigma_R (a closed
condition). Two kinds, written in a certificate as:

* ``{"rows": [modes]}``: the flattening (rows: C-order multi-index over ``modes`` in the order
  given, columns: over the other modes, increasing); ``k = 1``.
* ``{"koszul-young": {"a": [modes], "b": [modes], "c": [modes], "projection": Q}}``: the modes
  grouped into ``A (x) B (x) C`` (each group a C-order multi-index), ``Q`` a ``(2p+1) x dim A``
  integer matrix (restriction of A to a (2p+1)-dimensional quotient, ``p >= 1``), and the map
  ``Lambda^p A' (x) B* -> Lambda^{p+1} A' (x) C``,
  ``e_S (x) beta -> sum_s (e_s ^ e_S) (x) T'(s, beta, .)`` with ``T' = Q ._A T``. Rows
  ``(S', gamma)`` (the (p+1)-subsets ``S'`` of ``range(2p+1)`` in ``itertools.combinations``
  order, then gamma), columns ``(S, beta)``; the entry is ``(-1)^pos * T'(s, beta, gamma)`` when
  ``S' = S + {s}`` with ``s`` at position ``pos`` of ``S'``, else 0. ``k = C(2p, p)`` (the rank
  of ``a ^ .`` on ``Lambda^p`` of a (2p+1)-dimensional space) [Landsberg, Ottaviani 2013].
* ``{"symmetric-young": {...}}``: the same payload; the submatrix of that Koszul-Young
  flattening on the columns beta and rows gamma that are non-decreasing multi-indices over B and
  over C (C order). A submatrix, so ``k = C(2p, p)`` still; on a symmetric tensor it drops only
  repeated rows and columns (the Young flattening of the form, up to row scalings).

Rules:

* ``dim-at-most-by-equations`` (defect certificates): the (kR+1)-minors of these matrices vanish on
  sigma_R; their gradients at a point ``Phi(theta_0)`` of the variety are orthogonal to its
  tangent space, so ``dim <= N - rank`` of the gradient matrix (docs/mathematics.md, "Defects").
* ``border-rank-koszul``: a nonzero minor of a Koszul-Young flattening of an explicit integer
  tensor bounds its border rank below by ``ceil(rank / k)``.
* ``waring-border-rank-at-most``: a form of degree d in n variables has Waring border rank at most
  R once ``dim sigma_R >= C(n+d-1, d)`` is a derived fact (sigma_R of the Veronese variety is then
  all of S^d(C^n), so every form is a limit of sums of R powers).
* ``border-rank-at-most-by-filling``: the same for an explicit tensor of shape n_1 x ... x n_d, once
  ``dim sigma_R >= n_1 ... n_d`` is derived for the CP format (border rank <= generic rank).
* ``border-rank-young``: a nonzero minor of a catalecticant or Young flattening of a ``form``
  object ``{"type": "form", "variables": n, "degree": d, "coefficients": [c_m]}`` (the
  coefficients of ``sum_m c_m x^m``, m over the sorted index tuples of
  ``combinations_with_replacement(range(n), d)``) bounds its Waring border rank below.

The gradient of a minor is its adjugate chained with the (constant) derivatives of the linear
entries. The adjugate of an s x s matrix mod p is computed here exactly: ``det A . A^{-1}`` when
A is invertible, ``mu v u^T`` (v, u the right and left kernel vectors, mu from one cofactor) when
its rank is s - 1, and 0 below (every (s-1)-minor vanishes).
"""
from __future__ import annotations

import itertools
import math

from tnverify.checker.families import terracini as TV
from tnverify.checker.kernel import (
    MAX_ENTRIES, OBJECT_TYPES, CheckFailure, Malformed, check_minor, field, int_list, integer, minor_hint, prime, rule,
)

#: Largest multiply-adds (Python integer operations) of one rule.
MAX_WORK = 30_000_000
#: Largest number of p-subsets (C(2p+1, p)) of a Koszul-Young flattening.
MAX_SUBSETS = 20_000

__all__ = ["koszul_young", "flattening", "matrix_family", "adjugate_mod", "form_family"]


def _keys(d: dict, allowed: set, where: str) -> None:
    extra = set(d) - allowed
    if extra:
        raise Malformed(f"{where}: unknown keys {sorted(extra)}")


def _strides(shape) -> list:
    out = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        out[k] = out[k + 1] * shape[k + 1]
    return out


def _offsets(shape, strides, modes):
    """Function: C-order index over ``modes`` -> offset in the flat tensor."""
    def off(i):
        o = 0
        for a in reversed(modes):
            i, x = divmod(i, shape[a])
            o += x * strides[a]
        return o
    return off


# ------------------------------------------------------------------ matrix families
def flattening(shape, rows, where: str):
    """The flattening ``{"rows": modes}``: ``(m, n, 1, form)``, ``form(i, j) = [(1, flat index)]``."""
    N = len(shape)
    rmodes = int_list(rows, f"{where}.rows", 0, N - 1)
    if not rmodes or len(rmodes) == N:
        raise Malformed(f"{where}.rows: both sides must be nonempty")
    cmodes = [k for k in range(N) if k not in rmodes]
    st = _strides(shape)
    ro, co = _offsets(shape, st, rmodes), _offsets(shape, st, cmodes)
    m, n = math.prod(shape[a] for a in rmodes), math.prod(shape[a] for a in cmodes)
    return m, n, 1, lambda i, j: [(1, ro(i) + co(j))]


def _nondecreasing(dims) -> list:
    """C-order positions of the multi-indices ``i_1 <= i_2 <= ...`` over ``dims``."""
    out = []
    for pos, t in enumerate(itertools.product(*[range(n) for n in dims])):
        if all(x <= y for x, y in zip(t, t[1:])):
            out.append(pos)
    return out


def koszul_young(shape, kz, where: str, symmetric: bool = False):
    """The Koszul-Young flattening ``kz`` of a tensor of ``shape``: ``(m, n, C(2p, p), form)``.

    ``form(i, j)`` lists ``(coefficient, flat index)`` pairs: the entry is their sum against the
    tensor. See the module docstring for the map, its index order and its signs. With
    ``symmetric``, its submatrix on the non-decreasing multi-indices beta over B and gamma over C.
    """
    if not isinstance(kz, dict) or set(kz) != {"a", "b", "c", "projection"}:
        raise Malformed(f"{where}: expected {{a, b, c, projection}}")
    N = len(shape)
    groups = [int_list(kz[g], f"{where}.{g}", 0, N - 1) for g in "abc"]
    if any(not g for g in groups) or sorted(itertools.chain(*groups)) != list(range(N)):
        raise Malformed(f"{where}: a, b and c must be nonempty and partition the modes 0..{N - 1}")
    dims = [math.prod(shape[a] for a in g) for g in groups]
    Q = kz["projection"]
    if not isinstance(Q, list) or len(Q) < 3 or len(Q) % 2 == 0:
        raise Malformed(f"{where}.projection: expected an odd number 2p+1 >= 3 of rows")
    Q = [int_list(row, f"{where}.projection[{s}]", -(2**62), 2**62, distinct=False) for s, row in enumerate(Q)]
    if any(len(row) != dims[0] for row in Q):
        raise Malformed(f"{where}.projection: expected rows of length dim A = {dims[0]}")
    q = len(Q)
    p = (q - 1) // 2
    if math.comb(q, p) > MAX_SUBSETS:
        raise Malformed(f"{where}: C({q}, {p}) subsets exceed the checker limit {MAX_SUBSETS}")
    Sp = list(itertools.combinations(range(q), p))
    Sq = list(itertools.combinations(range(q), p + 1))
    st = _strides(shape)
    oa, ob, oc = (_offsets(shape, st, g) for g in groups)
    if symmetric and max(dims[1:]) > MAX_WORK:
        raise Malformed(f"{where}: B or C has more than {MAX_WORK} multi-indices (checker limit)")
    keep = ([_nondecreasing([shape[a] for a in g]) for g in groups[1:]] if symmetric
            else [range(dims[1]), range(dims[2])])
    m, n = len(Sq) * len(keep[1]), len(Sp) * len(keep[0])

    def form(i, j):
        I, gam = divmod(i, len(keep[1]))
        Jc, bet = divmod(j, len(keep[0]))
        gam, bet = keep[1][gam], keep[0][bet]
        S2, S = Sq[I], Sp[Jc]
        if not set(S) <= set(S2):
            return []
        s = (set(S2) - set(S)).pop()
        sign = -1 if S2.index(s) % 2 else 1
        base = ob(bet) + oc(gam)
        return [(sign * Q[s][t], base + oa(t)) for t in range(dims[0]) if Q[s][t]]

    return m, n, math.comb(2 * p, p), form


def matrix_family(spec, shape, where: str):
    """``{"rows": ...}``, ``{"koszul-young": ...}`` or ``{"symmetric-young": ...}``: ``(m, n, k, form)``."""
    if not isinstance(spec, dict) or len(spec) != 1 or not set(spec) <= {"rows", "koszul-young", "symmetric-young"}:
        raise Malformed(f"{where}: expected {{rows: [...]}}, {{koszul-young: {{...}}}} or {{symmetric-young: {{...}}}}")
    if "rows" in spec:
        return flattening(shape, spec["rows"], where)
    if "symmetric-young" in spec:
        return koszul_young(shape, spec["symmetric-young"], f"{where}.symmetric-young", symmetric=True)
    return koszul_young(shape, spec["koszul-young"], f"{where}.koszul-young")


# ------------------------------------------------------------------ exact linear algebra mod p
def _rref(A: list, p: int) -> tuple[list, list]:
    """Reduced row echelon form of A mod p (a copy) and its pivot columns."""
    M = [[x % p for x in row] for row in A]
    rows = len(M)
    cols = len(M[0]) if rows else 0
    piv, r = [], 0
    for c in range(cols):
        i = next((i for i in range(r, rows) if M[i][c]), None)
        if i is None:
            continue
        M[r], M[i] = M[i], M[r]
        inv = pow(M[r][c], -1, p)
        M[r] = [x * inv % p for x in M[r]]
        for i2 in range(rows):
            if i2 != r and M[i2][c]:
                f = M[i2][c]
                M[i2] = [(x - f * y) % p for x, y in zip(M[i2], M[r])]
        piv.append(c)
        r += 1
        if r == rows:
            break
    return M, piv


def _kernel_vector(A: list, p: int) -> list:
    """A nonzero v with A v = 0 mod p, for a square A of rank exactly n - 1."""
    n = len(A)
    M, piv = _rref(A, p)
    free = next(c for c in range(n) if c not in piv)
    v = [0] * n
    v[free] = 1
    for i, c in enumerate(piv):
        v[c] = -M[i][free] % p
    return v


def _det(A: list, p: int) -> int:
    """Determinant mod p by elimination."""
    M = [[x % p for x in row] for row in A]
    n, d = len(M), 1
    for c in range(n):
        i = next((i for i in range(c, n) if M[i][c]), None)
        if i is None:
            return 0
        if i != c:
            M[c], M[i] = M[i], M[c]
            d = -d
        d = d * M[c][c] % p
        inv = pow(M[c][c], -1, p)
        for i2 in range(c + 1, n):
            if M[i2][c]:
                f = M[i2][c] * inv % p
                M[i2] = [(x - f * y) % p for x, y in zip(M[i2], M[c])]
    return d % p


def adjugate_mod(A: list, p: int) -> list:
    """The adjugate (transposed cofactor matrix) of the square matrix A mod the prime p.

    ``adj(A) A = A adj(A) = det(A) I``. Rank n: ``det(A) A^{-1}`` (Gauss-Jordan on ``[A | I]``).
    Rank n - 1: every column of adj(A) lies in the right kernel (span v) and every row in the
    left kernel (span u), so ``adj(A) = mu v u^T``; mu comes from the cofactor at an entry with
    ``v_a u_b != 0``: ``adj(A)_{ab} = (-1)^{a+b} det(A without row b and column a)``. Rank
    below n - 1: every (n-1)-minor vanishes, adj(A) = 0. O(n^3) operations mod p.
    """
    n = len(A)
    if n == 1:
        return [[1]]
    M, piv = _rref([list(row) + [int(i == j) for j in range(n)] for i, row in enumerate(A)], p)
    r = sum(1 for c in piv if c < n)
    if r == n:
        d = _det(A, p)
        return [[d * M[i][n + j] % p for j in range(n)] for i in range(n)]
    if r < n - 1:
        return [[0] * n for _ in range(n)]
    v = _kernel_vector(A, p)
    u = _kernel_vector([list(col) for col in zip(*A)], p)
    a = next(i for i in range(n) if v[i])
    b = next(i for i in range(n) if u[i])
    minor = [[A[i][j] for j in range(n) if j != a] for i in range(n) if i != b]
    cof = (-1) ** (a + b) * _det(minor, p) % p
    mu = cof * pow(v[a] * u[b] % p, -1, p) % p
    return [[mu * v[i] % p * u[j] % p for j in range(n)] for i in range(n)]


# ------------------------------------------------------------------ the variety's coordinates
def _coordinates(v: dict):
    """Function: flat index of the full tensor of the format -> coordinate index (monomials per block)."""
    blocks = v["blocks"]
    shape = [n for n, d in blocks for _ in range(d)]
    mono = [{m: i for i, m in enumerate(itertools.combinations_with_replacement(range(n), d))} for n, d in blocks]
    sizes = [len(x) for x in mono]

    def coord(f):
        idx = []
        for s in reversed(shape):
            f, x = divmod(f, s)
            idx.append(x)
        idx.reverse()
        c, pos = 0, 0
        for (n, d), table, size in zip(blocks, mono, sizes):
            c = c * size + table[tuple(sorted(idx[pos:pos + d]))]
            pos += d
        return c
    return shape, coord


def _value(v: dict, pt: list, p: int):
    """Function: coordinate index -> coordinate of Phi(point) = sum_r (x)_k l_{k,r}^{(x)d_k}, mod p."""
    blocks, R = v["blocks"], v["rank"]
    monos = [list(itertools.combinations_with_replacement(range(n), d)) for n, d in blocks]
    sizes = [len(x) for x in monos]
    cache: dict = {}

    def val(c):
        if c in cache:
            return cache[c]
        parts, cc = [], c
        for size in reversed(sizes):
            cc, a = divmod(cc, size)
            parts.append(a)
        parts.reverse()
        s = 0
        for r in range(R):
            x = 1
            for k, a in enumerate(parts):
                for t in monos[k][a]:
                    x = x * pt[k][t * R + r] % p
            s += x
        cache[c] = s % p
        return cache[c]
    return val


# ------------------------------------------------------------------ rules
@rule("dim-at-most-by-equations")
def dim_at_most_by_equations(step: dict, ctx) -> list:
    """``dim-at-most-by-equations``: dim <= N - k from k independent gradients of equations at a point.

    Step ``{variety, point, modulus, equations, coordinates, rank}``; ``equations`` is a list of
    ``{"matrix": FAMILY, "minors": [{"rows", "cols"}, ...]}`` (a matrix family of the module
    docstring, applied to the format's full tensor, and minors of size > k R), ``coordinates``
    as many distinct coordinate indices as there are minors. The checker computes the point
    ``x_0 = Phi(theta_0)`` mod p with its own code, each minor's matrix at ``x_0``, its adjugate,
    and the gradient entries at the listed coordinates (adjugate chained with the derivatives of
    the linear entries), and hands that square matrix to ``check_minor``.

    Why: each minor f vanishes on sigma_R (rank <= kR there), so ``grad f(Phi(theta)) J(theta)
    = 0`` for every theta; a nonzero minor of the gradient matrix at theta_0 is a nonzero
    polynomial in theta, so at a generic theta the gradients have rank >= #minors and the
    Jacobian, hence the dimension, is at most N - #minors (docs/mathematics.md, "Defects").
    Fact ``dim-at-most`` rank (>= N - #minors).
    """
    _keys(step, {"id", "rule", "variety", "point", "modulus", "equations", "coordinates", "rank"}, "step")
    v = TV.variety(field(step, "variety", "step"), "step.variety")
    if v["format"] != "partial-symmetric":
        raise Malformed("step.variety: dim-at-most-by-equations applies to partial-symmetric formats")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    if p >= 2**62:
        raise Malformed("step.modulus: expected a prime below 2^62")
    u = integer(field(step, "rank", "step"), "step.rank", 0)
    pt = TV._point(step, v, p, "step")
    N, R = TV._ambient(v), v["rank"]
    coords = int_list(field(step, "coordinates", "step"), "step.coordinates", 0, N - 1)
    col = {c: i for i, c in enumerate(coords)}
    shape, coord = _coordinates(v)
    val = _value(v, pt, p)
    eqs = field(step, "equations", "step", list)
    grads, work = [], 0
    for e, eq in enumerate(eqs):
        where = f"step.equations[{e}]"
        field(eq, "matrix", where, dict)
        _keys(eq, {"matrix", "minors"}, where)
        m, n, k, form = matrix_family(eq["matrix"], shape, f"{where}.matrix")
        for t, mi in enumerate(field(eq, "minors", where, list)):
            w = f"{where}.minors[{t}]"
            if not isinstance(mi, dict) or set(mi) != {"rows", "cols"}:
                raise Malformed(f"{w}: expected exactly rows and cols")
            rows = int_list(mi["rows"], f"{w}.rows", 0, m - 1)
            cols = int_list(mi["cols"], f"{w}.cols", 0, n - 1)
            s = len(rows)
            if len(cols) != s:
                raise Malformed(f"{w}: expected as many rows as columns")
            if s <= k * R:
                raise CheckFailure(f"{w}: a {s} x {s} minor does not vanish on sigma_{R} (rank <= {k} x {R} there)")
            forms = [[form(i, j) for j in cols] for i in rows]
            work += s ** 3 + sum(len(f) for row in forms for f in row)
            if work > MAX_WORK:
                raise Malformed(f"step: the equations need more than {MAX_WORK} operations (checker limit)")
            A = [[sum(c * val(coord(f)) for c, f in fs) % p for fs in row] for row in forms]
            adj = adjugate_mod(A, p)
            g = [0] * len(coords)
            for a in range(s):
                for b in range(s):
                    wgt = adj[b][a]
                    if wgt:
                        for c, f in forms[a][b]:
                            x = col.get(coord(f))
                            if x is not None:
                                g[x] = (g[x] + wgt * c) % p
            grads.append(g)
    if len(grads) != len(coords):
        raise Malformed(f"step: {len(grads)} minors but {len(coords)} coordinates (expected as many)")
    if u < N - len(coords):
        raise CheckFailure(f"{len(coords)} independent equations give dim <= {N - len(coords)}, not {u}")
    check_minor(grads, len(coords), p, "of the gradients of the equations at Phi(point)", residues=True)
    return [("dim-at-most", {"variety": v}, u)]


@rule("border-rank-koszul")
def border_rank_koszul(step: dict, ctx) -> list:
    """``border-rank-koszul``: a nonzero minor of a Koszul-Young flattening bounds the border rank below.

    Step ``{tensor, koszul-young, modulus, rank, minor}``: an integer tensor object, a
    Koszul-Young flattening of it (module docstring), and a hinted r x r minor, nonzero mod p
    (``check_minor``). The flattening has rank <= C(2p, p) at rank-one tensors, the rank of a sum
    is at most the sum, and "rank <= C(2p,p) b" is closed: border rank >= ceil(r / C(2p, p))
    [Landsberg, Ottaviani 2013]. Facts: border-rank-at-least (R, C) and cp-rank-at-least (Q,
    R, C), since rank >= border rank.
    """
    _keys(step, {"id", "rule", "tensor", "koszul-young", "modulus", "rank", "minor"}, "step")
    name = field(step, "tensor", "step", str)
    T = ctx.obj(name, "step.tensor")
    if T["type"] != "tensor" or not T["integral"]:
        raise Malformed(f"step.tensor: {name!r} must be a tensor with integer entries")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    m, n, k, form = koszul_young(T["shape"], field(step, "koszul-young", "step", dict), "step.koszul-young")
    rows, cols = minor_hint(step, m, n, r, "step")
    if r * r * len(step["koszul-young"]["projection"][0]) > MAX_WORK:
        raise Malformed("step: the minor is too large for the checker")
    flat = T["flat"]
    check_minor([[sum(c * flat[f] for c, f in form(i, j)) % p for j in cols] for i in rows], r, p,
                "of the Koszul-Young flattening of the tensor", residues=True)
    b = -(-r // k)
    subj = {"tensor": {"object": name}}
    return ([("border-rank-at-least", {**subj, "field": f}, b) for f in ("R", "C")]
            + [("cp-rank-at-least", {**subj, "field": f}, b) for f in ("Q", "R", "C")])


# ------------------------------------------------------------------ forms: catalecticants and Young flattenings
def _parse_form(o: dict, where: str) -> dict:
    """A ``form`` object: ``{"type", "variables": n, "degree": d, "coefficients": [c_m]}`` (module docstring)."""
    _keys(o, {"type", "variables", "degree", "coefficients"}, where)
    n = integer(field(o, "variables", where), f"{where}.variables", 1)
    d = integer(field(o, "degree", where), f"{where}.degree", 1)
    count = math.comb(n + d - 1, d) if n < MAX_ENTRIES and d < MAX_ENTRIES else MAX_ENTRIES + 1
    if count > MAX_ENTRIES:
        raise Malformed(f"{where}: a form of degree {d} in {n} variables exceeds the checker limit")
    coef = field(o, "coefficients", where, list)
    if len(coef) != count:
        raise Malformed(f"{where}.coefficients: expected C(n+d-1, d) = {count} entries, got {len(coef)}")
    if not set(map(type, coef)) <= {int}:
        raise Malformed(f"{where}.coefficients: expected integers")
    index = {m: j for j, m in enumerate(itertools.combinations_with_replacement(range(n), d))}
    return {"type": "form", "n": n, "d": d, "coef": coef, "index": index}


OBJECT_TYPES["form"] = _parse_form


def _ratio(g: tuple, al: tuple) -> int:
    """``(g + alpha)! / g!`` (exponent-wise factorials; g, alpha sorted index tuples): a product of |alpha| integers."""
    e: dict = {}
    for i in g:
        e[i] = e.get(i, 0) + 1
    out = 1
    for i in al:
        e[i] = e.get(i, 0) + 1
        out *= e[i]
    return out


def form_family(f: dict, fam, where: str):
    """The catalecticant or Young flattening ``fam`` of the form f: ``(m, n, k, entry)``.

    ``{"catalecticant": a}``: rows the monomials g of degree d-a, columns alpha of degree a, entry
    ``c_{g+alpha} (g+alpha)!/g!`` (the coefficient of x^g in d^alpha f), k = 1.
    ``{"young": {"derivatives": a, "projection": Q[, "wedge": p]}}`` (Q with q rows; p defaults
    to (q-1)/2, q odd): rows ``(S', gamma)``, columns ``(S, alpha)`` (S, S' p- and (p+1)-subsets
    of ``range(q)`` in combinations order, gamma of degree d-a-1), entry ``(-1)^pos sum_t
    Q[s][t] (gamma_t + 1) Cat_a[gamma + e_t, alpha]`` when ``S' = S + {s}`` with s at position
    pos, else 0: the Young flattening of [Landsberg, Ottaviani 2013], ``k = C(q - 1, p)`` (the
    rank of ``v ^ .`` on ``Lambda^p C^q``, v != 0). Monomials are sorted index tuples in combinations_with_replacement order.
    """
    n, d, coef, index = f["n"], f["d"], f["coef"], f["index"]
    if not isinstance(fam, dict) or len(fam) != 1 or not set(fam) <= {"catalecticant", "young"}:
        raise Malformed(f"{where}: expected {{catalecticant: a}} or {{young: {{derivatives, projection}}}}")

    def cat(g, al):
        return coef[index[tuple(sorted(g + al))]] * _ratio(g, al)

    def monos(k):
        if math.comb(n + k - 1, k) > MAX_WORK:
            raise Malformed(f"{where}: more than {MAX_WORK} monomials of degree {k} (checker limit)")
        return list(itertools.combinations_with_replacement(range(n), k))

    if "catalecticant" in fam:
        a = integer(fam["catalecticant"], f"{where}.catalecticant", 1, d - 1)
        rows, cols = monos(d - a), monos(a)
        return len(rows), len(cols), 1, lambda i, j: cat(rows[i], cols[j])
    y = fam["young"]
    if not isinstance(y, dict) or not {"derivatives", "projection"} <= set(y) <= {"derivatives", "projection", "wedge"}:
        raise Malformed(f"{where}.young: expected derivatives, projection and optionally wedge")
    a = integer(y["derivatives"], f"{where}.young.derivatives", 0, d - 1)
    Q = y["projection"]
    if not isinstance(Q, list) or len(Q) < 3 or len(Q) > 10**4 or "wedge" not in y and len(Q) % 2 == 0:
        raise Malformed(f"{where}.young.projection: expected q >= 3 rows (an odd number 2p+1 without wedge)")
    Q = [int_list(row, f"{where}.young.projection[{s}]", -(2**62), 2**62, distinct=False) for s, row in enumerate(Q)]
    if any(len(row) != n for row in Q):
        raise Malformed(f"{where}.young.projection: expected rows of length n = {n}")
    q = len(Q)
    p = integer(y["wedge"], f"{where}.young.wedge", 1, q - 2) if "wedge" in y else (q - 1) // 2
    if math.comb(q, p) > MAX_SUBSETS:
        raise Malformed(f"{where}: C({q}, {p}) subsets exceed the checker limit {MAX_SUBSETS}")
    Sp = list(itertools.combinations(range(q), p))
    Sq = list(itertools.combinations(range(q), p + 1))
    gammas, alphas = monos(d - a - 1), monos(a)

    def entry(i, j):
        I, gi = divmod(i, len(gammas))
        J, aj = divmod(j, len(alphas))
        S2, S = Sq[I], Sp[J]
        if not set(S) <= set(S2):
            return 0
        s = (set(S2) - set(S)).pop()
        g, al = gammas[gi], alphas[aj]
        v = sum(Q[s][t] * (g.count(t) + 1) * cat(tuple(sorted(g + (t,))), al) for t in range(n) if Q[s][t])
        return -v if S2.index(s) % 2 else v

    return len(Sq) * len(gammas), len(Sp) * len(alphas), math.comb(q - 1, p), entry


@rule("border-rank-young")
def border_rank_young(step: dict, ctx) -> list:
    """``border-rank-young``: a nonzero minor of a catalecticant or Young flattening of a form.

    Step ``{form, family, modulus, rank, minor}``: a ``form`` object, a family of
    :func:`form_family` that the checker builds from the coefficients, and a hinted r x r minor,
    nonzero mod p (``check_minor``). The family has rank <= k at every d-th power ``l^d``, so
    <= k R on sigma_R of the Veronese variety (closed): the Waring border rank of f is at least
    ``ceil(r / k)`` [Landsberg, Ottaviani 2013]. Facts: border-rank-at-least (R, C) of the form
    (its Waring border rank; docs/certificates.md).
    """
    _keys(step, {"id", "rule", "form", "family", "modulus", "rank", "minor"}, "step")
    name = field(step, "form", "step", str)
    f = ctx.obj(name, "step.form")
    if f["type"] != "form":
        raise Malformed(f"step.form: {name!r} must be a form object")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    m, n, k, entry = form_family(f, field(step, "family", "step", dict), "step.family")
    rows, cols = minor_hint(step, m, n, r, "step")
    if r * r * f["n"] * f["d"] > MAX_WORK:
        raise Malformed("step: the minor is too large for the checker")
    check_minor([[entry(i, j) % p for j in cols] for i in rows], r, p,
                "of the form's " + ("catalecticant" if "catalecticant" in step["family"] else "Young flattening"),
                residues=True)
    return [("border-rank-at-least", {"form": {"object": name}, "field": fld}, -(-r // k)) for fld in ("R", "C")]


@rule("waring-border-rank-at-most")
def waring_border_rank_at_most(step: dict, ctx) -> list:
    """``waring-border-rank-at-most``: every form of S^d(C^n) has Waring border rank <= R when sigma_R fills.

    Step ``{form, rank}``. Needs the derived fact ``dim-at-least C(n+d-1, d)`` of the variety
    ``{"format": "partial-symmetric", "blocks": [[n, d]], "rank": R}`` (a Terracini step). sigma_R
    is closed and irreducible in S^d(C^n), so of full dimension it is the whole space: the form
    is a limit of sums of R d-th powers. Fact: border-rank-at-most R (field C) of the form.
    """
    return _at_most_by_filling(step, ctx, "form", lambda f: [[f["n"], f["d"]]])


def _at_most_by_filling(step: dict, ctx, kind: str, blocks_of) -> list:
    """``border-rank-at-most`` R of the ``kind`` object (form or tensor) named by the step, from the
    derived fact that sigma_R of its format ``blocks_of(object)`` has full dimension."""
    _keys(step, {"id", "rule", kind, "rank"}, "step")
    name = field(step, kind, "step", str)
    o = ctx.obj(name, f"step.{kind}")
    if o["type"] != kind:
        raise Malformed(f"step.{kind}: {name!r} must be a {kind} object")
    R = integer(field(step, "rank", "step"), "step.rank", 1)
    v = TV.variety({"format": "partial-symmetric", "blocks": blocks_of(o), "rank": R}, "step")
    ctx.require("dim-at-least", {"variety": v}, TV._ambient(v), "step")
    return [("border-rank-at-most", {kind: {"object": name}, "field": "C"}, R)]


@rule("border-rank-at-most-by-filling")
def border_rank_at_most_by_filling(step: dict, ctx) -> list:
    """``border-rank-at-most-by-filling``: every tensor of a format has border rank <= R when sigma_R fills.

    Step ``{tensor, rank}``. Needs the derived fact ``dim-at-least n_1 ... n_d`` of the variety
    ``{"format": "partial-symmetric", "blocks": [[n_1, 1], ..., [n_d, 1]], "rank": R}`` (a
    Terracini step), n_k the tensor's shape. sigma_R is closed and irreducible in the ambient
    space, so of full dimension it is the whole space: the tensor is a limit of tensors of rank
    <= R. Fact: border-rank-at-most R (field C) of the tensor.
    """
    return _at_most_by_filling(step, ctx, "tensor", lambda t: [[n, 1] for n in t["shape"]])
