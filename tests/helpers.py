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

    Jiang and Sidiropoulos: with C of full column rank, [[A, B, C]] is unique iff not. Solved
    directly from the 2 x 2 minors of A diag(d) B^T, with the first nonzero entry of d set to 1,
    independently of any kernel or compound matrix.
    """
    import itertools

    import sympy

    A, B = sympy.Matrix(A.tolist() if hasattr(A, "tolist") else A), sympy.Matrix(B.tolist() if hasattr(B, "tolist") else B)
    R = A.cols
    ds = sympy.symbols(f"d0:{R}")
    for f in range(R - 1):
        val = {**{ds[k]: 0 for k in range(f)}, ds[f]: 1}
        M = A * sympy.diag(*[val.get(x, x) for x in ds]) * B.T
        eqs = [e for e in (sympy.expand(M.extract([i, j], [k, l]).det())
                           for i, j in itertools.combinations(range(M.rows), 2)
                           for k, l in itertools.combinations(range(M.cols), 2)) if e != 0]
        free = ds[f + 1:]
        if not eqs or any(any(s.get(x, x) != 0 for x in free) for s in sympy.solve(eqs, free, dict=True)):
            return True
    return False
