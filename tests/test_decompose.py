"""tnverify.theory.cp_rank and checker/families/cp.py: exact CP-rank proofs checked against definitions and sympy."""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy

from tnverify.checker import check
from tnverify.exact.examples import matmul_tensor, strassen_2x2, w_curve, w_tensor
from tnverify.theory.cp_rank import (border_rank_certificate, cp_certificate, cp_rank_bounds, fiber_decomposition, flattening_lower_bound,
                                pencil_lower_bound, rational_cp, rationalize, slice_decomposition)
from tnverify.errors import ShapeError
from tests.helpers import sympy_rank


def _cp(F):
    return np.einsum("ir,jr,kr->ijk", *[np.asarray(f, dtype=object) for f in F])


def test_strassen_factors_give_matmul_by_definition():
    A, B, C = strassen_2x2()
    # definition: sum_{ijk} a_ij b_jk c_ki, the trilinear form tr(ABC)
    T = np.zeros((4, 4, 4), dtype=int)
    for i, j, k in itertools.product(range(2), repeat=3):
        T[2 * i + j, 2 * j + k, 2 * k + i] = 1
    assert np.array_equal(np.einsum("ir,jr,kr->ijk", A, B, C), T)
    assert np.array_equal(matmul_tensor(2), T)


def test_rationalize_recovers_small_fractions_and_refuses_irrationals():
    q = rationalize([0.5, -1 / 3, 2.0])
    assert list(q) == [Fraction(1, 2), Fraction(-1, 3), 2]
    assert rationalize([np.sqrt(2)], max_denominator=50) is None


def test_rational_cp_solves_mode0_exactly():
    rng = np.random.default_rng(3)
    F = [rng.integers(-3, 4, (n, 2)) for n in (3, 4, 2)]
    T = _cp(F)
    noisy = [F[0] * 2.0, F[1] / 7.0, F[2] * -3.0]  # scalings that cancel only up to the solve
    noisy[0] = noisy[0] * (7.0 / -6.0)
    q = rational_cp(T, noisy)
    assert q is not None and all(x == y for x, y in zip(_cp(q).ravel(), T.ravel()))


def test_slice_and_fiber_bounds_are_exact_decompositions():
    T = _cp([np.random.default_rng(0).integers(-2, 3, (n, 3)) for n in (2, 3, 4)])
    for mode in range(3):
        F = slice_decomposition(T, mode)
        assert all(x == y for x, y in zip(_cp(F).ravel(), T.ravel()))
    F = fiber_decomposition(w_tensor(4))
    assert F[0].shape[1] == 4
    assert np.array_equal(np.einsum("ir,jr,kr,lr->ijkl", *[f.astype(int) for f in F]), w_tensor(4))


def test_flattening_lower_bound_matches_sympy():
    T = matmul_tensor(2)
    lo, rows, res, M = flattening_lower_bound(T)
    assert lo == max(sympy_rank(np.transpose(T, (k, *[m for m in range(3) if m != k])).reshape(4, -1).tolist())
                     for k in range(3))


def test_pencil_bound_w_tensor_and_not_for_diagonal():
    lo, z1, z2 = pencil_lower_bound(w_tensor())
    assert lo == 3
    S = [sympy.Matrix(2, 2, lambda i, j: sum(z[k] * int(w_tensor()[i, j, k]) for k in range(2))) for z in (z1, z2)]
    assert not (S[1] * S[0].inv()).is_diagonalizable()
    D = np.zeros((2, 2, 2), dtype=int)
    D[0, 0, 0] = D[1, 1, 1] = 1
    assert pencil_lower_bound(D) is None


@pytest.mark.parametrize("shape,R,seed", [((5, 6, 7), 4, 0), ((4, 5, 6), 6, 2), ((3, 3, 4, 3), 4, 1)])
def test_planted_rank_proved_and_checked(shape, R, seed):
    rng = np.random.default_rng(seed)
    F = [rng.integers(-3, 4, (n, R)) for n in shape]
    T = F[0]
    for f in F[1:]:
        T = np.einsum("...r,kr->...kr", T, f)
    T = T.sum(axis=-1)
    res = cp_rank_bounds(T, seed=seed)
    assert res.status == "proved" and res.rank == R
    assert check(res.certificate.to_dict()).status == "VERIFIED"


def test_strassen_unknown_and_w_rank_3():
    res = cp_rank_bounds(matmul_tensor(2), factors=strassen_2x2(), numeric_search=False)
    assert (res.lower, res.upper, res.status) == (4, 7, "unknown")
    res = cp_rank_bounds(w_tensor(), numeric_search=False)
    assert (res.rank, res.status) == (3, "proved")
    assert check(res.certificate.to_dict()).ok


def test_order_below_three_refused():
    with pytest.raises(ShapeError):
        cp_rank_bounds(np.eye(3, dtype=int))


def test_w_curve_is_the_limit_identity_sympy():
    t = sympy.Symbol("t")
    e1, e2 = sympy.Matrix([1, 0]), sympy.Matrix([0, 1])
    v = e1 + t * e2

    def cube(x):
        return [x[i] * x[j] * x[k] for i, j, k in itertools.product(range(2), repeat=3)]

    curve = [sympy.expand((a - b) / t) for a, b in zip(cube(v), cube(e1))]
    assert [c.subs(t, 0) for c in curve] == list(w_tensor().ravel())
    cert = border_rank_certificate(w_tensor(), *w_curve(3))
    assert check(cert.to_dict()).ok


def test_checker_rejects_wrong_decomposition_and_rational_weights_work():
    T = np.array([[[1, 0], [0, 0]], [[0, 0], [0, 1]]])
    good = cp_certificate(T, [np.eye(2, dtype=int)] * 3, weights=[1, 1])
    assert check(good.to_dict()).ok
    bad = cp_certificate(T, [np.eye(2, dtype=int)] * 3, weights=[1, Fraction(1, 2)])
    assert check(bad.to_dict()).status == "NOT VERIFIED"
