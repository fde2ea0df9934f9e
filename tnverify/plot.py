"""Figures: tensor networks with a bipartition and its minimum cut; separation-rank sweeps;
learning curves (recovery error against sample size).

matplotlib with the Agg backend (files only, no display). Every figure is written atomically by
:func:`save_figure` (:mod:`tnverify.files`): a failed write leaves no partial PNG.
"""
from __future__ import annotations

import math
import os
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

from tnverify.errors import InputError  # noqa: E402
from tnverify.files import atomic_path  # noqa: E402
from tnverify.networks.mincut import Cut  # noqa: E402
from tnverify.networks.network import TensorNetwork, to_graph  # noqa: E402

__all__ = ["draw_network", "draw_units", "sweep_plot", "learning_plot", "save_figure"]


def save_figure(fig, path, **kwargs) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names (no suffix: PNG), and close it.

    Raises :class:`~tnverify.errors.InputError` for a suffix that is no image format matplotlib
    writes, and when the file cannot be written (the destination is then left as it was).
    """
    suffix = os.path.splitext(os.fspath(path))[1][1:].lower()
    formats = fig.canvas.get_supported_filetypes()
    if suffix and suffix not in formats:
        plt.close(fig)
        raise InputError(f"expected a figure file name ending in one of .{', .'.join(sorted(formats))}, "
                         f"got {str(path)!r}")
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=suffix or "png", **kwargs)
    finally:
        plt.close(fig)


def _layout(G: nx.MultiGraph, net: TensorNetwork) -> dict:
    """Open legs on a bottom row in mode order; cores by layered (tree-like) or spring layout."""
    simple = nx.Graph(G)
    legs = [("leg", k) for k in range(net.order)]
    try:
        depth = nx.multi_source_dijkstra_path_length(simple, legs)
    except nx.NetworkXException:
        depth = {}
    pos = {}
    levels: dict = {}
    for n in simple.nodes:
        levels.setdefault(depth.get(n, 0), []).append(n)
    for k, leg in enumerate(legs):
        pos[leg] = (float(k), 0.0)
    for d, nodes in sorted(levels.items()):
        if d == 0:
            continue
        # order a level by the mean position of its neighbours below
        def key(n):
            xs = [pos[m][0] for m in simple.neighbors(n) if m in pos]
            return sum(xs) / len(xs) if xs else 0.0
        nodes.sort(key=key)
        for n in nodes:
            xs = [pos[m][0] for m in simple.neighbors(n) if m in pos]
            pos[n] = (sum(xs) / len(xs) if xs else 0.0, float(d))
        # spread nodes that landed on the same spot
        seen: dict = {}
        for n in nodes:
            x, y = pos[n]
            k = seen.get(round(x, 3), 0)
            seen[round(x, 3)] = k + 1
            pos[n] = (x + 0.35 * k, y)
    return pos


def draw_network(net: TensorNetwork, rows, cut: Cut | None, path, title: str | None = None):
    """Write a PNG of ``net``: I legs blue, J legs orange, cores by cut side, cut bonds red."""
    G = to_graph(net)
    pos = _layout(G, net)
    rows = set(rows)
    side = set(cut.side) if cut else set()
    cutlabels = set(cut.labels) if cut else set()
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * net.order + 3), 5))
    colors, sizes = [], []
    nodes = list(G.nodes)
    for n in nodes:
        kind = G.nodes[n]["kind"]
        if kind == "leg":
            colors.append("#1f77b4" if n[1] in rows else "#ff7f0e")
            sizes.append(120)
        elif kind == "hyper":
            colors.append("black")
            sizes.append(25)
        else:
            colors.append("#aec7e8" if n in side else "#ffbb78")
            sizes.append(380)
    widths, ecolors = [], []
    edges = list(G.edges(keys=True, data=True))
    for _, _, _, a in edges:
        hit = a["label"] in cutlabels
        widths.append(3.5 if hit else 1.2)
        ecolors.append("red" if hit else "gray")
    nx.draw_networkx_edges(G, pos, edgelist=[(u, v) for u, v, _, _ in edges], width=widths, edge_color=ecolors, ax=ax)
    nx.draw_networkx_nodes(G, pos, nodelist=nodes, node_color=colors, node_size=sizes, ax=ax)
    labels = {n: (n if G.nodes[n]["kind"] == "core" else (str(n[1]) if G.nodes[n]["kind"] == "leg" else ""))
              for n in nodes}
    nx.draw_networkx_labels(G, pos, labels=labels, font_size=7, ax=ax)
    if title is None:
        title = net.describe()
        if cut:
            title += f"\nI = {sorted(rows)}; min cut {cut.value} over {', '.join(cut.labels)}"
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return path


def _unit_place(u, x: float) -> tuple:
    """(x, y) of a unit drawn over the mean x of its receptive field: (l, j) on row l; a mixed network's
    branch units (X, l, t) below row l (A half a row, to the left; B a quarter, to the right), its sum
    units on row l."""
    if u[0] == "x":
        return x, 0.0
    if isinstance(u[0], int):
        return x, float(u[0])
    shift, drop = {"A": (-0.2, 0.5), "B": (0.2, 0.25), "m": (0.0, 0.0)}[u[0]]
    return x + shift, u[1] - drop


def draw_units(units: dict, N: int, rows, path, title: str):
    """Write a figure of a 1D convolutional circuit's units (overlapping or dilated ConvAC).

    ``units`` maps a unit (l, j) to ``(width, [(child, weight), ...])`` as
    :func:`tnverify.networks.overlap.conv_units` returns it; a child is (l-1, j') or ("x", k).
    Layer l is row l, input k sits at x = k, and a unit sits at the mean of its receptive field.
    A mixed network's units (branch, l, t) sit below row l, branch A to the left and B to the
    right, and its sum units ("m", l, t) on row l.
    Inputs in ``rows`` (I) are blue, the others (J) orange; a unit whose field lies in I is blue,
    in J orange, and a unit that meets both sides is grey. A one-sided unit read by a mixed unit
    (a *frontier* unit, docs/grid_tensors.md section 8) has a red rim. Each unit is drawn once,
    however many units read it (the network's copies of reused units are not drawn).
    Cost O(units x taps x N).
    """
    I = set(rows)
    span: dict = {("x", k): {k} for k in range(N)}
    for u, (_, kids) in units.items():
        span[u] = set().union(*(span[c] for c, _ in kids))
    side = {u: ("I" if s <= I else "J" if not s & I else "mixed") for u, s in span.items()}
    frontier = {c for u, (_, kids) in units.items() if side[u] == "mixed" for c, _ in kids if side[c] != "mixed"}
    pos = {u: _unit_place(u, sum(s) / len(s)) for u, s in span.items()}
    height = max((u[0] if isinstance(u[0], int) else u[1] for u in units), default=1)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * N + 2), max(3.5, 0.45 * height + 2)))
    for u, (_, kids) in units.items():
        for c, _ in kids:
            ax.plot([pos[c][0], pos[u][0]], [pos[c][1], pos[u][1]], color="gray", lw=0.8, zorder=1)
    fill = {"I": "#1f77b4", "J": "#ff7f0e", "mixed": "#c7c7c7"}
    for u in span:
        leaf = u[0] == "x"
        ax.scatter([pos[u][0]], [pos[u][1]], s=90 if leaf else 60, c=fill[side[u]], zorder=2,
                   edgecolors="red" if u in frontier else "black", linewidths=2.0 if u in frontier else 0.5)
        if leaf:
            ax.annotate(str(u[1]), pos[u], xytext=(0, -12), textcoords="offset points", ha="center", fontsize=7)
    ax.set_yticks(range(height + 1), ["inputs"] + [f"layer {l}" for l in range(1, height + 1)], fontsize=7)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    chars = int(fig.get_size_inches()[0] * 14)  # about 14 characters per inch at 9 points
    ax.set_title("\n".join(textwrap.fill(line, chars) for line in title.split("\n")), fontsize=9)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return path


def sweep_plot(xs, series: dict, path, xlabel: str = "N", title: str = ""):
    """Log-scale plot of proved ranks: ``series`` maps a name to a list of values (None = not proved)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, ys in series.items():
        pts = [(x, y) for x, y in zip(xs, ys) if y]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("proved generic separation rank")
    return _finish(fig, ax, path, title)


def learning_plot(rows: list[dict], path, title: str = "", marks=(), slope: float | None = None):
    """Log-log plot of the oracle recovery and direction errors and the held-out test error against the
    number of samples, with an n^(-1/2) guide; a dotted vertical line at each size in ``marks`` where a
    recovered neuron becomes resolvable (None: never), and the fitted ``slope`` in the legend."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ns = [r["samples"] for r in rows]
    labels = {"recovery_error": "oracle recovery error (1 - |cos|)",
              "direction_error": "oracle direction error" + ("" if slope is None else f" (slope {slope:.2f})"),
              "test_error": "held-out test error"}
    sizes = sorted(set(ns))
    for i, (key, label) in enumerate(labels.items()):
        vals = [max(r[key], 1e-16) for r in rows]
        ax.scatter(ns, vals, color=f"C{i}", s=14, alpha=0.6)  # every run; the line joins geometric means
        ax.plot(sizes, [math.exp(sum(math.log(v) for n, v in zip(ns, vals) if n == m) / ns.count(m)) for m in sizes],
                marker="o", color=f"C{i}", label=label)
    ax.plot(sizes, [rows[0]["direction_error"] * (ns[0] / n) ** 0.5 for n in sizes], ls="--", color="gray",
            label="n^(-1/2) reference")
    for j, m in enumerate(marks):
        if m is not None:
            ax.axvline(m, ls=":", color=f"C{3 + j % 7}", label=f"neuron {j + 1} resolvable")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("samples n")
    ax.set_ylabel("error")
    return _finish(fig, ax, path, title)


def _finish(fig, ax, path, title: str):
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return path
