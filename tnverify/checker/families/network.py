"""Rules about tensor networks: cut bounds, sketched flattening ranks, generic lifting.

Object type ``network`` (the einsum form of a network)::

    {"type": "network", "entries": [K values] | [],
     "names": [core names], "inputs": [[labels of core 0], ...], "output": [open legs],
     "size_dict": {label: dim}, "shared": [[tied core names], ...]}

``entries`` holds the core values flat, core after core, each in C order (K is the
total size of the cores); an empty or absent list means a family with free parameters. A label in
``output`` belongs to exactly one core; any other label joins two or more cores (a
hyperedge when more). The represented tensor is T[output] = sum of the products.

``cut-bound``
    ``{"network": NAME, "rows": I, "side": [cores], "cut": [labels], "rank": P}``.
    With A = ``side`` (the cores on the I side), the crossing labels are the labels
    held by cores on both sides, and the open legs of I on a core outside A or of J
    on a core in A. The checker computes them, demands they equal ``cut``, and
    P == the product of their dimensions. Then T = sum over the crossing labels of
    (A-side contraction)(rest), so rank [T]_{I,J} <= P for EVERY value of the cores.
    Fact: ``generic-rank-at-most`` P for ``{"network": NAME, "rows": I}``.
``network-rank-at-least``
    ``{"network": POINT, "rows": I, "sketch": [S_0, ..., S_{N-1}], "path": [[i, j], ...],
    "minor": {"rows": [...], "cols": [...]}, "modulus": p, "rank": r}``. POINT has
    integer values. The checker appends core S_k (s_k x M_k) on open leg k, follows
    the contraction path (opt_einsum convention: contract positions i, j, append the
    result) mod p until at most two tensors remain, builds ONLY the hinted r x r
    entries of the flattening of the sketched tensor (rows: C order over the legs of
    I, increasing; columns: over the rest), and checks det != 0 mod p. That matrix
    is (kron_I S_i) [T]_{I,J} (kron_J S_j)^T, of rank <= rank [T]_{I,J}; a minor
    nonzero mod p is nonzero over Z. Facts: ``rank-at-least`` r for
    ``{"matrix": {"object": POINT, "rows": I}, "field": "Q"}`` and ``"GF(p)"``.
``generic-from-point``
    ``{"point": POINT, "family": FAMILY, "rows": I, "rank": r}``. Checks that POINT
    has exactly FAMILY's structure (cores, legs, dimensions, sharing) and that its
    values are equal on every shared group, so POINT is a point of the family's
    parameter space. Requires the fact rank-at-least r over Q for POINT's
    flattening. The r x r minor is then a polynomial in the parameters that is
    nonzero at POINT, so the rank is >= r on a Zariski-open dense set. Fact:
    ``generic-rank-at-least`` r for ``{"network": FAMILY, "rows": I}``.
"""
from __future__ import annotations

import gc
from math import prod

from tnverify.checker.kernel import (
    MAX_ENTRIES, CheckFailure, Malformed, OBJECT_TYPES, check_minor, field, int_list, integer, minor_hint, num, prime,
    rule, show,
)

#: Largest number of multiply-adds of one contraction step the checker performs.
MAX_WORK = 400_000_000
_KEYS = {"type", "entries", "names", "inputs", "output", "size_dict", "shared"}


def _parse_network(o: dict, where: str) -> dict:
    extra = set(o) - _KEYS
    if extra:
        raise Malformed(f"{where}: unknown keys {sorted(extra)} in a network")
    names = field(o, "names", where, list)
    inputs = field(o, "inputs", where, list)
    output = field(o, "output", where, list)
    size = field(o, "size_dict", where, dict)
    if not names or len(names) != len(inputs):
        raise Malformed(f"{where}: expected one label list per core and at least one core")
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise Malformed(f"{where}.names: expected distinct strings")
    dims = {}
    for lab, d in size.items():
        dims[lab] = integer(d, f"{where}.size_dict.{lab}", 1, 1 << 30)
    count = {}
    shapes = []
    for i, ix in enumerate(inputs):
        if not isinstance(ix, list) or not all(isinstance(x, str) for x in ix) or len(set(ix)) != len(ix):
            raise Malformed(f"{where}.inputs[{i}]: expected a list of distinct label strings")
        for lab in ix:
            if lab not in dims:
                raise Malformed(f"{where}.inputs[{i}]: label {lab!r} has no dimension")
            count[lab] = count.get(lab, 0) + 1
        shapes.append([dims[x] for x in ix])
        if prod(shapes[-1]) > MAX_ENTRIES:
            raise Malformed(f"{where}: core {names[i]!r} exceeds the checker limit")
    if not output or not all(isinstance(x, str) for x in output) or len(set(output)) != len(output):
        raise Malformed(f"{where}.output: expected a nonempty list of distinct labels")
    for lab in output:
        if count.get(lab) != 1:
            raise Malformed(f"{where}.output: open leg {lab!r} must belong to exactly one core")
    for lab, c in count.items():
        if lab not in output and c < 2:
            raise Malformed(f"{where}: bond {lab!r} joins fewer than two cores")
    if set(dims) != set(count):
        raise Malformed(f"{where}.size_dict: labels {sorted(set(dims) - set(count))} are used by no core")
    shared = o.get("shared", [])
    if not isinstance(shared, list):
        raise Malformed(f"{where}.shared: expected a list of groups")
    seen = set()
    groups = []
    for g in shared:
        if not isinstance(g, list) or len(g) < 2 or any(n not in names or n in seen for n in g):
            raise Malformed(f"{where}.shared: expected disjoint groups of >= 2 known cores, got {g!r}")
        seen.update(g)
        idx = [names.index(n) for n in g]
        if any(shapes[i] != shapes[idx[0]] for i in idx):
            raise Malformed(f"{where}.shared: group {g} has cores of different shapes")
        groups.append(idx)
    K = sum(prod(s) for s in shapes)
    ents = o.get("entries", [])
    if not isinstance(ents, list):
        raise Malformed(f"{where}.entries: expected a list of core values")
    values = None
    if ents:
        if len(ents) != K:
            raise Malformed(f"{where}.entries: expected {K} values (or none for a family), got {len(ents)}")
        flat = [num(x, f"{where}.entries[{i}]") for i, x in enumerate(ents)]
        values, k = [], 0
        for s in shapes:
            n = prod(s)
            values.append(flat[k:k + n])
            k += n
    return {"type": "network", "names": names, "inputs": [list(ix) for ix in inputs], "output": list(output),
            "dims": dims, "shapes": shapes, "groups": groups, "values": values}


OBJECT_TYPES["network"] = _parse_network


def _net(ctx, name, where) -> dict:
    o = ctx.obj(name, where)
    if o["type"] != "network":
        raise Malformed(f"{where}: {name!r} is a {o['type']}, not a network")
    return o


def _rows(step, net, where="step.rows") -> list:
    N = len(net["output"])
    rows = int_list(field(step, "rows", "step"), where, 0, N - 1)
    if not rows or len(rows) == N:
        raise Malformed(f"{where}: both sides of the partition must be nonempty")
    if rows != sorted(rows):
        raise Malformed(f"{where}: expected increasing legs")
    return rows


# ------------------------------------------------------------------ cut-bound
def crossing_value(net: dict, rows: list, side: list, claimed: list) -> int:
    """Check that ``claimed`` are exactly the labels the cut (cores ``side`` on the I side) crosses.

    ``net`` has ``names``, ``inputs``, ``output``, ``dims``. A label crosses when it is
    held by cores on both sides, or it is an open leg of I on a core outside ``side``
    (or of J inside). Returns the product of the crossing dimensions: every
    flattening [T]_{I,J} of the network factors through the crossing labels (Levine, Yakira,
    Cohen, Shashua, ICLR 2018; docs/mathematics.md, section 2.1, "Cuts"). Cost O(total number
    of legs).
    """
    A = set(side)
    holders = {}
    for n, ix in zip(net["names"], net["inputs"]):
        for lab in ix:
            holders.setdefault(lab, set()).add(n in A)
    for k, lab in enumerate(net["output"]):
        holders[lab].add(k in rows)
    crossing = sorted(lab for lab, s in holders.items() if len(s) == 2)
    if not isinstance(claimed, list) or not all(isinstance(x, str) for x in claimed) or sorted(claimed) != crossing:
        raise CheckFailure(f"the cut with side {show(sorted(side))} crosses {show(crossing)}, not {show(claimed)}")
    return prod(net["dims"][x] for x in crossing)


@rule("cut-bound")
def cut_bound(step: dict, ctx) -> list:
    """``cut-bound``: the cut's crossing labels are recomputed and their dimensions multiplied.

    T = sum over the crossing labels of (contraction of ``side``) (contraction of the rest),
    a sum of P products of a function of I and a function of J: rank [T]_{I,J} <= P for every
    value of the cores (:func:`crossing_value`).
    """
    name = field(step, "network", "step", str)
    net = _net(ctx, name, "step.network")
    rows = _rows(step, net)
    side = field(step, "side", "step", list)
    if any(n not in net["names"] for n in side) or len(set(side)) != len(side):
        raise Malformed("step.side: expected distinct core names of the network")
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    P = crossing_value(net, rows, side, field(step, "cut", "step", list))
    if P != value:
        raise CheckFailure(f"the cut's bond dimensions multiply to {P}, not {value}")
    facts = [("generic-rank-at-most", {"network": name, "rows": rows}, P)]
    if net["values"] is not None:
        facts.append(("rank-at-most", {"matrix": {"object": name, "rows": rows}, "field": "Q"}, P))
    return facts


# -------------------------------------------------------------- contraction
def _strides(labels, dims):
    st, s = {}, 1
    for lab in reversed(labels):
        st[lab] = s
        s *= dims[lab]
    return st


def _offsets(labels, dims, strides):
    """Offsets (by ``strides``, 0 for absent labels) of every C-order assignment of ``labels``."""
    out = [0]
    for lab in labels:
        s = strides.get(lab, 0)
        out = [o + i * s for o in out for i in range(dims[lab])]
    return out


def _pair(X, Y, keep, dims, p):
    (lx, dx), (ly, dy) = X, Y
    union = list(dict.fromkeys(lx + ly))
    res = [x for x in union if x in keep]
    summed = [x for x in union if x not in keep]
    size = prod(dims[x] for x in res)
    work = size * prod(dims[x] for x in summed)
    if size > MAX_ENTRIES or work > MAX_WORK:
        raise Malformed(f"a contraction step of the path needs {size} entries and {work} products, over the limit")
    sx, sy = _strides(lx, dims), _strides(ly, dims)
    ox, oy = _offsets(res, dims, sx), _offsets(res, dims, sy)
    kx, ky = _offsets(summed, dims, sx), _offsets(summed, dims, sy)
    if len(kx) == 1:
        data = [dx[a] * dy[b] % p for a, b in zip(ox, oy)]
    else:
        ks = list(zip(kx, ky))
        data = [sum(dx[a + u] * dy[b + v] for u, v in ks) % p for a, b in zip(ox, oy)]
    return res, data


def _vectors(T, free, summed, dims):
    """Table free-index -> tuple of the entries over the summed labels (C order both)."""
    labels, data = T
    st = _strides(labels, dims)
    fo, so = _offsets(free, dims, st), _offsets(summed, dims, st)
    if len(so) == 1:
        return [data[a] for a in fo]
    return [tuple(data[a + b] for b in so) for a in fo]


def _index_offsets(legs, dims, labels_of_leg, free, idx):
    """For each index in ``idx`` (C order over ``legs``), its offset in the C-order table over ``free``."""
    st = _strides(free, dims)
    out = []
    for i in idx:
        off = 0
        for k in reversed(legs):
            lab = labels_of_leg[k]
            i, d = divmod(i, dims[lab])
            off += d * st.get(lab, 0)
        out.append(off)
    return out


@rule("network-rank-at-least")
def network_rank_at_least(step: dict, ctx) -> list:
    """``network-rank-at-least``: a hinted minor of a sketched flattening of a network point is nonsingular.

    The checker contracts the network, with the test matrix S_k on open leg k, along the
    certificate's path mod p (a contraction order changes no value), computes only the hinted
    r x r entries of (kron_I S_i) [T]_{I,J} (kron_J S_j)^T and hands them to ``check_minor``.
    That matrix is a product with [T]_{I,J} in the middle, so its rank bounds rank [T]_{I,J}
    from below; a minor nonzero mod p is nonzero over Z (docs/mathematics.md, section 1,
    "Sketches"). Facts: ``rank-at-least`` r (Q, GF(p)). Cost: per path step, the entries of
    its result times the product of its summed dimensions (each step at most :data:`MAX_WORK`),
    then r^2 K for the minor's entries (K the dimension shared by the last two tensors) and
    one r x r determinant mod p.
    """
    name = field(step, "network", "step", str)
    net = _net(ctx, name, "step.network")
    if net["values"] is None or not all(isinstance(x, int) for v in net["values"] for x in v):
        raise Malformed(f"step.network: {name!r} needs integer core values")
    rows = _rows(step, net)
    N = len(net["output"])
    cols = [k for k in range(N) if k not in rows]
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    p = prime(field(step, "modulus", "step"), "step.modulus")
    sk = field(step, "sketch", "step", list)
    if len(sk) != N:
        raise Malformed(f"step.sketch: expected {N} test matrices, one per open leg, got {len(sk)}")
    dims = dict(net["dims"])
    tensors = [(list(ix), [x % p for x in v]) for ix, v in zip(net["inputs"], net["values"])]
    leg = {}
    for k, S in enumerate(sk):
        M = dims[net["output"][k]]
        if not isinstance(S, list) or not S or any(not isinstance(row, list) or len(row) != M for row in S):
            raise Malformed(f"step.sketch[{k}]: expected an s x {M} integer matrix")
        lab = ("~", k)
        dims[lab] = len(S)
        leg[k] = lab
        flat = [integer(x, f"step.sketch[{k}]") % p for row in S for x in row]
        tensors.append(([lab, net["output"][k]], flat))
    m = prod(dims[leg[k]] for k in rows)
    n = prod(dims[leg[k]] for k in cols)
    mr, mc = minor_hint(step, m, n, r)
    if r == 0:
        return [("rank-at-least", {"matrix": {"object": name, "rows": rows}, "field": "Q"}, 0)]
    out = set(leg.values())
    path = field(step, "path", "step", list)
    for t, pair in enumerate(path):
        if not isinstance(pair, list) or len(pair) != 2:
            raise Malformed(f"step.path[{t}]: expected a pair of positions")
        i, j = (integer(x, f"step.path[{t}]", 0, len(tensors) - 1) for x in pair)
        if i == j:
            raise Malformed(f"step.path[{t}]: expected two different positions")
        X, Y = tensors[i], tensors[j]
        tensors = [T for q, T in enumerate(tensors) if q not in (i, j)]
        keep = set(out).union(*[set(T[0]) for T in tensors])
        tensors.append(_pair(X, Y, keep, dims, p))
    if len(tensors) > 2:
        raise Malformed(f"step.path: leaves {len(tensors)} tensors, expected at most two")
    enabled = gc.isenabled()
    gc.disable()  # millions of short-lived tuples: the cyclic collector would only rescan the big lists
    try:
        check_minor(_minor_entries(tensors, rows, cols, leg, dims, mr, mc, p), r, p,
                    f"of the sketched flattening of {name!r}")
    finally:
        if enabled:
            gc.enable()
    subject = {"object": name, "rows": rows}
    return [("rank-at-least", {"matrix": subject, "field": "Q"}, r),
            ("rank-at-least", {"matrix": subject, "field": f"GF({p})"}, r)]


def _minor_entries(tensors, rows, cols, leg, dims, mr, mc, p):
    """The rows of the hinted minor of the sketched flattening, one list at a time.

    With two tensors X, Y left, entry = sum over their shared bonds of X * Y; with
    one, the entry is read off. Only the minor's entries are computed, and the rows are
    yielded as they are formed, so the determinant never holds r^2 Python integers.
    """
    legs = set(leg.values())
    if len(tensors) == 1:
        tensors = tensors + [([], [1])]
    (lx, dx), (ly, dy) = tensors
    summed = [x for x in lx if x not in legs]
    if set(summed) != {x for x in ly if x not in legs}:
        raise Malformed("step.path: the two remaining tensors must share all their bonds")
    K = prod(dims[x] for x in summed)
    if len(mr) * len(mc) * K > MAX_WORK:
        raise Malformed("the final contraction exceeds the checker limit")
    fx = [x for x in lx if x in legs]
    fy = [x for x in ly if x in legs]
    Xv = _vectors((lx, dx), fx, summed, dims)
    Yv = _vectors((ly, dy), fy, summed, dims)
    rx = _index_offsets(rows, dims, leg, fx, mr)
    ry = _index_offsets(rows, dims, leg, fy, mr)
    cp = list(zip(_index_offsets(cols, dims, leg, fx, mc), _index_offsets(cols, dims, leg, fy, mc)))
    if K == 1:
        for a, b in zip(rx, ry):
            yield [Xv[a + u] * Yv[b + v] for u, v in cp]
    elif K == 2:
        for a, b in zip(rx, ry):
            yield [x[0] * y[0] + x[1] * y[1] for x, y in ((Xv[a + u], Yv[b + v]) for u, v in cp)]
    elif K == 3:
        for a, b in zip(rx, ry):
            yield [x[0] * y[0] + x[1] * y[1] + x[2] * y[2] for x, y in ((Xv[a + u], Yv[b + v]) for u, v in cp)]
    else:
        for a, b in zip(rx, ry):
            yield [sum(s * t for s, t in zip(Xv[a + u], Yv[b + v])) for u, v in cp]


# ---------------------------------------------------------- generic-from-point
@rule("generic-from-point")
def generic_from_point(step: dict, ctx) -> list:
    """``generic-from-point``: lifts the rank of a point of a network family to generic values.

    POINT must have FAMILY's exact structure and equal values on tied cores (so it is a point
    of the family's parameter space), and its ``rank-at-least`` fact must be derived. The minor
    is a polynomial in the core values, nonzero at POINT, so nonzero on a dense Zariski-open set
    (docs/mathematics.md, section 1).
    """
    pname = field(step, "point", "step", str)
    fname = field(step, "family", "step", str)
    P = _net(ctx, pname, "step.point")
    F = _net(ctx, fname, "step.family")
    for key in ("names", "inputs", "output", "dims", "groups"):
        if P[key] != F[key]:
            raise CheckFailure(f"the point {pname!r} differs from the family {fname!r} in its {key}")
    if P["values"] is None:
        raise Malformed(f"step.point: {pname!r} has no values")
    for g in F["groups"]:
        for i in g[1:]:
            if P["values"][i] != P["values"][g[0]]:
                raise CheckFailure(f"the point breaks weight sharing: cores {P['names'][g[0]]!r} and "
                                   f"{P['names'][i]!r} of a shared group have different values")
    rows = _rows(step, F)
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    ctx.require("rank-at-least", {"matrix": {"object": pname, "rows": rows}, "field": "Q"}, r, "step")
    return [("generic-rank-at-least", {"network": fname, "rows": rows}, r)]
