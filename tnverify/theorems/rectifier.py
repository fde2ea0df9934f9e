"""Theorems on rectifier networks: ranks on a set of positive measure (Cohen & Shashua 2016; Khrulkov et al. 2019).

* ``relu-separation-rank`` -- the rank of a flattening of a rectifier network's grid tensor on a
  set of positive measure of weights (lower, proved at a breakpoint-free point) against the
  structural upper bounds (every weight).
* ``relu-deep-vs-shallow`` -- depth efficiency on an open set: a deep network's proved rank on an
  open set of weights against the every-weight bound Z c of a shallow (relu-cp) network with Z
  channels; the width below which no shallow network realizes any of those grid tensors.
* ``relu-avg-not-universal`` -- average pooling is not universal: every average-pooled network,
  of any width, has rank <= 2 at the split of its last pooling, and a max-pooled (or product)
  witness exceeds 2 on an open set.
* ``relu-depth-not-complete`` -- depth efficiency is not complete: on one open set of weights a deep
  ReLU/max network needs at least z shallow channels, on another it is realized exactly by fewer.
* ``relu-rank-sampling`` -- "almost all weights" statements: ranks at many random points,
  ``numerical`` evidence only.

The mathematics and the exact notion are in ``docs/rectifier.md``.
"""
from __future__ import annotations

from typing import Literal

from tnverify.networks.partitions import parse_partition
from tnverify.networks.rectifier import FAMILIES, rect_spec
from tnverify.theorems import Outcome, theorem
from tnverify.theorems.claims import decide
from tnverify.theory.rectifier import MAX_BLOCK, match_inputs as check_match_inputs, rectifier_object, \
    rectifier_sampling, rectifier_separation, shallow_channels, shallow_match

Family = Literal[FAMILIES]
Activation = Literal["relu", "linear", "abs"]
Pooling = Literal["max", "avg", "product"]
_REFS = ("cohen_shashua_2016", "khrulkov_hrinchuk_oseledets_2019")


def _arch(family, inputs, features, widths, templates, activation, pooling, biases, shared, tree):
    return rect_spec(family, inputs, widths, templates=templates, features=features, activation=activation,
                     pooling=pooling, biases=biases, shared=shared, tree=tree)


@theorem(
    "relu-separation-rank",
    statement="The rank of a flattening of a rectifier network's grid tensor on a set of positive measure of "
              "weights: a nonzero minor at a point with every breakpoint margin positive (an open set) against "
              "the structural upper bounds (every weight); proved when they meet.",
    notion="rank on a set of positive measure", fields=("Q",), values=("rank", "lower", "upper"),
    references=_REFS,
)
def relu_separation(family: Family = "relu-ht", inputs: int = 4, features: int = 2,
                    widths: int | list[int] = 2, templates: str | list | None = None, activation: Activation = "relu",
                    pooling: Pooling = "max", biases: bool = False, shared: bool = False,
                    tree: str | list | None = None, partition: str | list[int] = "interleaved", seed: int = 0,
                    max_block: int = MAX_BLOCK, claim_at_least: int | None = None) -> Outcome:
    """Rank of [A]_{I,J} of a rectifier network on a set of positive measure of weights.

    Parameters
    ----------
    family : {"relu-cp", "relu-ht", "relu-tt"}
        Shallow, deep (pooling tree) or recurrent generalized network
        (:mod:`tnverify.networks.rectifier`); ``widths`` is Z, the widths per level or the ranks.
    features, templates : int, str or list
        M one-hot templates, or explicit rational template points (``"1,0;0,1"``).
    activation, pooling, biases, shared, tree : network options.
    partition : str or list of int
        The row side I.
    claim_at_least : int, optional
        The claim "rank >= k on a set of positive measure" (proved, refuted by an every-weight
        upper bound, or unknown).

    Returns
    -------
    Outcome
        ``proved`` when the open-set lower bound meets the least every-weight upper bound.
    """
    a = _arch(family, inputs, features, widths, templates, activation, pooling, biases, shared, tree)
    rows = parse_partition(partition, a.N)
    res = rectifier_separation(a, rows, seed=seed, max_block=max_block)
    values = {"lower": res.lower, "upper": res.upper}
    if res.status == "proved":
        values["rank"] = res.rank
    if claim_at_least is not None:
        return decide(res.lower, res.upper, at_least=claim_at_least, certificate=res.certificate,
                      subject={"rectifier": "family", "rows": list(rows)}, values=values,
                      facts=("open-set-rank-at-least", "everywhere-rank-at-most"), about=res.subject)
    msg = (f"{res.subject}: rank for I={list(rows)} on a set of positive measure "
           + (f"is {res.rank}" if res.status == "proved" else f"is between {res.lower} and {res.upper}"))
    return Outcome(res.status, values, res.certificate, msg)


@theorem(
    "relu-deep-vs-shallow",
    statement="Depth efficiency on an open set: a deep rectifier network has rank >= r on an open set of weights, "
              "while a shallow relu-cp network with Z channels has rank <= Z c for every weight; so no shallow "
              "network with fewer than ceil(r / c) channels realizes those grid tensors.",
    notion="rank on a set of positive measure", fields=("Q",),
    values=("deep_lower", "per_channel", "shallow_width_at_least"), references=_REFS,
)
def relu_deep_vs_shallow(family: Family = "relu-ht", inputs: int = 8, features: int = 2,
                         widths: int | list[int] = 2, templates: str | list | None = None,
                         pooling: Literal["max", "product"] = "max", shared: bool = False,
                         tree: str | list | None = None, partition: str | list[int] = "interleaved",
                         seed: int = 0, max_block: int = MAX_BLOCK) -> Outcome:
    """The channels a shallow ReLU network needs to match a deep one on an open set of weights.

    Parameters
    ----------
    family, inputs, features, widths, templates, pooling, shared, tree : the deep network (ReLU).
    partition : str or list of int
        The row side I.

    Returns
    -------
    Outcome
        ``proved`` (once the checker verifies) with ``shallow_width_at_least``: every relu-cp
        network with the same templates, pooling and sharing and fewer channels has a smaller
        rank for every weight (the shallow count of docs/rectifier.md, section 3, in the setting of
        Cohen & Shashua 2016).
    """
    a = _arch(family, inputs, features, widths, templates, "relu", pooling, False, shared, tree)
    rows = parse_partition(partition, a.N)
    res = rectifier_separation(a, rows, seed=seed, max_block=max_block, prefix="deep_")
    cert = res.certificate
    per, need = shallow_channels(a, rows, res.lower, cert)
    status = "proved" if res.lower > 0 else "unknown"
    return Outcome(status, {"deep_lower": res.lower, "per_channel": per, "shallow_width_at_least": need}, cert,
                   f"{a.describe()} has rank >= {res.lower} on an open set of weights; a shallow relu-cp network "
                   f"has rank <= {per} per channel, so it needs >= {need} channels")


@theorem(
    "relu-depth-not-complete",
    statement="Depth efficiency of ReLU/max-pool networks is not complete: on one open set of a deep network's "
              "weights every shallow relu-cp network with fewer than z channels has too small a rank, while on "
              "another open set the deep network's grid tensor depends only on the inputs S and a shallow network "
              "with (M+1)^|S| - 1 < z channels realizes it exactly.",
    notion="rank on a set of positive measure", fields=("Q",),
    values=("deep_lower", "shallow_width_at_least", "match_channels"), references=_REFS,
)
def relu_depth_not_complete(inputs: int = 8, features: int = 3, widths: int | list[int] = 3,
                            tree: str | list | None = None, partition: str | list[int] = "interleaved",
                            match_inputs: int | list[int] = 0, seed: int = 0, max_block: int = MAX_BLOCK) -> Outcome:
    """Two open sets of one deep ReLU/max network: one needs many shallow channels, one needs few.

    Parameters
    ----------
    inputs, features, widths, tree : the deep relu-ht network (ReLU, max pooling, one-hot
        templates, no biases, unshared weights).
    partition : str or list of int
        The row side I of the depth-efficiency half (``relu-deep-vs-shallow``).
    match_inputs : int or list of int
        The inputs S that the matched network reads (the other leaves are dead on the second
        open set).

    Returns
    -------
    Outcome
        ``proved`` (once the checker verifies) when the matched width (M+1)^|S| - 1 is below the
        width z that the first open set needs; ``unknown`` otherwise. Both halves are
        statements about sets of positive measure, never about almost every weight.
    """
    a = _arch("relu-ht", inputs, features, widths, None, "relu", "max", False, False, tree)
    rows = parse_partition(partition, a.N)
    check_match_inputs(a, match_inputs)  # before any work: the match's own limits
    res = rectifier_separation(a, rows, seed=seed, max_block=max_block, prefix="deep_")
    cert = res.certificate
    per, need = shallow_channels(a, rows, res.lower, cert)
    m = shallow_match(a, match_inputs, seed=seed, prefix="deep_", cert=cert)
    Z = m["channels"]
    status = "proved" if res.lower > 0 and Z < need else "unknown"
    return Outcome(status, {"deep_lower": res.lower, "shallow_width_at_least": need, "match_channels": Z}, cert,
                   f"{a.describe()}: on an open set of weights rank >= {res.lower} at I={list(rows)}, so a shallow "
                   f"relu-cp network needs >= {need} channels; on another open set it reads only the inputs "
                   f"{m['inputs']} and {Z} channels realize it exactly")


@theorem(
    "relu-avg-not-universal",
    statement="Average pooling is not universal: at the split of the last pooling every average-pooled rectifier "
              "network, of any width, has rank <= 2, while a witness network has rank >= 3 there on an open set "
              "of weights, so none of the witness's grid tensors is realized by average pooling.",
    notion="rank on a set of positive measure", fields=("Q",), values=("avg_bound", "witness_lower"),
    references=_REFS,
)
def relu_avg_not_universal(family: Family = "relu-ht", inputs: int = 4, features: int = 3,
                           widths: int | list[int] = 2, templates: str | list | None = None,
                           witness_pooling: Literal["max", "product"] = "max", seed: int = 0) -> Outcome:
    """A witness grid tensor (an open set of them) that no average-pooled network realizes.

    Parameters
    ----------
    family, inputs, features, widths, templates : the architecture (ReLU); the partition is the
        split of its last pooling (relu-cp: the first half).
    witness_pooling : {"max", "product"}
        The pooling of the witness network.

    Returns
    -------
    Outcome
        ``proved`` when the witness's open-set rank exceeds 2.
    """
    kw = dict(templates=templates, features=features, tree=None)
    avg = _arch(family, inputs, features, widths, templates, "relu", "avg", False, False, None)
    if family == "relu-ht":
        from tnverify.networks.forward import tree_leaves
        rows = sorted(tree_leaves(avg.tree[0]))
    elif family == "relu-tt":
        rows = [avg.N - 1]
    else:
        rows = list(range(avg.N // 2))
    wit = rect_spec(family, inputs, widths, pooling=witness_pooling, **kw)
    res = rectifier_separation(wit, rows, seed=seed, prefix="witness_")
    cert = res.certificate
    cert.objects["avg_family"] = rectifier_object(avg)
    cert.add_step("relu-additive-bound", id="avg-upper", rectifier="avg_family", rows=rows, rank=2)
    cert.conclude("everywhere-rank-at-most", {"rectifier": "avg_family", "rows": rows}, 2)
    status = "proved" if res.lower >= 3 else "unknown"
    return Outcome(status, {"avg_bound": 2, "witness_lower": res.lower}, cert,
                   f"average pooling gives rank <= 2 at I={rows} for every weight and width; the {witness_pooling} "
                   f"witness {wit.describe()} has rank >= {res.lower} on an open set of weights")


@theorem(
    "relu-rank-sampling",
    statement="Ranks of a rectifier network's flattening at many random weights: numerical evidence for an "
              "'almost all weights' statement (the count and the smallest rank seen), never a proof.",
    notion="rank on a set of positive measure", fields=("Q",), values=("count", "smallest", "largest"),
    references=_REFS,
)
def relu_rank_sampling(family: Family = "relu-ht", inputs: int = 4, features: int = 2,
                       widths: int | list[int] = 2, activation: Activation = "relu", pooling: Pooling = "max",
                       shared: bool = False, partition: str | list[int] = "interleaved", count: int = 20,
                       seed: int = 0, max_block: int = 64) -> Outcome:
    """The smallest and largest rank of a sampled block over ``count`` random weight points (``numerical``).

    Parameters
    ----------
    family, inputs, features, widths, activation, pooling, shared : the network.
    partition : str or list of int
        The row side I.
    count : int
        Number of random points.

    Returns
    -------
    Outcome
        Status ``numerical``; no certificate.
    """
    a = _arch(family, inputs, features, widths, None, activation, pooling, False, shared, None)
    rows = parse_partition(partition, a.N)
    out = rectifier_sampling(a, rows, count=count, seed=seed, max_block=max_block)
    return Outcome("numerical", {"count": count, "smallest": out["smallest"], "largest": out["largest"]}, None,
                   f"{a.describe()}: block ranks at {count} random points between {out['smallest']} and "
                   f"{out['largest']} (upper bound {out['upper']}; {out['breakpoints']} points at a breakpoint)")
