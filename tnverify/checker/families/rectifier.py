"""Rules about rectifier networks: ranks on an open set of weights, and structural upper bounds.

A rectifier network (ReLU, abs or linear activation; max, average or product pooling) is
piecewise polynomial in its weights, so its claims are about *a set of positive measure*, not
generic weights (docs/rectifier.md). The certificate names the network and, for a point, its
weights (exact rationals) and templates; this module evaluates the network itself, with its own
exact forward pass written from the papers' equations (Cohen & Shashua, ICML 2016, Sec. 4;
Khrulkov, Hrinchuk & Oseledets, ICLR 2019, Sec. 4), and re-verifies every breakpoint margin.

Object type ``rectifier``::

    {"type": "rectifier", "family": "relu-cp"|"relu-ht"|"relu-tt", "inputs": N,
     "activation": "relu"|"linear"|"abs", "pooling": "max"|"avg"|"product",
     "widths": [...], "biases": bool, "shared": bool, "templates": [[x, ...] x M],
     "tree": "((0,1),(2,3))" (relu-ht only), "entries": [weights, flat] ([] for a family)}

``entries`` lists the weights in this order, each in C order: relu-cp ``lam`` (Z), ``A0``..
(D x Z), then ``b0``.. (Z) with biases; relu-tt ``G0`` (D x r_1), ``G1``.. (r x D x r'), the last
core (r x D), then ``c0``..``c{N-2}``; relu-ht, for each internal node in preorder ``n{k}`` (its
conv, out x in; the root's a vector) and its bias ``bn{k}`` (not the root), then for each input
``leaf{i}`` (D x width) and its bias ``bleaf{i}``.

Rules: ``relu-rank-at-least``, ``relu-open-set-from-point``, ``relu-shape-bound``,
``relu-shallow-bound``, ``relu-additive-bound``, ``relu-shallow-match``.
"""
from __future__ import annotations

from fractions import Fraction
from math import prod

from tnverify.checker.families.architecture import _rows, _tree
from tnverify.checker.families.architecture_eval import _height, _leaves_of
from tnverify.checker.kernel import (
    CheckFailure, Malformed, OBJECT_TYPES, check_minor, field, int_list, integer, minor_hint, num, prime, rule, show,
)

FAMILIES = ("relu-cp", "relu-ht", "relu-tt")
_KEYS = {"type", "family", "inputs", "activation", "pooling", "widths", "biases", "shared", "templates", "tree",
         "entries"}
MAX_INPUTS, MAX_TEMPLATES, MAX_DIM = 64, 64, 64
#: Most template sequences (M^N) that ``relu-shallow-match`` evaluates, and most operations it may spend.
MAX_MATCH_SEQUENCES, MAX_MATCH_WORK = 1 << 16, 200_000_000
_ZERO = 0  # the key of a value that is identically zero near the point


class _AtBreakpoint(Exception):
    pass


# ------------------------------------------------------------------ parsing
def _leaves(t) -> list:
    return list(_leaves_of(t))


def _layout(a: dict) -> list:
    """(name, shape, tie class) of every weight, in the order of ``entries``."""
    N, D, w, fam = a["N"], a["D"], a["w"], a["family"]
    out = []
    if fam == "relu-cp":
        out.append(("lam", [w[0]], None))
        out += [(f"A{i}", [D, w[0]], "A") for i in range(N)]
        out += [(f"b{i}", [w[0]], "b") for i in range(N)] if a["biases"] else []
    elif fam == "relu-tt":
        out.append(("G0", [D, w[0]], None))
        out += [(f"G{k}", [w[k - 1], D, w[k]], "G" if N > 3 else None) for k in range(1, N - 1)]
        out.append((f"G{N - 1}", [w[N - 2], D], None))
        out += [(f"c{k}", [w[k]], "c" if 0 < k and N > 3 else None) for k in range(N - 1)] if a["biases"] else []
    else:
        nodes, leaf_parent = [], {}

        def walk(t, ph):
            if isinstance(t, int):
                leaf_parent[t] = ph
                return
            h = _height(t)
            nodes.append((t, h, ph))
            walk(t[0], h)
            walk(t[1], h)

        walk(a["tree"], 0)
        for k, (t, h, ph) in enumerate(nodes):
            shape = [w[ph - 1], w[h - 1]] if ph else [w[h - 1]]
            out.append((f"n{k}", shape, ("n", h, tuple(shape), ph == 0)))
            if ph and a["biases"]:
                out.append((f"bn{k}", [w[ph - 1]], ("bn", h, tuple(shape))))
        for i in range(N):
            out.append((f"leaf{i}", [D, w[leaf_parent[i] - 1]], ("leaf", D, w[leaf_parent[i] - 1])))
            if a["biases"]:
                out.append((f"bleaf{i}", [w[leaf_parent[i] - 1]], ("bleaf", D, w[leaf_parent[i] - 1])))
    return out


def _parse(o: dict, where: str) -> dict:
    extra = set(o) - _KEYS
    if extra:
        raise Malformed(f"{where}: unknown keys {sorted(extra)} in a rectifier")
    fam = field(o, "family", where, str)
    if fam not in FAMILIES:
        raise Malformed(f"{where}.family: expected one of {', '.join(FAMILIES)}, got {show(fam)}")
    act, pool = field(o, "activation", where, str), field(o, "pooling", where, str)
    if act not in ("relu", "linear", "abs") or pool not in ("max", "avg", "product"):
        raise Malformed(f"{where}: unknown activation {show(act)} or pooling {show(pool)}")
    N = integer(field(o, "inputs", where), f"{where}.inputs", 2, MAX_INPUTS)
    w = int_list(field(o, "widths", where), f"{where}.widths", 1, 1 << 10, distinct=False)
    T = field(o, "templates", where, list)
    if not 1 <= len(T) <= MAX_TEMPLATES or any(not isinstance(t, list) for t in T):
        raise Malformed(f"{where}.templates: expected 1 to {MAX_TEMPLATES} points")
    D = len(T[0])
    if not 1 <= D <= MAX_DIM or any(len(t) != D for t in T):
        raise Malformed(f"{where}.templates: every point must have one dimension D (1 to {MAX_DIM})")
    a = {"family": fam, "N": N, "act": act, "pool": pool, "w": w, "D": D, "M": len(T),
         "biases": field(o, "biases", where, bool), "shared": field(o, "shared", where, bool), "tree": None,
         "templates": [[num(x, f"{where}.templates[{d}]") for x in t] for d, t in enumerate(T)]}
    need = {"relu-cp": 1, "relu-tt": N - 1}.get(fam)
    if fam == "relu-ht":
        a["tree"] = _tree(field(o, "tree", where), N, f"{where}.tree")
        need = _height(a["tree"])
    elif "tree" in o:
        raise Malformed(f"{where}.tree: only relu-ht has a pooling tree")
    if len(w) != need:
        raise Malformed(f"{where}.widths: {fam} with {N} inputs needs {need} widths, got {len(w)}")
    layout = _layout(a)
    flat = field(o, "entries", where, list)
    a["weights"] = None
    if flat:
        if len(flat) != sum(prod(s) for _, s, _ in layout):
            raise Malformed(f"{where}.entries: expected {sum(prod(s) for _, s, _ in layout)} weights, got {len(flat)}")
        W, pos = {}, 0
        for name, shape, _ in layout:
            W[name] = [num(x, f"{where}.entries[{pos + j}]") for j, x in enumerate(flat[pos:pos + prod(shape)])]
            pos += prod(shape)
        if a["shared"]:
            first: dict = {}
            for name, _, tie in layout:
                if tie is not None and W[first.setdefault(tie, name)] != W[name]:
                    raise CheckFailure(f"{where}: shared weights {first[tie]!r} and {name!r} differ")
        a["weights"] = W
    a["shapes"] = {name: shape for name, shape, _ in layout}
    a["group"] = {}
    seen: dict = {}
    for name, _, tie in layout:
        a["group"][name] = seen.setdefault(tie, name) if (a["shared"] and tie is not None) else name
    return {"type": "rectifier", **a}


OBJECT_TYPES["rectifier"] = _parse


def _same(a: dict, b: dict) -> bool:
    keys = ("family", "N", "act", "pool", "w", "biases", "shared", "tree", "templates")
    return all(a[k] == b[k] for k in keys)


def _describe(a: dict) -> str:
    return f"{a['family']}(N={a['N']}, M={a['M']}, {a['act']}/{a['pool']}, widths={a['w']})"


# ------------------------------------------------------------------ the checker's own forward pass
class _Eval:
    """Exact forward passes with local-polynomial keys: equal keys are equal polynomials near the point."""

    def __init__(self, a: dict):
        self.a, self.keys, self.least, self.cache = a, {}, None, {}
        self.order: dict = {}  # relu-ht: subtree -> (its preorder number, as in ``_layout``; its leaves)
        if a["family"] == "relu-ht":
            def walk(t):
                if not isinstance(t, int):
                    self.order[t] = (len(self.order), tuple(_leaves(t)))
                    walk(t[0])
                    walk(t[1])

            walk(a["tree"])

    def key(self, *parts):
        return self.keys.setdefault(parts, len(self.keys) + 1)

    def compare(self, gap):
        if gap == 0:
            raise _AtBreakpoint
        gap = -gap if gap < 0 else gap
        if self.least is None or gap < self.least:
            self.least = gap

    def sigma(self, v, k):
        act = self.a["act"]
        if act == "linear" or k == _ZERO:
            return v, k
        self.compare(v)
        if v > 0:
            return v, k
        return (0, _ZERO) if act == "relu" else (-v, self.key("neg", k))

    def pool(self, x, y):
        (v, k), (u, j) = x, y
        mode = self.a["pool"]
        if mode == "product":
            return v * u, (_ZERO if _ZERO in (k, j) else self.key("mul", k, j))
        if mode == "avg":
            return (v + u) * Fraction(1, 2), (_ZERO if k == j == _ZERO else self.key("avg", k, j))
        if k == j:
            return x
        self.compare(v - u)
        return x if v > u else y

    def linear(self, tag, rows, vals, bias):
        """y_o = sum_j rows[o][j] vals[j] (+ bias_o); identically zero when every input is and there is no bias."""
        ks = tuple(k for _, k in vals)
        zero = bias is None and all(k == _ZERO for k in ks)
        return [(sum(c * v for c, (v, _) in zip(r, vals)) + (0 if bias is None else bias[o]),
                 _ZERO if zero else self.key(tag, o, ks)) for o, r in enumerate(rows)]

    def conv_in(self, i, d, name, bname):
        """Pre-activations at input i reading template d: x^T A (+ b)."""
        if ("in", i, d) not in self.cache:
            a, x = self.a, self.a["templates"][d]
            A, width = a["weights"][name], a["shapes"][name][1]
            b = a["weights"][bname] if bname else None
            zero = b is None and not any(x)
            self.cache["in", i, d] = [(sum(A[j * width + c] * x[j] for j in range(a["D"])) + (b[c] if b else 0),
                                       _ZERO if zero else self.key("in", a["group"][name], c, d))
                                      for c in range(width)]
        return self.cache["in", i, d]

    def score(self, seq):
        f = self.a["family"]
        if f == "relu-cp":
            return self._cp(seq)
        if f == "relu-tt":
            return self._tt(tuple(seq))
        return self._node(self.a["tree"], seq)

    def keyed_score(self, seq):
        """(score, key) of a relu-ht network: equal keys are the same polynomial in the weights near the point."""
        v = self._node(self.a["tree"], seq)
        return v, self.cache["root key", ("node", 0, tuple(seq[i] for i in self.order[self.a["tree"]][1]))]

    def _cp(self, seq):
        a = self.a
        acc = None
        for i, d in enumerate(seq):
            acts = [self.sigma(*v) for v in self.conv_in(i, d, f"A{i}", f"b{i}" if a["biases"] else None)]
            if acc is None:
                acc = acts
            elif a["pool"] == "avg":
                acc = [(x[0] + y[0], _ZERO if x[1] == y[1] == _ZERO else self.key("sum", x[1], y[1]))
                       for x, y in zip(acc, acts)]
            else:
                acc = [self.pool(x, y) for x, y in zip(acc, acts)]
        div = a["N"] if a["pool"] == "avg" else 1
        return sum(Fraction(l) * v / div for l, (v, _) in zip(a["weights"]["lam"], acc))

    def _tt(self, prefix):
        if prefix in self.cache:
            return self.cache[prefix]
        a, t = self.a, len(prefix) - 1
        if t == 0:
            out = self.conv_in(0, prefix[0], "G0", "c0" if a["biases"] else None)
        else:
            h = self._tt(prefix[:-1])
            x = a["templates"][prefix[-1]]
            u = [self.sigma(v, _ZERO if v == 0 else self.key("const", v)) for v in x]
            xi = [self.pool(self.sigma(*h[al]), u[i]) for al in range(len(h)) for i in range(a["D"])]
            G = a["weights"][f"G{t}"]
            if t == a["N"] - 1:
                out = sum(g * v for g, (v, _) in zip(G, xi))  # the last core: r x D, C order
            else:
                r_out = a["shapes"][f"G{t}"][2]
                rows = [[G[q * r_out + o] for q in range(len(xi))] for o in range(r_out)]
                out = self.linear(("G", a["group"][f"G{t}"]), rows, xi, a["weights"][f"c{t}"] if a["biases"] else None)
        self.cache[prefix] = out
        return out

    def _node(self, t, seq):
        a = self.a
        if isinstance(t, int):
            return self.conv_in(t, seq[t], f"leaf{t}", f"bleaf{t}" if a["biases"] else None)
        k, leaves = self.order[t]
        ck = ("node", k, tuple(seq[i] for i in leaves))
        if ck in self.cache:  # a node's values depend on its own leaves' templates only
            return self.cache[ck]
        left = self._node(t[0], seq)
        right = self._node(t[1], seq)
        pooled = [self.pool(self.sigma(*x), self.sigma(*y)) for x, y in zip(left, right)]
        W, shape = a["weights"][f"n{k}"], a["shapes"][f"n{k}"]
        if len(shape) == 1:
            out = sum(c * v for c, (v, _) in zip(W, pooled))
            self.cache["root key", ck] = tuple(k for _, k in pooled)
        else:
            rows = [W[o * shape[1]:(o + 1) * shape[1]] for o in range(shape[0])]
            out = self.linear(("n", a["group"][f"n{k}"]), rows, pooled, a["weights"][f"bn{k}"] if a["biases"] else None)
        self.cache[ck] = out
        return out


# ------------------------------------------------------------------ rules
def _obj(ctx, name, where, weights: bool) -> dict:
    o = ctx.obj(name, where)
    if o["type"] != "rectifier":
        raise Malformed(f"{where}: {name!r} is a {o['type']}, not a rectifier")
    if weights and o["weights"] is None:
        raise Malformed(f"{where}: {name!r} has no weights (a point is needed)")
    return o


def _digits(index: int, M: int, k: int) -> list:
    out = []
    for _ in range(k):
        index, d = divmod(index, M)
        out.append(d)
    return out[::-1]


@rule("relu-rank-at-least")
def relu_rank_at_least(step: dict, ctx) -> list:
    """``relu-rank-at-least``: a minor of POINT's grid flattening is nonsingular, at no breakpoint.

    Step ``{"point": P, "rows": I, "modulus": p, "minor": {"rows", "cols"}, "rank": r,
    "margin": "q" or "none"}``. Row index a is the C-order multi-index (base M) of a template
    sequence on I, column b one on J. The checker runs its own exact forward pass on the r^2
    sequences, tracking each value's local polynomial, and requires that no ReLU/abs argument
    that is not identically zero is 0 and no max compares two different local polynomials of
    equal value; the least |difference| must equal ``margin``. It then hands the r x r scores to
    ``check_minor`` (det != 0 mod p, so det != 0 over Q). Why that proves the facts: the scores
    are grid entries, so rank [A]_{I,J} >= r at P; and with every comparison strict, each score
    is one polynomial in the weights near P, so the minor is a polynomial nonzero at P.
    Facts: ``rank-at-least`` r for ``{"rectifier": P, "rows": I, "field": "Q"}`` and
    ``breakpoint-free-rank-at-least`` r for ``{"rectifier": P, "rows": I}``.
    """
    name = field(step, "point", "step", str)
    a = _obj(ctx, name, "step.point", True)
    rows = _rows(step, a)
    cols = [k for k in range(a["N"]) if k not in rows]
    r = integer(field(step, "rank", "step"), "step.rank", 1)
    p = prime(field(step, "modulus", "step"), "step.modulus")
    M = a["M"]
    mr, mc = minor_hint(step, M ** len(rows), M ** len(cols), r)
    claimed = field(step, "margin", "step", str)
    ev = _Eval(a)
    entries = []
    try:
        for i in mr:
            di = _digits(i, M, len(rows))
            for j in mc:
                dj = _digits(j, M, len(cols))
                seq = [0] * a["N"]
                for q, k in enumerate(rows):
                    seq[k] = di[q]
                for q, k in enumerate(cols):
                    seq[k] = dj[q]
                entries.append(ev.score(seq))
    except _AtBreakpoint:
        raise CheckFailure(f"a forward pass of the minor of {_describe(a)} sits exactly at a breakpoint (a zero "
                           "pre-activation or a tie in a max): the minor need not be a polynomial near the point")
    have = "none" if ev.least is None else ev.least
    want = "none" if claimed == "none" else num(claimed, "step.margin")
    if have != want:
        raise CheckFailure(f"the least breakpoint margin is {have}, not {claimed}")
    check_minor(entries, r, p, f"of the grid flattening of {_describe(a)} (exact forward passes)")
    subject = {"rectifier": name, "rows": rows}
    return [("rank-at-least", {**subject, "field": "Q"}, r), ("breakpoint-free-rank-at-least", subject, r)]


@rule("relu-open-set-from-point")
def relu_open_set_from_point(step: dict, ctx) -> list:
    """``relu-open-set-from-point``: a breakpoint-free minor at POINT gives the rank on an open set of FAMILY.

    Step ``{"point": P, "family": F, "rows": I, "rank": r}``. P must be a point of F (same
    family, templates, activation, pooling, widths, biases and ties) with the fact
    ``breakpoint-free-rank-at-least`` r. Near P the minor is a polynomial in the weights,
    nonzero at P, hence nonzero on an open neighbourhood: a set of positive measure of F's weights
    (with the templates fixed). It is never a statement about almost every weight. Fact:
    ``open-set-rank-at-least`` r for ``{"rectifier": F, "rows": I}``.
    """
    pname, fname = field(step, "point", "step", str), field(step, "family", "step", str)
    P, F = _obj(ctx, pname, "step.point", True), _obj(ctx, fname, "step.family", False)
    if not _same(P, F):
        raise CheckFailure(f"the point {_describe(P)} is not a point of the family {_describe(F)}")
    rows = _rows(step, F)
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    ctx.require("breakpoint-free-rank-at-least", {"rectifier": pname, "rows": rows}, r, "step")
    return [("open-set-rank-at-least", {"rectifier": fname, "rows": rows}, r)]


def _bound(step, ctx, compute) -> list:
    name = field(step, "rectifier", "step", str)
    a = _obj(ctx, name, "step.rectifier", False)
    rows = _rows(step, a)
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    have = compute(a, rows, [k for k in range(a["N"]) if k not in rows])
    if have != value:
        raise CheckFailure(f"the bound for {_describe(a)} and I={rows} is {have}, not {value}")
    return [("everywhere-rank-at-most", {"rectifier": name, "rows": rows}, have)]


@rule("relu-shape-bound")
def relu_shape_bound(step: dict, ctx) -> list:
    """``relu-shape-bound``: rank [A]_{I,J} <= min(M^|I|, M^|J|), the smaller side, for every weight.

    Step ``{"rectifier": F, "rows": I, "rank": S}``. Fact: ``everywhere-rank-at-most`` S.
    """
    return _bound(step, ctx, lambda a, rows, cols: min(a["M"] ** len(rows), a["M"] ** len(cols)))


@rule("relu-shallow-bound")
def relu_shallow_bound(step: dict, ctx) -> list:
    """``relu-shallow-bound``: the rank of a shallow (relu-cp) network's flattening, for every weight.

    Step ``{"rectifier": F, "rows": I, "rank": B}``, F a relu-cp network with Z channels.
    score = sum_z lam_z P_i s_{z,i}(d_i). Product pooling: each term is a product of a function
    of d_I and one of d_J, so B = Z. Max pooling: term z is max(alpha_z(d_I), beta_z(d_J)), and
    alpha_z takes at most 1 + |I| M values (0 and the pre-activations s_{z,i}(d), i in I; with
    shared weights 1 + M); rows with equal alpha_z are equal, so the term has rank at most
    1 + min(|I|, |J|) M (1 + M shared), and B = Z times that. Average pooling has its own rule
    (``relu-additive-bound``). Fact: ``everywhere-rank-at-most`` B. The count is this project's
    (docs/rectifier.md, section 3), in the setting of Cohen & Shashua (ICML 2016).
    """
    def compute(a, rows, cols):
        if a["family"] != "relu-cp" or a["pool"] == "avg":
            raise Malformed("step: the shallow bound is for a relu-cp network with max or product pooling")
        Z = a["w"][0]
        if a["pool"] == "product":
            return Z
        return Z * (1 + (1 if a["shared"] else min(len(rows), len(cols))) * a["M"])

    return _bound(step, ctx, compute)


@rule("relu-additive-bound")
def relu_additive_bound(step: dict, ctx) -> list:
    """``relu-additive-bound``: with average pooling the score is f(x_I) + g(x_J) at the last pooling, rank <= 2.

    Step ``{"rectifier": F, "rows": I, "rank": 2}``, F average-pooled, and I one side of the last
    pooling: any I for relu-cp (the mean over all inputs of functions of one input each); the
    inputs of one child of the root for relu-ht (score = <w, (s(a) + s(b)) / 2> with a a function
    of one child's inputs, b of the other's); I = {N-1} or {0..N-2} for relu-tt (the last core
    reads (s(h_{N-1}[a]) + s(x_N[i])) / 2). Then [A]_{I,J} = f 1^T + 1 g^T has rank <= 2, for
    every weight and every width. Fact: ``everywhere-rank-at-most`` 2. Reference: Cohen & Shashua
    (ICML 2016), Sec. 5 (average pooling is not universal).
    """
    def compute(a, rows, cols):
        if a["pool"] != "avg":
            raise Malformed("step: the additive bound is for average pooling")
        if a["family"] == "relu-tt":
            ok = rows in ([a["N"] - 1], list(range(a["N"] - 1)))
        elif a["family"] == "relu-ht":
            ok = rows in (sorted(_leaves(a["tree"][0])), sorted(_leaves(a["tree"][1])))
        else:
            ok = True
        if not ok:
            raise Malformed(f"step.rows: {rows} is not one side of the last pooling of {_describe(a)}")
        return 2

    return _bound(step, ctx, compute)


#: Most digits of the common denominator of a shallow match's top weights (and of its channel values).
MAX_MATCH_DENOMINATOR_DIGITS = 300


def _lcm_of(values, what: str) -> int:
    """The lcm of the denominators of ``values``; Malformed past :data:`MAX_MATCH_DENOMINATOR_DIGITS` digits
    (the exact sums that follow would otherwise grow without bound)."""
    from math import lcm

    L, cap = 1, 10 ** MAX_MATCH_DENOMINATOR_DIGITS
    for x in values:
        L = lcm(L, Fraction(x).denominator)
        if L > cap:
            raise Malformed(f"step: the denominators of {what} have a common multiple of more than "
                            f"{MAX_MATCH_DENOMINATOR_DIGITS} digits")
    return L


@rule("relu-shallow-match")
def relu_shallow_match(step: dict, ctx) -> list:
    """``relu-shallow-match``: on an open set of a deep network's weights, a shallow network realizes it exactly.

    Step ``{"point": P, "family": F, "shallow": Q, "inputs": S, "modulus": p, "columns": [...],
    "margin": "q" or "none"}``. P is a point of F, a relu-ht network with ReLU and max pooling;
    Q is a point of a relu-cp network with ReLU and max pooling, the same inputs and templates,
    and Z channels. The checker verifies:

    1. *The deep network depends on S alone near P.* Its own forward pass on all M^N template
       sequences, tracking local polynomials: no comparison at a breakpoint (the least margin
       must equal ``margin``), and sequences that agree on S give the root's pooled vector the
       same key. Near P each grid entry is the polynomial its key names, so on an open set U
       of F's weights A_W(d) = g_W(d_S) for every W in U.
    2. *Q's channels are functions of d_S that span them all.* For i outside S every
       pre-activation of Q at every template is <= 0, so its ReLU is 0 and leaves the max of
       ReLU values unchanged: channel z is R_z(d_S) = max_{i in S} relu(pre_{z,i}(d_i)). The
       M^|S| x M^|S| submatrix of R on ``columns`` is nonsingular (det != 0 mod p), so every
       function g of d_S is sum_z lam_z R_z for some top weights lam.
    3. *The match at P*: for every sequence, P's score equals Q's, sum_z lam_z R_z(d_S), exactly.

    By 1 and 2, for every W in U the network Q with its top weights lam replaced realizes A_W:
    F is realized by Z channels on a set of positive measure (1-3 are this project's argument,
    docs/rectifier.md section 4, in the setting of Cohen & Shashua, ICML 2016). Fact:
    ``open-set-shallow-match`` Z for ``{"rectifier": F, "shallow": Q}``.
    """
    from itertools import product

    pname, fname, qname = (field(step, k, "step", str) for k in ("point", "family", "shallow"))
    P, F, Q = _obj(ctx, pname, "step.point", True), _obj(ctx, fname, "step.family", False), \
        _obj(ctx, qname, "step.shallow", True)
    if not _same(P, F):
        raise CheckFailure(f"the point {_describe(P)} is not a point of the family {_describe(F)}")
    if F["family"] != "relu-ht" or F["act"] != "relu" or F["pool"] != "max":
        raise Malformed(f"step.family: a shallow match is about a relu-ht network with ReLU and max pooling, got "
                        f"{_describe(F)}")
    if Q["family"] != "relu-cp" or Q["act"] != "relu" or Q["pool"] != "max" or Q["N"] != F["N"] \
            or Q["templates"] != F["templates"]:
        raise Malformed(f"step.shallow: expected a relu-cp network with ReLU and max pooling on the family's "
                        f"{F['N']} inputs and templates, got {_describe(Q)}")
    N, M, Z = F["N"], F["M"], Q["w"][0]
    S = sorted(int_list(field(step, "inputs", "step"), "step.inputs", 0, N - 1))
    if not S:
        raise Malformed("step.inputs: expected a nonempty subset of the inputs")
    if M ** N > MAX_MATCH_SEQUENCES:
        raise Malformed(f"step: a match evaluates all M^N = {M ** N} sequences; at most {MAX_MATCH_SEQUENCES}")
    nodes = []

    def walk(t):
        if not isinstance(t, int):
            nodes.append(len(_leaves(t)))
            walk(t[0])
            walk(t[1])

    walk(F["tree"])
    wide = max(F["w"])
    work = (sum(M ** k for k in nodes) * (wide * wide + 4 * wide) + N * M * F["D"] * wide
            + N * Z * M * Q["D"] + M ** N + M ** len(S) * Z * len(S))
    if work > MAX_MATCH_WORK:
        raise Malformed(f"step: a match of {_describe(F)} with {Z} shallow channels needs about {work:.1e} "
                        f"operations; at most {MAX_MATCH_WORK:.0e}")
    Wq, D = Q["weights"], Q["D"]
    shallow_pre = {(i, z, d): sum(Wq[f"A{i}"][j * Z + z] * Q["templates"][d][j] for j in range(D))
                   + (Wq[f"b{i}"][z] if Q["biases"] else 0) for i in range(N) for z in range(Z) for d in range(M)}
    Ll = _lcm_of(Wq["lam"], "the shallow network's top weights")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    n = M ** len(S)
    cols = int_list(field(step, "columns", "step"), "step.columns", 0, Z - 1)
    if len(cols) != n:
        raise Malformed(f"step.columns: expected {n} channels (M^|S|), got {len(cols)}")
    claimed = field(step, "margin", "step", str)
    ev, key_of, score = _Eval(P), {}, {}
    try:
        for seq in product(range(M), repeat=N):
            v, k = ev.keyed_score(list(seq))
            t = tuple(seq[i] for i in S)
            if key_of.setdefault(t, k) != k:
                raise CheckFailure(f"near the point, the score of {_describe(P)} at {list(seq)} is not the "
                                   f"polynomial of the sequences that agree with it on S={S}: it may depend on "
                                   "other inputs")
            score[seq] = v
    except _AtBreakpoint:
        raise CheckFailure(f"a forward pass of {_describe(P)} sits exactly at a breakpoint (a zero pre-activation "
                           "or a tie in a max): the scores need not be polynomials near the point")
    have = "none" if ev.least is None else ev.least
    if have != ("none" if claimed == "none" else num(claimed, "step.margin")):
        raise CheckFailure(f"the least breakpoint margin is {have}, not {claimed}")
    for i in range(N):
        if i not in S:
            for z in range(Z):
                for d in range(M):
                    if shallow_pre[i, z, d] > 0:
                        raise CheckFailure(f"channel {z} of the shallow network is active at input {i} (outside "
                                           f"S={S}) on template {d}: it may depend on that input")
    R = {t: [max([0] + [max(shallow_pre[i, z, t[q]], 0) for q, i in enumerate(S)]) for z in range(Z)]
         for t in product(range(M), repeat=len(S))}
    check_minor([[R[t][c] for c in cols] for t in product(range(M), repeat=len(S))], n, p,
                f"of the shallow network's channels as functions of the inputs S={S}")
    # the shallow score of each t, in integers: lam * L and R * L2 (L, L2 the lcms of their denominators)
    Lr = _lcm_of((x for row in R.values() for x in row), "the shallow network's channel values")
    lam_int = [int(Fraction(x) * Ll) for x in Wq["lam"]]
    shallow = {t: sum(l * int(r * Lr) for l, r in zip(lam_int, row) if r) for t, row in R.items()}
    scale = Ll * Lr
    for seq, v in score.items():
        if v * scale != shallow[tuple(seq[i] for i in S)]:
            raise CheckFailure(f"at {list(seq)} the deep score {v} is not the shallow network's")
    return [("open-set-shallow-match", {"rectifier": fname, "shallow": qname}, Z)]
