"""Theorems about Kruskal ranks, CP uniqueness and identifiability of polynomial networks.

* ``kruskal-rank`` -- the Kruskal rank of a matrix family (explicit, planted dependency,
  Vandermonde, generic random point), proved by enumeration mod p and an exact kernel.
* ``cp-unique-generic`` -- generic essential uniqueness of rank-R CP of a format
  (Kruskal / Sidiropoulos-Bro / compound / Domanov-De Lathauwer / COV at a random point);
  ``refuted`` by the parameter count; ``unknown`` when nothing decides.
* ``cp-unique-factors`` -- the same for explicit factor matrices.
* ``jennrich-exact`` -- exact Jennrich decomposition over Q of T = [[A, B, C]] built from
  integer factors, and its certified uniqueness.
* ``pnn-identifiable`` -- f(x) = V (W^T x)^d is identifiable up to permutation and scaling
  (proved by Kruskal on a grouping of the modes) or not (refuted by the parameter count).

Uniqueness is essential uniqueness (up to permutation and scaling of the rank-one
terms) over C; the certificates' rules are described in ``docs/certificates.md``.
"""
from __future__ import annotations

import math
from typing import Literal, get_args

import numpy as np

from tnverify import budget

from tnverify.errors import InputError, ShapeError
from tnverify.exact import as_exact_array
from tnverify.theory.kruskal import generic_kruskal_rank, kruskal_certificate, kruskal_rank
from tnverify.theory.costs import jennrich_cost
from tnverify.theory.uniqueness import factors_uniqueness, generic_uniqueness, exact_jennrich, pnn_identifiability
from tnverify.theorems import ExactArray, Outcome, theorem

MatrixFamily = Literal["explicit", "planted", "vandermonde", "generic"]
MATRIX_FAMILIES: tuple[str, ...] = get_args(MatrixFamily)


def _matrix(family: MatrixFamily, rows: int | None, cols: int | None, entries: ExactArray | None,
            size: int | None, seed: int) -> np.ndarray:
    """The matrix of a non-generic family: explicit entries, a planted dependency, or Vandermonde."""
    if family == "explicit":
        if entries is None:
            raise InputError("family 'explicit' needs entries = [[...], ...]")
        return as_exact_array(entries, name="entries")
    if not isinstance(rows, int) or not isinstance(cols, int) or rows < 1 or cols < 1:
        raise InputError(f"family {family!r} needs positive integers rows and cols, got {rows!r}, {cols!r}")
    if family == "vandermonde":  # Python integers of up to (rows - 1) log2(cols) bits
        words = 1.0 + (rows - 1.0) * math.log2(max(cols, 2)) / 64
        memory, work = float(rows) * cols * (48 + 8 * words), float(rows) * cols * (50 + words)
    else:  # int64
        memory, work = 8.0 * rows * cols, float(rows) * cols
    budget.require(f"the {rows} x {cols} {family} matrix", memory=memory, work=work)
    rng = np.random.default_rng(seed)
    if family == "vandermonde":
        return np.array([[x**i for x in range(1, cols + 1)] for i in range(rows)], dtype=object)
    if family == "planted":
        if not isinstance(size, int) or not 2 <= size <= cols:
            raise InputError(f"family 'planted' needs 2 <= size <= cols, got size {size!r}")
        A = rng.integers(-1000, 1001, (rows, cols))
        coef = rng.integers(1, 10, size - 1)
        A[:, size - 1] = A[:, : size - 1] @ coef  # columns 0..size-1 are dependent
        return A
    raise InputError(f"unknown matrix family {family!r}; valid: {', '.join(MATRIX_FAMILIES)}")


@theorem(
    "kruskal-rank",
    statement="The Kruskal rank (largest k with every k columns independent) of a matrix over Q or GF(p).",
    notion="Kruskal rank", fields=("Q", "GF(p)", "C"),
    values=("k_rank", "lower", "upper", "field", "witness"),
    references=("kruskal_1977",),
)
def kruskal_rank_theorem(family: MatrixFamily, rows: int | None = None, cols: int | None = None,
                         entries: ExactArray | None = None, size: int | None = None, seed: int = 0,
                         field: str = "Q") -> Outcome:
    """The Kruskal rank of a matrix family over ``field`` (``generic``: of a generic matrix over C).

    Parameters
    ----------
    family : {"explicit", "planted", "vandermonde", "generic"}
        ``explicit`` takes ``entries``; ``planted`` makes columns 0..size-1 dependent
        in a random ``rows x cols`` integer matrix; ``vandermonde`` has nodes 1..cols;
        ``generic`` proves min(rows, cols) at a random point.
    field : str
        ``"Q"`` or ``"GF(p)"`` (not used by ``generic``).

    Returns
    -------
    Outcome
        ``proved`` when the enumeration mod p and an exact dependent subset meet.

    Notes
    -----
    Every k columns independent is a Zariski-open condition, so a point where it
    holds proves it for generic matrices; the checker re-checks each k-subset
    (rule ``kruskal-rank-at-least``, ``docs/certificates.md``).
    """
    if family == "generic":
        res, A = generic_kruskal_rank(rows, cols, seed=seed)
        cert = kruskal_certificate(res, A)
        cert.meta["generic"] = "every k columns independent is Zariski open: true at this point, hence generically"
    else:
        A = _matrix(family, rows, cols, entries, size, seed)
        res = kruskal_rank(A, field, seed=seed)
        cert = kruskal_certificate(res, A)
    values = {"k_rank": res.k_rank, "lower": res.lower, "upper": res.upper, "field": str(res.field),
              "witness": res.witness or None}
    msg = (f"Kruskal rank over {res.field} = {res.k_rank}" if res.status == "proved"
           else f"Kruskal rank in [{res.lower}, {res.upper}] ({res.reason})")
    return Outcome(res.status, values, cert, msg, field="C" if family == "generic" else str(res.field))


def _uniq_outcome(res) -> Outcome:
    """The outcome of a uniqueness result: its verdict, k-ranks and the sufficient conditions that held."""
    values = {k: v for k, v in res.values.items()
              if k in ("rank", "format", "k_ranks", "order", "symmetric", "criterion")}
    values["verdict"] = res.verdict
    values["conditions_held"] = [c.name for c in res.conditions if c.held]
    msg = "; ".join(f"{c.name}: {c.detail}" for c in res.conditions)
    return Outcome(res.status, values, res.certificate, msg)


@theorem(
    "cp-unique-generic",
    statement="Rank-R CP decompositions of a generic tensor of the format are essentially unique "
              "(a sufficient condition proved at a random point; unknown otherwise).",
    notion="essential uniqueness", fields=("C",),
    values=("verdict", "conditions_held", "rank", "format", "k_ranks", "order", "symmetric", "criterion"),
    references=("kruskal_1977", "sidiropoulos_bro_2000", "chiantini_ottaviani_vannieuwenhoven_2014",
                "domanov_de_lathauwer_2013", "hauenstein_oeding_ottaviani_sommese_2019"),
)
def cp_unique_generic(shape: list[int], rank: int, symmetric: bool = False, seed: int = 0) -> Outcome:
    """Generic essential uniqueness of rank-``rank`` CP decompositions of the format ``shape``.

    Parameters
    ----------
    shape : list of int
        The format n_1 x ... x n_N (with ``symmetric``: n x ... x n).
    rank : int
        The number R of rank-one terms.
    symmetric : bool
        Symmetric (Waring) decompositions sum_r lambda_r a_r^(x)N.

    Returns
    -------
    Outcome
        ``proved`` when Kruskal's condition (k_1 + ... + k_N >= 2R + N - 1,
        Sidiropoulos & Bro 2000), the compound-matrix condition (De Lathauwer 2006,
        Theorem 4.1), Domanov-De Lathauwer's C_m condition or the Chiantini-Ottaviani-
        Vannieuwenhoven criterion holds at a random point (``criterion`` names it);
        ``refuted`` when R (sum n_k - N + 1) > prod n_k (positive-dimensional fibres);
        ``unknown`` otherwise.
    """
    return _uniq_outcome(generic_uniqueness(shape, rank, symmetric=symmetric, seed=seed))


@theorem(
    "cp-unique-factors",
    statement="The CP decomposition [[F_1, ..., F_N]] with the given factor matrices is essentially unique.",
    notion="essential uniqueness", fields=("C",),
    values=("verdict", "conditions_held", "rank", "format", "k_ranks", "order", "criterion"),
    references=("kruskal_1977", "sidiropoulos_bro_2000", "domanov_de_lathauwer_2013", "jiang_sidiropoulos_2004"),
)
def cp_unique_factors(factors: list[ExactArray], seed: int = 0) -> Outcome:
    """Essential uniqueness of the CP decomposition with the given factor matrices F_n (n_n x R).

    Returns
    -------
    Outcome
        ``proved`` when a sufficient condition (Kruskal's k-rank sum, the compound
        condition, Domanov-De Lathauwer's C_m, or U_2 with a one-dimensional kernel) holds for
        these factors; ``refuted`` when one factor has full column rank and a kernel vector of
        the compound matrix is (d_i d_j) (Jiang-Sidiropoulos: U_2 fails, so another
        decomposition with R terms exists); ``unknown`` otherwise.
    """
    return _uniq_outcome(factors_uniqueness(factors, seed=seed))


@theorem(
    "jennrich-exact",
    statement="Jennrich's algorithm recovers the CP decomposition of T = [[A, B, C]] exactly over Q, "
              "and the decomposition is unique (A, B full column rank, k_C >= 2).",
    notion="essential uniqueness", fields=("C",),
    values=("rank", "recovered", "k_ranks", "verdict"),
    references=("jennrich_1993",),
)
def jennrich_exact(shape: list[int] | None = None, rank: int | None = None, factors: list[ExactArray] | None = None,
                   seed: int = 0) -> Outcome:
    """Exact Jennrich over Q on T = [[A, B, C]], and the certified uniqueness of the result.

    Parameters
    ----------
    shape, rank : list of int, int, optional
        Random integer factors in [-5, 5] of the format I x J x K and rank R.
    factors : list of nested lists, optional
        The factor matrices A, B, C themselves.

    Returns
    -------
    Outcome
        ``proved`` when the recovered factors satisfy A, B of full column rank and
        k_C >= 2 (Leurgans, Ross & Abel 1993); ``unknown`` when Jennrich does not
        recover a decomposition.
    """
    if factors is None:
        if shape is None or rank is None or len(shape) != 3:
            raise InputError("jennrich-exact needs factors, or shape = [I, J, K] and rank")
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in [*shape, rank]):
            raise InputError(f"jennrich-exact needs positive integers shape and rank, got {shape!r} and {rank!r}")
        memory, work = jennrich_cost(*shape)  # the tensor [[A, B, C]] (rank terms each) and Jennrich on it
        budget.require(f"exact Jennrich on a rank-{rank} tensor of format {shape[0]} x {shape[1]} x {shape[2]}",
                       memory=memory + 8.0 * sum(shape) * rank, work=work + 50.0 * math.prod(map(float, shape)) * rank)
        rng = np.random.default_rng(seed)
        factors = [rng.integers(-5, 6, (n, rank)) for n in shape]
    Fs = [as_exact_array(F, name="factor") for F in factors]
    if len(Fs) != 3 or any(F.ndim != 2 for F in Fs) or len({F.shape[1] for F in Fs}) != 1:
        raise ShapeError(f"expected three factor matrices A, B, C with the same number of columns, got shapes "
                         f"{[F.shape for F in Fs]}")
    T = np.einsum("ir,jr,kr->ijk", *[F.astype(object) for F in Fs])
    jr = exact_jennrich(T, seed=seed)
    if jr.uniqueness is None:
        return Outcome("unknown", {"rank": jr.rank, "recovered": False}, None, jr.message)
    res = jr.uniqueness
    values = {"rank": jr.rank, "recovered": True, "k_ranks": res.values["k_ranks"], "verdict": res.verdict}
    return Outcome(res.status, values, res.certificate, jr.message + "; " + res.conditions[0].detail)


@theorem(
    "pnn-identifiable",
    statement="The 2-layer polynomial network f(x) = V (W^T x)^d with n inputs, m neurons and o outputs "
              "is identifiable up to permutation and scaling (generically, or at the given weights).",
    notion="identifiability", fields=("C",),
    values=("identifiable", "params_mod_scaling", "ambient", "groups", "k_ranks"),
    references=("identifiability_pnn",),
)
def pnn_identifiable(inputs: int, width: int, degree: int, outputs: int = 1, weights: ExactArray | None = None,
                     coefficients: ExactArray | None = None, seed: int = 0) -> Outcome:
    """Identifiability of f(x) = V (W^T x)^d (``inputs`` n, ``width`` m, ``outputs`` o, ``degree`` d).

    Parameters
    ----------
    weights, coefficients : nested lists, optional
        W (n x m) and V (o x m); generic (a random point) when absent.

    Returns
    -------
    Outcome
        ``proved`` (identifiable: Kruskal's condition on a grouping of the modes of
        sum_j v_j (x) w_j^(x)d), ``refuted`` (more parameters modulo scaling than the
        ambient dimension: every fibre is positive-dimensional) or ``unknown``.
    """
    res = pnn_identifiability(inputs, width, degree, outputs, seed=seed, W=weights, V=coefficients)
    status = {"identifiable": "proved", "not identifiable": "refuted"}.get(res.verdict, "unknown")
    values = {"identifiable": {"identifiable": True, "not identifiable": False}.get(res.verdict),
              "params_mod_scaling": res.values["params_mod_scaling"], "ambient": res.values["ambient"],
              "groups": res.values.get("groups"), "k_ranks": res.values.get("k_ranks")}
    msg = "; ".join(f"{c.name}: {c.detail}" for c in res.conditions)
    return Outcome(status, values, res.certificate, msg)
