"""Overlapping (Sharir & Shashua 2018) and dilated (Cohen, Tamari & Shashua 2018) ConvACs.

The forward pass against a plain recursive evaluation of the papers' equations, the builder's
network against the forward pass, the checker's evaluator against the prover's, the frontier
bound against the exact rank of small grid flattenings, and the headline instances.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tnverify.checker import check
from tnverify.checker.families.architecture import _parse_arch
from tnverify.checker.conv_eval import conv_minor, frontier_count
from tnverify.errors import ShapeError
from tnverify.exact.tensor import flatten
from tnverify.networks.architectures import network, spec
from tnverify.networks.forward import grid_tensor, network_values, random_weights
from tnverify.networks.network import contract
from tnverify.networks.overlap import frontier_bound
from tnverify.numeric.modp import rank_profile
from tnverify.theory.separation import architecture_object, architecture_separation

P = 1_000_003 % (1 << 21)
PRIMES = (101, 10007, 999983)


@st.composite
def conv_arch(draw, family):
    """A small overlap or dilated architecture (grids of at most a few hundred entries)."""
    shared = draw(st.booleans())
    if family == "dilated":
        N = draw(st.sampled_from([2, 4, 8]))
        L = N.bit_length() - 1
        order = draw(st.permutations([1 << l for l in range(L)]))
        M = draw(st.integers(1, 2 if N == 8 else 3))
        return spec("dilated", N, M, [draw(st.integers(1, 3)) for _ in range(L)], shared=shared, dilations=order)
    N = draw(st.integers(2, 5))
    r = draw(st.integers(2, N))
    s = draw(st.integers(1, r))
    M = draw(st.integers(1, 3 if N <= 4 else 2))
    try:
        a = spec("overlap", N, M, 1, field=r, stride=s)
    except ShapeError:  # (r, s) repeated does not end at one position
        r, s = 2, 1
        a = spec("overlap", N, M, 1, field=r, stride=s)
    w = [draw(st.integers(1, 2)) for _ in a.field]
    return spec("overlap", N, M, w, shared=shared, field=r, stride=s)


def _reference(a, W, seq) -> int:
    """The score on one template sequence, straight from the equations, recursively over Z."""
    def unit(l, j):
        if l == 0:
            return [int(m == seq[j]) for m in range(a.M[j])]
        if a.family == "overlap":
            taps = [j * a.stride[l - 1] + i for i in range(a.field[l - 1])]
        else:
            taps = [j - a.dilations[l - 1], j]
        out = [1] * a.widths[l - 1]
        for i, t in enumerate(taps):
            A = np.asarray(W[f"W{l - 1}_{j}_{i}"], dtype=object)
            v = unit(l - 1, t)
            out = [o * sum(int(A[c, k]) * v[k] for k in range(len(v))) for c, o in enumerate(out)]
        return out

    top = unit(len(a.widths), 0 if a.family == "overlap" else a.N - 1)
    return sum(int(x) * y for x, y in zip(W["w"], top))


FAMS = ("overlap", "dilated")


@pytest.mark.parametrize("family", FAMS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_forward_is_the_recursive_equation_over_z(family, data):
    a = data.draw(conv_arch(family))
    W = random_weights(a, np.random.default_rng(data.draw(st.integers(0, 2**31))), 7)
    W = {k: v.astype(object) - 3 for k, v in W.items()}
    G = grid_tensor(a, W)
    for d in np.ndindex(*a.M):
        assert G[d] == _reference(a, W, d)


@pytest.mark.parametrize("family", FAMS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_network_contracts_to_the_grid_tensor_and_checker_agrees(family, data):
    a = data.draw(conv_arch(family))
    p = data.draw(st.sampled_from(PRIMES))
    W = random_weights(a, np.random.default_rng(data.draw(st.integers(0, 2**31))), p)
    net = network(a)
    T = np.asarray(contract(net.with_values(network_values(a, W, net.names)), modulus=p), dtype=np.int64)
    G = grid_tensor(a, W, p)
    assert np.array_equal(T, G), a.describe()
    # the checker's own evaluator on every entry of a flattening
    obj = _parse_arch(architecture_object(a, W), "point")
    rows = sorted(data.draw(st.sets(st.integers(0, a.N - 1), min_size=1, max_size=a.N - 1)))
    cols = [k for k in range(a.N) if k not in rows]
    vecs = [[[int(i == d) for i in range(a.M[k])] for d in range(a.M[k])] for k in range(a.N)]
    m, n = math.prod(a.M[k] for k in rows), math.prod(a.M[k] for k in cols)
    ent = conv_minor(obj, rows, vecs, list(range(m)), list(range(n)), p, 10**8)
    F = flatten(G, rows)
    assert np.array_equal(np.array(ent, dtype=np.int64).reshape(m, n), F)
    # the frontier bound (prover and checker) never falls below the rank of the flattening
    fb = frontier_bound(a, rows)
    assert fb == frontier_count(obj, rows)
    assert rank_profile(F, p).rank <= fb


def test_overlap_is_not_multilinear_and_dilated_is():
    a = spec("overlap", 3, 2, 1)
    W = {k: np.ones(s, dtype=object) for k, s in __import__("tnverify.networks.forward", fromlist=["x"]).weight_shapes(a).items()}
    from tnverify.networks.forward import forward
    x = [np.array([[1, 0]], dtype=object)] * 3
    x2 = [np.array([[2, 0]], dtype=object)] + x[1:]
    # score(2 x_1, ...) = 2^deg score(x): x_1 is read by one unit, x_2 by two (degree 2)
    assert forward(a, W, x2)[0] == 2 * forward(a, W, x)[0]
    x3 = [x[0], np.array([[2, 0]], dtype=object), x[2]]
    assert forward(a, W, x3)[0] == 4 * forward(a, W, x)[0]
    assert not a.multilinear and spec("dilated", 4, 2, 2).multilinear


def test_bad_hyper_parameters_are_shape_errors():
    with pytest.raises(ShapeError):
        spec("overlap", 6, 2, 2, field=4, stride=3)
    with pytest.raises(ShapeError):
        spec("dilated", 6, 2, 2)
    with pytest.raises(ShapeError):
        spec("dilated", 8, 2, 2, dilations=[1, 2, 2])


@pytest.mark.parametrize("kw,rows,rank", [
    (dict(arch="overlap"), (0, 1, 2, 3), 16),                       # overlaps: M^{N/2} with 2 channels
    (dict(arch="overlap", field=2, stride=2), (0, 1, 2, 3), 2),     # no overlap: the top's width
    (dict(arch="dilated", dilations="1,2,4"), (0, 1, 2, 3), 2),
    (dict(arch="dilated", dilations="4,2,1"), (0, 1, 2, 3), 16),
])
def test_headline_instances_are_proved_and_checked(kw, rows, rank):
    res = architecture_separation(spec(inputs=8, features=2, widths=2, **kw), rows)
    assert (res.status, res.rank) == ("proved", rank)
    assert check(res.certificate.to_dict()).status == "VERIFIED"


def test_a_network_over_the_core_limit_still_gets_its_rank_from_the_forward_pass(monkeypatch, capsys, tmp_path):
    """Stride 1 copies reused units exponentially (N=16: 65551 cores): no cut, but shape and frontier bound it."""
    import tnverify.networks.overlap as overlap
    from tnverify.cli import main

    a = spec("overlap", 8, 2, 2)
    monkeypatch.setattr(overlap, "MAX_CONV_CORES", 10)
    with pytest.raises(Exception, match="over the limit 10"):
        network(a)
    res = architecture_separation(a, (0, 1, 2, 3))
    assert (res.status, res.rank, res.cut, "cut" in res.bounds) == ("proved", 16, None, False)
    d = res.certificate.to_dict()
    assert not any(s["rule"] == "grid-cut-bound" for s in d["steps"])
    assert check(d).status == "VERIFIED"
    assert res.to_dict()["cut"] is None and "no cut" in res.text()
    assert main(["compare", "overlap", "cp", "--inputs", "8", "--features", "2", "--widths", "2",
                 "--partition", "left-right", "--no-check"]) == 0
    assert "separation rank 16 (proved)" in capsys.readouterr().out
    out = tmp_path / "sweep.csv"
    assert main(["sweep", "--arch", "overlap", "--features", "2", "--widths", "2", "--partition", "left-right",
                 "--over", "inputs", "--values", "6,8", "-o", str(out)]) == 0
    assert out.read_text().splitlines()[2].startswith("8,proved,16,16,16,")


def test_the_checker_charges_the_width_of_its_tables_and_r_squared_units():
    """A certificate cannot buy gigabytes with a few states: states x width and r^2 x units are both limited."""
    from tnverify.checker.kernel import Malformed

    wd, r = 65536, 30
    a = {"family": "dilated", "N": 2, "M": [1, 1], "w": [wd], "dilations": [1],
         "weights": {"W0_1_0": [1] * wd, "W0_1_1": [1] * wd, "w": [1] * wd}}
    vecs = [[[v + 1] for v in range(r)]] * 2
    with pytest.raises(Malformed, match="tables need more than"):
        conv_minor(a, [0], vecs, list(range(r)), list(range(r)), 101, 60_000_000)
    with pytest.raises(Malformed, match="unit evaluations"):
        conv_minor({**a, "w": [1], "weights": {"W0_1_0": [1], "W0_1_1": [1], "w": [1]}}, [0], vecs,
                   list(range(r)), list(range(r)), 101, r * r - 1)
