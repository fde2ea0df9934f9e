"""Certificates about architectures: the checker's own evaluator and network against the prover's,
certificates of every family, tampering, weight sharing, instances and the arch_* corpus."""
from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.helpers import sympy_rank
from tests.test_forward import arch_of
from tnverify.checker.kernel import Malformed
from tnverify.errors import NoNetworkError
from tnverify.networks import forward as fw
from tnverify.networks.architectures import network, spec
from tnverify.networks.partitions import parse_partition
from tnverify.checker import check
from tnverify.checker.families import architecture as rules_arch
from tnverify.networks.forward import FAMILIES, boundary_bound, forward, grid_tensor, random_weights, tied_groups
from tnverify.networks.mincut import cut_labels, min_cut
from tnverify.theory.separation import architecture_object, architecture_separation
from tnverify.exact.tensor import flatten

ROOT = Path(__file__).parent.parent
CERTS = Path(__file__).parent / "certs"
PRIMES = (101, 65_537, 1_000_003)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parsed(a, W=None, p=None):
    """The checker's parse of the architecture object the prover writes (weights reduced mod p)."""
    o = json.loads(json.dumps(architecture_object(a, W)))  # through JSON, as a certificate travels
    parsed = rules_arch._parse_arch(o, "x")
    if W is not None:
        parsed = {**parsed, "weights": {k: [x % p for x in v] for k, v in parsed["weights"].items()}}
    return parsed


@st.composite
def _partition(draw, N):
    rows = draw(st.sets(st.integers(0, N - 1), min_size=1, max_size=N - 1))
    return sorted(rows)


# ------------------------------------------------- checker evaluator vs prover
@pytest.mark.parametrize("family", FAMILIES)
@SETTINGS
@given(data=st.data())
def test_checker_grid_minor_equals_the_prover_forward_pass(family, data):
    a = data.draw(arch_of(family, min_inputs=2), label="arch")
    p = data.draw(st.sampled_from(PRIMES), label="p")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    W = random_weights(a, rng, p)
    rows = data.draw(_partition(a.N), label="rows")
    cols = [k for k in range(a.N) if k not in rows]
    sketch = a.multilinear and data.draw(st.booleans(), label="sketch")
    if sketch:  # random test vectors (multilinear families only)
        vecs = [rng.integers(0, p, (int(rng.integers(1, 4)), m)).tolist() for m in a.M]
    else:
        vecs = [[[int(i == d) for i in range(m)] for d in range(m)] for m in a.M]
    rb = [len(vecs[k]) for k in rows]
    cb = [len(vecs[k]) for k in cols]
    mr = data.draw(st.lists(st.integers(0, math.prod(rb) - 1), min_size=1, max_size=4), label="mr")
    mc = data.draw(st.lists(st.integers(0, math.prod(cb) - 1), min_size=1, max_size=4), label="mc")
    got = [x for row in rules_arch.grid_minor(_parsed(a, W, p), rows, vecs, mr, mc, p) for x in row]
    # the root's dot-product regrouping is the same equation as the root step itself
    assert got == [x for row in rules_arch.grid_minor(_parsed(a, W, p), rows, vecs, mr, mc, p, split=False)
                   for x in row]
    # the prover's forward pass on the same sequences (row index: C-order over the row positions)
    X = [np.zeros((len(mr) * len(mc), m), dtype=np.int64) for m in a.M]
    b = 0
    for i in mr:
        ri = np.unravel_index(i, rb)
        for j in mc:
            ci = np.unravel_index(j, cb)
            for q, k in enumerate(rows):
                X[k][b] = vecs[k][ri[q]]
            for q, k in enumerate(cols):
                X[k][b] = vecs[k][ci[q]]
            b += 1
    want = forward(a, W, X, p)
    assert got == [int(x) for x in want], a.describe()
    if not sketch:  # and the same entries of the dense grid flattening
        F = flatten(grid_tensor(a, W, p), rows)
        assert got == [int(F[i, j]) for i in mr for j in mc]


def test_checker_rejects_sketch_vectors_only_for_deep_racs():
    for a, ok in [(spec("rac", 4, 2, 2, depth=1), True), (spec("rac", 4, 2, 2, depth=2), False)]:
        p = 101
        step = {"vectors": [[[1, 2]] for _ in range(4)]}
        parsed = _parsed(a, random_weights(a, np.random.default_rng(0), p), p)
        if ok:
            assert rules_arch._vectors(step, parsed, p) == [[[1, 2]]] * 4
        else:
            with pytest.raises(rules_arch.Malformed, match="not multilinear"):
                rules_arch._vectors(step, parsed, p)


# ------------------------------------------------- checker network vs prover
@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_checker_network_shapes_and_ties_equal_the_prover(family, data):
    a = data.draw(arch_of(family, min_inputs=2))
    if family == "mixed":  # two networks summed: neither side builds one
        with pytest.raises(NoNetworkError):
            network(a)
        with pytest.raises(Malformed, match="no grid network"):
            rules_arch._network(_parsed(a))
    else:
        net = network(a)
        mine = rules_arch._network(_parsed(a))
        assert mine["names"] == list(net.names)
        assert mine["inputs"] == [list(ix) for ix in net.inputs]
        assert mine["output"] == list(net.output)
        assert mine["dims"] == dict(net.size_dict)
    parsed = _parsed(a)
    assert {k: tuple(v) for k, v in parsed["shapes"].items()} == {k: tuple(v) for k, v in fw.weight_shapes(a).items()}
    assert sorted(map(sorted, parsed["ties"])) == sorted(map(sorted, tied_groups(a)))


@settings(max_examples=40, deadline=None)
@given(T=st.integers(2, 12), L=st.integers(1, 8), data=st.data())
def test_checker_boundary_count_equals_the_prover_bound(T, L, data):
    R = [data.draw(st.integers(1, 4)) for _ in range(L)]
    a = spec("rac", T, 2, R, depth=L, shared=data.draw(st.booleans()))
    parsed = _parsed(a)
    for k in range(1, T):
        assert rules_arch.boundary_count(parsed, k) == boundary_bound(a, range(k))
        end = list(range(k, T))  # the end block as rows: the same flattening, transposed
        assert rules_arch.start_block(end, T) == k and boundary_bound(a, end) == boundary_bound(a, range(k))


# ------------------------------------------------------------ certificates
CASES = {
    "convac": (("convac", 4, 3, [2, 2]), "interleaved"),
    "convac_shared_mirror": (("convac", 4, 3, [2, 2], None, True, "mirror"), "interleaved"),
    "cp": (("cp", 4, 2, None, 3), "0,1"),
    "cp_shared": (("cp", 3, 3, None, 2, True), "0"),
    "tt": (("tt", 4, 3, 2), "interleaved"),
    "tt_shared": (("tt", 5, 2, 2, None, True), "0,2,4"),
    "tr": (("tr", 4, 2, 2), "0,2"),
    "ht": (("ht", 5, 2, [2, 2, 2], None, False, "pairs"), "0,2,4"),
    "tucker": (("tucker", 3, 3, [2, 2, 2]), "0"),
    "rac1": (("rac", 4, 2, 2, None, True, None, 1), "start-end"),
    "rac2": (("rac", 6, 3, 2, None, True, None, 2), "start-end"),
    "rac2_unshared": (("rac", 6, 3, [2, 2], None, False, None, 2), "start-end"),
    "rac3": (("rac", 6, 3, 2, None, True, None, 3), "start-end"),
}


@functools.lru_cache(maxsize=None)
def _result(case):
    args, part = CASES[case]
    a = spec(*args)
    res = architecture_separation(a, parse_partition(part, a.N), seed=3, product=False)  # the sketched route
    return a, res, json.dumps(res.certificate.to_dict())


def _base(case):
    a, res, text = _result(case)
    return a, res, json.loads(text)


def _step(d, rule):
    return next(s for s in d["steps"] if s["rule"] == rule)


def _weights(d, a):
    """The point's weights as arrays (from the certificate itself)."""
    W = d["objects"]["point"]["weights"]
    return {n: np.array([int(x) for x in W[n]], dtype=object).reshape(s) for n, s in fw.weight_shapes(a).items()}


def _minor_by_prover(d, a):
    """(det != 0 mod p) for the certificate's minor, computed by the prover's forward pass and sympy."""
    s = _step(d, "grid-rank-at-least")
    p = s["modulus"]
    W = {n: np.array([int(x) % p for x in v.ravel()], dtype=np.int64).reshape(v.shape)
         for n, v in _weights(d, a).items()}
    rows = s["rows"]
    cols = [k for k in range(a.N) if k not in rows]
    vecs = s.get("vectors") or [np.eye(m, dtype=np.int64).tolist() for m in a.M]
    rb, cb = [len(vecs[k]) for k in rows], [len(vecs[k]) for k in cols]
    mr, mc = s["minor"]["rows"], s["minor"]["cols"]
    X = [[] for _ in range(a.N)]
    for i in mr:
        ri = np.unravel_index(i, rb)
        for j in mc:
            ci = np.unravel_index(j, cb)
            for q, k in enumerate(rows):
                X[k].append([int(x) % p for x in vecs[k][ri[q]]])
            for q, k in enumerate(cols):
                X[k].append([int(x) % p for x in vecs[k][ci[q]]])
    vals = forward(a, W, [np.array(x, dtype=np.int64) for x in X], p).reshape(len(mr), len(mc))
    return sympy_rank(vals.tolist(), p) == len(mr) == s["rank"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_certificate_verifies_and_its_claim_is_true(case):
    a, res, d = _base(case)
    v = check(d)
    assert v.status == "VERIFIED", v.message
    assert res.status == "proved" and res.lower == res.upper == res.rank
    facts = {c["fact"]: c["value"] for c in d["conclusion"]}
    assert facts == {"generic-rank-at-least": res.rank, "generic-rank-at-most": res.rank}
    assert d["objects"]["family"] == {k: v for k, v in d["objects"]["point"].items() if k != "weights"}
    assert d["objects"]["family"] == json.loads(json.dumps(architecture_object(a)))
    # the lower bound: the certificate's minor is nonsingular at its point (prover's forward pass, sympy)
    assert _minor_by_prover(d, a)
    # the dense grid flattening at the certificate's point has the claimed rank (sympy over GF(p))
    rows = res.rows
    p = _step(d, "grid-rank-at-least")["modulus"]
    Wp = {n: np.array([int(x) % p for x in w.ravel()], dtype=np.int64).reshape(w.shape)
          for n, w in _weights(d, a).items()}
    assert sympy_rank(flatten(grid_tensor(a, Wp, p), rows).tolist(), p) == res.rank
    # and no point exceeds the upper bound (a few random points, over Q)
    rng = np.random.default_rng(1)
    for _ in range(2):
        W = {n: w.astype(object) - 50 for n, w in random_weights(a, rng, 100).items()}
        assert sympy_rank(flatten(grid_tensor(a, W), rows).tolist()) <= res.upper


# ---- tampering
def _rejected(d):
    return check(d).status != "VERIFIED"


def _lower_only(d):
    d = copy.deepcopy(d)
    d["steps"] = [s for s in d["steps"] if s["rule"] in ("grid-rank-at-least", "grid-generic-from-point")]
    d["conclusion"] = [c for c in d["conclusion"] if c["fact"] == "generic-rank-at-least"]
    return d


def _lower_depth(d, depth):
    for name in ("family", "point"):
        d["objects"][name]["depth"] = depth
    return d


@pytest.mark.parametrize("case", ["rac2", "rac2_unshared", "rac3"])
def test_lowering_the_depth_is_rejected(case):
    a, res, base = _base(case)
    # the depth alone, in both objects
    assert _rejected(_lower_depth(copy.deepcopy(base), 1))
    # consistently: widths and the weights of the dropped layers removed, full certificate and lower chain only
    for L in range(1, a.depth):
        low = spec("rac", a.N, a.M[0], list(a.widths[:L]), shared=a.shared, depth=L)
        rows = list(res.rows)
        bound = min(boundary_bound(low, rows), min_cut(network(low), rows).value)
        assert bound < res.rank, L  # the claim is false for the shallower RAC
        for d0 in (base, _lower_only(base)):
            d = _lower_depth(copy.deepcopy(d0), L)
            for name in ("family", "point"):
                d["objects"][name]["widths"] = d["objects"][name]["widths"][:L]
            W = d["objects"]["point"]["weights"]
            for n in list(W):
                if n.startswith(("WI", "WH")) and int(n[2:].split("_")[0]) >= L:
                    del W[n]
            v = check(d)
            assert v.status != "VERIFIED", (L, v.message)
            if d0 is not base:  # only the minor can fail: it is singular at depth L
                assert v.status == "NOT VERIFIED" and "determinant 0" in v.message, v.message


@pytest.mark.parametrize("case", sorted(CASES))
def test_changing_the_architecture_is_rejected(case):
    a, res, base = _base(case)
    muts = []
    for name in ("family", "point"):
        muts.append((f"{name}.widths+1", lambda d, name=name: d["objects"][name]["widths"].__setitem__(
            0, d["objects"][name]["widths"][0] + 1)))
        muts.append((f"{name}.shared", lambda d, name=name: d["objects"][name].update(
            shared=not d["objects"][name]["shared"])))
        for fam in FAMILIES:
            if fam != a.family:
                muts.append((f"{name}.family={fam}", lambda d, name=name, fam=fam: d["objects"][name].update(
                    family=fam)))
        muts.append((f"{name}.features", lambda d, name=name: d["objects"][name]["features"].__setitem__(
            0, d["objects"][name]["features"][0] + 1)))
    muts.append(("both.widths", lambda d: [d["objects"][n]["widths"].__setitem__(0, d["objects"][n]["widths"][0] + 1)
                                           for n in ("family", "point")]))
    for fam in FAMILIES:
        if fam != a.family:
            muts.append((f"both.family={fam}", lambda d, fam=fam: [d["objects"][n].update(family=fam)
                                                                   for n in ("family", "point")]))
    if not a.shared and tied_groups(dataclasses.replace(a, shared=True)):
        # unshared -> shared in both: the point's weights are not tied (tucker has nothing to tie)
        muts.append(("both.shared", lambda d: [d["objects"][n].update(shared=True) for n in ("family", "point")]))
    if a.tree is not None:
        muts.append(("family.tree", lambda d: d["objects"]["family"].update(tree=_other_tree(a))))
        muts.append(("point.tree", lambda d: d["objects"]["point"].update(tree=_other_tree(a))))
    for src in (base, _lower_only(base)):
        for label, fn in muts:
            d = copy.deepcopy(src)
            fn(d)
            assert _rejected(d), label


def _other_tree(a):
    from tnverify.networks.architectures import _tree_str

    leaves = list(fw.tree_leaves(a.tree))
    other = parse_tree_swap(a.tree, leaves[0], leaves[-1])
    return _tree_str(other)


def parse_tree_swap(t, x, y):
    if isinstance(t, int):
        return y if t == x else x if t == y else t
    return (parse_tree_swap(t[0], x, y), parse_tree_swap(t[1], x, y))


def test_shared_to_unshared_in_both_objects_is_a_weaker_true_claim():
    """A shared point is a point of the unshared family, whose network is the same: it may verify."""
    a, res, base = _base("rac2")
    d = copy.deepcopy(base)
    for n in ("family", "point"):
        d["objects"][n]["shared"] = False
    v = check(d)
    assert v.status == "VERIFIED", v.message
    unshared = architecture_separation(spec("rac", 6, 3, 2, shared=False, depth=2), range(3))
    assert unshared.rank == res.rank  # the claim for the unshared family is true


def test_changing_the_tree_in_both_objects_is_rejected():
    """Pooling 0 with 2 makes {0,2} | {1,3} a root cut of width 2 < 4: no point of that family has rank 4."""
    a, res, base = _base("convac")
    other = spec("convac", 4, 3, [2, 2], tree="((0,2),(1,3))")
    assert min_cut(network(other), res.rows).value < res.rank
    for src in (base, _lower_only(base)):
        d = copy.deepcopy(src)
        for n in ("family", "point"):
            d["objects"][n]["tree"] = "((0,2),(1,3))"
        v = check(d)
        assert v.status == "NOT VERIFIED", v.message
    d = _lower_only(base)
    for n in ("family", "point"):
        d["objects"][n]["tree"] = "((0,2),(1,3))"
    assert "determinant 0" in check(d).message


@pytest.mark.parametrize("case", sorted(CASES))
def test_changing_claims_minor_and_bounds_is_rejected(case):
    a, res, base = _base(case)
    muts = []
    for s, step in enumerate(base["steps"]):
        for delta in (-1, 1):
            muts.append((f"{step['rule']}.rank{delta:+d}", lambda d, s=s, delta=delta: d["steps"][s].update(
                rank=d["steps"][s]["rank"] + delta)))
    for c, fact in enumerate(base["conclusion"]):
        delta = 1 if fact["fact"].endswith("at-least") else -1
        muts.append((f"conclusion{c}", lambda d, c=c, delta=delta: d["conclusion"][c].update(
            value=d["conclusion"][c]["value"] + delta)))
        muts.append((f"conclusion{c}.rows", lambda d, c=c: d["conclusion"][c]["subject"].update(
            rows=[k for k in range(a.N) if k not in res.rows])))
        muts.append((f"conclusion{c}.point", lambda d, c=c: d["conclusion"][c]["subject"].update(
            architecture="point") if d["conclusion"][c]["fact"].endswith("at-least") else
            d["conclusion"][c]["subject"].update(architecture="nothing")))

    def extend(d):  # one more row and column: an (r+1)-minor of a flattening of generic rank r
        s = _step(d, "grid-rank-at-least")
        for side in ("rows", "cols"):
            s["minor"][side].append(min(set(range(10**4)) - set(s["minor"][side])))
        s["rank"] += 1
        _step(d, "grid-generic-from-point")["rank"] += 1
        d["conclusion"][0]["value"] += 1
    muts.append(("minor+1", extend))
    muts.append(("minor.repeat", lambda d: _step(d, "grid-rank-at-least")["minor"]["rows"].__setitem__(
        -1, _step(d, "grid-rank-at-least")["minor"]["rows"][0]) if res.rank > 1 else
        _step(d, "grid-rank-at-least")["minor"]["rows"].append(0)))
    muts.append(("minor.out_of_range", lambda d: _step(d, "grid-rank-at-least")["minor"]["cols"].__setitem__(
        0, 10**9)))
    muts.append(("rows", lambda d: _step(d, "grid-rank-at-least").update(
        rows=[k for k in range(a.N) if k not in res.rows])))
    muts.append(("lift.rows", lambda d: _step(d, "grid-generic-from-point").update(
        rows=[k for k in range(a.N) if k not in res.rows])))
    muts.append(("lift.point_is_family", lambda d: _step(d, "grid-generic-from-point").update(point="family")))
    muts.append(("modulus.not_prime", lambda d: _step(d, "grid-rank-at-least").update(modulus=1_000_001)))
    muts.append(("no_lower_step", lambda d: d["steps"].remove(_step(d, "grid-rank-at-least"))))
    muts.append(("no_cut_step", lambda d: [d["steps"].remove(s) for s in list(d["steps"])
                                           if s["rule"].endswith("-bound") and s["rank"] == res.upper]))
    for label, fn in muts:
        d = copy.deepcopy(base)
        fn(d)
        assert _rejected(d), label


@pytest.mark.parametrize("case", sorted(CASES))
def test_minor_and_weight_edits_verify_exactly_when_the_prover_minor_is_nonsingular(case):
    """Edits of the point, the minor indices, the test vectors or the modulus: the checker's verdict
    must equal the prover's own evaluation of the edited minor (forward pass + sympy)."""
    a, res, base = _base(case)
    ties = {n: g for g in tied_groups(a) for n in g}
    edits = []
    for n in sorted(fw.weight_shapes(a))[:6]:
        def f(d, n=n):  # one entry + 1, in every tied copy (the point stays in the family)
            W = d["objects"]["point"]["weights"]
            for m in ties.get(n, [n]):
                W[m][0] = int(W[m][0]) + 1
        edits.append((f"weight {n}", f))
    s0 = _step(base, "grid-rank-at-least")
    rows = s0["rows"]
    vecs = s0.get("vectors") or [np.eye(m, dtype=np.int64).tolist() for m in a.M]
    m = math.prod(len(vecs[k]) for k in rows)
    n_ = math.prod(len(vecs[k]) for k in range(a.N) if k not in rows)
    for side, size in (("rows", m), ("cols", n_)):
        free = sorted(set(range(size)) - set(s0["minor"][side]))
        for x in free[:3]:
            edits.append((f"minor {side} -> {x}", lambda d, side=side, x=x:
                          _step(d, "grid-rank-at-least")["minor"][side].__setitem__(0, x)))
    if "vectors" in s0:
        for k in range(min(a.N, 3)):
            edits.append((f"vector {k}", lambda d, k=k: _step(d, "grid-rank-at-least")["vectors"][k][0].__setitem__(
                0, int(_step(d, "grid-rank-at-least")["vectors"][k][0][0]) + 1)))
    edits.append(("modulus", lambda d: _step(d, "grid-rank-at-least").update(modulus=1_000_003)))
    edits.append(("modulus 5", lambda d: _step(d, "grid-rank-at-least").update(modulus=5)))
    for label, fn in edits:
        d = copy.deepcopy(base)
        fn(d)
        v = check(d)
        assert v.status != "MALFORMED", (label, v.message)
        assert (v.status == "VERIFIED") == _minor_by_prover(d, a), (label, v.message)


@pytest.mark.parametrize("case", sorted(CASES))
def test_zeroed_output_weights_and_vectors_are_rejected(case):
    a, res, base = _base(case)
    out = {"cp": "lam", "tucker": "G", "tt": "G0", "tr": "G0", "rac": "w", "ht": "n0", "convac": "n0"}[a.family]
    ties = {n: g for g in tied_groups(a) for n in g}
    d = copy.deepcopy(base)
    for m in ties.get(out, [out]):
        W = d["objects"]["point"]["weights"]
        W[m] = [0] * len(W[m])
    v = check(d)
    assert v.status == "NOT VERIFIED" and "determinant 0" in v.message, v.message
    s = _step(base, "grid-rank-at-least")
    if "vectors" in s:
        d = copy.deepcopy(base)
        _step(d, "grid-rank-at-least")["vectors"][0] = [[0] * len(x) for x in s["vectors"][0]]
        assert check(d).status == "NOT VERIFIED"


@pytest.mark.parametrize("case", ["rac2", "rac2_unshared", "rac3"])
def test_vectors_in_a_deep_rac_step_are_malformed(case):
    a, res, base = _base(case)
    M = a.M[0]
    one_hot = [[int(i == j) for i in range(M)] for j in range(M)]
    for vecs in ([one_hot] * a.N, [[[1] * M]] * a.N):
        d = copy.deepcopy(base)
        _step(d, "grid-rank-at-least")["vectors"] = vecs
        v = check(d)
        assert v.status == "MALFORMED" and "not multilinear" in v.message, v.message


@pytest.mark.parametrize("case", sorted(CASES))
def test_edited_cut_sides_verify_only_when_they_cross_the_claimed_labels(case):
    a, res, base = _base(case)
    s = _step(base, "grid-cut-bound")
    net = network(a)
    rejected = 0
    for core in net.names[:: max(1, len(net.names) // 12)]:
        d = copy.deepcopy(base)
        side = _step(d, "grid-cut-bound")["side"]
        if core in side:
            side.remove(core)
        else:
            side.append(core)
        v = check(d)
        same = sorted(cut_labels(net, res.rows, side)) == sorted(s["cut"])
        assert (v.status == "VERIFIED") == same, (core, v.message)
        rejected += v.status != "VERIFIED"
    assert rejected >= 1
    d = copy.deepcopy(base)
    _step(d, "grid-cut-bound")["side"].append("no-such-core")
    assert check(d).status == "MALFORMED"
    d = copy.deepcopy(base)
    _step(d, "grid-cut-bound")["cut"] = s["cut"][:-1]
    assert _rejected(d)


@pytest.mark.parametrize("case", ["rac1", "rac2", "rac2_unshared", "rac3"])
def test_boundary_count_edits_are_rejected(case):
    a, res, base = _base(case)
    s = _step(base, "grid-boundary-bound")
    assert s["rank"] == boundary_bound(a, res.rows)
    for value in (s["rank"] - 1, s["rank"] + 1, 1):
        if value >= 1 and value != s["rank"]:
            d = copy.deepcopy(base)
            _step(d, "grid-boundary-bound")["rank"] = value
            assert check(d).status == "NOT VERIFIED"
    d = copy.deepcopy(base)
    _step(d, "grid-boundary-bound")["rows"] = [0, 2] if a.N > 3 else [1]
    assert check(d).status == "MALFORMED"


def test_symmetric_bound_edits_are_rejected():
    """The shared shallow ConvAC's symmetric bound: proved by it, and no other value or family passes."""
    a = spec("cp", 6, 2, rank=7, shared=True)
    res = architecture_separation(a, parse_partition("interleaved", 6))
    assert res.status == "proved" and res.rank == 4 and res.bounds["symmetry"] == 4 < res.bounds["cut"]
    base = res.certificate.to_dict()
    assert check(base).status == "VERIFIED"
    for value in (3, 5, 7):
        d = copy.deepcopy(base)
        _step(d, "grid-symmetric-bound")["rank"] = value
        assert check(d).status == "NOT VERIFIED"
    d = copy.deepcopy(base)
    d["objects"]["family"]["shared"] = False
    d["objects"]["point"]["shared"] = False
    assert check(d).status == "MALFORMED"
    d = copy.deepcopy(base)
    d["steps"] = [s for s in d["steps"] if s["rule"] != "grid-symmetric-bound"]
    assert check(d).status != "VERIFIED"  # the cut (7) alone does not give the concluded upper bound 4


def test_deep_rac_upper_bound_of_the_old_semantics_does_not_follow():
    """T=6, M=3, R=2, L=2: the old shared-index network gave 4; the grid's bounds give 8."""
    a, res, base = _base("rac2")
    assert res.rank == 8
    d = copy.deepcopy(base)
    d["conclusion"][1]["value"] = 4
    assert check(d).status == "NOT VERIFIED"
    d = copy.deepcopy(base)
    _step(d, "grid-boundary-bound")["rank"] = 4
    assert check(d).status == "NOT VERIFIED"


@pytest.mark.parametrize("case", ["convac_shared_mirror", "cp_shared", "tt_shared", "rac1", "rac2", "rac3"])
def test_a_point_that_breaks_weight_sharing_is_rejected(case):
    a, res, base = _base(case)
    groups = tied_groups(a)
    assert groups
    for g in groups:
        for src in (base, _lower_only(base)):
            d = copy.deepcopy(src)
            d["objects"]["point"]["weights"][g[-1]][0] = int(d["objects"]["point"]["weights"][g[-1]][0]) + 1
            v = check(d)
            assert v.status == "NOT VERIFIED" and "shared weights" in v.message, v.message


def test_a_point_drawn_without_sharing_is_not_a_point_of_the_shared_family():
    a = spec("convac", 4, 3, [2, 2], shared=True)
    p = 1_000_003
    au = spec("convac", 4, 3, [2, 2], shared=False)
    W = random_weights(au, np.random.default_rng(4), p)  # independent leaves and nodes
    rows = [0, 2]
    F = flatten(grid_tensor(au, W, p), rows)
    from tnverify.numeric.modp import rank_profile

    rp = rank_profile(F, p)
    d = {"format": "tnverify-certificate", "version": 1, "claim": {},
         "objects": {"family": architecture_object(a), "point": architecture_object(a, W)},
         "steps": [{"rule": "grid-rank-at-least", "id": "pt", "grid": "point", "rows": rows, "modulus": p,
                    "minor": {"rows": list(map(int, rp.rows)), "cols": list(map(int, rp.cols))}, "rank": rp.rank},
                   {"rule": "grid-generic-from-point", "id": "lift", "point": "point", "family": "family",
                    "rows": rows, "rank": rp.rank}],
         "conclusion": [{"fact": "generic-rank-at-least", "subject": {"architecture": "family", "rows": rows},
                         "value": rp.rank}]}
    v = check(json.loads(json.dumps(d)))
    assert v.status == "NOT VERIFIED" and "shared weights" in v.message
    # the same certificate about the unshared family verifies
    d["objects"] = {"family": architecture_object(au), "point": architecture_object(au, W)}
    assert check(json.loads(json.dumps(d))).status == "VERIFIED"


# ---- hand-built lower chains: sound (never above the point's rank) and complete (the pivots verify)
def _lower_cert(a, W, rows, p, mr, mc, r):
    return json.loads(json.dumps({
        "format": "tnverify-certificate", "version": 1, "claim": {},
        "objects": {"family": architecture_object(a), "point": architecture_object(a, W)},
        "steps": [{"rule": "grid-rank-at-least", "id": "pt", "grid": "point", "rows": rows, "modulus": p,
                   "minor": {"rows": mr, "cols": mc}, "rank": r},
                  {"rule": "grid-generic-from-point", "id": "lift", "point": "point", "family": "family",
                   "rows": rows, "rank": r}],
        "conclusion": [{"fact": "generic-rank-at-least", "subject": {"architecture": "family", "rows": rows},
                        "value": r}]}))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_checker_accepts_pivot_minors_and_rejects_any_larger_minor(family, data):
    from tnverify.numeric.modp import rank_profile

    a = data.draw(arch_of(family, min_inputs=2, max_depth=2))
    p = data.draw(st.sampled_from(PRIMES))
    W = random_weights(a, np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))), p)
    rows = data.draw(_partition(a.N))
    F = flatten(grid_tensor(a, W, p), rows)
    rp = rank_profile(F, p)
    r = rp.rank
    assert r == sympy_rank(F.tolist(), p)
    if r:
        v = check(_lower_cert(a, W, rows, p, list(map(int, rp.rows)), list(map(int, rp.cols)), r))
        assert v.status == "VERIFIED", v.message
    if r < min(F.shape):  # any (r+1) x (r+1) minor of a rank-r matrix is singular
        mr = sorted(data.draw(st.sets(st.integers(0, F.shape[0] - 1), min_size=r + 1, max_size=r + 1)))
        mc = sorted(data.draw(st.sets(st.integers(0, F.shape[1] - 1), min_size=r + 1, max_size=r + 1)))
        v = check(_lower_cert(a, W, rows, p, mr, mc, r + 1))
        assert v.status == "NOT VERIFIED" and "determinant 0" in v.message, v.message


# ------------------------------------------------------------------ instances
THEOREMS = ("separation-rank", "deep-vs-shallow", "tt-ranks")


def _instances():
    from tnverify.theorems.instance import find_instances, load_instance

    out = []
    for path in find_instances([ROOT / "proofs_checks"]):
        inst = load_instance(path)
        if inst.theorem in THEOREMS:
            out.append(inst)
    return out


def test_architecture_instances_build_through_spec_to_a_forward_pass():
    from tnverify.theorems import registry

    insts = _instances()
    assert insts, "no separation-rank / deep-vs-shallow / tt-ranks instances under proofs_checks"
    built = 0
    for inst in insts:
        prm = inst.params
        if "network" in prm:
            assert "network" in inst.statement.lower(), inst.id
            continue
        defaults = registry()[inst.theorem].params

        def get(k, default=None):
            v = prm[k] if k in prm else defaults.get(k, default)
            assert v is not inspect.Parameter.empty, (inst.id, k)
            return v

        arch = "tt" if inst.theorem == "tt-ranks" else get("arch")
        assert isinstance(arch, str), inst.id
        a = spec(arch, get("inputs"), get("features", 2), get("widths"), get("rank"), bool(get("shared", False)),
                 get("tree"), get("depth", 1))
        assert a.family in FAMILIES and a.family == arch, inst.id
        assert fw.weight_shapes(a)  # the forward pass knows its weights
        if inst.theorem == "deep-vs-shallow":
            sh = prm.get("shallow", defaults["shallow"])
            assert sh in FAMILIES, inst.id
        if "arch" in prm:
            built += 1
    assert built >= 5


# ------------------------------------------------------------------ corpus
def _corpus(kind):
    return sorted((CERTS / kind).glob("arch_*.json"))


def test_arch_corpus_exists_with_each_verdict():
    assert len(_corpus("valid")) >= 5 and len(_corpus("invalid")) >= 8 and len(_corpus("malformed")) >= 8


@pytest.mark.parametrize("path", _corpus("valid") + _corpus("invalid") + _corpus("malformed"), ids=lambda p: p.stem)
def test_arch_corpus_verdicts(path):
    kind = path.parent.name
    v = check(path)
    assert v.status == {"valid": "VERIFIED", "invalid": "NOT VERIFIED", "malformed": "MALFORMED"}[kind], v.message
    d = json.loads(path.read_text())
    assert any(o.get("type") == "architecture" for o in d["objects"].values())


@pytest.mark.parametrize("path", _corpus("valid"), ids=lambda p: p.stem)
def test_arch_corpus_weight_mutations_are_rejected_or_leave_a_nonsingular_minor(path):
    """Every weight block of every point, one entry + 1: NOT VERIFIED exactly when the prover's minor is singular
    or a tie is broken."""
    base = json.loads(path.read_text())
    if any(s["rule"] == "grid-rank-product" for s in base["steps"]):
        pytest.skip("product points: tests/test_product_point.py mutates their weights")
    n = 0
    for name, o in base["objects"].items():
        if o.get("type") != "architecture" or "weights" not in o:
            continue
        steps = [s for s in base["steps"] if s["rule"] == "grid-rank-at-least" and s["grid"] == name]
        a = _arch_from_object(o)
        ties = {m: g for g in tied_groups(a) for m in g}
        for w in sorted(o["weights"]):
            d = copy.deepcopy(base)
            d["objects"][name]["weights"][w][0] = int(d["objects"][name]["weights"][w][0]) + 1
            v = check(d)
            if w in ties:
                assert v.status == "NOT VERIFIED" and "shared weights" in v.message, (w, v.message)
            else:
                sub = {**d, "objects": {"point": d["objects"][name]}, "steps": steps}
                assert (v.status == "VERIFIED") == all(_minor_by_prover(
                    {**sub, "steps": [s]}, a) for s in steps), (w, v.message)
            n += 1
    assert n >= 1


def _arch_from_object(o):
    tree = o.get("tree")
    if o["family"] == "cp":
        return spec("cp", o["inputs"], o["features"], rank=o["widths"][0], shared=o["shared"])
    return spec(o["family"], o["inputs"], o["features"] if o["family"] != "rac" else o["features"][0], o["widths"],
                shared=o["shared"], tree=tree, depth=o.get("depth", 1), field=o.get("field"), stride=o.get("stride"),
                dilations=o.get("dilations"))


@pytest.mark.parametrize("args,kw,part,limit", [
    (("cp", 6, 2), {"rank": 7}, "interleaved", 50),
    (("cp", 10, 2), {"rank": 30}, "interleaved", 1000),
    (("tucker", 6, 3, [2, 3, 2, 3, 2, 3]), {}, "0,1,2", 150),
])
def test_a_sketch_over_the_limit_is_sampled_and_its_minor_is_the_forward_pass(args, kw, part, limit):
    """The whole sketch exceeds ``limit`` while rank^2 fits: rows and columns are sampled, the minor stays square."""
    a = spec(*args, **kw)
    rows = parse_partition(part, a.N)
    whole = architecture_separation(a, rows)
    assert whole.sketch_shape[0] * whole.sketch_shape[1] > limit >= whole.rank ** 2
    res = architecture_separation(a, rows, limit=limit)
    assert res.status == "proved" and res.rank == whole.rank
    assert res.sketch_shape[0] * res.sketch_shape[1] <= limit
    d = res.certificate.to_dict()
    assert check(d).ok
    assert _minor_by_prover(d, a)
