"""Architectures of the expressivity theory as tensor networks: builders and pooling trees.

Builders return a :class:`tnverify.networks.network.TensorNetwork` whose open legs are the
inputs in order:

* :func:`cp` -- the shallow ConvAC of [1]_ (Z channels; a CP decomposition);
* :func:`tucker` [6]_;
* :func:`tt` -- tensor train / MPS [7]_, the multiplicative RNN of [4]_;
* :func:`tr` -- tensor ring [9]_;
* :func:`ht` -- hierarchical Tucker over any binary tree [8]_;
* :func:`convac` -- the deep ConvAC of [1]_ over any pooling tree, shared (convolutional)
  or unshared weights; the pooling geometry of [2]_ is the tree;
* :func:`rac` -- the recurrent arithmetic circuit of [5]_, depth L.

Trees are nested tuples of input indices (:func:`parse_tree` reads ``"((0,1),(2,3))"``,
a permutation ``0,2,1,3`` or ``pairs``). Partitions of the inputs are read by
:func:`tnverify.networks.partitions.parse_partition`. Each builder's contraction equals the
grid tensor of :mod:`tnverify.networks.forward` entry by entry (``tests/test_forward.py``;
docs/grid_tensors.md, section 4). Building costs O(number of cores + labels), except the
deep RAC, whose copies make O(T^L) cores.

References
----------
.. [1] N. Cohen, O. Sharir, A. Shashua, "On the expressive power of deep learning:
   a tensor analysis", COLT 2016.
.. [2] N. Cohen, A. Shashua, "Inductive bias of deep convolutional networks through
   pooling geometry", ICLR 2017.
.. [4] V. Khrulkov, A. Novikov, I. Oseledets, "Expressive power of recurrent neural
   networks", ICLR 2018.
.. [5] Y. Levine, O. Sharir, A. Ziv, A. Shashua, "Benefits of depth for long-term
   memory of recurrent networks", 2017 (arXiv:1710.09431).
.. [6] L. R. Tucker, "Some mathematical notes on three-mode factor analysis",
   Psychometrika 31(3) (1966), 279-311.
.. [7] I. V. Oseledets, "Tensor-train decomposition", SIAM J. Sci. Comput. 33(5) (2011),
   2295-2317.
.. [8] W. Hackbusch, S. Kuehn, "A new scheme for the tensor representation", J. Fourier
   Anal. Appl. 15(5) (2009), 706-722.
.. [9] Q. Zhao, G. Zhou, S. Xie, L. Zhang, A. Cichocki, "Tensor ring decomposition",
   arXiv:1606.05535 (2016).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from tnverify.errors import BudgetError, InputError, ShapeError, UnknownNameError
from tnverify.networks.forward import Arch, tree_height as _height, tree_leaves as _leaves, tree_str as _tree_str
from tnverify.networks.network import TensorNetwork
from tnverify.numbers import parse_int
from tnverify.networks.overlap import conv_network, layer_sizes, mixable_layers

__all__ = ["cp", "tucker", "tt", "tr", "ht", "convac", "rac", "parse_tree", "balanced_tree", "pairs_tree",
           "build", "spec", "network", "ARCHS", "ARCHITECTURES", "Family", "get", "mirror_tree", "odd_even_tree"]


def _pos(x, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1:
        raise ShapeError(f"expected a positive integer {what}, got {x!r}")
    return int(x)


#: Most inputs of an architecture (a list per input is built before any budget can be estimated).
MAX_ARCH_INPUTS = 1 << 20


def _feature_dims(N: int, M) -> list:
    N = _pos(N, "number of inputs")
    if N > MAX_ARCH_INPUTS:
        raise ShapeError(f"expected at most {MAX_ARCH_INPUTS} inputs, got {N}")
    if isinstance(M, (list, tuple)):
        if len(M) != N:
            raise ShapeError(f"expected {N} feature dimensions, got {len(M)}")
        return [_pos(m, "feature dimension") for m in M]
    return [_pos(M, "feature dimension")] * N


def _widths(w, k: int, what: str) -> list:
    if isinstance(w, (list, tuple)):
        if len(w) == 1:
            w = list(w) * k
        if len(w) != k:
            raise ShapeError(f"expected {k} {what}, got {len(w)}: {list(w)}")
        return [_pos(x, what) for x in w]
    return [_pos(w, what)] * k


def cp(N: int, M, Z: int, shared: bool = False) -> TensorNetwork:
    """Shallow ConvAC = CP decomposition [1]_: A = sum_{z<=Z} lambda_z a^{z,1} (x) ... (x) a^{z,N}.

    Cores ``lam`` (Z) and ``A{i}`` (M x Z); the rank index z is a hyperedge. With
    ``shared`` the factors a^{z,i} do not depend on i (a symmetric tensor).
    """
    Ms = _feature_dims(N, M)
    Z = _pos(Z, "number of channels Z")
    size = {"z": Z, **{f"x{i}": m for i, m in enumerate(Ms)}}
    names = ["lam"] + [f"A{i}" for i in range(N)]
    inputs = [("z",)] + [(f"x{i}", "z") for i in range(N)]
    shared_g = [tuple(f"A{i}" for i in range(N))] if shared and N > 1 else []
    return TensorNetwork(names, inputs, [f"x{i}" for i in range(N)], size, shared=shared_g,
                         meta={"arch": "cp", "N": N, "M": M, "Z": Z, "shared": shared})


def tucker(N: int, M, ranks) -> TensorNetwork:
    """Tucker [6]_: T = G x_1 U_1 x_2 ... x_N U_N, core G of shape ranks, factors U_i (M x r_i).

    Cores ``G`` (r_1 x ... x r_N) and ``U{i}``; bond ``g{i}`` (dimension r_i) joins U_i to G.
    """
    Ms = _feature_dims(N, M)
    rs = _widths(ranks, N, "Tucker ranks")
    size = {**{f"x{i}": m for i, m in enumerate(Ms)}, **{f"g{i}": r for i, r in enumerate(rs)}}
    names = ["G"] + [f"U{i}" for i in range(N)]
    inputs = [tuple(f"g{i}" for i in range(N))] + [(f"x{i}", f"g{i}") for i in range(N)]
    return TensorNetwork(names, inputs, [f"x{i}" for i in range(N)], size,
                         meta={"arch": "tucker", "N": N, "M": M, "ranks": rs})


def tt(N: int, M, ranks, shared: bool = False) -> TensorNetwork:
    """Tensor train / MPS [7]_: X(i_1..i_N) = G_1[i_1] G_2[i_2] ... G_N[i_N].

    The multiplicative RNN of Khrulkov, Novikov and Oseledets [4]_ (hidden size =
    TT rank). ``ranks`` has N-1 entries (or one, repeated). With ``shared`` the
    middle cores G_2..G_{N-1} are tied (a recurrent network with shared weights;
    needs equal ranks).
    """
    Ms = _feature_dims(N, M)
    if N < 2:
        raise ShapeError(f"a tensor train needs at least 2 inputs, got {N}")
    rs = _widths(ranks, N - 1, "TT ranks")
    size = {**{f"x{i}": m for i, m in enumerate(Ms)}, **{f"b{i}": r for i, r in enumerate(rs)}}
    inputs = [("x0", "b0")] + [(f"b{k - 1}", f"x{k}", f"b{k}") for k in range(1, N - 1)] + [(f"b{N - 2}", f"x{N - 1}")]
    shared_g = [tuple(f"G{k}" for k in range(1, N - 1))] if shared and N > 3 else []
    return TensorNetwork([f"G{k}" for k in range(N)], inputs, [f"x{i}" for i in range(N)], size, shared=shared_g,
                         meta={"arch": "tt", "N": N, "M": M, "ranks": rs, "shared": shared})


def tr(N: int, M, ranks, shared: bool = False) -> TensorNetwork:
    """Tensor ring [9]_: X(i_1..i_N) = trace(G_1[i_1] ... G_N[i_N]); ``ranks`` has N entries r_1..r_N (bond k joins
    core k to core k+1, cyclically). ``shared`` ties all cores (needs equal ranks)."""
    Ms = _feature_dims(N, M)
    if N < 2:
        raise ShapeError(f"a tensor ring needs at least 2 inputs, got {N}")
    rs = _widths(ranks, N, "TR ranks")
    size = {**{f"x{i}": m for i, m in enumerate(Ms)}, **{f"b{i}": r for i, r in enumerate(rs)}}
    inputs = [(f"b{(k - 1) % N}", f"x{k}", f"b{k}") for k in range(N)]
    shared_g = [tuple(f"G{k}" for k in range(N))] if shared else []
    return TensorNetwork([f"G{k}" for k in range(N)], inputs, [f"x{i}" for i in range(N)], size, shared=shared_g,
                         meta={"arch": "tr", "N": N, "M": M, "ranks": rs, "shared": shared})


# ---- trees
def balanced_tree(leaves: Sequence[int]):
    """The balanced binary tree over ``leaves`` in the given order (length a power of 2)."""
    leaves = list(leaves)
    n = len(leaves)
    if n < 2 or n & (n - 1):
        raise ShapeError(f"a balanced pooling tree needs a power of 2 (>= 2) inputs, got {n}; give --tree explicitly")
    nodes = leaves
    while len(nodes) > 1:
        nodes = [(nodes[2 * i], nodes[2 * i + 1]) for i in range(len(nodes) // 2)]
    return nodes[0]


def pairs_tree(N: int):
    """Pool neighbours level by level; with an odd count the last node moves up alone."""
    if N < 2:
        raise ShapeError(f"a pooling tree needs at least 2 inputs, got {N}")
    nodes = list(range(N))
    while len(nodes) > 1:
        nxt = [(nodes[2 * i], nodes[2 * i + 1]) for i in range(len(nodes) // 2)]
        nodes = nxt + (nodes[-1:] if len(nodes) % 2 else [])
    return nodes[0]


def mirror_tree(N: int):
    """The mirror pooling tree of Cohen & Shashua [2]_: input i is pooled first with its mirror N-1-i.

    Level 1 pools (0, N-1), (1, N-2), ...; higher levels pool neighbouring pairs, i.e.
    the balanced tree over the leaf order 0, N-1, 1, N-2, ... (N a power of 2).
    """
    order = [x for i in range(N // 2) for x in (i, N - 1 - i)]
    return balanced_tree(order)


def odd_even_tree(N: int):
    """Pool the even inputs among themselves and the odd ones among themselves (balanced tree over 0,2,4,...,1,3,5,...)."""
    return balanced_tree(list(range(0, N, 2)) + list(range(1, N, 2)))


def parse_tree(spec, N: int):
    """A binary pooling tree over inputs 0..N-1.

    ``spec`` is None (the balanced tree over 0..N-1), a nested pair structure
    (``"((0,1),(2,3))"`` or nested lists), or a permutation of the inputs
    (``"0,2,1,3"``: the balanced tree over the leaves in that order, the pooling
    geometry of [2]_), ``"mirror"`` (:func:`mirror_tree`), ``"odd-even"``
    (:func:`odd_even_tree`), or ``"pairs"``: pool neighbours (0,1), (2,3), ... level by
    level, an odd node out moving up unpooled (any N >= 2). Raises
    :class:`ShapeError` for a tree that is not binary or does not cover each input
    exactly once.
    """
    if spec is None:
        return balanced_tree(range(N))
    if isinstance(spec, str):
        s = spec.strip()
        if s == "pairs":
            return pairs_tree(N)
        if s == "mirror":
            return mirror_tree(N)
        if s == "odd-even":
            return odd_even_tree(N)
        if "(" in s or "[" in s:
            try:
                spec = json.loads(s.replace("(", "[").replace(")", "]"))
            except json.JSONDecodeError:
                raise ShapeError(f"expected a nested tree like ((0,1),(2,3)), got {spec!r}") from None
        else:
            try:
                perm = [int(x) for x in s.split(",") if x.strip()]
            except ValueError:
                raise ShapeError(f"expected a tree ((0,1),(2,3)) or a permutation 0,2,1,3, got {spec!r}") from None
            _check_leaves(perm, N)
            return balanced_tree(perm)

    def norm(t):
        if isinstance(t, bool):
            raise ShapeError(f"expected a leaf index or a pair in the tree, got {t!r}")
        if isinstance(t, (int, np.integer)):
            return int(t)
        if isinstance(t, (list, tuple)):
            if len(t) != 2:
                raise ShapeError(f"expected a binary tree: every internal node has 2 children, got {len(t)} in {t}")
            return (norm(t[0]), norm(t[1]))
        raise ShapeError(f"expected a leaf index or a pair in the tree, got {t!r}")

    tree = norm(spec)
    if isinstance(tree, int):
        raise ShapeError("expected a tree with at least two leaves, got a single leaf")
    _check_leaves(list(_leaves(tree)), N)
    return tree


def _check_leaves(leaves, N):
    if sorted(leaves) != list(range(N)):
        missing = sorted(set(range(N)) - set(leaves))
        rep = sorted({x for x in leaves if leaves.count(x) > 1})
        bad = sorted(x for x in set(leaves) if not 0 <= x < N)
        raise ShapeError(f"the tree must cover inputs 0..{N - 1} exactly once; missing {missing}, repeated {rep}, "
                         f"out of range {bad}")


def ht(N: int, M, widths, tree=None, shared: bool = False) -> TensorNetwork:
    """Hierarchical Tucker [8]_ over any binary tree.

    Leaf i has a matrix U_i (M x w) and each internal node v a transfer tensor
    B_v (w_left x w_right x w_v); the root has B (w_left x w_right). The bond above
    a node whose parent has height h (leaves have height 0) has dimension
    ``widths[h-1]``, so ``widths`` has one entry per level below the root. With
    ``shared``, cores of the same level and shape are tied.
    """
    return _tree_network(N, M, widths, tree, shared, pooling="ht")


def convac(N: int, M, widths, tree=None, shared: bool = False) -> TensorNetwork:
    """Deep ConvAC of Cohen, Sharir and Shashua [1]_ (hierarchical Tucker with product pooling).

    Level 0: a^{0,j,alpha} in R^M (alpha <= r_0); level l: phi^{l,j,gamma} =
    sum_alpha a^{l,j,gamma}_alpha phi^{l-1,left,alpha} (x) phi^{l-1,right,alpha};
    the root's a^L is a vector. Product pooling makes alpha a hyperedge joining the
    node and its two children. Any binary pooling tree (pooling geometry [2]_); the
    width of the channels pooled at a node of height h is ``widths[h-1]``.
    ``shared`` = convolutional weights (independent of the position j).
    """
    return _tree_network(N, M, widths, tree, shared, pooling="product")


def _tree_network(N, M, widths, tree, shared, pooling):
    Ms = _feature_dims(N, M)
    if N < 2:
        raise ShapeError(f"a tree network needs at least 2 inputs, got {N}")
    t = parse_tree(tree, N)
    H = _height(t)
    ws = _widths(widths, H, "widths (one per level below the root)")
    names, inputs, size = [], [], {f"x{i}": m for i, m in enumerate(Ms)}
    groups: dict = {}
    counter = [0]

    def walk(node, parent_h):
        """Add the subtree's cores; return the label of its upward bond."""
        w = ws[parent_h - 1]
        if isinstance(node, int):
            lab = f"l{node}"
            size[lab] = w
            names.append(f"leaf{node}")
            inputs.append((f"x{node}", lab))
            groups.setdefault(("leaf", Ms[node], w), []).append(f"leaf{node}")
            return lab
        h = _height(node)
        k = counter[0]
        counter[0] += 1
        if pooling == "product":
            alpha = f"a{k}"
            size[alpha] = ws[h - 1]
            left, right = walk(node[0], h), walk(node[1], h)
            # children of a product-pooling node carry the node's channel index alpha itself
            _rename(left, alpha)
            _rename(right, alpha)
            legs = (f"g{k}", alpha) if parent_h else (alpha,)
        else:
            left, right = walk(node[0], h), walk(node[1], h)
            legs = (left, right, f"g{k}") if parent_h else (left, right)
        if parent_h:
            size[f"g{k}"] = w
        names.append(f"n{k}")
        inputs.append(legs)
        groups.setdefault((h, tuple(size[x] for x in legs), parent_h == 0), []).append(f"n{k}")
        return f"g{k}"

    def _rename(old, new):
        for i, ix in enumerate(inputs):
            inputs[i] = tuple(new if x == old else x for x in ix)
        size.pop(old, None)

    walk(t, 0)
    shared_g = [tuple(g) for g in groups.values() if shared and len(g) > 1]
    return TensorNetwork(names, inputs, [f"x{i}" for i in range(N)], size, shared=shared_g,
                         meta={"arch": "convac" if pooling == "product" else "ht", "N": N, "M": M, "widths": ws,
                               "shared": shared, "tree": _tree_str(t)})


def rac(T: int, M: int, R, L: int = 1, shared: bool = True) -> TensorNetwork:
    """Recurrent arithmetic circuit of Levine, Sharir, Ziv and Shashua [5]_, depth L, T time steps.

    h^{l,t} = (W^{H,l} h^{l,t-1}) * (W^{I,l} u^{l,t}) (elementwise), with u^{1,t}
    the M-dimensional representation of input t and u^{l,t} = h^{l-1,t}; the output
    is <w, h^{L,T}>. The initial state enters as W^{H,l} h^{l,0} = 1 (all ones), so
    h^{l,1} = W^{I,l} u^{l,1}. The elementwise product makes the hidden index of
    h^{l,t} a hyperedge joining W^{I,l}, W^{H,l} and the ONE reader of that value.

    For L >= 2 the value h^{l-1,t} has two readers (layer l at time t, layer l-1 at
    time t+1). A shared summed index is not a copy of a vector, so each reader gets
    its own copy of the sub-network that computes the value (cores ``WI0_3.1``,
    ``WI0_3.2``, ... all carry the weight ``WI0_3``), and the template index d_t is
    copied instead: an identity core ``in{t}`` joins the open leg x_t to a hyperedge
    ``d{t}`` read by every copy of W^{I,1} at time t. On one-hot inputs this
    network's contraction is the grid tensor of the forward pass
    (:func:`tnverify.networks.forward.forward`, tested entry by entry); it has O(T^L) cores.
    For L = 1 every value has one reader and the network is the tensor train.
    ``shared`` (default) ties each W^{I,l}, W^{H,l} across time; copies of one
    weight are always tied. ``R`` is the hidden width (one value or one per layer).
    """
    T = _pos(T, "number of time steps")
    M = _pos(M, "feature dimension")
    L = _pos(L, "depth L")
    Rs = _widths(R, L, "hidden widths")
    if T < 2:
        raise ShapeError(f"a recurrent network needs at least 2 time steps, got {T}")
    if L > 1 and _rac_cores(T, L) > MAX_RAC_CORES:
        raise BudgetError(f"the grid-tensor network of a depth-{L} RAC with T={T} has {_rac_cores(T, L)} cores "
                          f"(copies of reused sub-networks), over the limit {MAX_RAC_CORES}")
    names, inputs, size = [], [], {f"x{t}": M for t in range(T)}
    copies: dict = {}
    readers = {t: 0 for t in range(T)}

    def fresh(base):
        k = copies.get(base, 0)
        copies[base] = k + 1
        return base if k == 0 else f"{base}.{k}"

    def state(l, t):
        """Add a copy of the sub-network computing h^{l,t}; return the label of its hidden index."""
        c = fresh(f"h{l}_{t}")
        size[c] = Rs[l]
        if l == 0:
            readers[t] += 1
            below = f"d{t}"
        else:
            below = state(l - 1, t)
        names.append(fresh(f"WI{l}_{t}"))
        inputs.append((c, below))
        if t > 0:
            prev = state(l, t - 1)
            names.append(fresh(f"WH{l}_{t}"))
            inputs.append((c, prev))
        return c

    top = state(L - 1, T - 1)
    names.append("w")
    inputs.append((top,))
    for t in range(T):  # an index read once needs no copy core
        if readers[t] == 1:
            inputs = [tuple(f"x{t}" if x == f"d{t}" else x for x in ix) for ix in inputs]
        else:
            size[f"d{t}"] = M
            names.append(f"in{t}")
            inputs.append((f"x{t}", f"d{t}"))
    groups: dict = {}
    for n in names:
        base = n.split(".")[0]
        if base.startswith(("WI", "WH")):
            groups.setdefault(base.split("_")[0] if shared else base, []).append(n)
    shared_g = [tuple(g) for g in groups.values() if len(g) > 1]
    return TensorNetwork(names, inputs, [f"x{t}" for t in range(T)], size, shared=shared_g,
                         meta={"arch": "rac", "N": T, "M": M, "R": Rs, "L": L, "shared": shared})


#: Most cores of a deep-RAC grid network (it grows like T^L).
MAX_RAC_CORES = 20_000


def _rac_cores(T: int, L: int) -> int:
    """Cores of the deep-RAC grid network: c(l, t) = 1 + [t > 0] + c(l-1, t) + c(l, t-1)."""
    c = [[0] * T for _ in range(L)]
    for l in range(L):
        for t in range(T):
            c[l][t] = 1 + (c[l - 1][t] if l else 0) + ((1 + c[l][t - 1]) if t else 0)
            if c[l][t] > 10 * MAX_RAC_CORES:
                return c[l][t]
    return c[L - 1][T - 1] + 1 + T


@dataclass(frozen=True)
class Family:
    """An architecture family of the registry: its name, what it is, what ``--widths`` means, its builder."""

    name: str
    description: str
    widths: str
    network: Callable[[Arch], TensorNetwork]


#: The architecture families: name -> :class:`Family` (``tnverify list --archs`` prints this table).
ARCHITECTURES: dict = {f.name: f for f in (
    Family("cp", "shallow ConvAC, a CP decomposition (Cohen, Sharir, Shashua 2016)", "Z channels (--rank)",
           lambda a: cp(a.N, list(a.M), a.widths[0], a.shared)),
    Family("tucker", "Tucker decomposition", "one rank per input",
           lambda a: tucker(a.N, list(a.M), list(a.widths))),
    Family("tt", "tensor train, the multiplicative RNN (Khrulkov, Novikov, Oseledets 2018)", "N-1 TT ranks",
           lambda a: tt(a.N, list(a.M), list(a.widths), a.shared)),
    Family("tr", "tensor ring", "N TR ranks", lambda a: tr(a.N, list(a.M), list(a.widths), a.shared)),
    Family("ht", "hierarchical Tucker over a binary tree", "one width per level below the root",
           lambda a: ht(a.N, list(a.M), list(a.widths), a.tree, a.shared)),
    Family("convac", "deep ConvAC over a pooling tree (Cohen, Sharir, Shashua 2016; Cohen, Shashua 2017)",
           "one width per level below the root", lambda a: convac(a.N, list(a.M), list(a.widths), a.tree, a.shared)),
    Family("rac", "recurrent arithmetic circuit of depth L (Levine, Sharir, Ziv, Shashua 2017)",
           "hidden width per layer", lambda a: rac(a.N, a.M[0], list(a.widths), a.depth, a.shared)),
    Family("overlap", "overlapping ConvAC, GC layers with receptive field and stride (Sharir, Shashua 2018)",
           "channels per layer", conv_network),
    Family("dilated", "dilated ConvAC, size-2 convolutions with dilations 2^l (Cohen, Tamari, Shashua 2018)",
           "channels per layer", conv_network),
    Family("mixed", "two dilated ConvACs joined at interconnection layers (mixed decompositions, Cohen, Tamari, "
           "Shashua 2018)", "channels per layer", conv_network),
)}
ARCHS = tuple(ARCHITECTURES)


def get(name: str) -> Family:
    """The family ``name``; :class:`UnknownNameError` (exit 2) lists the valid names."""
    if name not in ARCHITECTURES:
        raise UnknownNameError("architecture", name, ARCHS)
    return ARCHITECTURES[name]


def spec(arch: str, inputs: int, features=2, widths=None, rank: int | None = None, shared: bool = False,
         tree=None, depth: int = 1, field=None, stride=None, dilations=None, dilations_b=None, mix=None) -> Arch:
    """The :class:`tnverify.networks.forward.Arch` named by CLI-style parameters (validated).

    ``widths`` are per level (ht, convac), the TT/TR ranks (tt, tr), the Tucker
    ranks, or the RAC hidden widths (one per layer, or one for all); ``rank`` is Z
    for cp (and the default width elsewhere). ConvAC/HT need a power-of-2
    ``inputs`` unless ``tree`` is given (``pairs``, ``mirror``, ``odd-even``, a
    permutation or nested pairs). ``overlap``: receptive fields ``field`` and strides
    ``stride`` per layer (default 2 and 1; one value repeats until one position is left),
    ``widths`` the channels per layer. ``dilated``: the dilation order ``dilations`` (a
    permutation of 1, 2, ..., N/2; default increasing), which fixes the mode tree; given as
    ``tree`` when ``dilations`` is None. ``mixed``: branch A's order ``dilations`` (default
    increasing), branch B's order ``dilations_b`` (default: the first two of A's swapped) and
    the interconnection layers ``mix`` (default: every layer below the top at which the
    orders may be joined, :func:`tnverify.networks.overlap.mixable_layers`; ``[]`` or ``"none"``
    joins them only at the top).
    """
    get(arch)
    given = {"field": field, "stride": stride, "dilations": dilations, "dilations_b": dilations_b, "mix": mix}
    allowed = {"overlap": {"field", "stride"}, "dilated": {"dilations"}, "mixed": {"dilations", "dilations_b", "mix"}}
    extra = [k for k, v in given.items() if v is not None and k not in allowed.get(arch, set())]
    if extra:
        owners = {"field": "overlap", "stride": "overlap", "dilations": "dilated and mixed", "dilations_b": "mixed",
                  "mix": "mixed"}
        raise InputError(f"{extra[0]} is for {owners[extra[0]]} networks, not {arch}")
    if arch != "rac" and depth not in (None, 1):
        raise InputError(f"depth is for rac networks, not {arch}, got depth {depth}")
    if arch != "cp" and widths is not None and rank is not None:
        raise InputError(f"give the widths of a {arch} network once, as widths or as rank, not both")
    if arch in ("dilated", "mixed") and tree is not None and dilations is not None:
        raise InputError(f"give the dilation order of a {arch} network once, as dilations (tree is the same "
                         "order), not both")
    N = _pos(inputs, "number of inputs")
    w = widths if widths is not None else rank
    if arch == "cp":
        if rank is None:
            raise InputError("cp needs --rank Z (the number of channels)")
        Ms = tuple(_feature_dims(N, features))
        if shared and len(set(Ms)) > 1:
            raise ShapeError(f"a shared cp network needs one feature dimension, got {list(Ms)}")
        return Arch("cp", N, Ms, (_pos(rank, "number of channels Z"),), shared=bool(shared))
    if w is None:
        raise InputError(f"{arch} needs --widths (or --rank)")
    if arch == "rac":
        if isinstance(features, (list, tuple)):
            raise ShapeError(f"a RAC reads the same M templates at every time step; expected one M, got {features}")
        M = _pos(features, "feature dimension")
        L = _pos(depth, "depth L")
        if N < 2:
            raise ShapeError(f"a recurrent network needs at least 2 time steps, got {N}")
        return Arch("rac", N, (M,) * N, tuple(_widths(w, L, "hidden widths")), shared=bool(shared), depth=L)
    Ms = tuple(_feature_dims(N, features))
    if arch == "overlap":
        return _overlap_spec(N, Ms, w, shared, field, stride)
    if arch == "dilated":
        return _dilated_spec(N, Ms, w, shared, dilations if dilations is not None else tree)
    if arch == "mixed":
        return _mixed_spec(_dilated_spec(N, Ms, w, shared, dilations if dilations is not None else tree),
                           dilations_b, mix)
    if arch == "tucker":
        return Arch("tucker", N, Ms, tuple(_widths(w, N, "Tucker ranks")))
    if arch in ("tt", "tr"):
        if N < 2:
            raise ShapeError(f"a tensor {'train' if arch == 'tt' else 'ring'} needs at least 2 inputs, got {N}")
        ranks = tuple(_widths(w, N - 1 if arch == "tt" else N, f"{arch.upper()} ranks"))
        tied = (ranks if arch == "tr" or N > 3 else ()), (Ms if arch == "tr" else Ms[1:-1] if N > 3 else ())
        if shared and (len(set(tied[0])) > 1 or len(set(tied[1])) > 1):
            raise ShapeError(f"shared {arch} cores must have one shape: equal ranks and features, got ranks "
                             f"{list(ranks)} and features {list(Ms)}")
        return Arch(arch, N, Ms, ranks, shared=bool(shared))
    if tree is None and (N < 2 or N & (N - 1)):
        raise ShapeError(f"--arch {arch} needs --inputs a power of 2 (got {N}) or an explicit --tree")
    if N < 2:
        raise ShapeError(f"a tree network needs at least 2 inputs, got {N}")
    t = parse_tree(tree, N)
    return Arch(arch, N, Ms, tuple(_widths(w, _height(t), "widths (one per level below the root)")), tree=t,
                shared=bool(shared))


def _int_list(x, what: str) -> list:
    if isinstance(x, str):
        try:
            x = [parse_int(v, what) for v in x.split(",")]
        except InputError:
            raise ShapeError(f"expected {what} as integers like 4,2,1 (every item an integer in digits 0-9), "
                             f"got {x!r}") from None
    return [_pos(v, what) for v in (x if isinstance(x, (list, tuple)) else [x])]


def _overlap_spec(N, Ms, w, shared, field, stride) -> Arch:
    r = _int_list(2 if field is None else field, "receptive field")
    s = _int_list(1 if stride is None else stride, "stride")
    if len(r) == 1 and len(s) == 1:  # repeat the layer until one position is left
        n, L = N, 0
        while n > 1 and n >= r[0] and (n - r[0]) % s[0] == 0 and L <= N:
            n, L = (n - r[0]) // s[0] + 1, L + 1
        r, s = r * max(L, 1), s * max(L, 1)
    if len(r) != len(s):
        raise ShapeError(f"expected one stride per receptive field, got {len(r)} fields and {len(s)} strides")
    layer_sizes(N, r, s)
    if shared and len(set(Ms)) > 1:
        raise ShapeError(f"a shared (convolutional) network needs one feature dimension, got {list(Ms)}")
    return Arch("overlap", N, Ms, tuple(_widths(w, len(r), "channels (one per layer)")), shared=bool(shared),
                field=tuple(r), stride=tuple(s))


def _dilated_spec(N, Ms, w, shared, order) -> Arch:
    if N < 2 or N & (N - 1):
        raise ShapeError(f"a dilated network needs --inputs a power of 2 (>= 2), got {N}")
    L = N.bit_length() - 1
    d = [1 << l for l in range(L)] if order is None else _int_list(order, "dilations")
    if sorted(d) != [1 << l for l in range(L)]:
        raise ShapeError(f"expected the dilations as an order of {[1 << l for l in range(L)]}, got {d}")
    if shared and len(set(Ms)) > 1:
        raise ShapeError(f"a shared (convolutional) network needs one feature dimension, got {list(Ms)}")
    return Arch("dilated", N, Ms, tuple(_widths(w, L, "channels (one per layer)")), shared=bool(shared),
                dilations=tuple(d))


def _mixed_spec(a: Arch, order_b, mix) -> Arch:
    L = len(a.dilations)
    if L < 2:
        raise ShapeError(f"a mixed network needs at least 4 inputs (2 layers), got {a.N}")
    da = list(a.dilations)
    db = da[1::-1] + da[2:] if order_b is None else _int_list(order_b, "dilations (branch B)")
    if sorted(db) != sorted(da):
        raise ShapeError(f"expected --dilations-b as an order of {sorted(da)}, got {db}")
    ok = mixable_layers(da, db)
    if mix is None:
        m = ok
    elif isinstance(mix, str) and mix.strip().lower() == "none":
        m = []
    else:
        m = sorted(set(_int_list(mix, "interconnection layer")))
    bad = [l for l in m if l not in ok]
    if bad and bad[0] >= L:
        raise ShapeError(f"--mix: layer {bad[0]} is not below the top layer {L} (the top is always joined); the "
                         f"layers below it that can be joined: {ok or 'none'}")
    if bad:
        raise ShapeError(f"--mix: layer {bad[0]} cannot join the orders {da} and {db} (their units there read "
                         f"different inputs); the layers that can: {ok or 'none'}")
    return Arch("mixed", a.N, a.M, a.widths, shared=a.shared, dilations=a.dilations, dilations_b=tuple(db),
                mix=tuple(m))


def network(a: Arch) -> TensorNetwork:
    """The builder's tensor network of an architecture (its contraction is the grid tensor).

    Structure only (no core values); its minimum cuts bound every flattening rank of the grid
    tensor for every weight (docs/grid_tensors.md, sections 4 and 5).
    """
    return get(a.family).network(a)


def build(arch: str, inputs: int, features=2, widths=None, rank: int | None = None, shared: bool = False,
          tree=None, depth: int = 1) -> TensorNetwork:
    """The tensor network of a named architecture: ``network(spec(...))``."""
    return network(spec(arch, inputs, features, widths, rank, shared, tree, depth))
