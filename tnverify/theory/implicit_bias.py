r"""Implicit regularization towards low tensor rank: a completion run and the rank statements after it.

Razin, Maman and Cohen [1]_ [2]_ show that gradient descent on a CP (resp. hierarchical, HT)
factorization from a small initialization learns its components one at a time, so that the learned
tensor has low tensor rank (resp. low hierarchical tensor rank). :func:`implicit_bias` stages that
experiment with a ground truth whose rank is *proved*, runs the descent
(:func:`tnverify.numeric.implicit_bias.complete`) and states, with their status:

* **upper (numerical).** The number of components whose norm exceeds ``threshold`` times the
  largest (CP), or, per interior node of the tree, the number of local components above
  ``threshold`` times the node's largest (HT). The learned tensor is a sum of that many
  components plus components of smaller norm; for CP the relative distance to the truncated sum
  is reported as well. A floating-point observation, labelled ``numerical``, never ``proved``.
* **lower (proved, about the rounded tensor).** The learned tensor ``W`` is rounded to the grid
  ``(1/q) Z`` (``L = round(q W) / q``, ``q`` stated; by default the scale ``s`` of the
  observations, on which the truth lies). The exact ranks over Q of flattenings of ``L`` (the
  mode flattenings for CP, the flattenings of the tree's nodes for HT) are computed with
  witnesses (:func:`tnverify.exact.rank`), and the largest is a lower bound on the CP rank of
  ``L`` (rule ``cp-rank-from-flattening``). When ``L`` equals the truth's observations exactly,
  the truth's factors give the matching upper bound (rule ``cp-decomposition``). These facts are
  about ``L``, not about ``W``.
* **the ground truth (proved).** ``T = sum_r a_r (x) b_r (x) ...`` with integer factors drawn from
  the seed; the observations are ``Y = T / s`` with ``s = max |T_i|``. Its CP rank is proved by a
  flattening rank (lower) and the factors themselves (upper); its flattening ranks are exact.

Every proved fact is in one certificate that the independent checker verifies
(:func:`tnverify.checker.check`); without the verdict VERIFIED the statements are reported as
``unknown``. The command is ``tnverify implicit-bias``; docs/implicit_bias.md has the conventions,
the defaults and what a run shows.

References
----------
.. [1] N. Razin, A. Maman, N. Cohen, "Implicit regularization in tensor factorization", ICML 2021.
.. [2] N. Razin, A. Maman, N. Cohen, "Implicit regularization in hierarchical tensor factorization
   and deep convolutional neural networks", ICML 2022.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate, dumps, tensor_object
from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.exact import flatten, rank as exact_rank
from tnverify.exact.rank import rank_certificate, require_rank
from tnverify.numeric.implicit_bias import HTTree, balanced_tree, complete, completion_cost
from tnverify.theory.cp_rank import cp_certificate

__all__ = ["Diverged", "GroundTruth", "ImplicitBiasResult", "ground_truth", "observation_mask", "format_limits", "implicit_bias",
           "sweep", "MAX_RECORDS", "DEFAULTS"]

#: Most records of one run (norms and errors); the record interval is ``ceil(iterations / MAX_RECORDS)``.
MAX_RECORDS = 2000
#: Entries of the integer factors of the ground truth are drawn from ``-ENTRY_RANGE..ENTRY_RANGE``.
ENTRY_RANGE = 3
#: Defaults of :func:`implicit_bias` (and of the command line).
DEFAULTS = {"components": 10, "init_scale": 1e-3, "step": 10.0, "iterations": 20000, "threshold": 1e-2,
            "observed": 0.3}


class Diverged(InputError):
    """The step is too large for this start: the loss overflowed (bad input, exit code 2).

    :func:`sweep` records such a scale as a ``diverged`` row instead of stopping.
    """


# ------------------------------------------------------------------ the format and the ground truth
def format_limits(shape, model: str) -> tuple[int, int]:
    """``(truth_max, components_max)`` for a format.

    ``truth_max`` is the largest rank a flattening of the format can have,
    ``max over bipartitions of min(prod_I I_k, prod_J I_k)``: a ground truth's CP rank is proved
    through a flattening, so it can be proved up to this value. ``components_max`` is
    ``prod(shape) / max(shape)`` for CP (every tensor of the format is a sum of that many rank-one
    terms: its slices along the largest mode), and for HT the largest rank a node's flattening can
    have, ``max over the nodes v of min(prod_v, prod_rest)``: more components add nothing.
    """
    N = len(shape)
    total = math.prod(shape)
    best = 0
    for size in range(1, N // 2 + 1):
        for rows in itertools.combinations(range(N), size):
            p = math.prod(shape[k] for k in rows)
            best = max(best, min(p, total // p))
    if model == "cp":
        return best, total // max(shape)
    tree = HTTree.build(balanced_tree(N), list(shape), 1)
    node = max(min(math.prod(shape[k] for k in m), total // math.prod(shape[k] for k in m))
               for m in tree.modes[:-1])
    return best, node


@dataclass
class GroundTruth:
    """A tensor ``T = sum_r F_0[:, r] (x) ... (x) F_{N-1}[:, r]`` with integer factors, and its scale.

    ``tensor`` is exact (int64 or Python ints); the observations are ``T / scale`` with
    ``scale = max |T_i|`` (at least 1).
    """

    factors: list
    tensor: np.ndarray
    scale: int
    rank: int


def ground_truth(shape, rank: int, seed: int) -> GroundTruth:
    """A rank-``rank`` ground truth of format ``shape``: integer factors in ``[-3, 3]`` from ``seed``.

    The factors come from ``numpy.random.default_rng([seed, 0])`` (mode 0 first). The rank is
    proved by :func:`implicit_bias`, not assumed: a degenerate draw shows as bounds that do not meet.
    """
    rng = np.random.default_rng([seed, 0])
    budget.require(f"a rank-{rank} ground truth of format {' x '.join(map(str, shape))}",
                   memory=16 * budget.product(shape) * rank, work=2 * budget.product(shape) * rank)
    factors = [rng.integers(-ENTRY_RANGE, ENTRY_RANGE + 1, (d, rank)).astype(np.int64) for d in shape]
    T = factors[0]
    for F in factors[1:]:
        T = (T[:, None, :] * F[None, :, :]).reshape(-1, rank)
    T = T.sum(axis=1).reshape(shape)
    return GroundTruth(factors, T, max(1, int(np.abs(T).max())), rank)


def observation_mask(shape, fraction: float, seed: int) -> np.ndarray:
    """``round(fraction * size)`` entries chosen uniformly without replacement (``default_rng([seed, 1])``)."""
    size = math.prod(shape)
    m = int(round(fraction * size))
    if m < 1:
        raise InputError(f"expected an observed fraction that observes at least one of the {size} entries, "
                         f"got {fraction:g}")
    mask = np.zeros(size, dtype=bool)
    mask[np.random.default_rng([seed, 1]).choice(size, m, replace=False)] = True
    return mask.reshape(shape)


# ------------------------------------------------------------------ validation
def _validate(shape, truth_rank, observed, model, components, init_scale, step, iterations, threshold, grid):
    if model not in ("cp", "ht"):
        raise InputError(f"expected a model cp or ht, got {model!r}")
    shape = tuple(shape)
    if len(shape) < 2 or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in shape):
        raise ShapeError(f"expected a shape of order >= 2 with positive dimensions, like 10,10,10, got {shape}")
    size = budget.product(shape)
    budget.require(f"a completion of a {' x '.join(map(str, shape))} tensor", memory=64 * size, work=size)
    shape = tuple(int(d) for d in shape)
    truth_max, comp_max = format_limits(shape, model)
    if isinstance(truth_rank, bool) or not isinstance(truth_rank, (int, np.integer)) or not 1 <= truth_rank <= truth_max:
        raise InputError(f"expected a truth rank between 1 and {truth_max} (the largest rank of a flattening of a "
                         f"{' x '.join(map(str, shape))} tensor, so that the truth's rank can be proved), got "
                         f"{truth_rank!r}")
    what = "CP rank of any tensor" if model == "cp" else "rank of a node's flattening"
    if isinstance(components, bool) or not isinstance(components, (int, np.integer)) or not 1 <= components <= comp_max:
        raise InputError(f"expected between 1 and {comp_max} components for {model.upper()} on a "
                         f"{' x '.join(map(str, shape))} tensor (the largest {what} of this format), got {components!r}")
    for value, what, lo, hi in ((observed, "an observed fraction in (0, 1]", 0.0, 1.0),
                                (threshold, "a threshold in (0, 1)", 0.0, math.nextafter(1.0, 0.0)),
                                (init_scale, "an initialization scale > 0", 0.0, math.inf),
                                (step, "a step size > 0", 0.0, math.inf)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value) or not lo < value <= hi:
            raise InputError(f"expected {what}, got {value!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 1:
        raise InputError(f"expected iterations >= 1, got {iterations!r}")
    if grid is not None and (isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 1):
        raise InputError(f"expected a grid denominator q >= 1 (rounding to multiples of 1/q), got {grid!r}")
    return shape


def _flattenings(model: str, shape) -> list[tuple]:
    """Row modes of the flattenings stated: every mode (CP); every node of the balanced tree but the root (HT).

    A node whose complement was already listed (the root's second child) is the same flattening
    transposed and is left out.
    """
    N = len(shape)
    if model == "cp":
        return [(k,) for k in range(N)]
    tree = HTTree.build(balanced_tree(N), list(shape), 1)
    out = []
    for m in tree.modes[:-1]:
        rows = tuple(sorted(m))
        rest = tuple(k for k in range(N) if k not in rows)
        if rows not in out and rest not in out:
            out.append(rows)
    return out


# ------------------------------------------------------------------ numerical statements
def _numerical(run, threshold: float, flats) -> dict:
    """Components above ``threshold`` times the largest, per flattening (numerical upper bounds)."""
    final = run.norms[-1]
    if run.model == "cp":
        keep = final > threshold * final.max()
        k = int(keep.sum())
        W = run.tensor()
        Wk = np.einsum(",".join(f"{chr(97 + i)}z" for i in range(W.ndim)) + "->" +
                       "".join(chr(97 + i) for i in range(W.ndim)), *[F[:, keep] for F in run.params])
        nW = float(np.linalg.norm(W))
        return {"numerical_rank": k, "numerical_ranks": {_key(r): k for r in flats},
                "truncation_error": float(np.linalg.norm(W - Wk)) / nW if nW > 0 else 0.0}
    tree, R = run.tree, run.components
    counts = {}
    for i, v in enumerate(tree.interior):
        norms = final[i * R:(i + 1) * R]
        counts[v] = int((norms > threshold * norms.max()).sum()) if norms.max() > 0 else 0
    parent = {int(c): v for v in tree.interior for c in (tree.left[v], tree.right[v])}
    by_rows = {}
    for c, v in parent.items():
        rows = tuple(sorted(tree.modes[c]))
        rest = tuple(k for k in range(len(run.shape)) if k not in rows)
        key = rows if rows in flats else rest
        by_rows[_key(key)] = min(by_rows.get(_key(key), counts[v]), counts[v])
    return {"numerical_rank": max(by_rows.values()), "numerical_ranks": by_rows,
            "local_components": {",".join(map(str, tree.modes[v])): counts[v] for v in tree.interior}}


def _key(rows) -> str:
    return ",".join(map(str, rows))


# ------------------------------------------------------------------ proved statements
def _rank_steps(cert: Certificate, name: str, T, flats, seed: int) -> dict:
    """Exact flattening ranks of the object ``name`` (= ``T``), merged into ``cert``; ``{rows: RankResult}``."""
    out = {}
    for rows in flats:
        M = flatten(T, rows)
        res = exact_rank(M, "Q", seed=seed, upper="kernel" if M.size <= 4096 else "auto")
        sub = rank_certificate(res, M, {"object": name, "rows": list(rows)}, Certificate())
        cert.merge(sub, prefix=f"{name}-{_key(rows)}-")
        out[rows] = res
    return out


def _cp_lower(cert: Certificate, name: str, ranks: dict) -> int:
    rows, res = max(ranks.items(), key=lambda kv: kv[1].lower)
    cert.add_step("cp-rank-from-flattening", id=f"{name}-cp-lower", tensor=name, rows=list(rows), rank=res.lower)
    cert.conclude("cp-rank-at-least", {"tensor": {"object": name}, "field": "Q"}, res.lower)
    return res.lower


def _cp_upper(cert: Certificate, name: str, T, factors, weights=None) -> int:
    sub = cp_certificate(T, factors, Certificate(), name=name, weights=weights)
    cert.merge(sub, prefix=f"{name}-")
    return int(factors[0].shape[1])


def _proved_statements(truth: GroundTruth, W: np.ndarray, q: int, flats, seed: int):
    """The certificate of the truth's ranks and of the rounded tensor's ranks, checked; and the values."""
    from tnverify.checker import check

    for label in ("truth", "learned"):
        for rows in flats:
            m = math.prod(W.shape[k] for k in rows)
            require_rank(m, W.size // m, "Q", f"the exact rank of a {m} x {W.size // m} flattening of the {label} tensor")
    if not np.all(np.isfinite(W)) or float(np.abs(W).max()) * q >= 2.0**62:
        raise NumericalError(f"the learned tensor has entries too large to round to the grid 1/{q} "
                             f"(max |entry| {float(np.abs(W).max()):.3g})")
    num = np.rint(W * q).astype(np.int64)
    L = np.array([Fraction(int(x), q) for x in num.ravel()], dtype=object).reshape(W.shape)
    equal = bool(np.all(num * truth.scale == truth.tensor * q))
    cert = Certificate(objects={"truth": tensor_object(truth.tensor), "learned": tensor_object(L)})
    truth_ranks = _rank_steps(cert, "truth", truth.tensor, flats, seed)
    t_lo = _cp_lower(cert, "truth", truth_ranks)
    t_hi = _cp_upper(cert, "truth", truth.tensor, truth.factors)
    learned_ranks = _rank_steps(cert, "learned", L, flats, seed)
    l_lo = _cp_lower(cert, "learned", learned_ranks)
    l_hi = None
    if equal:
        l_hi = _cp_upper(cert, "learned", L, truth.factors, weights=[Fraction(1, truth.scale)] * truth.rank)
    verdict = check(dumps(cert))
    ok = verdict.status == "VERIFIED"

    def ranks(d):
        return {_key(rows): (r.rank if r.status == "proved" else None) for rows, r in d.items()}

    truth_d = {"scale": truth.scale, "cp_rank_lower": t_lo, "cp_rank_upper": t_hi,
               "cp_rank": t_lo if t_lo == t_hi else None, "flattening_ranks": ranks(truth_ranks),
               "status": "proved" if ok and t_lo == t_hi else "unknown"}
    learned_d = {"grid": q, "equals_truth": equal, "cp_rank_lower": l_lo, "cp_rank_upper": l_hi,
                 "flattening_ranks": ranks(learned_ranks),
                 "rounded_rank": max(r.lower for r in learned_ranks.values()),
                 "status": "proved" if ok and all(r.status == "proved" for r in learned_ranks.values()) else "unknown"}
    return cert, verdict, truth_d, learned_d


# ------------------------------------------------------------------ result
@dataclass
class ImplicitBiasResult:
    """A completion run and its statements (see the module docstring).

    ``status`` is ``numerical``: the learning statement is an observation. ``truth`` and
    ``learned`` hold the proved facts (each with its own status, ``proved`` only with the
    checker's verdict VERIFIED).
    """

    run: object
    truth: GroundTruth
    observed_entries: int
    threshold: float
    numerical: dict
    truth_facts: dict
    learned_facts: dict
    certificate: Certificate | None
    verdict: str | None
    status: str = "numerical"

    def to_dict(self) -> dict:
        """JSON-ready summary: parameters, final errors and norms, the numerical and proved statements."""
        r = self.run
        return {
            "status": self.status, "model": r.model, "shape": list(r.shape), "components": r.components,
            "truth_rank": self.truth.rank, "observed_entries": self.observed_entries, "init_scale": r.init_scale,
            "step": r.step, "iterations": r.updates, "seed": r.seed, "engine": r.engine, "run_status": r.status,
            "seconds": round(r.seconds, 6), "record_every": int(r.iterations[1] - r.iterations[0])
            if len(r.iterations) > 1 else 1,
            "observed_error": float(r.observed_error[-1]), "full_error": float(r.full_error[-1]),
            "component_norms": {lab: float(x) for lab, x in zip(r.labels, r.norms[-1])},
            "threshold": self.threshold, **self.numerical,
            "learned": self.learned_facts, "truth": self.truth_facts, "verdict": self.verdict,
        }


def implicit_bias(shape, truth_rank: int, *, observed: float = DEFAULTS["observed"], model: str = "cp",
                  components: int = DEFAULTS["components"], init_scale: float = DEFAULTS["init_scale"],
                  step: float = DEFAULTS["step"], iterations: int = DEFAULTS["iterations"], seed: int = 0,
                  threshold: float = DEFAULTS["threshold"], grid: int | None = None, engine: str = "numba",
                  prove: bool = True, records: int = MAX_RECORDS) -> ImplicitBiasResult:
    """Tensor completion by gradient descent from a random start, and the rank statements after it.

    Parameters
    ----------
    shape : sequence of int, order >= 2
    truth_rank : int
        CP rank of the ground truth (at most the largest flattening rank of the format).
    observed : float in (0, 1]
        Fraction of the entries observed (``round(observed * size)`` of them, at least one).
    model : {"cp", "ht"}
    components : int
        CP components, or the HT width at every interior node (at most :func:`format_limits`).
    init_scale, step, iterations, seed, engine
        Of :func:`tnverify.numeric.implicit_bias.complete`; ``seed`` also draws the truth and the mask.
    threshold : float in (0, 1)
        Relative threshold of the numerical rank.
    grid : int, optional
        ``q``: the learned tensor is rounded to multiples of ``1/q`` (default: the truth's scale).
    prove : bool
        Build and check the certificate of the proved statements (the sweep may skip it).
    records : int
        Most records kept (the record interval is ``ceil(iterations / records)``).

    Returns
    -------
    ImplicitBiasResult

    Raises
    ------
    InputError, ShapeError
        Bad values (one line: what was expected, what was received).
    BudgetError
        A run or an exact rank over the budget.
    NumericalError
        A learned tensor too large to round to the grid.

    A step so large that the loss overflows is an :class:`~tnverify.errors.InputError` (the
    message says at which step).
    """
    shape = _validate(shape, truth_rank, observed, model, components, init_scale, step, iterations, threshold, grid)
    flats = _flattenings(model, shape)
    truth = ground_truth(shape, int(truth_rank), seed)
    mask = observation_mask(shape, float(observed), seed)
    every = max(1, -(-int(iterations) // max(1, records)))
    Y = truth.tensor / truth.scale
    run = complete(Y, mask, model=model, components=int(components), init_scale=float(init_scale), step=float(step),
                   iterations=int(iterations), seed=seed, truth=Y, record_every=every, engine=engine)
    if run.status == "diverged":
        raise Diverged(f"expected a step small enough for gradient descent to stay finite, got {float(step):g}: "
                         f"the loss overflowed at step {run.updates} of {iterations}; lower --step")
    numerical = _numerical(run, float(threshold), flats)
    q = truth.scale if grid is None else int(grid)
    cert, verdict, truth_d, learned_d = (None, None, {}, {})
    if prove:
        cert, v, truth_d, learned_d = _proved_statements(truth, run.tensor(), q, flats, seed)
        verdict = v.status
        cert.claim.update({"statement": f"ranks of a rank-{truth.rank} ground truth and of the tensor learned by "
                                        f"gradient descent ({model}, init scale {float(init_scale):g}, seed {seed}) "
                                        f"rounded to multiples of 1/{q}", "seed": seed})
    return ImplicitBiasResult(run, truth, int(mask.sum()), float(threshold), numerical, truth_d, learned_d, cert,
                              verdict)


def sweep(scales, shape, truth_rank: int, **options) -> list[dict]:
    """One run per initialization scale (the same truth, mask and seed): the bias fading as the scale grows.

    Each row has the scale, the final errors, the numerical rank, the exact rank of the rounded
    tensor (its largest flattening rank, ``proved`` only with the checker's verdict) and whether
    the rounded tensor equals the truth; a scale whose descent overflows gives a row with the
    status ``diverged`` and the reason in ``note``. The whole sweep is checked against the budget
    first.
    """
    scales = list(scales)
    if not scales:
        raise InputError("expected at least one initialization scale in the sweep, got none")
    model = options.get("model", "cp")
    shape = tuple(shape)
    tally = budget.Tally(f"a sweep over {len(scales)} initialization scales")
    size = budget.product(shape)
    m = int(round(options.get("observed", DEFAULTS["observed"]) * size))
    R = options.get("components", DEFAULTS["components"])
    for _ in scales:
        tally.add(**dict(zip(("memory", "work"), completion_cost(shape, m, model, R if isinstance(R, int) else 1,
                                                                  options.get("iterations", DEFAULTS["iterations"]),
                                                                  2))))
    rows = []
    for s in scales:
        try:
            res = implicit_bias(shape, truth_rank, init_scale=s, records=1, **options)
        except Diverged as e:
            rows.append({"init_scale": s, "observed_error": math.nan, "full_error": math.nan, "numerical_rank": None,
                         "truncation_error": None, "rounded_rank": None, "rounded_status": "diverged",
                         "rounded_equals_truth": None, "truth_cp_rank": None, "verdict": None, "seconds": None,
                         "note": str(e)})
            continue
        d = res.to_dict()
        rows.append({"init_scale": s, "observed_error": d["observed_error"], "full_error": d["full_error"],
                     "numerical_rank": d["numerical_rank"], "truncation_error": d.get("truncation_error"),
                     "rounded_rank": d["learned"]["rounded_rank"], "rounded_status": d["learned"]["status"],
                     "rounded_equals_truth": d["learned"]["equals_truth"], "truth_cp_rank": d["truth"]["cp_rank"],
                     "verdict": d["verdict"], "seconds": d["seconds"], "note": ""})
    return rows
