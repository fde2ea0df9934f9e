"""Minimum cuts of a tensor network: the structural upper bound on every flattening rank.

For a partition (I, J) of the open legs of a network, any set of bonds and legs whose
removal separates the legs of I from those of J is a *cut*, and the flattening
[T]_{I,J} factors through the space spanned by the cut labels: for every value of the
cores,

    rank [T]_{I,J} <= prod_{labels in the cut} dim(label),

the bound of Levine et al. [1]_ (docs/grid_tensors.md, section 5, "Upper bounds").
Minimising the product is minimising the sum of log2(dim) over the cut, an
s-t minimum cut: the source feeds the cores holding the legs of I, the sink drains
those holding the legs of J. A hyperedge (a label shared by three or more cores, e.g.
the product pooling of a ConvAC or the CP index) is cut once, which the two-node
gadget of Lawler [2]_ expresses: ``hin -> hout`` carries its capacity and infinite
arcs join it to its cores.

One algorithm: :func:`min_cut`, the preflow-push maximum flow of Goldberg and
Tarjan [3]_ (networkx's ``preflow_push``), then :func:`cut_labels` reads the labels
crossing the source side found. The value reported is the exact integer product of
the dimensions of the labels of that cut, so it is a valid upper bound whatever
the rounding of the capacities; the rounding (to 2^-24) could only cost optimality.

References
----------
.. [1] Y. Levine, D. Yakira, N. Cohen, A. Shashua, "Deep learning and quantum
   entanglement: fundamental connections with implications to network design",
   ICLR 2018.
.. [2] E. L. Lawler, "Cutsets and partitions of hypergraphs", Networks 3 (1973) 275-285.
.. [3] A. V. Goldberg, R. E. Tarjan, "A new approach to the maximum-flow problem",
   J. ACM 35(4) (1988) 921-940.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
from networkx.algorithms.flow import preflow_push

from tnverify.networks.network import TensorNetwork

__all__ = ["Cut", "cut_labels", "min_cut"]

#: Capacities are log2(dim) in units of 2^-24 (integers: exact arithmetic in the flow).
_SCALE = 1 << 24


@dataclass
class Cut:
    """An edge cut separating the open legs of I (``rows``) from those of J.

    Attributes
    ----------
    rows : tuple of int
        The open legs of I.
    side : list of str
        Cores on the I side.
    labels : list of str
        The cut bonds and open legs (each hyperedge once).
    value : int
        The exact product of their dimensions: an upper bound on rank [T]_{I,J}
        for every value of the cores [1]_.
    """

    rows: tuple
    side: list
    labels: list
    value: int


def cut_labels(net: TensorNetwork, rows, side) -> list:
    """Labels crossing the cut given by the cores ``side`` (the I side) and the open legs ``rows``.

    A bond crosses when it has cores on both sides; an open leg crosses when its core
    is not on the side of its mode (``k in rows`` or not). O(#labels * #cores).

    Examples
    --------
    >>> from tnverify.networks.architectures import tt
    >>> cut_labels(tt(4, 2, 3), [0, 1], ["G0", "G1"])
    ['b1']
    """
    side = set(side)
    rows = set(rows)
    out = []
    for lab in net.size_dict:
        cores = [n for n, ix in zip(net.names, net.inputs) if lab in ix]
        sides = {n in side for n in cores}
        if lab in net.output:
            sides.add(net.output.index(lab) in rows)
        if len(sides) == 2:
            out.append(lab)
    return out


def min_cut(net: TensorNetwork, rows) -> Cut:
    """Minimum cut between the open legs of I = ``rows`` and the others, by maximum flow.

    Parameters
    ----------
    net : TensorNetwork
        Only its structure is used (labels and dimensions), never its values.
    rows : iterable of int
        The open legs of I (modes of the represented tensor).

    Returns
    -------
    Cut
        The source side and the crossing labels; ``value`` is the exact product of
        their dimensions, an upper bound on rank [T]_{I,J} for every value of the
        cores [1]_.

    Notes
    -----
    Capacities: ``round(log2(dim) * 2^24)`` (at least 1 for dim > 1, 0 for dim 1) on
    each bond (both directions), on each open leg (source -> core for I, core -> sink
    for J), and on the arc ``hin -> hout`` of each hyperedge's gadget [2]_. The
    maximum flow is networkx's preflow-push [3]_: O(V^2 sqrt(E)) time on a graph with
    V = #cores + 2 #hyperedges + 2 nodes and E = O(#bonds + sum of hyperedge degrees
    + #legs) arcs. :func:`cut_labels` then costs O(#labels * #cores).

    Examples
    --------
    The tensor train cut between inputs {0, 1} and {2, 3} is the middle bond:

    >>> from tnverify.networks.architectures import tt
    >>> c = min_cut(tt(4, 2, 3), [0, 1])
    >>> c.labels, c.value
    (['b1'], 3)
    """
    rows = tuple(rows)
    D = nx.DiGraph()
    D.add_node("s")
    D.add_node("t")

    def cap(d):
        return max(1, int(round(math.log2(d) * _SCALE))) if d > 1 else 0

    def add(u, v, c):
        if D.has_edge(u, v):
            D[u][v]["capacity"] += c
        else:
            D.add_edge(u, v, capacity=c)

    for n in net.names:
        D.add_node(("c", n))
    for lab, cores in net.bonds().items():
        c = cap(net.size_dict[lab])
        if len(cores) == 2:
            add(("c", cores[0]), ("c", cores[1]), c)
            add(("c", cores[1]), ("c", cores[0]), c)
        else:
            hi, ho = ("hin", lab), ("hout", lab)
            D.add_edge(hi, ho, capacity=c)
            for n in cores:
                D.add_edge(("c", n), hi)  # no capacity attribute: infinite
                D.add_edge(ho, ("c", n))
    for k, lab in enumerate(net.output):
        core = next(n for n, ix in zip(net.names, net.inputs) if lab in ix)
        c = cap(net.size_dict[lab])
        if k in rows:
            add("s", ("c", core), c)
        else:
            add(("c", core), "t", c)
    _, (S, _) = nx.minimum_cut(D, "s", "t", flow_func=preflow_push)
    side = [n for n in net.names if ("c", n) in S]
    labels = cut_labels(net, rows, side)
    return Cut(rows, side, labels, math.prod(net.size_dict[x] for x in labels))
