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
