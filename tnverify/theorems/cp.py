"""Theorems from numeric decompositions turned into proofs, border rank, and moment-based learning.

* ``cp-rank`` -- the CP rank of an explicit tensor (planted integer low rank, <n,n,n> with
  Strassen's decomposition, the W tensor, explicit entries): flattening / pencil lower bound and
  an exactly checked decomposition as upper bound; ``unknown`` with both bounds when they differ.
  ``claim_at_most`` / ``claim_at_least`` turn it into a claim that is proved or refuted.
* ``w-border-rank`` -- the order-N W tensor has border rank 2 (an exact polynomial curve and a
  flattening); for N = 3 also rank 3 (pencil bound).
* ``cp-als-degeneracy`` -- numerical: CP-ALS with rank 2 on the W tensor, whose best rank-2
  approximation does not exist: the error creeps down while the weights grow (de Silva, Lim 2008).
* ``gaussian-moment-identity`` -- for a polynomial activation, the exact population moment
  E[y He_3(x)] equals sum_j lambda_j w_j^(x)3 (checked by the checker from the definitions), and
  exact Jennrich over Q recovers the weights when they are independent and every lambda_j != 0.
* ``learning-recovery`` -- numerical: recovery of the first-layer weights from n samples.

Certificates and their rules: ``docs/certificates.md``.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Literal, get_args

import numpy as np

from tnverify import budget
from tnverify.errors import InputError, ShapeError
from tnverify.exact import as_exact_array
from tnverify.theorems import Exact, ExactArray, Outcome, theorem
from tnverify.theorems.claims import decide
from tnverify.exact.examples import matmul_tensor, strassen_2x2, w_curve, w_tensor
from tnverify.theory.cp_rank import als_cost, border_rank_certificate, cp_rank_bounds
from tnverify.theory.learning import (TwoLayerNet, exact_moment, exact_recovery, identifiability_warnings,
                                      moment_certificate, parse_activation, random_network, stein_weights)
from tnverify.theory.moment_method import learn

TensorFamily = Literal["planted", "matmul", "w-state", "explicit"]
FAMILIES: tuple[str, ...] = get_args(TensorFamily)


def _tensor(family: TensorFamily, shape: list[int] | None, rank: int | None, seed: int, entries: ExactArray | None,
            entry_range: int) -> tuple:
    """The tensor of a family and, when one is known (Strassen's), an exact decomposition of it."""
    if family == "planted":
        if not isinstance(shape, list) or len(shape) < 3 or not isinstance(rank, int) or rank < 1:
            raise InputError("family 'planted' needs shape = [I, J, K, ...] (order >= 3) and rank >= 1")
        entries = budget.product(shape)  # the rank-one terms are summed in an (entries x rank) int64 array
        budget.require(f"a planted rank-{rank} tensor of format {' x '.join(map(str, shape))}",
                       memory=16 * entries * rank, work=2 * entries * rank)
        rng = np.random.default_rng(seed)
        Fs = [rng.integers(-entry_range, entry_range + 1, (n, rank)) for n in shape]
        out = Fs[0]
        for F in Fs[1:]:
            out = np.einsum("...r,kr->...kr", out, F)
        return out.sum(axis=-1), None
    if family == "matmul":
        if shape not in (None, [2, 2, 2]):
            raise InputError("family 'matmul' supports <2,2,2> (shape = [2, 2, 2]) with Strassen's decomposition")
        return matmul_tensor(2), strassen_2x2()
    if family == "w-state":
        return w_tensor(), None
    if family == "explicit":
        if entries is None:
            raise InputError("family 'explicit' needs entries = [[[...]]]")
        return as_exact_array(entries, name="entries"), None
    raise InputError(f"unknown tensor family {family!r}; valid: {', '.join(FAMILIES)}")


@theorem(
    "cp-rank",
    statement="The CP rank of an explicit tensor over Q (= over R and C here): a flattening or pencil lower bound "
              "and an exactly checked decomposition as upper bound.",
    notion="CP rank", fields=("Q",),
    values=("rank", "lower", "upper"),
    references=("cp_rank_exact", "strassen_1969", "de_silva_lim_2008"),
)
def cp_rank(family: TensorFamily, shape: list[int] | None = None, rank: int | None = None, seed: int = 0,
            entries: ExactArray | None = None, entry_range: int = 3, claim_at_most: int | None = None,
            claim_at_least: int | None = None, numeric_search: bool = True) -> Outcome:
    """The CP rank of a family's tensor: proved bounds, or the claim "rank <= k" / "rank >= k".

    Parameters
    ----------
    family : {"planted", "matmul", "w-state", "explicit"}
        ``planted``: sum of ``rank`` random integer rank-one terms of format ``shape``
        (entries in [-entry_range, entry_range]); ``matmul``: <2,2,2> with Strassen's
        decomposition; ``w-state``: the W tensor; ``explicit``: ``entries``.
    numeric_search : bool
        Search a decomposition with CP-ALS (its factors are rounded and checked exactly).
    claim_at_least, claim_at_most : int, optional
        Turn the instance into a claim (:func:`tnverify.theorems.claims.decide`).

    Returns
    -------
    Outcome
        ``proved`` when the lower bound (flattenings, Kruskal 1977; pencils, Ja'Ja'
        1979) meets an exact decomposition; ``unknown`` with both bounds otherwise.
    """
    T, factors = _tensor(family, shape, rank, seed, entries, entry_range)
    res = cp_rank_bounds(T, factors=factors, seed=seed, numeric_search=numeric_search)
    values = {"rank": res.rank, "lower": res.lower, "upper": res.upper}
    cert = res.certificate
    how = f"lower: {res.lower_method}; upper: {res.upper_method or 'none found'}"
    if claim_at_most is not None or claim_at_least is not None:
        return decide(res.lower, res.upper, at_least=claim_at_least, at_most=claim_at_most, certificate=cert,
                      subject={"tensor": {"object": "T"}, "field": "Q"}, values=values,
                      facts=("cp-rank-at-least", "cp-rank-at-most"), detail=how)
    if res.status == "proved":
        return Outcome("proved", values, cert, f"CP rank = {res.rank} over Q, R and C ({how})")
    return Outcome("unknown", values, cert, f"CP rank in [{res.lower}, {res.upper}] ({how}); "
                   + "; ".join(res.notes[:2]))


@theorem(
    "w-border-rank",
    statement="The order-N W tensor has border rank 2: ((e1 + t e2)^(x)N - e1^(x)N) / t = W + O(t) and a "
              "flattening of rank 2; for N = 3 its rank is 3.",
    notion="border rank", fields=("C",),
    values=("border_rank", "rank", "rank_lower", "rank_upper"),
    references=("de_silva_lim_2008",),
)
def w_border_rank(order: int = 3, seed: int = 0) -> Outcome:
    """Border rank 2 of the order-``order`` W tensor (and rank 3 for order 3).

    Returns
    -------
    Outcome
        ``proved``: an exact polynomial curve of rank-2 tensors tending to W and a
        flattening of rank 2 (de Silva and Lim 2008, Section 5).
    """
    T = w_tensor(order)
    F, w, h = w_curve(order)
    values = {"border_rank": 2}
    if order == 3:
        res = cp_rank_bounds(T, seed=seed, numeric_search=False)
        cert = res.certificate
        values.update({"rank": res.rank, "rank_lower": res.lower, "rank_upper": res.upper})
        border_rank_certificate(T, F, w, h, cert, seed=seed)
        return Outcome("proved", values, cert, f"border rank 2 (curve of degree {h}), rank {res.rank} "
                                               f"({res.lower_method}; {res.upper_method})")
    cert = border_rank_certificate(T, F, w, h, seed=seed)
    return Outcome("proved", values, cert, f"border rank 2 (curve of degree {h} and a rank-2 flattening)")


@theorem(
    "cp-als-degeneracy",
    statement="CP-ALS with rank 2 on the W tensor (border rank 2, rank 3) does not converge to a decomposition: "
              "the error decreases towards 0 while the weights diverge (numerical evidence).",
    notion="border rank", fields=("R",),
    values=("diverging",),
    references=("de_silva_lim_2008",),
)
def cp_als_degeneracy(n_iter_max: int = 2000, seed: int = 0) -> Outcome:
    """CP-ALS with rank 2 on the W tensor, after ``n_iter_max // 10`` and ``n_iter_max`` sweeps.

    Returns
    -------
    Outcome
        ``numerical``: ``diverging`` is true when the error decreased while the
        largest weight grew (de Silva and Lim 2008, Theorem 1.1).
    """
    from tnverify.numeric import cp_als

    memory, work = als_cost((2, 2, 2), 2, n_iter_max + n_iter_max // 10)
    budget.require(f"CP-ALS with {n_iter_max} sweeps", memory=memory, work=work)
    X = w_tensor().astype(float)
    early = cp_als(X, 2, n_iter_max=n_iter_max // 10, tol=0.0, seed=seed)
    late = cp_als(X, 2, n_iter_max=n_iter_max, tol=0.0, seed=seed)
    w0, w1 = float(np.max(np.abs(early.weights))), float(np.max(np.abs(late.weights)))
    values = {"diverging": bool(w1 > w0 and late.rel_error < early.rel_error)}
    return Outcome("numerical", values, None,
                   f"after {early.n_iter} sweeps: error {early.rel_error:.3g}, largest weight {w0:.3g}; after "
                   f"{late.n_iter}: error {late.rel_error:.3g}, largest weight {w1:.3g} (same start)")


def _network(inputs: int | None, hidden: int | None, activation: str, seed: int, weights: ExactArray | None,
             bias: list[Exact] | None, output: list[Exact] | None) -> TwoLayerNet:
    """The exact 2-layer network of the given weights, or a random integer one of the given sizes."""
    if weights is None:
        return random_network(inputs, hidden, activation, seed=seed, integer=True)
    W = as_exact_array(weights, name="weights").astype(object)
    if W.ndim != 2:
        raise ShapeError(f"expected weights W of shape (inputs, hidden), got shape {W.shape}")
    k = W.shape[1]
    b = as_exact_array(bias if bias is not None else [0] * k, name="bias").astype(object)  # Python ints
    a = as_exact_array(output if output is not None else [1] * k, name="output").astype(object)
    if b.shape != (k,) or a.shape != (k,):
        raise ShapeError(f"expected bias and output of length {k} (the hidden units), got shapes {b.shape} and "
                         f"{a.shape}")
    return TwoLayerNet(W, np.array([Fraction(x) for x in b], dtype=object),
                   np.array([Fraction(x) for x in a], dtype=object), parse_activation(activation))


@theorem(
    "gaussian-moment-identity",
    statement="For y = sum_j a_j s(w_j^T x + b_j), polynomial s and x ~ N(0, I): E[y He_3(x)] = "
              "sum_j lambda_j w_j^(x)3 with lambda_j = a_j E[s'''(w_j^T x + b_j)], exactly; the weights are "
              "recovered exactly (up to scale) by Jennrich over Q when identifiable.",
    notion="moment identity", fields=("Q",),
    values=("lambdas", "recovered_exactly", "inputs", "hidden", "identifiable_warning"),
    references=("janzamin_sedghi_anandkumar_2015",),
)
def gaussian_moment_identity(activation: str = "cube", inputs: int | None = None, hidden: int | None = None,
                             seed: int = 0, weights: ExactArray | None = None, bias: list[Exact] | None = None,
                             output: list[Exact] | None = None) -> Outcome:
    """The exact identity E[y He_3(x)] = sum_j lambda_j w_j^(x)3 and exact recovery of the weights.

    Parameters
    ----------
    activation : str
        A polynomial activation: ``cube``, ``square``, ``quartic`` or ``poly:c0,c1,...``.
    inputs, hidden : int, optional
        Sizes of a random integer network (when ``weights`` is absent).
    weights, bias, output : optional
        W (inputs x hidden), b and a of the network, exact numbers.

    Returns
    -------
    Outcome
        ``proved``: the checker recomputes the moment from the definitions
        (Isserlis) and compares; ``recovered_exactly`` tells whether Jennrich over Q
        recovered the weights (Janzamin, Sedghi and Anandkumar 2015, Section 3).
    """
    net = _network(inputs, hidden, activation, seed, weights, bias, output)
    M3 = exact_moment(net)
    lam = stein_weights(net)
    cert = moment_certificate(net, M3)
    warn = identifiability_warnings(net, lam)
    if net.k <= net.d and all(x != 0 for x in lam):
        ok, msg = exact_recovery(net, M3, seed=seed)
    else:
        ok, msg = False, "exact recovery not attempted: " + (warn[-1] if warn else "k > d")
    values = {"lambdas": [str(x) for x in lam], "recovered_exactly": ok, "inputs": net.d, "hidden": net.k,
              "identifiable_warning": bool(warn)}
    return Outcome("proved", values, cert, f"identity checked exactly; {msg}" + (f"; WARNING: {'; '.join(warn)}"
                                                                                 if warn else ""))


@theorem(
    "learning-recovery",
    statement="Decomposing the empirical moment (1/n) sum_i y_i He_3(x_i) recovers the first-layer weights of a "
              "2-layer network up to sign and scale (numerical).",
    notion="identifiability", fields=("R",),
    values=("within_tolerance", "inputs", "hidden", "samples", "recovery_error", "test_error"),
    references=("janzamin_sedghi_anandkumar_2015",),
)
def learning_recovery(inputs: int, hidden: int, samples: int, activation: str = "tanh", seed: int = 0,
                      method: Literal["jennrich", "power"] = "jennrich", tolerance: float = 0.05,
                      same_sign: bool = False) -> Outcome:
    """Recovery of the first-layer weights of a random network from ``samples`` samples.

    Returns
    -------
    Outcome
        ``numerical``: ``within_tolerance`` when max_j (1 - |cos(w_j, u_j)|) is at most
        ``tolerance`` (Janzamin, Sedghi and Anandkumar 2015, Theorem 3).
    """
    net = random_network(inputs, hidden, activation, seed=seed, same_sign=same_sign)
    res = learn(net, samples, seed=seed, method=method)
    err = res.oracle["recovery_error"]
    values = {"within_tolerance": bool(err <= tolerance), "inputs": inputs, "hidden": hidden,
              "samples": samples, "recovery_error": float(f"{err:.3g}"),
              "test_error": float(f"{res.test_error:.3g}")}
    return Outcome("numerical", values, None,
                   f"oracle recovery error {err:.3g} (max 1 - |cos|), held-out test error {res.test_error:.3g}"
                   + (f"; WARNING: {'; '.join(res.warnings)}" if res.warnings else ""))
