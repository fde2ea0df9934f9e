"""tnverify.theory.learning: moments against definitions (Monte Carlo identities, sympy), recovery, warnings."""
from __future__ import annotations

import csv
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy

from tnverify.checker import check
from tnverify.errors import InputError
from tnverify.theory.learning import (TwoLayerNet, empirical_moment, exact_moment, exact_recovery, identifiability_warnings, learn,
                               min_samples, moment_certificate, parse_activation, random_network, recovery_error,
                               stein_weights, sweep)


def test_empirical_moment_matches_definition():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = rng.standard_normal(40)
    M = empirical_moment(X, y)
    d = np.eye(3)
    for i, k, l in itertools.product(range(3), repeat=3):
        he = X[:, i] * X[:, k] * X[:, l] - X[:, i] * d[k, l] - X[:, k] * d[i, l] - X[:, l] * d[i, k]
        assert np.isclose(M[i, k, l], np.mean(y * he))


def test_too_few_samples_is_input_error():
    X = np.zeros((min_samples(4) - 1, 4))
    with pytest.raises(InputError, match="samples"):
        empirical_moment(X, np.zeros(X.shape[0]))
    with pytest.raises(InputError, match="samples"):
        learn(random_network(4, 2, seed=0), 10)


def _gauss_expectation(expr, xs):
    """E over N(0, I) of a polynomial by integrating each variable against the Gaussian density."""
    for x in xs:
        expr = sympy.integrate(expr * sympy.exp(-x ** 2 / 2), (x, -sympy.oo, sympy.oo)) / sympy.sqrt(2 * sympy.pi)
    return sympy.nsimplify(sympy.simplify(expr))


def test_exact_moment_matches_gaussian_integrals():
    net = TwoLayerNet(np.array([[1, 0], [1, 2]], dtype=object), np.array([1, 0], dtype=object),
                  np.array([2, -1], dtype=object), parse_activation("poly:0,0,1,1"))
    M = exact_moment(net)
    xs = sympy.symbols("x0:2")
    y = sum(int(net.a[j]) * ((sum(int(net.W[i, j]) * xs[i] for i in range(2)) + int(net.b[j])) ** 2
                             + (sum(int(net.W[i, j]) * xs[i] for i in range(2)) + int(net.b[j])) ** 3)
            for j in range(2))
    for i, k, l in [(0, 0, 0), (0, 0, 1), (0, 1, 1), (1, 1, 1)]:
        he = xs[i] * xs[k] * xs[l] - (xs[i] if k == l else 0) - (xs[k] if i == l else 0) - (xs[l] if i == k else 0)
        assert _gauss_expectation(sympy.expand(y * he), xs) == M[i, k, l]


def test_stein_identity_exact_and_certificate():
    net = random_network(3, 2, "quartic", seed=1, integer=True)
    lam = stein_weights(net)
    assert lam == [24 * a * b for a, b in zip(net.a, net.b)]  # E[s'''] = 24 E[w.x + b] = 24 b
    M = exact_moment(net)
    W = net.W
    assert all(M[i, k, l] == sum(lam[j] * W[i, j] * W[k, j] * W[l, j] for j in range(2))
               for i, k, l in itertools.product(range(3), repeat=3))
    assert check(moment_certificate(net, M).to_dict()).ok


def test_exact_recovery_cube():
    net = random_network(4, 3, "cube", seed=2, integer=True)
    ok, msg = exact_recovery(net)
    assert ok, msg


def test_recovery_error_is_bottleneck_optimal():
    W = np.eye(3)
    U = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.1], [0.0, 0.0, -1.0]])
    err, pi = recovery_error(W, U)
    assert pi == [1, 0, 2]
    assert math.isclose(err, 1 - 1 / math.sqrt(1.01))


def test_learn_recovers_tanh_network():
    net = random_network(5, 3, "tanh", seed=1)
    res = learn(net, 100_000, seed=1)
    assert res.recovery_error < 0.05 and res.warnings == []
    assert res.test_error < 0.2


def test_warnings_for_overcomplete_and_invisible_neurons():
    net = random_network(3, 4, "cube", seed=0, integer=True)
    w = identifiability_warnings(net)
    assert any("Kruskal" in s for s in w) and any("hidden units" in s for s in w)
    net = TwoLayerNet(np.array([[1, 0], [0, 1]], dtype=object), np.zeros(2, dtype=object), np.ones(2, dtype=object),
                  parse_activation("square"))
    assert stein_weights(net) == [0, 0]
    assert any("lambda" in s for s in identifiability_warnings(net, [0, 0]))


def test_sweep_writes_csv_and_png(tmp_path):
    from tnverify.cli import main

    net = random_network(3, 2, "tanh", seed=0)
    assert [r["samples"] for r in sweep(net, [200, 400], seed=0)] == [200, 400]
    assert main(["learn", "--inputs", "3", "--hidden", "2", "--activation", "tanh", "--sweep", "200,400",
                 "--csv", str(tmp_path / "s.csv"), "--plot", str(tmp_path / "s.png"), "--no-progress"]) == 0
    with open(tmp_path / "s.csv") as fh:
        assert [int(r["samples"]) for r in csv.DictReader(fh)] == [200, 400]
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_activation_parsing():
    assert parse_activation("poly:1,1/2").coeffs == [Fraction(1), Fraction(1, 2)]
    with pytest.raises(InputError):
        parse_activation("relu6")
