"""Young flattenings of forms: proved lower bounds on the Waring border rank of an explicit form.

A form of degree d in n variables is ``f = sum_m c_m x^m`` with integer coefficients, m over the
monomials of degree d, written as multisets of ``range(n)`` (sorted index tuples) in
``itertools.combinations_with_replacement`` order; ``g!`` is the product of the factorials of
the exponents of g. Two matrix families, both linear in the coefficients and exact over Z:

* the **catalecticant** ``Cat_a(f): S^a V* -> S^{d-a} V``, ``x^alpha -> d^alpha f``: entry
  ``(g, alpha)`` is the coefficient of ``x^g`` in ``d^alpha f``, ``c_{g+alpha} (g+alpha)!/g!``.
  At ``l^d`` it has rank 1.
* the **Young flattening** [1]
  ``Y_{a,p}(f): S^a V* (x) Lambda^p C^{2p+1} -> S^{d-a-1} V (x) Lambda^{p+1} C^{2p+1}``,
  ``d^alpha (x) e_S -> sum_s D_s d^alpha f (x) (e_s ^ e_S)``, where ``D_s = sum_t Q[s, t] d/dx_t``
  and Q is a ``(2p+1) x n`` integer matrix (the restriction of V to a (2p+1)-dimensional
  quotient; the identity when n = 2p+1). Rows ``(S', gamma)``: the (p+1)-subsets S' of
  ``range(2p+1)`` in ``combinations`` order, then gamma over the monomials of degree d-a-1;
  columns ``(S, alpha)``; the entry is ``(-1)^pos sum_t Q[s, t] (gamma_t + 1) Cat_a[gamma + e_t,
  alpha]`` when ``S' = S + {s}`` with s at position pos of S', else 0. At ``l^d``,
  ``D_s d^alpha l^d = d!/(d-a-1)! l^alpha (Q l)_s l^{d-a-1}``: the map is a rank-one map tensored
  with ``(Q l) ^ .`` on ``Lambda^p C^{2p+1}``, of rank ``C(2p, p)`` (0 when ``Q l = 0``). The
  same map with ``Lambda^p C^q`` for any q >= 3 and ``1 <= p <= q - 2`` (``"wedge": p``) has
  rank ``C(q - 1, p)`` at ``l^d``; it is used with Q the identity (q = n).

Rank is subadditive and "rank <= k" is closed, so on sigma_R of the Veronese variety (Waring
border rank <= R) these matrices have rank <= R and <= C(2p, p) R: the Waring border rank of f is
at least ``rank Cat_a`` and ``ceil(rank Y_{a,p} / C(2p, p))``. With ``T`` the symmetric tensor of
f (``T_m = c_m m!/d!``, so ``f(x) = T(x, ..., x)``), ``Cat_a = diag(d!/g!) T_{(a)}`` and
``Y_{a,p} = diag(d!/gamma!)`` times the Koszul-Young flattening of T (A one mode, B a modes, C
the other d-a-1; :mod:`tnverify.theory.koszul`) on its non-decreasing rows and columns: the
bounds hold for the (tensor) border rank of T as well, which is at most the Waring border rank.
Ranks are computed mod a random prime: a nonzero minor mod p is a nonzero integer, so the rank
over Q, hence over C, is at least the rank mod p (docs/mathematics.md, "Young flattenings of
forms").

Cost: a matrix of ``rows x cols`` entries built in O(rows cols n) operations, then its rank mod
p in O(rows cols min(rows, cols)).

References
----------
.. [1] J. M. Landsberg, G. Ottaviani, "Equations for secant varieties of Veronese and other
   varieties", Ann. Mat. Pura Appl. 192 (2013) 569-606.
"""
from __future__ import annotations

import functools
import itertools
import math
import re

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate
from tnverify.errors import InputError
from tnverify.numbers import MAX_DIGITS
from tnverify.numeric.modp import FAST_PRIME_BITS, pick_prime, rank_profile
from tnverify.theory.koszul import BorderResult, koszul_blocks
from tnverify.theory.terracini import filling_rank

__all__ = ["Form", "parse_form", "form_from_tensor", "catalecticant", "young_form_matrix", "form_candidates",
           "waring_border_cost", "waring_border_lower", "form_object", "MAX_FORM_ENTRIES"]

#: Largest family matrix tried on an explicit form (entries).
MAX_FORM_ENTRIES = 4e6
#: Largest ``r^2 n d`` of a witness minor (r <= min(rows, cols)): the checker's limit for one step.
MAX_MINOR_WORK = 3e7


class Form:
    """A form of degree ``d`` in ``n`` variables: dense integer coefficients in monomial order."""

    def __init__(self, n: int, d: int, coefficients: list):
        self.n, self.d, self.coefficients = n, d, [int(c) for c in coefficients]

    @property
    def monomials(self) -> list:
        return list(itertools.combinations_with_replacement(range(self.n), self.d))

    def describe(self) -> str:
        """``a form of degree 5 in 3 variables``."""
        return f"a form of degree {self.d} in {self.n} variables"


def form_object(f: Form) -> dict:
    """The certificate object ``{"type": "form", "variables", "degree", "coefficients"}``."""
    return {"type": "form", "variables": f.n, "degree": f.d, "coefficients": list(f.coefficients)}


def _dense_size(n: int, d: int, what: str) -> None:
    """Refuse a form whose monomials (C(n+d-1, d) index tuples of length d) are over the budget."""
    count = budget.comb(n + d - 1, d)
    budget.require(f"the coefficients of {what}", memory=(64 + 8 * d) * count, work=count * d)


_TERM = re.compile(r"([+-]?)([^+-]+)")
_FACTOR = re.compile(r"^x([0-9]+)(?:\^([0-9]+))?$")


def parse_form(text: str) -> Form:
    """A homogeneous polynomial with integer coefficients in ``x0, x1, ...``, e.g. ``x0^3 - 2*x1*x2^2``.

    Terms are joined by ``+``/``-``; a term is an optional integer coefficient (``2*x0`` or
    ``2x0``) and factors ``x<i>``, ``x<i>^<e>`` or ``x<i>**<e>`` joined by ``*``; blanks are ignored. The number of variables is the
    largest index plus one. Raises InputError (one line) on anything else, on a polynomial that
    is not homogeneous of degree >= 1, or on one whose coefficients are all zero.
    """
    s = "".join(str(text).split()).replace("**", "^")
    if not s or not s.isascii():
        raise InputError(f"expected a polynomial like x0^3 - 2*x1*x2^2 (integer coefficients, variables x0, x1, ...), "
                         f"got {str(text)[:60]!r}")
    terms: dict = {}
    pos = 0
    for m in _TERM.finditer(s):
        if m.start() != pos:
            break
        pos = m.end()
        sign, body = m.groups()
        coef, exps = -1 if sign == "-" else 1, {}
        for k, part in enumerate(body.split("*")):
            lead = re.match(r"[0-9]+", part) if k == 0 else None
            if lead:  # a coefficient, written before the first factor (2*x0 or 2x0)
                if lead.end() > MAX_DIGITS:
                    raise InputError(f"expected a coefficient of at most {MAX_DIGITS} digits, got {lead.end()}")
                coef *= int(lead.group())
                part = part[lead.end():]
                if not part:
                    continue
            fm = _FACTOR.match(part)
            if fm is None:
                raise InputError(f"expected a factor like x2 or x2^3 in the polynomial (factors joined by *), got {part[:40]!r}")
            i, e = int(fm.group(1)), int(fm.group(2) or 1)
            if len(fm.group(1)) > 7 or len(fm.group(2) or "") > 7 or i > 10**6 or e > 10**6:
                raise InputError(f"expected a variable index and an exponent below 10^6, got {part[:30]!r}")
            exps[i] = exps.get(i, 0) + e
        key = tuple(sorted(exps.items()))
        terms[key] = terms.get(key, 0) + coef
    if pos != len(s):
        raise InputError(f"expected a polynomial like x0^3 - 2*x1*x2^2, got {str(text)[:60]!r}")
    terms = {k: c for k, c in terms.items() if c}
    degrees = {sum(e for _, e in k) for k in terms}
    if not terms:
        raise InputError("expected a nonzero polynomial, got one whose coefficients are all 0")
    if len(degrees) != 1 or 0 in degrees:
        raise InputError(f"expected a homogeneous polynomial of degree >= 1 (a form), got terms of degrees "
                         f"{sorted(degrees)[:6]}")
    d = degrees.pop()
    n = 1 + max(i for k in terms for i, _ in k)
    _dense_size(n, d, f"a form of degree {d} in {n} variables")
    index = {m: j for j, m in enumerate(itertools.combinations_with_replacement(range(n), d))}
    coef = [0] * len(index)
    for k, c in terms.items():
        coef[index[tuple(i for i, e in k for _ in range(e))]] = c
    return Form(n, d, coef)


def form_from_tensor(T) -> Form:
    """The form ``f(x) = T(x, ..., x)`` of a symmetric tensor of shape ``(n,) * d`` (``c_m = T_m d!/m!``).

    Raises InputError when T is not cubical, not symmetric, or has a coefficient that is not an
    integer.
    """
    T = np.asarray(T)
    if T.ndim < 1 or len(set(T.shape)) != 1:
        raise InputError(f"expected a symmetric tensor of shape (n, ..., n) for --symmetric, got shape {T.shape}")
    n, d = T.shape[0], T.ndim
    budget.require(f"reading a symmetric tensor of shape {T.shape}", memory=64 * T.size, work=T.size * d)
    index = {m: j for j, m in enumerate(itertools.combinations_with_replacement(range(n), d))}
    values: list = [None] * len(index)
    for idx in itertools.product(range(n), repeat=d):
        j = index[tuple(sorted(idx))]
        x = T[idx]
        if values[j] is None:
            values[j] = x
        elif values[j] != x:
            raise InputError(f"expected a symmetric tensor for --symmetric, got T{list(idx)} = {x} != "
                             f"T{sorted(idx)} = {values[j]}")
    coef = []
    for m, x in zip(index, values):
        c = x * (math.factorial(d) // math.prod(math.factorial(m.count(i)) for i in set(m)))
        if getattr(c, "denominator", 1) != 1 or isinstance(c, (float, np.floating)) and c != int(c):
            raise InputError(f"expected integer coefficients c_m = T_m d!/m! of the form, got {c} at the monomial "
                             f"x{list(m)}")
        coef.append(int(c))
    return Form(n, d, coef)


@functools.lru_cache(maxsize=64)
def _exponent_matrix(n: int, k: int) -> np.ndarray:
    """Exponent vectors (count x n, int64, read-only) of the monomials of degree k, in
    combinations_with_replacement order (the exponent of x0 decreasing, then of x1, ...).

    O(count k) from the index tuples when k <= n; for k > n, by blocks on the exponent of the first
    variable (recursion depth n < k), O(count n).
    """
    if n == 1:
        E = np.array([[k]], dtype=np.int64)
    elif k > n:
        blocks = []
        for e in range(k, -1, -1):
            sub = _exponent_matrix(n - 1, k - e)
            blocks.append(np.hstack([np.full((sub.shape[0], 1), e, dtype=np.int64), sub]))
        E = np.vstack(blocks)
    else:
        combos = list(itertools.combinations_with_replacement(range(n), k))
        E = np.zeros((len(combos), n), dtype=np.int64)
        if k:
            idx = np.array(combos, dtype=np.int64)
            np.add.at(E, (np.repeat(np.arange(len(combos)), k), idx.ravel()), 1)
    E.setflags(write=False)
    return E


class _Lookup:
    """Positions of monomials of one degree from their exponent vectors, vectorized.

    The key of an exponent vector e is ``sum_i e_i (D+1)^i`` (D the degree), exact in int64 when
    ``(D+1)^n < 2^62``, and additive: ``key(g + alpha) = key(g) + key(alpha)``. Otherwise the keys
    are Python integers and the lookups go through a dict (slower, same result).
    """

    def __init__(self, E: np.ndarray, degree: int):
        n = E.shape[1]
        self.fast = (degree + 1) ** n < 2**62
        self.w = ((degree + 1) ** np.arange(n, dtype=np.int64)) if self.fast else [(degree + 1) ** i for i in range(n)]
        keys = self.key(E)
        if self.fast:
            self.order = np.argsort(keys)
            self.sorted = keys[self.order]
        else:
            self.table = {k: i for i, k in enumerate(keys)}

    def key(self, E: np.ndarray):
        if self.fast:
            return E @ self.w
        return [sum(int(x) * w for x, w in zip(row, self.w)) for row in E]

    def find(self, keys):
        """Positions of the monomials with these keys (an array of the same shape)."""
        if self.fast:
            return self.order[np.searchsorted(self.sorted, keys)]
        return np.array([[self.table[k] for k in row] for row in keys], dtype=np.int64)


def catalecticant(f: Form, a: int, p: int) -> np.ndarray:
    """``Cat_a(f)`` mod p: rows the monomials g of degree d-a, columns alpha of degree a (module docstring).

    Vectorized: the position of ``g + alpha`` from additive keys, and ``(g + alpha)!/g! = prod_i (g_i + 1)
    ... (g_i + alpha_i)`` as ``a`` products of columns mod p. O(rows cols n + cols a rows) operations.
    """
    n, d = f.n, f.d
    coef = np.array([c % p for c in f.coefficients], dtype=np.int64)
    full = _Lookup(_exponent_matrix(n, d), d)
    G, A = _exponent_matrix(n, d - a), _exponent_matrix(n, a)
    kg, ka = full.key(G), full.key(A)
    if full.fast:
        M = coef[full.find(kg[:, None] + ka[None, :])]
    else:
        M = coef[full.find([[x + y for y in ka] for x in kg])]
    for j in range(A.shape[0]):
        for i in np.nonzero(A[j])[0]:
            for t in range(1, int(A[j, i]) + 1):
                M[:, j] = M[:, j] * ((G[:, i] + t) % p) % p
    return M


def young_form_matrix(f: Form, a: int, proj: np.ndarray, p: int, wedge: int | None = None) -> np.ndarray:
    """``Y_{a,p}(f)`` mod the prime p, with ``proj`` the q x n matrix Q (module docstring).

    ``wedge`` is p' (default ``(q - 1) / 2``): ``S^a V* (x) Lambda^p' C^q -> S^{d-a-1} V (x)
    Lambda^{p'+1} C^q``, of rank ``C(q - 1, p')`` at ``l^d`` (the rank of ``v ^ .`` on
    ``Lambda^p' C^q`` for ``v != 0``).

    Built as the Koszul-Young block matrix (:func:`tnverify.theory.koszul.koszul_blocks`) of
    ``X[t, alpha, gamma] = (gamma_t + 1) Cat_a[gamma + e_t, alpha]``, the coefficient of
    ``x^gamma`` in ``d/dx_t d^alpha f``.
    """
    n, d = f.n, f.d
    if not 0 <= a <= d - 1:
        raise InputError(f"expected 0 <= a <= d - 1 = {d - 1} derivatives for a Young flattening, got {a}")
    cat = catalecticant(f, a, p)
    rows = _Lookup(_exponent_matrix(n, d - a), d - a)
    Gam = _exponent_matrix(n, d - a - 1)
    X = np.zeros((1, n, cat.shape[1], Gam.shape[0]), dtype=np.int64)
    for t in range(n):
        Gt = Gam.copy()
        Gt[:, t] += 1
        pos = rows.find(rows.key(Gt) if rows.fast else [rows.key(Gt)])
        pos = np.asarray(pos).ravel()
        X[0, t] = (cat[pos] * (Gt[:, t] % p)[:, None] % p).T
    return koszul_blocks(X, proj, p, wedge)[0]


def form_candidates(n: int, d: int, rng, p: int, max_entries: float = MAX_FORM_ENTRIES,
                    max_minor: float = MAX_MINOR_WORK) -> list:
    """``(family, per-term bound k, rows, cols)`` worth trying on a form, best ratio ``min(rows, cols) / k`` first.

    Catalecticants ``{"catalecticant": a}`` for ``1 <= a <= d/2``; Young flattenings
    ``{"young": {"derivatives": a, "projection": Q}}`` for ``1 <= p' <= (n-1)/2`` and ``0 <= a <= d-1``
    (Q random mod p, the identity when n = 2p'+1), and on all of V (Q the identity, ``"wedge": p'``
    for ``1 <= p' <= n-2``, k = C(n-1, p')). Families over ``max_entries``, or whose largest minor
    would be over the checker's limit (``min(rows, cols)^2 n d > max_minor``), are skipped.
    """
    out = []
    def small(m, c):
        return m * c <= max_entries and min(m, c) ** 2 * n * d <= max_minor

    for a in range(1, d // 2 + 1):
        m, c = budget.comb(n + d - a - 1, d - a), budget.comb(n + a - 1, a)
        if small(m, c):
            out.append(({"catalecticant": a}, 1, round(m), round(c)))
    shapes = [(2 * pp + 1, pp) for pp in range(1, (n - 1) // 2 + 1)]
    shapes += [(n, pp) for pp in range(1, n - 1) if 2 * pp + 1 != n]
    for q, pp in shapes:
        for a in range(d):
            m = budget.comb(q, pp + 1) * budget.comb(n + d - a - 2, d - a - 1)
            c = budget.comb(q, pp) * budget.comb(n + a - 1, a)
            if not small(m, c):
                continue
            m, c = math.comb(q, pp + 1) * math.comb(n + d - a - 2, d - a - 1), math.comb(q, pp) * math.comb(n + a - 1, a)
            proj = np.eye(q, dtype=np.int64) if q == n else rng.integers(0, p, (q, n))
            y = {"derivatives": a, "projection": proj.tolist()}
            if 2 * pp + 1 != q:
                y["wedge"] = pp
            out.append(({"young": y}, math.comb(q - 1, pp), m, c))
    out.sort(key=lambda t: -(min(t[2], t[3]) / t[1]))
    return out


def waring_border_cost(n: int, d: int) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`waring_border_lower` on a form of degree d in n variables (sizes only)."""
    count = budget.comb(n + d - 1, d)
    mem, work = (64 + 8 * d) * count, count * d
    shapes = [(2 * pp + 1, pp) for pp in range(1, (n - 1) // 2 + 1)] + [(n, pp) for pp in range(1, n - 1)]
    work += (d // 2 + len(shapes) * d) * 10.0  # listing the candidates
    budget.require(f"the Waring border-rank bound of a form of degree {d} in {n} variables", memory=mem, work=work)
    for _, k, m, c in form_candidates(n, d, np.random.default_rng(0), 101):
        mem, work = max(mem, 16.0 * m * c), work + m * c * (min(m, c) + n + d)
    return mem, work


def waring_border_lower(f: Form, seed: int = 0) -> BorderResult:
    """A proved lower bound on the Waring border rank (over C) of the form ``f``, with a certificate.

    Tries the catalecticants and Young flattenings of :func:`form_candidates` mod a random prime
    and keeps the best ``ceil(rank / k)``. The upper bound is the least R tried at which Terracini
    proves that sigma_R fills S^d(C^n) (:func:`tnverify.theory.terracini.filling_rank`; rule ``waring-border-rank-at-most``),
    else ``C(n+d-1, d)`` (the d-th powers of linear forms span the forms). The certificate's step ``border-rank-young`` lets the checker
    rebuild the hinted minor from the coefficients (docs/certificates.md).
    """
    n, d = f.n, f.d
    if d < 2:
        raise InputError(f"expected a form of degree >= 2 for a Waring border rank, got degree {d}")
    memory, work = waring_border_cost(n, d)
    budget.require(f"the Waring border-rank bound of {f.describe()}", memory=memory, work=work)
    rng = np.random.default_rng([seed, 19])
    p = pick_prime(rng, FAST_PRIME_BITS)
    best = None
    for fam, k, m, c in form_candidates(n, d, rng, p):
        if best is not None and -(-min(m, c) // k) <= best[0]:
            continue
        y = fam.get("young")
        M = (catalecticant(f, fam["catalecticant"], p) if y is None else
             young_form_matrix(f, y["derivatives"], np.array(y["projection"]), p, y.get("wedge")))
        res = rank_profile(M, p, reduced=True)
        if best is None or -(-res.rank // k) > best[0]:
            best = (-(-res.rank // k), res.rank, fam, k, res)
    if best is None:
        raise InputError(f"expected a form with a catalecticant or Young flattening small enough to certify, got "
                         f"{f.describe()}: each has more than {MAX_FORM_ENTRIES:.0e} entries or a witness minor over "
                         f"the checker's limit (r^2 n d <= {MAX_MINOR_WORK:.0e})")
    lower, r, fam, k, res = best
    cert = Certificate(objects={"f": form_object(f)})
    cert.add_step("border-rank-young", id="border-lower", form="f", family=fam, modulus=p, rank=r,
                  minor={"rows": res.rows, "cols": res.cols})
    cert.conclude("border-rank-at-least", {"form": {"object": "f"}, "field": "C"}, lower)
    cert.claim.update({"statement": f"Waring border rank over C of {f.describe()} >= {lower}", "seed": seed})
    if "catalecticant" in fam:
        witness = f"catalecticant S^{fam['catalecticant']} V* -> S^{d - fam['catalecticant']} V of rank {r}"
    else:
        a, q = fam["young"]["derivatives"], len(fam["young"]["projection"])
        w = fam["young"].get("wedge", (q - 1) // 2)
        witness = (f"Young flattening S^{a} V* (x) L^{w} C^{q} -> S^{d - a - 1} V (x) L^{w + 1} C^{q} "
                   f"of rank {r} > {k} x {lower - 1}")
    upper = math.comb(n + d - 1, d)
    filled = filling_rank([[n, d]], lower, seed)
    if filled is not None and filled[0] < upper:
        upper, fcert = filled
        cert.merge(fcert, prefix="fill-")
        cert.add_step("waring-border-rank-at-most", id="border-upper", form="f", rank=upper)
        cert.conclude("border-rank-at-most", {"form": {"object": "f"}, "field": "C"}, upper)
        cert.claim["statement"] = (f"Waring border rank over C of {f.describe()} "
                                   + (f"= {lower}" if lower == upper else f"in [{lower}, {upper}]"))
    return BorderResult(lower, upper, witness, r, k, p, cert)
