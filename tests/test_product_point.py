"""Product points: the grid tensor factors, the ranks multiply, and the checker's rule ``grid-rank-product``.

Every fact is checked against the reference forward pass (:func:`tnverify.networks.forward.grid_tensor`)
and an independent rank (plain elimination over GF(p) in this file), never against the prover's own numbers.
"""
from __future__ import annotations

import copy
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tnverify.checker import check
from tnverify.exact.tensor import flatten
from tnverify.networks.architectures import spec
from tnverify.networks.forward import grid_tensor, random_weights, tree_leaves
from tnverify.networks.partitions import parse_partition
from tnverify.networks.product_point import product_separators, select_channel_zero, subtree_grid
from tnverify.theory.separation import architecture_separation

P = 1000003


def _random_tree(leaves, rnd):
    if len(leaves) == 1:
        return leaves[0]
    k = rnd.randint(1, len(leaves) - 1)
    return (_random_tree(leaves[:k], rnd), _random_tree(leaves[k:], rnd))


def _tree_text(t):
    return str(t) if isinstance(t, int) else f"({_tree_text(t[0])},{_tree_text(t[1])})"


def _gf_rank(rows, p):
    """Plain Gaussian elimination over GF(p) (independent of the project's rank code)."""
    A = [[x % p for x in r] for r in rows]
    r = 0
    for c in range(len(A[0]) if A else 0):
        piv = next((i for i in range(r, len(A)) if A[i][c]), None)
        if piv is None:
            continue
        A[r], A[piv] = A[piv], A[r]
        inv = pow(A[r][c], -1, p)
        for i in range(len(A)):
            if i != r and A[i][c]:
                f = A[i][c] * inv % p
                A[i] = [(x - f * y) % p for x, y in zip(A[i], A[r])]
        r += 1
    return r


def _arch(data, family):
    N = data.draw(st.integers(3, 6), label="N")
    M = data.draw(st.integers(2, 3), label="M")
    rnd = random.Random(data.draw(st.integers(0, 10**6), label="tree seed"))
    tree = _random_tree(list(range(N)), rnd)
    shared = data.draw(st.booleans(), label="shared") and family == "convac"
    h = _height(tree)
    widths = [data.draw(st.integers(1, 3), label="width")] * h if shared else \
        [data.draw(st.integers(1, 3), label=f"w{i}") for i in range(h)]
    a = spec(family, N, M, widths, None, shared, _tree_text(tree))
    rows = sorted(rnd.sample(range(N), rnd.randint(1, N - 1)))
    return a, rows


def _height(t):
    return 0 if isinstance(t, int) else 1 + max(_height(t[0]), _height(t[1]))


@pytest.mark.parametrize("family", ["convac", "ht"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_product_point_grid_tensor_is_the_product_of_the_separators_tensors(family, data):
    """At select_channel_zero's weights the reference forward pass equals prod_s T_s, and ranks multiply."""
    a, rows = _arch(data, family)
    rng = np.random.default_rng(data.draw(st.integers(0, 1000), label="seed"))
    W = random_weights(a, rng, P)
    value, factors = product_separators(a, W, rows, P)
    if not factors:
        return
    W2 = select_channel_zero(a, W, [f[0] for f in factors])
    G = grid_tensor(a, W2, P) % P
    T = np.ones([1] * a.N, dtype=np.int64)
    for nd, *_ in factors:
        lv = list(tree_leaves(nd))
        Ts = subtree_grid(a, W2, nd, P)
        shape = [a.M[i] if i in lv else 1 for i in range(a.N)]
        order = np.argsort(lv)
        T = T * np.transpose(Ts, order).reshape(shape) % P
    assert np.array_equal(T % P, G)
    assert _gf_rank(flatten(G, rows).tolist(), P) == value


CASES = [("convac", 8, 3, 2, False, None, "interleaved"), ("ht", 8, 2, 2, False, None, "interleaved"),
         ("convac", 8, 2, 2, True, "mirror", "left-right"), ("ht", 6, 2, [2, 2, 2], False, "pairs", "0,2,4"),
         ("convac", 4, 3, [3, 2], False, None, "0,2")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[6]}")
def test_product_certificates_verify_and_the_claim_holds_at_the_point(case):
    fam, N, M, w, shared, tree, part = case
    a = spec(fam, N, M, w, None, shared, tree)
    rows = parse_partition(part, N)
    res = architecture_separation(a, rows)
    d = res.certificate.to_dict()
    if not any(s["rule"] == "grid-rank-product" for s in d["steps"]):
        pytest.skip("the product point does not reach the bound here")
    assert check(d).ok
    step = next(s for s in d["steps"] if s["rule"] == "grid-rank-product")
    p = step["modulus"]
    W = {n: np.array([int(x) % p for x in v], dtype=np.int64) for n, v in d["objects"]["point"]["weights"].items()}
    from tnverify.networks.forward import weight_shapes
    W = {n: W[n].reshape(s) for n, s in weight_shapes(a).items()}
    G = grid_tensor(a, W, p)
    assert _gf_rank(flatten(G, rows).tolist(), p) >= step["rank"] == res.rank


def _product_cert():
    a = spec("convac", 8, 3, 2)
    return architecture_separation(a, parse_partition("interleaved", 8)).certificate.to_dict()


def test_every_selecting_weight_is_load_bearing():
    """Changing any entry of a selecting row (nodes above the separators) is rejected."""
    base = _product_cert()
    W = base["objects"]["point"]["weights"]
    above = ["n0", "n1", "n4"]  # root and the two height-2 nodes of the balanced 8-leaf tree (preorder)
    for name in above:
        n_in = 2
        for j in range(n_in):
            d = copy.deepcopy(base)
            d["objects"]["point"]["weights"][name][j] = int(W[name][j]) + 1
            assert not check(d).ok, (name, j)


def test_weights_below_selecting_rows_are_free():
    """Rows other than channel 0 of nodes above the separators do not enter the score: edits verify."""
    d = _product_cert()
    w = d["objects"]["point"]["weights"]["n1"]
    w[2] = int(w[2]) + 7  # row 1 of a (2 x 2) conv above the separators
    assert check(d).ok


@pytest.mark.parametrize("edit", ["rank", "minor", "modulus", "family", "drop"])
def test_product_step_edits_are_rejected(edit):
    d = _product_cert()
    s = next(x for x in d["steps"] if x["rule"] == "grid-rank-product")
    if edit == "rank":
        s["separators"][1]["rank"] = 1
        s["separators"][1]["minor"] = {"rows": [0], "cols": [0]}
    elif edit == "minor":
        s["separators"][0]["minor"]["rows"] = [s["separators"][0]["minor"]["rows"][0]] * 2
    elif edit == "modulus":
        s["modulus"] = 1_000_001
    elif edit == "family":
        for name in ("family", "point"):
            d["objects"][name]["family"] = "ht"
    else:
        d["steps"].remove(s)
    assert not check(d).ok


def test_product_rule_needs_a_tree_family():
    a = spec("tt", 4, 2, 2)
    d = architecture_separation(a, [0, 2]).certificate.to_dict()
    d["steps"].append({"rule": "grid-rank-product", "id": "x", "grid": "point", "rows": [0, 2], "modulus": 970261,
                       "rank": 1, "separators": [{"inputs": [0, 1, 2, 3], "minor": {"rows": [0], "cols": [0]},
                                                  "rank": 1}]})
    assert check(d).status == "MALFORMED"


def test_separation_text_and_json_name_the_product_point():
    a = spec("convac", 8, 3, 2)
    res = architecture_separation(a, parse_partition("interleaved", 8))
    assert "product point, 4 separators of ranks 2 x 2 x 2 x 2" in res.text()
    assert json.loads(json.dumps(res.to_dict()))["product_point"][0] == {"inputs": [0, 1], "rank": 2}
    assert math.prod(f["rank"] for f in res.to_dict()["product_point"]) == res.rank


def _expected_by_prover(d, a):
    """VERIFIED expected iff the nodes above the separators select channel 0 and every factor minor is nonsingular.

    Computed from the prover's sub-tree pass (checked against the reference forward pass above) and the plain
    elimination of this file.
    """
    from tnverify.networks.forward import _tree_nodes, weight_shapes
    from tnverify.networks.product_point import factor_flattening

    step = next(s for s in d["steps"] if s["rule"] == "grid-rank-product")
    p, rows = step["modulus"], step["rows"]
    raw = {n: np.array([int(x) for x in v], dtype=object).reshape(sh)
           for n, (v, sh) in ((n, (d["objects"]["point"]["weights"][n], sh)) for n, sh in weight_shapes(a).items())}
    nodes = {tuple(sorted(tree_leaves(nd))): nd for _, nd, _, _ in _tree_nodes(a.tree)}
    nodes.update({(i,): i for i in range(a.N)})
    seps = [nodes[tuple(s["inputs"])] for s in step["separators"]]
    inside = {x for s in seps if not isinstance(s, int) for _, x, _, _ in _tree_nodes(s)}
    for k, nd, _, ph in _tree_nodes(a.tree):
        if nd in inside:
            continue
        B = raw[f"n{k}"]
        sel = (B if ph == 0 else B[0]) if a.family == "convac" else (B if ph == 0 else B[:, :, 0])
        unit = np.zeros(sel.shape, dtype=object)
        unit[(0,) * sel.ndim] = 1
        if not np.array_equal(sel, unit):
            return False
    W = {n: (v % p).astype(np.int64) for n, v in raw.items()}
    for s, sep in zip(seps, step["separators"]):
        F = factor_flattening(a, subtree_grid(a, W, s, p), s, rows)
        minor = F[np.ix_(sep["minor"]["rows"], sep["minor"]["cols"])]
        if _gf_rank(minor.tolist(), p) != sep["rank"]:
            return False
    return True


@pytest.mark.parametrize("name", ["arch_product_convac_n8_interleaved", "arch_product_ht_shared_n8_interleaved",
                                  "arch_product_convac_mirror_left_right"])
def test_corpus_weight_edits_verify_exactly_when_the_pattern_and_the_factor_minors_survive(name):
    from pathlib import Path

    from tnverify.networks.forward import tied_groups

    base = json.loads((Path(__file__).parent / "certs" / "valid" / f"{name}.json").read_text())
    o = base["objects"]["point"]
    a = spec(o["family"], o["inputs"], o["features"], o["widths"], None, o["shared"], o["tree"])
    ties = {m for g in tied_groups(a) for m in g}
    for w in sorted(o["weights"]):
        for j in {0, len(o["weights"][w]) - 1}:
            d = copy.deepcopy(base)
            d["objects"]["point"]["weights"][w][j] = int(d["objects"]["point"]["weights"][w][j]) + 1
            v = check(d)
            if w in ties:
                assert not v.ok, (w, j)
            else:
                assert v.ok == _expected_by_prover(d, a), (w, j, v.message)


def test_leaf_separators_of_huge_template_counts_and_a_refused_certificate_are_reported_unknown(capsys):
    """Leaves with 70000 templates are separators without tabulation; the checker's limit (65536 templates)
    refuses the certificate, so the command reports unknown with the checker's one-line reason."""
    from tnverify.cli import main

    code = main(["separation", "--arch", "ht", "--inputs", "4", "--features", "70000", "--widths", "1",
                 "--partition", "interleaved"])
    out = capsys.readouterr()
    assert code == 3 and "Traceback" not in out.err
    assert "unknown: 1 <= rank <= 1" in out.out and "checker: MALFORMED: " in out.out and "65536" in out.out


def test_a_product_point_proves_a_rank_whose_sketch_would_exceed_every_budget():
    """convac N=8, M=30, widths 20: rank 20^4 = 160000 needs a 160000 x 160000 sketch, refused; the product
    point proves it from four 20 x 20 minors, and the checker accepts."""
    from tnverify.errors import BudgetError

    a = spec("convac", 8, 30, 20)
    rows = parse_partition("interleaved", 8)
    with pytest.raises(BudgetError):
        architecture_separation(a, rows, product=False)
    res = architecture_separation(a, rows)
    assert res.status == "proved" and res.rank == 20 ** 4 == res.upper
    assert [r for _, r in res.factors] == [20] * 4
    assert check(res.certificate.to_dict()).ok
