"""The method of moments end to end: samples, decomposition, diagnostics, held-out error, sweeps.

:func:`learn_data` learns the first-layer directions of ``y = sum_j a_j s(w_j^T x + b_j)``
(``x ~ N(0, I_d)``) from samples alone: it holds out a part of the samples
(:func:`~tnverify.theory.learning_diagnostics.held_out_count`), estimates the third moment and
its noise from the rest (batch means), decomposes it (:func:`tnverify.theory.learning.recover`),
and reports the diagnostics of :mod:`tnverify.theory.learning_diagnostics` and the held-out test
error. :func:`learn` draws the samples from a known network and adds the *oracle* comparisons
(recovery error against the generating weights, the true coefficients), labelled as such.
:func:`sweep` repeats :func:`learn` over sample sizes and fits the log-log slope of the oracle
direction error, which Janzamin, Sedghi and Anandkumar (2015, Theorem 3) bound by
``O~(n^{-1/2})``.

Everything here is ``numerical``. The method, its diagnostics and its limits: docs/learning.md.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field as dc_field

import numpy as np

from tnverify import budget
from tnverify.errors import InputError, ShapeError
from tnverify.numeric.threads import single_blas_thread
from tnverify.theory import learning_diagnostics as D
from tnverify.theory.learning import (REFINE_ITERATIONS, Activation, TwoLayerNet, batch_moments,
                                      identifiability_warnings, recover, recovery_error, sample, second_moment)

__all__ = ["method_min_samples", "check_samples", "learn_cost", "LearnResult", "learn_data", "load_samples",
           "gaussian_input_warnings", "learn", "oracle_lambdas",
           "relu_invisibility", "SweepResult", "sweep"]


def method_min_samples(d: int) -> int:
    """Fewest samples the method accepts with ``d`` inputs: after the held-out part, the moment needs
    max(C(d + 2, 3), 2 B) samples (the distinct entries of a symmetric d^3 tensor; two per batch
    of the noise estimate, B = :data:`~tnverify.theory.learning_diagnostics.NOISE_BATCHES`)."""
    need = max(math.comb(d + 2, 3), 2 * D.NOISE_BATCHES)
    n = need
    while n - D.held_out_count(n) < need:  # n - held_out(n) is nondecreasing: a few steps
        n += need - (n - D.held_out_count(n))
    while n > need and (n - 1) - D.held_out_count(n - 1) >= need:
        n -= 1
    return n


def learn_cost(d: int, k: int, n: int) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`learn`: ``n`` samples and the ``n x d^2`` Khatri-Rao rows of
    the moment GEMM (``n d^3`` multiply-adds), the batch moments and their spectra, the
    decomposition (:data:`~tnverify.theory.learning.REFINE_ITERATIONS` CP-ALS sweeps of ``d^3 k``),
    and the ridge-function refit (``m`` rows of ``k (1 + |SCALES| |SHIFTS|)`` features)."""
    d, k, n = float(d), float(k), float(n)
    B = D.NOISE_BATCHES
    f = 1 + k * (1 + len(D.SCALES) * len(D.SHIFTS))
    m = min(n, D.MAX_REFIT + D.MAX_HOLD_OUT)
    memory = 8 * n * d * (d + 2) + 8 * B * d ** 3 + 8 * m * f
    work = 2 * n * d ** 3 + B * d ** 4 + REFINE_ITERATIONS * 3 * d ** 3 * k + B * d ** 3 * k + m * f * f
    return memory, work


def oracle_lambdas(net: TwoLayerNet) -> np.ndarray:
    """True coefficients for the unit directions ``w_j / |w_j|``: ``a_j E[s'''(w_j^T x + b_j)] |w_j|^3``
    (ReLU in closed form, smooth activations by Gauss-Hermite quadrature). Oracle: synthetic data."""
    W = np.asarray(net.W, dtype=float)
    b = np.asarray(net.b, dtype=float)
    a = np.asarray(net.a, dtype=float)
    s = np.linalg.norm(W, axis=0)
    if net.activation.name == "relu":
        return np.array([D.relu_coefficient(a[j], b[j], s[j]) for j in range(net.k)])
    return np.array([a[j] * D.gaussian_third_derivative_mean(net.activation.d3, b[j], s[j]) * s[j] ** 3
                     for j in range(net.k)])


def relu_invisibility(net: TwoLayerNet) -> list[str]:
    """The proved statement for a ReLU network's neurons with ``b_j = 0`` (empty otherwise).

    ``lambda_j = -a_j b_j phi(b_j / |w_j|) / |w_j|^3`` (docs/learning.md, section 4), which is exactly 0
    when ``b_j = 0``: the third moment does not contain neuron j, at any number of samples.
    """
    if net.activation.name != "relu":
        return []
    zero = [j + 1 for j in range(net.k) if net.b[j] == 0 or net.a[j] == 0]
    if not zero:
        return []
    return [f"neurons {zero} are invisible to this method (proved): for ReLU, lambda_j = a_j E[relu'''(w_j^T x + "
            f"b_j)] = -a_j b_j phi(b_j/|w_j|)/|w_j|^3 is exactly 0 when b_j = 0 (or a_j = 0), so E[y He_3(x)] "
            f"does not contain them at any sample size (docs/learning.md, section 4)"]


@dataclass
class LearnResult:
    """Outcome of :func:`learn_data` / :func:`learn` (status ``numerical``)."""

    diagnostics: D.Diagnostics
    test_error: float
    n: int
    held_out: int
    d: int
    k: int
    method: str
    recovered: np.ndarray
    warnings: list = dc_field(default_factory=list)
    oracle: dict | None = None
    seconds: float = 0.0

    @property
    def good(self) -> bool:
        """Whether the diagnostics accept the recovery (no warning of theirs)."""
        return self.diagnostics.good

    def to_dict(self) -> dict:
        """JSON-ready values; ``oracle`` only for synthetic data; the status is always ``numerical``."""
        out = {"status": "numerical", "samples": self.n, "held_out": self.held_out, "inputs": self.d,
               "hidden": self.k, "method": self.method, "test_error": self.test_error,
               "recovered": self.recovered.T.tolist(), **self.diagnostics.to_dict(), "warnings": self.warnings,
               "seconds": round(self.seconds, 4)}
        if self.oracle is not None:
            out["oracle"] = self.oracle
        return out


def check_samples(n, d: int, where: str = "") -> None:
    """Refuse (InputError) a sample count that is not an integer or is below :func:`method_min_samples`."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InputError(f"expected an integer number of samples, got {n!r}")
    need = method_min_samples(d)
    if n < need:
        raise InputError(f"expected at least {need} samples{where} for the method of moments with {d} inputs "
                         f"(C({d}+2,3) = {math.comb(d + 2, 3)} distinct moment entries or 2 per noise batch, "
                         f"whichever is more, plus {D.HOLD_OUT:.0%} held out), got {n}")


def learn_data(X: np.ndarray, y: np.ndarray, k: int, activation: Activation, *, method: str = "jennrich",
               seed=0) -> LearnResult:
    """Learn ``k`` directions from samples ``X`` (n x d), ``y`` (n,) alone (module docstring).

    The last :func:`~tnverify.theory.learning_diagnostics.held_out_count` samples are held out;
    the moment, its noise and the decomposition use the others, and the ridge-function model
    is fitted on them and scored on the held-out ones. Needs ``k <= d`` (overcomplete:
    :mod:`tnverify.theory.learning_hardness`). Cost: :func:`learn_cost`.
    """
    n, d = X.shape
    check_samples(n, d)
    if k > d:
        raise ShapeError(f"{k} hidden units > {d} inputs: the moment flattening has rank <= {d} < {k}, whitening "
                         f"and Jennrich cannot separate the components (tnverify learn explains it)")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    h = D.held_out_count(n)
    Xtr, ytr, Xte, yte = X[: n - h], y[: n - h], X[n - h:], y[n - h:]
    with single_blas_thread():  # small inner dimensions: threads only contend (and the cores are shared)
        Ms, sizes = batch_moments(Xtr, ytr, D.NOISE_BATCHES)
        nz = D.noise(Ms, sizes)
        U = recover(nz.mean, k, method=method, seed=rng, M2=second_moment(Xtr, ytr) if method == "power" else None)
        diag = D.diagnose(nz, U, Ms, n - h)
        te = D.heldout_error(U, activation.fn, Xtr, ytr, Xte, yte)
    return LearnResult(diag, te, n, h, d, k, method, U, list(diag.warnings), None, time.perf_counter() - t0)


#: Standard errors beyond which the inputs' sample mean or covariance is reported as not N(0, I).
GAUSSIAN_SIGMAS = 6.0


def load_samples(path) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from a ``.npz`` file holding ``X`` (n x d, real) and ``y`` (n values), float64.

    Read without unpickling (``allow_pickle=False``); the shapes are checked from the headers and
    the size against the budget before the arrays are read. Refuses (InputError/ShapeError, one
    line) other files, missing arrays, wrong shapes, non-real or non-finite entries.
    """
    import zipfile

    if not str(path).endswith(".npz"):
        raise InputError(f"expected samples as a .npz file with arrays X (n x d) and y (n), got {str(path)!r}")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise InputError(f"expected a .npz file with arrays X and y, could not read {str(path)!r}: {e}") from None
    with data:
        missing = [k for k in ("X", "y") if k not in data.files]
        if missing:
            raise InputError(f"expected arrays X (n x d) and y (n) in {str(path)!r}, got {sorted(data.files)}")
        X, y = data["X"], data["y"]
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ShapeError(f"expected X of shape (n, d) and y of shape (n,), got X {X.shape} and y {y.shape}")
    for name, a in (("X", X), ("y", y)):
        if a.dtype.kind not in "biuf":
            raise InputError(f"expected real numbers in {name}, got dtype {a.dtype}")
    X, y = X.astype(np.float64), y.astype(np.float64)
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise InputError("expected finite samples, got NaN or Inf in X or y")
    return X, y


def gaussian_input_warnings(X: np.ndarray) -> list[str]:
    """Warnings when the inputs do not look like ``N(0, I_d)``, which the moment identity assumes.

    The sample mean's entries have standard error ``1/sqrt(n)``, the covariance's diagonal
    ``sqrt(2/n)`` and off-diagonal ``1/sqrt(n)`` under ``N(0, I)``; a deviation of more than
    :data:`GAUSSIAN_SIGMAS` standard errors is reported.
    """
    n, d = X.shape
    out = []
    mean = X.mean(axis=0)
    z_mean = float(np.max(np.abs(mean)) * math.sqrt(n))
    C = (X - mean).T @ (X - mean) / max(n - 1, 1)
    se = np.full((d, d), 1.0 / math.sqrt(n))
    se[np.diag_indices(d)] = math.sqrt(2.0 / n)
    z_cov = float(np.max(np.abs(C - np.eye(d)) / se))
    if max(z_mean, z_cov) > GAUSSIAN_SIGMAS:
        out.append(f"the inputs do not look standard Gaussian (mean {z_mean:.1f}, covariance {z_cov:.1f} standard "
                   f"errors from N(0, I)); E[y He_3(x)] = sum_j lambda_j w_j^(x)3 holds for x ~ N(0, I): whiten "
                   f"the inputs first, or the directions learned are not the network's")
    return out


def learn(net: TwoLayerNet, n: int, *, seed: int = 0, method: str = "jennrich", warnings: list | None = None) -> LearnResult:
    """Draw ``n`` samples of ``net``, run :func:`learn_data`, and add the oracle comparisons.

    ``oracle``: ``recovery_error`` (max 1 - |cos|, :func:`~tnverify.theory.learning.recovery_error`),
    ``direction_error`` (``sqrt(2 recovery_error)``, the distance of the sign-aligned unit vectors),
    the matching, and the true coefficients ``lambdas`` with the estimated ones of the matched
    columns (sign-aligned). ``warnings``: the identifiability warnings (computed when None) and
    the ReLU invisibility statement, then the diagnostics' warnings.
    """
    check_samples(n, net.d)
    if net.k > net.d:
        raise ShapeError(f"{net.k} hidden units > {net.d} inputs: the tensor methods here need independent w_j")
    memory, work = learn_cost(net.d, net.k, n)
    budget.require(f"learning from {n} samples with {net.d} inputs", memory=memory, work=work)
    rng = np.random.default_rng(seed)
    X, y = sample(net, n, rng)
    res = learn_data(X, y, net.k, net.activation, method=method, seed=rng)
    err, pi = recovery_error(net.W, res.recovered)
    W = np.asarray(net.W, dtype=float)
    sign = np.sign(np.sum(W * res.recovered[:, pi], axis=0))
    res.oracle = {"recovery_error": err, "direction_error": math.sqrt(2 * err), "matching": pi,
                  "lambdas": [float(x) for x in oracle_lambdas(net)],
                  "lambdas_estimated": [float(sign[j] * res.diagnostics.lambdas[pi[j]]) for j in range(net.k)]}
    pre = identifiability_warnings(net) if warnings is None else warnings
    res.warnings = list(pre) + relu_invisibility(net) + res.warnings
    return res


@dataclass
class SweepResult:
    """Rows of :func:`sweep` and the fitted slope of the oracle direction error against n."""

    rows: list
    slope: float | None
    interval: tuple | None
    fitted_on: list
    resolvable_at: list
    note: str = ""

    def to_dict(self) -> dict:
        """JSON-ready rows, slope, 95% interval, the sizes fitted and the per-neuron resolvable sizes."""
        return {"sweep": self.rows, "slope": self.slope, "slope_interval": list(self.interval or []) or None,
                "fitted_on": self.fitted_on, "resolvable_at": self.resolvable_at, "slope_note": self.note}


def sweep(net: TwoLayerNet, ns, *, seed: int = 0, method: str = "jennrich", progress: bool = False,
          repeats: int = 1) -> SweepResult:
    """:func:`learn` ``repeats`` times at each sample size (seed ``seed + t`` for the t-th run), then
    the log-log slope.

    The slope of the oracle direction error is fitted, over every run, on the sizes where the
    diagnostics accept the recovery (the asymptotic regime of the theorem), or on every run, with
    a note, when fewer than 3 are accepted. ``resolvable_at``: each recovered neuron's estimate at
    the largest size (the most accurate one). Budget: the whole sweep is charged before the first
    point.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise InputError(f"expected a number of repeats >= 1, got {repeats!r}")
    ns = [int(n) for n in ns for _ in range(repeats)]
    for n in ns:
        check_samples(n, net.d, " in --sweep")
    tally = budget.Tally(f"the sweep over {len(ns)} sample sizes up to {max(ns, default=0)}")
    for n in ns:
        memory, work = learn_cost(net.d, net.k, n)
        tally.add(memory=memory, work=work)
    warn = identifiability_warnings(net)
    rows, last = [], None
    it = ns
    if progress:
        from tqdm import tqdm

        it = tqdm(ns, desc="sweep", file=sys.stderr)
    for t, n in enumerate(it):
        r = learn(net, n, seed=seed + t, method=method, warnings=warn)
        rows.append({"samples": n, "recovery_error": r.oracle["recovery_error"],
                     "direction_error": r.oracle["direction_error"], "test_error": r.test_error,
                     "recovery_good": r.good, "residual_ratio": r.diagnostics.residual_ratio,
                     "noise_spectral": r.diagnostics.noise_spectral, "seconds": round(r.seconds, 4)})
        if last is None or n >= last[0]:
            last = (n, r)
    good = [r for r in rows if r["recovery_good"] and r["direction_error"] > 0]
    note = ""
    if len(good) < 3:
        good = [r for r in rows if r["direction_error"] > 0]
        note = "fewer than 3 sizes pass the diagnostics: the slope is fitted on every size"
    slope = interval = None
    if len({r["samples"] for r in good}) >= 3:
        slope, lo, hi = D.loglog_slope([r["samples"] for r in good], [r["direction_error"] for r in good])
        interval = (lo, hi)
    else:
        note = "fewer than 3 distinct sizes: no slope"
    res = last[1] if last else None
    at = [] if res is None else [None if not math.isfinite(x) else int(math.ceil(x))
                                 for x in res.diagnostics.neuron_resolvable_at]
    return SweepResult(rows, slope, interval, [r["samples"] for r in good] if slope is not None else [], at, note)
