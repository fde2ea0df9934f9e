r"""Diagnostics of the method of moments: noise, component strengths, residual, held-out error.

The estimate ``M = (1/n) sum_i y_i He_3(x_i)`` of ``M_3 = sum_j lambda_j u_j^{(x)3}`` (unit
``u_j``; :mod:`tnverify.theory.learning`) is a mean of ``n`` independent tensors, so its noise
``E = M - M_3`` shrinks like ``n^{-1/2}``. Everything here is computed from the samples alone,
never from the generating weights, and is ``numerical``:

* **noise** by batch means: the ``n`` samples are cut into ``B`` (:data:`NOISE_BATCHES`) batches
  of nearly equal size, with moments ``M^b``; the per-entry standard error is
  ``std_b(M^b) / sqrt(B)``, and ``(M^b - mean_b M^b) / sqrt(B - 1)`` has the covariance of ``E``,
  so the RMS over ``b`` of its spectral norm (as a ``d x d^2`` flattening) estimates
  ``eps = E ||E_(1)||_2``, and the root sum of squared standard errors estimates ``E ||E||_F``.
* **coefficients** ``lambda_j``: least squares of ``M`` on the recovered ``u_j^{(x)3}``; their
  standard errors from the same fit on each batch.
* **signal of a neuron** in the flattening ``M_(1) = U diag(lambda) (U (.) U)^T``:
  ``s_j = |lambda_j| dist(u_j, span_{i != j} u_i) dist(u_j (x) u_j, span_{i != j} u_i (x) u_i)``, the
  part of neuron j's term that no other term explains (the distances are
  ``1 / sqrt((G^{-1})_jj)`` for the Gram matrix ``G``).
* **spectrum**: the singular values ``sigma_i`` of ``M_(1)``; the first ``k`` carry the
  components, the rest are noise. A component (or a neuron) is *resolvable* when its signal
  exceeds :data:`RESOLVE` times ``eps``; since ``eps`` scales like ``n^{-1/2}``, this happens at
  ``n' = n (RESOLVE eps / s)^2``. Singular values are debiased as
  ``sqrt(max(sigma_i^2 - eps^2, 0))`` first (noise adds to them in quadrature).
* **residual** ``rho = ||M - sum_j lambda_j u_j^{(x)3}||_F / E||E||_F``: about 1 (slightly less,
  the fit absorbs some noise) when the fitted model explains the moment; above
  :data:`RESIDUAL_OK` the recovery is not accepted.
* **held-out test error**: a ridge-function model ``y ~ c_0 + sum_j g_j(u_j^T x)``, each ``g_j`` a
  least-squares combination of ``t`` and ``s(a t + c)`` over a grid of scales and shifts
  (:data:`SCALES`, :data:`SHIFTS`), fitted on training samples and scored on held-out samples as
  ``||y_hat - y|| / ||y - mean(y_train)||`` (1 = no better than the mean).

The thresholds are heuristics of perturbation theory (the decomposition is stable when the noise
is small against the smallest component), not theorems: docs/learning.md states them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field as dc_field

import numpy as np

from tnverify.errors import InputError

__all__ = ["NOISE_BATCHES", "RESOLVE", "RESIDUAL_OK", "SCALES", "SHIFTS", "Noise", "Diagnostics", "noise",
           "fit_coefficients", "neuron_signal", "diagnose", "ridge_features", "heldout_error", "held_out_count",
           "loglog_slope", "gaussian_third_derivative_mean", "relu_coefficient"]

#: Batches of the batch-means noise estimate.
NOISE_BATCHES = 32
#: A component is resolvable when its signal exceeds this many times the noise.
RESOLVE = 3.0
#: Largest accepted residual, in units of the expected noise norm.
RESIDUAL_OK = 2.0
#: Scales ``a`` and shifts ``c`` of the features ``s(a t + c)`` of the ridge-function model.
SCALES = (0.5, 1.0, 2.0, 4.0)
SHIFTS = tuple(np.linspace(-2.0, 2.0, 7))
#: Fraction of the samples held out for the test error, and its cap; training rows of the refit.
HOLD_OUT, MAX_HOLD_OUT, MAX_REFIT = 0.1, 20_000, 20_000


def held_out_count(n: int) -> int:
    """Samples held out of ``n`` for the test error: ``min(floor(n / 10), 20000)``."""
    return min(int(n * HOLD_OUT), MAX_HOLD_OUT)


@dataclass
class Noise:
    """Batch-means estimate of the noise of a mean of ``B`` batch moments (module docstring)."""

    mean: np.ndarray
    se: np.ndarray
    spectral: float
    frobenius: float
    batches: int


def noise(Ms: np.ndarray, sizes) -> Noise:
    """Noise of the moment from its batch moments ``Ms`` (B x d x d x d) of ``sizes`` samples each.

    The mean is weighted by the sizes (it equals the moment of all samples); the standard errors
    use the plain batch-means formula, exact for equal sizes. O(B d^3 + B d^3 min(d, d^2)) for the
    spectral norms.
    """
    B = Ms.shape[0]
    if B < 2:
        raise InputError(f"expected at least 2 batches for the noise estimate, got {B}")
    w = np.asarray(sizes, dtype=float)
    mean = np.tensordot(w / w.sum(), Ms, axes=1)
    se = Ms.std(axis=0, ddof=1) / math.sqrt(B)
    d = Ms.shape[1]
    dev = (Ms - Ms.mean(axis=0)) / math.sqrt(B - 1)
    spec = math.sqrt(float(np.mean([np.linalg.norm(D.reshape(d, -1), 2) ** 2 for D in dev])))
    return Noise(mean, se, spec, float(np.sqrt(np.sum(se ** 2))), B)


def _cubes(U: np.ndarray) -> np.ndarray:
    """Columns ``vec(u_j (x) u_j (x) u_j)`` (d^3 x k)."""
    return np.einsum("ij,kj,lj->iklj", U, U, U).reshape(-1, U.shape[1])


def fit_coefficients(M: np.ndarray, U: np.ndarray, Ms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(lambda, se)``: least squares of ``M`` on the ``u_j^{(x)3}``; ``se`` from the fits of the
    batch moments ``Ms`` (NaN without them). O(d^3 k^2)."""
    A = _cubes(U)
    lam = np.linalg.lstsq(A, M.ravel(), rcond=None)[0]
    if Ms is None:
        return lam, np.full(U.shape[1], np.nan)
    L = np.linalg.lstsq(A, Ms.reshape(Ms.shape[0], -1).T, rcond=None)[0]
    return lam, L.std(axis=1, ddof=1) / math.sqrt(Ms.shape[0])


def _leave_one_out(A: np.ndarray) -> np.ndarray:
    """Distance of each column of ``A`` to the span of the others: ``1 / sqrt((A^T A)^{-1}_jj)``."""
    G = A.T @ A
    try:
        inv = np.diag(np.linalg.inv(G))
    except np.linalg.LinAlgError:
        return np.zeros(A.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 / np.sqrt(inv)
    return np.where(np.isfinite(out) & (inv > 0), out, 0.0)


def neuron_signal(U: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``s_j = |lambda_j| dist(u_j, others) dist(u_j (x) u_j, others)`` (module docstring). O(d^2 k^2)."""
    V = np.einsum("ij,kj->ikj", U, U).reshape(-1, U.shape[1])
    return np.abs(lam) * _leave_one_out(U) * _leave_one_out(V)


def _resolvable_at(signal: float, eps: float, n: int) -> float:
    """``n (RESOLVE eps / signal)^2``, the sample size where ``signal`` reaches RESOLVE x noise."""
    return math.inf if signal <= 0 else n * (RESOLVE * eps / signal) ** 2


@dataclass
class Diagnostics:
    """What the samples say about a recovery (module docstring); ``good`` only when nothing objects."""

    samples: int
    lambdas: np.ndarray
    lambda_se: np.ndarray
    signal: np.ndarray
    singular_values: np.ndarray
    noise_spectral: float
    noise_frobenius: float
    residual_ratio: float
    batches: int
    neuron_resolvable_at: list
    component_resolvable_at: list
    warnings: list = dc_field(default_factory=list)

    @property
    def good(self) -> bool:
        """True when every neuron and component is resolvable and the residual is at the noise level."""
        return not self.warnings

    def to_dict(self) -> dict:
        """JSON-ready values (``inf`` sample sizes as None)."""
        def n(x):
            return None if not math.isfinite(x) else int(math.ceil(x))

        return {"moment_samples": self.samples, "lambdas": [float(x) for x in self.lambdas],
                "lambda_se": [float(x) for x in self.lambda_se], "signal": [float(x) for x in self.signal],
                "singular_values": [float(x) for x in self.singular_values],
                "noise_spectral": self.noise_spectral, "noise_frobenius": self.noise_frobenius,
                "noise_batches": self.batches, "residual_ratio": self.residual_ratio,
                "neuron_resolvable_at": [n(x) for x in self.neuron_resolvable_at],
                "component_resolvable_at": [n(x) for x in self.component_resolvable_at],
                "recovery_good": self.good, "diagnostic_warnings": list(self.warnings)}


def diagnose(nz: Noise, U: np.ndarray, Ms: np.ndarray, n: int) -> Diagnostics:
    """Coefficients, signals, spectrum, residual and the warnings of a recovery ``U`` (d x k) from
    the batch moments ``Ms`` of ``n`` samples with noise ``nz``. O(d^3 k^2 + B d^3 k)."""
    d, k = U.shape
    M = nz.mean
    lam, se = fit_coefficients(M, U, Ms)
    sig = neuron_signal(U, lam)
    sv = np.linalg.svd(M.reshape(d, -1), compute_uv=False)
    eps = nz.spectral
    debiased = np.sqrt(np.maximum(sv[:k] ** 2 - eps ** 2, 0.0))
    resid = float(np.linalg.norm(M.ravel() - _cubes(U) @ lam)) / max(nz.frobenius, np.finfo(float).tiny)
    n_neuron = [_resolvable_at(float(s), eps, n) for s in sig]
    n_comp = [_resolvable_at(float(s), eps, n) for s in debiased]
    warn = []
    for i, s in enumerate(debiased):
        if s < RESOLVE * eps:
            warn.append(f"component {i + 1} of the moment is weak: its singular value {sv[i]:.3g} is "
                        f"{s / eps if eps else math.inf:.2f} x the noise {eps:.3g} (after removing the noise); "
                        f"resolvable (> {RESOLVE:g} x noise) at about n = {_fmt_n(n_comp[i])}")
    for j, s in enumerate(sig):
        if s < RESOLVE * eps:
            warn.append(f"recovered neuron {j + 1} is weak: its signal {s:.3g} is {s / eps if eps else math.inf:.2g} "
                        f"x the noise; resolvable at about n = {_fmt_n(n_neuron[j])}")
    if resid > RESIDUAL_OK:
        warn.append(f"the fitted moment does not explain the empirical one: residual {resid:.3g} x the noise "
                    f"(> {RESIDUAL_OK:g}); wrong number of hidden units, or a failed decomposition")
    return Diagnostics(n, lam, se, sig, sv, eps, nz.frobenius, resid, nz.batches, n_neuron, n_comp, warn)


def _fmt_n(x: float) -> str:
    return "infinity (no signal)" if not math.isfinite(x) else f"{x:.2g}"


# ------------------------------------------------------------------ held-out error
def ridge_features(T: np.ndarray, fn) -> np.ndarray:
    """Features of the ridge-function model for projections ``T = X U`` (n x k): a constant column,
    then per direction ``t`` and ``fn(a t + c)`` for a in :data:`SCALES`, c in :data:`SHIFTS`."""
    cols = [np.ones(T.shape[0])]
    for t in T.T:
        cols.append(t)
        cols += [fn(a * t + c) for a in SCALES for c in SHIFTS]
    return np.column_stack(cols)


def heldout_error(U: np.ndarray, fn, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray) -> float:
    """Relative held-out error ``||y_hat - y_test|| / ||y_test - mean(y)||`` of the ridge-function model
    fitted on (at most :data:`MAX_REFIT` rows of) ``(X, y)``. O(m k^2 |SCALES|^2 |SHIFTS|^2)."""
    m = min(len(y), MAX_REFIT)
    c = np.linalg.lstsq(ridge_features(X[:m] @ U, fn), y[:m], rcond=None)[0]
    pred = ridge_features(X_test @ U, fn) @ c
    denom = float(np.linalg.norm(y_test - np.mean(y[:m])))
    return float(np.linalg.norm(pred - y_test)) / max(denom, np.finfo(float).tiny)


# ------------------------------------------------------------------ sample complexity
def loglog_slope(ns, errs) -> tuple[float, float, float]:
    """``(slope, low, high)``: least squares of ``log err`` on ``log n`` and its 95% interval
    ``slope +- t_{0.975, m-2} SE`` (Student t, m points; needs m >= 3 and positive errors)."""
    from scipy import stats

    x = np.log(np.asarray(ns, dtype=float))
    e = np.asarray(errs, dtype=float)
    if len(x) < 3 or np.any(e <= 0) or len(set(x)) < 2:
        raise InputError(f"expected at least 3 distinct sample sizes with positive errors to fit a slope, "
                         f"got {len(x)}")
    res = stats.linregress(x, np.log(e))
    h = float(stats.t.ppf(0.975, len(x) - 2)) * res.stderr
    return float(res.slope), float(res.slope - h), float(res.slope + h)


# ------------------------------------------------------------------ third-derivative means
def gaussian_third_derivative_mean(d3, b: float, s: float, nodes: int = 96) -> float:
    """``E[f'''(s z + b)]`` for ``z ~ N(0, 1)`` by Gauss-Hermite quadrature (``nodes`` points) of a
    smooth third derivative ``d3``; error below 1e-10 for tanh and sigmoid at moderate ``s``."""
    z, w = np.polynomial.hermite_e.hermegauss(nodes)
    return float(np.sum(w * d3(s * z + b)) / np.sum(w))


def relu_coefficient(a: float, b: float, s: float) -> float:
    r"""``lambda = a E[relu'''(s z + b)] s^3`` for a unit direction (``s = |w|``), in closed form.

    ``relu''' = delta'`` in the sense of distributions, and with ``phi`` the standard normal density
    ``E[delta'(s z + b)] = d/db E[delta(s z + b)] = d/db (phi(b / s) / s) = -b phi(b / s) / s^3``,
    so ``lambda = -a b phi(b / s)``: exactly 0 when ``b = 0`` (docs/learning.md, section 4).
    """
    return -a * b * math.exp(-0.5 * (b / s) ** 2) / math.sqrt(2 * math.pi)
