"""Tensor networks: the architectures of the expressivity theory as exact objects.

A :class:`TensorNetwork` is a list of cores (nodes), each with labelled legs, a
dimension per label, and the open legs (the network's inputs, one mode each, in
order). A label shared by two cores is a bond; a label shared by three or more
cores is a hyperedge (a diagonal "copy" tensor, e.g. the product pooling of a
ConvAC or the CP rank index); a label in ``output`` is an open leg and belongs to
exactly one core. The tensor the network represents is the einsum

    T[output] = sum over the other labels of prod_c core_c[inputs_c],

so the JSON form is opt_einsum's ``{inputs, output, size_dict}`` with core names,
optional exact core values (integers or ``"p/q"`` strings, C order) and optional
weight-sharing groups (cores whose values are tied, e.g. convolutional weights).

The builders of the architectures (CP, Tucker, TT, TR, HT / ConvAC over any tree,
RAC) live in :mod:`tnverify.networks.architectures`, the minimum cuts (the
structural upper bound of [3]_ on every flattening rank) in
:mod:`tnverify.networks.mincut`; here: :func:`from_edge_list`, :func:`from_json`,
the networkx view, :func:`contract` (exact evaluation over Z or Q, or modulo a
prime, along an opt_einsum contraction path), :func:`random_core_values` and
:func:`sketched`. docs/grid_tensors.md, section 4, says which networks represent
a grid tensor.

References
----------
.. [1] N. Cohen, O. Sharir, A. Shashua, "On the expressive power of deep learning:
   a tensor analysis", COLT 2016.
.. [2] N. Cohen, A. Shashua, "Inductive bias of deep convolutional networks through
   pooling geometry", ICLR 2017.
.. [3] Y. Levine, D. Yakira, N. Cohen, A. Shashua, "Deep learning and quantum
   entanglement: fundamental connections with implications to network design",
   ICLR 2018.
.. [4] V. Khrulkov, A. Novikov, I. Oseledets, "Expressive power of recurrent neural
   networks", ICLR 2018.
.. [5] Y. Levine, O. Sharir, A. Ziv, A. Shashua, "Benefits of depth for long-term
   memory of recurrent networks", 2017 (arXiv:1710.09431).
.. [6] D. G. A. Smith, J. Gray, "opt_einsum - A Python package for optimizing
   contraction order for einsum-like expressions", J. Open Source Softw. 3(26) (2018), 753.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import opt_einsum as oe

from tnverify.errors import InputError, ShapeError
from tnverify.exact import as_exact_array, reduce_mod
from tnverify.numbers import enc, strict_json_loads
from tnverify.numeric.modp import uniform_point

__all__ = [
    "TensorNetwork", "from_edge_list", "from_json", "load", "to_graph", "from_graph",
    "contract", "contraction_path", "random_core_values", "sketched", "MAX_MOD_PRIME",
]

#: Largest prime for modular contraction in int64: products are below 2^42, and a pairwise step that
#: sums more than 2^63 / (p - 1)^2 of them is cut into chunks (:func:`_einsum_mod`), so any step is exact.
MAX_MOD_PRIME = 1 << 21
#: Largest dimension of one label.
MAX_DIM = 1 << 20


# ---------------------------------------------------------------------------- model
@dataclass
class TensorNetwork:
    """Cores with labelled legs; see the module docstring for the semantics.

    Attributes
    ----------
    names : list of str
        Core names (distinct).
    inputs : list of tuple of str
        Labels of each core's legs, in the order of its value array's axes.
    output : tuple of str
        Open legs; mode k of the represented tensor is ``output[k]``.
    size_dict : dict
        Dimension of every label.
    values : list of numpy arrays or None
        Exact core values (int64 or object arrays of int/Fraction), or None for a
        family with free parameters.
    shared : list of tuple of str
        Groups of cores with tied values (weight sharing).
    meta : dict
        Description of the architecture (for display).
    """

    names: list
    inputs: list
    output: tuple
    size_dict: dict
    values: list | None = None
    shared: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.names = [str(n) for n in self.names]
        self.inputs = [tuple(str(x) for x in ix) for ix in self.inputs]
        self.output = tuple(str(x) for x in self.output)
        self.size_dict = {str(k): v for k, v in self.size_dict.items()}
        self.shared = [tuple(g) for g in self.shared]
        self._validate()

    # ---- validation
    def _validate(self) -> None:
        if not self.names:
            raise ShapeError("expected a network with at least one core, got none")
        if len(set(self.names)) != len(self.names):
            raise ShapeError(f"expected distinct core names, got repeats in {self.names}")
        if len(self.inputs) != len(self.names):
            raise ShapeError(f"expected one label list per core ({len(self.names)}), got {len(self.inputs)}")
        for lab, d in self.size_dict.items():
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
                raise ShapeError(f"expected a positive integer dimension for {lab!r}, got {d!r}")
            if d > MAX_DIM:
                raise ShapeError(f"dimension {d} of {lab!r} exceeds the limit {MAX_DIM}")
            self.size_dict[lab] = int(d)
        count: dict = {}
        for name, ix in zip(self.names, self.inputs):
            if len(set(ix)) != len(ix):
                raise ShapeError(f"core {name!r} repeats a label in {list(ix)}")
            for lab in ix:
                if lab not in self.size_dict:
                    raise ShapeError(f"core {name!r} has leg {lab!r} with no dimension in size_dict")
                count[lab] = count.get(lab, 0) + 1
        if not self.output:
            raise ShapeError("expected at least one open leg (output), got none")
        if len(set(self.output)) != len(self.output):
            raise ShapeError(f"expected distinct open legs, got {list(self.output)}")
        for lab in self.output:
            if count.get(lab, 0) != 1:
                raise ShapeError(f"open leg {lab!r} must belong to exactly one core, it belongs to {count.get(lab, 0)}")
        for lab, c in count.items():
            if lab not in self.output and c < 2:
                raise ShapeError(f"bond {lab!r} is attached to one core only; a bond joins at least two cores")
        unused = set(self.size_dict) - set(count)
        if unused:
            raise ShapeError(f"size_dict names labels used by no core: {sorted(unused)}")
        seen = set()
        for g in self.shared:
            for n in g:
                if n not in self.names:
                    raise ShapeError(f"shared group {list(g)} names unknown core {n!r}")
                if n in seen:
                    raise ShapeError(f"core {n!r} is in two shared groups")
                seen.add(n)
            shapes = {self.core_shape(n) for n in g}
            if len(shapes) > 1:
                raise ShapeError(f"shared cores {list(g)} have different shapes {sorted(shapes)}")
        if self.values is not None:
            if len(self.values) != len(self.names):
                raise ShapeError(f"expected {len(self.names)} core values, got {len(self.values)}")
            vals = []
            for name, v in zip(self.names, self.values):
                a = as_exact_array(v, name=f"core {name}")
                if a.shape != self.core_shape(name):
                    raise ShapeError(f"core {name!r} has values of shape {a.shape}, its legs need "
                                     f"{self.core_shape(name)}")
                vals.append(a)
            self.values = vals
            for g in self.shared:
                first = self.values[self.names.index(g[0])]
                for n in g[1:]:
                    if not np.array_equal(first, self.values[self.names.index(n)]):
                        raise ShapeError(f"shared cores {g[0]!r} and {n!r} have different values")

    # ---- structure
    @property
    def order(self) -> int:
        """Number of open legs: the order N of the represented tensor."""
        return len(self.output)

    @property
    def shape(self) -> tuple:
        """Dimensions of the open legs (the represented tensor's shape)."""
        return tuple(self.size_dict[x] for x in self.output)

    def core_shape(self, name: str) -> tuple:
        """Shape of core ``name``: the dimensions of its legs, in the order of its labels."""
        return tuple(self.size_dict[x] for x in self.inputs[self.names.index(name)])

    def bonds(self) -> dict:
        """Label -> list of cores, for every label that is not an open leg."""
        out: dict = {}
        for name, ix in zip(self.names, self.inputs):
            for lab in ix:
                if lab not in self.output:
                    out.setdefault(lab, []).append(name)
        return out

    def num_parameters(self) -> int:
        """Free parameters of the family: one block per shared group or unshared core."""
        tied = {n for g in self.shared for n in g[1:]}
        return sum(int(np.prod(self.core_shape(n))) for n in self.names if n not in tied)

    def with_values(self, values) -> "TensorNetwork":
        """The same structure with the core values ``values`` (validated: shapes and ties)."""
        return TensorNetwork(self.names, self.inputs, self.output, self.size_dict, values, self.shared, dict(self.meta))

    def structure(self) -> "TensorNetwork":
        """The family (the same network with free parameters)."""
        return self.with_values(None)

    def describe(self) -> str:
        """One line for messages: the architecture and its hyper-parameters from ``meta``, or the sizes."""
        m = self.meta
        if not m.get("arch"):
            return f"network with {len(self.names)} cores and {self.order} open legs"
        keys = [k for k in ("N", "M", "widths", "Z", "ranks", "R", "L", "shared", "tree") if k in m]
        return f"{m['arch']}(" + ", ".join(f"{k}={m[k]}" for k in keys) + ")"

    # ---- JSON
    def to_dict(self) -> dict:
        """The JSON form read by :func:`from_json` (values flat in C order, encoded by :func:`tnverify.numbers.enc`)."""
        d = {"names": self.names, "inputs": [list(ix) for ix in self.inputs], "output": list(self.output),
             "size_dict": dict(self.size_dict)}
        if self.shared:
            d["shared"] = [list(g) for g in self.shared]
        if self.values is not None:
            d["values"] = [[enc(x) for x in np.asarray(v).ravel()] for v in self.values]
        if self.meta:
            d["meta"] = self.meta
        return d


def from_json(data: dict, where: str = "network") -> TensorNetwork:
    """A network from its JSON form: ``{inputs, output, size_dict[, names, values, shared]}``
    or an edge list ``{nodes, edges, legs}`` (see :func:`from_edge_list`).

    ``values`` holds one flat C-order list per core (integers or ``"p/q"`` strings).
    """
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
    if "edges" in data or "nodes" in data:
        extra = set(data) - {"nodes", "edges", "legs", "meta"}
        if extra:
            raise InputError(f"{where}: unknown fields {sorted(extra)} in an edge-list network")
        return from_edge_list(data.get("nodes"), data.get("edges", []), data.get("legs"), meta=data.get("meta", {}))
    extra = set(data) - {"inputs", "output", "size_dict", "names", "values", "shared", "meta"}
    if extra:
        raise InputError(f"{where}: unknown fields {sorted(extra)} (expected inputs, output, size_dict, names, "
                         f"values, shared)")
    for k in ("inputs", "output", "size_dict"):
        if k not in data:
            raise InputError(f"{where}: missing field {k!r}")
    inputs, output, size_dict = data["inputs"], data["output"], data["size_dict"]
    if isinstance(output, str):
        output = list(output)
    if not isinstance(inputs, list) or not all(isinstance(ix, (list, str)) for ix in inputs):
        raise InputError(f"{where}.inputs: expected a list of label lists")
    inputs = [list(ix) for ix in inputs]
    if not isinstance(output, list):
        raise InputError(f"{where}.output: expected a list of open leg labels, got {type(output).__name__}")
    names = data.get("names")
    if names is not None and (not isinstance(names, list) or len(names) != len(inputs)):
        raise InputError(f"{where}.names: expected a list of {len(inputs)} core names")
    if not isinstance(size_dict, dict):
        raise InputError(f"{where}.size_dict: expected an object label -> dimension")
    names = data.get("names") or [f"c{i}" for i in range(len(inputs))]
    values = data.get("values")
    if values is not None:
        if not isinstance(values, list) or len(values) != len(inputs):
            raise ShapeError(f"{where}.values: expected {len(inputs)} flat value lists, one per core")
        shaped = []
        for i, (name, ix, v) in enumerate(zip(names, inputs, values)):
            for lab in ix:
                if lab not in size_dict:
                    raise ShapeError(f"core {name!r} has leg {lab!r} with no dimension in size_dict")
            shp = tuple(size_dict[lab] for lab in ix)
            if not all(isinstance(d, int) and d > 0 for d in shp):
                raise ShapeError(f"core {name!r}: expected positive integer dimensions, got {shp}")
            n = math.prod(shp)
            if not isinstance(v, list) or len(v) != n:
                got = len(v) if isinstance(v, list) else type(v).__name__
                raise ShapeError(f"core {name!r} has {got} values, its dimensions {shp} need {n}")
            shaped.append(as_exact_array(v, name=f"core {name}").reshape(shp))
        values = shaped
    return TensorNetwork(names, inputs, output, size_dict, values, data.get("shared", []), data.get("meta", {}))


def load(path) -> TensorNetwork:
    """Read a JSON network file (floats, NaN and Infinity refused: :func:`tnverify.numbers.strict_json_loads`)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"expected a JSON network file, got the directory {str(p)!r}" if p.is_dir()
                         else f"expected a JSON network file, {str(p)!r} does not exist")
    try:
        data = strict_json_loads(p.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"expected a JSON network file in UTF-8 text, got the byte 0x{e.object[e.start]:02x} at "
                         f"offset {e.start} of {str(p)!r}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{p}: not valid JSON: {e.msg} at line {e.lineno}") from None
    return from_json(data, str(p))


def from_edge_list(nodes, edges, legs, meta=None) -> TensorNetwork:
    """A network from an edge list.

    ``nodes``: core names; ``edges``: ``[u, v, dim]`` bonds (parallel bonds allowed);
    ``legs``: ``[node, dim]`` open legs, in mode order. Core legs are ordered as
    their edges and legs appear.
    """
    if not isinstance(nodes, list) or not nodes:
        raise InputError("expected a nonempty list 'nodes' of core names")
    nodes = [str(n) for n in nodes]
    if not isinstance(legs, list) or not legs:
        raise InputError("expected a nonempty list 'legs' of [node, dim] open legs")
    idx = {n: i for i, n in enumerate(nodes)}
    inputs = [[] for _ in nodes]
    size = {}
    for k, e in enumerate(edges):
        if not isinstance(e, list) or len(e) != 3:
            raise InputError(f"edges[{k}]: expected [u, v, dim], got {e!r}")
        u, v, d = str(e[0]), str(e[1]), e[2]
        for w in (u, v):
            if w not in idx:
                raise InputError(f"edges[{k}]: bond names unknown node {w!r} (nodes: {', '.join(nodes)})")
        if u == v:
            raise InputError(f"edges[{k}]: a bond must join two different nodes, got {u!r} twice")
        lab = f"e{k}"
        size[lab] = d
        inputs[idx[u]].append(lab)
        inputs[idx[v]].append(lab)
    output = []
    for k, leg in enumerate(legs):
        if not isinstance(leg, list) or len(leg) != 2:
            raise InputError(f"legs[{k}]: expected [node, dim], got {leg!r}")
        u, d = str(leg[0]), leg[1]
        if u not in idx:
            raise InputError(f"legs[{k}]: open leg names unknown node {u!r}")
        lab = f"x{k}"
        size[lab] = d
        inputs[idx[u]].append(lab)
        output.append(lab)
    return TensorNetwork(nodes, inputs, output, size, meta=dict(meta or {"arch": "edge-list"}))


# ------------------------------------------------------------------ networkx view
def to_graph(net: TensorNetwork) -> nx.MultiGraph:
    """The network as a networkx multigraph.

    Nodes: cores (``kind="core"``), open legs ``("leg", k)`` (``kind="leg"``) and one
    node per hyperedge ``("hyper", label)`` (``kind="hyper"``). Edges carry ``label``
    and ``dim``.
    """
    G = nx.MultiGraph()
    for n, ix in zip(net.names, net.inputs):
        G.add_node(n, kind="core", legs=list(ix))
    for k, lab in enumerate(net.output):
        G.add_node(("leg", k), kind="leg", label=lab)
    bonds = net.bonds()
    for lab, cores in bonds.items():
        d = net.size_dict[lab]
        if len(cores) == 2:
            G.add_edge(cores[0], cores[1], label=lab, dim=d)
        else:
            G.add_node(("hyper", lab), kind="hyper", label=lab)
            for c in cores:
                G.add_edge(("hyper", lab), c, label=lab, dim=d)
    for k, lab in enumerate(net.output):
        core = next(n for n, ix in zip(net.names, net.inputs) if lab in ix)
        G.add_edge(("leg", k), core, label=lab, dim=net.size_dict[lab])
    G.graph["meta"] = dict(net.meta)
    G.graph["inputs"] = {n: list(ix) for n, ix in zip(net.names, net.inputs)}
    G.graph["shared"] = [list(g) for g in net.shared]
    return G


def from_graph(G: nx.MultiGraph) -> TensorNetwork:
    """Inverse of :func:`to_graph` (core leg order from ``G.graph['inputs']``)."""
    order = G.graph["inputs"]
    names = [n for n, a in G.nodes(data=True) if a.get("kind") == "core"]
    size = {}
    for _, _, a in G.edges(data=True):
        size[a["label"]] = a["dim"]
    legs = sorted((k[1], a["label"]) for k, a in G.nodes(data=True) if a.get("kind") == "leg")
    return TensorNetwork(names, [order[n] for n in names], [lab for _, lab in legs], size,
                         shared=G.graph.get("shared", []), meta=G.graph.get("meta", {}))


# ------------------------------------------------------------------ contraction
def contraction_path(net: TensorNetwork, optimize="auto", first=()) -> list:
    """An opt_einsum contraction path (pairs of positions; each result appended at the end).

    ``first`` lists pairs of core names to contract before anything else (e.g. each
    test matrix into the core holding its leg); the rest of the path is opt_einsum's [6]_
    (``optimize="auto"``: an optimal, branch-and-bound or greedy search for a cheap order,
    chosen by the number of cores). Structure only: no values are read.
    """
    ids = list(range(len(net.names)))
    terms = {i: list(ix) for i, ix in enumerate(net.inputs)}
    where = {n: i for i, n in enumerate(net.names)}
    path = []
    out = set(net.output)
    for a, b in first:
        ia, ib = where[a], where[b]
        pa, pb = ids.index(ia), ids.index(ib)
        path.append((pa, pb))
        ta, tb = terms.pop(ia), terms.pop(ib)
        ids = [i for i in ids if i not in (ia, ib)]
        keep = out.union(*[set(t) for t in terms.values()])
        new = max(terms, default=-1) + len(net.names) + 1
        terms[new] = [x for x in dict.fromkeys(ta + tb) if x in keep]
        ids.append(new)
        for n, i in where.items():
            if i in (ia, ib):
                where[n] = new
    if len(ids) > 1:
        sym = {lab: oe.get_symbol(i) for i, lab in enumerate(net.size_dict)}
        eq = ",".join("".join(sym[x] for x in terms[i]) for i in ids) + "->" + "".join(sym[x] for x in net.output)
        shapes = [tuple(net.size_dict[x] for x in terms[i]) for i in ids]
        rest, _ = oe.contract_path(eq, *shapes, shapes=True, optimize=optimize)
        path.extend(tuple(q) for q in rest)
    return path


def contract(net: TensorNetwork, values=None, modulus: int | None = None, path=None) -> np.ndarray:
    """The dense tensor T[output] = sum over the other labels of prod_c core_c[inputs_c], exactly.

    Over Z/Q (object arrays of Python ints and Fractions) or modulo a prime
    ``modulus`` < :data:`MAX_MOD_PRIME` (int64, reduced after each pairwise
    contraction). Follows ``path`` (default: an opt_einsum path [6]_). Cost: the sum
    over the path's steps of the product of the dimensions of the labels of both
    operands; memory: the largest intermediate.
    """
    vals = values if values is not None else net.values
    if vals is None:
        raise InputError("the network has no core values to contract; give values or use a random point")
    if modulus is not None and not 2 <= modulus < MAX_MOD_PRIME:
        raise InputError(f"modular contraction needs a modulus in [2, {MAX_MOD_PRIME}), got {modulus}")
    ops = []
    for v in vals:
        a = as_exact_array(v)
        if modulus is not None:
            a = reduce_mod(a, modulus)
        elif a.dtype != object:
            a = a.astype(object)
        ops.append(a)
    terms = [list(ix) for ix in net.inputs]
    out = list(net.output)
    path = path if path is not None else contraction_path(net)
    for (i, j) in path:
        i, j = sorted((i, j))
        A, B = ops.pop(j), ops.pop(i)
        ta, tb = terms.pop(j), terms.pop(i)
        keep = set(out).union(*[set(t) for t in terms])
        res = [s for s in dict.fromkeys(tb + ta) if s in keep]
        C = _einsum([tb, ta], res, B, A) if modulus is None else _einsum_mod([tb, ta], res, B, A, modulus)
        ops.append(C)
        terms.append(res)
    if len(ops) != 1:
        raise InputError(f"the contraction path left {len(ops)} tensors, expected 1")
    (A,), (t,) = ops, terms
    keep = [s for s in t if s in out]
    if len(keep) != len(t):  # sum any leftover label (a single-core network)
        A = _einsum([t], keep, A)
    A = np.transpose(A, [keep.index(s) for s in out])
    if modulus is not None:
        return np.ascontiguousarray(A % modulus)
    return A


def _einsum_mod(terms, res, B, A, p: int) -> np.ndarray:
    """One pairwise step mod p in int64, exact.

    Every product is below (p - 1)^2, so a sum of at most 2^63 / (p - 1)^2 of them fits in int64;
    when an entry sums more terms, the largest summed label is cut into chunks that fit, and the
    reduced partial results are added mod p. Cost: that of the step, plus one pass per chunk.
    """
    tb, ta = terms
    dim = {s: B.shape[i] for i, s in enumerate(tb)}
    dim.update({s: A.shape[i] for i, s in enumerate(ta)})
    summed = [s for s in tb if s in ta and s not in res]
    terms_per_entry = math.prod(dim[s] for s in summed)
    room = (2**63 - 1) // max(1, (p - 1) ** 2)
    if terms_per_entry <= room:
        return _einsum([tb, ta], res, B, A) % p
    lab = max(summed, key=lambda s: dim[s])
    step = max(1, room // (terms_per_entry // dim[lab]))
    ib, ia = tb.index(lab), ta.index(lab)
    out = None
    for lo in range(0, dim[lab], step):
        idx = np.arange(lo, min(lo + step, dim[lab]))
        part = _einsum_mod(terms, res, np.take(B, idx, axis=ib), np.take(A, idx, axis=ia), p)
        out = part if out is None else (out + part) % p
    return out


def _einsum(terms, res, *ops):
    """np.einsum on local one-letter symbols (numpy accepts only 52 distinct letters)."""
    labels = list(dict.fromkeys([x for t in terms for x in t]))
    if len(labels) > 52:
        raise InputError(f"one contraction step of this network joins {len(labels)} distinct indices; "
                         "at most 52 are supported (use fewer inputs)")
    loc = {lab: oe.get_symbol(k) for k, lab in enumerate(labels)}
    eq = ",".join("".join(loc[x] for x in t) for t in terms) + "->" + "".join(loc[x] for x in res)
    return np.einsum(eq, *ops)


def random_core_values(net: TensorNetwork, rng: np.random.Generator, p: int) -> list:
    """Core values uniform in [0, p) (:func:`tnverify.numeric.modp.uniform_point`), equal within each shared group.

    A random point of the family's parameter space mod p (docs/mathematics.md, section 1).
    """
    vals = {}
    for g in net.shared:
        v = uniform_point(rng, p, net.core_shape(g[0]))
        for n in g:
            vals[n] = v
    for n in net.names:
        if n not in vals:
            vals[n] = uniform_point(rng, p, net.core_shape(n))
    return [vals[n] for n in net.names]


def sketched(net: TensorNetwork, mats) -> TensorNetwork:
    """The network with open leg k multiplied by the test matrix ``mats[k]`` (s_k x M_k).

    Its dense tensor is T x_1 S_1 x_2 ... x_N S_N; the flattening [T']_{I,J} equals
    (kron_{i in I} S_i) [T]_{I,J} (kron_{j in J} S_j)^T, whose rows are rank-one
    test vectors, so rank [T']_{I,J} <= rank [T]_{I,J} (docs/mathematics.md, section 1,
    "Sketches"). The new open legs are named ``~k`` and the cores ``S~k``.
    """
    names = list(net.names) + [f"S~{k}" for k in range(net.order)]
    inputs = list(net.inputs) + [(f"~{k}", lab) for k, lab in enumerate(net.output)]
    size = dict(net.size_dict)
    for k, S in enumerate(mats):
        S = np.asarray(S)
        if S.ndim != 2 or S.shape[1] != net.shape[k]:
            raise ShapeError(f"test matrix {k} must be s x {net.shape[k]}, got {S.shape}")
        size[f"~{k}"] = S.shape[0]
    vals = None if net.values is None else list(net.values) + [np.asarray(S) for S in mats]
    return TensorNetwork(names, inputs, [f"~{k}" for k in range(net.order)], size, vals, net.shared)
