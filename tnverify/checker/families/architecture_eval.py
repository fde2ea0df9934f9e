"""Definitions for the architecture rules: the checker's own forward passes and tensor networks.

Nothing here decides anything. :mod:`tnverify.checker.families.architecture` parses the
architecture objects and states the rules; this module *constructs* what they are about:

* :func:`grid_minor`, entries of a block of the grid tensor A[d_1..d_N] = score(e_{d_1}, ...,
  e_{d_N}) (or of a sketch of it), computed mod p by one small forward-pass evaluator per family
  (``_FAMILIES``), written from the papers' equations in the architecture's own parametrisation
  (docs/grid_tensors.md, section 3);
* :func:`_network`, the family's grid-tensor network (structure only), named as the prover
  names it, whose cuts bound the flattening ranks for every weight.

A parsed architecture ``a`` is the dict :func:`~tnverify.checker.families.architecture._parse_arch`
returns (``family``, ``N``, ``M``, ``w``, ``tree``, ``L``, ``shapes``, ``weights``).
"""
from __future__ import annotations

from functools import lru_cache
from math import prod
from operator import add, mul

from tnverify.checker.kernel import Malformed, one_hot

#: Largest number of forward-pass states (table entries) one grid minor may need.
MAX_STATES = 60_000_000
#: Most cores of an architecture's network.
MAX_CORES = 20_000


# ------------------------------------------------------------------ trees
@lru_cache(maxsize=4096)
def _height(t) -> int:
    """Height of a tree of nested pairs (a leaf has 0); memoised: every sub-tree is asked for again."""
    return 0 if isinstance(t, int) else 1 + max(_height(t[0]), _height(t[1]))


@lru_cache(maxsize=256)
def _tree_walk(tree):
    """Preorder internal nodes (k, node, h, parent height or 0) and leaves (i, parent height).

    Memoised (the trees are nested tuples), so the tuples returned are shared: callers only read them.
    """
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
    return tuple(nodes), tuple(leaves)



@lru_cache(maxsize=4096)
def _leaves_of(t) -> tuple:
    """The leaves of a tree of nested pairs, left to right; memoised like :func:`_height`."""
    return (t,) if isinstance(t, int) else _leaves_of(t[0]) + _leaves_of(t[1])



# ------------------------------------------------------- forward passes
# Each family: the chain or tree its forward pass runs along, and three small functions
# leaf(k, x), node(node, a, b, is_root), all mod p, written from the papers' equations.
def _mv(W, x, rows, cols, p):
    """(W x) mod p for W flat (rows x cols), x of length cols."""
    return [sum(map(mul, W[i * cols:(i + 1) * cols], x)) % p for i in range(rows)]


def _split_rows(W, rows, cols):
    """The rows of the flat (rows x cols) matrix W, as lists."""
    return [W[i * cols:(i + 1) * cols] for i in range(rows)]


def _vm(x, W, rows, cols, p):
    """(x^T W) mod p for W flat (rows x cols), x of length rows."""
    return [sum(map(mul, x, W[j:rows * cols:cols])) % p for j in range(cols)]


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

    # per time step and layer: the rows of W^{I,l} and of W^{H,l} (none at t = 0), split once
    mats = [[(_split_rows(W[f"WI{l}_{t}"], R[l], M if l == 0 else R[l - 1]),
              _split_rows(W[f"WH{l}_{t}"], R[l], R[l]) if t else None) for l in range(L)] for t in range(a["N"])]

    def layer_inputs(t, x, prev):
        """h^{l,t} for every layer l, from the input x_t and the states at t-1 (None at t = 0)."""
        hs, u = [], x
        for l, (wi, wh) in enumerate(mats[t]):
            if prev is None:
                u = [sum(map(mul, row, u)) % p for row in wi]
            else:
                h = prev[l]
                u = [sum(map(mul, ri, u)) * sum(map(mul, rh, h)) % p for ri, rh in zip(wi, wh)]
            hs.append(u)
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


# The root of every multilinear family combines its two children bilinearly: its value is a dot
# product fa(left state) . fb(right state) mod p, the same equation as ``node(..., root=True)``
# regrouped (tests/test_arch_certificates.py compares both). Computing fa and fb once per child
# state turns the r x r root evaluations into plain dot products.
def _ident(x):
    return x


def _split_tr(a, W, p):
    return (lambda S: [x for row in S for x in row]), (lambda G: [G[q][i] for i in range(len(G[0]))
                                                                    for q in range(len(G))])


def _split_tree(a, W, p):
    nodes, _ = _tree_walk(a["tree"])
    k = next(k for k, _, _, ph in nodes if ph == 0)
    s, B = a["shapes"][f"n{k}"], W[f"n{k}"]
    if a["family"] == "convac":
        return (lambda u: [b * x % p for b, x in zip(B, u)]), _ident
    return (lambda u: [sum(u[i] * B[i * s[1] + j] for i in range(s[0])) % p for j in range(s[1])]), _ident


_ROOT_SPLIT = {"cp": lambda a, W, p: (_ident, _ident), "tucker": lambda a, W, p: (_ident, _ident),
               "tt": lambda a, W, p: (_ident, _ident), "tr": _split_tr, "ht": _split_tree, "convac": _split_tree}


def _dots(A, B, ra, ca, rb, cb, p):
    """The rows [A[ra[i]][ca[j]] . B[rb[i]][cb[j]] mod p]_j, one at a time: the root's r x r values.

    Each child row key's states are laid out once per channel along the minor's columns; every
    minor row is then K elementwise products of two such columns (``map`` over ints). A
    generator, so that the determinant takes the rows as they come (never r^2 ints at once).
    """
    K = len(A[0][0]) if A and A[0] else 0

    def columns(T, cc):
        return {rr: [[T[rr][u][k] for u in cc] for k in range(K)] for rr in range(len(T))}

    CA, CB = columns(A, ca), columns(B, cb)
    reduce_p = p.__rmod__
    for i in range(len(ra)):
        a, b = CA[ra[i]], CB[rb[i]]
        acc = list(map(mul, a[0], b[0]))
        for k in range(1, K):
            acc = list(map(add, acc, map(mul, a[k], b[k])))
        yield list(map(reduce_p, acc))


def _course(a):
    """The tree the forward pass runs along: the pooling tree, or the chain (((0,1),2),...)."""
    if a["tree"] is not None:
        return a["tree"]
    t = 0
    for k in range(1, a["N"]):
        t = (t, k)
    return t


def grid_minor(a: dict, rows: list, vecs: list, mr: list, mc: list, p: int, split: bool = True):
    """The minor (rows ``mr``, columns ``mc`` of the flattening over ``rows``) as forward-pass values.

    Returns an iterator over its rows (lists of residues mod p), so that a large minor goes
    to the determinant row by row.

    ``vecs[k]`` are the input vectors of input k (the one-hot templates for the grid).
    Row index a is the C-order multi-index over ``rows`` of vector choices. The pass runs
    once per distinct (row part, column part) of every sub-tree: the states are tabled,
    so a shared prefix or sub-tree is computed once. At the root of a multilinear family
    (``split``) the value is a dot product of one function of each child's state
    (:data:`_ROOT_SPLIT`), so the r x r root values cost r^2 dot products. Cost: the
    table sizes times one forward step, plus r^2 K for the root (K its inner dimension).
    """
    if a["family"] in ("overlap", "dilated", "mixed"):
        from tnverify.checker.conv_eval import conv_minor
        flat = conv_minor(a, rows, vecs, mr, mc, p, MAX_STATES)
        return (flat[i * len(mc):(i + 1) * len(mc)] for i in range(len(mr)))
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

    def keys(node):
        kset = [node] if isinstance(node, int) else list(_leaves_of(node))
        rsel = [rpos[k] for k in kset if k in rpos]
        csel = [cpos[k] for k in kset if k in cpos]
        rkeys = list(dict.fromkeys(tuple(r[q] for q in rsel) for r in R))
        ckeys = list(dict.fromkeys(tuple(c[q] for q in csel) for c in C))
        budget[0] += len(rkeys) * len(ckeys)
        if budget[0] > MAX_STATES:
            raise Malformed(f"the grid minor needs more than {MAX_STATES} forward-pass states, over the limit")
        return rsel, csel, rkeys, ckeys

    def index(sub, rsel, csel, rkeys, ckeys):
        """For every key of the parent, the index of its restriction among the child's keys."""
        srs, scs, srk, sck, _ = sub
        ri = {k: i for i, k in enumerate(srk)}
        ci = {k: j for j, k in enumerate(sck)}
        rproj = [rsel.index(q) for q in srs]
        cproj = [csel.index(q) for q in scs]
        return [ri[tuple(k[q] for q in rproj)] for k in rkeys], [ci[tuple(k[q] for q in cproj)] for k in ckeys]

    def visit(node):
        """(row sel, col sel, row keys, col keys, table[ri][ci]) for the sub-tree ``node`` (not the root)."""
        rsel, csel, rkeys, ckeys = keys(node)
        if isinstance(node, int):
            x = vecs[node]
            if node in rpos:
                return rsel, csel, rkeys, ckeys, [[leaf_fn(node, x[key[0]])] for key in rkeys]
            return rsel, csel, rkeys, ckeys, [[leaf_fn(node, x[key[0]]) for key in ckeys]]
        la, lb = visit(node[0]), visit(node[1])
        (ra, ca), (rb, cb) = index(la, rsel, csel, rkeys, ckeys), index(lb, rsel, csel, rkeys, ckeys)
        ta, tb = la[4], lb[4]
        table = [[node_fn(node, ta[ra[i]][ca[j]], tb[rb[i]][cb[j]], False) for j in range(len(ckeys))]
                 for i in range(len(rkeys))]
        return rsel, csel, rkeys, ckeys, table

    root = _course(a)
    rsel = [rpos[k] for k in _leaves_of(root) if k in rpos]
    csel = [cpos[k] for k in _leaves_of(root) if k in cpos]
    rkeys = [tuple(r[q] for q in rsel) for r in R]  # the root's keys list the inputs in tree order
    ckeys = [tuple(c[q] for q in csel) for c in C]
    budget[0] += len(rkeys) * len(ckeys)
    la, lb = visit(root[0]), visit(root[1])
    (ra, ca), (rb, cb) = index(la, rsel, csel, rkeys, ckeys), index(lb, rsel, csel, rkeys, ckeys)
    ta, tb = la[4], lb[4]
    pair = _ROOT_SPLIT.get(a["family"]) if split else None
    if pair is not None:
        fa, fb = pair(a, a["weights"], p)
        A = [[fa(x) for x in row] for row in ta]
        B = [[fb(x) for x in row] for row in tb]
        return _dots(A, B, ra, ca, rb, cb, p)
    return ([node_fn(root, ta[ra[i]][ca[j]], tb[rb[i]][cb[j]], True) for j in range(len(C))] for i in range(len(R)))


def factor_minor(a: dict, node, rows: list, mr: list, mc: list, p: int) -> list:
    """The r x r minor (``mr`` x ``mc``) of [T_node] mod p, T_node = channel 0 of what ``node`` passes up.

    Rows of [T_node] are the C-order multi-indices of templates over the node's inputs in
    ``rows`` (ascending), columns over its other inputs (ascending); a leaf's T is its
    channel 0. Entries come from the family's own ``leaf`` and ``node`` equations on one-hot
    templates, tabled: the state of every sub-tree is computed once per distinct choice of its
    own templates, and at ``node`` itself only channel 0 is formed (convac: row 0 of its conv
    times the pooled channels; ht: B[:, :, 0] against both children). Cost: the distinct
    sub-tree states times one forward step, plus r^2 times one channel of ``node``.
    """
    leaf_fn, node_fn = _FAMILIES[a["family"]](a, a["weights"], p)
    leaves = list(_leaves_of(node))
    rs = sorted(k for k in leaves if k in rows)
    cs = sorted(k for k in leaves if k not in rows)
    inner = sum(1 for _ in _tree_walk(node)[0]) + len(leaves)
    if len(mr) * len(mc) * inner > MAX_STATES:
        raise Malformed(f"the factor minor needs more than {MAX_STATES} forward-pass steps, over the limit")

    def digits(idx, modes):
        out = {}
        for k in reversed(modes):
            idx, out[k] = divmod(idx, a["M"][k])
        if idx:
            raise Malformed(f"minor index out of range for the factor over inputs {modes}")
        return out

    table: dict = {}

    def up(nd, choice):
        key = (nd, tuple(choice[k] for k in _leaves_of(nd)))
        if key not in table:
            if isinstance(nd, int):
                table[key] = leaf_fn(nd, one_hot(choice[nd], a["M"][nd]))
            else:
                table[key] = node_fn(nd, up(nd[0], choice), up(nd[1], choice), False)
        return table[key]

    R = [digits(i, rs) for i in mr]
    C = [digits(j, cs) for j in mc]
    if isinstance(node, int):
        return [up(node, {**r, **c})[0] % p for r in R for c in C]
    names = {nd: k for k, nd, _, _ in _tree_walk(a["tree"])[0]}
    B, shp = a["weights"][f"n{names[node]}"], a["shapes"][f"n{names[node]}"]
    if a["family"] == "convac":
        row0 = B[:shp[1]]

        def channel0(u, v):
            return sum(b * x * y for b, x, y in zip(row0, u, v)) % p
    else:
        out, w2 = shp[2], shp[1]

        def channel0(u, v):
            return sum(u[i] * v[j] * B[(i * w2 + j) * out] for i in range(shp[0]) for j in range(w2)) % p
    return [channel0(up(node[0], ch), up(node[1], ch)) for r in R for c in C for ch in ({**r, **c},)]


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
    elif f == "mixed":
        raise Malformed("a mixed network sums two networks at its interconnections: it has no grid network")
    elif f in ("overlap", "dilated"):
        from tnverify.checker.conv_eval import conv_network
        conv_network(a, names, inputs, dims, MAX_CORES)
    else:
        nodes, _ = _tree_walk(a["tree"])
        num = {node: k for k, node, _, _ in nodes}
        alias: dict = {}  # convac: a child's output leg -> the index of its parent that it is

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
                    alias[kid] = alpha
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

        def resolve(x):
            while x in alias:
                x = alias[x]
            return x

        inputs = [[resolve(x) for x in ix] for ix in inputs]
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

