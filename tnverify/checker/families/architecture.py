"""Rules about architectures: claims bound to the architecture's own function.

An expressivity claim is about the *grid tensor* of an architecture,
A[d_1..d_N] = score(e_{d_1}, ..., e_{d_N}), where score is the network's output
and e_d are one-hot template representations. The certificate names the family
and its hyper-parameters; this module rebuilds everything else itself:

* the entries of a lower-bound minor are forward-pass values that THIS module
  computes from the papers' equations (:func:`_FAMILIES` below, one small evaluator
  per family), at the weights the certificate gives in the architecture's own
  parametrisation;
* an upper bound is about a tensor network that THIS module builds from the
  hyper-parameters (:func:`_network`), or a count it recomputes.

A certificate never hands the checker the object that its claim is about.

Object type ``architecture``::

    {"type": "architecture", "family": "cp"|"tucker"|"tt"|"tr"|"ht"|"convac"|"rac",
     "inputs": N, "features": [M_1..M_N], "widths": [...], "shared": bool,
     "tree": "((0,1),(2,3))" (ht, convac), "depth": L (rac),
     "weights": {NAME: [flat C-order integers], ...} (a point; absent for the family)}

Rules
-----
``grid-rank-at-least``
    ``{"grid": POINT, "rows": I, "modulus": p, "minor": {"rows": [...], "cols": [...]},
    "rank": r, "vectors": [[v, ...] per input] (optional)}``. The matrix is the
    flattening [A]_{I,J} of the grid tensor at POINT's weights, or, with ``vectors``,
    its sketch (kron_I S_i) [A]_{I,J} (kron_J S_j)^T whose rows are the scores of
    the network on the given input vectors (only for families that are multilinear
    in their inputs; a deep RAC must use the templates). Row index a is the C-order
    multi-index over I of the choices (template d, or vector number) at each input.
    The checker computes the r x r minor by forward passes and requires det != 0 mod p.
    Facts: ``rank-at-least`` r for ``{"grid": POINT, "rows": I, "field": "Q"}`` (and GF(p)).
``grid-generic-from-point``
    ``{"point": POINT, "family": FAMILY, "rows": I, "rank": r}``: POINT and FAMILY are
    the same architecture; the entries are polynomials in the weights (all families
    here), so a minor nonzero at POINT is a nonzero polynomial: rank >= r on a dense
    Zariski-open set of weights (tied weights stay tied: the point lies in the
    family's parameter space). Fact: ``generic-rank-at-least`` r for
    ``{"architecture": FAMILY, "rows": I}``.
``grid-cut-bound``
    ``{"architecture": FAMILY, "rows": I, "side": [cores], "cut": [labels], "rank": P}``:
    the checker builds the family's grid-tensor network itself, checks that the cut
    separates the legs of I from those of J and multiplies the cut dimensions.
    Fact: ``generic-rank-at-most`` P (it holds for every weight).
``grid-boundary-bound``
    ``{"architecture": FAMILY, "rows": [0..k-1], "rank": B}``, FAMILY a RAC: the
    end half reads the start half only through the boundary states, so the score
    is a sum of B monomials in them (docs/grid_tensors.md). Fact: ``generic-rank-at-most`` B.
``grid-shape-bound``
    ``{"architecture": FAMILY, "rows": I, "rank": S}`` with S = min(prod_I M, prod_J M).
"""
from __future__ import annotations

import json
from math import comb

from tnverify.checker.kernel import (
    MAX_ENTRIES, CheckFailure, Malformed, OBJECT_TYPES, field, int_list, integer, prime, prod, rule, show,
)
from tnverify.checker.linalg import det_mod
from tnverify.checker.families.network import crossing_value

#: Largest number of forward-pass states (table entries) one grid minor may need.
MAX_STATES = 60_000_000
#: Most inputs / layers / cores an architecture object may have here.
MAX_INPUTS = 256
MAX_DEPTH = 8
MAX_CORES = 20_000
FAMILIES = ("cp", "tucker", "tt", "tr", "ht", "convac", "rac")
_KEYS = {"type", "family", "inputs", "features", "widths", "shared", "tree", "depth", "weights"}


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


def _height(t) -> int:
    return 0 if isinstance(t, int) else 1 + max(_height(t[0]), _height(t[1]))


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
    return all(a[k] == b[k] for k in ("family", "N", "M", "w", "shared", "tree", "L"))


def describe(a: dict) -> str:
    s = f"{a['family']}(N={a['N']}, M={a['M'] if len(set(a['M'])) > 1 else a['M'][0]}, widths={a['w']}"
    if a["tree"] is not None:
        s += f", tree={a['tree']}"
    if a["family"] == "rac":
        s += f", depth={a['L']}"
    return s + (", shared)" if a["shared"] else ")")


# ------------------------------------------------------------ weights, ties
def _tree_walk(tree):
    """Preorder internal nodes (k, node, h, parent height or 0) and leaves (i, parent height)."""
    nodes, leaves = [], []

    def walk(node, ph):
        if isinstance(node, int):
            leaves.append((node, ph))
            return
        h = _height(node)
        nodes.append((len(nodes), node, h, ph))
        walk(node[0], h)
        walk(node[1], h)

    walk(tree, 0)
    return nodes, leaves


def _shapes(a) -> dict:
    f, N, M, w = a["family"], a["N"], a["M"], a["w"]
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


# ------------------------------------------------------- forward passes
# Each family: the chain or tree its forward pass runs along, and three small functions
# leaf(k, x), node(node, a, b, is_root), all mod p, written from the papers' equations.
def _mv(W, x, rows, cols, p):
    """(W x) mod p for W flat (rows x cols), x of length cols."""
    return [sum(W[i * cols + j] * x[j] for j in range(cols)) % p for i in range(rows)]


def _vm(x, W, rows, cols, p):
    """(x^T W) mod p for W flat (rows x cols), x of length rows."""
    return [sum(x[i] * W[i * cols + j] for i in range(rows)) % p for j in range(cols)]


def _fam_cp(a, W, p):
    Z = a["w"][0]

    def leaf(k, x):
        u = _vm(x, W[f"A{k}"], a["M"][k], Z, p)
        return [l * v % p for l, v in zip(W["lam"], u)] if k == 0 else u

    def node(_, s, u, root):
        v = [x * y % p for x, y in zip(s, u)]
        return sum(v) % p if root else v

    return leaf, node


def _fam_tucker(a, W, p):
    r = a["w"]

    def leaf(k, x):
        u = _vm(x, W[f"U{k}"], a["M"][k], r[k], p)
        if k:
            return u
        rest = prod(r[1:])
        G = W["G"]
        return [sum(G[i * rest + j] * u[i] for i in range(r[0])) % p for j in range(rest)]

    def node(pos, s, u, root):
        k = pos[1]  # the input contracted at this node
        rest = prod(r[k + 1:])
        v = [sum(s[i * rest + j] * u[i] for i in range(r[k])) % p for j in range(rest)]
        return v[0] if root else v

    return leaf, node


def _fam_tt(a, W, p):
    N, M, r = a["N"], a["M"], a["w"]

    def leaf(k, x):
        if k == 0:
            return _vm(x, W["G0"], M[0], r[0], p)
        if k == N - 1:
            return _mv(W[f"G{k}"], x, r[k - 1], M[k], p)  # G_N[x] as a vector
        G, ra, rb = W[f"G{k}"], r[k - 1], r[k]
        return [[sum(G[(i * M[k] + m) * rb + j] * x[m] for m in range(M[k])) % p for j in range(rb)]
                for i in range(ra)]

    def node(pos, s, g, root):
        if root:
            return sum(x * y for x, y in zip(s, g)) % p
        return [sum(s[i] * g[i][j] for i in range(len(s))) % p for j in range(len(g[0]))]

    return leaf, node


def _fam_tr(a, W, p):
    N, M, r = a["N"], a["M"], a["w"]

    def leaf(k, x):
        G, ra, rb = W[f"G{k}"], r[(k - 1) % N], r[k]
        return [[sum(G[(i * M[k] + m) * rb + j] * x[m] for m in range(M[k])) % p for j in range(rb)]
                for i in range(ra)]

    def node(pos, s, g, root):
        P = [[sum(s[i][q] * g[q][j] for q in range(len(g))) % p for j in range(len(g[0]))] for i in range(len(s))]
        return sum(P[i][i] for i in range(len(P))) % p if root else P

    return leaf, node


def _fam_rac(a, W, p):
    L, M, R = a["L"], a["M"][0], a["w"]

    def layer_inputs(t, x, prev):
        """h^{l,t} for every layer l, from the input x_t and the states at t-1 (None at t = 0)."""
        hs, u, din = [], x, M
        for l in range(L):
            inp = _mv(W[f"WI{l}_{t}"], u, R[l], din, p)
            if prev is not None:
                rec = _mv(W[f"WH{l}_{t}"], prev[l], R[l], R[l], p)
                inp = [x * y % p for x, y in zip(rec, inp)]
            hs.append(inp)
            u, din = inp, R[l]
        return hs

    def leaf(k, x):
        return layer_inputs(0, x, None) if k == 0 else x

    def node(pos, s, x, root):
        hs = layer_inputs(pos[1], x, s)
        return sum(wi * hi for wi, hi in zip(W["w"], hs[-1])) % p if root else hs

    return leaf, node


def _fam_tree(a, W, p):
    conv = a["family"] == "convac"
    nodes, _ = _tree_walk(a["tree"])
    names = {node: k for k, node, _, _ in nodes}

    def leaf(k, x):
        s = a["shapes"][f"leaf{k}"]
        return _vm(x, W[f"leaf{k}"], s[0], s[1], p)

    def node(nd, u, v, root):
        k = names[nd]
        s, B = a["shapes"][f"n{k}"], W[f"n{k}"]
        if conv:
            pooled = [x * y % p for x, y in zip(u, v)]  # product pooling
            return sum(x * y for x, y in zip(B, pooled)) % p if root else _mv(B, pooled, s[0], s[1], p)
        if root:
            return sum(u[i] * v[j] * B[i * s[1] + j] for i in range(s[0]) for j in range(s[1])) % p
        out = s[2]
        return [sum(u[i] * v[j] * B[(i * s[1] + j) * out + c] for i in range(s[0]) for j in range(s[1])) % p
                for c in range(out)]

    return leaf, node


_FAMILIES = {"cp": _fam_cp, "tucker": _fam_tucker, "tt": _fam_tt, "tr": _fam_tr, "rac": _fam_rac,
             "ht": _fam_tree, "convac": _fam_tree}


def _course(a):
    """The tree the forward pass runs along: the pooling tree, or the chain (((0,1),2),...)."""
    if a["tree"] is not None:
        return a["tree"]
    t = 0
    for k in range(1, a["N"]):
        t = (t, k)
    return t


def grid_minor(a: dict, rows: list, vecs: list, mr: list, mc: list, p: int) -> list:
    """The r x r minor (rows ``mr``, columns ``mc`` of the flattening over ``rows``) as forward-pass values.

    ``vecs[k]`` are the input vectors of input k (the one-hot templates for the grid).
    Row index a is the C-order multi-index over ``rows`` of vector choices. The pass runs
    once per distinct (row part, column part) of every sub-tree: the states are tabled,
    so a shared prefix or sub-tree is computed once.
    """
    N = a["N"]
    cols = [k for k in range(N) if k not in rows]

    def digits(idx, modes):
        out = [0] * len(modes)
        for q in range(len(modes) - 1, -1, -1):
            idx, out[q] = divmod(idx, len(vecs[modes[q]]))
        return tuple(out)

    R = [digits(i, rows) for i in mr]
    C = [digits(j, cols) for j in mc]
    rpos = {k: q for q, k in enumerate(rows)}
    cpos = {k: q for q, k in enumerate(cols)}
    leaf_fn, node_fn = _FAMILIES[a["family"]](a, a["weights"], p)
    budget = [0]

    def visit(node, root):
        """(row keys, col keys, table[(ri, ci)]) for the sub-tree ``node``."""
        if isinstance(node, int):
            kset = [node]
        else:
            kset = list(_leaves_of(node))
        rsel = [rpos[k] for k in kset if k in rpos]
        csel = [cpos[k] for k in kset if k in cpos]
        rkeys = list(dict.fromkeys(tuple(r[q] for q in rsel) for r in R))
        ckeys = list(dict.fromkeys(tuple(c[q] for q in csel) for c in C))
        budget[0] += len(rkeys) * len(ckeys)
        if budget[0] > MAX_STATES:
            raise Malformed(f"the grid minor needs more than {MAX_STATES} forward-pass states, over the limit")
        if isinstance(node, int):
            x = vecs[node]
            if node in rpos:
                return rsel, csel, rkeys, ckeys, {(i, 0): leaf_fn(node, x[key[0]]) for i, key in enumerate(rkeys)}
            return rsel, csel, rkeys, ckeys, {(0, j): leaf_fn(node, x[key[0]]) for j, key in enumerate(ckeys)}
        la = visit(node[0], False)
        lb = visit(node[1], False)
        maps = []
        for sub in (la, lb):
            srs, scs, srk, sck, _ = sub
            ri = {k: i for i, k in enumerate(srk)}
            ci = {k: j for j, k in enumerate(sck)}
            rproj = [rsel.index(q) for q in srs]
            cproj = [csel.index(q) for q in scs]
            maps.append(([ri[tuple(k[q] for q in rproj)] for k in rkeys],
                         [ci[tuple(k[q] for q in cproj)] for k in ckeys]))
        ta, tb = la[4], lb[4]
        (ra, ca), (rb, cb) = maps
        table = {}
        for i in range(len(rkeys)):
            for j in range(len(ckeys)):
                table[(i, j)] = node_fn(node, ta[(ra[i], ca[j])], tb[(rb[i], cb[j])], root)
        return rsel, csel, rkeys, ckeys, table

    rsel, csel, rkeys, ckeys, table = visit(_course(a), True)
    ri = {k: i for i, k in enumerate(rkeys)}
    ci = {k: j for j, k in enumerate(ckeys)}
    rk = [ri[tuple(r[q] for q in rsel)] for r in R]  # the root's keys list the inputs in tree order
    ck = [ci[tuple(c[q] for q in csel)] for c in C]
    return [table[(i, j)] for i in rk for j in ck]


def _leaves_of(t):
    if isinstance(t, int):
        yield t
    else:
        yield from _leaves_of(t[0])
        yield from _leaves_of(t[1])


# --------------------------------------------------------- the network
def _network(a: dict) -> dict:
    """The grid-tensor network of the family (structure only), named as the prover names it."""
    f, N, M, w = a["family"], a["N"], a["M"], a["w"]
    names, inputs, dims = [], [], {f"x{i}": M[i] for i in range(N)}
    if f == "cp":
        dims["z"] = w[0]
        names, inputs = ["lam"] + [f"A{i}" for i in range(N)], [["z"]] + [[f"x{i}", "z"] for i in range(N)]
    elif f == "tucker":
        dims.update({f"g{i}": w[i] for i in range(N)})
        names = ["G"] + [f"U{i}" for i in range(N)]
        inputs = [[f"g{i}" for i in range(N)]] + [[f"x{i}", f"g{i}"] for i in range(N)]
    elif f in ("tt", "tr"):
        nb = N - 1 if f == "tt" else N
        dims.update({f"b{i}": w[i] for i in range(nb)})
        names = [f"G{k}" for k in range(N)]
        for k in range(N):
            left = [f"b{(k - 1) % N}"] if (k > 0 or f == "tr") else []
            right = [f"b{k}"] if (k < N - 1 or f == "tr") else []
            inputs.append(left + [f"x{k}"] + right)
    elif f == "rac":
        _rac_network(a, names, inputs, dims)
    else:
        nodes, _ = _tree_walk(a["tree"])
        num = {node: k for k, node, _, _ in nodes}

        def walk(node, ph):
            if isinstance(node, int):
                names.append(f"leaf{node}")
                inputs.append([f"x{node}", f"l{node}"])
                dims[f"l{node}"] = w[ph - 1]
                return f"l{node}"
            k, h = num[node], _height(node)
            kids = [walk(node[0], h), walk(node[1], h)]
            if f == "convac":
                alpha = f"a{k}"
                dims[alpha] = w[h - 1]
                for kid in kids:  # product pooling: the children's channel index IS the node's
                    for ix in inputs:
                        ix[:] = [alpha if x == kid else x for x in ix]
                    del dims[kid]
                legs = [f"g{k}", alpha] if ph else [alpha]
            else:
                legs = kids + [f"g{k}"] if ph else kids
            if ph:
                dims[f"g{k}"] = w[ph - 1]
            names.append(f"n{k}")
            inputs.append(legs)
            return f"g{k}"

        walk(a["tree"], 0)
    return {"names": names, "inputs": inputs, "output": [f"x{i}" for i in range(N)], "dims": dims}


def _rac_network(a, names, inputs, dims):
    """Copies of every reused sub-network; the template index d_t copied by an identity core ``in{t}``."""
    N, L, R = a["N"], a["L"], a["w"]
    copies: dict = {}
    readers = [0] * N

    def fresh(base):
        k = copies.get(base, 0)
        copies[base] = k + 1
        if len(names) > MAX_CORES:
            raise Malformed(f"the RAC network has more than {MAX_CORES} cores, over the checker limit")
        return base if k == 0 else f"{base}.{k}"

    def state(l, t):
        c = fresh(f"h{l}_{t}")
        dims[c] = R[l]
        if l == 0:
            readers[t] += 1
            below = f"d{t}"
        else:
            below = state(l - 1, t)
        names.append(fresh(f"WI{l}_{t}"))
        inputs.append([c, below])
        if t > 0:
            prev = state(l, t - 1)
            names.append(fresh(f"WH{l}_{t}"))
            inputs.append([c, prev])
        return c

    top = state(L - 1, N - 1)
    names.append("w")
    inputs.append([top])
    for t in range(N):
        if readers[t] == 1:
            for ix in inputs:
                ix[:] = [f"x{t}" if x == f"d{t}" else x for x in ix]
        else:
            dims[f"d{t}"] = a["M"][t]
            names.append(f"in{t}")
            inputs.append([f"x{t}", f"d{t}"])


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


def _vectors(step, a, p) -> list:
    N, M = a["N"], a["M"]
    if "vectors" not in step:
        return [[[int(i == d) for i in range(M[k])] for d in range(M[k])] for k in range(N)]
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
    name = field(step, "grid", "step", str)
    a = _arch(ctx, name, "step.grid", True)
    rows = _rows(step, a)
    cols = [k for k in range(a["N"]) if k not in rows]
    r = integer(field(step, "rank", "step"), "step.rank", 1)
    p = prime(field(step, "modulus", "step"), "step.modulus")
    vecs = _vectors(step, a, p)
    m = prod(len(vecs[k]) for k in rows)
    n = prod(len(vecs[k]) for k in cols)
    minor = field(step, "minor", "step", dict)
    mr = int_list(field(minor, "rows", "step.minor"), "step.minor.rows", 0, m - 1)
    mc = int_list(field(minor, "cols", "step.minor"), "step.minor.cols", 0, n - 1)
    if len(mr) != r or len(mc) != r:
        raise Malformed(f"step.minor: expected {r} rows and {r} columns, got {len(mr)} and {len(mc)}")
    if r * r > MAX_ENTRIES:
        raise Malformed(f"step.minor: {r} x {r} exceeds the checker limit")
    pw = {k: [x % p for x in v] for k, v in a["weights"].items()}
    entries = grid_minor({**a, "weights": pw}, rows, vecs, mr, mc, p)
    if det_mod(entries, r, p) == 0:
        raise CheckFailure(f"the {r} x {r} minor of the grid flattening of {describe(a)} (forward-pass values) "
                           f"has determinant 0 mod {p}")
    subject = {"grid": name, "rows": rows}
    return [("rank-at-least", {**subject, "field": "Q"}, r), ("rank-at-least", {**subject, "field": f"GF({p})"}, r)]


@rule("grid-generic-from-point")
def grid_generic_from_point(step: dict, ctx) -> list:
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


def boundary_count(a: dict, rows: list) -> int:
    """Monomials in the boundary states h^{1,k}..h^{L,k} of a RAC for the partition {0..k-1} | {k..T-1}."""
    k, L = len(rows), a["L"]
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
    name = field(step, "architecture", "step", str)
    a = _arch(ctx, name, "step.architecture", False)
    rows = _rows(step, a)
    if a["family"] != "rac" or rows != list(range(len(rows))):
        raise Malformed("step: the boundary-state bound is for a RAC and a Start-End partition {0..k-1}")
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    B = boundary_count(a, rows)
    if B != value:
        raise CheckFailure(f"the boundary states of {describe(a)} give {B} monomials, not {value}")
    return [("generic-rank-at-most", {"architecture": name, "rows": rows}, B)]


@rule("grid-shape-bound")
def grid_shape_bound(step: dict, ctx) -> list:
    name = field(step, "architecture", "step", str)
    a = _arch(ctx, name, "step.architecture", False)
    rows = _rows(step, a)
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    S = min(prod(a["M"][k] for k in rows), prod(a["M"][k] for k in range(a["N"]) if k not in rows))
    if S != value:
        raise CheckFailure(f"the grid flattening of {describe(a)} has {S} = min(rows, cols), not {value}")
    return [("generic-rank-at-most", {"architecture": name, "rows": rows}, S)]
