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

from tnverify.certificate import Certificate
from tnverify.networks.architectures import parse_partition, spec
from tnverify.errors import InputError
from tnverify.networks.forward import Arch
from tnverify.networks.network import from_json
from tnverify.theory.separation import architecture_separation, separation as separate, shallow_width
from tnverify.theorems import Outcome, theorem


def _subject(arch, inputs, features, widths, rank, shared, tree, depth, network):
    """The claim's object: an architecture (its grid tensor), or the user's own network."""
    if network is not None:
        if arch is not None:
            raise InputError("give either params.network or params.arch, not both")
        return from_json(network, "params.network")
    if arch is None:
        raise InputError("expected params.arch (an architecture) or params.network (a network of your own)")
    return spec(arch, inputs, features, widths, rank, shared, tree, depth)


def _order(subject) -> int:
    return subject.N if isinstance(subject, Arch) else subject.order


@theorem(
    "separation-rank",
    statement="The generic separation rank of an architecture w.r.t. a partition of its inputs is the min-cut "
              "of its tensor network (proved when a random-point lower bound meets it).",
    reference="Cohen, Sharir, Shashua 2016, Thm 1; Cohen & Shashua 2017; Levine, Yakira, Cohen, Shashua 2018; "
              "Khrulkov, Novikov, Oseledets 2018; Levine, Sharir, Ziv, Shashua 2017",
)
def separation(arch: str | None = None, inputs: int | None = None, features=2, widths=None, rank=None,
               shared: bool = False, tree=None, depth: int = 1, partition="interleaved", seed: int = 0,
               network: dict | None = None, claim_at_least: int | None = None) -> Outcome:
    """The generic separation rank of an architecture's grid tensor (or of a user's network).

    With ``claim_at_least = k`` the instance is the statement "rank >= k": proved when
    the proved lower bound reaches k, refuted when a proved upper bound is below k,
    unknown otherwise (for lower bounds from the literature, e.g. Levine et al.'s
    C(min(M, R) + T/2 - 1, T/2) for deep RACs).
    """
    if claim_at_least is not None and (isinstance(claim_at_least, bool) or not isinstance(claim_at_least, int)
                                       or claim_at_least < 0):
        raise InputError(f"expected claim_at_least to be a nonnegative integer, got {claim_at_least!r}")
    subject = _subject(arch, inputs, features, widths, rank, shared, tree, depth, network)
    rows = parse_partition(partition, _order(subject))
    res = separate(subject, rows, seed=seed)
    values = {"lower": res.lower, "upper": res.upper, "cp_rank_at_least": res.lower}
    if res.status == "proved":
        values["rank"] = res.rank
    if claim_at_least is not None:
        return _decide_at_least(res, rows, claim_at_least, values)
    if res.status == "proved":
        msg = f"{res.subject}: generic separation rank for I={list(rows)} is {res.rank}"
    else:
        msg = f"{res.subject}: {res.lower} <= generic separation rank <= {res.upper} (seeds {res.seeds})"
    return Outcome(res.status, values, res.certificate, msg)


def _decide_at_least(res, rows, k: int, values: dict) -> Outcome:
    """Decide "generic separation rank >= k" from proved bounds only."""
    cert = res.certificate
    key = "architecture" if res.arch is not None else "network"
    subject = {key: "family", "rows": list(rows)}
    values["claim_at_least"] = k
    bounds = f"(proved bounds {res.lower} <= rank <= {res.upper})"
    if res.lower >= k:
        cert.conclusion = []
        cert.conclude("generic-rank-at-least", subject, k)
        return Outcome("proved", values, cert, f"{res.subject}: rank >= {k} proved {bounds}")
    if res.upper < k:
        cert.conclusion = [c for c in cert.conclusion if c["fact"] == "generic-rank-at-most"]
        return Outcome("refuted", values, cert, f"{res.subject}: rank >= {k} refuted {bounds}")
    return Outcome("unknown", values, None, f"{res.subject}: rank >= {k} undecided {bounds}")


@theorem(
    "deep-vs-shallow",
    statement="A shallow architecture whose min-cut is below the deep architecture's proved separation rank "
              "cannot represent the generic deep network; the smallest sufficient width is reported.",
    reference="Cohen, Sharir, Shashua 2016, Thm 1 and Cor. 1; Khrulkov, Novikov, Oseledets 2018, Thm 1",
)
def deep_vs_shallow(arch: str = "convac", inputs: int = 8, features=2, widths=2, shared: bool = False,
                    tree=None, depth: int = 1, partition="interleaved", shallow: str = "cp", seed: int = 0) -> Outcome:
    a = spec(arch, inputs, features, widths, None, shared, tree, depth)
    rows = parse_partition(partition, a.N)
    res = architecture_separation(a, rows, seed=seed, prefix="deep_")
    cert = res.certificate
    need, below = shallow_width(shallow, inputs, features, rows, res.lower, cert=cert)
    status = "proved" if res.status == "proved" else "unknown"
    values = {"deep_rank": res.rank, "deep_lower": res.lower, "shallow_width_needed": need,
              "shallow_bound_below": below}
    msg = (f"deep {a.describe()} has separation rank >= {res.lower}; a shallow {shallow} network needs "
           f"width >= {need}")
    return Outcome(status, values, cert, msg)


@theorem(
    "tt-ranks",
    statement="The generic TT ranks of a tensor train are its bond dimensions capped by the contiguous min-cuts "
              "(ranks of the flattenings {1..k} | {k+1..d}).",
    reference="Khrulkov, Novikov, Oseledets 2018, Sec. 3; Oseledets 2011",
)
def tt_ranks(inputs: int, features=2, widths=2, seed: int = 0) -> Outcome:
    a = spec("tt", inputs, features, widths)
    cert = Certificate()
    ranks, lowers, status = [], [], "proved"
    for k in range(1, a.N):
        res = architecture_separation(a, tuple(range(k)), seed=seed + 97 * k, prefix=f"k{k}_")
        cert.merge(res.certificate)
        ranks.append(res.rank)
        lowers.append(res.lower)
        if res.status != "proved":
            status = "unknown"
    return Outcome(status, {"ranks": ranks, "lower": lowers}, cert,
                   f"generic TT ranks of {a.describe()}: {ranks}")
