"""Certified separation ranks: against dense exact ranks, the checker, and network-specific mutations."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from tests.helpers import sympy_rank
from tnverify.checker import check
from tnverify.exact import flatten
from tnverify.networks.architectures import build
from tnverify.networks.network import TensorNetwork, contract, random_core_values, sketched
from tnverify.networks.partitions import parse_partition
from tnverify.theory.separation import separation_rank, sketch_sizes


@pytest.mark.parametrize("arch,kw,part", [
    ("convac", dict(inputs=4, features=3, widths=[2, 2]), "interleaved"),
    ("tt", dict(inputs=4, features=3, widths=2), "interleaved"),
    ("cp", dict(inputs=4, features=2, rank=3, shared=True), "0,1"),
    ("rac", dict(inputs=4, features=2, widths=2, depth=2, shared=True), "start-end"),
    ("tr", dict(inputs=4, features=2, widths=2), "0,2"),
])
def test_bounds_bracket_the_dense_rank_at_random_points(arch, kw, part):
    """rank at any point <= proved upper; the proved lower is attained at some point (it is a point rank)."""
    net = build(arch, **kw)
    rows = parse_partition(part, net.order)
    res = separation_rank(net, rows)
    assert check(res.certificate.to_dict()).ok
    rng = np.random.default_rng(7)
    dense = []
    for _ in range(3):
        T = contract(net.with_values([v.astype(object) for v in random_core_values(net, rng, 10**9)]))
        dense.append(sympy_rank(flatten(T, rows).tolist()))
    assert max(dense) <= res.upper
    assert res.lower <= res.upper
    if res.status == "proved":
        assert max(dense) == res.rank  # generic rank attained at random points (over Q, by sympy)


def test_sketch_rank_is_at_most_the_flattening_rank_at_the_same_point():
    net = build("convac", 4, 3, [3, 2])
    rows = (0, 2)
    p = 101
    rng = np.random.default_rng(3)
    pt = net.with_values(random_core_values(net, rng, p))
    T = contract(pt, modulus=p)
    s = sketch_sizes(net, rows, 9)
    mats = [rng.integers(0, p, (k, 3)) for k in s]
    S = contract(sketched(pt, mats), modulus=p)
    assert sympy_rank(flatten(S, rows).tolist(), p) <= sympy_rank(flatten(T, rows).tolist(), p)


def test_unknown_reports_both_bounds_and_every_seed():
    res = separation_rank(build("cp", 4, 2, rank=4, shared=True), (0, 1), seed=5, attempts=3)
    assert res.status == "unknown" and res.rank is None
    assert (res.lower, res.upper) == (3, 4) and res.seeds == [5, 6, 7] and len(res.primes) == 3
    assert "unknown: 3 <= rank <= 4" in res.text()


def _dense_truth(cert, rows):
    """The point's flattening rank over Q by sympy, from the certificate's own data."""
    o = cert["objects"]["point"]
    vals, k = [], 0
    shapes = [[o["size_dict"][x] for x in ix] for ix in o["inputs"]]
    for shp in shapes:
        n = int(np.prod(shp))
        vals.append(np.array([int(x) for x in o["entries"][k:k + n]], dtype=object).reshape(shp))
        k += n
    net = TensorNetwork(o["names"], o["inputs"], o["output"], o["size_dict"], vals)
    return sympy_rank(flatten(contract(net), rows).tolist())


def test_network_certificate_mutations_are_rejected_or_true():
    net = build("convac", 4, 3, [2, 2])
    rows = parse_partition("interleaved", 4)
    base = separation_rank(net, rows).certificate.to_dict()
    true_rank = _dense_truth(base, rows)
    assert true_rank == 4
    muts = []
    for k in range(0, len(base["objects"]["point"]["entries"]), 5):
        muts.append(("entry", lambda d, k=k: d["objects"]["point"]["entries"].__setitem__(
            k, int(d["objects"]["point"]["entries"][k]) + 1)))
    for s in range(3):
        for delta in (-1, 1):
            muts.append(("rank", lambda d, s=s, delta=delta: d["steps"][s].update(rank=d["steps"][s]["rank"] + delta)))
    for c in range(2):
        for delta in (-1, 1):
            muts.append(("concl", lambda d, c=c, delta=delta: d["conclusion"][c].update(
                value=d["conclusion"][c]["value"] + delta)))
    muts.append(("modulus", lambda d: d["steps"][1].update(modulus=1000003)))
    muts.append(("sketch", lambda d: d["steps"][1]["sketch"][0].__setitem__(0, [0] * 3)))
    muts.append(("dim", lambda d: d["objects"]["family"]["size_dict"].update(a1=3)))
    for label, fn in muts:
        d = copy.deepcopy(base)
        fn(d)
        v = check(d)
        if v.ok:  # then every conclusion must be true: generic rank is 4 (= dense rank at a point, = cut)
            for f in d["conclusion"]:
                if f["fact"] == "generic-rank-at-least":
                    assert f["value"] <= 4, label
                else:
                    assert f["value"] >= 4, label


@pytest.mark.slow
def test_deep_convac_n24_proves_4096_and_checks():
    net = build("convac", 24, 2, 2, tree="pairs")
    res = separation_rank(net, parse_partition("interleaved", 24))
    assert res.rank == 4096 and check(res.certificate.to_dict()).ok
