"""Tensor networks: builders against their definitions, JSON/graph round trips, min cut, bad input."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from tnverify.errors import InputError, ShapeError
from tnverify.networks.architectures import build, convac, cp, parse_tree, rac, tt
from tnverify.networks.mincut import cut_labels, min_cut
from tnverify.networks.network import contract, from_graph, from_json, random_core_values, to_graph
from tnverify.networks.partitions import parse_partition

P = 1_000_003


def _vals(net, seed=0, lo=-3, hi=4):
    rng = np.random.default_rng(seed)
    return [rng.integers(lo, hi, net.core_shape(n)).astype(object) for n in net.names]


def test_cp_is_sum_of_rank_one_terms():
    net = cp(3, 2, 4)
    lam, A0, A1, A2 = _vals(net)
    T = contract(net.with_values([lam, A0, A1, A2]))
    ref = sum(lam[z] * np.einsum("i,j,k->ijk", A0[:, z], A1[:, z], A2[:, z]) for z in range(4))
    assert (T == ref).all()


def test_tt_is_product_of_matrices_and_mod_p_agrees():
    net = tt(4, 3, [2, 3, 2])
    V = _vals(net, 1)
    T = contract(net.with_values(V))
    for idx in itertools.product(range(3), repeat=4):
        M = V[0][idx[0]][None, :]
        for k in range(1, 3):
            M = M.dot(V[k][:, idx[k], :])
        assert T[idx] == M.dot(V[3][:, idx[3]])[0]
    Tp = contract(net.with_values(V), modulus=101)
    assert (Tp == np.vectorize(lambda x: x % 101)(T)).all()


def test_convac_matches_the_recursive_definition():
    """phi^{1,j,g} = sum_a a1[g,a] a0_{2j}[:,a] (x) a0_{2j+1}[:,a];  A = sum_a aL[a] phi^{1,0,a} (x) phi^{1,1,a}."""
    net = convac(4, 2, [2, 3])
    V = dict(zip(net.names, _vals(net, 2)))
    T = contract(net.with_values([V[n] for n in net.names]))
    leaf = [V[f"leaf{i}"] for i in range(4)]
    lev1 = [n for n in net.names if n.startswith("n") and len(net.inputs[net.names.index(n)]) == 2]
    root = next(n for n in net.names if len(net.inputs[net.names.index(n)]) == 1)
    # identify level-1 cores by which leaves they pool
    phis = []
    for n in lev1:
        alpha = net.inputs[net.names.index(n)][1]
        kids = sorted(i for i in range(4) if alpha in net.inputs[net.names.index(f"leaf{i}")])
        a = V[n]
        phi = np.einsum("ga,ia,ja->ijg", a, leaf[kids[0]], leaf[kids[1]])
        phis.append((kids, phi))
    phis.sort()
    ref = np.einsum("a,ija,kla->ijkl", V[root], phis[0][1], phis[1][1])
    assert (T == ref).all()


def test_shared_convac_ties_cores_of_a_level():
    net = convac(8, 3, 2, shared=True)
    assert sorted(len(g) for g in net.shared) == [2, 4, 8]
    vals = random_core_values(net, np.random.default_rng(0), P)
    for g in net.shared:
        first = vals[net.names.index(g[0])]
        assert all((vals[net.names.index(n)] == first).all() for n in g)


def test_rac_structure_and_sharing():
    """A deep RAC reads the value h^{1,t} twice: each reader gets its own copy, no hidden index is shared."""
    net = rac(4, 3, 2, L=2)
    assert net.order == 4 and len(net.shared) == 4
    for lab, cores in net.bonds().items():
        if lab.startswith("h"):
            l, t = map(int, lab[1:].split(".")[0].split("_"))
            writers = [c for c in cores if c.split(".")[0] in (f"WI{l}_{t}", f"WH{l}_{t}")]
            assert len(writers) == 1 + (t > 0) and len(cores) == len(writers) + 1, (lab, cores)
    readers = net.bonds()["d0"]  # the template index d_1, copied to every copy of W^{I,1} at time 1
    assert "in0" in readers and len(readers) > 2 and all(c.split(".")[0] in ("WI0_0", "in0") for c in readers)


def test_json_and_graph_round_trip():
    net = convac(8, 3, [2, 3, 2], shared=True).with_values(None)
    d = json.loads(json.dumps(net.to_dict()))
    back = from_json(d)
    assert back.inputs == net.inputs and back.size_dict == net.size_dict and back.shared == net.shared
    g = from_graph(to_graph(net))
    assert sorted(zip(g.names, g.inputs)) == sorted(zip(net.names, net.inputs)) and g.output == net.output
    with pytest.raises(ShapeError, match="different values"):  # independent random values break the sharing
        net.with_values(_vals(net, 3))
    pt = net.with_values(random_core_values(net, np.random.default_rng(0), P))
    again = from_json(json.loads(json.dumps(pt.to_dict())))
    assert all((a == b).all() for a, b in zip(again.values, pt.values))


def test_rational_values_contract_over_q():
    d = {"inputs": [["i", "k"], ["k", "j"]], "output": ["i", "j"], "size_dict": {"i": 2, "j": 2, "k": 2},
         "values": [["1/2", 0, 0, 1], [2, 0, 0, "1/3"]]}
    T = contract(from_json(d))
    from fractions import Fraction
    assert T[0, 0] == 1 and T[1, 1] == Fraction(1, 3) and T[0, 1] == 0


def _brute_min_cut(net, rows):
    best = None
    for mask in range(2 ** len(net.names)):
        side = [n for i, n in enumerate(net.names) if mask >> i & 1]
        v = math.prod(net.size_dict[x] for x in cut_labels(net, rows, side))
        best = v if best is None else min(best, v)
    return best


@pytest.mark.parametrize("arch,kw,part", [
    ("convac", dict(inputs=4, features=3, widths=[2, 2]), "interleaved"),
    ("ht", dict(inputs=4, features=5, widths=[2, 3]), "0,3"),
    ("tt", dict(inputs=5, features=3, widths=[2, 4, 3, 2]), "0,2,4"),
    ("tr", dict(inputs=4, features=2, widths=[3, 2, 2, 3]), "0,1"),
    ("cp", dict(inputs=4, features=3, rank=5), "0,1"),
    ("rac", dict(inputs=3, features=3, widths=2, depth=2), "0"),
])
def test_min_cut_equals_brute_force_over_all_core_bipartitions(arch, kw, part):
    net = build(arch, **kw)
    rows = parse_partition(part, net.order)
    c = min_cut(net, rows)
    assert c.value == _brute_min_cut(net, rows)
    assert c.value == math.prod(net.size_dict[x] for x in c.labels)


def test_min_cut_bounds_dense_rank():
    from tests.helpers import sympy_rank
    from tnverify.exact import flatten

    net = convac(4, 3, [2, 2])
    T = contract(net.with_values(_vals(net, 5)))
    for rows in [(0,), (0, 1), (0, 2), (1, 3)]:
        assert sympy_rank(flatten(T, rows).tolist()) <= min_cut(net, rows).value


@pytest.mark.parametrize("spec,N", [("((0,1),(2,3,4))", 5), ("((0,1),(2,2))", 4), ("0,1,2", 3), ("((0,1),2)", 4),
                                    ("0,1,1,2", 4), ("(0,(1", 2)])
def test_bad_trees(spec, N):
    with pytest.raises(ShapeError):
        parse_tree(spec, N)


def test_pairs_tree_and_permutation_tree():
    assert parse_tree("pairs", 5) == (((0, 1), (2, 3)), 4)
    assert parse_tree("0,2,1,3", 4) == ((0, 2), (1, 3))


@pytest.mark.parametrize("spec", ["0,0,2", "", "0,1,2,3", "0,9", "a,b", [0, True], [0.0, 1], ["0"], [], [4]])
def test_bad_partitions(spec):
    with pytest.raises(ShapeError):
        parse_partition(spec, 4)


def test_partitions_by_name_and_by_legs():
    assert parse_partition("interleaved", 5) == (0, 2, 4) and parse_partition("start-end", 5) == (0, 1)
    assert parse_partition(" 3,1 ", 4) == parse_partition(np.array([3, 1]), 4) == (1, 3)


def test_bad_networks():
    with pytest.raises(InputError, match="unknown node"):
        from_json({"nodes": ["A", "B"], "edges": [["A", "C", 2]], "legs": [["A", 2]]})
    with pytest.raises(ShapeError, match="positive"):
        from_json({"inputs": [["i", "k"], ["k"]], "output": ["i"], "size_dict": {"i": 2, "k": 0}})
    with pytest.raises(ShapeError, match="values"):
        from_json({"inputs": [["i", "k"], ["k"]], "output": ["i"], "size_dict": {"i": 2, "k": 2},
                   "values": [[1, 2, 3], [1, 2]]})
    with pytest.raises(ShapeError, match="power of 2"):
        build("convac", 6, 2, 2)
    with pytest.raises(InputError):
        build("convolution", 4, 2, 2)
    assert build("convac", 6, 2, 2, tree="pairs").order == 6


def test_modular_contraction_step_summing_more_terms_than_int64_holds_is_exact():
    """A pairwise step that sums 9e6 products near (p-1)^2 overflows int64 unless cut into chunks."""
    from tnverify.networks.network import _einsum_mod

    p = 1048573
    rng = np.random.default_rng(0)
    B = rng.integers(p - 10, p, (2, 9_000_000))
    A = rng.integers(p - 10, p, (9_000_000,))
    got = _einsum_mod([["i", "k"], ["k"]], ["i"], B, A, p)
    assert [int(x) for x in got] == [int((B[r].astype(object) * A.astype(object)).sum()) % p for r in range(2)]
