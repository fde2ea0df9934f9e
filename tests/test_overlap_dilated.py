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
from tnverify.checker.conv_eval import conv_minor, frontier_count, span_count
from tnverify.errors import ShapeError
from tnverify.exact.tensor import flatten
from tnverify.networks.architectures import network, spec
from tnverify.networks.forward import grid_tensor, network_values, random_weights
from tnverify.networks.network import contract
from tnverify.networks.overlap import frontier_bound, mixable_layers, span_bound
from tnverify.numeric.modp import rank_profile
from tnverify.theory.separation import architecture_object, architecture_separation

P = 1_000_003 % (1 << 21)
PRIMES = (101, 10007, 999983)


@st.composite
def conv_arch(draw, family):
    """A small overlap or dilated architecture (grids of at most a few hundred entries)."""
    shared = draw(st.booleans())
    if family == "mixed":
        N = draw(st.sampled_from([4, 8]))
        L = N.bit_length() - 1
        da = draw(st.permutations([1 << l for l in range(L)]))
        db = draw(st.permutations([1 << l for l in range(L)]))
        mix = draw(st.sets(st.sampled_from(mixable_layers(da, db)))) if mixable_layers(da, db) else set()
        M = draw(st.integers(1, 2 if N == 8 else 3))
        return spec("mixed", N, M, [draw(st.integers(1, 2)) for _ in range(L)], shared=shared, dilations=da,
                    dilations_b=db, mix=sorted(mix) or "none")
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
    if a.family == "mixed":
        return _mixed_reference(a, W, seq)

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


def _mixed_reference(a, W, seq) -> int:
    """A mixed network's score from its definition: two dilated recursions, summed at the joined layers."""
    joined = set(a.mix) | {len(a.widths)}

    def tap(name, v):
        A = np.asarray(W[name], dtype=object)
        return [sum(int(A[c, k]) * v[k] for k in range(len(v))) for c in range(A.shape[0])]

    def branch(x, l, t):  # branch x's product unit at layer l, time t
        d = (a.dilations if x == "A" else a.dilations_b)[l - 1]
        nm = "W" if x == "A" else "B"
        return [u * v for u, v in zip(tap(f"{nm}{l - 1}_{t}_0", below(x, l - 1, t - d)),
                                      tap(f"{nm}{l - 1}_{t}_1", below(x, l - 1, t)))]

    def below(x, l, t):  # what layer l + 1 of branch x reads at time t
        if l == 0:
            return [int(m == seq[t]) for m in range(a.M[t])]
        if l in joined:
            return [u + v for u, v in zip(branch("A", l, t), branch("B", l, t))]
        return branch(x, l, t)

    top = below("A", len(a.widths), a.N - 1)
    return sum(int(x) * y for x, y in zip(W["w"], top))


FAMS = ("overlap", "dilated", "mixed")


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
    G = grid_tensor(a, W, p)
    if family != "mixed":  # a mixed network sums two networks: it has no builder network
        net = network(a)
        T = np.asarray(contract(net.with_values(network_values(a, W, net.names)), modulus=p), dtype=np.int64)
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
    # the frontier bound (the span count for mixed; prover and checker) never falls below the rank
    if family == "mixed":
        fb = span_bound(a, rows)
        assert fb == span_count(obj, rows)
    else:
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


# ------------------------------------------------------------------ mixed networks
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_a_mixed_network_with_branch_b_at_zero_is_its_dilated_branch_a(data):
    """Zero weights in branch B make every sum unit equal to branch A: the grid is the dilated network's."""
    a = data.draw(conv_arch("mixed"))
    W = random_weights(a, np.random.default_rng(data.draw(st.integers(0, 2**31))), 101)
    W0 = {k: (v * 0 if k.startswith("B") else v) for k, v in W.items()}
    d = spec("dilated", a.N, list(a.M), list(a.widths), shared=a.shared, dilations=a.dilations)
    assert np.array_equal(grid_tensor(a, W0, 101), grid_tensor(d, {k: v for k, v in W.items() if not k.startswith("B")},
                                                               101))


def _dense_rank(a, rows, seed=0, p=1_000_003):
    W = random_weights(a, np.random.default_rng(seed), p)
    return rank_profile(flatten(grid_tensor(a, W, p), rows), p).rank


def test_one_interconnection_reaches_ranks_neither_order_reaches():
    """N = 8, I = {0,1,4,6}: each order alone 8, joined only at the output 12, joined at layer 2 the shape 16.

    Ranks from the dense grid tensor at a random point (lower bounds); the upper bounds are the
    dilated networks' cuts and the span counts, both for every weight.
    """
    rows = (0, 1, 4, 6)
    kw = dict(dilations="1,2,4", dilations_b="2,1,4")
    joined, summed = spec("mixed", 8, 2, 2, mix="2", **kw), spec("mixed", 8, 2, 2, mix="none", **kw)
    assert (_dense_rank(joined, rows), span_bound(joined, rows)) == (16, 16)
    assert _dense_rank(summed, rows) == 12 and span_bound(summed, rows) == 16  # a sum: 8 + 8 bounds it
    for order in ("1,2,4", "2,1,4"):
        d = spec("dilated", 8, 2, 2, dilations=order)
        assert _dense_rank(d, rows) == 8 == architecture_separation(d, rows).rank
    res = architecture_separation(joined, rows)
    assert (res.status, res.rank, res.cut) == ("proved", 16, None)
    assert "no cut: a mixed network sums two networks" in res.text()
    assert check(res.certificate.to_dict()).status == "VERIFIED"


def test_the_mixed_vs_dilated_theorem_needs_the_square_of_the_width():
    from tnverify.theorems.networks import mixed_vs_dilated

    out = mixed_vs_dilated(inputs=8, features=3, widths=3, tree="1,2,4", dilations_b="2,1,4", mix="2",
                           partition="0,1,4,6")
    v = out.values
    assert out.status == "proved" and (v["mixed_rank"], v["width_needed_a"], v["width_needed_b"]) == (81, 9, 9)
    # the cut at 8 channels is below 81, at 9 it reaches it: the reported width is the least one
    for order in ("1,2,4", "2,1,4"):
        cut8 = architecture_separation(spec("dilated", 8, 3, 8, dilations=order), (0, 1, 4, 6)).upper
        cut9 = architecture_separation(spec("dilated", 8, 3, 9, dilations=order), (0, 1, 4, 6)).upper
        assert cut8 == 72 < 81 <= cut9
    assert check(out.certificate.to_dict()).status == "VERIFIED"


@pytest.mark.parametrize("kw,match", [
    (dict(mix="3"), "is not below the top layer 3"),      # the top is always joined
    (dict(dilations="1,2,4", dilations_b="4,2,1", mix="1"), "cannot join"),
    (dict(dilations_b="1,2,8"), "order of"),
    (dict(dilations_b="1,2,,4"), "every item an integer"),
    (dict(mix="0"), "positive integer"),
])
def test_bad_mixed_hyper_parameters_are_one_line_errors(kw, match):
    with pytest.raises(ShapeError, match=match):
        spec("mixed", 8, 2, 2, **kw)


def test_mixed_parameters_on_other_families_are_refused():
    from tnverify.errors import InputError

    for arch, kw in (("dilated", dict(mix="2")), ("dilated", dict(dilations_b="2,1,4")), ("convac", dict(field=2)),
                     ("overlap", dict(dilations="1,2,4"))):
        with pytest.raises(InputError, match="is for"):
            spec(arch, 8, 2, 2, **kw)


def test_mixed_cli_separation_compare_and_draw(capsys, tmp_path):
    from tnverify.cli import main

    base = ["--inputs", "8", "--widths", "2", "--mix", "2", "--partition", "0,1,4,6"]
    assert main(["separation", "--arch", "mixed", *base, "--json"]) == 0
    out = __import__("json").loads(capsys.readouterr().out)
    assert (out["rank"], out["checker"], out["upper_bounds"]["span"]) == (16, "VERIFIED", 16)
    assert main(["compare", "mixed", "dilated", *base]) == 0
    text = capsys.readouterr().out
    assert "branch A's dilations [1, 2, 4]" in text and "branch B's dilations [2, 1, 4]" in text
    assert text.count("so it needs w >= 4") == 2
    cert = tmp_path / "c.json"
    assert main(["compare", "mixed", "dilated", *base, "--json", "--cert", str(cert)]) == 0
    out = __import__("json").loads(capsys.readouterr().out)
    assert (out["shallow_width_needed"], out["shallow_width_needed_b"], out["checker"]) == (4, 4, "VERIFIED")
    assert (out["dilations"], out["dilations_b"]) == ([1, 2, 4], [2, 1, 4])
    steps = {s["id"]: s for s in __import__("json").loads(cert.read_text())["steps"]}
    assert steps["shallow_upper"]["rank"] < 16 and steps["shallow_b_upper"]["rank"] < 16  # both cuts at w = 3
    png = tmp_path / "m.png"
    assert main(["draw", "--arch", "mixed", *base, "-o", str(png)]) == 0
    assert png.stat().st_size > 0 and "span 16" in capsys.readouterr().out
    assert main(["separation", "--arch", "dilated", "--inputs", "8", "--widths", "2", "--mix", "2"]) == 2
    assert "mix is for mixed networks" in capsys.readouterr().err


@pytest.mark.parametrize("args,words", [
    (["separation", "--arch", "mixed", "--inputs", "99999999999999999999", "--widths", "2"], "at most 1048576 inputs"),
    (["separation", "--arch", "dilated", "--inputs", "99999999999999999999", "--widths", "2"], "at most 1048576 inputs"),
    (["compare", "dilated", "mixed", "--inputs", "8", "--widths", "2"], "cannot be the shallow side"),
    (["separation", "--arch", "mixed", "--inputs", "8", "--widths", "2", "--mix", "3"], "the top is always joined"),
    (["separation", "--arch", "mixed", "--inputs", "8", "--widths", "2", "--dilations-b", "1,2,,4"], "empty entry"),
    (["separation", "--arch", "mixed", "--inputs", "8", "--widths", "2", "--tree", "4,2,1", "--dilations", "1,2,4"],
     "once, as dilations"),
    (["separation", "--arch", "dilated", "--inputs", "8", "--widths", "2", "--depth", "3"], "depth is for rac"),
    (["separation", "--arch", "mixed", "--inputs", "8", "--widths", "2", "--rank", "5"], "not both"),
    (["compare", "mixed", "dilated", "--inputs", "8", "--widths", "2", "--arch", "ht"], "compare DEEP SHALLOW"),
    (["separation", "--arch", "mixed", "--inputs", "8", "--widths", "2", "--mix", "2,2"], "distinct layers"),
    (["separation", "--arch", "mixed", "--inputs", "1048576", "--widths", "2"], "units of a mixed network"),
])
def test_mixed_bad_input_is_one_line_and_exit_2(capsys, args, words):
    from tnverify.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and "Traceback" not in err[0], err


@pytest.mark.parametrize("family", FAMS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_grid_blocks_read_template_indices_as_one_hot_vectors(family, data):
    """grid_block passes template indices to the forward pass (W e_d is column d of W): the flattening's entries."""
    from tnverify.networks.forward import grid_block

    a = data.draw(conv_arch(family))
    p = data.draw(st.sampled_from((None, 101)))
    W = random_weights(a, np.random.default_rng(data.draw(st.integers(0, 2**31))), 101)
    if p is None:
        W = {k: v.astype(object) - 50 for k, v in W.items()}
    rows = sorted(data.draw(st.sets(st.integers(0, a.N - 1), min_size=1, max_size=a.N - 1)))
    cols = [k for k in range(a.N) if k not in rows]
    R = np.array(list(np.ndindex(*[a.M[k] for k in rows])), dtype=np.int64).reshape(-1, len(rows))
    C = np.array(list(np.ndindex(*[a.M[k] for k in cols])), dtype=np.int64).reshape(-1, len(cols))
    assert np.array_equal(grid_block(a, W, rows, R, C, p), flatten(grid_tensor(a, W, p), rows))
