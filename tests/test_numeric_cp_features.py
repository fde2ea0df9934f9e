"""cp_als options (fixed modes, mask, callback, errors, sparsity, starts, status) and tucker_hooi,
checked against definitions and independent numpy computations."""
from __future__ import annotations

import numpy as np
import pytest

from tnverify import numeric
from tnverify.errors import InputError, ShapeError


def _planted(shape=(6, 7, 8), R=3, seed=0, nonneg=False):
    rng = np.random.default_rng(seed)
    F = [(rng.random if nonneg else rng.standard_normal)((s, R)) for s in shape]
    return np.einsum("ir,jr,kr->ijk", *F), F


def _rel(X, Y):
    return np.linalg.norm(X - Y) / np.linalg.norm(X)


def test_fixed_modes_stay_exactly_and_the_rest_fits():
    X, F = _planted()
    rng = np.random.default_rng(1)
    init = (None, [F[0].copy(), rng.standard_normal((7, 3)), rng.standard_normal((8, 3))])
    res = numeric.cp_als(X, 3, init=init, fixed_modes=[0], n_iter_max=300, tol=1e-14)
    assert np.array_equal(res.factors[0], F[0]) and np.array_equal(init[1][0], F[0])
    assert _rel(X, res.to_tensor()) < 1e-6
    last = numeric.cp_als(X, 3, init=init, fixed_modes=[2], n_iter_max=2)  # the last mode may be fixed too
    assert np.array_equal(last.factors[2], init[1][2])


def test_mask_recovers_unseen_entries_and_ignores_their_values():
    X, _ = _planted(R=2)
    rng = np.random.default_rng(2)
    mask = (rng.random(X.shape) > 0.2).astype(float)
    garbage = np.where(mask > 0, X, 1e4)
    res = numeric.cp_als(garbage, 2, mask=mask, n_iter_max=500, tol=1e-14, seed=0)
    Xhat = res.to_tensor()
    missing = mask == 0
    assert np.max(np.abs(Xhat[missing] - X[missing])) < 1e-4 * np.max(np.abs(X))
    obs_err = np.sqrt(np.sum(mask * (X - Xhat) ** 2) / np.sum(mask * X ** 2))
    assert res.rel_error == pytest.approx(obs_err, rel=1e-6, abs=1e-12)
    assert np.all(np.diff(res.errors) <= 1e-12)  # EM-ALS is monotone


def test_missing_start_given_reads_the_missing_values_and_model_never_does():
    X, _ = _planted(R=2)
    mask = (np.random.default_rng(5).random(X.shape) > 0.2).astype(float)
    kw = dict(mask=mask, n_iter_max=3, tol=0.0, seed=1, init="random")
    truth = numeric.cp_als(X, 2, missing_start="given", **kw)
    off = numeric.cp_als(np.where(mask > 0, X, 7.0), 2, missing_start="given", **kw)
    assert truth.errors[-1] < off.errors[-1]  # the values at the missing entries were the first guess
    a = numeric.cp_als(X, 2, **kw)
    b = numeric.cp_als(np.where(mask > 0, X, 7.0), 2, **kw)
    assert a.errors == b.errors  # default "model": the values there are never read
    with pytest.raises(InputError, match="expected missing_start 'model' or 'given', got 'mean'"):
        numeric.cp_als(X, 2, mask=mask, missing_start="mean")


def test_callback_sees_the_start_then_every_sweep_and_can_stop():
    X, _ = _planted(R=2)
    rng = np.random.default_rng(3)
    init = (np.ones(2), [rng.standard_normal((s, 2)) for s in X.shape])
    seen = []
    res, errors = numeric.cp_als(X, 2, init=init, n_iter_max=7, tol=0, return_errors=True,
                                 callback=lambda cp, e: seen.append((cp.to_tensor(), e)))
    assert len(seen) == 8 and len(errors) == 7 == res.n_iter
    assert seen[0][1] == pytest.approx(_rel(X, numeric.cp_to_tensor(*init)), rel=1e-9)
    assert [e for _, e in seen[1:]] == errors
    assert all(e == pytest.approx(_rel(X, T), rel=1e-8) for T, e in seen)
    stop = numeric.cp_als(X, 2, init=init, n_iter_max=50, tol=0, callback=lambda cp, e: cp.n_iter == 3)
    assert stop.n_iter == 3 and stop.status == "stopped by callback"


def test_status_is_converged_only_when_the_rule_fired():
    X, _ = _planted()
    X = X + 0.01 * np.random.default_rng(4).standard_normal(X.shape)
    res = numeric.cp_als(X, 3, n_iter_max=1000, tol=1e-9, seed=0)
    assert res.status == "converged" and res.error_change < 1e-9
    assert res.error_change == pytest.approx(abs(res.errors[-2] - res.errors[-1]))
    short = numeric.cp_als(X, 3, n_iter_max=3, tol=1e-15, seed=0)
    assert short.status == "max iterations reached" and short.error_change >= 1e-15
    assert "max iterations reached" in short.message and f"{short.error_change:.3g}" in short.message


def test_sparsity_follows_tensorly_definition():
    X, _ = _planted(R=2)
    res = numeric.cp_als(X, 1, sparsity=0.1, n_iter_max=20, tol=0, seed=0)
    S, Xhat = res.sparse_component, res.to_tensor()
    card = int(0.1 * X.size)
    D = X - Xhat
    assert np.count_nonzero(S) == card and np.allclose(S[S != 0], D[S != 0])
    assert np.min(np.abs(D[S != 0])) >= np.max(np.abs(D[S == 0]))
    assert res.rel_error == pytest.approx(_rel(X, Xhat + S), rel=1e-8)


def test_normalize_factors_and_orthogonalise():
    X, _ = _planted()
    a = numeric.cp_als(X, 3, n_iter_max=30, tol=0, seed=0)
    b = numeric.cp_als(X, 3, n_iter_max=30, tol=0, seed=0, normalize_factors=False)
    assert np.all(b.weights == 1) and np.allclose(a.to_tensor(), b.to_tensor())
    assert np.allclose(np.linalg.norm(a.factors[1], axis=0), 1)
    c = numeric.cp_als(X, 3, n_iter_max=400, tol=1e-12, seed=0, orthogonalise=5)
    assert c.rel_error < 1e-6


def test_random_start_suits_the_data_and_restarts_keep_the_best():
    X, _ = _planted(nonneg=True)
    res = numeric.cp_als(X, 3, init="random", seed=0, n_iter_max=0)
    assert all(np.all(f >= 0) for f in res.factors)
    Y = X - X.mean()
    assert any(np.any(f < 0) for f in numeric.cp_als(Y, 3, init="random", seed=0, n_iter_max=0).factors)
    one = numeric.cp_als(Y, 4, init="random", seed=5, n_iter_max=10, tol=0)
    many = numeric.cp_als(Y, 4, init="random", seed=5, n_iter_max=10, tol=0, n_init=4)
    assert many.rel_error <= one.rel_error


def test_bad_options_are_one_line_errors():
    X, _ = _planted()
    with pytest.raises(InputError, match="mask entries in"):
        numeric.cp_als(X, 2, mask=2 * np.ones(X.shape))
    with pytest.raises(ShapeError, match="mask of the tensor's shape"):
        numeric.cp_als(X, 2, mask=np.ones((2, 2, 2)))
    with pytest.raises(InputError, match="fixed_modes"):
        numeric.cp_als(X, 2, fixed_modes=[3])
    with pytest.raises(InputError, match="n_init"):
        numeric.cp_als(X, 2, n_init=0)
    with pytest.raises(InputError, match="init"):
        numeric.cp_als(X, 2, init="bogus")

    with pytest.raises(InputError, match="l2_reg"):
        numeric.cp_als(X, 2, l2_reg=-1.0)
    with pytest.raises(InputError, match="cvg_criterion"):
        numeric.cp_als(X, 2, cvg_criterion="rel")


@pytest.mark.parametrize("lam", [0.0, 0.5, 30.0])
def test_l2_reg_step_is_the_ridge_solution(lam):
    X, _ = _planted((5, 6, 7), R=3, seed=4)
    X = X + 0.1 * np.random.default_rng(5).standard_normal(X.shape)
    rng = np.random.default_rng(6)
    A1, A2 = rng.standard_normal((6, 2)), rng.standard_normal((7, 2))
    res = numeric.cp_als(X, 2, n_iter_max=1, tol=0.0, init=(None, [rng.standard_normal((5, 2)), A1, A2]),
                         fixed_modes=[1, 2], l2_reg=lam, normalize_factors=False)
    # min_U ||X_(0) - U KR^T||^2 + lam ||U||^2 by the normal equations, built from the definition
    KR = np.einsum("jr,kr->jkr", A1, A2).reshape(-1, 2)
    U = np.linalg.solve(KR.T @ KR + lam * np.eye(2), KR.T @ X.reshape(5, -1).T).T
    np.testing.assert_allclose(numeric.cp_to_tensor(res.weights, res.factors),
                               np.einsum("ir,jr,kr->ijk", U, A1, A2), rtol=1e-9, atol=1e-9)
    model = np.einsum("ir,jr,kr->ijk", U, A1, A2)
    assert res.rel_error == pytest.approx(np.linalg.norm(X - model) / np.linalg.norm(X), rel=1e-9)


def test_rec_error_criterion_stops_on_the_signed_decrease():
    X, _ = _planted((6, 7, 8), R=3, seed=7)
    X = X + 0.3 * np.random.default_rng(8).standard_normal(X.shape)
    for crit in ("abs_rec_error", "rec_error"):
        tol = 1e-3
        res = numeric.cp_als(X, 3, n_iter_max=200, tol=tol, seed=1, init="random", orthogonalise=True,
                             cvg_criterion=crit)
        e = res.errors
        step = (lambda a, b: a - b) if crit == "rec_error" else (lambda a, b: abs(a - b))
        assert res.status == "converged"
        assert all(step(e[k - 1], e[k]) >= tol for k in range(1, len(e) - 1))
        assert step(e[-2], e[-1]) < tol

@pytest.mark.slow
def test_accuracy_check_of_tensorly_over_20_seeds_at_least_its_rate():
    """TensorLy's test_parafac accuracy check (rank 4 fitted to rank-3 data with uniform factors,
    70 sweeps, tol 1e-6, random start from the seed): our successes >= TensorLy's."""
    tl = pytest.importorskip("tensorly")
    from tensorly.decomposition import parafac
    from tensorly.random import random_cp

    def ok(rec, X):
        return np.linalg.norm(rec - X) / np.linalg.norm(X) < 0.01 and np.max(np.abs(rec - X)) < 0.05

    ours = theirs = 0
    for seed in range(20):
        X = tl.cp_to_tensor(random_cp((6, 8, 7), rank=3, full=False, random_state=tl.check_random_state(seed),
                                      dtype=tl.float64))
        theirs += ok(tl.cp_to_tensor(parafac(X, 4, n_iter_max=70, init="random", tol=1e-6,
                                             random_state=tl.check_random_state(seed))), X)
        ours += ok(numeric.cp_als(X, 4, n_iter_max=70, init="random", tol=1e-6, seed=seed).to_tensor(), X)
    assert ours >= theirs


def test_hooi_recovers_planted_tucker_and_is_monotone():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((2, 3, 2))
    U = [rng.standard_normal((s, r)) for s, r in zip((5, 6, 7), G.shape)]
    X = numeric.tucker_to_tensor(G, U)
    res = numeric.tucker_hooi(X, (2, 3, 2), init="random", seed=1, tol=1e-12)
    assert _rel(X, res.to_tensor()) < 1e-9 and res.rel_error == pytest.approx(_rel(X, res.to_tensor()), abs=1e-12)
    noisy = X + 0.1 * rng.standard_normal(X.shape)
    r2, errors = numeric.tucker_hooi(noisy, (2, 2, 2), init="random", seed=2, n_iter_max=30, tol=0,
                                     return_errors=True)
    assert np.all(np.diff(errors) <= 1e-12) and r2.status == "max iterations reached" and len(errors) == 30
    assert all(np.allclose(f.T @ f, np.eye(f.shape[1])) for f in r2.factors)


def test_hooi_fixed_factor_mask_and_status():
    rng = np.random.default_rng(1)
    G = rng.standard_normal((2, 2, 2))
    U = [rng.standard_normal((s, 2)) for s in (5, 6, 7)]
    X = numeric.tucker_to_tensor(G, U)
    start = [U[0], rng.standard_normal((6, 2)), rng.standard_normal((7, 2))]
    res = numeric.tucker_hooi(X, 2, init=start, fixed_factors=[0], tol=1e-13)
    assert np.array_equal(res.factors[0], U[0]) and _rel(X, res.to_tensor()) < 1e-9
    assert res.status == "converged" and res.error_change < 1e-13
    mask = (rng.random(X.shape) > 0.15).astype(float)
    comp = numeric.tucker_hooi(np.where(mask > 0, X, -50.0), 2, mask=mask, n_iter_max=2000, tol=1e-14)
    assert np.max(np.abs(comp.to_tensor() - X)[mask == 0]) < 1e-5 * np.max(np.abs(X))
    with pytest.raises(InputError, match="fixed_factors"):
        numeric.tucker_hooi(X, 2, fixed_factors=[0])


def test_decompose_reports_the_status_and_the_last_change(tmp_path, capsys):
    import json

    from tnverify.cli import main

    X, _ = _planted(R=2)
    X = X + 0.01 * np.random.default_rng(5).standard_normal(X.shape)
    np.save(tmp_path / "t.npy", X)
    assert main(["decompose", str(tmp_path / "t.npy"), "--rank", "2", "--n-iter-max", "2", "--json"]) == 0
    short = json.loads(capsys.readouterr().out)
    ref = numeric.cp_als(X, 2, n_iter_max=2, init="svd", seed=0)
    assert short["convergence"] == "max iterations reached"
    assert short["error_change"] == pytest.approx(abs(ref.errors[-2] - ref.errors[-1]))
    assert main(["decompose", str(tmp_path / "t.npy"), "--rank", "2", "--tol", "1e-6"]) == 0
    text = capsys.readouterr().out
    assert "(converged, last change of error " in text
    change = float(text.split("last change of error ")[1].split(")")[0])
    assert change < 1e-6
