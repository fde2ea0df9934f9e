"""Rules about CP (tensor) rank, border rank, and the Gaussian moment identity of 2-layer networks.

Subjects: ``{"tensor": {"object": NAME}, "field": F}``. A rational decomposition bounds the
rank over every field containing Q, and a flattening / pencil lower bound over C bounds it over
every subfield of C, so each rule states its facts for ``F`` in ``Q``, ``R`` and ``C``. Border
rank (closure in the Euclidean topology) is stated over ``R`` and ``C``.

Rules: ``cp-decomposition``, ``cp-rank-from-flattening``, ``cp-rank-pencil``,
``border-rank-curve``, ``gaussian-moment-identity`` (each function's docstring says what it
checks and why that proves its fact).
"""
from __future__ import annotations

import itertools
from fractions import Fraction
from math import comb, prod

from tnverify.checker.families.matrices import full_matrix, matrix_ref, matrix_shape
from tnverify.checker.kernel import CheckFailure, Malformed, check_minor, field, int_list, integer, num, rule

#: Largest side of the pencil matrix (characteristic polynomial by Faddeev-LeVerrier, O(n^4)).
MAX_PENCIL = 60
#: Largest number of coefficients of one polynomial in t.
MAX_POLY = 64
#: Largest number of inputs / neurons / activation degree of the moment rule.
MAX_INPUTS, MAX_NEURONS, MAX_DEGREE = 16, 64, 10
#: Largest number of multiply-adds of one rule (checked before computing).
MAX_WORK = 200_000_000

_RANK_FIELDS = ("Q", "R", "C")
_BORDER_FIELDS = ("R", "C")


def _keys(step: dict, allowed: set) -> None:
    extra = set(step) - allowed - {"id", "rule"}
    if extra:
        raise Malformed(f"unknown keys {sorted(extra)}")


def _subject(name: str, fld: str) -> dict:
    return {"tensor": {"object": name}, "field": fld}


def _tensor(step: dict, ctx) -> tuple[str, dict]:
    name = field(step, "tensor", "step", str)
    T = ctx.obj(name, "step.tensor")
    if T["type"] != "tensor":
        raise Malformed(f"step.tensor: {name!r} is a {T['type']}, not a tensor")
    return name, T


def _nums(x, n: int, where: str) -> list:
    if not isinstance(x, list) or len(x) != n:
        raise Malformed(f"{where}: expected a list of {n} numbers")
    return [num(v, f"{where}[{i}]") for i, v in enumerate(x)]


def _entries(shape):
    return itertools.product(*[range(s) for s in shape])


# ------------------------------------------------------------------ cp-decomposition
@rule("cp-decomposition")
def cp_decomposition(step: dict, ctx) -> list:
    """``cp-decomposition``: an exact rank-R decomposition bounds the CP rank (and border rank) above.

    ``{"tensor": NAME, "rank": R, "factors": [REF_1..REF_N], "weights": [R numbers] (optional)}``.
    Checks ``T == sum_r w_r F_1[:, r] (x) ... (x) F_N[:, r]`` exactly (rationals allowed).
    Facts: cp-rank-at-most R (Q, R, C); border-rank-at-most R (R, C), since border rank <= rank
    (docs/mathematics.md, section 7). Cost O(prod_n I_n R N) exact operations.
    """
    _keys(step, {"tensor", "rank", "factors", "weights"})
    name, T = _tensor(step, ctx)
    R = integer(field(step, "rank", "step"), "step.rank", 1)
    refs = field(step, "factors", "step", list)
    shape = T["shape"]
    if len(refs) != len(shape):
        raise Malformed(f"step.factors: expected {len(shape)} factor matrices for an order-{len(shape)} tensor")
    for i, r in enumerate(refs):
        matrix_ref(r, f"step.factors[{i}]")
        m, n = matrix_shape(ctx, r, f"step.factors[{i}]")
        if n != R:
            raise Malformed(f"step.factors[{i}]: expected {R} columns (the rank), got {n}")
        if m != shape[i]:
            raise CheckFailure(f"factor {i} has {m} rows, the tensor has {shape[i]} in mode {i}")
    if prod(shape) * R > MAX_WORK:
        raise Malformed(f"step: {prod(shape)} entries times rank {R} exceeds the checker limit")
    w = _nums(step["weights"], R, "step.weights") if "weights" in step else [1] * R
    Fs = [full_matrix(ctx, r, f"step.factors[{i}]") for i, r in enumerate(refs)]
    for idx, t in zip(_entries(shape), T["flat"]):
        s = 0
        for r in range(R):
            term = w[r]
            for F, i in zip(Fs, idx):
                if not term:
                    break
                term = term * F[i][r]
            s += term
        if s != t:
            raise CheckFailure(f"T{list(idx)} = {t} but the rank-{R} decomposition gives {s}")
    return ([("cp-rank-at-most", _subject(name, f), R) for f in _RANK_FIELDS]
            + [("border-rank-at-most", _subject(name, f), R) for f in _BORDER_FIELDS])


# ------------------------------------------------------------------ flattening lower bound
@rule("cp-rank-from-flattening")
def cp_rank_from_flattening(step: dict, ctx) -> list:
    """``cp-rank-from-flattening``: a flattening's rank bounds the CP rank (and border rank) below.

    ``{"tensor": NAME, "rows": [...], "rank": r}``. Requires the fact rank-at-least r over Q for
    the flattening ``{"object": NAME, "rows": rows}`` (rules_matrix). A rank-one tensor has
    flattenings of rank 1 and rank is subadditive, so rank(T) >= rank of any flattening, over
    any field (the flattening rank is the same over Q, R and C); "rank <= r - 1" is closed, so
    border rank too (docs/mathematics.md, section 7). Facts: cp-rank-at-least r (Q, R, C);
    border-rank-at-least r (R, C).
    """
    _keys(step, {"tensor", "rows", "rank"})
    name, T = _tensor(step, ctx)
    N = len(T["shape"])
    rows = int_list(field(step, "rows", "step"), "step.rows", 0, N - 1)
    if not rows or len(rows) == N:
        raise Malformed("step.rows: both sides of the flattening must be nonempty")
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    ref = {"object": name, "rows": rows}
    ctx.require("rank-at-least", {"matrix": ref, "field": "Q"}, r, "step")
    return ([("cp-rank-at-least", _subject(name, f), r) for f in _RANK_FIELDS]
            + [("border-rank-at-least", _subject(name, f), r) for f in _BORDER_FIELDS])


# ------------------------------------------------------------------ pencil (Jordan block) bound
def _inverse(A: list) -> list:
    """Exact inverse over Q (Gauss-Jordan) of a matrix already checked nonsingular."""
    n = len(A)
    M = [[Fraction(x) for x in row] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(A)]
    for c in range(n):
        p = next(i for i in range(c, n) if M[i][c] != 0)
        M[c], M[p] = M[p], M[c]
        inv = 1 / M[c][c]
        M[c] = [x * inv for x in M[c]]
        for i in range(n):
            if i != c and M[i][c] != 0:
                f = M[i][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[c])]
    return [row[n:] for row in M]


def _matmul(A: list, B: list) -> list:
    Bt = list(zip(*B))
    return [[sum(a * b for a, b in zip(row, col) if a) for col in Bt] for row in A]


def _charpoly(A: list) -> list:
    """Characteristic polynomial det(x I - A), coefficients from degree 0 (Faddeev-LeVerrier)."""
    n = len(A)
    c = [Fraction(0)] * (n + 1)
    c[n] = Fraction(1)
    Mk = [[Fraction(0)] * n for _ in range(n)]
    for k in range(1, n + 1):
        Mk = _matmul(A, Mk)
        for i in range(n):
            Mk[i][i] += c[n - k + 1]
        AM = _matmul(A, Mk)
        c[n - k] = -sum(AM[i][i] for i in range(n)) / k
    return c


def _trim(p: list) -> list:
    while p and p[-1] == 0:
        p = p[:-1]
    return p


def _divmod_poly(a: list, b: list) -> tuple[list, list]:
    a = [Fraction(x) for x in a]
    q = [Fraction(0)] * max(len(a) - len(b) + 1, 1)
    while len(_trim(a)) >= len(b):
        a = _trim(a)
        f = a[-1] / b[-1]
        s = len(a) - len(b)
        q[s] = f
        for i, x in enumerate(b):
            a[s + i] -= f * x
    return _trim(q), _trim(a)


def _gcd_poly(a: list, b: list) -> list:
    a, b = _trim(list(a)), _trim(list(b))
    while b:
        a, b = b, _divmod_poly(a, b)[1]
    return [x / a[-1] for x in a]


def _eval_matrix_poly(p: list, M: list) -> list:
    n = len(M)
    out = [[Fraction(0)] * n for _ in range(n)]
    for coef in reversed(p):
        out = _matmul(out, M)
        for i in range(n):
            out[i][i] += coef
    return out


@rule("cp-rank-pencil")
def cp_rank_pencil(step: dict, ctx) -> list:
    """``cp-rank-pencil``: a non-diagonalizable pencil S2 S1^{-1} proves CP rank > n.

    ``{"tensor": NAME, "z1": [K numbers], "z2": [K numbers]}`` for an n x n x K tensor. With
    ``S_i = sum_k z_i[k] T[:, :, k]``: checks S1 is invertible (``check_minor`` over Z) and that ``M = S2 S1^{-1}`` is
    NOT diagonalizable over C (the squarefree part s of its characteristic polynomial has
    ``s(M) != 0``, i.e. the minimal polynomial has a repeated root). If rank_C(T) <= n, the
    n x n x 2 tensor (S1, S2) (a contraction of T: rank cannot grow) would be
    ``sum_{r<=n} a_r (x) b_r (x) c_r``, so ``S1 = A diag(c_1) B^T`` invertible forces A, B
    invertible, and ``M = A diag(c_2 / c_1) A^{-1}`` would be diagonalizable. Fact:
    cp-rank-at-least n + 1 (Q, R, C). (Not a border-rank bound: the W tensor.) Reference:
    J. Ja'Ja', "Optimal evaluation of pairs of bilinear forms", SIAM J. Comput. 8(3) (1979);
    docs/mathematics.md, section 7. Cost: O(n^2 K) for the slices, O(n^3) for the inverse and
    O(n^4) rational operations for the characteristic polynomial (Faddeev-LeVerrier).
    """
    _keys(step, {"tensor", "z1", "z2"})
    name, T = _tensor(step, ctx)
    shape = T["shape"]
    if len(shape) != 3 or shape[0] != shape[1]:
        raise Malformed(f"step.tensor: the pencil rule needs an n x n x K tensor, got shape {shape}")
    n, _, K = shape
    if n > MAX_PENCIL:
        raise Malformed(f"step.tensor: n = {n} exceeds the pencil limit {MAX_PENCIL}")
    z = [_nums(field(step, k, "step"), K, f"step.{k}") for k in ("z1", "z2")]
    flat = T["flat"]
    S1, S2 = ([[sum(zz[k] * flat[(i * n + j) * K + k] for k in range(K)) for j in range(n)] for i in range(n)]
              for zz in z)
    check_minor(S1, n, None, "formed by the whole slice combination S1 = T(z1)")
    M = _matmul(S2, _inverse(S1))
    chi = _charpoly(M)
    d = [i * c for i, c in enumerate(chi)][1:]
    s = _divmod_poly(chi, _gcd_poly(chi, d))[0]
    if all(x == 0 for row in _eval_matrix_poly(s, M) for x in row):
        raise CheckFailure("S2 S1^{-1} is diagonalizable over C (its minimal polynomial is squarefree)")
    return [("cp-rank-at-least", _subject(name, f), n + 1) for f in _RANK_FIELDS]


# ------------------------------------------------------------------ border rank by a curve
def _poly(x, where: str) -> list:
    if not isinstance(x, list) or not 1 <= len(x) <= MAX_POLY:
        raise Malformed(f"{where}: expected a polynomial as a list of 1 to {MAX_POLY} coefficients")
    return [num(c, f"{where}[{i}]") for i, c in enumerate(x)]


def _pmul(a: list, b: list) -> list:
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        if x:
            for j, y in enumerate(b):
                out[i + j] += x * y
    return out


@rule("border-rank-curve")
def border_rank_curve(step: dict, ctx) -> list:
    """``border-rank-curve``: a polynomial curve of rank-R tensors converging to T bounds the border rank.

    ``{"tensor": NAME, "rank": R, "degree": h, "factors": [F_1..F_N], "weights": [R polys] (opt.)}``
    where each ``F_n`` is an I_n x R matrix (inline lists) of polynomials in t, a polynomial being
    the list of its coefficients from degree 0 up. Expands ``S(t) = sum_r w_r(t) prod_n F_n(t)``
    exactly and checks: every coefficient of ``t^j`` for ``j < h`` is zero and the coefficient
    of ``t^h`` is T. Then ``T = lim_{t -> 0} t^{-h} S(t)``, a limit of tensors of rank <= R
    (docs/mathematics.md, section 7, "Curves"). Fact: border-rank-at-most R (R, C).
    Cost: prod_n I_n R products of N polynomials of at most D coefficients each.
    """
    _keys(step, {"tensor", "rank", "degree", "factors", "weights"})
    name, T = _tensor(step, ctx)
    shape = T["shape"]
    R = integer(field(step, "rank", "step"), "step.rank", 1)
    h = integer(field(step, "degree", "step"), "step.degree", 0, MAX_POLY)
    facs = field(step, "factors", "step", list)
    if len(facs) != len(shape):
        raise Malformed(f"step.factors: expected {len(shape)} factor matrices for an order-{len(shape)} tensor")
    if prod(shape) * R * MAX_POLY ** 2 > MAX_WORK * 50:
        raise Malformed("step: the curve is too large for the checker")
    Fs = []
    for n, F in enumerate(facs):
        if not isinstance(F, list) or len(F) != shape[n] or any(not isinstance(r, list) or len(r) != R for r in F):
            raise Malformed(f"step.factors[{n}]: expected a {shape[n]} x {R} matrix of polynomials")
        Fs.append([[_poly(p, f"step.factors[{n}][{i}][{r}]") for r, p in enumerate(row)] for i, row in enumerate(F)])
    w = ([_poly(p, f"step.weights[{r}]") for r, p in enumerate(field(step, "weights", "step", list))]
         if "weights" in step else [[1]] * R)
    if len(w) != R:
        raise Malformed(f"step.weights: expected {R} polynomials")
    for idx, t in zip(_entries(shape), T["flat"]):
        total = [0]
        for r in range(R):
            term = w[r]
            for F, i in zip(Fs, idx):
                term = _pmul(term, F[i][r])
            total = [a + b for a, b in itertools.zip_longest(total, term, fillvalue=0)]
        total += [0] * (h + 1 - len(total))
        low = next((j for j in range(h) if total[j] != 0), None)
        if low is not None:
            raise CheckFailure(f"at T{list(idx)} the curve has the nonzero coefficient {total[low]} of t^{low} "
                               f"below t^{h}")
        if total[h] != t:
            raise CheckFailure(f"T{list(idx)} = {t} but the coefficient of t^{h} is {total[h]}")
    return [("border-rank-at-most", _subject(name, f), R) for f in _BORDER_FIELDS]


# ------------------------------------------------------------------ Gaussian moment identity
def _double_factorial_moment(e: int) -> int:
    """E[z^e] for z ~ N(0, 1): (e - 1)!! for even e, 0 for odd e."""
    if e % 2:
        return 0
    out = 1
    for k in range(e - 1, 0, -2):
        out *= k
    return out


def _gauss(beta) -> int:
    return prod(_double_factorial_moment(e) for e in beta)


def _network_poly(W: list, b: list, a: list, c: list, d: int, k: int) -> dict:
    """y(x) = sum_j a_j sum_m c_m (w_j . x + b_j)^m as {exponent tuple: coefficient}."""
    y: dict = {}
    zero = (0,) * d
    for j in range(k):
        lin = {zero: b[j]}
        for i in range(d):
            if W[i][j]:
                e = [0] * d
                e[i] = 1
                lin[tuple(e)] = W[i][j]
        power = {zero: 1}
        for m, cm in enumerate(c):
            if m:
                nxt: dict = {}
                for e1, v1 in power.items():
                    for e2, v2 in lin.items():
                        e = tuple(x + y2 for x, y2 in zip(e1, e2))
                        nxt[e] = nxt.get(e, 0) + v1 * v2
                power = nxt
            if cm:
                for e, v in power.items():
                    y[e] = y.get(e, 0) + a[j] * cm * v
    return {e: v for e, v in y.items() if v}


def _moment_entry(y: dict, i: int, k: int, l: int) -> object:
    """E[y(x) He_3(x)_{ikl}] by Isserlis."""
    s = 0
    for e, v in y.items():
        def add(*idx):
            b = list(e)
            for t in idx:
                b[t] += 1
            return _gauss(b)
        val = add(i, k, l)
        if k == l:
            val -= add(i)
        if i == l:
            val -= add(k)
        if i == k:
            val -= add(l)
        s += v * val
    return s


def _stein_weight(w: list, b, c: list) -> object:
    """E[s'''(b + |w| z)] for s(u) = sum_m c_m u^m, z ~ N(0, 1), using only |w|^2."""
    sigma2 = sum(x * x for x in w)
    total = 0
    for m, cm in enumerate(c):
        if m < 3 or not cm:
            continue
        q = m - 3
        coef = cm * m * (m - 1) * (m - 2)
        # E[(b + sigma z)^q] = sum_{i even} C(q, i) b^(q-i) sigma^i (i-1)!!
        for i in range(0, q + 1, 2):
            total += coef * comb(q, i) * b ** (q - i) * sigma2 ** (i // 2) * _double_factorial_moment(i)
    return total


@rule("gaussian-moment-identity")
def gaussian_moment_identity(step: dict, ctx) -> list:
    """``gaussian-moment-identity``: T is the third Gaussian moment of a 2-layer polynomial network.

    ``{"tensor": NAME, "weights": REF (d x k matrix W), "bias": [k], "output": [k],
    "activation": [c_0..c_m]}`` for y = sum_j a_j s(w_j^T x + b_j), s(u) = sum_m c_m u^m,
    x ~ N(0, I_d). The checker (1) expands y into monomials and computes the population moment
    ``E[y He_3(x)]``, He_3(x)_{ikl} = x_i x_k x_l - x_i d_kl - x_k d_il - x_l d_ik, from the
    Gaussian moments E[x^beta] = prod_i (beta_i - 1)!! (0 if some beta_i is odd; Isserlis), and
    checks it equals T; (2) computes lambda_j = a_j E[s'''(w_j^T x + b_j)] = a_j E[s'''(b_j + |w_j| z)]
    with z ~ N(0, 1), and checks ``T == sum_j lambda_j w_j^{(x)3}`` (Stein's identity, Janzamin,
    Sedghi, Anandkumar, arXiv:1506.08473, 2015; docs/mathematics.md, section 8). Facts:
    gaussian-moment-identity True for ``{"tensor": {"object": NAME}, "weights": REF}``;
    cp-rank-at-most k (Q, R, C), as the second check is a rational decomposition with k terms.
    Cost: y has at most C(d + m, m) monomials (m the activation's degree), each read for each of
    the C(d + 2, 3) distinct entries of T.
    """
    _keys(step, {"tensor", "weights", "bias", "output", "activation"})
    name, T = _tensor(step, ctx)
    ref = matrix_ref(field(step, "weights", "step"), "step.weights")
    d, k = matrix_shape(ctx, ref, "step.weights")
    if d > MAX_INPUTS or k > MAX_NEURONS:
        raise Malformed(f"step.weights: {d} x {k} exceeds the limits {MAX_INPUTS} inputs, {MAX_NEURONS} neurons")
    c = field(step, "activation", "step", list)
    if not 1 <= len(c) <= MAX_DEGREE + 1:
        raise Malformed(f"step.activation: expected 1 to {MAX_DEGREE + 1} polynomial coefficients")
    c = [num(x, f"step.activation[{i}]") for i, x in enumerate(c)]
    b = _nums(field(step, "bias", "step"), k, "step.bias")
    a = _nums(field(step, "output", "step"), k, "step.output")
    if T["shape"] != [d, d, d]:
        raise CheckFailure(f"the tensor has shape {T['shape']}, the moment of {d} inputs is {[d, d, d]}")
    if k * comb(d + len(c) - 1, len(c) - 1) * d ** 3 > MAX_WORK:
        raise Malformed("step: the moment computation exceeds the checker limit")
    W = full_matrix(ctx, ref, "step.weights")
    y = _network_poly(W, b, a, c, d, k)
    cache: dict = {}
    for (i, kk, l), t in zip(_entries([d, d, d]), T["flat"]):
        key = tuple(sorted((i, kk, l)))
        if key not in cache:
            cache[key] = _moment_entry(y, *key)
        if cache[key] != t:
            raise CheckFailure(f"T[{i}, {kk}, {l}] = {t} but the Gaussian moment E[y He_3(x)] there is {cache[key]}")
    lam = [a[j] * _stein_weight([W[i][j] for i in range(d)], b[j], c) for j in range(k)]
    for (i, kk, l), t in zip(_entries([d, d, d]), T["flat"]):
        s = sum(lam[j] * W[i][j] * W[kk][j] * W[l][j] for j in range(k))
        if s != t:
            raise CheckFailure(f"T[{i}, {kk}, {l}] = {t} but sum_j lambda_j w_j^(x)3 gives {s}")
    return ([("gaussian-moment-identity", {"tensor": {"object": name}, "weights": ref}, True)]
            + [("cp-rank-at-most", _subject(name, f), k) for f in _RANK_FIELDS])
