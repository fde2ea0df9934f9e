"""Rules about dimensions of images of parameter maps (Terracini), generic ranks and networks.

Varieties (the ``variety`` / ``map`` field; facts use the subject ``{"variety": V}``):

* ``{"format": "partial-symmetric", "blocks": [[n, d], ...], "rank": R}``: the closure of
  ``{sum_r (x)_k l_{k,r}^{(x)d_k}}`` (CP when every d = 1, Waring with one block).
  Coordinates: per block the multisets of size d of range(n) in
  ``itertools.combinations_with_replacement`` order, C order over the blocks;
  parameters ``L_k`` (n_k x R) in C order, block after block.
* ``{"format": "tensor-network", "cores": [{"shape", "labels"}], "outputs": [...]}`` (optional
  ``"kind"``): the full tensor (C order over outputs) as a multilinear map of the cores.
* ``{"format": "polynet", "widths": [d_0..d_h], "degree": r}``: ``W_h s(... s(W_1 x))``,
  ``s(t) = t^r``; the point's last block holds evaluation points (d_0 x K).

Rules: ``jacobian-rank-at-least``, ``dim-at-most``, ``secant-not-filling`` (their minors go to
``check_minor``), and ``dimension``, ``defectivity``, ``filling``, ``local-identifiability``,
``neurovariety-as-secant``, ``generic-rank``, derived from dim-at-least / dim-at-most facts. Each function's docstring says
what it checks and why that proves its fact (the mathematics: docs/mathematics.md, sections 5, 6).
"""
from __future__ import annotations

import itertools
import math

from tnverify.checker import network_eval
from tnverify.checker.kernel import (
    CheckFailure, Malformed, check_minor, field, int_list, integer, minor_hint, prime, rule,
)

MAX_DIM = 10_000_000
MAX_WORK = 60_000_000


def _keys(step: dict, allowed: set) -> None:
    extra = set(step) - allowed - {"id", "rule"}
    if extra:
        raise Malformed(f"unknown keys {sorted(extra)}")


# ------------------------------------------------------------------ varieties
def variety(v, where: str) -> dict:
    """Validate a variety spec; returns it (its counts must be JSON integers, :func:`_integer_counts`)."""
    fmt = field(v, "format", where, str)
    if fmt == "partial-symmetric":
        if set(v) - {"format", "blocks", "rank"}:
            raise Malformed(f"{where}: unknown keys {sorted(set(v) - {'format', 'blocks', 'rank'})}")
        blocks = field(v, "blocks", where, list)
        if not blocks:
            raise Malformed(f"{where}.blocks: expected at least one block")
        for i, b in enumerate(blocks):
            if not isinstance(b, list) or len(b) != 2:
                raise Malformed(f"{where}.blocks[{i}]: expected [n, d]")
            integer(b[0], f"{where}.blocks[{i}][0]", 1, 10_000)
            integer(b[1], f"{where}.blocks[{i}][1]", 1, 100)
        integer(field(v, "rank", where), f"{where}.rank", 1, 100_000)
    elif fmt == "tensor-network":
        if set(v) - {"format", "kind", "cores", "outputs"}:
            raise Malformed(f"{where}: unknown keys")
        cores = field(v, "cores", where, list)
        if not cores:
            raise Malformed(f"{where}.cores: expected at least one core")
        dims: dict = {}
        for i, c in enumerate(cores):
            if not isinstance(c, dict) or set(c) != {"shape", "labels"}:
                raise Malformed(f"{where}.cores[{i}]: expected {{shape, labels}}")
            shape = [integer(x, f"{where}.cores[{i}].shape", 1, 10_000) for x in field(c, "shape", where, list)]
            labels = field(c, "labels", where, list)
            if len(labels) != len(shape) or not all(isinstance(x, str) for x in labels) or len(set(labels)) != len(labels):
                raise Malformed(f"{where}.cores[{i}]: labels must be distinct strings, one per axis")
            for lab, s in zip(labels, shape):
                if dims.setdefault(lab, s) != s:
                    raise Malformed(f"{where}: label {lab!r} has two dimensions")
        outs = field(v, "outputs", where, list)
        if not outs or len(set(map(str, outs))) != len(outs) or any(o not in dims for o in outs):
            raise Malformed(f"{where}.outputs: expected distinct labels of the cores")
        counts: dict = {}
        for c in cores:
            for lab in c["labels"]:
                counts[lab] = counts.get(lab, 0) + 1
        if any(counts[o] != 1 for o in outs) or any(n != 2 for lab, n in counts.items() if lab not in outs):
            raise Malformed(f"{where}: outputs must appear on one core, bonds on exactly two")
    elif fmt == "polynet":
        if set(v) - {"format", "widths", "degree"}:
            raise Malformed(f"{where}: unknown keys")
        w = int_list(field(v, "widths", where), f"{where}.widths", 1, 10_000, distinct=False)
        if len(w) < 2:
            raise Malformed(f"{where}.widths: expected at least 2 widths")
        integer(field(v, "degree", where), f"{where}.degree", 1, 100)
    else:
        raise Malformed(f"{where}.format: unknown format {fmt!r}")
    _integer_counts(v)  # before any count is used: "7" is a valid integer elsewhere, not here
    if fmt == "tensor-network" and (len(v["cores"]) > network_eval.MAX_CORES or _ambient(v) > MAX_DIM
                                    or _params(v) > MAX_DIM):
        raise Malformed(f"{where}: network too large for the checker (at most {network_eval.MAX_CORES} cores, "
                        f"{MAX_DIM} entries and {MAX_DIM} parameters)")
    if fmt == "polynet" and len(v["widths"]) > 2 and (len(v["widths"]) - 2) * math.log2(v["degree"]) > 12:
        raise Malformed(f"{where}: output degree r^(h-1) exceeds the checker limit 4096")
    if _ambient(v) > MAX_DIM:
        raise Malformed(f"{where}: ambient dimension exceeds the checker limit {MAX_DIM}")
    return v


def _integer_counts(v: dict) -> dict:
    """The validated variety, refused (Malformed) when a count is written as a string: its facts are
    stored under its JSON, so one variety must have one spelling."""
    fmt = v["format"]
    if fmt == "partial-symmetric":
        counts = [x for b in v["blocks"] for x in b] + [v["rank"]]
    elif fmt == "tensor-network":
        counts = [x for c in v["cores"] for x in c["shape"]]
    else:
        counts = list(v["widths"]) + [v["degree"]]
    if any(isinstance(x, bool) or not isinstance(x, int) for x in counts):
        raise Malformed("variety: counts (widths, degree, blocks, rank, shapes) must be JSON integers")
    return v


def _ambient(v: dict) -> int:
    if v["format"] == "partial-symmetric":
        return math.prod(math.comb(n + d - 1, d) for n, d in v["blocks"])
    if v["format"] == "tensor-network":
        dims = {lab: s for c in v["cores"] for lab, s in zip(c["labels"], c["shape"])}
        return math.prod(dims[o] for o in v["outputs"])
    w, r = v["widths"], v["degree"]
    D = r ** (len(w) - 2)
    return w[-1] * math.comb(w[0] + D - 1, D)


def _params(v: dict) -> int:
    if v["format"] == "partial-symmetric":
        return v["rank"] * sum(n for n, _ in v["blocks"])
    if v["format"] == "tensor-network":
        return sum(math.prod(c["shape"]) for c in v["cores"])
    w = v["widths"]
    return sum(w[i] * w[i + 1] for i in range(len(w) - 1))


def _symmetric_params(v: dict) -> int:
    """Parameters minus a generically free symmetry group (the 'parameters' bound)."""
    if v["format"] == "partial-symmetric":
        return v["rank"] * (sum(n for n, _ in v["blocks"]) - (len(v["blocks"]) - 1))
    if v["format"] == "polynet":
        return _params(v) - sum(v["widths"][1:-1])
    return _params(v)


def _point_shapes(v: dict) -> list:
    if v["format"] == "partial-symmetric":
        return [[n, v["rank"]] for n, _ in v["blocks"]]
    if v["format"] == "tensor-network":
        return [list(c["shape"]) for c in v["cores"]]
    w = v["widths"]
    return [[w[i + 1], w[i]] for i in range(len(w) - 1)]


def _flat_ints(x, shape, where):
    """Flatten a nested list of the given shape into Python ints."""
    if not shape:
        if isinstance(x, bool) or not isinstance(x, int):
            raise Malformed(f"{where}: expected an integer, got {x!r}")
        return [x]
    if not isinstance(x, list) or len(x) != shape[0]:
        raise Malformed(f"{where}: expected a list of length {shape[0]}")
    out = []
    for i, y in enumerate(x):
        out.extend(_flat_ints(y, shape[1:], f"{where}[{i}]"))
    return out


def _point(step: dict, v: dict, p: int, where: str) -> list:
    pt = field(step, "point", where, list)
    shapes = _point_shapes(v)
    extra = 1 if v["format"] == "polynet" else 0
    if len(pt) != len(shapes) + extra:
        raise Malformed(f"{where}.point: expected {len(shapes) + extra} parameter blocks, got {len(pt)}")
    out = [[x % p for x in _flat_ints(b, s, f"{where}.point[{i}]")] for i, (b, s) in enumerate(zip(pt, shapes))]
    if extra:
        d0 = v["widths"][0]
        X = pt[-1]
        if not isinstance(X, list) or len(X) != d0 or not X or not isinstance(X[0], list):
            raise Malformed(f"{where}.point[-1]: expected {d0} rows of evaluation points")
        K = len(X[0])
        if K < 1 or K * _params(v) * max(v["widths"]) > MAX_WORK:
            raise Malformed(f"{where}.point[-1]: bad number of evaluation points {K}")
        out.append([x % p for x in _flat_ints(X, [d0, K], f"{where}.point[-1]")])
    return out


def _minor(step: dict, m: int, n: int, r: int, where: str):
    """The hinted minor's rows and columns; here the hint has no other keys."""
    if set(field(step, "minor", where, dict)) != {"rows", "cols"}:
        raise Malformed(f"{where}.minor: expected exactly rows and cols")
    return minor_hint(step, m, n, r, where)


# ------------------------------------------------------------------ Jacobian builders
def _monos(n: int, d: int) -> list:
    return list(itertools.combinations_with_replacement(range(n), d))


def _partial_minor(v: dict, pt: list, p: int, rows: list, cols: list) -> list:
    """The Jacobian minor of ``sum_r prod_k l_{k,r}^{d_k}`` (rows: monomial multi-indices, cols: (k, j, r)).

    Entry (a, (k, j, r)) = ``d/dL_k[j, r]`` of the a-th coefficient = ``m_j(a_k) l_{k,r}^{a_k - e_j}
    prod_{l != k} l_{l,r}^{a_l}`` mod p, with ``m_j(a_k)`` the multiplicity of j in the multiset
    ``a_k`` (zero when j does not occur). The values ``l_{l,r}^{a}`` (every block, monomial and
    r) and the derivative factors are tabled once; a row then costs one product per block
    and one multiplication per nonzero entry (a row has at most ``R sum_k d_k`` of them).
    Cost O(sum_k C(n_k + d_k - 1, d_k) d_k R + |rows| (K^2 R + |cols|)) operations mod p.
    """
    blocks, R = v["blocks"], v["rank"]
    monos = [_monos(n, d) for n, d in blocks]
    sizes = [len(m) for m in monos]
    offs = [0]
    for n, _ in blocks:
        offs.append(offs[-1] + n * R)

    def power(k, mono):  # [prod_{t in mono} L_k[t, r] for r]
        L, out = pt[k], [1] * R
        for t in mono:
            out = [x * L[t * R + r] % p for r, x in enumerate(out)]
        return out

    val = [[power(k, a) for a in monos[k]] for k in range(len(blocks))]
    der = []  # der[k][a] = {j: [m_j(a) l_{k,r}^(a - e_j) for r]}
    for k, mk in enumerate(monos):
        table = []
        for a in mk:
            d = {}
            for j in set(a):
                rest = list(a)
                rest.remove(j)
                c = a.count(j)
                d[j] = [c * x % p for x in power(k, rest)]
            table.append(d)
        der.append(table)
    K = len(blocks)
    where = [{} for _ in range(K)]  # where[k][j] = [(position in cols, r), ...]
    for pos, c in enumerate(cols):
        k = max(i for i in range(K) if offs[i] <= c)
        j, r = divmod(c - offs[k], R)
        where[k].setdefault(j, []).append((pos, r))
    M = []
    for i in rows:
        a = [0] * K
        for q in range(K - 1, -1, -1):
            i, a[q] = divmod(i, sizes[q])
        row = [0] * len(cols)
        for k in range(K):
            acc = [1] * R
            for l in range(K):
                if l != k:
                    acc = [x * y % p for x, y in zip(acc, val[l][a[l]])]
            for j, f in der[k][a[k]].items():
                for pos, r in where[k].get(j, ()):
                    row[pos] = f[r] * acc[r] % p
        M.append(row)
    return M


def _polynet_jacobian(v: dict, pt: list, p: int) -> list:
    """Rows (output j, point t), columns parameters; forward mode mod p."""
    w, r = v["widths"], v["degree"]
    h = len(w) - 1
    d0 = w[0]
    X = pt[h]
    K = len(X) // d0
    P = _params(v)
    rows = []
    for t in range(K):
        z = [X[b * K + t] for b in range(d0)]
        dz = [[0] * P for _ in range(d0)]
        off = 0
        for i in range(h):
            W = pt[i]
            a, da = [], []
            for aa in range(w[i + 1]):
                s = sum(W[aa * w[i] + bb] * z[bb] for bb in range(w[i])) % p
                ds = [sum(W[aa * w[i] + bb] * dz[bb][q] for bb in range(w[i])) % p for q in range(P)]
                for bb in range(w[i]):
                    ds[off + aa * w[i] + bb] = (ds[off + aa * w[i] + bb] + z[bb]) % p
                a.append(s)
                da.append(ds)
            off += w[i + 1] * w[i]
            if i == h - 1:
                z, dz = a, da
                break
            z = [pow(x, r, p) for x in a]
            dz = [[r * pow(x, r - 1, p) * y % p for y in dx] for x, dx in zip(a, da)]
        rows.append(dz)
    return [rows[t][j] for j in range(w[h]) for t in range(K)]


def _jacobian_minor(v: dict, pt: list, p: int, rows: list, cols: list) -> list:
    if v["format"] == "partial-symmetric":
        return _partial_minor(v, pt, p, rows, cols)
    if v["format"] == "tensor-network":
        return network_eval.jacobian_minor(v, pt, p, rows, cols)
    J = _polynet_jacobian(v, pt, p)
    return [[J[i][j] for j in cols] for i in rows]


def _jac_rows(v: dict, pt: list) -> int:
    if v["format"] == "polynet":
        return v["widths"][-1] * (len(pt[-1]) // v["widths"][0])
    return _ambient(v)


@rule("jacobian-rank-at-least")
def jacobian_rank_at_least(step: dict, ctx) -> list:
    """``jacobian-rank-at-least``: a hinted minor of the Jacobian at an integer point is nonsingular.

    Step ``{map, point, modulus, rank, minor}``. This module rebuilds the hinted r x r entries
    of the Jacobian of the parameter map at the point mod p with its own code, and hands them
    to ``check_minor``; only those entries are built (a tensor network's rows by
    :func:`tnverify.checker.network_eval.jacobian_minor`, each from its sliced network), so the
    hinted rows may be any subset of the entries of the tensor: a minor of a submatrix is a
    minor of the matrix. Terracini: the dimension of the image is the generic Jacobian rank, and
    the rank at any point (mod p) is at most the generic rank (docs/mathematics.md, sections 1,
    5 and 6). Fact ``dim-at-least`` r.
    """
    _keys(step, {"map", "point", "modulus", "rank", "minor"})
    v = variety(field(step, "map", "step"), "step.map")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    if p >= 2**62:
        raise Malformed("step.modulus: expected a prime below 2^62")
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    pt = _point(step, v, p, "step")
    rows, cols = _minor(step, _jac_rows(v, pt), _params(v), r, "step")
    if v["format"] == "polynet" and _params(v) * _jac_rows(v, pt) * max(v["widths"]) > MAX_WORK:
        raise Malformed("step: network Jacobian too large for the checker")
    check_minor(_jacobian_minor(v, pt, p, rows, cols), r, p, "of the Jacobian at the hinted rows and columns",
                residues=True)
    return [("dim-at-least", {"variety": v}, r)]


# ------------------------------------------------------------------ upper bounds
@rule("dim-at-most")
def dim_at_most(step: dict, ctx) -> list:
    """``dim-at-most``: an upper bound on the dimension, by a count or by a gauge minor.

    Step ``{variety, method, rank}``. ``ambient``: the image lies in the ambient space.
    ``parameters``: parameters minus a symmetry group acting freely at generic points
    (R (sum n_k - (K-1)): K-1 scalings per rank-one term; polynet: one rescaling ``(c, c^{-r})``
    per hidden neuron; tensor-network: the parameter count). ``bottleneck`` (first hidden
    width 1, at layer i): outputs are ``v u^e`` with u the scalar output of the first i layers, so
    dim <= sum_{l<=i} d_l d_{l-1} - sum_{0<l<i} d_l + d_h - 1. ``first-layer`` (polynet, d_1 < d_0):
    for W_1 of full rank (open dense), ``W_1 = M [I | X]`` after a fixed column order, so
    ``f(x) = G([I | X] x)`` with G a network of widths ``(d_1, d_1, d_2, ..., d_h)``; needs
    ``dim-at-most`` u - d_1 (d_0 - d_1) of that network. ``split`` {layer: l} (polynet,
    1 <= l <= h - 1): ``f = H(s(g))`` with g in the polynet ``(d_0, ..., d_l)`` and H any d_h-tuple
    of forms of degree ``E = r^(h-1-l)`` in d_l variables, invariant under ``g_j -> t_j g_j`` with H
    compensating; needs ``dim-at-most`` u - d_h C(d_l + E - 1, E) + d_l of that polynet.
    ``orthogonal`` (polynet, s(t) = t^2, one output, 2 <= m = d_(h-1) <= d_(h-2)): the output
    ``sum_k a_k z_k^2`` is kept by ``z -> g z`` with ``g^T diag(a) g = diag(a')``, an m(m+1)/2-
    dimensional family (rescalings included) acting freely on W_(h-1) of full row rank, so
    dim <= parameters - sum_{l < h-1} d_l - m(m+1)/2. ``product`` (polynet, s(t) = t^2, one output,
    last hidden width 2): over C, ``a_1 z_1^2 + a_2 z_2^2 = w_1 w_2`` with ``w`` a linear change of
    ``z``, an output of the polynet ``(d_0, ..., d_(h-1))`` (W_(h-1) changed accordingly); the
    product map is constant on the orbits ``(t w_1, w_2 / t)``, one-dimensional at every w != 0, so
    ``dim <= dim V_(h-1) - 1``; needs ``dim-at-most`` u + 1 of that polynet. ``suffix`` (polynet,
    h >= 3): ``f = G(s(W_1 x))`` with G in the polynet ``(d_1, ..., d_h)``, and the map
    ``(W_1, G) -> G(s(W_1 x))`` is constant on the d_1-dimensional orbits ``W_1 -> D W_1``,
    ``G -> G(D^-r .)`` (D diagonal invertible, free where W_1 has no zero row), so
    ``dim <= d_0 d_1 - d_1 + dim V(d_1, ..., d_h)``; needs ``dim-at-most`` u - d_1 (d_0 - 1) of that
    polynet. ``gauge`` {point, modulus,
    minor}: the gauge orbit lies in the fibre, so dim <= parameters - rank of the
    infinitesimal gauge action at a point, that rank shown by a minor (``check_minor``; only
    its hinted entries are built, :func:`tnverify.checker.network_eval.gauge_minor`).
    ``effective-ranks`` (tensor-network whose ranks are not full): the network with every bond
    shrunk by :func:`effective_network` has the same image, so its ``dim-at-most`` u (required)
    bounds this one. Fact ``dim-at-most``.
    """
    method = field(step, "method", "step", str)
    allowed = {"variety", "method", "rank"} | ({"point", "modulus", "minor"} if method == "gauge" else set()) | (
        {"layer"} if method == "split" else set())
    _keys(step, allowed)
    v = variety(field(step, "variety", "step"), "step.variety")
    u = integer(field(step, "rank", "step"), "step.rank", 0)
    if method == "ambient":
        bound = _ambient(v)
    elif method == "parameters":
        bound = _symmetric_params(v)
    elif method == "bottleneck":
        if v["format"] != "polynet":
            raise Malformed("step.method: bottleneck applies to polynet")
        w = v["widths"]
        i = next((i for i in range(1, len(w) - 1) if w[i] == 1), None)
        if i is None:
            raise CheckFailure(f"no hidden layer of width 1 in {w}")
        bound = sum(w[l] * w[l - 1] for l in range(1, i + 1)) - sum(w[1:i]) + w[-1] - 1
    elif method == "first-layer":
        if v["format"] != "polynet" or len(v["widths"]) < 3:
            raise Malformed("step.method: first-layer applies to polynet with a hidden layer")
        w = v["widths"]
        if w[1] >= w[0]:
            raise CheckFailure(f"the first hidden width {w[1]} is not below the input width {w[0]}")
        sub = {"format": "polynet", "widths": [w[1], w[1]] + w[2:], "degree": v["degree"]}
        ctx.require("dim-at-most", {"variety": sub}, u - w[1] * (w[0] - w[1]), "step")
        bound = u
    elif method == "orthogonal":
        if v["format"] != "polynet" or len(v["widths"]) < 3:
            raise Malformed("step.method: orthogonal applies to polynet with a hidden layer")
        w, m = v["widths"], v["widths"][-2]
        if v["degree"] != 2 or w[-1] != 1 or not 2 <= m <= w[-3]:
            raise CheckFailure(f"the orthogonal symmetry needs s(t) = t^2, one output and 2 <= last hidden width "
                               f"<= the width before it; got degree {v['degree']}, widths {w}")
        bound = _params(v) - sum(w[1:-2]) - m * (m + 1) // 2
    elif method == "product":
        if v["format"] != "polynet" or len(v["widths"]) < 3:
            raise Malformed("step.method: product applies to polynet with a hidden layer")
        w = v["widths"]
        if v["degree"] != 2 or w[-1] != 1 or w[-2] != 2:
            raise CheckFailure(f"the product form needs s(t) = t^2, one output and a last hidden width of 2; got "
                               f"degree {v['degree']}, widths {w}")
        sub = {"format": "polynet", "widths": w[:-1], "degree": 2}
        ctx.require("dim-at-most", {"variety": sub}, u + 1, "step")
        bound = u
    elif method == "suffix":
        if v["format"] != "polynet" or len(v["widths"]) < 4:
            raise Malformed("step.method: suffix applies to polynet with at least two hidden layers")
        w = v["widths"]
        sub = {"format": "polynet", "widths": w[1:], "degree": v["degree"]}
        ctx.require("dim-at-most", {"variety": sub}, u - w[1] * (w[0] - 1), "step")
        bound = u
    elif method == "split":
        if v["format"] != "polynet" or len(v["widths"]) < 3:
            raise Malformed("step.method: split applies to polynet with a hidden layer")
        w, r = v["widths"], v["degree"]
        h = len(w) - 1
        layer = integer(field(step, "layer", "step"), "step.layer", 1, h - 1)
        E = r ** (h - 1 - layer)
        forms = w[-1] * math.comb(w[layer] + E - 1, E)
        sub = {"format": "polynet", "widths": w[:layer + 1], "degree": r}
        ctx.require("dim-at-most", {"variety": sub}, u - forms + w[layer], "step")
        bound = u
    elif method == "effective-ranks":
        if v["format"] != "tensor-network":
            raise Malformed("step.method: effective-ranks applies to tensor-network")
        sub = effective_network(v)
        if sub == v:
            raise CheckFailure("every bond is already at most the product of the other dimensions of its two cores")
        ctx.require("dim-at-most", {"variety": sub}, u, "step")
        bound = u
    elif method == "gauge":
        if v["format"] != "tensor-network":
            raise Malformed("step.method: gauge applies to tensor-network")
        p = prime(field(step, "modulus", "step"), "step.modulus")
        pt = _point(step, v, p, "step")
        s = _params(v) - u
        if s < 0:
            raise CheckFailure(f"bound {u} exceeds the parameter count {_params(v)}")
        rows, cols = _minor(step, _params(v), network_eval.gauge_columns(v), s, "step")
        check_minor(network_eval.gauge_minor(v, pt, p, rows, cols), s, p, "of the infinitesimal gauge action",
                    residues=True)
        bound = u
    else:
        raise Malformed(f"step.method: expected ambient, parameters, bottleneck, first-layer, orthogonal, product, "
                        f"suffix, split, effective-ranks or gauge, got {method!r}")
    if u < bound:
        raise CheckFailure(f"the {method} bound is {bound}, not {u}")
    return [("dim-at-most", {"variety": v}, u)]


def effective_network(v: dict) -> dict:
    """The tensor-network variety with every bond shrunk until no bond exceeds the product of
    the other dimensions of either of its cores.

    A core C whose other dimensions have product a below its bond dimension r is, as an
    a x r matrix, I_a C: the factor C moves into the core at the bond's other end, and the bond
    becomes a. Every value of the network is then a value of the shrunk one, and zero padding
    gives the converse, so both parametrisations have one image (and one dimension). Each
    step only lowers dimensions, and the rule is monotone, so the limit does not depend on
    the order of the steps. Cost O(passes x sum of core orders), each pass lowering a bond.
    """
    shapes = [list(c["shape"]) for c in v["cores"]]
    ends: dict = {}
    for ci, c in enumerate(v["cores"]):
        for ax, lab in enumerate(c["labels"]):
            if lab not in v["outputs"]:
                ends.setdefault(lab, []).append((ci, ax))
    changed = True
    while changed:
        changed = False
        for pair in ends.values():
            for ci, ax in pair:
                other = math.prod(x for i, x in enumerate(shapes[ci]) if i != ax)
                if other < shapes[ci][ax]:
                    for cj, aj in pair:
                        shapes[cj][aj] = other
                    changed = True
    return {**v, "cores": [{"shape": s, "labels": list(c["labels"])} for s, c in zip(shapes, v["cores"])]}


def _partial_tensor(ctx, name, v, where):
    o = ctx.obj(name, where)
    if o["type"] != "tensor":
        raise Malformed(f"{where}: {name!r} is not a tensor")
    shape = [n for n, d in v["blocks"] for _ in range(d)]
    if o["shape"] != shape:
        raise Malformed(f"{where}: tensor shape {o['shape']} is not the format's {shape}")
    flat = o["flat"]
    if not all(isinstance(x, int) for x in flat):
        raise Malformed(f"{where}: expected integer entries")
    strides = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    pos = 0
    for n, d in v["blocks"]:
        for t in range(pos, pos + d - 1):
            for idx in itertools.product(*[range(s) for s in shape]):
                if idx[t] < idx[t + 1]:
                    f = sum(a * s for a, s in zip(idx, strides))
                    g = f + (idx[t + 1] - idx[t]) * (strides[t] - strides[t + 1])
                    if flat[f] != flat[g]:
                        raise CheckFailure(f"{where}: tensor {name!r} is not symmetric in modes {t}, {t + 1}")
        pos += d
    return shape, flat, strides


@rule("dim-at-least-from-effective-ranks")
def dim_at_least_from_effective_ranks(step: dict, ctx) -> list:
    """``dim-at-least-from-effective-ranks``: a lower bound of the network with its bonds shrunk is this one's.

    Step ``{variety, rank}``, a tensor network. :func:`effective_network` only lowers bond
    dimensions; a core of the smaller network, padded with zeros along its shrunk bonds, is a core
    of this one that contracts to the same tensor. So the smaller network's image lies in this
    one's, and its ``dim-at-least`` u (required) holds here. Fact ``dim-at-least`` u.
    """
    _keys(step, {"variety", "rank"})
    v = variety(field(step, "variety", "step"), "step.variety")
    if v["format"] != "tensor-network":
        raise Malformed("step.variety: dim-at-least-from-effective-ranks applies to tensor-network")
    sub = effective_network(v)
    if sub == v:
        raise CheckFailure("every bond is already at most the product of the other dimensions of its two cores")
    u = integer(field(step, "rank", "step"), "step.rank", 0)
    ctx.require("dim-at-least", {"variety": sub}, u, "step")
    return [("dim-at-least", {"variety": v}, u)]


@rule("secant-not-filling")
def secant_not_filling(step: dict, ctx) -> list:
    """``secant-not-filling``: an equation of sigma_R fails at a tensor, so sigma_R is not the whole space.

    Step ``{variety, tensor, flattening, rank, minor, modulus}``. A tensor of the ambient space
    (checked: shape, symmetric within blocks) whose flattening (``{"rows": modes}``, bound 1
    per rank-one term) or Strassen-Koszul matrix (``{"koszul": {"mode", "projection" (3 x n)}}``
    of an order-3 tensor, bound 2 per term) has a nonsingular hinted minor (``check_minor``)
    of size > bound x R. These ranks are <= 1 (resp. 2) on rank-one tensors, hence <= R (2R)
    on sigma_R, a closed condition [Strassen 1983; Landsberg, Ottaviani 2013]. Fact
    ``dim-at-most`` ambient - 1.
    """
    _keys(step, {"variety", "tensor", "flattening", "rank", "minor", "modulus"})
    v = variety(field(step, "variety", "step"), "step.variety")
    if v["format"] != "partial-symmetric":
        raise Malformed("step.variety: secant-not-filling applies to partial-symmetric formats")
    p = prime(field(step, "modulus", "step"), "step.modulus")
    b = integer(field(step, "rank", "step"), "step.rank", 0)
    shape, flat, strides = _partial_tensor(ctx, field(step, "tensor", "step", str), v, "step.tensor")
    fl = field(step, "flattening", "step", dict)
    N = len(shape)
    if set(fl) == {"rows"}:
        rmodes = int_list(fl["rows"], "step.flattening.rows", 0, N - 1)
        if not rmodes or len(rmodes) == N:
            raise Malformed("step.flattening.rows: both sides must be nonempty")
        cmodes = [k for k in range(N) if k not in rmodes]
        m, n, k = math.prod(shape[a] for a in rmodes), math.prod(shape[a] for a in cmodes), 1

        def split(i, modes):
            out = 0
            for a in reversed(modes):
                i, x = divmod(i, shape[a])
                out += x * strides[a]
            return out

        def at(i, j):
            return flat[split(i, rmodes) + split(j, cmodes)]
    elif set(fl) == {"koszul"}:
        kz = field(fl, "koszul", "step.flattening", dict)
        if set(kz) != {"mode", "projection"} or N != 3:
            raise Malformed("step.flattening.koszul: expected {mode, projection} on an order-3 tensor")
        a = integer(kz["mode"], "step.flattening.koszul.mode", 0, 2)
        P = kz["projection"]
        if not isinstance(P, list) or len(P) != 3:
            raise Malformed("step.flattening.koszul.projection: expected 3 rows")
        proj = [_flat_ints(row, [shape[a]], "step.flattening.koszul.projection") for row in P]
        bm, cm = [x for x in range(3) if x != a]
        nb, nc = shape[bm], shape[cm]
        m, n, k = 3 * nb, 3 * nc, 2
        sign = {(0, 1): (2, 1), (0, 2): (1, -1), (1, 0): (2, -1), (1, 2): (0, 1), (2, 0): (1, 1), (2, 1): (0, -1)}

        def at(i, j):
            (I, x), (Jb, y) = divmod(i, nb), divmod(j, nc)
            if I == Jb:
                return 0
            s, sg = sign[(I, Jb)]
            return sg * sum(proj[s][t] * flat[t * strides[a] + x * strides[bm] + y * strides[cm]]
                            for t in range(shape[a]))
    else:
        raise Malformed("step.flattening: expected {rows: [...]} or {koszul: {...}}")
    rows, cols = _minor(step, m, n, b, "step")
    if b <= k * v["rank"]:
        raise CheckFailure(f"a flattening rank {b} does not exceed {k} x R = {k * v['rank']}")
    check_minor([[at(i, j) % p for j in cols] for i in rows], b, p, "of the flattening of the tensor")
    return [("dim-at-most", {"variety": v}, _ambient(v) - 1)]


# ------------------------------------------------------------------ derived facts
@rule("dimension")
def dimension(step: dict, ctx) -> list:
    """dim-at-least d and dim-at-most d give dim d."""
    _keys(step, {"variety", "rank"})
    v = variety(field(step, "variety", "step"), "step.variety")
    d = integer(field(step, "rank", "step"), "step.rank", 0)
    ctx.require("dim-at-least", {"variety": v}, d, "step")
    ctx.require("dim-at-most", {"variety": v}, d, "step")
    return [("dim", {"variety": v}, d)]


def _bool_from_bound(step, ctx, v, threshold: int, kind: str):
    """rank >= threshold needs dim-at-least rank (True); rank < threshold needs dim-at-most rank (False)."""
    u = integer(field(step, "rank", "step"), "step.rank", 0)
    if u >= threshold:
        ctx.require("dim-at-least", {"variety": v}, u, "step")
        return [(kind, {"variety": v}, True)]
    ctx.require("dim-at-most", {"variety": v}, u, "step")
    return [(kind, {"variety": v}, False)]


@rule("filling")
def filling(step: dict, ctx) -> list:
    """Fact filling true (dim >= ambient) or false (dim <= rank < ambient)."""
    _keys(step, {"variety", "rank"})
    v = variety(field(step, "variety", "step"), "step.variety")
    return _bool_from_bound(step, ctx, v, _ambient(v), "filling")


@rule("defectivity")
def defectivity(step: dict, ctx) -> list:
    """Defective: dim <= rank < expected = min(ambient, R * (sum n_k - K + 1))."""
    _keys(step, {"variety", "rank"})
    v = variety(field(step, "variety", "step"), "step.variety")
    if v["format"] != "partial-symmetric":
        raise Malformed("step.variety: defectivity applies to partial-symmetric formats")
    expected = min(_ambient(v), _symmetric_params(v))
    facts = _bool_from_bound(step, ctx, v, expected, "defective")
    return [(k, s, not val) for k, s, val in facts]


@rule("local-identifiability")
def local_identifiability(step: dict, ctx) -> list:
    """Polynet: dim = params - hidden widths (finite fibres mod rescaling) or dim < that (positive-dim fibres)."""
    _keys(step, {"variety", "rank"})
    v = variety(field(step, "variety", "step"), "step.variety")
    if v["format"] != "polynet":
        raise Malformed("step.variety: local-identifiability applies to polynet")
    return _bool_from_bound(step, ctx, v, _symmetric_params(v), "locally-identifiable")


@rule("neurovariety-as-secant")
def neurovariety_as_secant(step: dict, ctx) -> list:
    """A 2-layer polynet's neurovariety has the dimension of a secant variety; moves ``dim-at-most`` over.

    Step ``{variety, rank}``, variety a polynet with widths ``(d_0, d_1, d_2)`` and degree r.
    ``f = W_2 s(W_1 x)`` has coefficient ``multinomial(a) sum_j W_2[i, j] W_1[j]^a`` at ``x^a`` in
    output i, a fixed invertible diagonal map (char 0) of the coordinates of
    ``sum_j W_2[:, j] (x) W_1[j]^{(x) r}``: the two images correspond under a linear isomorphism, so
    they have one dimension. The secant is re-derived here from the widths: ``{"format":
    "partial-symmetric", "blocks": [[d_2, 1], [d_0, r]], "rank": d_1}``, the first block dropped
    when ``d_2 = 1``. Needs ``dim-at-most`` u of that secant; fact ``dim-at-most`` u of the polynet.
    """
    _keys(step, {"variety", "rank"})
    v = variety(field(step, "variety", "step"), "step.variety")
    if v["format"] != "polynet" or len(v["widths"]) != 3:
        raise Malformed("step.variety: neurovariety-as-secant applies to a polynet with 3 widths (one hidden layer)")
    u = integer(field(step, "rank", "step"), "step.rank", 0)
    d0, d1, d2 = v["widths"]
    sec = {"format": "partial-symmetric", "blocks": ([[d2, 1]] if d2 > 1 else []) + [[d0, v["degree"]]],
           "rank": d1}
    ctx.require("dim-at-most", {"variety": sec}, u, "step")
    return [("dim-at-most", {"variety": v}, u)]


@rule("generic-rank")
def generic_rank(step: dict, ctx) -> list:
    """Least R with sigma_R = ambient: dim sigma_R >= N and dim sigma_{R-1} <= N - 1 (or R = 1)."""
    _keys(step, {"format", "rank"})
    fmt = field(step, "format", "step", dict)
    if set(fmt) != {"format", "blocks"}:
        raise Malformed("step.format: expected {format, blocks}")
    R = integer(field(step, "rank", "step"), "step.rank", 1)
    v = variety({**fmt, "rank": R}, "step.format")
    N = _ambient(v)
    ctx.require("dim-at-least", {"variety": v}, N, "step")
    if R > 1:
        ctx.require("dim-at-most", {"variety": {**fmt, "rank": R - 1}}, N - 1, "step")
    return [("generic-rank", {"format": fmt}, R)]
