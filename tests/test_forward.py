"""Reference forward passes: against the builders' networks, against the papers' equations, and bounds.

* every builder of :mod:`tnverify.networks.architectures` contracts to the grid tensor of the
  forward pass, entry by entry (mod p and over Z), for every family;
* the forward pass itself against independent definitions written here (einsum of
  outer products, matrix chains, traces, the explicit pooling formula, plain-Python
  recurrences), including the non-multilinear deep RAC;
* the boundary-state bound and the min cut bound the rank of the grid flattening.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.helpers import sympy_rank
from tnverify.errors import NoNetworkError, ShapeError
from tnverify.networks.architectures import ARCHS, network, parse_tree, spec
from tnverify.networks.forward import (
    FAMILIES, MULTILINEAR, boundary_bound, forward, grid_block, grid_tensor, network_values, random_weights,
    symmetric_bound, tied_groups, weight_shapes,
)
from tnverify.numeric.modp import rank_profile
from tnverify.networks.mincut import min_cut
from tnverify.networks.network import TensorNetwork, contract
from tests.test_overlap_dilated import conv_arch
from tnverify.exact.tensor import flatten

PRIMES = (101, 65_537, 1_000_003)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ strategies
def _widths(draw, k, hi=3):
    return [draw(st.integers(1, hi)) for _ in range(k)]


@st.composite
def _random_nested_tree(draw, N):
    """A random binary tree over a random order of 0..N-1, as nested tuples."""
    leaves = draw(st.permutations(list(range(N))))

    def build(xs):
        if len(xs) == 1:
            return xs[0]
        cut = draw(st.integers(1, len(xs) - 1))
        return (build(xs[:cut]), build(xs[cut:]))

    return build(list(leaves))


TREE_KINDS = ("balanced", "pairs", "mirror", "odd-even", "permutation", "nested")


@st.composite
def _tree_arch(draw, family, min_inputs=2):
    kind = draw(st.sampled_from(TREE_KINDS))
    if kind in ("balanced", "mirror", "permutation"):
        N = draw(st.sampled_from([n for n in (2, 4, 8) if n >= min_inputs]))
    elif kind == "odd-even":
        N = draw(st.sampled_from((4, 8)))
    elif kind == "pairs":
        N = draw(st.sampled_from([n for n in (3, 5, 6, 7) if n >= min_inputs]))
    else:
        N = draw(st.integers(max(2, min_inputs), 6))
    tree = {"balanced": None, "pairs": "pairs", "mirror": "mirror", "odd-even": "odd-even"}.get(kind)
    if kind == "permutation":
        tree = ",".join(map(str, draw(st.permutations(list(range(N))))))
    elif kind == "nested":
        tree = draw(_random_nested_tree(N))
    H = _height(parse_tree(tree, N))
    shared = draw(st.booleans())
    hiM = 2 if N >= 6 else 3
    M = draw(st.integers(1, hiM)) if shared else [draw(st.integers(1, hiM)) for _ in range(N)]
    return spec(family, N, M, _widths(draw, H), shared=shared, tree=tree)


def _height(t):
    return 0 if isinstance(t, int) else 1 + max(_height(t[0]), _height(t[1]))


@st.composite
def arch_of(draw, family, min_inputs=1, max_depth=3):
    """A small architecture of ``family`` (grids of at most a few hundred entries)."""
    if family in ("ht", "convac"):
        return draw(_tree_arch(family, min_inputs))
    if family in ("overlap", "dilated", "mixed"):
        return draw(conv_arch(family))
    shared = draw(st.booleans()) if family != "tucker" else False
    lo = max(min_inputs, 1 if family in ("cp", "tucker") else 2)
    if family == "rac":
        L = draw(st.integers(1, max_depth))
        T = draw(st.integers(2, 5 if L < 3 else 4))
        M = draw(st.integers(1, 3))
        return spec("rac", T, M, _widths(draw, L), shared=shared, depth=L)
    N = draw(st.integers(lo, 5 if family != "tucker" else 4))
    hiM = 3 if N <= 4 else 2
    M = draw(st.integers(1, hiM)) if shared else [draw(st.integers(1, hiM)) for _ in range(N)]
    if family == "cp":
        return spec("cp", N, M, rank=draw(st.integers(1, 4)), shared=shared)
    k = {"tucker": N, "tt": N - 1, "tr": N}[family]
    w = draw(st.integers(1, 3)) if shared else _widths(draw, k)
    return spec(family, N, M, w, shared=shared)


def _small_signed(a, seed):
    """Weights with small nonzero signed entries (-3..3, not 0) (object arrays), tied as the family ties them."""
    rng = np.random.default_rng(seed)
    W = random_weights(a, rng, 6)
    return {n: np.where(v < 3, v - 3, v - 2).astype(object) for n, v in W.items()}


# ------------------------------------------------------- builder vs forward
#: The families the builder-vs-forward test is parametrised over (guarded below to cover ARCHS).
BUILDER_FAMILIES = ("cp", "tucker", "tt", "tr", "ht", "convac", "rac", "overlap", "dilated")


@pytest.mark.parametrize("family", BUILDER_FAMILIES)
@SETTINGS
@given(data=st.data())
def test_builder_network_contracts_to_the_forward_grid_tensor_mod_p(family, data):
    a = data.draw(arch_of(family), label="arch")
    p = data.draw(st.sampled_from(PRIMES), label="p")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    W = random_weights(a, np.random.default_rng(seed), p)
    net = network(a)
    assert net.output == tuple(f"x{i}" for i in range(a.N)) and net.shape == a.M
    T = contract(net.with_values(network_values(a, W, net.names)), modulus=p)
    G = grid_tensor(a, W, p)
    assert G.shape == a.M
    assert np.array_equal(np.asarray(T, dtype=np.int64), G), a.describe()


@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("T", [2, 3, 5])
def test_every_rac_depth_contracts_to_the_forward_grid_tensor(L, shared, T):
    a = spec("rac", T, 2, [2, 3, 2][:L], shared=shared, depth=L)
    p = 1_000_003
    W = random_weights(a, np.random.default_rng(T * 10 + L), p)
    net = network(a)
    T_ = contract(net.with_values(network_values(a, W, net.names)), modulus=p)
    assert np.array_equal(np.asarray(T_, dtype=np.int64), grid_tensor(a, W, p))


@pytest.mark.parametrize("args,kw", [
    (("cp", 3, [2, 3, 2]), dict(rank=3)),
    (("tucker", 3, [2, 1, 3], [2, 3, 1]), {}),
    (("tt", 4, [2, 3, 2, 2], [2, 1, 3]), {}),
    (("tr", 3, 2, [2, 3, 2]), {}),
    (("ht", 5, 2, [2, 1, 2]), dict(tree="pairs")),
    (("convac", 4, 3, [2, 2]), dict(tree="mirror", shared=True)),
    (("rac", 4, 2, [2, 3]), dict(depth=2)),
    (("rac", 3, 2, [2, 1, 2]), dict(depth=3, shared=True)),
])
def test_builder_network_contracts_to_the_grid_tensor_over_z(args, kw):
    a = spec(*args, **kw)
    W = _small_signed(a, 1)
    net = network(a)
    T = contract(net.with_values(network_values(a, W, net.names)))
    G = grid_tensor(a, W)
    assert G.dtype == object and G.shape == a.M
    assert all(int(x) == int(y) for x, y in zip(np.asarray(T).ravel(), G.ravel()))
    assert np.any(G != 0)
    # the modular grid is the integer grid reduced mod p
    p = 101
    Wp = {n: np.array([int(x) % p for x in v.ravel()], dtype=np.int64).reshape(v.shape) for n, v in W.items()}
    Gp = grid_tensor(a, Wp, p)
    assert all(int(x) % p == int(y) for x, y in zip(G.ravel(), Gp.ravel()))


# ------------------------------------------------ the forward pass vs definitions
def _zint(G):
    return np.array([int(x) for x in G.ravel()], dtype=object).reshape(G.shape)


def _ein(spec_, *ops):
    return np.einsum(spec_, *[np.asarray(o, dtype=np.int64) for o in ops])


def test_cp_grid_is_a_sum_of_outer_products():
    a = spec("cp", 3, [2, 3, 2], rank=4)
    W = _small_signed(a, 1)
    ref = sum(int(W["lam"][z]) * _ein("i,j,k->ijk", W["A0"][:, z], W["A1"][:, z], W["A2"][:, z]) for z in range(4))
    assert np.array_equal(_zint(grid_tensor(a, W)).astype(np.int64), ref)


def test_tt_grid_is_a_chain_of_matrix_products():
    a = spec("tt", 4, [2, 3, 2, 3], [2, 3, 2])
    W = _small_signed(a, 2)
    ref = _ein("ia,ajb,bkc,cl->ijkl", W["G0"], W["G1"], W["G2"], W["G3"])
    G = _zint(grid_tensor(a, W)).astype(np.int64)
    assert np.array_equal(G, ref)
    for idx in [(0, 0, 0, 0), (1, 2, 1, 2), (1, 0, 1, 1)]:  # and one entry as explicit matrix products
        m = np.asarray(W["G0"][idx[0]], dtype=np.int64)[None, :]
        for k in (1, 2):
            m = m @ np.asarray(W[f"G{k}"][:, idx[k], :], dtype=np.int64)
        assert G[idx] == (m @ np.asarray(W["G3"][:, idx[3]], dtype=np.int64))[0]


def test_tr_grid_is_a_trace_of_matrix_products():
    a = spec("tr", 3, [2, 3, 2], [2, 3, 1])
    W = _small_signed(a, 3)
    ref = _ein("aib,bjc,cka->ijk", W["G0"], W["G1"], W["G2"])
    G = _zint(grid_tensor(a, W)).astype(np.int64)
    assert np.array_equal(G, ref)
    for idx in itertools.product(range(2), range(3), range(2)):
        P = np.eye(1, dtype=np.int64)  # r_3 = 1: G0 is 1 x M x 2
        for k in range(3):
            P = P @ np.asarray(W[f"G{k}"][:, idx[k], :], dtype=np.int64)
        assert G[idx] == np.trace(P)


def test_tucker_grid_is_the_core_times_the_factors():
    a = spec("tucker", 3, [3, 2, 2], [2, 3, 2])
    W = _small_signed(a, 4)
    ref = _ein("abc,ia,jb,kc->ijk", W["G"], W["U0"], W["U1"], W["U2"])
    assert np.array_equal(_zint(grid_tensor(a, W)).astype(np.int64), ref)


@pytest.mark.parametrize("tree,pairs", [(None, ((0, 1), (2, 3))), ("mirror", ((0, 3), (1, 2))),
                                        ("0,2,1,3", ((0, 2), (1, 3)))])
def test_convac_n4_is_the_explicit_pooling_formula(tree, pairs):
    """A[d] = sum_g root[g] prod_{v=1,2} sum_a n_v[g, a] leaf_{l(v)}[d_l, a] leaf_{r(v)}[d_r, a]."""
    a = spec("convac", 4, [2, 3, 2, 3], [2, 3], tree=tree)
    W = {n: v.tolist() for n, v in _small_signed(a, 5).items()}
    G = grid_tensor(a, {n: np.array(v, dtype=object) for n, v in W.items()})
    r0, r1 = 2, 3
    for d in itertools.product(*[range(m) for m in a.M]):
        total = 0
        for g in range(r1):
            term = W["n0"][g]
            for v, (i, j) in zip((1, 2), pairs):  # preorder: n1 pools the left pair, n2 the right pair
                term *= sum(W[f"n{v}"][g][al] * W[f"leaf{i}"][d[i]][al] * W[f"leaf{j}"][d[j]][al]
                            for al in range(r0))
            total += term
        assert G[d] == total, d


def test_ht_n4_is_the_explicit_transfer_formula():
    a = spec("ht", 4, 2, [2, 3])
    W = {n: v.tolist() for n, v in _small_signed(a, 6).items()}
    G = grid_tensor(a, {n: np.array(v, dtype=object) for n, v in W.items()})
    for d in itertools.product(range(2), repeat=4):
        def child(v, i, j, c):
            return sum(W[f"n{v}"][x][y][c] * W[f"leaf{i}"][d[i]][x] * W[f"leaf{j}"][d[j]][y]
                       for x in range(2) for y in range(2))
        ref = sum(W["n0"][b][c] * child(1, 0, 1, b) * child(2, 2, 3, c) for b in range(3) for c in range(3))
        assert G[d] == ref


def _rac_reference(W: dict, L: int, T: int, xs) -> int:
    """The recurrence of Levine et al., layer after layer, in plain Python integers.

    h^{l,t} = (W^{H,l} h^{l,t-1}) * (W^{I,l} u^{l,t}), h^{l,1} = W^{I,l} u^{l,1},
    u^{1,t} = x_t, u^{l,t} = h^{l-1,t}; y = <w, h^{L,T}>.
    """
    def mv(A, v):
        return [sum(int(a) * int(b) for a, b in zip(row, v)) for row in A]

    h = [[None] * T for _ in range(L)]
    for l in range(L):
        for t in range(T):
            u = xs[t] if l == 0 else h[l - 1][t]
            inp = mv(W[f"WI{l}_{t}"], u)
            h[l][t] = inp if t == 0 else [x * y for x, y in zip(mv(W[f"WH{l}_{t}"], h[l][t - 1]), inp)]
    return sum(int(a) * b for a, b in zip(W["w"], h[L - 1][T - 1]))


@pytest.mark.parametrize("T,M,R,L,shared", [(3, 2, [2], 1, True), (4, 2, [3], 1, False), (3, 2, [2, 3], 2, False),
                                            (4, 2, [2, 2], 2, True), (3, 2, [2, 1, 2], 3, False),
                                            (4, 2, [1, 2, 2], 3, True)])
def test_rac_grid_is_the_plain_recurrence(T, M, R, L, shared):
    a = spec("rac", T, M, R, shared=shared, depth=L)
    Wa = _small_signed(a, 7 + L)
    W = {n: v.tolist() for n, v in Wa.items()}
    G = grid_tensor(a, Wa)
    for d in itertools.product(range(M), repeat=T):
        xs = [[int(i == dt) for i in range(M)] for dt in d]
        assert G[d] == _rac_reference(W, L, T, xs), d


@SETTINGS
@given(data=st.data())
def test_rac_forward_on_arbitrary_inputs_is_the_plain_recurrence(data):
    a = data.draw(arch_of("rac"))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    Wa = _small_signed(a, seed)
    W = {n: v.tolist() for n, v in Wa.items()}
    B = 3
    X = [rng.integers(-3, 4, (B, a.M[0])).astype(object) for _ in range(a.N)]
    out = forward(a, Wa, X)
    for b in range(B):
        assert out[b] == _rac_reference(W, a.depth, a.N, [X[t][b].tolist() for t in range(a.N)])


@pytest.mark.parametrize("family", MULTILINEAR + ("rac",))
@SETTINGS
@given(data=st.data())
def test_forward_is_linear_in_each_input_exactly_when_multilinear(family, data):
    """Multilinear families: f(.., u + c v, ..) = f(u) + c f(v). Deep RACs: homogeneous of
    degree C(T - t + L - 1, L - 1) in x_t (t 1-based), from the recurrence's degrees."""
    a = data.draw(arch_of(family, max_depth=3))
    p = 1_000_003
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    W = random_weights(a, rng, p)
    k = data.draw(st.integers(0, a.N - 1))
    X = [rng.integers(0, p, (1, m), dtype=np.int64) for m in a.M]
    c = int(rng.integers(2, p))
    if a.multilinear:
        V = rng.integers(0, p, (1, a.M[k]), dtype=np.int64)
        Y = list(X)
        Y[k] = (X[k] + c * V) % p
        Z = list(X)
        Z[k] = V
        assert int(forward(a, W, Y, p)[0]) == (int(forward(a, W, X, p)[0]) + c * int(forward(a, W, Z, p)[0])) % p
    else:
        D = math.comb(a.N - 1 - k + a.depth - 1, a.depth - 1)
        assert D > 1 or k == a.N - 1
        Y = list(X)
        Y[k] = (c * X[k]) % p
        assert int(forward(a, W, X, p)[0]) != 0
        assert int(forward(a, W, Y, p)[0]) == pow(c, D, p) * int(forward(a, W, X, p)[0]) % p


def _old_shared_index_rac(T: int, M: int, R: int, L: int) -> TensorNetwork:
    """The wrong deep-RAC network: h^{l-1,t} a summed index shared by all its readers."""
    names, inputs, size = [], [], {f"x{t}": M for t in range(T)}
    for l in range(L):
        for t in range(T):
            size[f"h{l}_{t}"] = R
            names.append(f"WI{l}_{t}")
            inputs.append((f"h{l}_{t}", f"x{t}" if l == 0 else f"h{l - 1}_{t}"))
            if t:
                names.append(f"WH{l}_{t}")
                inputs.append((f"h{l}_{t}", f"h{l}_{t - 1}"))
    names.append("w")
    inputs.append((f"h{L - 1}_{T - 1}",))
    return TensorNetwork(names, inputs, [f"x{t}" for t in range(T)], size)


def test_deep_rac_grid_is_not_the_shared_index_network():
    """Depth 2, T=6, M=3, R=2, Start-End: the grid flattening has rank 8 at a random point; the old
    shared-summed-index network gives a different tensor of rank 4 at the same weights."""
    a = spec("rac", 6, 3, 2, shared=True, depth=2)
    p = 1_000_003
    W = random_weights(a, np.random.default_rng(2024), p)
    rows = (0, 1, 2)
    G = grid_tensor(a, W, p)
    assert sympy_rank(flatten(G, rows).tolist(), p) == 8
    old = _old_shared_index_rac(6, 3, 2, 2)
    O = contract(old.with_values([W[n] for n in old.names]), modulus=p)
    assert sympy_rank(flatten(O, rows).tolist(), p) == 4
    assert not np.array_equal(np.asarray(O, dtype=np.int64), G)
    # the correct network does represent G and its own cut allows 8
    net = network(a)
    assert np.array_equal(np.asarray(contract(net.with_values(network_values(a, W, net.names)), modulus=p),
                                     dtype=np.int64), G)
    assert min_cut(net, rows).value >= 8


def test_depth_one_rac_is_the_shared_index_network():
    """For L = 1 every value has one reader: the two networks coincide (a tensor train)."""
    a = spec("rac", 4, 3, 2, shared=False, depth=1)
    p = 65_537
    W = random_weights(a, np.random.default_rng(5), p)
    old = _old_shared_index_rac(4, 3, 2, 1)
    O = contract(old.with_values([W[n] for n in old.names]), modulus=p)
    assert np.array_equal(np.asarray(O, dtype=np.int64), grid_tensor(a, W, p))


@pytest.mark.parametrize("chunk", [None, 5, 1])
def test_grid_block_is_a_block_of_the_grid_flattening(chunk, monkeypatch):
    """In one chunk, or a few passes at a time (the chunks are cut across rows of the block)."""
    import tnverify.networks.forward as fwd

    if chunk is not None:
        monkeypatch.setattr(fwd, "BLOCK_CHUNK", chunk)
    a = spec("rac", 5, 2, [2, 2], depth=2)
    p = 65_537
    W = random_weights(a, np.random.default_rng(8), p)
    G = grid_tensor(a, W, p)
    rows = [1, 3]
    cols = [0, 2, 4]
    R = [[0, 1], [1, 1], [1, 0]]
    C = [[0, 0, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]]
    B = grid_block(a, W, rows, R, C, p)
    for i, r in enumerate(R):
        for j, c in enumerate(C):
            d = [0] * 5
            for k, x in zip(rows, r):
                d[k] = x
            for k, x in zip(cols, c):
                d[k] = x
            assert B[i, j] == G[tuple(d)]


# ------------------------------------------------------------ weights, ties
@pytest.mark.parametrize("family", BUILDER_FAMILIES)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_weight_shapes_and_ties_match_the_network(family, data):
    a = data.draw(arch_of(family))
    net = network(a)
    shapes = weight_shapes(a)
    for n in net.names:  # each core carries the weight of its base name, with its shape
        if n.startswith("in") and n[2:].isdigit():
            continue
        assert net.core_shape(n) == tuple(shapes[n.split(".")[0]]), n
    assert {n.split(".")[0] for n in net.names if not (n.startswith("in") and n[2:].isdigit())} == set(shapes)
    # tied weights: the network ties exactly the cores whose weights are tied (copies always tied)
    tied = {}
    for g in tied_groups(a):
        for n in g:
            tied[n] = g[0]
    rep = {n: tied.get(n.split(".")[0], n.split(".")[0]) for n in net.names}
    net_groups = {frozenset(g) for g in net.shared}
    want = {}
    for n in net.names:
        if n.startswith("in") and n[2:].isdigit():
            continue
        want.setdefault(rep[n], set()).add(n)
    assert net_groups == {frozenset(g) for g in want.values() if len(g) > 1}


# ------------------------------------------------------------ boundary bound
def test_boundary_bound_closed_forms():
    """L = 1: the state h^{k} itself (R). L = 2: deg T-k in h^{1,k}, 1 in h^{2,k}."""
    for T in range(2, 9):
        for k in range(1, T):
            for R in (1, 2, 3):
                assert boundary_bound(spec("rac", T, 2, R), range(k)) == R
                for R2 in (1, 2, 4):
                    a = spec("rac", T, 2, [R, R2], depth=2)
                    assert boundary_bound(a, range(k)) == math.comb(R + T - k - 1, T - k) * R2
    a = spec("rac", 6, 2, 2, depth=2)
    assert boundary_bound(a, [0, 2]) is None and boundary_bound(a, [1, 2, 3]) is None
    assert boundary_bound(spec("tt", 4, 2, 2), [0, 1]) is None


@settings(max_examples=25, deadline=None)
@given(T=st.sampled_from((4, 6, 8)), M=st.integers(2, 3), R=st.integers(2, 3), L=st.integers(2, 3),
       k=st.integers(1, 7), shared=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_boundary_bound_and_min_cut_bound_the_grid_rank(T, M, R, L, k, shared, seed):
    if M == 3 and T == 8:
        T = 6  # keep the dense grid small
    k = min(k, T - 1)
    a = spec("rac", T, M, R, shared=shared, depth=L)
    p = 1_000_003
    W = random_weights(a, np.random.default_rng(seed), p)
    rows = tuple(range(k))
    F = flatten(grid_tensor(a, W, p), rows)
    r = rank_profile(F, p).rank
    assert r <= boundary_bound(a, rows)
    assert r <= min_cut(network(a), rows).value
    assert r <= min(F.shape)


@settings(max_examples=25, deadline=None)
@given(N=st.integers(2, 6), M=st.integers(2, 3), Z=st.integers(1, 12), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_symmetric_bound_bounds_the_shared_cp_grid_rank(N, M, Z, seed, data):
    """Rows of a shared shallow ConvAC's flattening that are permutations of each other are equal,
    the rank never exceeds the multiset count, and with Z >= that count a random point reaches it."""
    if M == 3 and N == 6:
        N = 5
    rows = tuple(sorted(data.draw(st.sets(st.integers(0, N - 1), min_size=1, max_size=N - 1))))
    a = spec("cp", N, M, rank=Z, shared=True)
    p = 1_000_003
    A = grid_tensor(a, random_weights(a, np.random.default_rng(seed), p), p)
    F = flatten(A, rows)
    idx = list(itertools.product(range(M), repeat=len(rows)))
    for i, t in enumerate(idx):  # the row of a multi-index equals the row of its sorted version
        assert np.array_equal(F[i], F[idx.index(tuple(sorted(t)))])
    bound = symmetric_bound(a, rows)
    k = len(rows)
    assert bound == min(math.comb(M + k - 1, k), math.comb(M + N - k - 1, N - k))
    r = rank_profile(F, p).rank
    assert r <= bound
    if Z >= bound:
        assert r == bound
    assert symmetric_bound(spec("cp", N, M, rank=Z), rows) is None
    assert symmetric_bound(spec("tt", N, M, 2, shared=True), rows) is None


# ------------------------------------------------------------------ guards
def test_every_architecture_has_a_forward_pass_and_a_builder_test():
    assert set(ARCHS) <= set(FAMILIES)
    assert set(ARCHS) - {"mixed"} <= set(BUILDER_FAMILIES)  # a mixed network sums two networks: no builder
    with pytest.raises(NoNetworkError, match="not one tensor network"):
        network(spec("mixed", 4, 2, 2))
    assert set(MULTILINEAR) == set(FAMILIES) - {"rac", "overlap"}


def test_grid_block_and_random_weights_are_refused_over_the_budget(monkeypatch):
    """The work of a block (m n P) and the memory of a point (8 P bytes) are estimated before anything runs."""
    from tnverify import budget
    from tnverify.errors import BudgetError

    a = spec("mixed", 8, 20000, 2, mix="2")
    W = random_weights(a, np.random.default_rng(0), 101)
    monkeypatch.setattr(budget, "WORK", 1e9)
    with pytest.raises(BudgetError, match="block of the grid tensor of mixed"):
        grid_block(a, W, [0, 2, 4, 6], np.zeros((64, 4), dtype=np.int64), np.zeros((64, 4), dtype=np.int64), 101)
    monkeypatch.setattr(budget, "MEMORY", 1e6)
    with pytest.raises(BudgetError, match="random point of mixed"):
        random_weights(a, np.random.default_rng(0), 101)


def test_grid_block_refuses_template_indices_outside_their_range():
    """-1 would silently mean the last template of a one-hot table; M would be a raw IndexError."""
    a = spec("rac", 3, 2, [2], depth=1)
    W = random_weights(a, np.random.default_rng(0), 101)
    for bad in (-1, 2):
        with pytest.raises(ShapeError, match="must lie in 0..1"):
            grid_block(a, W, [0], [[bad]], [[0, 1]], 101)
