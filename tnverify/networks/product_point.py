"""Product points of tree architectures: where the grid tensor is a Kronecker product.

For a tree architecture (``ht``, ``convac``) pick an antichain S of tree nodes that covers
every input (the *separators*), and weights whose every node above S passes on the product of
its children's channel 0:

* convac, internal node: row 0 of the 1x1 conv is e_0, so c_0 = p_0 = c^L_0 c^R_0;
  the root's conv vector is e_0, so score = c^L_0 c^R_0;
* ht, internal node: B[:, :, 0] = E_00, so u_0 = u^L_0 u^R_0; the root's B is E_00.

Then the score is a product of functions of disjoint sets of inputs,

    score(x_1, ..., x_N) = prod_{s in S} T_s(x_i : i in leaves(s)),

where T_s is channel 0 of node s (a leaf's channel 0, for a leaf in S), and every flattening
of the grid tensor is, up to the order of its rows and columns, the Kronecker product of the
flattenings of the T_s under the induced partitions. Rank is multiplicative under Kronecker
products, so

    rank [A]_{I,J} = prod_{s in S} rank [T_s]_{I cap s, J cap s}.

The weights inside the separators' sub-trees stay random, so the T_s are generic functions of
their sub-trees, and the product of their (small) ranks is a lower bound on the generic rank
that costs a few small ranks instead of one large one. For the interleaved partition of a
balanced tree with separators at height 1 this reaches r_0^{N/2}, the bound of Cohen, Sharir &
Shashua, "On the expressive power of deep learning: a tensor analysis" (COLT 2016, proof of
Thm. 1), which is how their proof picks its weights. The checker's rule ``grid-rank-product``
verifies the weight pattern and each factor's minor (docs/grid_tensors.md, section 5, "Tree
families: a product point"; docs/certificates.md, ``grid-rank-product``).
"""
from __future__ import annotations

import math

import numpy as np

from tnverify.networks.forward import Arch, _tree_nodes, tree_height, tree_leaves
from tnverify.numeric.modp import rank_profile

__all__ = ["subtree_grid", "factor_flattening", "select_channel_zero", "product_separators", "DENSE_LIMIT"]

#: Most grid entries of one separator's function T_s the prover tabulates densely.
DENSE_LIMIT = 1 << 16


def subtree_grid(arch: Arch, W: dict, node, p: int) -> np.ndarray:
    """T_s on every template sequence of ``node``'s leaves, mod p: shape (M_i for i in its leaves, in order).

    T_s is channel 0 of what ``node`` sends to its parent (for a leaf: (a^{0,i})^T e_d, channel 0),
    tabulated by the family's forward equations (module docstring of
    :mod:`tnverify.networks.forward`) on the one-hot templates, every product reduced mod p.
    Cost: at an internal node whose children are tabulated on m_a and m_b sequences,
    O(m_a m_b w_a w_b w) operations (convac: O(m_a m_b w_a w)); the root's table has
    prod_i M_i entries.
    """
    convac = arch.family == "convac"
    names = {nd: k for k, nd, _, _ in _tree_nodes(arch.tree)}

    def up(nd):
        if isinstance(nd, int):
            return W[f"leaf{nd}"] % p  # one-hot templates: row d is the leaf's vector for template d
        a, b = up(nd[0]), up(nd[1])
        Wk = W[f"n{names[nd]}"]
        if convac:
            pooled = (a[:, None, :] * b[None, :, :] % p).reshape(-1, a.shape[1])
            return pooled @ Wk.T % p if Wk.ndim == 2 else pooled @ Wk % p
        pairs = (a[:, None, :, None] * b[None, :, None, :] % p).reshape(a.shape[0] * b.shape[0], -1)
        return pairs @ Wk.reshape(pairs.shape[1], -1) % p

    leaves = list(tree_leaves(node))
    vals = up(node)
    T = vals[:, 0] if vals.ndim == 2 else vals
    return (T % p).reshape([arch.M[i] for i in leaves])


def factor_flattening(arch: Arch, T: np.ndarray, node, rows) -> np.ndarray:
    """[T_s] with rows the inputs of ``node`` in ``rows`` (ascending), columns the others (ascending).

    The flattening convention of :mod:`tnverify.exact.tensor` (C order on both sides) applied to
    the sub-tree's inputs; a copy of T, O(prod_i M_i).
    """
    leaves = list(tree_leaves(node))
    rs = sorted(i for i in leaves if i in rows)
    cs = sorted(i for i in leaves if i not in rows)
    perm = [leaves.index(i) for i in rs + cs]
    m = math.prod(arch.M[i] for i in rs)
    return np.transpose(T, perm).reshape(m, -1)


def select_channel_zero(arch: Arch, W: dict, separators) -> dict:
    """A copy of ``W`` whose nodes above the ``separators`` pass on the product of their children's channel 0.

    convac: row 0 of each 1x1 conv above S is e_0 and the root's vector is e_0; ht: B[:, :, 0] = E_00
    and the root's B = E_00 (module docstring). The separators and their sub-trees keep their
    weights. Cost O(P), P the number of weight entries.
    """
    out = {k: v.copy() for k, v in W.items()}
    inside = set()
    for s in separators:
        if not isinstance(s, int):
            inside.update(nd for _, nd, _, _ in _tree_nodes(s))
    for k, nd, _, ph in _tree_nodes(arch.tree):
        if nd in inside:
            continue
        B = out[f"n{k}"]
        if arch.family == "convac":
            row = B if ph == 0 else B[0]
            row[:] = 0
            row[0] = 1
        else:
            sl = B if ph == 0 else B[:, :, 0]
            sl[:] = 0
            sl[0, 0] = 1
    return out


def _factor(arch, W, node, rows, p):
    """(rank, pivot rows, pivot cols) of [T_node] mod p, or None when T_node is too large to tabulate."""
    if isinstance(node, int):  # a leaf: T is the vector of channel 0, a 1 x M or M x 1 flattening
        col = W[f"leaf{node}"][:, 0] % p
        nz = np.flatnonzero(col)
        if not len(nz):
            return 0, [], []
        return (1, [int(nz[0])], [0]) if node in rows else (1, [0], [int(nz[0])])
    if math.prod(arch.M[i] for i in tree_leaves(node)) > DENSE_LIMIT:
        return None
    F = factor_flattening(arch, subtree_grid(arch, W, node, p), node, rows)
    res = rank_profile(F, p, reduced=True)
    return res.rank, [int(i) for i in res.rows], [int(j) for j in res.cols]


def product_separators(arch: Arch, W: dict, rows, p: int) -> tuple[int, list]:
    """Separators S maximising prod_s rank [T_s] at the weights ``W``, and that product.

    Returns ``(product, [(node, rank, pivot rows, pivot cols), ...])``: each factor with the
    nonsingular minor of [T_s] mod p that proves its rank.

    Unshared weights: a dynamic programme over the tree, best(v) = max(rank [T_v],
    best(left) best(right)), tabulating T_v only when it has at most :data:`DENSE_LIMIT`
    entries (the root is always above S). Shared weights tie the nodes of one height, so S is
    one whole level (all nodes of height h, when they cover the inputs). Returns (0, []) when
    no admissible S exists. Cost: one :func:`subtree_grid` and one rank mod p of an m x n
    flattening, O(m n min(m, n)), per tabulated node (m n <= :data:`DENSE_LIMIT`).
    """
    rows = set(rows)
    if arch.family not in ("ht", "convac"):
        return 0, []
    if arch.shared:
        best = (0, [])
        nodes = [nd for _, nd, _, _ in _tree_nodes(arch.tree)] + list(range(arch.N))
        for h in range(tree_height(arch.tree)):
            level = [nd for nd in nodes if tree_height(nd) == h]
            if sorted(i for nd in level for i in tree_leaves(nd)) != list(range(arch.N)):
                continue
            facts = [_factor(arch, W, nd, rows, p) for nd in level]
            if None in facts:
                continue
            value = math.prod(f[0] for f in facts)
            if value > best[0]:
                best = (value, [(nd, *f) for nd, f in zip(level, facts)])
        return best

    def best(nd):
        if isinstance(nd, int):
            f = _factor(arch, W, nd, rows, p)
            return f[0], [(nd, *f)]
        (ra, sa), (rb, sb) = best(nd[0]), best(nd[1])
        prod_ = (ra * rb, sa + sb)
        if nd == arch.tree:
            return prod_
        own = _factor(arch, W, nd, rows, p)
        return (own[0], [(nd, *own)]) if own is not None and own[0] > prod_[0] else prod_

    return best(arch.tree)
