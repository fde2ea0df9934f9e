"""Jacobian builders against sympy differentiation of the parameter maps (by definition)."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy

from tnverify.theory import jacobian as J
from tnverify.errors import BudgetError, InputError

P = 10007


def _sympy_jacobian(exprs, syms, subs):
    return np.array([[int(sympy.diff(e, s).subs(subs)) % P for s in syms] for e in exprs], dtype=np.int64)


def test_partial_symmetric_matches_sympy():
    spec = J.partial_spec([(2, 2), (3, 1)], 2)
    pt = J.random_parameters(spec, P, 3)
    L1 = sympy.Matrix(2, 2, sympy.symbols("a0:4"))
    L2 = sympy.Matrix(3, 2, sympy.symbols("b0:6"))
    syms = list(L1) + list(L2)
    subs = dict(zip(syms, [int(x) for x in pt[0].ravel()] + [int(x) for x in pt[1].ravel()]))
    exprs = []
    for m1 in itertools.combinations_with_replacement(range(2), 2):  # C order: block 1 slow, block 2 fast
        for m2 in range(3):
            exprs.append(sum(L1[m1[0], r] * L1[m1[1], r] * L2[m2, r] for r in range(2)))
    ref = _sympy_jacobian(exprs, syms, subs)
    assert (J.build(spec, P, pt).matrix == ref).all()


def test_polynet_matches_sympy():
    spec = J.polynet_spec([2, 2, 1], 2)
    pt = J.random_parameters(spec, P, 5)
    W1, W2 = sympy.Matrix(2, 2, sympy.symbols("w0:4")), sympy.Matrix(1, 2, sympy.symbols("v0:2"))
    syms = list(W1) + list(W2)
    subs = dict(zip(syms, [int(x) for x in pt[0].ravel()] + [int(x) for x in pt[1].ravel()]))
    X = pt[2]
    exprs = []
    for t in range(X.shape[1]):
        x = sympy.Matrix([int(X[0, t]), int(X[1, t])])
        z = (W1 * x).applyfunc(lambda e: e**2)
        exprs.append((W2 * z)[0])
    assert (J.build(spec, P, pt).matrix == _sympy_jacobian(exprs, syms, subs)).all()


def test_tucker_matches_sympy():
    spec = J.tucker_spec([2, 2], [1, 2])
    pt = J.random_parameters(spec, P, 2)
    G = sympy.Matrix(1, 2, sympy.symbols("g0:2"))
    U = sympy.Matrix(2, 1, sympy.symbols("u0:2"))
    V = sympy.Matrix(2, 2, sympy.symbols("v0:4"))
    syms = list(G) + list(U) + list(V)
    subs = dict(zip(syms, [int(x) for b in pt for x in b.ravel()]))
    T = U * G * V.T
    assert (J.build(spec, P, pt).matrix == _sympy_jacobian(list(T), syms, subs)).all()


@pytest.mark.parametrize("dims", [[2, 3], [2, 2, 3], [3, 3, 3]])
def test_segre_dimension_rank_one(dims):
    spec = J.cp_spec(dims, 1)
    from tnverify.numeric.modp import rank

    assert rank(J.build(spec, P, J.random_parameters(spec, P, 0)).matrix, P) == sum(dims) - len(dims) + 1


def test_sizes():
    assert J.ambient_dim(J.symmetric_spec(3, 4, 1)) == 15
    assert J.ambient_dim(J.polynet_spec([2, 2, 2, 2], 2)) == 2 * math.comb(5, 4)
    assert J.param_count(J.tt_spec([3, 3, 3], [2, 2])) == 6 + 12 + 6


@pytest.mark.parametrize("call", [lambda: J.cp_spec([0, 3], 2), lambda: J.cp_spec([3, 3], 0),
                                  lambda: J.polynet_spec([2], 2), lambda: J.polynet_spec([2, 2], 0),
                                  lambda: J.tt_spec([2, 2, 2], [2])])
def test_bad_specs(call):
    with pytest.raises(InputError):
        call()


def test_budget_says_how_large():
    with pytest.raises(BudgetError, match=r"60x60x60 needs about .* of memory .*--budget"):
        J.require_jacobian(J.cp_spec([60, 60, 60], 1200))
