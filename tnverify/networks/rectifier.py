"""Generalized (rectifier) networks: exact forward passes over Q, and their breakpoint margins.

Cohen & Shashua [1]_ replace the product of a tensor decomposition by an *activation-pooling
operator* g(a, b) = P(sigma(a), sigma(b)), with sigma the activation and P the pooling
(Sec. 3-4 there): ReLU with max pooling gives g(a, b) = max(a, b, 0), ReLU with average
pooling g(a, b) = (sigma(a) + sigma(b)) / 2, and a linear activation with product pooling
g(a, b) = a b, the convolutional arithmetic circuit. Khrulkov, Hrinchuk & Oseledets [2]_
do the same for recurrent networks (the generalized tensor train, Sec. 4 there). Every
network here is defined by its forward pass, exactly over Q (Python ints and Fractions;
never floats). Conventions (docs/rectifier.md):

* **templates**: M explicit rational points x^(1), ..., x^(M) of Q^D (one-hot by default,
  D = M). They play the part of the representation vectors f_theta(x^(d)) of [1]_ (the rows
  of the matrix F there). The grid tensor is A[d_1..d_N] = score(x^(d_1), ..., x^(d_N)).
* ``relu-cp`` (shallow network, [1]_ Sec. 4, the generalized CP decomposition):
  score = sum_z lam_z P_{i=1..N} sigma(<A_i[:, z], x_i> + b_i[z]); global pooling over the N
  inputs (max, mean or product). Weights ``lam`` (Z), ``A{i}`` (D x Z), biases ``b{i}`` (Z).
* ``relu-ht`` (deep network over a pooling tree, [1]_ Sec. 4, the generalized HT
  decomposition): at leaf i the pre-activation c_i = A_i^T x_i + b_i; at an internal node v
  with children pre-activations a, b the pooled vector p_v = P(sigma(a), sigma(b))
  (elementwise), then a 1x1 conv c_v = W_v p_v + b_v; the root's conv is a vector,
  score = <W_root, p_root>. Weights named as for ``convac`` (``leaf{i}``, ``n{k}`` in
  preorder), biases ``bleaf{i}``, ``bn{k}`` (not at the root).
* ``relu-tt`` (generalized RNN, [2]_ Sec. 4): h_1 = G_1^T x_1 + c_1, and for t >= 2
  h_t[b] = sum_{a, i} G_t[a, i, b] xi(h_{t-1}[a], x_t[i]) + c_t[b] with xi(a, b) = g(a, b);
  the last core is r x D and gives the score. Weights as for ``tt``; biases ``c{k}`` (k < N-1).

With ``pooling="product"`` and ``activation="linear"`` (no biases) the three families are the
multilinear ``cp``, ``convac`` and ``tt`` of :mod:`tnverify.networks.forward`.

**Breakpoint margins.** :func:`evaluate` runs the same forward pass on one sequence and
tracks, for each value, a key of its *local polynomial* in the weights: equal keys mean
equal polynomials (tied weights give equal keys), and a distinguished key means "identically
zero". A ReLU (or abs) whose argument is not identically zero must not sit at 0, and a max
of two values with different keys must not be a tie. When no comparison is at a breakpoint,
each score is a polynomial in the weights on a neighbourhood of the point, and so is every
minor of the grid tensor: a minor that is nonzero there is nonzero on an open set, a set of
positive measure. The margin is the least |difference| over those comparisons.

References
----------
.. [1] N. Cohen, A. Shashua, "Convolutional rectifier networks as generalized tensor
   decompositions", ICML 2016.
.. [2] V. Khrulkov, O. Hrinchuk, I. Oseledets, "Generalized tensor models for recurrent
   neural networks", ICLR 2019.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tnverify.errors import InputError, NotExactError, ShapeError, UnknownNameError
from tnverify.networks.forward import _tree_nodes, tree_height, tree_str

__all__ = ["RectArch", "FAMILIES", "ACTIVATIONS", "POOLINGS", "rect_spec", "weight_shapes", "tied_groups",
           "random_weights", "exact_weights", "parse_templates", "forward", "grid_block", "evaluate",
           "Breakpoint", "ZERO"]

FAMILIES = ("relu-cp", "relu-ht", "relu-tt")
ACTIVATIONS = ("relu", "linear", "abs")
POOLINGS = ("max", "avg", "product")
#: The key of a value that is identically zero near the point.
ZERO = 0
_HOW = "give integers or rational strings like '3/4'"


@dataclass(frozen=True)
class RectArch:
    """A generalized network: family, templates, activation, pooling and widths (no weights).

    ``templates`` are M points of Q^D (tuples of ints / Fractions); ``widths`` are Z (relu-cp),
    one width per level below the root (relu-ht) or the N-1 ranks (relu-tt).
    """

    family: str
    N: int
    templates: tuple
    widths: tuple
    activation: str = "relu"
    pooling: str = "max"
    biases: bool = False
    shared: bool = False
    tree: object = None

    @property
    def M(self) -> int:
        """Number of templates."""
        return len(self.templates)

    @property
    def D(self) -> int:
        """Dimension of the template points."""
        return len(self.templates[0])

    def params(self) -> dict:
        """The JSON form (what a certificate records and the checker rebuilds from)."""
        d = {"family": self.family, "inputs": self.N, "activation": self.activation, "pooling": self.pooling,
             "widths": list(self.widths), "biases": self.biases, "shared": self.shared,
             "templates": [[_enc(x) for x in t] for t in self.templates]}
        if self.family == "relu-ht":
            d["tree"] = tree_str(self.tree)
        return d

    def describe(self) -> str:
        """One line: ``relu-ht(N=8, M=3, relu/max, widths=[2, 2, 2])``."""
        extra = (", biases" if self.biases else "") + (", shared" if self.shared else "")
        tree = f", tree={tree_str(self.tree)}" if self.family == "relu-ht" else ""
        return (f"{self.family}(N={self.N}, M={self.M}, D={self.D}, {self.activation}/{self.pooling}, "
                f"widths={list(self.widths)}{tree}{extra})")


def _enc(x) -> int | str:
    return x if isinstance(x, int) else str(x)


def _exact(x, where: str):
    """An int or Fraction; a float (or anything else) is a one-line error saying how to give rationals."""
    if isinstance(x, bool) or isinstance(x, float):
        raise NotExactError(f"{where} must be exact ({_HOW}), got the {type(x).__name__} {x!r}")
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else x
    if isinstance(x, str):
        s = x.strip()
        try:
            v = Fraction(s) if s.replace("-", "", 1).replace("/", "", 1).isdigit() else None
        except (ValueError, ZeroDivisionError):
            v = None
        if v is None:
            raise NotExactError(f"{where} must be exact ({_HOW}), got {x!r}")
        return v.numerator if v.denominator == 1 else v
    raise NotExactError(f"{where} must be exact ({_HOW}), got {type(x).__name__} {x!r}")


def parse_templates(spec, M: int | None = None, D: int | None = None, rng=None) -> tuple:
    """Template points: ``None``/``"onehot"`` (e_1..e_M), ``"random"`` (integers in [-9, 9]^D), or explicit.

    Explicit templates are a list of M points, each a list of D exact numbers, or the text
    ``"1,0;0,1;1,1"`` (points separated by ``;``). Raises :class:`ShapeError` when the points
    do not all have the dimension ``D`` (when given) or one another's.
    """
    if spec is None or spec == "onehot":
        if M is None:
            raise InputError("one-hot templates need the number of templates M (--features)")
        pts = [[int(i == d) for i in range(M)] for d in range(M)]
    elif spec == "random":
        if M is None:
            raise InputError("random templates need the number of templates M (--features)")
        rng = rng or np.random.default_rng(0)
        pts = rng.integers(-9, 10, (M, D or M)).tolist()
    else:
        pts = [p.split(",") for p in spec.split(";")] if isinstance(spec, str) else spec
        if not isinstance(pts, (list, tuple)) or not pts or any(not isinstance(p, (list, tuple)) for p in pts):
            raise InputError(f"expected template points as a list of lists or text like '1,0;0,1', got {spec!r}")
    pts = [tuple(_exact(x, f"template {d} entry {j}") for j, x in enumerate(p)) for d, p in enumerate(pts)]
    dim = D if D is not None else len(pts[0])
    bad = [d for d, p in enumerate(pts) if len(p) != dim]
    if bad or dim == 0:
        raise ShapeError(f"template points must all have dimension {dim}; template {bad[0] if bad else 0} has "
                         f"{len(pts[bad[0] if bad else 0])}")
    if M is not None and len(pts) != M:
        raise ShapeError(f"expected {M} template points (--features), got {len(pts)}")
    return tuple(pts)


def rect_spec(family: str, inputs: int, widths, templates=None, features: int | None = None,
              activation: str = "relu", pooling: str = "max", biases: bool = False, shared: bool = False,
              tree=None, dim: int | None = None) -> RectArch:
    """A validated :class:`RectArch` from CLI-style parameters (``templates`` as :func:`parse_templates`)."""
    from tnverify.networks.architectures import _widths, parse_tree

    if family not in FAMILIES:
        raise UnknownNameError("rectifier family", family, FAMILIES)
    if activation not in ACTIVATIONS:
        raise UnknownNameError("activation", activation, ACTIVATIONS)
    if pooling not in POOLINGS:
        raise UnknownNameError("pooling", pooling, POOLINGS)
    N = int(inputs)
    if N < 2:
        raise ShapeError(f"a {family} network needs at least 2 inputs, got {N}")
    T = parse_templates(templates, features, dim)
    if widths is None:
        raise InputError(f"{family} needs --widths (or --rank)")
    if family == "relu-cp":
        w = _widths(widths, 1, "number of channels Z")
        return RectArch(family, N, T, tuple(w), activation, pooling, bool(biases), bool(shared))
    if family == "relu-tt":
        w = tuple(_widths(widths, N - 1, "ranks"))
        if shared and N > 3 and len(set(w)) > 1:
            raise ShapeError(f"shared relu-tt cores need equal ranks, got {list(w)}")
        return RectArch(family, N, T, w, activation, pooling, bool(biases), bool(shared))
    if tree is None and N & (N - 1):
        raise ShapeError(f"relu-ht needs --inputs a power of 2 (got {N}) or an explicit --tree")
    t = parse_tree(tree, N)
    w = tuple(_widths(widths, tree_height(t), "widths (one per level below the root)"))
    return RectArch(family, N, T, w, activation, pooling, bool(biases), bool(shared), t)


# ----------------------------------------------------------------- weights
def weight_shapes(a: RectArch) -> dict:
    """Name -> shape of every weight (biases last)."""
    N, D, w = a.N, a.D, a.widths
    out: dict = {}
    if a.family == "relu-cp":
        out["lam"] = (w[0],)
        out.update({f"A{i}": (D, w[0]) for i in range(N)})
        if a.biases:
            out.update({f"b{i}": (w[0],) for i in range(N)})
    elif a.family == "relu-tt":
        out["G0"] = (D, w[0])
        out.update({f"G{k}": (w[k - 1], D, w[k]) for k in range(1, N - 1)})
        out[f"G{N - 1}"] = (w[N - 2], D)
        if a.biases:
            out.update({f"c{k}": (w[k],) for k in range(N - 1)})
    else:
        for k, node, h, ph in _tree_nodes(a.tree):
            out[f"n{k}"] = (w[ph - 1], w[h - 1]) if ph else (w[h - 1],)
            if a.biases and ph:
                out[f"bn{k}"] = (w[ph - 1],)
        for i, ph in _leaf_parents(a.tree):
            out[f"leaf{i}"] = (D, w[ph - 1])
            if a.biases:
                out[f"bleaf{i}"] = (w[ph - 1],)
    return out


def _leaf_parents(tree) -> list:
    """(input, height of its parent) for every leaf of the tree."""
    out = []

    def walk(node, ph):
        if isinstance(node, int):
            out.append((node, ph))
        else:
            walk(node[0], tree_height(node))
            walk(node[1], tree_height(node))

    walk(tree, 0)
    return sorted(out)


def tied_groups(a: RectArch) -> list:
    """Groups of weight names that weight sharing ties (each weight with its bias)."""
    if not a.shared:
        return []
    shapes = weight_shapes(a)
    if a.family == "relu-cp":
        g = [[f"A{i}" for i in range(a.N)], [f"b{i}" for i in range(a.N)] if a.biases else []]
    elif a.family == "relu-tt":
        mid = range(1, a.N - 1)
        g = [[f"G{k}" for k in mid], [f"c{k}" for k in mid] if a.biases else []]
    else:
        by: dict = {}
        for k, _, h, ph in _tree_nodes(a.tree):
            by.setdefault(("n", h, shapes[f"n{k}"], ph == 0), []).append(f"n{k}")
            if a.biases and ph:
                by.setdefault(("bn", h, shapes[f"n{k}"]), []).append(f"bn{k}")
        for i in range(a.N):
            by.setdefault(("leaf", shapes[f"leaf{i}"]), []).append(f"leaf{i}")
            if a.biases:
                by.setdefault(("bleaf", shapes[f"leaf{i}"]), []).append(f"bleaf{i}")
        g = list(by.values())
    return [x for x in g if len(x) > 1]


def random_weights(a: RectArch, rng: np.random.Generator, bound: int = 10**6) -> dict:
    """Exact random weights (object arrays), equal within tied groups.

    A ReLU/abs/linear network without biases whose inputs enter only at the leaves (relu-cp,
    relu-ht) is positively homogeneous in each layer's weights, so integers uniform in
    [-bound, bound] lose nothing. Where the scale matters (biases, or relu-tt, which compares
    the state with a fresh input at every step) the weights are k / 2^12 with k uniform in
    [-2^12, 2^12]. A wide range makes a tie at a breakpoint unlikely; :func:`evaluate` checks
    every one exactly.
    """
    scaled = a.biases or a.family == "relu-tt"
    B = 1 << 12 if scaled else bound
    out = {}
    for n, s in weight_shapes(a).items():
        ks = rng.integers(-B, B + 1, s).ravel().tolist()
        vals = [Fraction(k, B) if scaled else k for k in ks]
        out[n] = np.array([v.numerator if isinstance(v, Fraction) and v.denominator == 1 else v for v in vals],
                          dtype=object).reshape(s)
    for g in tied_groups(a):
        for n in g[1:]:
            out[n] = out[g[0]].copy()
    return out


def exact_weights(a: RectArch, weights: dict) -> dict:
    """User weights (nested lists of ints / ``"p/q"`` strings) as object arrays, shapes and ties checked."""
    shapes = weight_shapes(a)
    extra = sorted(set(weights) - set(shapes))
    if extra:
        if not a.biases and any(n.startswith(("b", "c")) and n[1:2] != "" for n in extra):
            raise InputError(f"{a.describe()} has no biases, got bias weights {extra[:4]}; use --biases")
        raise InputError(f"unknown weights {extra[:4]} for {a.describe()}; expected {sorted(shapes)}")
    out = {}
    for n, s in shapes.items():
        if n not in weights:
            raise ShapeError(f"missing weight {n!r} of {a.describe()} (shape {s})")
        v = np.array(weights[n], dtype=object)
        if v.shape != tuple(s):
            raise ShapeError(f"weight {n!r} of {a.describe()} must have shape {tuple(s)}, got {v.shape}")
        out[n] = np.array([_exact(x, f"weight {n}") for x in v.ravel().tolist()], dtype=object).reshape(s)
    for g in tied_groups(a):
        for n in g[1:]:
            if out[n].tolist() != out[g[0]].tolist():
                raise InputError(f"shared weights {g[0]!r} and {n!r} of {a.describe()} differ")
    return out


# ----------------------------------------------------------------- batched forward pass
def _act(a: RectArch, x):
    if a.activation == "relu":
        return np.where(x > 0, x, 0)
    if a.activation == "abs":
        return np.where(x < 0, -x, x)
    return x


def _pool2(a: RectArch, x, y):
    if a.pooling == "max":
        return np.where(x >= y, x, y)
    if a.pooling == "avg":
        return (x + y) * Fraction(1, 2)
    return x * y


def forward(a: RectArch, W: dict, X: list) -> np.ndarray:
    """Scores on a batch: ``X[k]`` is (B, D) (object arrays of exact numbers). Returns (B,) exact scores.

    Cost O(B * (N D w + nodes w^2)) exact operations (relu-tt: O(B N w^2 D)).
    """
    if len(X) != a.N:
        raise ShapeError(f"expected {a.N} input arrays, got {len(X)}")
    if a.family == "relu-cp":
        acts = [_act(a, X[i].dot(W[f"A{i}"]) + (W[f"b{i}"] if a.biases else 0)) for i in range(a.N)]
        if a.pooling == "max":
            pooled = acts[0]
            for v in acts[1:]:
                pooled = _pool2(a, pooled, v)
        elif a.pooling == "avg":
            pooled = sum(acts[1:], acts[0]) * Fraction(1, a.N)
        else:
            pooled = acts[0]
            for v in acts[1:]:
                pooled = pooled * v
        return pooled.dot(W["lam"])
    if a.family == "relu-tt":
        h = X[0].dot(W["G0"]) + (W["c0"] if a.biases else 0)
        for k in range(1, a.N):
            G = W[f"G{k}"]
            xi = _pool2(a, _act(a, h)[:, :, None], _act(a, X[k])[:, None, :])  # (B, r, D)
            flat = xi.reshape(xi.shape[0], -1)
            if k == a.N - 1:
                return flat.dot(G.reshape(-1))
            h = flat.dot(G.reshape(-1, G.shape[2])) + (W[f"c{k}"] if a.biases else 0)
    counter = [0]

    def up(node):
        if isinstance(node, int):
            return X[node].dot(W[f"leaf{node}"]) + (W[f"bleaf{node}"] if a.biases else 0)
        k = counter[0]
        counter[0] += 1
        p = _pool2(a, _act(a, up(node[0])), _act(a, up(node[1])))
        Wk = W[f"n{k}"]
        if Wk.ndim == 1:
            return p.dot(Wk)
        return p.dot(Wk.T) + (W[f"bn{k}"] if a.biases else 0)

    return up(a.tree)


def grid_block(a: RectArch, W: dict, rows, row_seqs, col_seqs) -> np.ndarray:
    """Block of the flattening [A]_{I,J}: entry (r, c) is the score of row sequence r on I and column c on J."""
    rows = list(rows)
    cols = [k for k in range(a.N) if k not in rows]
    R = np.asarray(row_seqs, dtype=np.int64).reshape(-1, len(rows))
    C = np.asarray(col_seqs, dtype=np.int64).reshape(-1, len(cols))
    T = np.array([list(t) for t in a.templates], dtype=object)
    m, n = len(R), len(C)
    X = [None] * a.N
    for q, k in enumerate(rows):
        X[k] = T[np.repeat(R[:, q], n)]
    for q, k in enumerate(cols):
        X[k] = T[np.tile(C[:, q], m)]
    return forward(a, W, X).reshape(m, n)


# ----------------------------------------------------------------- one sequence, with margins
class Breakpoint(Exception):
    """A comparison of :func:`evaluate` sits exactly at a breakpoint (a zero pre-activation, a tie in a max)."""


class _Keys:
    """Interned keys of local polynomials (0 = identically zero) and the least margin seen."""

    def __init__(self):
        self.table: dict = {}
        self.margin = None

    def key(self, *parts) -> int:
        return self.table.setdefault(parts, len(self.table) + 1)

    def see(self, gap) -> None:
        gap = abs(gap)
        if gap == 0:
            raise Breakpoint("a comparison sits exactly at a breakpoint")
        self.margin = gap if self.margin is None or gap < self.margin else self.margin


def _group_of(a: RectArch) -> dict:
    g = {n: n for n in weight_shapes(a)}
    for grp in tied_groups(a):
        for n in grp:
            g[n] = grp[0]
    return g


def _s_act(a, K, v, k):
    if k == ZERO or a.activation == "linear":
        return v, k
    K.see(v)
    if v > 0:
        return v, k
    return (0, ZERO) if a.activation == "relu" else (-v, K.key("neg", k))


def _s_pool(a, K, x, y):
    (v, k), (u, j) = x, y
    if a.pooling == "max":
        if k == j:
            return x
        K.see(v - u)
        return x if v > u else y
    if a.pooling == "avg":
        return (v + u) * Fraction(1, 2), (ZERO if k == j == ZERO else K.key("avg", k, j))
    return v * u, (ZERO if ZERO in (k, j) else K.key("mul", k, j))


def _s_sum(K, x, y):
    return x[0] + y[0], (ZERO if x[1] == y[1] == ZERO else K.key("sum", x[1], y[1]))


def _s_affine(K, name, Wt, vals, bias):
    """Outputs (value, key) of y = Wt @ vals + bias for Wt (out x in), keys per output channel."""
    keys = tuple(k for _, k in vals)
    dead = bias is None and all(k == ZERO for k in keys)
    out = []
    for o, row in enumerate(Wt):
        v = sum(w * x for w, (x, _) in zip(row, vals)) + (bias[o] if bias is not None else 0)
        out.append((v, ZERO if dead else K.key(name, o, keys)))
    return out


def evaluate(a: RectArch, W: dict, seqs) -> tuple:
    """Scores of the template sequences ``seqs`` (each N template indices) and their least breakpoint margin.

    Pure Python, exact. Returns (list of scores, margin), margin None when no comparison was
    made; raises :class:`Breakpoint` when a comparison sits exactly at a breakpoint (module
    docstring). Sub-results are shared between sequences: a tree node's outputs are kept per
    sub-sequence of its inputs, a recurrent state per prefix, a leaf per (input, template), so
    a block of r x r sequences costs far less than r^2 forward passes.
    """
    K, G = _Keys(), _group_of(a)
    L = {n: v.tolist() for n, v in W.items()}
    memo: dict = {}

    def leaf(i, d, name, bname):
        if ("leaf", i, d) in memo:
            return memo["leaf", i, d]
        x = a.templates[d]
        const = bname is None and all(t == 0 for t in x)
        Wm, b = L[name], (L[bname] if bname else None)
        out = [(sum(Wm[j][c] * x[j] for j in range(a.D)) + (b[c] if b else 0),
                ZERO if const else K.key("leaf", G[name], c, d)) for c in range(len(Wm[0]))]
        memo["leaf", i, d] = out
        return out

    if a.family == "relu-cp":
        def one(seq):
            pooled = None
            for i in range(a.N):
                acts = [_s_act(a, K, v, k) for v, k in leaf(i, seq[i], f"A{i}", f"b{i}" if a.biases else None)]
                pooled = acts if pooled is None else [_s_pool(a, K, x, y) if a.pooling != "avg" else _s_sum(K, x, y)
                                                      for x, y in zip(pooled, acts)]
            scale = Fraction(1, a.N) if a.pooling == "avg" else 1
            return sum(lm * v * scale for lm, (v, _) in zip(L["lam"], pooled))
        return [one(s) for s in seqs], K.margin
    if a.family == "relu-tt":
        cores = {k: np.array(L[f"G{k}"], dtype=object) for k in range(1, a.N)}
        flat = {k: [list(r) for r in zip(*cores[k].reshape(-1, cores[k].shape[2]).tolist())]
                for k in range(1, a.N - 1)}

        def state(prefix):  # the hidden state after reading ``prefix``
            if prefix in memo:
                return memo[prefix]
            k = len(prefix) - 1
            if k == 0:
                out = leaf(0, prefix[0], "G0", "c0" if a.biases else None)
            else:
                h, x = state(prefix[:-1]), a.templates[prefix[-1]]
                u = [_s_act(a, K, xv, ZERO if xv == 0 else K.key("const", xv)) for xv in x]
                xi = [_s_pool(a, K, _s_act(a, K, *h[al]), u[i]) for al in range(len(h)) for i in range(a.D)]
                if k == a.N - 1:
                    out = sum(g * v for g, (v, _) in zip(cores[k].reshape(-1).tolist(), xi))
                else:
                    out = _s_affine(K, ("core", G[f"G{k}"]), flat[k], xi, L[f"c{k}"] if a.biases else None)
            memo[prefix] = out
            return out

        return [state(tuple(int(d) for d in s)) for s in seqs], K.margin
    nodes = {}

    def number(node):
        if not isinstance(node, int):
            nodes[node] = len(nodes)
            number(node[0])
            number(node[1])

    number(a.tree)

    def up(node, seq):
        if isinstance(node, int):
            return leaf(node, seq[node], f"leaf{node}", f"bleaf{node}" if a.biases else None)
        key = (node, tuple(seq[i] for i in _leaves(node)))
        if key in memo:
            return memo[key]
        k = nodes[node]
        p = [_s_pool(a, K, _s_act(a, K, *x), _s_act(a, K, *y)) for x, y in zip(up(node[0], seq), up(node[1], seq))]
        Wk = L[f"n{k}"]
        if not isinstance(Wk[0], list):
            out = sum(w * v for w, (v, _) in zip(Wk, p))
        else:
            out = _s_affine(K, ("node", G[f"n{k}"]), Wk, p, L[f"bn{k}"] if a.biases else None)
        memo[key] = out
        return out

    return [up(a.tree, [int(d) for d in s]) for s in seqs], K.margin


def _leaves(node) -> tuple:
    return (node,) if isinstance(node, int) else _leaves(node[0]) + _leaves(node[1])
