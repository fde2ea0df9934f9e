"""Theorems of implicit regularization: gradient descent on tensor factorizations learns low rank.

Both are ``numerical``: what a seeded run of gradient descent observed, never ``proved`` (the
papers' results are about gradient flow near a small initialization; one run is evidence). The
facts proved on the way (the rank of the ground truth, the exact flattening ranks of the learned
tensor rounded to its grid) are in the certificate, which the runner sends to the checker.

* ``implicit-low-cp-rank`` -- Razin, Maman and Cohen 2021: gradient descent on a CP factorization
  from a small initialization learns the components one at a time, and the learned tensor has low
  CP rank; a large initialization does not.
* ``implicit-low-hierarchical-rank`` -- Razin, Maman and Cohen 2022: the same for a hierarchical
  (HT) factorization, with local components and the ranks of the tree's flattenings.

The run, the thresholds and the statements: :mod:`tnverify.theory.implicit_bias`,
docs/implicit_bias.md.
"""
from __future__ import annotations

from tnverify.theorems import Outcome, theorem
from tnverify.theory.implicit_bias import DEFAULTS, implicit_bias

__all__ = ["implicit_low_cp_rank", "implicit_low_hierarchical_rank", "RECOVERED"]

#: A run *recovers* the truth when its relative error on all entries is below this.
RECOVERED = 1e-2

_VALUES = ("numerical_rank", "numerical_ranks", "recovered", "rounded_rank", "rounded_rank_at_most", "rounded_equals_truth",
           "truth_cp_rank")
#: The bands of ``rounded_rank_at_most``: a learned tensor's rounded rank can move by one with the
#: floating-point rounding of the descent (another BLAS, another CPU), so instances state a band.
RANK_BANDS = (2, 5, 10)


def _outcome(model: str, shape, truth_rank, observed, components, init_scale, step, iterations, seed,
             threshold) -> Outcome:
    res = implicit_bias(shape, truth_rank, observed=observed, model=model, components=components,
                        init_scale=init_scale, step=step, iterations=iterations, seed=seed, threshold=threshold)
    d = res.to_dict()
    values = {"numerical_rank": d["numerical_rank"], "numerical_ranks": d["numerical_ranks"],
              "recovered": bool(d["full_error"] < RECOVERED), "rounded_rank": d["learned"]["rounded_rank"],
              "rounded_rank_at_most": next((b for b in RANK_BANDS if d["learned"]["rounded_rank"] <= b), None),
              "rounded_equals_truth": d["learned"]["equals_truth"], "truth_cp_rank": d["truth"]["cp_rank"]}
    if model == "ht":
        values["local_components"] = d["local_components"]
    message = (f"GD ({model}, init scale {init_scale:g}, {iterations} steps of {step:g}, seed {seed}): relative error "
               f"{d['full_error']:.3g} on all entries; numerical rank {d['numerical_rank']} (threshold {threshold:g}); "
               f"the rounded tensor has exact flattening ranks {d['learned']['flattening_ranks']} and "
               f"{'equals' if d['learned']['equals_truth'] else 'differs from'} the truth's observations; "
               f"the truth has CP rank {d['truth']['cp_rank']} (certificate: {d['verdict']})")
    return Outcome("numerical", values, res.certificate, message)


@theorem(
    "implicit-low-cp-rank",
    statement="Gradient descent on a CP factorization for tensor completion, from a small initialization, learns "
              "its components one at a time and ends at a tensor of low numerical CP rank (numerical evidence of "
              "one seeded run).",
    notion="CP rank", fields=("R",),
    values=_VALUES,
    references=("razin_maman_cohen_2021",),
)
def implicit_low_cp_rank(shape: list[int] = [10, 10, 10], truth_rank: int = 2,  # noqa: B006 - read-only default
                         observed: float = DEFAULTS["observed"], components: int = DEFAULTS["components"],
                         init_scale: float = DEFAULTS["init_scale"], step: float = DEFAULTS["step"],
                         iterations: int = DEFAULTS["iterations"], seed: int = 0,
                         threshold: float = DEFAULTS["threshold"]) -> Outcome:
    """One CP completion run (:func:`tnverify.theory.implicit_bias.implicit_bias`) and its statements.

    Returns
    -------
    Outcome
        ``numerical``: the numerical rank, whether the truth was recovered (relative error below
        :data:`RECOVERED`), the exact largest flattening rank of the rounded tensor, whether it
        equals the truth's observations, and the truth's CP rank (``None`` unless proved).
    """
    return _outcome("cp", shape, truth_rank, observed, components, init_scale, step, iterations, seed, threshold)


@theorem(
    "implicit-low-hierarchical-rank",
    statement="Gradient descent on a hierarchical (HT) factorization for tensor completion, from a small "
              "initialization, learns local components one at a time and ends at a tensor of low numerical "
              "hierarchical rank (numerical evidence of one seeded run).",
    notion="rank", fields=("R",),
    values=_VALUES + ("local_components",),
    references=("razin_maman_cohen_2022",),
)
def implicit_low_hierarchical_rank(shape: list[int] = [10, 10, 10], truth_rank: int = 2,  # noqa: B006
                                   observed: float = DEFAULTS["observed"], components: int = DEFAULTS["components"],
                                   init_scale: float = 0.02, step: float = DEFAULTS["step"], iterations: int = 60000,
                                   seed: int = 0, threshold: float = DEFAULTS["threshold"]) -> Outcome:
    """One HT completion run on the balanced tree and its statements.

    Returns
    -------
    Outcome
        ``numerical``: as :func:`implicit_low_cp_rank`, the numerical ranks being per flattening of
        the tree (local components above the threshold at the parent node), and
        ``local_components`` the count per interior node.
    """
    return _outcome("ht", shape, truth_rank, observed, components, init_scale, step, iterations, seed, threshold)
