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
* ``mixed-vs-dilated`` -- the channels a dilated network of either order needs to reach a
  mixed network's proved separation rank (Cohen, Tamari, Shashua 2018: interconnections
  between dilated networks bring expressive efficiency).
* ``tt-ranks`` -- the generic TT ranks (ranks of the contiguous flattenings
  {1..k} | {k+1..d}) of a tensor train (Khrulkov, Novikov, Oseledets 2018).

The mathematics is in ``docs/grid_tensors.md``, the code path in ``docs/architecture.md``.
"""
from __future__ import annotations

from typing import Literal

from tnverify import budget
from tnverify.certificate import Certificate
from tnverify.errors import InputError
from tnverify.networks.architectures import ARCHS, spec
from tnverify.networks.partitions import parse_partition
from tnverify.networks.forward import Arch
from tnverify.networks.network import from_json
from tnverify.theorems import Outcome, theorem
from tnverify.theorems.claims import decide
from tnverify.theory.costs import separation_cost
from tnverify.theory.separation import architecture_separation, separation as separate, shallow_width

#: An architecture family name (the Literal is built from the builders' own list).
ArchName = Literal[ARCHS]


def _subject(arch, inputs, features, widths, rank, shared, tree, depth, network, dilations_b=None, mix=None):
    """The claim's object: an architecture (its grid tensor), or the user's own network."""
    if network is not None:
        if arch is not None:
            raise InputError("give either params.network or params.arch, not both")
        return from_json(network, "params.network")
    if arch is None:
        raise InputError("expected params.arch (an architecture) or params.network (a network of your own)")
    if arch != "mixed" and (dilations_b is not None or mix is not None):
        raise InputError(f"params.dilations_b and params.mix are for arch = \"mixed\", got arch = {arch!r}")
    return spec(arch, inputs, features, widths, rank, shared, tree, depth, dilations_b=dilations_b, mix=mix)


def _order(subject) -> int:
    return subject.N if isinstance(subject, Arch) else subject.order


@theorem(
    "separation-rank",
    statement="The generic separation rank of an architecture's grid tensor w.r.t. a partition of its inputs: a "
              "random-point lower bound (the checker's own forward pass) against the least of the structural upper "
              "bounds (min cut of the grid network, shape, boundary states); proved when they meet.",
    notion="generic separation rank", fields=("C",),
    values=("rank", "lower", "upper", "cp_rank_at_least"),
    references=("cohen_sharir_shashua_2016", "cohen_shashua_2017", "levine_2018", "khrulkov_novikov_oseledets_2018",
                "levine_2017_rac", "sharir_shashua_2018", "cohen_tamari_shashua_2018"),
)
def separation(arch: ArchName | None = None, inputs: int | None = None, features: int | list[int] = 2,
               widths: int | list[int] | None = None, rank: int | None = None, shared: bool = False,
               tree: str | list | None = None, depth: int = 1, partition: str | list[int] = "interleaved",
               seed: int = 0, network: dict | None = None, claim_at_least: int | None = None,
               dilations_b: str | list | None = None, mix: str | list | None = None) -> Outcome:
    """The generic separation rank of an architecture's grid tensor (or of a user's network).

    Parameters
    ----------
    arch : {"cp", "tucker", "tt", "tr", "ht", "convac", "rac", "overlap", "dilated", "mixed"}, optional
        The architecture family; ``inputs``, ``features``, ``widths``, ``rank``,
        ``shared``, ``tree`` (also a dilation order) and ``depth`` are its hyper-parameters
        (:func:`tnverify.networks.architectures.spec`); ``dilations_b`` and ``mix`` are a
        mixed network's second order and interconnection layers.
    partition : str or list of int
        The row side I of the bipartition (``interleaved``, ``left-right``, ``0,2,4``).
    network : dict, optional
        A tensor network of the user's own (JSON form) instead of ``arch``.
    claim_at_least : int, optional
        Turn the instance into the claim "rank >= k": proved when the proved lower
        bound reaches k, refuted when a proved upper bound is below k, unknown
        otherwise (for lower bounds from the literature, e.g. Levine et al.'s
        C(min(M, R) + T/2 - 1, T/2) for deep RACs).

    Returns
    -------
    Outcome
        ``proved`` when the random-point lower bound meets the min-cut; ``unknown``
        with both bounds otherwise.

    Notes
    -----
    A nonzero minor of the flattening at one integer point proves the rank for
    generic weights (a Zariski-open condition); the min-cut bounds every point
    (``docs/grid_tensors.md``).
    """
    subject = _subject(arch, inputs, features, widths, rank, shared, tree, depth, network, dilations_b, mix)
    rows = parse_partition(partition, _order(subject))
    res = separate(subject, rows, seed=seed)
    values = {"lower": res.lower, "upper": res.upper, "cp_rank_at_least": res.lower}
    if res.status == "proved":
        values["rank"] = res.rank
    if claim_at_least is not None:
        key = "architecture" if res.arch is not None else "network"
        return decide(res.lower, res.upper, at_least=claim_at_least, certificate=res.certificate,
                      subject={key: "family", "rows": list(rows)}, values=values,
                      facts=("generic-rank-at-least", "generic-rank-at-most"), about=res.subject)
    if res.status == "proved":
        msg = f"{res.subject}: generic separation rank for I={list(rows)} is {res.rank}"
    else:
        msg = f"{res.subject}: {res.lower} <= generic separation rank <= {res.upper} (seeds {res.seeds})"
    return Outcome(res.status, values, res.certificate, msg)


@theorem(
    "deep-vs-shallow",
    statement="A shallow architecture whose min-cut is below the deep architecture's proved separation rank "
              "cannot represent the generic deep network; the smallest sufficient width is reported.",
    notion="generic separation rank", fields=("C",),
    values=("deep_rank", "deep_lower", "shallow_width_needed", "shallow_bound_below"),
    references=("cohen_sharir_shashua_2016", "khrulkov_novikov_oseledets_2018"),
)
def deep_vs_shallow(arch: ArchName = "convac", inputs: int = 8, features: int | list[int] = 2,
                    widths: int | list[int] = 2, shared: bool = False, tree: str | list | None = None,
                    depth: int = 1, partition: str | list[int] = "interleaved", shallow: ArchName = "cp",
                    seed: int = 0) -> Outcome:
    """The width a ``shallow`` architecture needs to reach the deep one's proved separation rank.

    Parameters
    ----------
    arch, inputs, features, widths, shared, tree, depth : see :func:`separation`
        The deep architecture.
    partition : str or list of int
        The row side of the bipartition.
    shallow : {"cp", "tucker", "tt", "tr", "ht", "convac", "rac"}
        The shallow family, whose uniform width is searched.

    Returns
    -------
    Outcome
        ``proved`` when the deep rank is proved; the width below which every shallow
        network has a smaller min-cut (Cohen, Sharir, Shashua 2016, Cor. 1) is a
        ``grid-cut-bound`` step of the certificate.
    """
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
    "mixed-vs-dilated",
    statement="A dilated network of either of a mixed network's two dilation orders, with fewer channels than "
              "reported, has a min cut below the mixed network's proved separation rank: it cannot represent the "
              "generic mixed network.",
    notion="generic separation rank", fields=("C",),
    values=("mixed_rank", "mixed_lower", "mixed_upper", "width_needed_a", "width_needed_b", "bound_below_a",
            "bound_below_b"),
    references=("cohen_tamari_shashua_2018",),
)
def mixed_vs_dilated(inputs: int = 8, features: int | list[int] = 2, widths: int | list[int] = 2,
                     tree: str | list | None = None, dilations_b: str | list | None = None,
                     mix: str | list | None = None, shared: bool = False,
                     partition: str | list[int] = "interleaved", seed: int = 0) -> Outcome:
    """The channels each dilated order needs to represent a generic mixed network.

    Parameters
    ----------
    inputs, features, widths, shared : see :func:`separation`
        The mixed network (N = 2^L inputs, one width per layer).
    tree, dilations_b : str or list of int, optional
        Branch A's dilation order (default 1, 2, 4, ...) and branch B's (default: A's first
        two swapped).
    mix : str or list of int, optional
        The interconnection layers (default: every layer below the top where the orders may
        be joined; ``"none"`` joins them only at the top).
    partition : str or list of int
        The row side I of the bipartition.

    Returns
    -------
    Outcome
        ``proved`` when the mixed network's lower bound is certified (a nonzero minor of its
        grid tensor at one point, hence for generic weights). For each order X the smallest
        uniform width w_X whose min cut reaches that bound is reported, with a
        ``grid-cut-bound`` step at w_X - 1: every dilated network of order X with fewer
        channels has a smaller rank for every weight, so it equals a mixed network only on
        a proper Zariski-closed set (docs/grid_tensors.md, section 8).
    """
    a = spec("mixed", inputs, features, widths, None, shared, tree, dilations_b=dilations_b, mix=mix)
    rows = parse_partition(partition, a.N)
    res = architecture_separation(a, rows, seed=seed, prefix="mixed_")
    cert = res.certificate
    need_a, below_a = shallow_width("dilated", a.N, list(a.M), rows, res.lower, cert=cert,
                                    dilations=a.dilations, label="dilated_a")
    need_b, below_b = shallow_width("dilated", a.N, list(a.M), rows, res.lower, cert=cert,
                                    dilations=a.dilations_b, label="dilated_b")
    status = "proved" if res.lower > 0 else "unknown"
    values = {"mixed_rank": res.rank, "mixed_lower": res.lower, "mixed_upper": res.upper, "width_needed_a": need_a,
              "width_needed_b": need_b, "bound_below_a": below_a, "bound_below_b": below_b}
    msg = (f"{a.describe()} has separation rank >= {res.lower} for I={list(rows)}; a dilated network needs "
           f">= {need_a} channels with dilations {list(a.dilations)} and >= {need_b} with {list(a.dilations_b)}")
    return Outcome(status, values, cert, msg)


@theorem(
    "tt-ranks",
    statement="The generic TT ranks of a tensor train are its bond dimensions capped by the contiguous min-cuts "
              "(ranks of the flattenings {1..k} | {k+1..d}).",
    notion="generic separation rank", fields=("C",),
    values=("ranks", "lower"),
    references=("khrulkov_novikov_oseledets_2018",),
)
def tt_ranks(inputs: int, features: int | list[int] = 2, widths: int | list[int] = 2, seed: int = 0) -> Outcome:
    """The generic TT ranks of a tensor train, one contiguous flattening at a time.

    Parameters
    ----------
    inputs : int
        The order d of the train.
    features, widths : int or list of int
        Mode sizes and bond dimensions.

    Returns
    -------
    Outcome
        ``proved`` when every contiguous flattening's lower bound meets its min-cut.

    References
    ----------
    I. Oseledets, "Tensor-train decomposition", SIAM J. Sci. Comput. 33(5) (2011):
    the TT ranks are the ranks of the contiguous flattenings.
    """
    a = spec("tt", inputs, features, widths)
    tally = budget.Tally(f"the {a.N - 1} contiguous flattenings of {a.describe()}")
    for k in range(1, a.N):  # the whole loop, before its first flattening
        memory, work = separation_cost(a, tuple(range(k)))
        tally.add(memory=memory, work=work)
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
