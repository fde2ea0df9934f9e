"""Rules about architectures: claims bound to the architecture's own function.

An expressivity claim is about the *grid tensor* of an architecture,
A[d_1..d_N] = score(e_{d_1}, ..., e_{d_N}), where score is the network's output and e_d are
one-hot template representations. The certificate names the family and its hyper-parameters;
the checker rebuilds everything else itself (:mod:`.architecture_eval`):

* the entries of a lower-bound minor are forward-pass values that the checker computes from
  the papers' equations (one small evaluator per family), at the weights the certificate gives
  in the architecture's own parametrisation; the minor then goes to ``check_minor``;
* an upper bound is about a tensor network that the checker builds from the hyper-parameters,
  or a count it recomputes.

A certificate never hands the checker the object that its claim is about.

Object type ``architecture``::

    {"type": "architecture", "family": "cp"|"tucker"|"tt"|"tr"|"ht"|"convac"|"rac",
     "inputs": N, "features": [M_1..M_N], "widths": [...], "shared": bool,
     "tree": "((0,1),(2,3))" (ht, convac), "depth": L (rac),
     "field": [r_l], "stride": [s_l] (overlap), "dilations": [d_l] (dilated, mixed),
     "dilations_b": [d_l], "mix": [l, ...] (mixed: branch B's order, the interconnection layers),
     "weights": {NAME: [flat C-order integers], ...} (a point; absent for the family)}

Rules: ``grid-rank-at-least``, ``grid-rank-product``, ``grid-generic-from-point``, ``grid-cut-bound``,
``grid-boundary-bound``, ``grid-frontier-bound``, ``grid-span-bound``, ``grid-symmetric-bound``,
``grid-shape-bound`` (each function's docstring says what it checks and why that proves its fact).
"""
from __future__ import annotations

import json
from math import comb, prod

from tnverify.checker.kernel import (
    CheckFailure, Malformed, OBJECT_TYPES, check_minor, field, int_list, integer, minor_hint, one_hot, prime, rule,
    show,
)
from tnverify.checker.families.architecture_eval import (
    _height, _leaves_of, _network, _tree_walk, factor_minor, grid_minor,
)
from tnverify.checker.conv_eval import conv_units, conv_width, frontier_count, span_count
from tnverify.checker.families.network import crossing_value

#: Most inputs / layers an architecture object may have here.
MAX_INPUTS = 256
MAX_DEPTH = 8
FAMILIES = ("cp", "tucker", "tt", "tr", "ht", "convac", "rac", "overlap", "dilated", "mixed")
_CONV = ("overlap", "dilated", "mixed")
_KEYS = {"type", "family", "inputs", "features", "widths", "shared", "tree", "depth", "weights", "field", "stride",
         "dilations", "dilations_b", "mix"}


# ------------------------------------------------------------------ parsing
def _tree(s, N, where):
    if not isinstance(s, str) or len(s) > 20 * N + 20:
        raise Malformed(f"{where}: expected a tree string like ((0,1),(2,3))")
    try:
        t = json.loads(s.replace("(", "[").replace(")", "]"))
    except (json.JSONDecodeError, RecursionError):
        raise Malformed(f"{where}: expected a tree string like ((0,1),(2,3)), got {show(s)}") from None
    seen = []

    def norm(x):
        if isinstance(x, bool):
            raise Malformed(f"{where}: a leaf must be an input index")
        if isinstance(x, int):
            seen.append(x)
            return x
        if isinstance(x, list) and len(x) == 2:
            return (norm(x[0]), norm(x[1]))
        raise Malformed(f"{where}: expected a binary tree of input indices")

    t = norm(t)
    if isinstance(t, int) or sorted(seen) != list(range(N)):
        raise Malformed(f"{where}: the tree must cover the inputs 0..{N - 1} exactly once")
    return t



def _parse_arch(o: dict, where: str) -> dict:
    extra = set(o) - _KEYS
    if extra:
        raise Malformed(f"{where}: unknown keys {sorted(extra)} in an architecture")
    fam = field(o, "family", where, str)
    if fam not in FAMILIES:
        raise Malformed(f"{where}.family: expected one of {', '.join(FAMILIES)}, got {show(fam)}")
    N = integer(field(o, "inputs", where), f"{where}.inputs", 2, MAX_INPUTS)
    M = int_list(field(o, "features", where), f"{where}.features", 1, 1 << 16, distinct=False)
    w = int_list(field(o, "widths", where), f"{where}.widths", 1, 1 << 16, distinct=False)
    shared = field(o, "shared", where, bool)
    if len(M) != N:
        raise Malformed(f"{where}.features: expected {N} template counts, got {len(M)}")
    a = {"family": fam, "N": N, "M": M, "w": w, "shared": shared, "tree": None, "L": 1}
    need = {"cp": 1, "tucker": N, "tt": N - 1, "tr": N}.get(fam)
    if fam in ("ht", "convac"):
        a["tree"] = _tree(field(o, "tree", where), N, f"{where}.tree")
        need = _height(a["tree"])
    elif "tree" in o:
        raise Malformed(f"{where}.tree: only ht and convac have a pooling tree")
    if fam == "rac":
        a["L"] = need = integer(field(o, "depth", where), f"{where}.depth", 1, MAX_DEPTH)
        if len(set(M)) != 1:
            raise Malformed(f"{where}.features: a RAC reads the same templates at every time step")
    elif "depth" in o:
        raise Malformed(f"{where}.depth: only rac has a depth")
    a["field"] = a["stride"] = a["dilations"] = a["dilations_b"] = a["mix"] = None
    if fam in _CONV:
        need = _conv_params(o, a, where)
    elif {"field", "stride", "dilations", "dilations_b", "mix"} & set(o):
        raise Malformed(f"{where}: field and stride are for overlap, dilations for dilated and mixed")
    if len(w) != need:
        raise Malformed(f"{where}.widths: {fam} with these inputs needs {need} widths, got {len(w)}")
    a["shapes"] = _shapes(a)
    a["ties"] = _ties(a)
    a["weights"] = None
    if "weights" in o:
        W = field(o, "weights", where, dict)
        if set(W) != set(a["shapes"]):
            raise Malformed(f"{where}.weights: expected the weights {sorted(a['shapes'])}, got {sorted(W)[:20]}")
        a["weights"] = {}
        for name, shape in a["shapes"].items():
            flat = W[name]
            if not isinstance(flat, list) or len(flat) != prod(shape):
                raise Malformed(f"{where}.weights.{name}: expected {prod(shape)} integers (shape {shape})")
            a["weights"][name] = [integer(x, f"{where}.weights.{name}") for x in flat]
        for g in a["ties"]:
            for n in g[1:]:
                if a["weights"][n] != a["weights"][g[0]]:
                    raise CheckFailure(f"{where}: shared weights {g[0]!r} and {n!r} differ")
    return {"type": "architecture", **a}


OBJECT_TYPES["architecture"] = _parse_arch


def _same_arch(a: dict, b: dict) -> bool:
    return all(a[k] == b[k] for k in ("family", "N", "M", "w", "shared", "tree", "L", "field", "stride", "dilations",
                                      "dilations_b", "mix"))


def describe(a: dict) -> str:
    """The architecture in one line, as verdict messages name it."""
    s = f"{a['family']}(N={a['N']}, M={a['M'] if len(set(a['M'])) > 1 else a['M'][0]}, widths={a['w']}"
    if a["tree"] is not None:
        s += f", tree={a['tree']}"
    if a["family"] == "rac":
        s += f", depth={a['L']}"
    if a["family"] == "overlap":
        s += f", field={a['field']}, stride={a['stride']}"
    if a["family"] in ("dilated", "mixed"):
        s += f", dilations={a['dilations']}"
    if a["family"] == "mixed":
        s += f", dilations_b={a['dilations_b']}, mix={a['mix']}"
    return s + (", shared)" if a["shared"] else ")")


# ------------------------------------------------------------ weights, ties

def _conv_params(o: dict, a: dict, where: str) -> int:
    """Parse overlap's field/stride or the dilations (and mixed's order B and layers) into ``a``; returns L."""
    N = a["N"]
    if a["family"] != "mixed" and {"dilations_b", "mix"} & set(o):
        raise Malformed(f"{where}: dilations_b and mix are for mixed networks")
    if a["family"] == "overlap":
        if "dilations" in o:
            raise Malformed(f"{where}.dilations: only dilated and mixed have dilations")
        r = int_list(field(o, "field", where), f"{where}.field", 1, N, distinct=False)
        s = int_list(field(o, "stride", where), f"{where}.stride", 1, N, distinct=False)
        if len(r) != len(s) or len(r) > MAX_INPUTS:
            raise Malformed(f"{where}.stride: expected one stride per receptive field ({len(r)}), got {len(s)}")
        n = N
        for rl, sl in zip(r, s):
            if rl < sl or n < rl or (n - rl) % sl:
                raise Malformed(f"{where}.field: receptive field {rl} and stride {sl} do not tile {n} positions")
            n = (n - rl) // sl + 1
        if n != 1:
            raise Malformed(f"{where}.field: the last layer must have one position, got {n}")
        a["field"], a["stride"] = r, s
        return len(r)
    if {"field", "stride"} & set(o):
        raise Malformed(f"{where}: field and stride are for overlap")
    d = int_list(field(o, "dilations", where), f"{where}.dilations", 1, N, distinct=True)
    if N & (N - 1) or sorted(d) != [1 << l for l in range(N.bit_length() - 1)]:
        raise Malformed(f"{where}.dilations: expected an order of 1, 2, ..., N/2 with N a power of 2, got {d}")
    a["dilations"] = d
    if a["family"] == "mixed":
        db = int_list(field(o, "dilations_b", where), f"{where}.dilations_b", 1, N, distinct=True)
        if sorted(db) != sorted(d) or len(d) < 2:
            raise Malformed(f"{where}.dilations_b: expected another order of {sorted(d)} (at least 2 layers), got {db}")
        mix = int_list(field(o, "mix", where), f"{where}.mix", 1, len(d) - 1)
        if mix != sorted(mix):
            raise Malformed(f"{where}.mix: expected increasing layers, got {mix}")
        for l in mix:  # the units joined at layer l must read the same inputs: t - subset sums of d_1..d_l
            if set(d[:l]) != set(db[:l]):
                raise Malformed(f"{where}.mix: layer {l} joins units that read different inputs "
                                f"(dilations {d[:l]} against {db[:l]})")
        a["dilations_b"], a["mix"] = db, mix
    return len(d)


def _shapes(a) -> dict:
    f, N, M, w = a["family"], a["N"], a["M"], a["w"]
    if f in _CONV:
        units, top = conv_units(a)
        s = {name: [wd, conv_width(a, units, c)] for u, (wd, kids) in units.items() for c, name in kids if name}
        s["w"] = [units[top][0]]
        return s
    if f == "cp":
        return {"lam": [w[0]], **{f"A{i}": [M[i], w[0]] for i in range(N)}}
    if f == "tucker":
        return {"G": list(w), **{f"U{i}": [M[i], w[i]] for i in range(N)}}
    if f == "tt":
        s = {"G0": [M[0], w[0]], f"G{N - 1}": [w[N - 2], M[N - 1]]}
        s.update({f"G{k}": [w[k - 1], M[k], w[k]] for k in range(1, N - 1)})
        return s
    if f == "tr":
        return {f"G{k}": [w[(k - 1) % N], M[k], w[k]] for k in range(N)}
    if f == "rac":
        s = {"w": [w[-1]]}
        for l in range(a["L"]):
            for t in range(N):
                s[f"WI{l}_{t}"] = [w[l], M[0] if l == 0 else w[l - 1]]
                if t:
                    s[f"WH{l}_{t}"] = [w[l], w[l]]
        return s
    nodes, leaves = _tree_walk(a["tree"])
    s = {f"leaf{i}": [M[i], w[ph - 1]] for i, ph in leaves}
    for k, _, h, ph in nodes:
        if f == "convac":
            s[f"n{k}"] = [w[ph - 1], w[h - 1]] if ph else [w[h - 1]]
        else:
            s[f"n{k}"] = [w[h - 1], w[h - 1], w[ph - 1]] if ph else [w[h - 1], w[h - 1]]
    return s


def _ties(a) -> list:
    if not a["shared"]:
        return []
    f, N = a["family"], a["N"]
    if f == "cp":
        g = [[f"A{i}" for i in range(N)]]
    elif f == "tt":
        g = [[f"G{k}" for k in range(1, N - 1)]]
    elif f == "tr":
        g = [[f"G{k}" for k in range(N)]]
    elif f == "rac":
        g = [[f"{m}{l}_{t}" for t in range(N) if m == "WI" or t] for l in range(a["L"]) for m in ("WI", "WH")]
    elif f in _CONV:
        by = {}
        for n in a["shapes"]:
            if n != "w":
                layer, _, tap = n[1:].split("_")
                by.setdefault((n[0], layer, tap), []).append(n)
        g = list(by.values())
    elif f in ("ht", "convac"):
        nodes, _ = _tree_walk(a["tree"])
        by: dict = {}
        for k, _, h, ph in nodes:
            by.setdefault(("n", h, tuple(a["shapes"][f"n{k}"]), ph == 0), []).append(f"n{k}")
        for i in range(N):
            by.setdefault(("leaf", tuple(a["shapes"][f"leaf{i}"])), []).append(f"leaf{i}")
        g = list(by.values())
    else:
        g = []
    return [x for x in g if len(x) > 1]



# ------------------------------------------------------------------ rules
def _arch(ctx, name, where, weights: bool) -> dict:
    o = ctx.obj(name, where)
    if o["type"] != "architecture":
        raise Malformed(f"{where}: {name!r} is a {o['type']}, not an architecture")
    if weights and o["weights"] is None:
        raise Malformed(f"{where}: {name!r} has no weights (a point is needed)")
    return o


def _rows(step, a) -> list:
    N = a["N"]
    rows = int_list(field(step, "rows", "step"), "step.rows", 0, N - 1)
    if not rows or len(rows) == N or rows != sorted(rows):
        raise Malformed("step.rows: expected increasing inputs, both sides nonempty")
    return rows


class _Templates:
    """The one-hot templates e_0, ..., e_{M-1} of one input, each built when read (never M^2 integers at once)."""

    def __init__(self, M: int):
        self.M = M

    def __len__(self) -> int:
        return self.M

    def __getitem__(self, d: int) -> list:
        if not 0 <= d < self.M:
            raise IndexError(d)
        return one_hot(d, self.M)


def _vectors(step, a, p) -> list:
    N, M = a["N"], a["M"]
    if "vectors" not in step:
        return [_Templates(M[k]) for k in range(N)]
    if a["family"] == "overlap" and a["field"] != a["stride"]:
        raise Malformed("step.vectors: an overlapping ConvAC is not multilinear in its inputs; its grid minor must "
                        "read the templates (omit 'vectors')")
    if a["family"] == "rac" and a["L"] >= 2:
        raise Malformed("step.vectors: a deep RAC is not multilinear in its inputs; its grid minor must "
                        "read the templates (omit 'vectors')")
    V = field(step, "vectors", "step", list)
    if len(V) != N:
        raise Malformed(f"step.vectors: expected one list of vectors per input ({N}), got {len(V)}")
    out = []
    for k, vs in enumerate(V):
        if not isinstance(vs, list) or not vs or any(not isinstance(v, list) or len(v) != M[k] for v in vs):
            raise Malformed(f"step.vectors[{k}]: expected a nonempty list of vectors of length {M[k]}")
        out.append([[integer(x, f"step.vectors[{k}]") % p for x in v] for v in vs])
    return out


@rule("grid-rank-at-least")
def grid_rank_at_least(step: dict, ctx) -> list:
    """``grid-rank-at-least``: a hinted minor of POINT's grid flattening, by forward passes, is nonsingular.

    Step ``{"grid": POINT, "rows": I, "modulus": p, "minor": {"rows", "cols"}, "rank": r,
    "vectors": [[v, ...] per input] (optional)}``. The matrix is the flattening [A]_{I,J} of the
    grid tensor at POINT's weights, or, with ``vectors``, its sketch
    (kron_I S_i) [A]_{I,J} (kron_J S_j)^T, whose entries are the scores on the given input
    vectors (only for families multilinear in their inputs; a deep RAC must use the templates).
    Row index a is the C-order multi-index over I of the choices (template, or vector number).
    :func:`grid_minor` computes the r x r entries mod p; ``check_minor`` requires det != 0 mod p.
    The entries are the grid tensor's own values (or a product of matrices with [A]_{I,J}), so
    rank [A]_{I,J} >= r (docs/grid_tensors.md, section 5). Facts: ``rank-at-least`` r for
    ``{"grid": POINT, "rows": I}`` (Q, GF(p)). Cost: that of :func:`grid_minor`, then one r x r
    determinant mod p.
    """
    name = field(step, "grid", "step", str)
    a = _arch(ctx, name, "step.grid", True)
    rows = _rows(step, a)
    cols = [k for k in range(a["N"]) if k not in rows]
    r = integer(field(step, "rank", "step"), "step.rank", 1)
    p = prime(field(step, "modulus", "step"), "step.modulus")
    vecs = _vectors(step, a, p)
    m = prod(len(vecs[k]) for k in rows)
    n = prod(len(vecs[k]) for k in cols)
    mr, mc = minor_hint(step, m, n, r)
    pw = {k: [x % p for x in v] for k, v in a["weights"].items()}
    entries = grid_minor({**a, "weights": pw}, rows, vecs, mr, mc, p)
    check_minor(entries, r, p, f"of the grid flattening of {describe(a)} (forward-pass values)", residues=True)
    subject = {"grid": name, "rows": rows}
    return [("rank-at-least", {**subject, "field": "Q"}, r), ("rank-at-least", {**subject, "field": f"GF({p})"}, r)]


def _node_of(a: dict, leaves, where: str):
    """The tree node (or leaf) whose inputs are exactly ``leaves``."""
    want = sorted(leaves)
    stack = [a["tree"]]
    while stack:
        nd = stack.pop()
        if sorted(_leaves_of(nd)) == want:
            return nd
        if not isinstance(nd, int):
            stack.extend(nd)
    raise Malformed(f"{where}: inputs {show(want)} are not the inputs of one node of the tree")


def _passes_channel_zero(a: dict, k: int, root: bool) -> bool:
    """Node n{k}'s integer weights make its channel 0 (the root: its value) the product of its children's channel 0."""
    B, s = a["weights"][f"n{k}"], a["shapes"][f"n{k}"]
    if a["family"] == "convac":
        row = B if root else B[:s[1]]  # convac: (out, in) C-order, row 0 first
        return row == [1] + [0] * (len(row) - 1)
    if root:
        return B == [1] + [0] * (len(B) - 1)
    out = s[2]  # ht: (i, j, c) C-order; B[i, j, 0] = [i = j = 0]
    return all(B[q * out] == int(q == 0) for q in range(s[0] * s[1]))


@rule("grid-rank-product")
def grid_rank_product(step: dict, ctx) -> list:
    """``grid-rank-product``: at a product point the grid flattening is a Kronecker product; its rank multiplies.

    Step ``{"grid": POINT, "rows": I, "modulus": p, "rank": R, "separators": [{"inputs": [...],
    "minor": {"rows", "cols"}, "rank": r_s}, ...]}`` for a tree family (ht, convac). The
    separators' input sets must be those of tree nodes and partition 0..N-1 (so the nodes form
    an antichain that covers every input). The checker verifies, on POINT's integer weights,
    that every node above the separators passes on the product of its children's channel 0
    (convac: row 0 of the conv is e_0, the root's vector e_0; ht: B[:, :, 0] = E_00, the
    root's B = E_00). Then, as polynomials over Z, score = prod_s T_s with T_s channel 0 of
    node s, a function of the node's own inputs, so [A]_{I,J} is the Kronecker product of the
    [T_s]_{I cap s, J cap s} up to the order of rows and columns, and its rank over Q (and over
    GF(p)) is the product of theirs. Each factor's hinted r_s x r_s minor is computed by the
    checker's forward pass of the sub-tree (:func:`factor_minor`) and goes to ``check_minor``.
    R = prod r_s. Facts: ``rank-at-least`` R for ``{"grid": POINT, "rows": I}`` (Q, GF(p)).
    Reference: the product weights of Cohen, Sharir & Shashua, COLT 2016, proof of Thm. 1;
    docs/grid_tensors.md, section 5, "Tree families: a product point". Cost: per separator,
    r_s^2 forward passes of its sub-tree (:func:`factor_minor`) and an r_s x r_s determinant.
    """
    name = field(step, "grid", "step", str)
    a = _arch(ctx, name, "step.grid", True)
    if a["family"] not in ("ht", "convac"):
        raise Malformed(f"step.grid: a product point needs a tree family (ht, convac), got {a['family']}")
    rows = _rows(step, a)
    R = integer(field(step, "rank", "step"), "step.rank", 1)
    p = prime(field(step, "modulus", "step"), "step.modulus")
    seps = field(step, "separators", "step", list)
    if not seps or len(seps) > a["N"]:
        raise Malformed(f"step.separators: expected 1 to {a['N']} separators, got {len(seps)}")
    nodes, covered, ranks = [], [], []
    for q, sep in enumerate(seps):
        where = f"step.separators[{q}]"
        if not isinstance(sep, dict) or set(sep) != {"inputs", "minor", "rank"}:
            raise Malformed(f"{where}: expected an object with keys inputs, minor, rank")
        ins = int_list(sep["inputs"], f"{where}.inputs", 0, a["N"] - 1)
        nodes.append(_node_of(a, ins, f"{where}.inputs"))
        covered += ins
        ranks.append(integer(sep["rank"], f"{where}.rank", 1))
    if sorted(covered) != list(range(a["N"])):
        raise Malformed("step.separators: the separators' inputs must partition the inputs 0..N-1")
    if prod(ranks) != R:
        raise CheckFailure(f"the factors' ranks multiply to {prod(ranks)}, not {R}")
    inside = set()
    for nd in nodes:
        if not isinstance(nd, int):
            inside.update(x for _, x, _, _ in _tree_walk(nd)[0])
    for k, nd, _, ph in _tree_walk(a["tree"])[0]:
        if nd not in inside and not _passes_channel_zero(a, k, ph == 0):
            raise CheckFailure(f"node n{k} lies above the separators but its weights do not pass on the product "
                               "of its children's channel 0")
    pw = {k: [x % p for x in v] for k, v in a["weights"].items()}
    ap = {**a, "weights": pw}
    for q, (nd, r) in enumerate(zip(nodes, ranks)):
        ins = list(_leaves_of(nd))
        m = prod(a["M"][k] for k in ins if k in rows)
        n = prod(a["M"][k] for k in ins if k not in rows)
        mr, mc = minor_hint(seps[q], m, n, r, f"step.separators[{q}]")
        check_minor(factor_minor(ap, nd, rows, mr, mc, p), r, p,
                    f"of factor {q} (inputs {show(sorted(ins))}) of {describe(a)}", residues=True)
    subject = {"grid": name, "rows": rows}
    return [("rank-at-least", {**subject, "field": "Q"}, R), ("rank-at-least", {**subject, "field": f"GF({p})"}, R)]


@rule("grid-generic-from-point")
def grid_generic_from_point(step: dict, ctx) -> list:
    """``grid-generic-from-point``: lifts a point's grid rank to generic weights of its family.

    Step ``{"point": POINT, "family": FAMILY, "rows": I, "rank": r}``. POINT and FAMILY must be
    the same architecture, and POINT's ``rank-at-least`` r must be derived. The grid entries
    are polynomials in the weights (every family here), so the minor is a polynomial nonzero
    at POINT, hence nonzero on a dense Zariski-open set (ties were checked when POINT was
    parsed: it lies in the family's parameter space). Fact: ``generic-rank-at-least`` r for
    ``{"architecture": FAMILY, "rows": I}``.
    """
    pname = field(step, "point", "step", str)
    fname = field(step, "family", "step", str)
    P = _arch(ctx, pname, "step.point", True)
    F = _arch(ctx, fname, "step.family", False)
    if not _same_arch(P, F):
        raise CheckFailure(f"the point {describe(P)} is not a point of the family {describe(F)}")
    rows = _rows(step, F)
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    ctx.require("rank-at-least", {"grid": pname, "rows": rows, "field": "Q"}, r, "step")
    return [("generic-rank-at-least", {"architecture": fname, "rows": rows}, r)]


@rule("grid-cut-bound")
def grid_cut_bound(step: dict, ctx) -> list:
    """``grid-cut-bound``: a cut of the family's own grid-tensor network bounds the rank for every weight.

    Step ``{"architecture": FAMILY, "rows": I, "side": [cores], "cut": [labels], "rank": P}``.
    The checker builds the network itself (:func:`_network`), recomputes the crossing labels
    (``crossing_value``) and requires P = the product of their dimensions. The contraction is
    the grid tensor for every weight; summing over the crossing labels writes [A]_{I,J} as a sum
    of P products of a function of I and one of J (Levine, Yakira, Cohen, Shashua, ICLR 2018;
    docs/grid_tensors.md, section 5, "Upper bounds"). Fact: ``generic-rank-at-most`` P.
    """
    name = field(step, "architecture", "step", str)
    a = _arch(ctx, name, "step.architecture", False)
    rows = _rows(step, a)
    net = _network(a)
    side = field(step, "side", "step", list)
    if any(n not in net["names"] for n in side) or len(set(side)) != len(side):
        raise Malformed("step.side: expected distinct core names of the architecture's network")
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    P = crossing_value(net, rows, side, field(step, "cut", "step", list))
    if P != value:
        raise CheckFailure(f"the cut's dimensions multiply to {P}, not {value}")
    return [("generic-rank-at-most", {"architecture": name, "rows": rows}, P)]


def start_block(rows: list, N: int) -> int | None:
    """k when {rows, the rest} is the Start-End partition {0..k-1} | {k..N-1} (either side as rows), else None."""
    k = len(rows)
    if rows == list(range(k)):
        return k
    if rows == list(range(N - k, N)):
        return N - k  # the rank of a flattening is that of its transpose
    return None


def boundary_count(a: dict, k: int) -> int:
    """Monomials in the boundary states h^{1,k}..h^{L,k} of a RAC for the partition {0..k-1} | {k..T-1}.

    prod_j C(R_j + D_j - 1, D_j) with D = D_L(T), D_l(k) = e_l, D_0 = 0,
    D_l(t) = D_l(t-1) + D_{l-1}(t) (docs/grid_tensors.md, section 5). Cost O((T - k) L^2).
    """
    L = a["L"]
    D = [[int(j == l) for j in range(L)] for l in range(L)]
    for _ in range(k, a["N"]):
        new = []
        for l in range(L):
            below = new[l - 1] if l else [0] * L
            new.append([D[l][j] + below[j] for j in range(L)])
        D = new
    return prod(comb(a["w"][j] + D[L - 1][j] - 1, D[L - 1][j]) for j in range(L))


@rule("grid-boundary-bound")
def grid_boundary_bound(step: dict, ctx) -> list:
    """``grid-boundary-bound``: the RAC boundary-state count bounds a Start-End flattening.

    Step ``{"architecture": FAMILY, "rows": [0..k-1] or [k..T-1], "rank": B}``, FAMILY a RAC. The end half
    reads the start half only through the boundary states h^{1,k}..h^{L,k}, so the score is a
    sum of B monomials in them (:func:`boundary_count`; docs/grid_tensors.md, section 5), each a
    function of the start times a function of the end. Fact: ``generic-rank-at-most`` B.
    """
    name = field(step, "architecture", "step", str)
    a = _arch(ctx, name, "step.architecture", False)
    rows = _rows(step, a)
    k = start_block(rows, a["N"])
    if a["family"] != "rac" or k is None:
        raise Malformed("step: the boundary-state bound is for a RAC and a Start-End partition {0..k-1} | {k..T-1}")
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    B = boundary_count(a, k)
    if B != value:
        raise CheckFailure(f"the boundary states of {describe(a)} give {B} monomials, not {value}")
    return [("generic-rank-at-most", {"architecture": name, "rows": rows}, B)]


@rule("grid-frontier-bound")
def grid_frontier_bound(step: dict, ctx) -> list:
    """``grid-frontier-bound``: the frontier-unit count bounds a flattening of an overlap / dilated network.

    Step ``{"architecture": FAMILY, "rows": I, "rank": B}``. Every unit whose receptive field
    meets both sides is a product of linear maps of its taps, so the score is a polynomial in
    the values of the side's frontier units (pure units read by a mixed unit), homogeneous of
    degree D_f in unit f (D_f = paths from the top to f through mixed units), with
    coefficients that are functions of the other side: at most prod_f C(C_f + D_f - 1, D_f)
    rank-one terms (:func:`frontier_count`, the smaller side; docs/grid_tensors.md, section 8).
    Fact: ``generic-rank-at-most`` B.
    """
    return _unit_count_bound(step, ctx, ("overlap", "dilated"), frontier_count, "frontier count")


def _unit_count_bound(step: dict, ctx, families: tuple, count, what: str) -> list:
    """The frontier and span rules: ``count(a, rows)`` recomputed by the checker must equal the step's rank."""
    name = field(step, "architecture", "step", str)
    a = _arch(ctx, name, "step.architecture", False)
    rows = _rows(step, a)
    if a["family"] not in families:
        raise Malformed(f"step: the {what} is for {' and '.join(families)} networks, got {a['family']}")
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    B = count(a, rows)
    if B != value:
        raise CheckFailure(f"the {what} of {describe(a)} is {B}, not {value}")
    return [("generic-rank-at-most", {"architecture": name, "rows": rows}, B)]


@rule("grid-span-bound")
def grid_span_bound(step: dict, ctx) -> list:
    """``grid-span-bound``: the span count bounds a flattening of a mixed network, for every weight.

    Step ``{"architecture": FAMILY, "rows": I, "rank": B}``, FAMILY a ``mixed`` network. For a
    side S, R(u) is the dimension of the span of the functions x_S -> u_c(x) (over channels c
    and the other inputs). An input of S has R = M_k, others 1; a linear map does not raise R
    and caps it at its rows when its input reads S only; an elementwise product multiplies
    the taps' R, a sum adds them; a unit missing S has R = 1, and R <= prod_{k in S read} M_k.
    The score is a combination of the top unit's channels, so rank [A]_{I,J} <= R(top); B is
    the smaller side (:func:`span_count`; docs/grid_tensors.md, section 8). Fact:
    ``generic-rank-at-most`` B.
    """
    return _unit_count_bound(step, ctx, ("mixed",), span_count, "span count")


@rule("grid-symmetric-bound")
def grid_symmetric_bound(step: dict, ctx) -> list:
    """``grid-symmetric-bound``: a shared shallow ConvAC has a symmetric grid tensor.

    Step ``{"architecture": FAMILY, "rows": I, "rank": S}``, FAMILY a ``cp`` family with
    ``shared`` weights and equal template counts M. Its score (:func:`architecture_eval._fam_cp`)
    is sum_z lambda_z prod_k (A_k^T x_k)_z with every A_k the same matrix, so it is unchanged by
    any permutation of the inputs: two rows of [A]_{I,J} whose template indices are
    permutations of each other are equal (likewise columns), and the rank is at most the
    number of multisets, S = min(C(M + |I| - 1, |I|), C(M + |J| - 1, |J|)), for every weight.
    Fact: ``generic-rank-at-most`` S.
    """
    name = field(step, "architecture", "step", str)
    a = _arch(ctx, name, "step.architecture", False)
    rows = _rows(step, a)
    if a["family"] != "cp" or not a["shared"] or len(set(a["M"])) != 1:
        raise Malformed("step: the symmetric bound is for a cp family with shared weights and equal template counts")
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    M, k, n = a["M"][0], len(rows), a["N"] - len(rows)
    S = min(comb(M + k - 1, k), comb(M + n - 1, n))
    if S != value:
        raise CheckFailure(f"the multisets of templates bound the grid flattening of {describe(a)} by {S}, not {value}")
    return [("generic-rank-at-most", {"architecture": name, "rows": rows}, S)]


@rule("grid-shape-bound")
def grid_shape_bound(step: dict, ctx) -> list:
    """``grid-shape-bound``: S = min(prod_I M_k, prod_J M_k), the smaller side of the flattening.

    rank [A]_{I,J} <= min(rows, columns) for every weight. Fact: ``generic-rank-at-most`` S.
    """
    name = field(step, "architecture", "step", str)
    a = _arch(ctx, name, "step.architecture", False)
    rows = _rows(step, a)
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    S = min(prod(a["M"][k] for k in rows), prod(a["M"][k] for k in range(a["N"]) if k not in rows))
    if S != value:
        raise CheckFailure(f"the grid flattening of {describe(a)} has {S} = min(rows, cols), not {value}")
    return [("generic-rank-at-most", {"architecture": name, "rows": rows}, S)]
