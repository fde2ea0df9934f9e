"""Overlapping and dilated convolutional arithmetic circuits: units, forward pass, grid network, frontier bound.

Both families are 1D networks of *product units*. A unit u of layer l with width C_l
reads a few units (or inputs) of the layer below, its *taps* v_0, v_1, ..., each through its
own matrix, and multiplies the results elementwise:

    y_u = (W_{u,0} y_{v_0}) (*) (W_{u,1} y_{v_1}) (*) ...      (1)

The score is <w, y_top> for the single unit of the last layer. Inputs are layer 0
(y = x_k, width M_k).

* ``overlap`` -- the generalized-convolution (GC) ConvAC of Sharir & Shashua [1]_ (with g the
  product: a GC layer multiplies the linear responses of the positions of its receptive
  field, each position with its own weights), in 1D, with a
  "valid" convolution: layer l has receptive field r_l and stride s_l, n_l =
  (n_{l-1} - r_l) / s_l + 1 positions (exact, every unit read), and unit j reads positions
  j s_l, ..., j s_l + r_l - 1 of layer l-1. The last layer has one position. r_l > s_l is
  an *overlap*: a unit is then read by several units above it, so x_k enters the score
  with degree > 1 and the score is NOT multilinear in the inputs (docs/grid_tensors.md,
  "A summed index is not a copy of a vector"); the grid tensor is the score on one-hot
  templates, as in [1]_. With r_l = s_l (no overlap) the network is a deep ConvAC.
* ``dilated`` -- the dilated convolutional arithmetic circuit of Cohen, Tamari & Shashua
  [2]_ (a size-2 convolution whose two taps are multiplied), N = 2^L
  inputs: y^{l}[t] = (W^{l,0} y^{l-1}[t - d_l]) (*) (W^{l,1} y^{l-1}[t]), with dilations
  (d_1, ..., d_L) a permutation of (1, 2, ..., 2^{L-1}) (the *dilation order*; the baseline
  of [2]_ is 1, 2, 4, ...), and score = <w, y^L[N-1]>. Only the units that the last output
  reads are kept: they form a binary tree (the *mode tree* of [2]_), so the score is
  multilinear.
* ``mixed`` -- two dilated networks joined at interconnection layers, in the setting of the
  *mixed tensor decompositions* of [2]_: branch A has the dilation order ``dilations``,
  branch B the order ``dilations_b``, both with the channels ``widths``. At an
  interconnection layer l (``mix``) and at the top, every time t has the *sum unit*
  m^{l}[t] = y_A^{l}[t] + y_B^{l}[t], and the layer above reads m^{l} in both branches.
  The receptive field of y^{l}[t] is t - (the subset sums of d_1..d_l), so the two branches
  agree on it exactly when {d_1..d_l} is the same set for both orders: those are the layers
  that may be joined (nodes common to both mode trees), and then the sum keeps the score
  multilinear. Score = <w, m^{L}[N-1]>. Zero weights in branch A below a layer make the
  sum there equal to branch B, so the family contains both dilated networks and their
  hybrids (one order below the layer, the other above).

Weights: ``W{l}_{j}_{i}`` (l 0-based layer, j the unit's position (overlap) or time
(dilated), i the tap), shape (C_{l+1}, C_l) with C_0 = M_k at the input read; ``w`` (C_L).
A mixed network names branch B's weights ``B{l}_{j}_{i}`` and branch A's ``W{l}_{j}_{i}``; a
sum unit has no weights (its taps carry the name None). With ``shared`` (a convolution)
``W{l}_{j}_{i}`` is tied across j (per branch).

References
----------
.. [1] O. Sharir, A. Shashua, "On the expressive power of overlapping architectures of deep
   learning", ICLR 2018.
.. [2] N. Cohen, R. Tamari, A. Shashua, "Boosting dilated convolutional networks with mixed
   tensor decompositions", ICLR 2018.
"""
from __future__ import annotations

import math

import numpy as np

from tnverify.errors import BudgetError, NoNetworkError, ShapeError

__all__ = ["CONV_FAMILIES", "conv_units", "conv_shapes", "conv_ties", "conv_forward", "conv_network",
           "frontier_bound", "span_bound", "capped_prod", "mixable_layers", "layer_sizes", "MAX_CONV_CORES"]

CONV_FAMILIES = ("overlap", "dilated", "mixed")
#: Most cores of an overlapping ConvAC's grid network (copies of reused units).
MAX_CONV_CORES = 20_000


def layer_sizes(N: int, field, stride) -> list:
    """Positions per layer n_0 = N, n_l = (n_{l-1} - r_l) / s_l + 1; ShapeError unless exact and n_L = 1."""
    n = [N]
    for l, (r, s) in enumerate(zip(field, stride)):
        if r < s or n[-1] < r or (n[-1] - r) % s:
            raise ShapeError(f"layer {l + 1}: receptive field {r} and stride {s} must satisfy r >= s and tile "
                             f"{n[-1]} positions exactly ((n - r) divisible by s)")
        n.append((n[-1] - r) // s + 1)
    if n[-1] != 1:
        raise ShapeError(f"the last layer must have one position, got {n[-1]} (positions per layer {n})")
    return n


def mixable_layers(da, db) -> list:
    """Layers l < L at which two dilation orders may be joined: {d_1..d_l} is the same set for both."""
    return [l for l in range(1, len(da)) if set(da[:l]) == set(db[:l])]


def conv_units(a) -> tuple:
    """The product units of (1) (and the sum units of ``mixed``): ``(units, top)``.

    ``units`` maps a unit (l, j) (l >= 1) to ``(width, [(child, weight name), ...])`` in
    topological order (layer by layer); a child is (l-1, j') or ("x", k) for input k.
    ``mixed`` (:func:`_mixed_units`) keys units (branch, l, t). Cost O(number of units x taps).
    """
    if a.family == "mixed":
        return _mixed_units(a)
    units: dict = {}
    L = len(a.widths)
    if a.family == "overlap":
        n = layer_sizes(a.N, a.field, a.stride)
        for l in range(1, L + 1):
            r, s = a.field[l - 1], a.stride[l - 1]
            for j in range(n[l]):
                kids = [(("x", j * s + i) if l == 1 else (l - 1, j * s + i), f"W{l - 1}_{j}_{i}") for i in range(r)]
                units[(l, j)] = (a.widths[l - 1], kids)
        return units, (L, 0)
    need = {(L, a.N - 1)}
    for l in range(L, 0, -1):  # the units the last output reads
        d = a.dilations[l - 1]
        below = set()
        for (_, t) in sorted(u for u in need if u[0] == l):
            kids = [(("x", t - d) if l == 1 else (l - 1, t - d), f"W{l - 1}_{t}_0"),
                    (("x", t) if l == 1 else (l - 1, t), f"W{l - 1}_{t}_1")]
            units[(l, t)] = (a.widths[l - 1], kids)
            below |= {(l - 1, t - d), (l - 1, t)}
        need = below
    return dict(sorted(units.items())), (L, a.N - 1)


def _mixed_units(a) -> tuple:
    """Units of a mixed network: ("A", l, t) and ("B", l, t) product units, ("m", l, t) sum units.

    Top-down from the output ("m", L, N-1): a product unit of branch X at (l, t) reads
    (l-1, t - d_l) and (l-1, t) of its own order; a unit of layer l-1 is the sum unit when
    l-1 is an interconnection layer, else branch X's own unit (inputs at layer 0). Returned
    bottom-up, so every child precedes its readers.
    """
    L, N = len(a.widths), a.N
    mix = set(a.mix) | {L}
    orders = {"A": a.dilations, "B": a.dilations_b}
    names = {"A": "W", "B": "B"}
    layers: dict = {}

    def src(x, l, t):
        return ("x", t) if l == 0 else ("m", l, t) if l in mix else (x, l, t)

    need = {"A": {N - 1}, "B": {N - 1}}
    for l in range(L, 0, -1):
        for x in "AB":
            d = orders[x][l - 1]
            for t in sorted(need[x]):
                layers.setdefault(l, {})[(x, l, t)] = (a.widths[l - 1], [
                    (src(x, l - 1, t - d), f"{names[x]}{l - 1}_{t}_0"), (src(x, l - 1, t), f"{names[x]}{l - 1}_{t}_1")])
            need[x] = {s for t in need[x] for s in (t - orders[x][l - 1], t)}
        if l in mix:
            for t in sorted({t for (_, _, t) in layers[l]}):
                layers[l][("m", l, t)] = (a.widths[l - 1], [(("A", l, t), None), (("B", l, t), None)])
        if l - 1 in mix:
            need["A"] = need["B"] = need["A"] | need["B"]
    units = {u: v for l in sorted(layers) for u, v in layers[l].items()}
    return units, ("m", L, N - 1)


def _width(a, units, child) -> int:
    return a.M[child[1]] if child[0] == "x" else units[child][0]


def conv_shapes(a) -> dict:
    """Name -> shape of every weight: ``W{l}_{j}_{i}`` (C_{l+1} x C_l) per unit and tap, then ``w`` (C_L)."""
    units, top = conv_units(a)
    out = {name: (wd, _width(a, units, c)) for u, (wd, kids) in units.items() for c, name in kids if name}
    out["w"] = (units[top][0],)
    return out


def conv_ties(a) -> list:
    """With ``shared``: ``W{l}_{j}_{i}`` tied across positions j (a convolution), per branch, layer l and tap i."""
    if not a.shared:
        return []
    groups: dict = {}
    for name in conv_shapes(a):
        if name != "w":
            l, _, i = name[1:].split("_")
            groups.setdefault((name[0], l, i), []).append(name)
    return [g for g in groups.values() if len(g) > 1]


def conv_forward(a, W: dict, X: list, p) -> np.ndarray:
    """Scores (1) for a batch: ``X[k]`` is (B, M_k); exact over Z (objects) or mod p (int64).

    ``X[k]`` may also be a 1-D integer array of template indices: the one-hot vectors e_d, whose
    image W e_d is column d of W (gathered, not multiplied: O(B C) instead of O(B C M_k)).
    Every unit is computed once per sequence (its value is reused by all its readers, as in
    the network), so the cost is O(B sum_u sum_taps C_u C_child) ring operations.
    """
    def red(v):
        return v if p is None else v % p

    units, top = conv_units(a)
    val: dict = {}
    for u, (_, kids) in units.items():
        acc = None
        for c, name in kids:
            x = X[c[1]] if c[0] == "x" else val[c]
            if name is None:  # a sum unit (mixed)
                acc = x if acc is None else red(acc + x)
                continue
            y = W[name].T[x] if x.ndim == 1 else red(x @ W[name].T)  # template indices: columns of W
            acc = y if acc is None else red(acc * y)
        val[u] = acc
    return red(val[top] @ W["w"])


def conv_network(a):
    """The grid network: one copy of a unit's cores per reader, the template index copied at the inputs.

    A unit read by several units (an overlap) is a value with several readers; a shared
    summed index is not a copy of a vector, so every reader gets its own copy of the cores
    that compute it (copies ``W0_3_1.1``, ``W0_3_1.2`` carry the weight ``W0_3_1``), and an
    input read more than once is copied by an identity core ``in{k}`` joining ``x{k}`` to a
    hyperedge ``d{k}``, exact on one-hot inputs (docs/grid_tensors.md, section 4). Each
    copy's channel index joins the cores of its taps and its one reader (the elementwise
    product of (1)). Cores: the number of paths from the top to the units, plus N + 1;
    :class:`BudgetError` over :data:`MAX_CONV_CORES`.
    """
    from tnverify.networks.network import TensorNetwork

    if a.family == "mixed":
        raise NoNetworkError(f"{a.describe()} sums two networks at its interconnections: it is not one tensor "
                             "network, so it has no min cut (its upper bounds are the shape and the span count)")
    units, top = conv_units(a)
    paths = {top: 1}
    for u in reversed(list(units)):
        for c, _ in units[u][1]:
            paths[c] = paths.get(c, 0) + paths.get(u, 0)
    cores = sum(paths[u] * len(units[u][1]) for u in units) + a.N + 1
    if cores > MAX_CONV_CORES:
        raise BudgetError(f"the grid network of {a.describe()} has {cores} cores (copies of reused units), over "
                          f"the limit {MAX_CONV_CORES}")
    names, inputs, size = [], [], {f"x{k}": m for k, m in enumerate(a.M)}
    copies: dict = {}
    readers = [0] * a.N

    def fresh(base):
        k = copies.get(base, 0)
        copies[base] = k + 1
        return base if k == 0 else f"{base}.{k}"

    def build(u):
        lab = fresh(f"h{u[0]}_{u[1]}")
        size[lab] = units[u][0]
        for c, name in units[u][1]:
            if c[0] == "x":
                readers[c[1]] += 1
                below = f"d{c[1]}"
            else:
                below = build(c)
            names.append(fresh(name))
            inputs.append((lab, below))
        return lab

    top_label = build(top)
    names.append("w")
    inputs.append((top_label,))
    for k in range(a.N):
        if readers[k] == 1:
            inputs = [tuple(f"x{k}" if x == f"d{k}" else x for x in ix) for ix in inputs]
        else:
            size[f"d{k}"] = a.M[k]
            names.append(f"in{k}")
            inputs.append((f"x{k}", f"d{k}"))
    groups: dict = {}
    for n in names:
        if n.startswith("W"):
            base = n.split(".")[0]
            l, _, i = base[1:].split("_")
            groups.setdefault((l, i) if a.shared else base, []).append(n)
    return TensorNetwork(names, inputs, [f"x{k}" for k in range(a.N)], size,
                         shared=[tuple(g) for g in groups.values() if len(g) > 1],
                         meta={"arch": a.family, **a.params()})


def _side_count(a, units, top, side: set) -> int:
    """Monomials in the side's frontier units (see :func:`frontier_bound`)."""
    span: dict = {("x", k): {k} for k in range(a.N)}
    for u, (_, kids) in units.items():
        span[u] = set().union(*(span[c] for c, _ in kids))
    deg: dict = {}
    paths = {top: 1}
    for u in reversed(list(units)):
        if span[u] <= side or u not in paths:
            continue
        for c, _ in units[u][1]:
            if span[c] <= side:
                deg[c] = deg.get(c, 0) + paths[u]
            else:
                paths[c] = paths.get(c, 0) + paths[u]
    return math.prod(math.comb(_width(a, units, c) + D - 1, D) for c, D in deg.items())


def frontier_bound(a, rows) -> int:
    """Upper bound on rank [A]_{I,J} for every weight, from the units that see one side only.

    Call a unit *pure-I* if its receptive field lies in I (inputs are units of layer 0),
    *mixed* if it meets both sides. The I-frontier is the set of pure-I units read by a mixed
    unit. By induction up the layers, every mixed unit is a polynomial in the frontier
    values, homogeneous of degree D_f(u) in the coordinates of each frontier unit f, with
    coefficients that are functions of x_J: a tap reads a frontier unit (degree 1), a
    pure-J unit (degree 0) or a mixed unit, and the product (1) adds degrees. For the score,
    D_f = the number of paths from the top to f through mixed units. So the score is a sum of
    at most prod_f C(C_f + D_f - 1, D_f) monomials in the frontier coordinates (functions of
    x_I) times functions of x_J: rank [A]_{I,J} <= that count. The same with I and J swapped;
    the bound is the smaller count (docs/grid_tensors.md, section 8). Cost O(units x taps x N).
    """
    units, top = conv_units(a)
    I = set(rows)
    J = set(range(a.N)) - I
    return min(_side_count(a, units, top, I), _side_count(a, units, top, J))


def capped_prod(values, cap: int) -> int:
    """min(prod(values), cap), stopping once the product reaches ``cap`` (no huge integers for 2^20 inputs)."""
    out = 1
    for v in values:
        out *= v
        if out >= cap:
            return cap
    return out


def span_bound(a, rows) -> int:
    """Upper bound on rank [A]_{I,J} for every weight, from the spans of partial functions (mixed networks).

    For a side S (I or J) and a unit u with receptive field F, let R(u) be the dimension of
    the span of the functions x_S -> u_c(x_S, x_rest), over the channels c and all values of
    the other inputs. Then R(x_k) = M_k for k in S and 1 otherwise; a linear map W does not
    raise R, and caps it at its rows when F lies in S (then W y is rows(W) functions of x_S);
    an elementwise product multiplies the taps' R (products of spanning functions span), a
    sum adds them; R(u) = 1 when F misses S, and R(u) <= prod_{k in F and S} M_k. The score
    <w, y_top> has rank [A]_{I,J} <= R(top), for each side; the bound is the smaller one
    (docs/grid_tensors.md, section 8). For a tree it is the frontier product. Cost
    O(units x taps x N).
    """
    units, top = conv_units(a)
    I = set(rows)
    best = None
    for side in (I, set(range(a.N)) - I):
        span: dict = {("x", k): {k} for k in range(a.N)}
        R = {("x", k): a.M[k] if k in side else 1 for k in range(a.N)}
        for u, (wd, kids) in units.items():
            span[u] = set().union(*(span[c] for c, _ in kids))
            if kids[0][1] is None:
                r = sum(R[c] for c, _ in kids)
            else:
                r = math.prod(min(R[c], wd) if span[c] <= side else R[c] for c, _ in kids)
            if span[u] <= side:
                r = min(r, wd)
            R[u] = capped_prod((a.M[k] for k in span[u] & side), r) if span[u] & side else 1
        best = R[top] if best is None else min(best, R[top])
    return best
