"""Reference forward passes of the architectures, and their grid tensors.

Every expressivity claim of tnverify is about the *grid tensor* of an architecture
(docs/grid_tensors.md): fix M templates whose representations are the standard
basis vectors e_1, ..., e_M (one-hot templates) and put

    A[d_1, ..., d_N] = score(e_{d_1}, ..., e_{d_N}),

the network's scalar output on the template sequence (d_1, ..., d_N) [1]_ [5]_.
Separation rank, matricization rank and depth efficiency are statements about the
flattenings of A. This module computes ``score`` directly from the papers'
equations, for a batch of input sequences, exactly: over Z (object arrays of
Python integers) or over GF(p) (int64, reduced after every product; p < 2^21).
It is the reference against which every tensor-network builder of
:mod:`tnverify.networks.architectures` is tested, entry by entry.

Families (weights are named like the cores of the builder's network):

* ``cp`` -- shallow ConvAC [1]_: score = sum_z lam_z prod_i <a^{z,i}, x_i>;
  weights ``lam`` (Z), ``A{i}`` (M_i x Z).
* ``tucker``: score = G x_1 (U_1^T x_1) ... x_N (U_N^T x_N); ``G`` (r_1..r_N), ``U{i}`` (M_i x r_i).
* ``tt`` -- multiplicative RNN / tensor train [4]_: score = G_1[x_1] G_2[x_2] ... G_N[x_N] with
  G_k[x] = sum_m x_m G_k[:, m, :]; ``G0`` (M x r_1), ``G{k}`` (r_k x M x r_{k+1}), ``G{N-1}`` (r x M).
* ``tr`` -- tensor ring: score = trace(G_1[x_1] ... G_N[x_N]); ``G{k}`` (r_{k-1} x M x r_k), cyclic.
* ``ht`` -- hierarchical Tucker over a binary tree: leaf vectors U_i^T x_i, internal
  node B_v contracted with its children's vectors; ``leaf{i}``, ``n{k}`` (k in preorder).
* ``convac`` -- deep ConvAC [1]_ [2]_ over a pooling tree: conv at the leaves
  c^{0,i} = (a^{0,i})^T x_i, product pooling at a node (elementwise product of its
  children's channels), then a 1x1 conv c = a^{l,v} p; the root's conv is a vector.
  ``leaf{i}`` (M_i x r), ``n{k}`` (r_out x r_in), the root ``n0`` (r).
* ``overlap``, ``dilated``, ``mixed`` -- overlapping (Sharir & Shashua 2018) and dilated (Cohen,
  Tamari & Shashua 2018) ConvACs of product units, and two dilated networks joined by sum
  units at interconnection layers: :mod:`tnverify.networks.overlap`.
* ``rac`` -- recurrent arithmetic circuit of depth L [5]_ (Eq. 2 there):
  h^{l,t} = (W^{H,l} h^{l,t-1}) * (W^{I,l} u^{l,t}) elementwise, u^{1,t} = x_t,
  u^{l,t} = h^{l-1,t}, with the first state h^{l,1} = W^{I,l} u^{l,1}; output
  <w, h^{L,T}>. ``WI{l}_{t}`` (R_l x in), ``WH{l}_{t}`` (R_l x R_l, t >= 1), ``w`` (R_L).
  For L >= 2 the score is NOT multilinear in (x_1, ..., x_T): x_1 enters every
  layer-1 state, and h^{l-1,t} is read twice (by layer l at time t and by layer l-1
  at time t+1).

With ``shared`` weights, the tied weights (:func:`tied_groups`) are equal; the
forward pass reads each position's own name, so tying is a constraint on the values.

References
----------
.. [1] N. Cohen, O. Sharir, A. Shashua, "On the expressive power of deep learning:
   a tensor analysis", COLT 2016, Sec. 3 (Eqs. 2-4).
.. [2] N. Cohen, A. Shashua, "Inductive bias of deep convolutional networks through
   pooling geometry", ICLR 2017.
.. [4] V. Khrulkov, A. Novikov, I. Oseledets, "Expressive power of recurrent neural
   networks", ICLR 2018, Eq. 4.
.. [5] Y. Levine, O. Sharir, A. Ziv, A. Shashua, "Benefits of depth for long-term
   memory of recurrent networks", 2017 (arXiv:1710.09431), Sec. 2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tnverify import budget
from tnverify.errors import BudgetError, InputError, ShapeError, UnknownNameError
from tnverify.networks.overlap import CONV_FAMILIES, conv_forward, conv_shapes, conv_ties
from tnverify.numeric.modp import uniform_point

__all__ = ["Arch", "FAMILIES", "MULTILINEAR", "weight_shapes", "tied_groups", "random_weights", "forward",
           "grid_tensor", "grid_block", "network_values", "boundary_bound", "symmetric_bound", "MAX_GRID_ENTRIES"]

#: The architecture families with a reference forward pass.
FAMILIES = ("cp", "tucker", "tt", "tr", "ht", "convac", "rac", "overlap", "dilated", "mixed")
#: Largest grid tensor :func:`grid_tensor` builds densely.
MAX_GRID_ENTRIES = 4_000_000
#: One-hot entries per chunk of :func:`grid_block` (about 128 MB of int64 inputs).
BLOCK_CHUNK = 1 << 24


@dataclass(frozen=True)
class Arch:
    """An architecture: a family and its hyper-parameters (no weights).

    ``M`` has one template count per input; ``widths`` are Z (cp, one entry), the
    Tucker ranks (N), the TT ranks (N-1), the TR ranks (N), the widths per level
    below the root (ht, convac: ``widths[h-1]`` is the width of the channels at a
    node of height h), or the hidden widths per layer (rac, L entries). ``tree`` is
    the pooling tree (nested pairs; ht, convac), ``depth`` the RAC depth L; ``field``,
    ``stride`` (overlap), ``dilations`` (dilated, mixed), ``dilations_b`` and ``mix`` (the
    second order and the interconnection layers of a mixed network).
    """

    family: str
    N: int
    M: tuple
    widths: tuple
    tree: object = None
    shared: bool = False
    depth: int = 1
    field: tuple = ()
    stride: tuple = ()
    dilations: tuple = ()
    dilations_b: tuple = ()
    mix: tuple = ()

    def params(self) -> dict:
        """The JSON form (what a certificate records and the checker rebuilds from)."""
        d = {"family": self.family, "inputs": self.N, "features": list(self.M), "widths": list(self.widths),
             "shared": bool(self.shared)}
        if self.family in ("ht", "convac"):
            d["tree"] = tree_str(self.tree)
        if self.family == "rac":
            d["depth"] = self.depth
        if self.family == "overlap":
            d.update(field=list(self.field), stride=list(self.stride))
        if self.family in ("dilated", "mixed"):
            d["dilations"] = list(self.dilations)
        if self.family == "mixed":
            d.update(dilations_b=list(self.dilations_b), mix=list(self.mix))
        return d

    @property
    def multilinear(self) -> bool:
        """True when the score is multilinear in the input vectors (all but deep RACs and overlapping ConvACs)."""
        if self.family == "overlap":
            return all(r == s for r, s in zip(self.field, self.stride))
        return not (self.family == "rac" and self.depth >= 2)

    def describe(self) -> str:
        """One line for messages: ``family(inputs=N, features=M, widths=[...], ...)``."""
        p = self.params()
        p.pop("family")
        if len(set(self.M)) == 1:
            p["features"] = self.M[0]
        return f"{self.family}(" + ", ".join(f"{k}={v}" for k, v in p.items()) + ")"


MULTILINEAR = tuple(f for f in FAMILIES if f not in ("rac", "overlap"))


def tree_str(t) -> str:
    """A pooling tree as text: ``((0,1),(2,3))`` (what certificates record)."""
    return str(t) if isinstance(t, int) else f"({tree_str(t[0])},{tree_str(t[1])})"


def tree_leaves(t):
    """The leaves (input indices) of a pooling tree, left to right."""
    if isinstance(t, int):
        yield t
    else:
        yield from tree_leaves(t[0])
        yield from tree_leaves(t[1])


def tree_height(t) -> int:
    """Height of a pooling tree (a leaf has height 0)."""
    return 0 if isinstance(t, int) else 1 + max(tree_height(t[0]), tree_height(t[1]))


def _tree_nodes(tree):
    """Internal nodes in preorder: list of (k, node, height, parent height or 0 for the root)."""
    out = []

    def walk(node, parent_h):
        if isinstance(node, int):
            return
        out.append((len(out), node, tree_height(node), parent_h))
        h = tree_height(node)
        walk(node[0], h)
        walk(node[1], h)

    walk(tree, 0)
    return out


def weight_shapes(arch: Arch) -> dict:
    """Name -> shape of every weight, in the builder's core order.

    The parametrisation of each family is the table of docs/grid_tensors.md, section 3 (and
    the module docstring); names are 0-based (``A{i}``, ``G{k}``, ``leaf{i}``, ``n{k}`` with
    k in preorder, ``WI{l}_{t}``, ``WH{l}_{t}``, ``w``). Cost O(N h), h the tree height or the
    RAC depth.
    """
    f, N, M, w = arch.family, arch.N, arch.M, arch.widths
    if f == "cp":
        return {"lam": (w[0],), **{f"A{i}": (M[i], w[0]) for i in range(N)}}
    if f == "tucker":
        return {"G": tuple(w), **{f"U{i}": (M[i], w[i]) for i in range(N)}}
    if f == "tt":
        out = {"G0": (M[0], w[0])}
        out.update({f"G{k}": (w[k - 1], M[k], w[k]) for k in range(1, N - 1)})
        out[f"G{N - 1}"] = (w[N - 2], M[N - 1])
        return out
    if f == "tr":
        return {f"G{k}": (w[(k - 1) % N], M[k], w[k]) for k in range(N)}
    if f == "rac":
        out = {}
        for l in range(arch.depth):
            din = M[0] if l == 0 else w[l - 1]
            for t in range(N):
                out[f"WI{l}_{t}"] = (w[l], din)
                if t > 0:
                    out[f"WH{l}_{t}"] = (w[l], w[l])
        out["w"] = (w[-1],)
        return out
    if f in ("ht", "convac"):
        order = []  # the builder's core order: a leaf when visited, a node after its children
        counter = [0]

        def walk(node, parent_h):
            if isinstance(node, int):
                order.append((f"leaf{node}", (M[node], w[parent_h - 1])))
                return
            k = counter[0]
            counter[0] += 1
            h = tree_height(node)
            walk(node[0], h)
            walk(node[1], h)
            if f == "convac":
                shape = (w[parent_h - 1], w[h - 1]) if parent_h else (w[h - 1],)
            else:
                shape = (w[h - 1], w[h - 1], w[parent_h - 1]) if parent_h else (w[h - 1], w[h - 1])
            order.append((f"n{k}", shape))

        walk(arch.tree, 0)
        return dict(order)
    if f in CONV_FAMILIES:
        return conv_shapes(arch)
    raise UnknownNameError("architecture", f, FAMILIES)


def tied_groups(arch: Arch) -> list:
    """Groups of weight names tied by weight sharing (empty unless ``shared``).

    cp: the A_i; tt: the middle cores G_2..G_{N-1}; tr: all cores; rac: W^{I,l} across time
    and W^{H,l} across time, per layer; ht, convac: internal nodes of the same height and
    shape (the root apart), and leaves of the same shape; tucker: none
    (docs/grid_tensors.md, section 3, "Weight sharing").
    """
    if not arch.shared:
        return []
    f, N = arch.family, arch.N
    if f == "cp":
        return [[f"A{i}" for i in range(N)]] if N > 1 else []
    if f == "tt":
        return [[f"G{k}" for k in range(1, N - 1)]] if N > 3 else []
    if f == "tr":
        return [[f"G{k}" for k in range(N)]]
    if f == "rac":
        g = []
        for l in range(arch.depth):
            g.append([f"WI{l}_{t}" for t in range(N)])
            g.append([f"WH{l}_{t}" for t in range(1, N)])
        return [x for x in g if len(x) > 1]
    if f in ("ht", "convac"):
        shapes = weight_shapes(arch)
        groups: dict = {}
        for k, node, h, ph in _tree_nodes(arch.tree):
            groups.setdefault(("n", h, shapes[f"n{k}"], ph == 0), []).append(f"n{k}")
        for i in range(N):
            groups.setdefault(("leaf", shapes[f"leaf{i}"]), []).append(f"leaf{i}")
        return [g for g in groups.values() if len(g) > 1]
    if f in CONV_FAMILIES:
        return conv_ties(arch)
    return []  # tucker has no sharing


def random_weights(arch: Arch, rng: np.random.Generator, p: int) -> dict:
    """A random point of the family mod p: weights uniform in [0, p) (int64), equal within each tied group.

    Uniform over the whole field, as the Schwartz-Zippel bound on a bad point needs
    (docs/mathematics.md, section 1). Cost O(P), P the number of weight entries, refused
    (:class:`BudgetError`) before any allocation when 8 P bytes exceed the memory budget.
    """
    shapes = weight_shapes(arch)
    P = sum(math.prod(s) for s in shapes.values())
    budget.require(f"a random point of {arch.describe()} ({P} weight entries)", memory=8 * P, work=P)
    out = {n: uniform_point(rng, p, s) for n, s in shapes.items()}
    for g in tied_groups(arch):
        for n in g[1:]:
            out[n] = out[g[0]].copy()
    return out


# ----------------------------------------------------------------- arithmetic
def _arr(a, p):
    a = np.asarray(a)
    if p is None:
        return a.astype(object) if a.dtype != object else a
    if a.dtype == object:
        return np.array([int(x) % p for x in a.ravel()], dtype=np.int64).reshape(a.shape)
    return a.astype(np.int64) % p


def _red(a, p):
    return a if p is None else a % p


def _check_p(p):
    if p is not None and not 2 <= p < (1 << 21):
        raise InputError(f"modular forward passes need 2 <= p < 2^21, got {p}")


def forward(arch: Arch, weights: dict, X, p: int | None = None) -> np.ndarray:
    """The scalar output of the network on a batch of input sequences, exactly.

    Parameters
    ----------
    arch : Arch
    weights : dict
        Name -> array, shapes as :func:`weight_shapes` (integers; object arrays of
        Python integers are fine over Z).
    X : list of N arrays
        ``X[k]`` has shape (B, M_k): the representation vector of input k for each
        of the B sequences (one-hot rows give grid entries).
    p : prime < 2^21 or None
        Work over GF(p) (int64) or over Z (Python integers).

    Returns
    -------
    (B,) array of the scores.

    Notes
    -----
    The equations of each family are those of the module docstring (docs/grid_tensors.md,
    section 3). Cost O(B P) ring operations, P the number of weight entries (the sum of the
    sizes in :func:`weight_shapes`): every family contracts each weight once per sequence.
    """
    _check_p(p)
    W = _weights(arch, weights, p)
    if len(X) != arch.N:
        raise ShapeError(f"expected {arch.N} input arrays, got {len(X)}")
    X = [_arr(x, p) for x in X]
    B = X[0].shape[0]
    for k, x in enumerate(X):
        if x.ndim != 2 or x.shape != (B, arch.M[k]):
            raise ShapeError(f"input {k} must have shape ({B}, {arch.M[k]}), got {x.shape}")
    return _FORWARD[arch.family](arch, W, X, p)


def _weights(arch: Arch, weights: dict, p) -> dict:
    """The weights as arrays over Z (objects) or mod p (int64), each checked against :func:`weight_shapes`."""
    W = {}
    for n, s in weight_shapes(arch).items():
        if n not in weights:
            raise ShapeError(f"missing weight {n!r} of {arch.describe()}")
        a = _arr(weights[n], p)
        if a.shape != tuple(s):
            raise ShapeError(f"weight {n!r} of {arch.describe()} must have shape {tuple(s)}, got {a.shape}")
        W[n] = a
    return W


def _fw_cp(arch, W, X, p):
    acc = np.broadcast_to(W["lam"], (X[0].shape[0], W["lam"].shape[0])).copy()
    for i, x in enumerate(X):
        acc = _red(acc * _red(x @ W[f"A{i}"], p), p)
    return _red(acc.sum(axis=1), p)


def _fw_tucker(arch, W, X, p):
    B = X[0].shape[0]
    acc = np.broadcast_to(W["G"], (B,) + W["G"].shape).copy()
    for i, x in enumerate(X):
        u = _red(x @ W[f"U{i}"], p)  # (B, r_i)
        acc = _red(np.einsum("bi...,bi->b...", acc, u), p)
    return acc


def _fw_tt(arch, W, X, p):
    N = arch.N
    v = _red(X[0] @ W["G0"], p)  # (B, r)
    for k in range(1, N - 1):
        Gx = _red(np.einsum("amb,nm->nab", W[f"G{k}"], X[k]), p)  # (B, r, r')
        v = _red(np.einsum("na,nab->nb", v, Gx), p)
    last = _red(X[N - 1] @ W[f"G{N - 1}"].T, p)  # (B, r)
    return _red((v * last).sum(axis=1), p)


def _fw_tr(arch, W, X, p):
    acc = None
    for k in range(arch.N):
        Gx = _red(np.einsum("amb,nm->nab", W[f"G{k}"], X[k]), p)
        acc = Gx if acc is None else _red(np.einsum("nab,nbc->nac", acc, Gx), p)
    return _red(np.einsum("naa->n", acc), p)


def _fw_tree(arch, W, X, p):
    convac = arch.family == "convac"
    counter = [0]

    def up(node):
        """The vector that ``node`` sends to its parent, for every sequence: (B, width)."""
        if isinstance(node, int):
            return _red(X[node] @ W[f"leaf{node}"], p)
        k = counter[0]
        counter[0] += 1
        a, b = up(node[0]), up(node[1])
        Wk = W[f"n{k}"]
        if convac:
            pooled = _red(a * b, p)  # product pooling: the channels of both children, elementwise
            return _red(pooled @ Wk.T, p) if Wk.ndim == 2 else _red(pooled @ Wk, p)
        pairs = _red(a[:, :, None] * b[:, None, :], p).reshape(a.shape[0], -1)  # reduce before the third factor
        if Wk.ndim == 3:
            return _red(pairs @ Wk.reshape(pairs.shape[1], -1), p)
        return _red(pairs @ Wk.reshape(-1), p)

    return up(arch.tree)


def _fw_rac(arch, W, X, p):
    L, T = arch.depth, arch.N
    h = [None] * L
    for t in range(T):
        u = X[t]
        for l in range(L):
            inp = _red(u @ W[f"WI{l}_{t}"].T, p)
            h[l] = inp if t == 0 else _red(_red(h[l] @ W[f"WH{l}_{t}"].T, p) * inp, p)
            u = h[l]
    return _red(h[L - 1] @ W["w"], p)


_FORWARD = {"cp": _fw_cp, "tucker": _fw_tucker, "tt": _fw_tt, "tr": _fw_tr, "ht": _fw_tree,
            "convac": _fw_tree, "rac": _fw_rac, "overlap": conv_forward, "dilated": conv_forward, "mixed": conv_forward}


# ----------------------------------------------------------------- grid tensors
def _one_hot(idx: np.ndarray, m: int, p) -> np.ndarray:
    out = np.zeros((idx.shape[0], m), dtype=object if p is None else np.int64)
    out[np.arange(idx.shape[0]), idx] = 1
    return out


def grid_tensor(arch: Arch, weights: dict, p: int | None = None) -> np.ndarray:
    """The dense grid tensor A[d_1..d_N] = score(e_{d_1}, ..., e_{d_N}) (small formats only).

    docs/grid_tensors.md, section 1. Cost: prod M_k forward passes, O(P prod M_k) ring
    operations (P weight entries); :class:`BudgetError` beyond :data:`MAX_GRID_ENTRIES`.
    """
    size = math.prod(arch.M)
    if size > MAX_GRID_ENTRIES:
        raise BudgetError(f"the grid tensor of {arch.describe()} has {size} entries, over the limit "
                          f"{MAX_GRID_ENTRIES}; use grid_block on sampled template sequences")
    idx = np.indices(arch.M).reshape(arch.N, -1)
    X = [_one_hot(idx[k], arch.M[k], p) for k in range(arch.N)]
    return forward(arch, weights, X, p).reshape(arch.M)


def grid_block(arch: Arch, weights: dict, rows, row_seqs, col_seqs, p: int | None = None) -> np.ndarray:
    """A block of the flattening [A]_{I,J} of the grid tensor: rows ``row_seqs``, columns ``col_seqs``.

    ``row_seqs`` is (m, |I|): template indices at the positions ``rows`` (increasing);
    ``col_seqs`` is (n, |J|) at the other positions. Entry (a, b) is the score of the
    sequence that reads ``row_seqs[a]`` at I and ``col_seqs[b]`` at J: m n forward passes,
    O(m n P) ring operations (P weight entries), no dense tensor. Rows/columns are any
    template sequences; a block is a submatrix, so its rank is at most rank [A]_{I,J}
    (the lower bound for non-multilinear families, docs/grid_tensors.md, section 5). The
    passes run in chunks of at most :data:`BLOCK_CHUNK` one-hot entries (sum M_k per pass; the
    convolutional families read template indices instead, N per pass), and the whole block is
    refused (:class:`BudgetError`) when m n P exceeds the work budget.
    """
    rows = list(rows)
    cols = [k for k in range(arch.N) if k not in rows]
    R = np.asarray(row_seqs, dtype=np.int64).reshape(-1, len(rows))
    C = np.asarray(col_seqs, dtype=np.int64).reshape(-1, len(cols))
    m, n = R.shape[0], C.shape[0]
    P = sum(math.prod(s) for s in weight_shapes(arch).values())
    budget.require(f"a {m} x {n} block of the grid tensor of {arch.describe()} ({P} weight entries per pass)",
                   work=m * n * P)
    for side, S, modes in (("row", R, rows), ("column", C, cols)):
        for q, k in enumerate(modes):
            if S.size and not 0 <= S[:, q].min() <= S[:, q].max() < arch.M[k]:
                raise ShapeError(f"{side} template indices at input {k} must lie in 0..{arch.M[k] - 1}")
    indexed = arch.family in CONV_FAMILIES  # conv_forward reads template indices as one-hot vectors
    if indexed:
        _check_p(p)
        Wv = _weights(arch, weights, p)
    step = max(1, BLOCK_CHUNK // max(1, arch.N if indexed else sum(arch.M)))  # forward passes per chunk
    out = []
    for lo in range(0, m * n, step):
        flat = np.arange(lo, min(lo + step, m * n))
        a, b = flat // n, flat % n
        X = [None] * arch.N
        for q, k in enumerate(rows):
            X[k] = R[a, q] if indexed else _one_hot(R[a, q], arch.M[k], p)
        for q, k in enumerate(cols):
            X[k] = C[b, q] if indexed else _one_hot(C[b, q], arch.M[k], p)
        out.append(conv_forward(arch, Wv, X, p) if indexed else forward(arch, weights, X, p))
    if not out:
        return np.zeros((m, n), dtype=object if p is None else np.int64)
    return np.concatenate(out).reshape(m, n)


# ------------------------------------------------------------ network values
def network_values(arch: Arch, weights: dict, names) -> list:
    """Core values of the builder's network (core ``names``) that make it represent the grid tensor.

    A core named like a weight takes that weight; a copy ``WI0_3.2`` of a reused
    sub-network takes the weight ``WI0_3``; an input-index copy core ``in{t}`` is the
    identity (its hyperedge hands the same template index d_t to every reader).
    """
    out = []
    for n in names:
        if n.startswith("in") and n[2:].isdigit():
            m = arch.M[int(n[2:])]
            out.append(np.eye(m, dtype=np.int64))
        else:
            out.append(np.asarray(weights[n.split(".")[0]]))
    return out


# ------------------------------------------------------------ symmetric bound
def symmetric_bound(arch: Arch, rows) -> int | None:
    """Upper bound for a shallow ConvAC (cp) with shared weights: its grid tensor is symmetric.

    With A_1 = ... = A_N = A the score sum_z lambda_z prod_k (A^T x_k)_z does not change when
    the inputs are permuted, so rows of [A]_{I,J} whose template multi-indices are
    permutations of each other are equal, and so are such columns: rank [A]_{I,J} <=
    min(C(M + |I| - 1, |I|), C(M + |J| - 1, |J|)), the numbers of multisets (the size of the
    catalecticant), for every weight (docs/grid_tensors.md, section 5). Returns None for other
    families, without sharing, or with unequal template counts. Cost O(1).
    """
    if arch.family != "cp" or not arch.shared or len(set(arch.M)) != 1:
        return None
    M, k = arch.M[0], len(set(rows))
    return min(math.comb(M + k - 1, k), math.comb(M + arch.N - k - 1, arch.N - k))


# ------------------------------------------------------------ boundary bound
def boundary_bound(arch: Arch, rows) -> int | None:
    """Upper bound from the boundary states for a deep RAC and a Start-End partition {0..k-1} | {k..T-1}.

    The end half reads the start half only through the states h^{1,k}, ..., h^{L,k}
    (time k, 1-based). For t > k every coordinate of h^{l,t} is a multi-homogeneous
    polynomial in those states with degrees D_l(t) = D_l(t-1) + D_{l-1}(t)
    (D_0 = 0, D_l(k) = unit vector e_l), so the score is a sum of at most
    prod_j C(R_j + D_j - 1, D_j) monomials in the boundary coordinates, each a
    function of the start times a function of the end: rank [A]_{I,J} <= that count,
    for every weight (docs/grid_tensors.md, section 5, "Proof of the boundary-state
    bound"). The end block may be the rows instead: a flattening and its transpose have
    one rank. Returns None for other partitions or families. Cost O((T - k) L^2).
    """
    if arch.family != "rac":
        return None
    rows = sorted(rows)
    k = len(rows)
    if rows == list(range(arch.N - k, arch.N)):
        k = arch.N - k
    elif rows != list(range(k)):
        return None
    if not 0 < k < arch.N:
        return None
    L = arch.depth
    D = [[int(j == l) for j in range(L)] for l in range(L)]  # D[l][j]: degree of h^{l} in h^{j,k}
    for _ in range(k, arch.N):
        new = []
        for l in range(L):
            below = new[l - 1] if l > 0 else [0] * L
            new.append([D[l][j] + below[j] for j in range(L)])
        D = new
    top = D[L - 1]
    return math.prod(math.comb(arch.widths[j] + top[j] - 1, top[j]) for j in range(L))
