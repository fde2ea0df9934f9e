"""Theorems of learnability and hardness: sample complexity, the ReLU coefficient, hardness references.

* ``learning-sample-complexity`` -- numerical: over a sweep of sample sizes, the log-log slope of
  the oracle direction error of the method of moments and its 95% interval (Janzamin, Sedghi and
  Anandkumar 2015, Theorem 3: the error is O~(n^{-1/2})).
* ``relu-moment-coefficient`` -- numerical: for ReLU networks the third-moment coefficient is
  ``lambda_j = -a_j b_j phi(b_j / |w_j|) / |w_j|^3`` (exactly 0 when ``b_j = 0``: the unbiased
  neurons are invisible to the method; derivation in docs/learning.md, section 4), compared with
  a Monte Carlo estimate of ``E[y He_3(x)]`` entry by entry, within its standard errors. The
  checker has no rule for non-polynomial activations, so this is never ``proved``.
* ``hardness-reference`` -- a documented ``unknown`` entry: the problem is NP-hard (Hastad 1990;
  Hillar and Lim 2013), so tnverify has, and expects, no general certificate; it states what it
  proves instead on particular tensors.

The method and its limits: docs/learning.md.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from tnverify.errors import InputError
from tnverify.theorems import Outcome, theorem
from tnverify.theory import learning_diagnostics as D
from tnverify.theory.learning import TwoLayerNet, batch_moments, parse_activation, random_network, sample
from tnverify.theory.moment_method import check_samples, oracle_lambdas, sweep

__all__ = ["sample_complexity", "relu_moment_coefficient", "hardness_reference", "HARDNESS"]


@theorem(
    "learning-sample-complexity",
    statement="The oracle direction error of the method of moments decreases like n^(-1/2) in the number of "
              "samples n: the fitted log-log slope and its 95% interval (numerical).",
    notion="identifiability", fields=("R",),
    values=("slope", "slope_low", "slope_high", "interval_contains_minus_half", "decreasing", "fitted_on",
            "resolvable_at"),
    references=("janzamin_sedghi_anandkumar_2015",),
)
def sample_complexity(inputs: int, hidden: int, sizes: list[int], activation: str = "tanh", seed: int = 0,
                      method: Literal["jennrich", "power"] = "jennrich", repeats: int = 1) -> Outcome:
    """Sweep :func:`tnverify.theory.moment_method.sweep` over ``sizes`` (``repeats`` runs each) on a
    random network.

    Returns
    -------
    Outcome
        ``numerical``: the slope of log(direction error) on log(n) with its 95% Student interval;
        ``interval_contains_minus_half`` and ``decreasing`` (the interval lies below 0).
    """
    net = random_network(inputs, hidden, activation, seed=seed)
    res = sweep(net, sizes, seed=seed, method=method, repeats=repeats)
    if res.slope is None:
        raise InputError(f"expected at least 3 distinct sample sizes with a nonzero error, got {sizes}")
    lo, hi = res.interval
    values = {"slope": round(res.slope, 3), "slope_low": round(lo, 3), "slope_high": round(hi, 3),
              "interval_contains_minus_half": bool(lo <= -0.5 <= hi), "decreasing": bool(hi < 0),
              "fitted_on": res.fitted_on, "resolvable_at": res.resolvable_at}
    return Outcome("numerical", values, None,
                   f"slope {res.slope:.3f}, 95% interval [{lo:.3f}, {hi:.3f}] over n = {res.fitted_on}"
                   + (f"; {res.note}" if res.note else ""))


@theorem(
    "relu-moment-coefficient",
    statement="For y = sum_j a_j relu(w_j^T x + b_j) and x ~ N(0, I): E[y He_3(x)] = sum_j lambda_j w_j^(x)3 with "
              "lambda_j = -a_j b_j phi(b_j/|w_j|)/|w_j|^3, which is 0 exactly when b_j = 0 (checked against "
              "Monte Carlo; numerical).",
    notion="moment identity", fields=("R",),
    values=("within_standard_errors", "max_z", "zero_coefficients", "lambdas"),
    references=("janzamin_sedghi_anandkumar_2015",),
)
def relu_moment_coefficient(weights: list[list[float]], bias: list[float], output: list[float], samples: int,
                            seed: int = 0, z_max: float = 5.0) -> Outcome:
    """Closed-form ReLU moment against a Monte Carlo estimate with batch-means standard errors.

    Returns
    -------
    Outcome
        ``numerical``: ``within_standard_errors`` when every entry of the empirical moment is within
        ``z_max`` standard errors of the closed form; ``zero_coefficients`` lists the neurons
        (1-based) whose coefficient is exactly 0 (b_j = 0 or a_j = 0).
    """
    W = np.array(weights, dtype=float)
    if W.ndim != 2:
        raise InputError(f"expected weights as an inputs x hidden matrix, got shape {W.shape}")
    b, a = np.array(bias, dtype=float), np.array(output, dtype=float)
    if b.shape != (W.shape[1],) or a.shape != (W.shape[1],):
        raise InputError(f"expected bias and output of length {W.shape[1]}, got {b.shape} and {a.shape}")
    check_samples(samples, W.shape[0])
    net = TwoLayerNet(W, b, a, parse_activation("relu"))
    s = np.linalg.norm(W, axis=0)
    if np.any(s == 0):
        raise InputError("expected nonzero weight vectors w_j")
    lam = oracle_lambdas(net) / s ** 3  # coefficients of w_j^(x)3 (unit-direction ones divided by |w_j|^3)
    formula = np.einsum("j,ij,kj,lj->ikl", lam, W, W, W)
    X, y = sample(net, samples, np.random.default_rng(seed))
    Ms, sizes = batch_moments(X, y, D.NOISE_BATCHES)
    nz = D.noise(Ms, sizes)
    z = float(np.max(np.abs(nz.mean - formula) / np.maximum(nz.se, np.finfo(float).tiny)))
    zero = [j + 1 for j in range(net.k) if lam[j] == 0]
    values = {"within_standard_errors": bool(z <= z_max), "max_z": round(z, 2), "zero_coefficients": zero,
              "lambdas": [float(f"{x:.6g}") + 0.0 for x in lam]}
    return Outcome("numerical", values, None,
                   f"largest deviation {z:.2f} standard errors (n = {samples}); exact zeros: neurons {zero}")


#: The hardness facts: problem -> (field, complexity, reference, what tnverify proves instead).
HARDNESS = {
    "tensor-rank-finite-field": (
        "GF(p)", "NP-complete (3-tensors over a finite field)", "Hastad 1990",
        "rank bounds of particular tensors: flattening lower bounds and checked decompositions (cp-rank)"),
    "tensor-rank-rationals": (
        "Q", "NP-hard (3-tensors over Q)", "Hastad 1990",
        "rank bounds of particular tensors over Q; upper bounds by exactly checked decompositions"),
    "tensor-rank-real-complex": (
        "R", "NP-hard over R and C", "Hillar and Lim 2013",
        "generic ranks by Terracini's lemma at a point (proved dimensions), not the rank of a given tensor"),
    "best-rank-one-approximation": (
        "R", "NP-hard (equivalently the spectral norm of a 3-tensor)", "Hillar and Lim 2013",
        "nothing: CP-ALS and the tensor power method give numerical approximations only"),
}


@theorem(
    "hardness-reference",
    statement="A tensor problem that is NP-hard in general: no general certificate exists unless NP = coNP, "
              "so tnverify proves it only on particular instances (documented, unknown).",
    notion="CP rank", fields=("Q", "R", "GF(p)"),
    values=("problem", "complexity", "reference", "general_certificate", "instead"),
    references=("hastad_1990", "hillar_lim_2013"),
)
def hardness_reference(problem: Literal["tensor-rank-finite-field", "tensor-rank-rationals",
                                        "tensor-rank-real-complex", "best-rank-one-approximation"]) -> Outcome:
    """A documented ``unknown`` entry (no computation): the problem's complexity and what tnverify
    proves instead.

    A short certificate of ``rank(T) > r`` for every tensor would put an NP-complete problem in
    coNP, so NP = coNP; the catalog therefore has no general certificate and records why.
    """
    fld, complexity, ref, instead = HARDNESS[problem]
    values = {"problem": problem, "complexity": complexity, "reference": ref, "general_certificate": False,
              "instead": instead}
    out = Outcome("unknown", values, None, f"{problem}: {complexity} ({ref}); no general certificate; "
                                           f"tnverify proves instead: {instead}")
    out.field = fld
    return out
