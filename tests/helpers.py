"""Independent references for tests: sympy over Q and GF(p)."""
from __future__ import annotations

from fractions import Fraction

from sympy import GF, QQ, Rational
from sympy.polys.matrices import DomainMatrix


def _q(x):
    if isinstance(x, Fraction):
        return QQ(x.numerator, x.denominator)
    return QQ(int(x))


def sympy_rank(M, p=None) -> int:
    """Rank by sympy's DomainMatrix over QQ or GF(p)."""
    rows = [[_q(x) for x in row] for row in M]
    m, n = len(rows), len(rows[0])
    D = DomainMatrix(rows, (m, n), QQ)
    if p is not None:
        F = GF(p)
        D = DomainMatrix([[F(int(x.numerator) * pow(int(x.denominator), -1, p)) for x in row] for row in rows], (m, n), F)
    return D.rank()


def sympy_det(M) -> Rational:
    rows = [[_q(x) for x in row] for row in M]
    return DomainMatrix(rows, (len(rows), len(rows)), QQ).det()


def parse_number(x):
    """A certificate number (JSON int, decimal string or "p/q") as an int or Fraction."""
    if isinstance(x, int):
        return x
    if "/" in x:
        a, b = x.split("/")
        return Fraction(int(a), int(b))
    return int(x)


def rank_one_combination_exists(A, B) -> bool:
    """Is rank(A diag(d) B^T) <= 1 for some complex d with two or more nonzero entries? (sympy, small R)

    Jiang and Sidiropoulos: with C of full column rank, [[A, B, C]] is unique iff not. Decided
    from the 2 x 2 minors of A diag(d) B^T alone (no kernel, no compound matrix): for each pair
    i < j, scale d_i = 1 (the minors are homogeneous) and force d_j != 0 by t d_j = 1; by the
    Nullstellensatz a common zero over C exists iff the reduced Groebner basis is not [1].
    """
    import itertools

    import sympy

    A = sympy.Matrix(A.tolist() if hasattr(A, "tolist") else A)
    B = sympy.Matrix(B.tolist() if hasattr(B, "tolist") else B)
    R = A.cols
    ds, t = sympy.symbols(f"d0:{R}"), sympy.Symbol("t")
    for i, j in itertools.combinations(range(R), 2):
        M = A * sympy.diag(*[1 if k == i else x for k, x in enumerate(ds)]) * B.T
        eqs = [e for e in (sympy.expand(M.extract([a, b], [c, e]).det())
                           for a, b in itertools.combinations(range(M.rows), 2)
                           for c, e in itertools.combinations(range(M.cols), 2)) if e != 0]
        G = sympy.groebner(eqs + [t * ds[j] - 1], *[x for k, x in enumerate(ds) if k != i], t, order="grevlex")
        if list(G.exprs) != [1]:
            return True
    return False
