"""Theorems on separation ranks of architectures (expressivity of deep, shallow and recurrent networks).

* ``separation-rank`` -- the generic separation rank of an architecture for a
  bipartition of its inputs: proved when a random-point sketch rank meets the
  min-cut (Cohen, Sharir, Shashua 2016; Cohen & Shashua 2017; Levine, Yakira,
  Cohen, Shashua 2018; Khrulkov, Novikov, Oseledets 2018; Levine, Sharir, Ziv,
  Shashua 2017). ``cp_rank_at_least`` repeats the proved lower bound: the CP rank
  of every tensor bounds every flattening rank from above, so a generic network
  of the architecture has CP rank (= channels of a shallow ConvAC) at least that.
* ``deep-vs-shallow`` -- the width a shallow architecture needs to reach the
  deep one's proved separation rank (its min-cut must be at least that rank).
* ``tt-ranks`` -- the generic TT ranks (ranks of the contiguous flattenings
  {1..k} | {k+1..d}) of a tensor train (Khrulkov, Novikov, Oseledets 2018).
"""
from __future__ import annotations

from ..certificate import Certificate
from ..architectures import build, parse_partition
from ..network import from_json
from ..separation import separation_rank, shallow_width
from . import Outcome, theorem


def _net(arch, inputs, features, widths, rank, shared, tree, depth, network):
    if network is not None:
        return from_json(network, "params.network")
    return build(arch, inputs, features, widths, rank, shared, tree, depth)


@theorem(
    "separation-rank",
    statement="The generic separation rank of an architecture w.r.t. a partition of its inputs is the min-cut "
              "of its tensor network (proved when a random-point lower bound meets it).",
    reference="Cohen, Sharir, Shashua 2016, Thm 1; Cohen & Shashua 2017; Levine, Yakira, Cohen, Shashua 2018; "
              "Khrulkov, Novikov, Oseledets 2018; Levine, Sharir, Ziv, Shashua 2017",
)
def separation(arch: str | None = None, inputs: int | None = None, features=2, widths=None, rank=None,
               shared: bool = False, tree=None, depth: int = 1, partition="interleaved", seed: int = 0,
               network: dict | None = None) -> Outcome:
    net = _net(arch, inputs, features, widths, rank, shared, tree, depth, network)
    rows = parse_partition(partition, net.order)
    res = separation_rank(net, rows, seed=seed)
    values = {"lower": res.lower, "upper": res.upper, "cp_rank_at_least": res.lower}
    if res.status == "proved":
        values["rank"] = res.rank
        msg = f"{net.describe()}: generic separation rank for I={list(rows)} is {res.rank}"
    else:
        msg = f"{net.describe()}: {res.lower} <= generic separation rank <= {res.upper} (seeds {res.seeds})"
    return Outcome(res.status, values, res.certificate, msg)


@theorem(
    "deep-vs-shallow",
    statement="A shallow architecture whose min-cut is below the deep architecture's proved separation rank "
              "cannot represent the generic deep network; the smallest sufficient width is reported.",
    reference="Cohen, Sharir, Shashua 2016, Thm 1 and Cor. 1; Khrulkov, Novikov, Oseledets 2018, Thm 1",
)
def deep_vs_shallow(arch: str = "convac", inputs: int = 8, features=2, widths=2, shared: bool = False,
                    tree=None, depth: int = 1, partition="interleaved", shallow: str = "cp", seed: int = 0) -> Outcome:
    net = build(arch, inputs, features, widths, None, shared, tree, depth)
    rows = parse_partition(partition, net.order)
    res = separation_rank(net, rows, seed=seed, prefix="deep_")
    cert = res.certificate
    need, below = shallow_width(shallow, inputs, features, rows, res.lower, cert=cert)
    status = "proved" if res.status == "proved" else "unknown"
    values = {"deep_rank": res.rank, "deep_lower": res.lower, "shallow_width_needed": need,
              "shallow_bound_below": below}
    msg = (f"deep {net.describe()} has separation rank >= {res.lower}; a shallow {shallow} network needs "
           f"width >= {need}")
    return Outcome(status, values, cert, msg)


@theorem(
    "tt-ranks",
    statement="The generic TT ranks of a tensor train are its bond dimensions capped by the contiguous min-cuts "
              "(ranks of the flattenings {1..k} | {k+1..d}).",
    reference="Khrulkov, Novikov, Oseledets 2018, Sec. 3; Oseledets 2011",
)
def tt_ranks(inputs: int, features=2, widths=2, seed: int = 0) -> Outcome:
    net = build("tt", inputs, features, widths)
    cert = Certificate()
    ranks, lowers, status = [], [], "proved"
    for k in range(1, net.order):
        res = separation_rank(net, tuple(range(k)), seed=seed + 97 * k, prefix=f"k{k}_")
        cert.merge(res.certificate)
        ranks.append(res.rank)
        lowers.append(res.lower)
        if res.status != "proved":
            status = "unknown"
    return Outcome(status, {"ranks": ranks, "lower": lowers}, cert,
                   f"generic TT ranks of {net.describe()}: {ranks}")
